"""The interactive training path (grc.train invoke -> modal), driven headless.

Background bpy has no window, so invoke() trains synchronously there; the modal handler
that the UI uses is exercised here by calling GRC_OT_train.modal with fake TIMER/ESC
events on a stand-in operator, against a real background thread."""
from __future__ import annotations

import importlib
import time
from types import SimpleNamespace

import bpy

from blender_helpers import PACKAGE, add_example_and_capture, train_quick, model_of


class FakeOperator:
    def __init__(self):
        self._timer = object()
        self.reports = []
        self.ended = False

    def report(self, level, msg):
        self.reports.append((set(level), msg))

    def _end(self, context):
        self.ended = True


def _start(grc, steps):
    train_mod = importlib.import_module(PACKAGE + ".operators.train")
    job = grc.api.start_training(bpy.context.scene, steps=steps, template_steps=steps)
    return train_mod, job


def _pump(train_mod, op, until, timeout=120.0):
    timer = SimpleNamespace(type='TIMER', value='NOTHING', timer=op._timer)
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = train_mod.GRC_OT_train.modal(op, bpy.context, timer)
        if until(result):
            return result
        time.sleep(0.05)
    raise AssertionError("modal loop did not reach the expected state")


def test_modal_reports_progress_then_writes_model(grc):
    add_example_and_capture()
    train_mod, job = _start(grc, steps=200)
    op = FakeOperator()
    g = model_of(bpy.context.scene)
    # Other events pass through: the interface stays usable while training.
    other = SimpleNamespace(type='MOUSEMOVE', value='NOTHING', timer=None)
    assert train_mod.GRC_OT_train.modal(op, bpy.context, other) == {'PASS_THROUGH'}
    _pump(train_mod, op, lambda r: g.progress > 0 or r != {'PASS_THROUGH'})
    assert g.is_training or job.finished.is_set()
    result = _pump(train_mod, op, lambda r: r != {'PASS_THROUGH'})
    assert result == {'FINISHED'} and op.ended
    assert g.model_data and not g.is_training and g.progress == 1.0 and g.loss_text
    assert grc.jobs.current() is None


def test_modal_escape_cancels_and_keeps_model(grc):
    add_example_and_capture()
    train_quick(steps=20, template_steps=20)
    g = model_of(bpy.context.scene)
    before = g.model_data
    train_mod, job = _start(grc, steps=100000)
    op = FakeOperator()
    _pump(train_mod, op, lambda r: job.snapshot()[0] > 0)
    esc = SimpleNamespace(type='ESC', value='PRESS', timer=None)
    assert train_mod.GRC_OT_train.modal(op, bpy.context, esc) == {'RUNNING_MODAL'}
    result = _pump(train_mod, op, lambda r: r != {'PASS_THROUGH'})
    assert result == {'CANCELLED'} and job.cancelled
    assert g.model_data == before and not g.is_training
    assert "cancelled" in g.status


def test_modal_ends_when_job_was_stopped(grc):
    add_example_and_capture()
    train_mod, job = _start(grc, steps=100000)
    grc.jobs.stop()                      # what load_pre / unregister do
    op = FakeOperator()
    timer = SimpleNamespace(type='TIMER', value='NOTHING', timer=op._timer)
    assert train_mod.GRC_OT_train.modal(op, bpy.context, timer) == {'CANCELLED'}
    assert not job.thread.is_alive()


def test_invoke_in_background_trains_synchronously(grc):
    add_example_and_capture()
    g = model_of(bpy.context.scene)
    g.steps, g.template_steps = 20, 20
    assert bpy.app.background
    assert bpy.ops.grc.train('INVOKE_DEFAULT') == {'FINISHED'}
    assert g.model_data and not g.is_training and grc.jobs.current() is None
