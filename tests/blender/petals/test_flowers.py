"""Flowers of the previous version (a root Empty + petal objects, as old files hold them;
one-object flowers: test_flower_object.py). A root's Bloom and Context drive its petals (keyframes, sliders,
drivers); petals carry UVs and a gradient material; a baked flower renders the same frames
with the extension disabled."""
from __future__ import annotations

import math
from types import SimpleNamespace

import bpy
import numpy as np
import pytest

from blender_helpers import (PACKAGE, add_camera, add_example_and_capture,
                             assert_same_without_extension, coords_of,
                             drive_by_empty_x, model_of, render_stills, select_only, train_quick,
                             active_model)

# A flower's petals are read from the model's time table (model_core.infer: Catmull-Rom over
# 512 intervals), generate() computes one petal exactly: they agree within 1e-4 of the
# petals' size (tests/model_core/test_infer.py), as test_flower_object.py checks flowers.
TABLE_ATOL = 1e-4


def _flower(grc, **kw):
    add_example_and_capture()
    train_quick()
    scene = bpy.context.scene
    scene.cursor.location = (1.0, 2.0, 0.5)
    # the previous version's flower (a root Empty + petal objects): old files hold them
    root, _made = grc.api.add_petal_flower(scene, layout=grc.api.FlowerLayout(**kw))
    select_only(root)
    return scene, root, grc.api.flower_petals(root)


def _expected(grc, scene, root, petal):
    """A petal's shape from the model at the flower's documented rule."""
    g, r = petal.grc, root.grc
    time = min(max((r.bloom - g.delay) / (1.0 - g.delay), 0.0), 1.0)
    return grc.store.get_model(active_model(scene)).generate(time, g.context + r.context, g.offset,
                                               rows=g.rows).reshape(-1, 3)


@pytest.mark.parametrize("arrangement", ["WHORLS", "SPIRAL"])
def test_add_flower_lays_out_petals_around_a_root(grc, arrangement):
    scene, root, petals = _flower(grc, petals=11, arrangement=arrangement, per_whorl=4)
    assert root.type == 'EMPTY' and root.grc.is_flower
    assert tuple(root.location) == pytest.approx((1.0, 2.0, 0.5))
    assert len(petals) == 11 and all(p.parent == root for p in petals)
    angles = sorted(round(math.degrees(p.matrix_basis.to_euler('ZYX').z) % 360.0, 3) for p in petals)
    assert len(set(angles)) >= 10                               # petals face different ways
    delays = [p.grc.delay for p in petals]
    assert max(delays) > min(delays) and all(0.0 <= d <= 0.9 for d in delays)
    for p in petals:
        np.testing.assert_allclose(coords_of(p), _expected(grc, scene, root, p), atol=TABLE_ATOL)


def test_bloom_and_context_keys_drive_every_petal(grc):
    scene, root, petals = _flower(grc, petals=6)
    for f, bloom, ctx in ((1, 0.0, 0.0), (20, 1.0, 1.0)):
        root.grc.bloom, root.grc.context = bloom, ctx
        root.keyframe_insert("grc.bloom", frame=f)
        root.keyframe_insert("grc.context", frame=f)
    seen = []
    for f in (1, 8, 14, 20):
        scene.frame_set(f)
        for p in petals:
            np.testing.assert_allclose(coords_of(p), _expected(grc, scene, root, p), atol=TABLE_ATOL,
                                       err_msg=f"{p.name} at frame {f}")
        seen.append(coords_of(petals[0]))
    assert not np.allclose(seen[0], seen[-1])
    # Bloom 0 is the closed bud for every petal, whatever its own context
    scene.frame_set(1)
    model = grc.store.get_model(active_model(scene))
    for p in petals:
        np.testing.assert_allclose(coords_of(p), model.generate(0.0, p.grc.context, p.grc.offset,
                                                               rows=p.grc.rows).reshape(-1, 3), atol=TABLE_ATOL)


def test_bloom_slider_and_driver_regenerate_the_flower(grc):
    scene, root, petals = _flower(grc, petals=5)
    root.grc.bloom = 0.35                                          # slider: update callback
    for p in petals:
        np.testing.assert_allclose(coords_of(p), _expected(grc, scene, root, p), atol=TABLE_ATOL)
    empty = drive_by_empty_x(root, "grc.bloom")
    for x in (0.2, 0.9):
        empty.location.x = x
        bpy.context.view_layer.update()                          # no frame change
        assert root.grc.bloom == pytest.approx(x)
        for p in petals:
            np.testing.assert_allclose(coords_of(p), _expected(grc, scene, root, p), atol=TABLE_ATOL)


def test_petals_have_uvs_and_a_gradient_material(grc):
    scene, root, petals = _flower(grc, petals=3)
    p = petals[0]
    me = p.data
    uv = np.empty(len(me.loops) * 2, np.float32)
    me.uv_layers["UVMap"].data.foreach_get("uv", uv)
    uv = uv.reshape(-1, 2)
    vidx = np.empty(len(me.loops), np.int32)
    me.loops.foreach_get("vertex_index", vidx)
    rows, cols = p.grc.rows, p.grc.cols
    r, c = np.divmod(vidx, cols)
    np.testing.assert_allclose(uv[:, 0], c / (cols - 1), atol=1e-6)   # u across
    np.testing.assert_allclose(uv[:, 1], r / (rows - 1), atol=1e-6)   # v base to tip
    mat = me.materials[0]
    assert mat.name == "GRC Petal" and mat.node_tree is not None
    ramp = next(n for n in mat.node_tree.nodes if n.type == 'VALTORGB')
    assert ramp.inputs["Fac"].is_linked and ramp.outputs["Color"].is_linked
    assert all(q.data.materials[0] == mat for q in petals)            # one shared material


def test_baked_flower_renders_the_same_without_the_extension(grc, tmp_path):
    scene, root, petals = _flower(grc, petals=6)
    for f, bloom in ((1, 0.0), (9, 1.0)):
        root.grc.bloom = bloom
        root.keyframe_insert("grc.bloom", frame=f)
    root.rotation_euler.z = 0.0
    root.keyframe_insert("rotation_euler", frame=1)
    root.rotation_euler.z = 0.6                     # the root moves: baked petals follow it
    root.keyframe_insert("rotation_euler", frame=9)
    for t in model_of(scene).templates:
        bpy.data.objects[t.name].hide_render = True
    add_camera(scene, (1.0, -0.5, 4.5), (0.5, 0.0, 0.0), (96, 72), 'BLENDER_WORKBENCH')
    frames = (1, 4, 6, 9)
    live = render_stills(scene, tmp_path, "live", frames)
    assert np.abs(live[0] - live[-1]).mean() > 1e-3
    select_only(root)
    assert bpy.ops.grc.bake_shape_keys(frame_range='CUSTOM', frame_start=1, frame_end=9,
                                       step=1) == {'FINISHED'}
    assert all(p.hide_render for p in petals)
    baked = [o for o in scene.objects if o.name.endswith(" Baked")]
    assert len(baked) == 6 and all(o.parent == root for o in baked)
    assert_same_without_extension(scene, tmp_path, frames, live)


def test_keyed_rows_rebuild_the_grid_and_bake_refuses_them(grc):
    scene, root, petals = _flower(grc, petals=2)
    p = petals[0]
    for f, rows in ((1, 9), (5, 17)):
        p.grc.rows = rows
        p.keyframe_insert("grc.rows", frame=f)
    scene.frame_set(1)
    assert len(p.data.vertices) == 9 * p.grc.cols
    scene.frame_set(5)
    assert len(p.data.vertices) == 17 * p.grc.cols
    np.testing.assert_allclose(coords_of(p), _expected(grc, scene, root, p), atol=TABLE_ATOL)
    with pytest.raises(grc.model_core.GRCError, match="fixed Rows"):
        grc.api.bake_petals(scene, [p], 1, 5)


def _world(obj) -> np.ndarray:
    m = np.array(obj.matrix_world)
    return coords_of(obj) @ m[:3, :3].T + m[:3, 3]


def test_merged_flower_holds_every_petal_where_it_stood(grc):
    scene, root, petals = _flower(grc, petals=7, per_whorl=4)
    for f, bloom in ((1, 0.2), (9, 0.9)):
        root.grc.bloom = bloom
        root.keyframe_insert("grc.bloom", frame=f)
    scene.frame_set(5)
    bpy.context.view_layer.update()
    separate = np.concatenate([_world(p) for p in petals])
    root.grc.merge_petals = True
    merged = grc.api.merged_flower_object(root)
    assert merged is not None and merged.parent == root
    assert all(p.hide_viewport and p.hide_render for p in petals)
    bpy.context.view_layer.update()
    np.testing.assert_allclose(_world(merged), separate, atol=1e-4)
    scene.frame_set(8)                                       # still follows Bloom
    want = np.concatenate([
        (_expected(grc, scene, root, p) @ np.array(p.matrix_basis)[:3, :3].T
         + np.array(p.matrix_basis)[:3, 3]) for p in petals])
    np.testing.assert_allclose(coords_of(merged), want, atol=1e-4)
    assert len(merged.data.polygons) == 7 * (petals[0].grc.rows - 1) * (petals[0].grc.cols - 1)
    mat = bpy.data.materials.new("Artist")                  # the artist's work on it
    merged.data.materials.append(mat)
    merged.name = "My Flower"
    merged.modifiers.new("Bend", 'SIMPLE_DEFORM')
    child = bpy.data.objects.new("Leaf", None)
    scene.collection.objects.link(child)
    child.parent = merged
    root.grc.merge_petals = False                           # back to separate petals
    assert not any(p.hide_viewport or p.hide_render for p in petals)
    kept = bpy.data.objects.get("My Flower")                # kept, hidden, with all of it
    assert kept is merged and kept.hide_viewport and kept.hide_render
    assert mat.name in kept.data.materials and "Bend" in kept.modifiers
    assert child.parent == kept
    root.grc.merge_petals = True                            # on again: the same object
    assert grc.api.merged_flower_object(root) == kept and not kept.hide_viewport
    scene.frame_set(3)
    want = np.concatenate([
        (_expected(grc, scene, root, p) @ np.array(p.matrix_basis)[:3, :3].T
         + np.array(p.matrix_basis)[:3, 3]) for p in petals])
    np.testing.assert_allclose(coords_of(kept), want, atol=1e-4)


class _BakeStandIn:
    """The bake operator's state and reports, for driving its modal handler headless."""

    def __init__(self, bake_mod, **settings):
        self.frame_range, self.frame_start, self.frame_end = 'SCENE', 1, 250
        self.step, self.hide_live = 1, True
        self.__dict__.update(settings)
        self._baking = None
        self._timer = object()                  # no window here: no real timer
        self.reports = []
        self.ended = False
        cls = bake_mod.GRC_OT_bake_shape_keys
        for name in ("_start", "_finish"):
            setattr(self, name, getattr(cls, name).__get__(self))

    def report(self, level, msg):
        self.reports.append((set(level), msg))

    def _end(self, context):
        self.ended = True


def _modal_bake(grc, cancel_after=None):
    import importlib
    scene, root, petals = _flower(grc, petals=4)
    for f, bloom in ((1, 0.0), (12, 1.0)):
        root.grc.bloom = bloom
        root.keyframe_insert("grc.bloom", frame=f)
    scene.frame_start, scene.frame_end = 1, 12
    scene.frame_set(5)
    select_only(root)
    bake_mod = importlib.import_module(PACKAGE + ".operators.bake")
    bake_mod.SLICE = 0.0                       # one frame a timer event
    op = _BakeStandIn(bake_mod)
    assert op._start(bpy.context)
    timer = SimpleNamespace(type='TIMER', value='NOTHING', timer=op._timer)
    ticks = 0
    result = {'RUNNING_MODAL'}
    while result == {'RUNNING_MODAL'}:
        if cancel_after is not None and ticks == cancel_after:
            esc = SimpleNamespace(type='ESC', value='PRESS', timer=None)
            result = bake_mod.GRC_OT_bake_shape_keys.modal(op, bpy.context, esc)
            break
        result = bake_mod.GRC_OT_bake_shape_keys.modal(op, bpy.context, timer)
        ticks += 1
    return scene, petals, op, result, ticks


def test_modal_bake_samples_a_frame_per_tick_and_finishes(grc):
    scene, petals, op, result, ticks = _modal_bake(grc)
    assert result == {'FINISHED'} and ticks == 12 and op.ended
    assert scene.frame_current == 5                          # the frame as it was
    assert len([o for o in scene.objects if o.name.endswith(" Baked")]) == 4
    assert all(p.hide_render for p in petals)


def test_esc_stops_a_bake_and_changes_nothing(grc):
    scene, petals, op, result, ticks = _modal_bake(grc, cancel_after=3)
    assert result == {'CANCELLED'} and ticks == 3 and op.ended
    assert scene.frame_current == 5
    assert not [o for o in scene.objects if o.name.endswith(" Baked")]
    assert not any(p.hide_render for p in petals)
    assert any("cancelled" in msg for _level, msg in op.reports)


def test_flower_of_a_three_template_2d_model_on_a_5x9_grid(grc):
    """Another grid and a pad of two context values: each petal's values are offsets from
    its root's, on every context field."""
    from blender_helpers import grid_coords, make_template, model_of
    objs = []
    for k in range(3):
        g = grid_coords(9, 5, times=3, bend=0.25, seed=k)
        g[..., 1] *= 1.0 + 0.3 * k                        # three different widths
        objs.append(make_template(f"T{k}", g))
    select_only(*objs)
    assert bpy.ops.grc.capture_templates() == {'FINISHED'}
    train_quick(steps=80, template_steps=80)
    scene = bpy.context.scene
    model = grc.store.get_model(active_model(scene))
    assert model.context.slider_fields == ("context", "context_b")
    root, petals = grc.api.add_petal_flower(scene, layout=grc.api.FlowerLayout(petals=5, seed=1))
    root.grc.context, root.grc.context_b, root.grc.bloom = 0.3, 0.6, 0.8
    for p in petals:
        g, r = p.grc, root.grc
        assert g.context_b == 0.0
        t = min(max((r.bloom - g.delay) / (1.0 - g.delay), 0.0), 1.0)
        want = model.generate(t, (g.context + r.context, g.context_b + r.context_b), g.offset,
                              rows=g.rows).reshape(-1, 3)
        np.testing.assert_allclose(coords_of(p), want, atol=TABLE_ATOL)
        assert len(p.data.vertices) == g.rows * 5


def test_deleting_the_merged_mesh_shows_the_petals_again(grc):
    scene, root, petals = _flower(grc, petals=4)
    root.grc.merge_petals = True
    merged = grc.api.merged_flower_object(root)
    assert all(p.hide_viewport for p in petals)
    bpy.data.objects.remove(merged)
    bpy.context.view_layer.update()
    assert not root.grc.merge_petals
    assert not any(p.hide_viewport or p.hide_render for p in petals)
    root.grc.bloom = 0.4
    for p in petals:
        np.testing.assert_allclose(coords_of(p), _expected(grc, scene, root, p), atol=TABLE_ATOL)


def test_edit_mode_on_a_merged_flower_is_left_alone_and_others_play(grc):
    scene, root, petals = _flower(grc, petals=3)
    root.grc.merge_petals = True
    merged = grc.api.merged_flower_object(root)
    other, others = grc.api.add_petal_flower(scene, layout=grc.api.FlowerLayout(petals=2))
    for r in (root, other):
        for f, b in ((1, 0.0), (9, 1.0)):
            r.grc.bloom = b
            r.keyframe_insert("grc.bloom", frame=f)
    select_only(merged)
    bpy.ops.object.mode_set(mode='EDIT')
    for f in (3, 6):                                  # no error; the other flower lives on
        scene.frame_set(f)
        grc.petals.sync(scene, bpy.context.evaluated_depsgraph_get())   # raises nothing
        for p in others:
            np.testing.assert_allclose(coords_of(p), _expected(grc, scene, other, p),
                                       atol=TABLE_ATOL)
    bpy.ops.object.mode_set(mode='OBJECT')
    scene.frame_set(8)
    want = np.concatenate([
        (_expected(grc, scene, root, p) @ np.array(p.matrix_basis)[:3, :3].T
         + np.array(p.matrix_basis)[:3, 3]) for p in petals])
    np.testing.assert_allclose(coords_of(merged), want, atol=1e-4)
