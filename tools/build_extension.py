"""Build and validate the GRC extension zip with Blender's own extension tool.

Blender's extension builder (``blender_ext.py``, what ``blender --command extension build``
runs) ships inside the ``bpy`` wheel, so no Blender binary is needed: run this with the
project's ``.venv`` Python (``make build`` / ``make validate``).

    python tools/build_extension.py build      [--source-dir .] [--output-dir dist] [--split-platforms]
    python tools/build_extension.py validate   [PATH]   # a source folder or a built zip
    python tools/build_extension.py contents   ZIP      # list a zip, fail on dev files

The tags are checked against Blender's own list (``_bpy_internal/extensions/tags.py``),
as ``blender --command extension validate`` does; the bare CLI skips that check.

Also importable (``tools/`` on sys.path): ``build()``, ``validate()``, ``check_zip()``.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"

# Entries the extension zip must hold, and top-level names it must never hold.
REQUIRED_ENTRIES = ("__init__.py", "blender_manifest.toml", "model_core/", "grc_blender/",
                    "operators/", "panels/")
FORBIDDEN_TOP_LEVEL = ("tests", "bench", "docs", ".ci", "tools", "requirements", "out",
                       "dist", "Makefile", "mypy.ini", "pyproject.toml", "README.md",
                       ".git", ".gitignore", ".venv", ".venv-typecheck", ".hypothesis",
                       ".pytest_cache", ".mypy_cache")
FORBIDDEN_ANYWHERE = ("__pycache__/", ".pyc")


class BuildError(RuntimeError):
    pass


def bpy_scripts_dir() -> Path:
    """``site-packages/bpy/<major.minor>/scripts`` of the installed bpy wheel (not imported)."""
    spec = importlib.util.find_spec("bpy")
    if spec is None or not spec.submodule_search_locations:
        raise BuildError(
            "the bpy wheel is not installed in this Python "
            f"({sys.executable}); run `make venv` and use .venv/bin/python")
    for location in spec.submodule_search_locations:
        found = sorted(Path(location).glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
        if found:
            return found[-1].parents[3]
    raise BuildError("blender_ext.py not found inside the installed bpy package")


def blender_ext_cli() -> Path:
    return bpy_scripts_dir() / "addons_core" / "bl_pkg" / "cli" / "blender_ext.py"


def blender_valid_tags() -> Path:
    return bpy_scripts_dir() / "modules" / "_bpy_internal" / "extensions" / "tags.py"


def read_manifest(source_dir: Path = ROOT) -> dict:
    with open(source_dir / "blender_manifest.toml", "rb") as fh:
        return tomllib.load(fh)


def _run_cli(args: list[str], quiet: bool = False) -> str:
    cmd = [sys.executable, str(blender_ext_cli()), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    out = (proc.stdout + proc.stderr).strip()
    if proc.returncode != 0 or "FATAL_ERROR" in out or out.startswith("Error"):
        raise BuildError(f"{' '.join(args[:1])} failed (exit {proc.returncode}):\n{out}")
    if not quiet and out:
        print(out)
    return out


def validate(path: Path = ROOT, quiet: bool = False) -> str:
    """Run Blender's validator on a source folder or a built zip; raise BuildError on failure."""
    return _run_cli(["validate", "--valid-tags", str(blender_valid_tags()), str(path)], quiet)


def default_zip(source_dir: Path = ROOT, output_dir: Path = DIST) -> Path:
    """The path ``build()`` writes without --split-platforms: dist/<id>-<version>.zip."""
    manifest = read_manifest(source_dir)
    return Path(output_dir) / f"{manifest['id']}-{manifest['version']}.zip"


def build(source_dir: Path = ROOT, output_dir: Path = DIST, split_platforms: bool = False,
          quiet: bool = False) -> list[Path]:
    """Build the extension zip(s) from ``source_dir`` into ``output_dir``; return their paths."""
    source_dir = Path(source_dir).resolve()
    output_dir = Path(output_dir).resolve()
    output_dir.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(source_dir)
    stem = f"{manifest['id']}-{manifest['version']}"
    if split_platforms:
        expected = [output_dir / f"{stem}-{p.replace('-', '_')}.zip" for p in manifest["platforms"]]
    else:
        expected = [output_dir / f"{stem}.zip"]
    for zip_path in expected:
        zip_path.unlink(missing_ok=True)
    args = ["build", "--source-dir", str(source_dir), "--output-dir", str(output_dir),
            "--valid-tags", str(blender_valid_tags())]
    if split_platforms:
        args.append("--split-platforms")
    _run_cli(args, quiet=quiet)
    missing = [str(p) for p in expected if not p.is_file()]
    if missing:
        raise BuildError(f"the builder reported success but wrote no {', '.join(missing)}")
    return expected


def check_zip(zip_path: Path, required: tuple[str, ...] = REQUIRED_ENTRIES) -> list[str]:
    """Return the zip's entry names; raise BuildError if a required entry is missing or a
    dev file (tests, docs, tools, caches, ...) slipped in."""
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
    problems = []
    for entry in required:
        if entry.endswith("/"):
            ok = any(n.startswith(entry) for n in names)
        else:
            ok = entry in names
        if not ok:
            problems.append(f"missing {entry}")
    for name in names:
        top = name.split("/", 1)[0]
        if top in FORBIDDEN_TOP_LEVEL:
            problems.append(f"dev file in zip: {name}")
        elif any(bad in name for bad in FORBIDDEN_ANYWHERE):
            problems.append(f"cache file in zip: {name}")
    if problems:
        raise BuildError(f"{zip_path.name}:\n  " + "\n  ".join(problems))
    return names


def _size(path: Path) -> str:
    return f"{path.stat().st_size / 1e6:.2f} MB" if path.stat().st_size > 1e6 else \
        f"{path.stat().st_size / 1e3:.1f} kB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_build = sub.add_parser("build", help="build the extension zip")
    p_build.add_argument("--source-dir", type=Path, default=ROOT)
    p_build.add_argument("--output-dir", type=Path, default=DIST)
    p_build.add_argument("--split-platforms", action="store_true")
    p_build.add_argument("--no-check", action="store_true",
                         help="skip the zip content check (required entries, no dev files)")
    p_val = sub.add_parser("validate", help="run Blender's validator")
    p_val.add_argument("paths", type=Path, nargs="*", help="source folders or zips (default: .)")
    p_val.add_argument("--built", action="store_true",
                       help="also validate the zip `build` writes (dist/<id>-<version>.zip)")
    p_contents = sub.add_parser("contents", help="list a zip and check it holds no dev files")
    p_contents.add_argument("zip", type=Path)
    args = parser.parse_args(argv)

    try:
        if args.command == "build":
            for zip_path in build(args.source_dir, args.output_dir, args.split_platforms,
                                  quiet=True):
                if not args.no_check:
                    names = check_zip(zip_path)
                    print(f"built {zip_path.relative_to(ROOT) if zip_path.is_relative_to(ROOT) else zip_path}"
                          f" ({_size(zip_path)}, {len(names)} entries, no dev files)")
                else:
                    print(f"built {zip_path} ({_size(zip_path)})")
        elif args.command == "validate":
            paths = list(args.paths) or ([] if args.built else [ROOT])
            if args.built:
                paths.append(default_zip())
            for path in paths:
                if not path.exists():
                    raise BuildError(f"{path} does not exist (run `make build` first)")
                validate(path)
        elif args.command == "contents":
            for name in check_zip(args.zip):
                print(name)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
