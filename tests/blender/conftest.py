"""Blender tests: the BUILT extension zip installed into a throwaway user folder, in real bpy.

Order matters: BLENDER_USER_RESOURCES must point to a temp folder before bpy is imported,
so the install never touches the developer's own Blender. The zip is built with
tools/build_extension.py (Blender's own builder), installed with
`extensions.package_install_files` and enabled; tests drive it through `bpy.ops.grc.*`.

Subprocess helpers run a fresh Python against the same user folder (fresh-process checks:
enable time without torch, reopening a saved file with torch made unimportable).

The same suite runs on every Blender from 4.2 LTS (`make test-blender VERSION=...`):
- tests that train skip, with the reason, where the installed model_core cannot train in
  this Python (Blender 5.1+ is Python 3.13, for which this machine has no CPU torch); the
  answer comes from training once (blender_helpers.training_unavailable), so they run as
  soon as model_core trains without torch. `train_quick` skips by itself; NEEDS_TRAINING
  names the tests that train another way or need a trained model for their assertions;
- GRC_TEST_ORDER=reverse or GRC_TEST_ORDER=shuffle:<seed> runs the tests in reverse or in a
  seeded random order (each test must pass in any order; `make test-blender ORDER=...`);
- the process ends with os._exit(pytest's exit status) after pytest's summary, see
  pytest_unconfigure below and docs/blender-versions.md.
"""
from __future__ import annotations

import compileall
import importlib
import os
import random
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

# Tests that train other than through blender_helpers.train_quick (bpy.ops.grc.train, the
# api, the jobs thread, model_core) or whose assertions need Train to be available; they skip
# where this Python cannot train (see blender_helpers.training_unavailable). By function name,
# so the list survives moving test files.
NEEDS_TRAINING = frozenset({
    "test_train_operator_equals_api", "test_add_petal_move_and_bake_operators_equal_api",
    "test_identical_templates_train_with_warning", "test_bad_captured_payload_refused_by_train",
    "test_bad_stored_models_are_refused_and_petals_kept", "test_cancel_keeps_previous_model",
    "test_failed_training_keeps_previous_model", "test_file_load_stops_training",
    "test_disable_extension_stops_training", "test_poll_messages_in_each_state",
    "test_three_templates_on_5x9", "test_two_templates_on_12x12",
    "test_two_dimensional_context_animates_and_draws_the_pad",
    "test_new_template_edit_variant_capture_train_reproduces_both",
    "test_invoke_in_background_trains_synchronously", "test_modal_reports_progress_then_writes_model",
    "test_modal_escape_cancels_and_keeps_model",
    "test_result_is_dropped_if_templates_changed", "test_result_lands_in_its_own_scene",
    "test_whole_workflow", "test_loss_curve_image_while_and_after_training",
    "test_capture_and_reorder_wait_for_training",
})
# Tests about torch itself (found, its version): they skip where torch is not importable.
NEEDS_TORCH = frozenset({"test_torch_found_in_this_process"})


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
    package = importlib.import_module(PACKAGE)
    # Blender writes .pyc files on the first enable, so an artist's later enables import
    # compiled code; a PYTHONDONTWRITEBYTECODE environment (CI, this machine) would make every
    # fresh-process test compile the add-on again (0.3 - 0.5 s, over test_enable's limit).
    compileall.compile_dir(str(Path(package.__file__).parent), quiet=1, legacy=False)
    yield package
    try:
        import addon_utils
        addon_utils.disable(PACKAGE)
    finally:
        shutil.rmtree(USER_DIR, ignore_errors=True)


@pytest.fixture(autouse=True)
def _skip_without_training(request, grc_installed):
    from blender_helpers import torch_unavailable, training_unavailable
    name = getattr(request.node, "originalname", request.node.name)
    if name in NEEDS_TORCH and torch_unavailable():
        pytest.skip(torch_unavailable())
    if name in NEEDS_TRAINING and training_unavailable():
        pytest.skip(training_unavailable())


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


# ---- run order -------------------------------------------------------------------------------

def pytest_collection_modifyitems(session, config, items):
    """GRC_TEST_ORDER=reverse | shuffle[:<seed>]: every test must pass in any order."""
    order = os.environ.get("GRC_TEST_ORDER", "").strip()
    if not order:
        return
    kind, _, seed_text = order.partition(":")
    if kind == "reverse":
        items.reverse()
        note = "reversed"
    elif kind == "shuffle":
        seed = int(seed_text) if seed_text else random.SystemRandom().randrange(10_000)
        random.Random(seed).shuffle(items)
        note = f"shuffled with seed {seed} (GRC_TEST_ORDER=shuffle:{seed} repeats it)"
    else:
        raise pytest.UsageError(f"GRC_TEST_ORDER={order!r}: use reverse or shuffle[:<seed>]")
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"GRC_TEST_ORDER: {len(items)} tests {note}")


# ---- exit ------------------------------------------------------------------------------------
# bpy tears Blender down (WM_exit_ex) only when its module object is freed during the
# interpreter's finalization (the module's m_free). When a reference to it survives
# finalization, which happens here once tests outside tests/blender ran in the same process
# after the Blender tests (e.g. `pytest tests`: the model_core tests' torch trainings), that
# teardown never runs, and Blender's C++ static destructors run on a live Blender at exit():
# Blender 4.2 frees Python-registered classes after the interpreter is gone (SIGSEGV in
# bpy_class_free -> PyGILState_Ensure), Blender 4.5 destroys the condition variable its audio
# device's delayed-close thread (sound.cc, new in 4.5) still waits on, so
# pthread_cond_destroy blocks for ever. Measured with gdb: docs/blender-versions.md.
# Everything the tests need is done once pytest has written its summary (session fixtures
# torn down: extension disabled, temp user folder removed), so the process ends there with
# pytest's exit status and skips the teardown that cannot run. GRC_TEST_NATURAL_EXIT=1 keeps
# the normal interpreter exit (to study it).

_exit_status: int | None = None


def pytest_sessionfinish(session, exitstatus):
    global _exit_status
    _exit_status = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    if _exit_status is None or os.environ.get("GRC_TEST_NATURAL_EXIT"):
        return
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except (AttributeError, ValueError, OSError):
            pass
    os._exit(_exit_status)
