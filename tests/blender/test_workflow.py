"""The whole artist workflow through bpy.ops.grc.* in one test.

This is the ONE Blender test that trains with the default settings (the seed's
reconstruction target); every other test trains a few dozen steps.
"""
from __future__ import annotations

import bpy
import numpy as np

from blender_helpers import add_example_and_capture, coords_of, model_of, active_model

MEAN_TARGET_PCT = 0.5   # model_core reconstruction target, % of the template's bbox diagonal
MAX_TARGET_PCT = 2.0


def _errors_pct(got: np.ndarray, want: np.ndarray, diag: float) -> tuple[float, float]:
    d = np.linalg.norm(got - want, axis=-1)
    return 100.0 * d.mean() / diag, 100.0 * d.max() / diag


def test_whole_workflow(grc):
    scene = bpy.context.scene
    add_example_and_capture()
    cap = grc.store.get_captured(active_model(scene))
    assert cap.shape == (2, 7, 7, 7)

    assert bpy.ops.grc.train() == {'FINISHED'}          # default settings, synchronous
    g = model_of(scene)
    assert g.model_data and g.model_key and not g.is_training
    assert len(g.fidelity) == 2 and g.model_summary

    assert bpy.ops.grc.add_petal() == {'FINISHED'}
    petal = bpy.context.active_object
    assert petal.grc.is_petal and petal.modifiers.get("GRC Subdivision") is not None
    assert len(petal.data.vertices) == 25 * 7            # default 25 output rows
    assert len(petal.data.polygons) == 24 * 6

    # Context 0 and 1 reproduce the templates at their keyframe times (rows = captured rows).
    petal.grc.rows = 7
    model = grc.store.get_model(active_model(scene))
    diags = cap.template_set().diagonals()
    shapes = {}
    accuracy = []
    for k, alpha in enumerate((0.0, 1.0)):
        petal.grc.context = alpha
        means, maxes = [], []
        for t, time in enumerate(cap.times):
            petal.grc.time = float(time)
            got = coords_of(petal).reshape(7, 7, 3)
            # The glue writes exactly what the model generates...
            np.testing.assert_allclose(
                got, model.generate(float(time), alpha, 0.0, rows=7), atol=1e-5)
            shapes[k, t] = got
            mean, mx = _errors_pct(got, cap.coords[k, t], diags[k])
            means.append(mean)
            maxes.append(mx)
        # Checked at the end, so the rest of the workflow is exercised even when the
        # model misses the target (that is model_core's to fix, the glue's is below).
        accuracy.append((k, float(np.mean(means)), float(max(maxes))))

    # Context 0.5 lies between the two templates (at every keyframe time past the shared bud).
    petal.grc.context = 0.5
    for t, time in enumerate(cap.times):
        petal.grc.time = float(time)
        mid = coords_of(petal).reshape(7, 7, 3)
        a, b = shapes[0, t], shapes[1, t]
        span = np.linalg.norm(a - b, axis=-1).mean()
        if span < 1e-3 * diags.max():
            continue  # time 0: both templates are the same closed bud
        da, db = np.linalg.norm(mid - a, axis=-1).mean(), np.linalg.norm(mid - b, axis=-1).mean()
        assert da < span and db < span, (t, da, db, span)
        assert min(da, db) > 0.1 * span, (t, da, db, span)

    # Keyframed context 0 -> 1 over frames 1..48 changes the mesh on frame_set.
    petal.grc.time = 1.0
    petal.grc.rows = 25
    petal.grc.context = 0.0
    assert petal.keyframe_insert("grc.context", frame=1)
    petal.grc.context = 1.0
    assert petal.keyframe_insert("grc.context", frame=48)
    seen = {}
    for frame in (1, 24, 48):
        scene.frame_set(frame)
        seen[frame] = coords_of(petal)
    assert abs(petal.grc.context - 1.0) < 1e-6       # animation wrote the property
    assert not np.allclose(seen[1], seen[24]) and not np.allclose(seen[24], seen[48])
    np.testing.assert_allclose(seen[1], model.generate(1.0, 0.0, 0.0, rows=25).reshape(-1, 3),
                               atol=1e-5)
    np.testing.assert_allclose(seen[48], model.generate(1.0, 1.0, 0.0, rows=25).reshape(-1, 3),
                               atol=1e-5)

    # Bake: one shape key per frame, each matching the generated mesh on its frame.
    scene.frame_start, scene.frame_end = 1, 48
    bpy.context.view_layer.objects.active = petal
    assert bpy.ops.grc.bake_shape_keys() == {'FINISHED'}
    baked = bpy.data.objects[petal.name + " Baked"]
    assert not baked.grc.is_petal
    keys = baked.data.shape_keys.key_blocks
    assert len(keys) == 48 + 1                         # Basis + one per frame
    for frame in (1, 13, 24, 48):
        scene.frame_set(frame)
        want = coords_of(petal)
        kb = keys[f"frame {frame}"]
        co = np.empty(len(kb.data) * 3, dtype=np.float32)
        kb.data.foreach_get("co", co)
        np.testing.assert_allclose(co.reshape(-1, 3), want, atol=1e-6)
        active = [k.name for k in keys[1:] if k.value > 1e-6]
        assert active == [f"frame {frame}"], (frame, active)
        # The evaluated (shape-key mixed) mesh plays back the petal without the extension.
        baked.modifiers["GRC Subdivision"].show_viewport = False
        dg = bpy.context.evaluated_depsgraph_get()
        ev = baked.evaluated_get(dg)
        m = ev.to_mesh()
        got = np.empty(len(m.vertices) * 3, dtype=np.float32)
        m.vertices.foreach_get("co", got)
        ev.to_mesh_clear()
        np.testing.assert_allclose(got.reshape(-1, 3), want, atol=1e-5)

    for k, mean, mx in accuracy:
        assert mean <= MEAN_TARGET_PCT and mx <= MAX_TARGET_PCT, (
            f"template {k}: mean {mean:.3f}% / max {mx:.3f}% of its bbox diagonal, target "
            f"{MEAN_TARGET_PCT}% / {MAX_TARGET_PCT}%")
