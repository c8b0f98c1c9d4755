"""A flower is ONE object (issue 19): its mesh holds every petal, and every ordinary edit of
a mesh object works on it: Shift+D, Alt+D, Ctrl+A, delete, Edit Mode, undo, layout edits,
rings from two models, Separate Petals, one bad value stopping one petal. Shapes are
asserted frame by frame against the model at the documented rule."""
from __future__ import annotations

import importlib

import bmesh
import bpy
import numpy as np
import pytest

from blender_helpers import (PACKAGE, active_model, add_example_and_capture, coords_of,
                             select_only, train_quick)


def _layout_mod():
    return importlib.import_module(PACKAGE + ".grc_blender.petals.flower_object")


def _trained():
    add_example_and_capture()
    train_quick()
    return bpy.context.scene


def _flower(**kw):
    scene = _trained()
    assert bpy.ops.grc.add_flower(**kw) == {'FINISHED'}
    return scene, bpy.context.active_object


def expected(grc, flower, depsgraph=None) -> np.ndarray:
    """Every petal from the model at the flower's rule, placed: (V, 3) in mesh space."""
    g = flower.evaluated_get(depsgraph).grc if depsgraph is not None else flower.grc
    place = _layout_mod().placement_of(flower)
    applied = np.array(flower.grc.applied).reshape(4, 4)
    out = []
    for k in range(len(place.ring)):
        model = grc.store.get_model(place.models[int(place.ring[k])])
        d = place.delay[k]
        t = min(max((g.bloom - d) / (1.0 - d), 0.0), 1.0)
        ctx = [getattr(g, f) for f in model.context.slider_fields]
        ctx[0] += place.context[k]
        grid = model.generate(t, ctx, place.offset[k], rows=g.rows).reshape(-1, 3)
        m = applied @ place.matrices[k]
        out.append(grid @ m[:3, :3].T + m[:3, 3])
    return np.concatenate(out)


def _key_bloom(flower, frames=((1, 0.0), (20, 1.0))):
    for f, b in frames:
        flower.grc.bloom = b
        flower.keyframe_insert("grc.bloom", frame=f)


def _message(grc, scene) -> str:
    return grc.petals.LIVE.last_error.get(scene.name, "")


def test_a_new_flower_is_one_mesh_object_holding_its_petals(grc):
    scene, flower = _flower(petals=8)
    assert flower.type == 'MESH' and flower.grc.is_flower and not flower.children
    assert [r.count for r in flower.grc.rings] == [5, 3]
    mesh = flower.data
    assert len(mesh.vertices) == 8 * flower.grc.rows * grc.store.get_model(
        active_model(scene)).n_cols
    idx = np.empty(len(mesh.polygons), np.int32)
    mesh.attributes["petal_index"].data.foreach_get("value", idx)
    assert sorted(set(idx.tolist())) == list(range(8))
    rnd = np.empty(len(mesh.polygons), np.float32)
    mesh.attributes["petal_random"].data.foreach_get("value", rnd)
    assert 0.0 <= rnd.min() and rnd.max() <= 1.0 and len(set(rnd.tolist())) == 8
    mat = np.empty(len(mesh.polygons), np.int32)
    mesh.polygons.foreach_get("material_index", mat)
    assert set(mat.tolist()) == {0, 1} and len(mesh.materials) == 2   # a slot per ring
    assert "UVMap" in mesh.uv_layers
    _key_bloom(flower)
    for f in (1, 7, 13, 20):
        scene.frame_set(f)
        np.testing.assert_allclose(coords_of(flower), expected(grc, flower), atol=1e-4,
                                   err_msg=f"frame {f}")


def test_layout_is_editable_any_time_and_keyframeable(grc):
    scene, flower = _flower(petals=8)
    before = coords_of(flower)
    flower.grc.tilt = 0.9                            # regenerates at once
    assert not np.allclose(coords_of(flower), before)
    np.testing.assert_allclose(coords_of(flower), expected(grc, flower), atol=1e-4)
    flower.grc.rings[1].count = 6                    # the count: the mesh grows
    assert len(np.unique(_petal_index(flower))) == 11
    flower.grc.context = 1e30                        # extreme: clamped at the door
    assert flower.grc.context == grc.limits.CONTEXT_LIMIT
    flower.grc.context = 0.5
    np.testing.assert_allclose(coords_of(flower), expected(grc, flower), atol=1e-4)
    flower.grc.rows = 9                              # Rows: the topology is rebuilt
    assert len(flower.data.vertices) == 11 * 9 * grc.store.get_model(
        active_model(scene)).n_cols
    np.testing.assert_allclose(coords_of(flower), expected(grc, flower), atol=1e-4)
    flower.grc.rings[0].count = 0                    # an empty ring: only the other's petals
    assert len(np.unique(_petal_index(flower))) == 6
    np.testing.assert_allclose(coords_of(flower), expected(grc, flower), atol=1e-4)
    flower.grc.rings[0].count = 5
    for f, tilt in ((1, 0.2), (10, 1.2)):            # keyed tilt follows frame by frame
        flower.grc.tilt = tilt
        flower.keyframe_insert("grc.tilt", frame=f)
    for f in (1, 5, 10):
        scene.frame_set(f)
        np.testing.assert_allclose(coords_of(flower), expected(grc, flower), atol=1e-4)
    assert not bpy.types.Object.bl_rna.properties["grc"].fixed_type.properties[
        "seed"].is_animatable


def _petal_index(flower):
    idx = np.empty(len(flower.data.polygons), np.int32)
    flower.data.attributes["petal_index"].data.foreach_get("value", idx)
    return idx


def test_shift_d_copies_animate_on_their_own(grc):
    scene, flower = _flower(petals=6)
    _key_bloom(flower)
    select_only(flower)
    assert bpy.ops.object.duplicate() == {'FINISHED'}
    copy = bpy.context.active_object
    assert copy != flower and copy.data != flower.data
    copy.animation_data_clear()
    copy.grc.bloom = 0.25
    for f in (1, 10, 20):
        scene.frame_set(f)
        np.testing.assert_allclose(coords_of(flower), expected(grc, flower), atol=1e-4)
        np.testing.assert_allclose(coords_of(copy), expected(grc, copy), atol=1e-4)
    assert not np.allclose(coords_of(flower), coords_of(copy))


def test_alt_d_gives_each_flower_its_own_mesh(grc):
    scene, flower = _flower(petals=6)
    _key_bloom(flower)
    select_only(flower)
    assert bpy.ops.object.duplicate(linked=True) == {'FINISHED'}
    copy = bpy.context.active_object
    copy.animation_data_clear()
    copy.grc.bloom = 0.3
    for f in (1, 10, 20):
        scene.frame_set(f)
        assert flower.data != copy.data
        np.testing.assert_allclose(coords_of(flower), expected(grc, flower), atol=1e-4)
        np.testing.assert_allclose(coords_of(copy), expected(grc, copy), atol=1e-4)


@pytest.mark.parametrize("what", ["location", "rotation", "scale", "all"])
def test_ctrl_a_is_folded_in_and_the_flower_stays_live(grc, what):
    scene, flower = _flower(petals=6)
    _key_bloom(flower)
    scene.frame_set(10)
    flower.location = (1.0, -2.0, 0.5)
    flower.rotation_euler = (0.3, 0.2, 1.1)
    flower.scale = (1.5, 1.5, 0.8)
    bpy.context.view_layer.update()
    world = np.array(flower.matrix_world)
    before = coords_of(flower) @ world[:3, :3].T + world[:3, 3]
    select_only(flower)
    kw = {k: what in (k, "all") for k in ("location", "rotation", "scale")}
    assert bpy.ops.object.transform_apply(**kw) == {'FINISHED'}
    bpy.context.view_layer.update()
    assert not flower.grc.hand_edited
    assert not np.allclose(np.array(flower.grc.applied), np.eye(4).ravel())   # folded in
    assert np.allclose(np.array(flower.matrix_basis)[:3, 3], 0.0) or what not in ("location", "all")
    for f in (10, 3, 17):
        scene.frame_set(f)
        world = np.array(flower.matrix_world)
        placed = coords_of(flower) @ world[:3, :3].T + world[:3, 3]
        np.testing.assert_allclose(coords_of(flower), expected(grc, flower), atol=2e-4)
        if f == 10:          # where the petals stood, once (not twice) transformed
            np.testing.assert_allclose(placed, before, atol=2e-4)


def test_edit_mode_is_left_alone_and_a_hand_edit_is_kept(grc):
    scene, flower = _flower(petals=6)
    other = bpy.context.scene.objects.get(flower.name)
    _key_bloom(flower)
    assert bpy.ops.grc.add_flower(petals=4) == {'FINISHED'}
    second = bpy.context.active_object
    _key_bloom(second)
    select_only(flower)
    bpy.ops.object.mode_set(mode='EDIT')
    for f in (3, 8):                               # no error, the other flower lives on
        scene.frame_set(f)
        np.testing.assert_allclose(coords_of(second), expected(grc, second), atol=1e-4)
    bm = bmesh.from_edit_mesh(flower.data)
    bm.verts.ensure_lookup_table()
    bm.verts[30].co.z += 0.5
    bmesh.update_edit_mesh(flower.data)
    bpy.ops.object.mode_set(mode='OBJECT')
    bpy.context.view_layer.update()
    assert other.grc.hand_edited
    edited = coords_of(flower)
    scene.frame_set(15)
    np.testing.assert_array_equal(coords_of(flower), edited)
    np.testing.assert_allclose(coords_of(second), expected(grc, second), atol=1e-4)
    assert "edited by hand" in _message(grc, scene)
    old = flower.data
    assert bpy.ops.grc.reset_petal() == {'FINISHED'}
    assert flower.data != old and old.use_fake_user       # the old mesh is kept
    scene.frame_set(16)
    np.testing.assert_allclose(coords_of(flower), expected(grc, flower), atol=1e-4)


def test_deleting_a_flower_leaves_the_others_animating(grc):
    scene, flower = _flower(petals=5)
    assert bpy.ops.grc.add_flower(petals=3) == {'FINISHED'}
    second = bpy.context.active_object
    _key_bloom(second)
    scene.frame_set(4)
    bpy.data.objects.remove(flower)
    for f in (6, 12):
        scene.frame_set(f)
        np.testing.assert_allclose(coords_of(second), expected(grc, second), atol=1e-4)
    assert _message(grc, scene) == ""


def test_undo_restores_the_layout_and_the_shape(grc):
    scene, flower = _flower(petals=6)
    name = flower.name
    bpy.ops.ed.undo_push(message="flower")
    flower.grc.rings[0].count = 9
    bpy.ops.ed.undo_push(message="count")
    bpy.ops.ed.undo()
    flower = bpy.data.objects[name]
    assert flower.grc.rings[0].count == 5
    scene = bpy.context.scene
    scene.frame_set(2)
    flower.grc.bloom = 0.4
    np.testing.assert_allclose(coords_of(flower), expected(grc, flower), atol=1e-4)
    flower.location = (0.5, 0.0, 0.0)                # Ctrl+A right after an undo: folded in
    bpy.context.view_layer.update()
    select_only(flower)
    assert bpy.ops.object.transform_apply(location=True, rotation=False, scale=False) \
        == {'FINISHED'}
    bpy.context.view_layer.update()
    scene.frame_set(3)
    assert tuple(flower.location) == (0.0, 0.0, 0.0) and not flower.grc.hand_edited
    np.testing.assert_allclose(coords_of(flower), expected(grc, flower), atol=1e-4)
    assert np.array(flower.grc.applied).reshape(4, 4)[0, 3] == pytest.approx(0.5)


def test_rings_from_two_models_and_add_ring(grc):
    scene, flower = _flower(petals=5)
    first = active_model(scene)
    grc.api.duplicate_model(scene)                   # a second model, active now
    second = active_model(scene)
    assert second != first
    select_only(flower)
    assert bpy.ops.grc.add_ring(count=4, outside=True) == {'FINISHED'}
    rings = flower.grc.rings
    assert rings[0].model == second and rings[0].count == 4 and rings[1].model == first
    assert len(np.unique(_petal_index(flower))) == 9
    assert bpy.ops.grc.add_ring(count=2) == {'FINISHED'}       # innermost, then removed
    assert flower.grc.rings[2].model == second
    assert bpy.ops.grc.remove_ring(index=2) == {'FINISHED'}
    assert len(flower.grc.rings) == 2 and len(np.unique(_petal_index(flower))) == 9
    _key_bloom(flower)
    for f in (1, 10, 20):
        scene.frame_set(f)
        np.testing.assert_allclose(coords_of(flower), expected(grc, flower), atol=1e-4)


def test_separate_petals_keeps_each_petal_live_where_it_stood(grc):
    scene, flower = _flower(petals=6)
    flower.grc.bloom = 0.6
    whole = coords_of(flower).reshape(6, -1, 3)
    select_only(flower)
    assert bpy.ops.grc.separate_petals() == {'FINISHED'}
    petals = [c for c in flower.children if c.grc.is_petal]
    assert len(petals) == 6 and len(flower.data.vertices) == 0
    for k, p in enumerate(petals):
        m = np.array(p.matrix_basis)
        np.testing.assert_allclose(coords_of(p) @ m[:3, :3].T + m[:3, 3], whole[k], atol=1e-4)
    flower.grc.bloom = 0.1                           # they follow the flower's Bloom
    assert not np.allclose(coords_of(petals[0]).reshape(-1, 3),
                           (whole[0] - np.array(petals[0].matrix_basis)[:3, 3]))


def test_one_bad_value_stops_one_petal(grc):
    scene, flower = _flower(petals=6)
    flower.grc.bloom = 0.5
    good = coords_of(flower)
    lay = importlib.import_module(PACKAGE + ".grc_blender.petals.flower_write")
    model = grc.store.get_model(active_model(scene))
    t = np.array([0.5, np.nan, 0.5, 1e30])
    c = np.zeros((4, model.context_dims))
    notes: list = []
    out, ok = lay.safe_generate(model, t, c, np.zeros(4), 9, lambda k: f"petal {k}", notes)
    assert ok.tolist() == [True, False, True, False]
    assert any("petal 1" in n for n in notes) and any("petal 3" in n for n in notes)
    np.testing.assert_allclose(out[0], model.generate(0.5, [0.0] * model.context_dims, rows=9),
                               atol=1e-5)
    # a petal object with NaN next to good ones: only it keeps its shape, and it is named
    assert bpy.ops.grc.add_petal() == {'FINISHED'}
    bad = bpy.context.active_object
    assert bpy.ops.grc.add_petal() == {'FINISHED'}
    fine = bpy.context.active_object
    bad_before = coords_of(bad)
    bad.grc["time"] = float("nan")                   # past the property's own clamp
    fine.grc.context = 0.7
    grc.petals.regenerate(scene)
    np.testing.assert_array_equal(coords_of(bad), bad_before)
    assert f"petal '{bad.name}'" in _message(grc, scene)
    np.testing.assert_allclose(coords_of(flower), good, atol=1e-6)
    fine_expected = model.generate(fine.grc.time, [0.7], fine.grc.offset,
                                   rows=fine.grc.rows).reshape(-1, 3)
    np.testing.assert_allclose(coords_of(fine), fine_expected, atol=1e-5)
    # a flower whose Bloom is NaN keeps its shape, names its petals; another lives on
    assert bpy.ops.grc.add_flower(petals=3) == {'FINISHED'}
    other = bpy.context.active_object
    frozen = coords_of(flower)
    flower.grc["bloom"] = float("nan")
    other.grc.bloom = 0.3
    grc.petals.regenerate(scene)
    np.testing.assert_array_equal(coords_of(flower), frozen)
    assert f"flower '{flower.name}' petal 0" in _message(grc, scene)
    np.testing.assert_allclose(coords_of(other), expected(grc, other), atol=1e-4)
    flower.grc.bloom = 0.5                           # a NaN layout value: the same
    frozen = coords_of(flower)
    flower.grc["tilt"] = float("nan")
    grc.petals.regenerate(scene)
    np.testing.assert_array_equal(coords_of(flower), frozen)
    assert "not finite" in _message(grc, scene)


def test_a_separated_petal_moved_to_another_flower_follows_it(grc):
    scene, a = _flower(petals=4)
    assert bpy.ops.grc.add_flower(petals=3) == {'FINISHED'}
    b = bpy.context.active_object
    select_only(a)
    assert bpy.ops.grc.separate_petals() == {'FINISHED'}
    petal = [c for c in a.children if c.grc.is_petal][0]
    petal.parent = b                                  # moved between flowers
    b.grc.bloom, a.grc.bloom = 0.2, 0.9
    grc.petals.regenerate(scene)
    assert not petal.hide_get() and len(petal.data.vertices)
    model = grc.store.get_model(petal.grc.model)
    d = petal.grc.delay
    t = min(max((0.2 - d) / (1.0 - d), 0.0), 1.0)
    want = model.generate(t, [b.grc.context + petal.grc.context], petal.grc.offset,
                          rows=petal.grc.rows).reshape(-1, 3)
    np.testing.assert_allclose(coords_of(petal), want, atol=1e-4)   # the time table, as for flowers


def test_bake_makes_one_copy_with_a_key_per_frame(grc):
    scene, flower = _flower(petals=5)
    _key_bloom(flower, ((2, 0.0), (9, 1.0)))
    select_only(flower)
    assert bpy.ops.grc.bake_shape_keys() == {'FINISHED'}
    baked = flower.grc.bake
    assert baked is not None and baked.grc.baked_from == flower and not baked.grc.is_flower
    keys = [k.name for k in baked.data.shape_keys.key_blocks][1:]
    assert keys == [f"frame {f}" for f in range(2, 10)]
    assert len(baked.data.materials) == len(flower.data.materials)
    for mod in baked.modifiers:                       # compare the keyed grids themselves
        mod.show_viewport = False
    for f in (2, 5, 9):
        scene.frame_set(f)
        ev = baked.evaluated_get(bpy.context.evaluated_depsgraph_get())
        m = ev.to_mesh()
        co = np.empty(len(m.vertices) * 3, np.float32)
        m.vertices.foreach_get("co", co)
        ev.to_mesh_clear()
        np.testing.assert_allclose(co.reshape(-1, 3), coords_of(flower), atol=1e-4)


def _library(tmp_path, as_asset: bool = False) -> str:
    scene, flower = _flower(petals=5)
    flower.name = "Library Flower"
    _key_bloom(flower)
    if as_asset:
        flower.asset_mark()
    path = str(tmp_path / "flowers.blend")
    bpy.ops.wm.save_as_mainfile(filepath=path)
    bpy.ops.wm.read_homefile(use_empty=True)
    return path


@pytest.mark.parametrize("as_asset", [False, True])
def test_an_appended_flower_plays_from_its_own_model(grc, tmp_path, as_asset):
    path = _library(tmp_path, as_asset)
    with bpy.data.libraries.load(path, link=False, assets_only=as_asset) as (src, dst):
        dst.objects = ["Library Flower"]
    flower = dst.objects[0]
    bpy.context.scene.collection.objects.link(flower)
    assert flower.grc.rings[0].model is not None
    scene = bpy.context.scene
    for f in (1, 10, 20):
        scene.frame_set(f)
        np.testing.assert_allclose(coords_of(flower), expected(grc, flower), atol=1e-4)


def test_a_linked_flower_is_read_never_written(grc, tmp_path):
    path = _library(tmp_path)
    with bpy.data.libraries.load(path, link=True) as (src, dst):
        dst.objects = ["Library Flower"]
    flower = dst.objects[0]
    bpy.context.scene.collection.objects.link(flower)
    before = coords_of(flower)
    bpy.context.scene.frame_set(12)
    np.testing.assert_array_equal(coords_of(flower), before)
    assert "linked from" in _message(grc, bpy.context.scene)


def test_the_flower_panel_shows_layout_and_rings(grc):
    scene, flower = _flower(petals=8)
    views = importlib.import_module(PACKAGE + ".panels.flower")
    calls = []

    class Rec:
        def __getattr__(self, name):
            def method(*args, **kw):
                calls.append((name, args[1] if name == "prop" and len(args) > 1 else
                              args[0] if args else kw.get("text", "")))
                return self
            return method

    ctx = type("C", (), {"active_object": flower, "scene": scene, "region": None,
                         "preferences": None})()
    views.GRC_PT_flower.draw(type("P", (), {"layout": Rec()})(), ctx)
    props = [a for n, a in calls if n == "prop"]
    assert props[:2] == ["bloom", "context"]
    for name in ("tilt", "overlap", "seed", "scale_step", "count", "radius", "delay",
                 "material_index", "model"):
        assert name in props, name
    ops = [a for n, a in calls if n == "operator"]
    assert {"grc.add_ring", "grc.separate_petals", "grc.add_flower"} <= set(ops)


def test_a_saved_file_reopens_with_both_kinds_of_flower_live(grc, tmp_path):
    scene, flower = _flower(petals=5)
    _key_bloom(flower)
    old_root, old_petals = grc.api.add_petal_flower(scene, layout=grc.api.FlowerLayout(
        petals=3, merge=True))
    for f, b in ((1, 0.0), (20, 1.0)):
        old_root.grc.bloom = b
        old_root.keyframe_insert("grc.bloom", frame=f)
    scene.frame_set(20)
    scene.frame_current = 6                  # no handler ran: the meshes hold frame 20
    path = tmp_path / "flowers.blend"
    assert bpy.ops.wm.save_as_mainfile(filepath=str(path)) == {'FINISHED'}
    name, old_name = flower.name, old_root.name
    bpy.ops.wm.read_homefile(use_empty=True)
    assert bpy.ops.wm.open_mainfile(filepath=str(path)) == {'FINISHED'}
    flower = bpy.data.objects[name]
    assert bpy.context.scene.frame_current == 6
    np.testing.assert_allclose(coords_of(flower), expected(grc, flower), atol=1e-4)
    merged = grc.api.merged_flower_object(bpy.data.objects[old_name])
    before = coords_of(merged)
    bpy.context.scene.frame_set(14)
    np.testing.assert_allclose(coords_of(flower), expected(grc, flower), atol=1e-4)
    assert not np.allclose(coords_of(merged), before)       # the old kind plays too
