"""Undo after capture and after train restores the earlier state, no crash.

Headless note: bpy.ops called from Python do not push undo steps by themselves; an
explicit `bpy.ops.ed.undo_push()` after each operator records the step, and then
`bpy.ops.ed.undo()` / `redo()` work in background mode (memfile undo, 32 steps). The
undo_post/redo_post handlers drop the decoded-model cache.
"""
from __future__ import annotations

import bpy
import numpy as np

from blender_helpers import add_example_and_capture, coords_of, train_quick, model_of, active_model


def test_undo_capture_and_train(grc):
    bpy.ops.ed.undo_push(message="empty")
    assert bpy.ops.grc.add_example_templates() == {'FINISHED'}
    bpy.ops.ed.undo_push(message="example")
    assert bpy.ops.grc.capture_templates() == {'FINISHED'}
    bpy.ops.ed.undo_push(message="capture")
    captured = model_of(bpy.context.scene).captured
    train_quick()
    bpy.ops.ed.undo_push(message="train")
    key = model_of(bpy.context.scene).model_key
    assert key and grc.store.get_model(active_model(bpy.context.scene)) is not None

    assert bpy.ops.ed.undo() == {'FINISHED'}          # undo train
    g = model_of(bpy.context.scene)                     # re-fetch: undo swaps ID data
    assert g.model_data == "" and g.model_key == "" and len(g.fidelity) == 0
    assert g.captured == captured and not g.is_training
    assert grc.store.get_model(active_model(bpy.context.scene)) is None
    assert grc.store._models == {}                      # cache dropped by undo_post

    assert bpy.ops.ed.undo() == {'FINISHED'}          # undo capture
    assert model_of(bpy.context.scene) is None          # the model the capture added, too
    assert {"Petal A Open", "Petal B Cup"} <= set(bpy.data.objects.keys())

    assert bpy.ops.ed.redo() == {'FINISHED'}
    assert bpy.ops.ed.redo() == {'FINISHED'}
    g = model_of(bpy.context.scene)
    assert g.captured == captured and g.model_key == key
    assert grc.store.get_model(active_model(bpy.context.scene)) is not None
    assert [t.obj.name for t in g.templates] == ["Petal A Open", "Petal B Cup"]


def test_undo_retrain_keeps_petal_working(grc):
    add_example_and_capture()
    train_quick()
    assert bpy.ops.grc.add_petal() == {'FINISHED'}
    petal_name = bpy.context.active_object.name
    bpy.ops.ed.undo_push(message="petal")
    first = coords_of(bpy.data.objects[petal_name])
    model_of(bpy.context.scene).seed = 7
    train_quick(steps=40, template_steps=40)
    bpy.ops.ed.undo_push(message="retrain")
    assert not np.allclose(coords_of(bpy.data.objects[petal_name]), first)
    assert bpy.ops.ed.undo() == {'FINISHED'}
    petal = bpy.data.objects[petal_name]
    petal.grc.context = 0.0                             # regenerate from the restored model
    np.testing.assert_allclose(coords_of(petal), first, atol=1e-6)
