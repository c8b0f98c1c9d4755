"""Training state. Capture and reorder wait for a running training; a finished
training lands only in the model that started it and only onto the templates it learned;
polls and redraws never read the stored model string."""
from __future__ import annotations

import time

import bpy
import pytest

from blender_helpers import add_example_and_capture, train_quick, model_of, active_model


def _start_job(grc, steps=100000):
    return grc.api, grc.api.start_training(bpy.context.scene, steps=steps, template_steps=steps)


def _finish(grc, job):
    job.cancel_event.set()
    assert job.finished.wait(60)
    grc.jobs.release(job)
    job.cancelled = False           # pretend it completed: give it a model to land
    job.model = grc.store.get_model(active_model(bpy.context.scene)) if model_of(bpy.context.scene).model_key else None


def test_capture_and_reorder_wait_for_training(grc):
    add_example_and_capture()
    _, job = _start_job(grc)
    try:
        with pytest.raises(RuntimeError, match="training is running"):
            bpy.ops.grc.capture_templates()
        with pytest.raises(RuntimeError, match="training is running"):
            bpy.ops.grc.move_template(direction='DOWN')
    finally:
        grc.jobs.stop()
    assert bpy.ops.grc.capture_templates() == {'FINISHED'}


def test_result_lands_in_its_model_after_renames_and_undo(grc):
    """A result lands in the model that started it, by identity: renaming the scene and
    the model, and an undo that restores an older training token, do not stop it."""
    add_example_and_capture()
    train_quick(steps=20, template_steps=20)
    model = active_model()
    train_mod, job = _start_job(grc)
    _finish(grc, job)
    job.model = grc.model_core.train(grc.store.get_captured(model).template_set(),
                                     config=grc.model_core.train_config(steps=15, template_steps=15))
    bpy.context.scene.name = "Renamed Scene"
    model.name = "Renamed Model"
    model_of().train_token = "an older token (as an undo restores it)"
    ok, msg = train_mod.land(job)
    assert ok, msg
    assert grc.store.get_model(active_model()) is job.model
    assert not model_of().is_training


def test_result_for_a_removed_model_is_dropped_with_a_message(grc):
    add_example_and_capture()
    train_quick(steps=20, template_steps=20)
    other = grc.api.add_model(bpy.context.scene, "Other")
    bpy.context.scene.grc.active_model_index = 0
    train_mod, job = _start_job(grc)
    _finish(grc, job)
    assert model_of().is_training
    assert grc.api.remove_model(bpy.context.scene, 0)
    ok, msg = train_mod.land(job)
    assert not ok and "is gone" in msg and "dropped" in msg
    assert active_model() == other and other.grc_model.model_data == ""
    assert not other.grc_model.is_training


def test_result_is_dropped_if_templates_changed(grc):
    add_example_and_capture()
    train_quick(steps=20, template_steps=20)
    scene = bpy.context.scene
    before = model_of(scene).model_key
    train_mod, job = _start_job(grc)
    _finish(grc, job)
    job.model = grc.model_core.train(grc.store.get_captured(active_model(scene)).template_set(),
                                     config=grc.model_core.train_config(steps=10, template_steps=10))
    cap = grc.store.get_captured(active_model(scene))
    model_of(scene).captured = grc.store.encode_captured(cap.permuted([1, 0]))   # e.g. by a script
    ok, msg = train_mod.land(job)
    assert not ok and "templates changed" in msg
    assert model_of(scene).model_key == before


def test_result_lands_in_its_own_scene(grc):
    add_example_and_capture()
    scene = bpy.context.scene
    train_mod, job = _start_job(grc, steps=30)
    assert job.finished.wait(120)
    grc.jobs.release(job)
    ok, msg = train_mod.land(job)
    assert ok, msg
    assert model_of(scene).model_key


def test_polls_and_redraws_do_not_read_a_huge_model(grc):
    """A 300 MB stored model (refused) must not slow polls: compared with ONE read of the
    string, in the same process."""
    add_example_and_capture()
    scene = bpy.context.scene
    model_of(scene).model_data = "A" * (300 * 1024 * 1024)
    t0 = time.perf_counter()
    assert len(model_of(scene).model_data) > 0
    one_read = time.perf_counter() - t0
    with pytest.raises(grc.model_core.GRCError, match="refusing"):
        grc.store.get_model(active_model(scene))                 # refused once, remembered by key
    t0 = time.perf_counter()
    for _ in range(10):
        with pytest.raises(RuntimeError, match="refusing"):
            bpy.ops.grc.add_petal()
        grc.store.has_model(active_model(scene))
    ten_polls = time.perf_counter() - t0
    assert ten_polls < one_read, (ten_polls, one_read)
