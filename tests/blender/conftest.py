"""Blender tests: the BUILT extension zip installed into a throwaway user folder, in real bpy.

Order matters: BLENDER_USER_RESOURCES must point to a temp folder before bpy is imported,
so the install never touches the developer's own Blender. The zip is built with
tools/build_extension.py (Blender's own builder), installed with
`extensions.package_install_files` and enabled; tests drive it through `bpy.ops.grc.*`.

Subprocess helpers run a fresh Python against the same user folder (fresh-process checks:
enable time without torch, reopening a saved file with torch made unimportable).
"""
from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
USER_DIR = Path(tempfile.mkdtemp(prefix="grc-blender-user-"))

if "bpy" in sys.modules and os.environ.get("BLENDER_USER_RESOURCES") != str(USER_DIR):
    # Another conftest imported bpy first: installing would write to the wrong user folder.
    if not os.environ.get("BLENDER_USER_RESOURCES"):
        raise RuntimeError("bpy was imported before tests/blender/conftest.py could set "
                           "BLENDER_USER_RESOURCES")
    USER_DIR = Path(os.environ["BLENDER_USER_RESOURCES"])
os.environ["BLENDER_USER_RESOURCES"] = str(USER_DIR)

import bpy  # noqa: E402  (after BLENDER_USER_RESOURCES on purpose)

PACKAGE = "bl_ext.user_default.grc"


def build_zip(out_dir: Path) -> Path:
    tool = ROOT / "tools" / "build_extension.py"
    if tool.is_file():
        cmd = [sys.executable, str(tool), "build", "--output-dir", str(out_dir)]
    else:
        cli = next(Path(bpy.__file__).parent.glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
        cmd = [sys.executable, str(cli), "build", "--source-dir", str(ROOT),
               "--output-dir", str(out_dir)]
    out_dir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    zips = sorted(out_dir.glob("grc-*.zip"))
    assert zips, f"no zip in {out_dir}: {proc.stdout}{proc.stderr}"
    return zips[0]


@pytest.fixture(scope="session")
def grc_zip(tmp_path_factory) -> Path:
    return build_zip(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session", autouse=True)
def grc_installed(grc_zip):
    if PACKAGE not in bpy.context.preferences.addons:
        result = bpy.ops.extensions.package_install_files(
            filepath=str(grc_zip), repo="user_default", enable_on_install=True)
        assert result == {'FINISHED'}
    assert PACKAGE in bpy.context.preferences.addons, "the extension did not enable"
    yield importlib.import_module(PACKAGE)
    try:
        import addon_utils
        addon_utils.disable(PACKAGE)
    finally:
        shutil.rmtree(USER_DIR, ignore_errors=True)


@pytest.fixture(autouse=True)
def clean_scene(grc_installed):
    """An empty file per test; the extension (a preference, not file data) stays enabled."""
    jobs = importlib.import_module(PACKAGE + ".grc_blender.training.jobs")
    jobs.stop()
    bpy.ops.wm.read_homefile(use_empty=True)
    assert PACKAGE in bpy.context.preferences.addons
    assert hasattr(bpy.types.Scene, "grc") and hasattr(bpy.types.Object, "grc")
    yield
    jobs.stop()


@pytest.fixture
def grc(grc_installed):
    """Namespace of the installed package's modules (as Blender imported them)."""
    class NS:
        pkg = grc_installed
        store = importlib.import_module(PACKAGE + ".grc_blender.store")
        petals = importlib.import_module(PACKAGE + ".grc_blender.petals.live")
        mesh_grid = importlib.import_module(PACKAGE + ".grc_blender.util.mesh_grid")
        jobs = importlib.import_module(PACKAGE + ".grc_blender.training.jobs")
        api = importlib.import_module(PACKAGE + ".grc_blender.api")
        anim = importlib.import_module(PACKAGE + ".grc_blender.util.anim")
        overlay = importlib.import_module(PACKAGE + ".grc_blender.templates.overlay")
        overlay_geometry = importlib.import_module(PACKAGE + ".grc_blender.templates.overlay_geometry")
        fingerprint = importlib.import_module(PACKAGE + ".grc_blender.templates.fingerprint")
        capture_frames = importlib.import_module(PACKAGE + ".grc_blender.templates.capture_frames")
        model_core = importlib.import_module(PACKAGE + ".model_core")
        limits = importlib.import_module(PACKAGE + ".model_core.limits")
    return NS


# The installed extension's own modules (the trace image glue and the numpy plot).
@pytest.fixture
def trace_image(grc_installed):
    return importlib.import_module(PACKAGE + ".grc_blender.views.trace_image")


@pytest.fixture
def plot(grc_installed):
    return importlib.import_module(PACKAGE + ".model_core.plots.plot")
