"""Type-check model_core/ and the Blender glue (operators/, panels/, grc_blender/) with mypy and fake-bpy-module.

Run with the type-check venv's Python (``make typecheck``):

    .venv-typecheck/bin/python tools/typecheck.py

The repository root is the add-on package itself (Blender imports it as
``bl_ext.<repo>.grc``), and the glue uses relative imports (``from ..model_core import
infer``). So mypy gets ``MYPYPATH`` pointing at a folder outside the tree holding a symlink
``grc -> <repo root>`` (outside, so that nothing walking the tree meets a cycle) and checks
``-p grc.operators -p grc.panels -p grc.grc_blender``; error paths are printed relative to
the repository root. Exit status is mypy's (non-zero on any error).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "grc"
CHECKED = ("model_core", "operators", "panels", "grc_blender")


def main() -> int:
    if importlib.util.find_spec("mypy") is None:
        print(f"error: mypy is not installed in {sys.executable}; run `make typecheck-venv`",
              file=sys.stderr)
        return 2
    bpy_spec = importlib.util.find_spec("bpy")
    origin = (bpy_spec.submodule_search_locations or [""])[0] if bpy_spec else ""
    if bpy_spec is None or not (Path(origin) / "types" / "__init__.pyi").is_file():
        print(f"error: fake-bpy-module's bpy stubs are not installed in {sys.executable}",
              file=sys.stderr)
        return 2

    tag = hashlib.sha1(str(ROOT).encode()).hexdigest()[:12]
    link_dir = Path(tempfile.gettempdir()) / f"grc-typecheck-{tag}"
    link_dir.mkdir(parents=True, exist_ok=True)
    link = link_dir / PACKAGE
    if link.is_symlink() or link.exists():
        if link.resolve() != ROOT:
            link.unlink()
    if not link.exists():
        link.symlink_to(ROOT, target_is_directory=True)

    present = [name for name in CHECKED if (ROOT / name / "__init__.py").is_file()]
    for name in CHECKED:
        if name not in present:
            print(f"typecheck: {name}/ does not exist (no __init__.py) - nothing to check there",
                  file=sys.stderr)
    if not present:
        print("typecheck: none of operators/ panels/ grc_blender/ exist yet; nothing checked")
        return 0

    cmd = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "mypy.ini")]
    for name in present:
        cmd += ["-p", f"{PACKAGE}.{name}"]
    env = dict(os.environ)
    env["MYPYPATH"] = str(link_dir)
    # fake-bpy-module's docstrings hold invalid escape sequences: not our errors.
    env["PYTHONWARNINGS"] = "ignore::SyntaxWarning"
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    prefix = f"{link}/"
    for stream, text in ((sys.stdout, proc.stdout), (sys.stderr, proc.stderr)):
        if text:
            stream.write(text.replace(prefix, ""))
    print(f"typecheck: mypy on {', '.join(p + '/' for p in present)} exited {proc.returncode}")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
