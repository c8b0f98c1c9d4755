"""Scatter Flowers (issue 20): a Geometry Nodes modifier instancing live variants of the
active flower on a surface: instance count as density x area, variants that differ, a
bloom wave that crosses the field, and the per-frame cost of the variants only."""
from __future__ import annotations

import bpy
import numpy as np

from blender_helpers import (add_camera, add_example_and_capture, assert_same_without_extension,
                             render_stills, select_only, train_quick)


def _field(size: float = 10.0, key: bool = True):
    add_example_and_capture()
    train_quick()
    scene = bpy.context.scene
    for o in list(scene.objects):
        o.hide_render = o.hide_viewport = True
    assert bpy.ops.grc.add_flower(petals=6) == {'FINISHED'}
    flower = bpy.context.active_object
    if key:
        for f, b in ((1, 0.0), (21, 1.0)):
            flower.grc.bloom = b
            flower.keyframe_insert("grc.bloom", frame=f)
    bpy.ops.mesh.primitive_plane_add(size=size, location=(0.0, 0.0, 0.0))
    ground = bpy.context.active_object
    flower.location = (0.0, 0.0, 5.0)
    select_only(ground)
    flower.select_set(True)
    bpy.context.view_layer.objects.active = flower
    return scene, flower, ground


def instances(depsgraph, ground) -> list:
    """(variant name, world location) of every instance the ground's scatter makes."""
    return [(inst.object.original.name if inst.object.original else inst.object.name,
             tuple(inst.matrix_world.translation)) for inst in depsgraph.object_instances
            if inst.is_instance and inst.parent is not None
            and inst.parent.original == ground]


def test_scatter_count_is_density_times_area_and_variants_differ(grc):
    scene, flower, ground = _field()
    assert bpy.ops.grc.scatter_flowers(density=10.0, seed=3) == {'FINISHED'}
    mod = ground.modifiers["GRC Scatter"]
    assert mod.type == 'NODES' and mod.node_group is not None
    kinds = {n.bl_idname for n in mod.node_group.nodes}
    assert {'GeometryNodeDistributePointsOnFaces', 'GeometryNodeInstanceOnPoints',
            'GeometryNodeCollectionInfo'} <= kinds
    coll = next(c for c in bpy.data.collections if c.name.startswith("GRC Field Variants"))
    assert len(coll.objects) == 8
    lc = bpy.context.view_layer.layer_collection.children[coll.name]
    assert lc.exclude                                        # the variants are hidden
    scene.frame_set(11)
    dg = bpy.context.evaluated_depsgraph_get()
    got = instances(dg, ground)
    assert abs(len(got) - 10.0 * 100.0) <= 0.05 * 1000, len(got)
    assert len({name for name, _ in got}) == 8               # every variant is used
    sums = []
    for v in sorted(coll.objects, key=lambda o: o.name):
        ev = v.evaluated_get(dg).data
        co = np.empty(len(ev.vertices) * 3, np.float32)
        ev.vertices.foreach_get("co", co)
        sums.append(co.reshape(-1, 3).sum(axis=0))
    sums = np.array(sums)
    assert all(np.abs(sums[i] - sums[j]).max() > 1e-3 for i in range(8)
               for j in range(i + 1, 8)), "two variants are identical"
    # count mode: the same within 5 %
    select_only(ground)
    flower.select_set(True)
    bpy.context.view_layer.objects.active = flower
    ground.modifiers.remove(mod)
    assert bpy.ops.grc.scatter_flowers(count=500, seed=1, variants=4) == {'FINISHED'}
    got = instances(bpy.context.evaluated_depsgraph_get(), ground)
    assert abs(len(got) - 500) <= 25, len(got)


def _openness(depsgraph, variant) -> float:
    """How open a variant is: the spread of its evaluated vertices around its axis."""
    me = variant.evaluated_get(depsgraph).data
    co = np.empty(len(me.vertices) * 3, np.float32)
    me.vertices.foreach_get("co", co)
    co = co.reshape(-1, 3)
    return float(np.linalg.norm(co[:, :2], axis=1).mean())


def test_bloom_wave_opens_near_flowers_first(grc):
    scene, flower, ground = _field()
    origin = bpy.data.objects.new("Wave Start", None)
    scene.collection.objects.link(origin)
    origin.location = (-5.0, 0.0, 0.0)
    assert bpy.ops.grc.scatter_flowers(density=5.0, variants=6, spread=16.0, wave='OBJECT',
                                       wave_object=origin.name,
                                       wave_length=10.0) == {'FINISHED'}
    scene.frame_set(12)                                      # mid-animation
    dg = bpy.context.evaluated_depsgraph_get()
    got = instances(dg, ground)
    by_name = {o.name: _openness(dg, o) for o in bpy.data.objects
               if o.name.startswith("GRC Variant")}
    near = [by_name[n] for n, loc in got if loc[0] < -3.0]
    far = [by_name[n] for n, loc in got if loc[0] > 3.0]
    assert near and far
    assert np.mean(near) > np.mean(far) + 1e-3, (np.mean(near), np.mean(far))
    names_near = {n for n, loc in got if loc[0] < -4.0}
    names_far = {n for n, loc in got if loc[0] > 4.5}
    assert max(names_near) < min(names_far) or names_near != names_far


def test_a_baked_field_renders_the_same_without_the_extension(grc, tmp_path):
    scene, flower, ground = _field(size=4.0)
    flower.hide_render = True
    assert bpy.ops.grc.scatter_flowers(density=4.0, variants=4, spread=6.0) == {'FINISHED'}
    add_camera(scene, (0.0, -4.0, 3.5), (0.85, 0.0, 0.0), (80, 60), 'BLENDER_WORKBENCH')
    frames = (1, 8, 14, 27)
    live = render_stills(scene, tmp_path, "live", frames)
    assert np.abs(live[0] - live[2]).mean() > 1e-3
    select_only(ground)
    assert bpy.ops.grc.bake_field(use_range=True, frame_start=1, frame_end=27) == {'FINISHED'}
    baked = next(c for c in bpy.data.collections if c.name.startswith("GRC Field Baked"))
    assert len(baked.objects) == 4
    assert_same_without_extension(scene, tmp_path, frames, live)


def _weights(ground, name: str, weight) -> None:
    group = ground.vertex_groups.new(name=name)
    for v in ground.data.vertices:
        group.add([v.index], float(weight(v.co)), 'REPLACE')


def test_density_group_and_vertex_group_wave(grc):
    scene, flower, ground = _field(size=10.0)
    select_only(ground)                    # Edit Mode on the ground alone, not the flower
    bpy.ops.object.mode_set(mode='EDIT')
    bpy.ops.mesh.subdivide(number_cuts=9)
    bpy.ops.object.mode_set(mode='OBJECT')
    _weights(ground, "left", lambda co: 1.0 if co.x < -0.01 else 0.0)     # density
    _weights(ground, "wave", lambda co: (co.y + 5.0) / 10.0)              # opens from -y
    select_only(ground)
    flower.select_set(True)
    bpy.context.view_layer.objects.active = flower
    assert bpy.ops.grc.scatter_flowers(density=8.0, variants=5, spread=16.0,
                                       vertex_group="left", wave='VERTEX_GROUP',
                                       wave_group="wave") == {'FINISHED'}
    scene.frame_set(12)
    dg = bpy.context.evaluated_depsgraph_get()
    got = instances(dg, ground)
    assert got and all(loc[0] < 0.01 for _, loc in got)                  # the left half
    # weights 1 left of x = -1, 0 from x = 0, the faces between interpolate (0.5 on average)
    assert abs(len(got) - 8.0 * 45.0) <= 0.05 * 360, len(got)
    names_front = [n for n, loc in got if loc[1] < -3.5]
    names_back = [n for n, loc in got if loc[1] > 3.5]
    assert names_front and names_back and max(names_front) < min(names_back)
    open_ = {o.name: _openness(dg, o) for o in bpy.data.objects
             if o.name.startswith("GRC Variant")}
    assert np.mean([open_[n] for n in names_front]) > np.mean([open_[n] for n in names_back])


def test_texture_wave_and_upright_flowers(grc):
    scene, flower, ground = _field(size=10.0)
    assert bpy.ops.grc.scatter_flowers(density=6.0, variants=4, wave='TEXTURE',
                                       align=False, rotation=0.0, scale_min=1.0,
                                       scale_max=1.0) == {'FINISHED'}
    tree = ground.modifiers["GRC Scatter"].node_group
    assert any(n.bl_idname == 'ShaderNodeTexNoise' for n in tree.nodes)
    dg = bpy.context.evaluated_depsgraph_get()
    got = [(inst.object.original.name, np.array(inst.matrix_world))
           for inst in dg.object_instances if inst.is_instance and inst.parent is not None
           and inst.parent.original == ground]
    assert len({name for name, _ in got}) >= 2                        # the texture varies
    m = got[0][1]
    assert np.allclose(m[:3, :3], np.eye(3), atol=1e-5)              # upright, unturned


def test_variants_keep_their_keyed_shapes_after_reopen_and_render_end(grc, tmp_path):
    """The variants are excluded (Blender does not animate them): regenerating after a
    file load or a render reads their keys at the scene's frame, not their stored values."""
    from blender_helpers import PACKAGE, coords_of
    import importlib
    scene, flower, ground = _field()
    assert bpy.ops.grc.scatter_flowers(density=1.0, variants=3, spread=8.0) == {'FINISHED'}
    scene.frame_set(12)
    names = sorted(o.name for o in bpy.data.objects if o.name.startswith("GRC Variant"))
    at12 = {n: coords_of(bpy.data.objects[n]) for n in names}
    assert np.abs(at12[names[0]] - at12[names[-1]]).max() > 1e-3      # delays differ
    handlers = importlib.import_module(PACKAGE + ".grc_blender.handlers")
    handlers._resync_after_render()
    for n in names:
        assert np.allclose(coords_of(bpy.data.objects[n]), at12[n], atol=1e-5), n
    path = str(tmp_path / "field.blend")
    bpy.ops.wm.save_as_mainfile(filepath=path)
    bpy.ops.wm.open_mainfile(filepath=path)
    for n in names:
        assert np.allclose(coords_of(bpy.data.objects[n]), at12[n], atol=1e-5), n


def test_moving_the_source_flower_leaves_the_variants_at_their_keyed_shapes(grc):
    """A depsgraph update that touches a flower writes the changed flowers; the excluded
    variants are written from their keys, not their stale stored values."""
    from blender_helpers import coords_of
    scene, flower, ground = _field()
    assert bpy.ops.grc.scatter_flowers(density=1.0, variants=3, spread=8.0) == {'FINISHED'}
    scene.frame_set(12)
    names = sorted(o.name for o in bpy.data.objects if o.name.startswith("GRC Variant"))
    at12 = {n: coords_of(bpy.data.objects[n]) for n in names}
    flower.location.x += 1.0
    flower.grc.context = flower.grc.context + 0.01      # a value change, as a driver would
    bpy.context.view_layer.update()
    for n in names:
        assert np.allclose(coords_of(bpy.data.objects[n]), at12[n], atol=1e-5), n
