"""Every instancing setup animates (issue 20): a flower seen only through an instancer is
written by the frame path too (Geometry Nodes Object Info / Collection Info with the source
visible, hidden or excluded from the view layer; particles instancing an object or a
collection; a collection instance of a collection not linked into the scene; the flower's
collection linked into a second scene). Frames differ as keyed, in the viewport's depsgraph
and in renders, and an animation render equals stills."""
from __future__ import annotations

import bpy
import numpy as np
import pytest

from blender_helpers import add_camera, add_example_and_capture, image_pixels, train_quick

FRAMES = (1, 10, 20)


def _flower_in(collection_name: str):
    add_example_and_capture()
    train_quick()
    scene = bpy.context.scene
    assert bpy.ops.grc.add_flower(petals=6) == {'FINISHED'}
    flower = bpy.context.active_object
    for f, b in ((1, 0.0), (20, 1.0)):
        flower.grc.bloom = b
        flower.keyframe_insert("grc.bloom", frame=f)
    coll = bpy.data.collections.new(collection_name)
    for c in list(flower.users_collection):
        c.objects.unlink(flower)
    coll.objects.link(flower)
    for o in list(scene.objects):           # the templates: out of the pictures
        if o is not flower and o.type == 'MESH':
            o.hide_render = o.hide_viewport = True
    return scene, flower, coll


def _gn_instancer(scene, flower, coll, use_collection: bool):
    bpy.ops.mesh.primitive_plane_add(size=2.0, location=(0.0, 0.0, 0.0))
    plane = bpy.context.active_object
    mod = plane.modifiers.new("Scatter", 'NODES')
    tree = bpy.data.node_groups.new("Scatter", 'GeometryNodeTree')
    tree.interface.new_socket("Geometry", in_out='INPUT', socket_type='NodeSocketGeometry')
    tree.interface.new_socket("Geometry", in_out='OUTPUT', socket_type='NodeSocketGeometry')
    n = tree.nodes
    gin, gout = n.new('NodeGroupInput'), n.new('NodeGroupOutput')
    inst = n.new('GeometryNodeInstanceOnPoints')
    pts = n.new('GeometryNodeMeshToPoints')
    if use_collection:
        info = n.new('GeometryNodeCollectionInfo')
        info.inputs["Collection"].default_value = coll
        info.inputs["Separate Children"].default_value = True
        tree.links.new(info.outputs[0], inst.inputs["Instance"])
        inst.inputs["Pick Instance"].default_value = True
    else:
        info = n.new('GeometryNodeObjectInfo')
        info.inputs["Object"].default_value = flower
        info.inputs["As Instance"].default_value = True
        tree.links.new(info.outputs["Geometry"], inst.inputs["Instance"])
    tree.links.new(gin.outputs[0], pts.inputs[0])
    tree.links.new(pts.outputs[0], inst.inputs["Points"])
    tree.links.new(inst.outputs[0], gout.inputs[0])
    mod.node_group = tree
    return plane


def _particles(scene, flower, coll, use_collection: bool):
    bpy.ops.mesh.primitive_plane_add(size=2.0)
    plane = bpy.context.active_object
    plane.modifiers.new("Particles", 'PARTICLE_SYSTEM')
    ps = plane.particle_systems[0].settings
    ps.type = 'HAIR'
    ps.count = 4
    ps.hair_length = 1.0
    ps.use_advanced_hair = True
    if use_collection:
        ps.render_type = 'COLLECTION'
        ps.instance_collection = coll
    else:
        ps.render_type = 'OBJECT'
        ps.instance_object = flower
    plane.show_instancer_for_render = plane.show_instancer_for_viewport = False
    return plane


def setup(kind: str):
    scene, flower, coll = _flower_in("Flowers")
    if kind in ("gn_object_visible", "gn_object_hidden", "gn_collection_excluded",
                "particles_object", "particles_collection"):
        scene.collection.children.link(coll)
    if kind == "gn_object_visible":
        _gn_instancer(scene, flower, coll, False)
    elif kind == "gn_object_hidden":
        _gn_instancer(scene, flower, coll, False)
        flower.hide_viewport = flower.hide_render = True
    elif kind == "gn_collection_excluded":
        _gn_instancer(scene, flower, coll, True)
        bpy.context.view_layer.layer_collection.children[coll.name].exclude = True
    elif kind == "particles_object":
        _particles(scene, flower, coll, False)
    elif kind == "particles_collection":
        _particles(scene, flower, coll, True)
    elif kind == "collection_instance":           # the collection is not in the scene
        empty = bpy.data.objects.new("Field", None)
        empty.instance_type = 'COLLECTION'
        empty.instance_collection = coll
        scene.collection.objects.link(empty)
    elif kind == "second_scene":
        other = bpy.data.scenes.new("Garden")
        other.collection.children.link(coll)
        other.render.use_lock_interface = True
        bpy.context.window.scene = other
        scene = other
    return scene, flower


KINDS = ("gn_object_visible", "gn_object_hidden", "gn_collection_excluded", "particles_object",
         "particles_collection", "collection_instance", "second_scene")


def instance_signature(depsgraph, flower) -> tuple[int, np.ndarray]:
    """(instances of the flower's geometry, their summed vertex positions) as the
    depsgraph shows them."""
    total, n = np.zeros(3), 0
    for inst in depsgraph.object_instances:
        if not inst.is_instance or inst.object.type != 'MESH':
            continue
        me = inst.object.data
        if not len(me.vertices):
            continue
        co = np.empty(len(me.vertices) * 3, np.float32)
        me.vertices.foreach_get("co", co)
        total += co.reshape(-1, 3).astype(np.float64).sum(axis=0)
        n += 1
    ev = flower.evaluated_get(depsgraph)
    if not n and ev.is_evaluated:   # the flower itself (second scene)
        co = np.empty(len(ev.data.vertices) * 3, np.float32)
        ev.data.vertices.foreach_get("co", co)
        return 1, co.reshape(-1, 3).astype(np.float64).sum(axis=0)
    return n, total


@pytest.mark.parametrize("kind", KINDS)
def test_instanced_flowers_animate_in_the_viewport(grc, kind):
    scene, flower = setup(kind)
    sigs = []
    for f in FRAMES:
        scene.frame_set(f)
        dg = scene.view_layers[0].depsgraph
        n, s = instance_signature(dg, flower)
        assert n >= 1, f"{kind}: no instance of the flower at frame {f}"
        sigs.append(s)
    assert np.abs(sigs[0] - sigs[1]).max() > 1e-4 and np.abs(sigs[1] - sigs[2]).max() > 1e-4, \
        (kind, sigs)


def _camera(scene):
    add_camera(scene, (0.0, -3.0, 3.0), (0.8, 0.0, 0.0), (64, 48), 'BLENDER_WORKBENCH')


@pytest.mark.parametrize("kind", KINDS)
def test_instanced_flowers_animate_in_renders(grc, kind, tmp_path):
    scene, _flower = setup(kind)
    _camera(scene)
    stills = []
    for f in FRAMES:
        scene.frame_set(f)
        scene.render.filepath = str(tmp_path / f"still_{f}.png")
        assert bpy.ops.render.render(write_still=True, scene=scene.name) == {'FINISHED'}
        stills.append(image_pixels(scene.render.filepath))
    assert np.abs(stills[0] - stills[-1]).mean() > 1e-3, kind
    scene.frame_set(5)                      # the animation render starts elsewhere
    scene.frame_start, scene.frame_end = FRAMES[0], FRAMES[-1]
    scene.render.filepath = str(tmp_path / "anim_####")
    assert bpy.ops.render.render(animation=True, scene=scene.name) == {'FINISHED'}
    for f, still in zip(FRAMES, stills):
        anim = image_pixels(str(tmp_path / f"anim_{f:04d}.png"))
        assert np.abs(anim - still).mean() < 2e-3, (kind, f, np.abs(anim - still).mean())
