"""Templates an artist can sculpt. New template and variant, capture from any
deformation (armature, lattice, hook; markers, every N frames), topology-changing
modifiers left out, transform-only animation refused, grid from an arbitrary mesh, and the
base/tip overlay's geometry and handlers. Real bpy, the installed extension."""
from __future__ import annotations

import importlib
from types import SimpleNamespace

import bpy
import numpy as np
import pytest
from mathutils import Matrix, Vector
from mathutils.bvhtree import BVHTree

from blender_helpers import PACKAGE, coords_of, select_only, model_of, active_model, set_node_input


def order_of(grc, obj):
    mg = grc.mesh_grid
    return mg.grid_order(mg.mesh_topology(obj.data), mg.mesh_coords(obj.data), obj.name)


def key_grid(grc, obj, name):
    """(R, C, 3) coordinates of shape key `name` in capture's grid order."""
    kb = obj.data.shape_keys.key_blocks[name]
    co = np.empty(len(kb.data) * 3, np.float32)
    kb.data.foreach_get("co", co)
    return co.reshape(-1, 3).astype(np.float64)[order_of(grc, obj)]


def set_key(obj, name, grid_in_order, order):
    kb = obj.data.shape_keys.key_blocks[name]
    co = np.empty((len(kb.data), 3), np.float32)
    co[order.ravel()] = grid_in_order.reshape(-1, 3)
    kb.data.foreach_set("co", co.ravel())
    obj.data.update()


def plain_grid(grc, name, rows=5, cols=4, length=2.0, width=1.0):
    """A flat grid mesh object: rows along +X from the origin, columns across Y, no animation."""
    mesh = bpy.data.meshes.new(name)
    x = np.linspace(0.0, length, rows)[:, None] + 0 * np.zeros(cols)[None, :]
    y = np.zeros(rows)[:, None] + np.linspace(-width / 2, width / 2, cols)[None, :]
    grid = np.stack([x, y, np.zeros_like(x)], axis=-1)
    grc.mesh_grid.build_grid_mesh(mesh, grid)
    obj = bpy.data.objects.new(name, mesh)
    bpy.context.scene.collection.objects.link(obj)
    return obj, grid


def object_state(obj) -> tuple:
    """Everything capture must leave as it was."""
    mods = tuple((m.name, m.type, m.show_viewport, m.show_render) for m in obj.modifiers)
    keys = obj.data.shape_keys
    key_vals = tuple((kb.name, kb.value) for kb in keys.key_blocks) if keys else ()
    return (coords_of(obj).tobytes(), mods, key_vals, tuple(obj.matrix_world.col[3]),
            len(obj.data.vertices), len(obj.data.polygons))


# ---- new template and variant ----------------------------------------------------------------

def test_new_template_grid_origin_uvs_and_keys(grc):
    scene = bpy.context.scene
    obj = grc.api.new_template(bpy.context, rows=5, cols=9, times=4, frame_step=6)
    assert bpy.context.active_object == obj and obj.select_get()
    order = order_of(grc, obj)
    assert order.shape == (5, 9)
    rest = coords_of(obj)[order]
    # origin at the base row's centre; the base row is the row capture calls row 0
    np.testing.assert_allclose(rest[0].mean(axis=0), 0.0, atol=1e-6)
    assert np.linalg.norm(rest[-1].mean(axis=0)) > 0.5
    # UVs: u across (column 0 -> 0, last -> 1), v base (0) -> tip (1)
    loops = np.empty(len(obj.data.loops), np.int32)
    obj.data.loops.foreach_get("vertex_index", loops)
    uv = np.empty(len(loops) * 2, np.float32)
    obj.data.uv_layers.active.data.foreach_get("uv", uv)
    uv = uv.reshape(-1, 2)
    where = {int(v): (r, c) for (r, c), v in np.ndenumerate(order)}
    for li, v in enumerate(loops):
        r, c = where[int(v)]
        np.testing.assert_allclose(uv[li], (c / 8, r / 4), atol=1e-6)
    # one key per time, named by time, exactly one active at each of 4 evenly spaced frames
    names = [kb.name for kb in obj.data.shape_keys.key_blocks]
    assert names == ["Basis", "time 0.00", "time 0.33", "time 0.67", "time 1.00"]
    frames = grc.anim.keyframe_frames(obj)
    np.testing.assert_array_equal(frames, scene.frame_start + 6 * np.arange(4))
    for t, f in enumerate(frames):
        scene.frame_set(int(f))
        values = [kb.value for kb in obj.data.shape_keys.key_blocks[1:]]
        assert values == [1.0 if i == t else 0.0 for i in range(4)], (f, values)
    # the first key is the closed bud: shorter (tip nearer the base) than the open last key
    bud, open_ = key_grid(grc, obj, "time 0.00"), key_grid(grc, obj, "time 1.00")
    assert np.ptp(bud[..., 1]) < 0.7 * np.ptp(open_[..., 1])
    assert bud[-1, :, 2].mean() > open_[-1, :, 2].mean() + 0.2   # bud stands up


def test_new_template_operator_equals_api_and_menu(grc, capfd):
    a = grc.api.new_template(bpy.context, rows=6, cols=3, times=3)
    assert bpy.ops.grc.new_template(rows=6, cols=3, times=3) == {'FINISHED'}
    assert "Added template 'Template B', 6 x 3, with 3 shape keys" in capfd.readouterr().out
    b = bpy.context.active_object
    assert (a.name, b.name) == ("Template A", "Template B")
    np.testing.assert_array_equal(coords_of(a), coords_of(b))
    assert [k.name for k in a.data.shape_keys.key_blocks] == [k.name for k in b.data.shape_keys.key_blocks]
    # Add > Mesh lists the template (a noun there, after a separator)
    drawn = bpy.types.VIEW3D_MT_mesh_add._dyn_ui_initialize()
    menus = importlib.import_module(PACKAGE + ".operators.menus")
    assert menus.menu_mesh_add in drawn
    listed = []

    class Layout:
        def operator(self, idname, **_kw):
            listed.append(idname)

        def separator(self):
            listed.append("|")

    menus.menu_mesh_add(SimpleNamespace(layout=Layout()), bpy.context)
    assert listed[:2] == ["|", "grc.new_template"]
    assert bpy.ops.grc.new_template.get_rna_type().name == "Add Template"


def test_new_template_limits_and_variant_refusals(grc):
    lim = grc.limits
    with pytest.raises(grc.model_core.GRCError, match=f"{lim.GRID_MIN}..{lim.GRID_MAX} rows"):
        grc.api.new_template(bpy.context, rows=lim.GRID_MAX + 1)
    with pytest.raises(grc.model_core.GRCError, match="columns"):
        grc.api.new_template(bpy.context, cols=lim.GRID_MIN - 1)
    assert len(bpy.data.objects) == 0                           # refused: nothing added
    with pytest.raises(RuntimeError, match="No active object"):
        bpy.ops.grc.new_template(variant_of_active=True)
    bpy.ops.mesh.primitive_cube_add()
    cube = bpy.context.active_object
    with pytest.raises(RuntimeError, match="'Cube' is not a template with shape keys"):
        bpy.ops.grc.new_template(variant_of_active=True)
    assert len(bpy.data.objects) == 1 and len(cube.data.vertices) == 8
    bpy.ops.object.mode_set(mode='EDIT')
    with pytest.raises(RuntimeError, match="Switch to Object Mode to add a template"):
        bpy.ops.grc.new_template()
    bpy.ops.object.mode_set(mode='OBJECT')


def _train_small(grc, scene, steps=1200, template_steps=800):
    model_of(scene).steps, model_of(scene).template_steps = steps, template_steps
    ok, msg = grc.api.train(scene)
    assert ok, msg


def test_new_template_edit_variant_capture_train_reproduces_both(grc):
    """The artist's path from an empty scene: new template, sculpt its keys, a variant with
    other open shapes, capture both, train, and a petal at each context gives each back."""
    scene = bpy.context.scene
    a = grc.api.new_template(bpy.context)                       # 7 x 7, 7 times
    order = order_of(grc, a)
    names = [kb.name for kb in a.data.shape_keys.key_blocks][1:]
    for t, name in enumerate(names[1:], start=1):               # sculpt A: tips curl down
        g = key_grid(grc, a, name)
        g[..., 2] -= 0.15 * (t / 6) * np.linspace(0, 1, 7)[:, None] ** 2
        set_key(a, name, g, order)
    b = grc.api.new_template(bpy.context, variant_of_active=True)
    assert b.name == "Template A Variant" and b.data != a.data
    # the variant copies the keys and their timing, with its own action
    assert [k.name for k in b.data.shape_keys.key_blocks][1:] == names
    np.testing.assert_array_equal(grc.anim.keyframe_frames(b), grc.anim.keyframe_frames(a))
    assert b.data.shape_keys.animation_data.action != a.data.shape_keys.animation_data.action
    for t, name in enumerate(names[1:], start=1):               # sculpt B: narrower, cupped
        g = key_grid(grc, b, name)
        g[..., 1] *= 1.0 - 0.4 * t / 6
        g[..., 2] += 0.2 * (t / 6) * (np.linspace(-1, 1, 7)[None, :] ** 2)
        set_key(b, name, g, order)
    select_only(a, b)
    cap = grc.api.capture_templates(bpy.context, [a, b])
    assert cap.shape == (2, 7, 7, 7) and cap.names == ["Template A", "Template A Variant"]
    for k, obj in enumerate((a, b)):
        for t, name in enumerate(names):
            np.testing.assert_allclose(cap.coords[k, t], key_grid(grc, obj, name), atol=1e-6)
    np.testing.assert_array_equal(cap.coords[0, 0], cap.coords[1, 0])   # the shared bud
    span = np.linalg.norm(cap.coords[0, -1] - cap.coords[1, -1], axis=-1).mean()
    assert span > 0.05

    _train_small(grc, scene)
    petal, _ = grc.api.add_petal(scene, context_value=0.0, rows=7)
    diag = float(np.linalg.norm(np.ptp(cap.coords.reshape(-1, 3), axis=0)))
    worst = 0.0
    for k in range(2):
        petal.grc.context = float(k)
        for t, time in enumerate(cap.times):
            petal.grc.time = float(time)
            got = coords_of(petal).reshape(7, 7, 3)
            err = np.linalg.norm(got - cap.coords[k, t], axis=-1)
            worst = max(worst, err.mean() / diag)
            assert err.mean() < 0.02 * diag, (k, t, err.mean() / diag)
            if t == len(cap.times) - 1:    # at the open time it is this template, not the other
                other = np.linalg.norm(got - cap.coords[1 - k, t], axis=-1).mean()
                assert err.mean() < 0.2 * other, (k, err.mean(), other)
    print(f"authored templates: worst mean vertex error {100 * worst:.3f} % of the diagonal")


# ---- capture from other objects' deformation -----------------------------------------------

def test_armature_bent_template(grc):
    """The bend lives on the armature's action: its keyframes are the capture frames and the
    captured tip is the rest tip turned about the second bone's head."""
    scene = bpy.context.scene
    obj, rest = plain_grid(grc, "Petal", rows=5, cols=4, length=2.0)
    arm_data = bpy.data.armatures.new("Rig")
    rig = bpy.data.objects.new("Rig", arm_data)
    scene.collection.objects.link(rig)
    bpy.context.view_layer.objects.active = rig
    bpy.ops.object.mode_set(mode='EDIT')
    b1 = arm_data.edit_bones.new("Base")
    b1.head, b1.tail = (0, 0, 0), (1, 0, 0)
    b2 = arm_data.edit_bones.new("Tip")
    b2.head, b2.tail, b2.parent = (1, 0, 0), (2, 0, 0), b1
    bpy.ops.object.mode_set(mode='OBJECT')
    for name in ("Base", "Tip"):
        obj.vertex_groups.new(name=name)
    x = rest[..., 0].ravel()
    tip_verts = [i for i in range(len(x)) if x[i] > 1.0 + 1e-6]
    obj.vertex_groups["Base"].add([i for i in range(len(x)) if i not in tip_verts], 1.0, 'REPLACE')
    obj.vertex_groups["Tip"].add(tip_verts, 1.0, 'REPLACE')
    mod = obj.modifiers.new("Armature", 'ARMATURE')
    mod.object = rig
    pb = rig.pose.bones["Tip"]
    pb.rotation_mode = 'XYZ'
    for frame, angle in ((1, 0.0), (11, 0.4), (21, 0.9)):
        pb.rotation_euler = (0.0, 0.0, angle)               # about the bone's own Z: bends in XY
        pb.keyframe_insert("rotation_euler", frame=frame)
    assert grc.anim.keyframe_frames(obj).size == 0           # the template has no keys itself
    before = object_state(obj)
    select_only(obj)
    assert bpy.ops.grc.capture_templates() == {'FINISHED'}
    cap = grc.store.get_captured(active_model(scene))
    assert cap.shape == (1, 3, 5, 4)
    np.testing.assert_array_equal(cap.frames, [1, 11, 21])
    assert model_of(scene).captured_frames == "1, 11, 21"
    np.testing.assert_allclose(cap.coords[0, 0], rest, atol=1e-6)
    for t, angle in ((1, 0.4), (2, 0.9)):
        # bone Tip points along +X; its local Z is world -Y... compute with the pose itself:
        rot = (rig.matrix_world @ rig.data.bones["Tip"].matrix_local).to_3x3()
        axis = rot @ Vector((0, 0, 1))
        m = np.array(Matrix.Rotation(angle, 3, axis))
        want = rest.copy()
        tip = rest[..., 0] > 1.0 + 1e-6
        want[tip] = (rest[tip] - (1, 0, 0)) @ m.T + (1, 0, 0)
        np.testing.assert_allclose(cap.coords[0, t], want, atol=1e-5)
    assert object_state(obj) == before


def test_lattice_template_with_animated_points(grc):
    """A lattice whose tip-side points are keyed: tip rises linearly along the petal."""
    scene = bpy.context.scene
    obj, rest = plain_grid(grc, "Petal", rows=6, cols=3, length=2.0)
    lat_data = bpy.data.lattices.new("Cage")
    lat_data.points_u = lat_data.points_v = lat_data.points_w = 2
    for axis in ("u", "v", "w"):
        setattr(lat_data, f"interpolation_type_{axis}", 'KEY_LINEAR')
    lat = bpy.data.objects.new("Cage", lat_data)
    scene.collection.objects.link(lat)
    lx, ly, lz, cx = 2.4, 1.5, 1.0, 1.0
    lat.location, lat.scale = (cx, 0, 0), (lx, ly, lz)
    mod = obj.modifiers.new("Lattice", 'LATTICE')
    mod.object = lat
    tip_points = [i for i in range(8) if i % 2 == 1]          # u = 1 (index = u + 2v + 4w)
    for frame, lift in ((4, 0.0), (14, 0.5)):
        for i in tip_points:
            p = lat_data.points[i]
            p.co_deform = (p.co[0], p.co[1], p.co[2] + lift)
            p.keyframe_insert("co_deform", frame=frame)
    before = object_state(obj)
    cap = grc.api.capture_templates(bpy.context, [obj])
    np.testing.assert_array_equal(cap.frames, [4, 14])
    np.testing.assert_allclose(cap.coords[0, 0], rest, atol=1e-5)
    u = (rest[..., 0] - cx) / lx + 0.5
    want = rest.copy()
    want[..., 2] += 0.5 * lz * u
    np.testing.assert_allclose(cap.coords[0, 1], want, atol=1e-5)
    assert object_state(obj) == before and scene.frame_current == 1


def test_pose_constraint_target_keyframes(grc):
    """An IK target (an empty) animates a bone: the empty's keys are the capture frames."""
    scene = bpy.context.scene
    obj, rest = plain_grid(grc, "Petal", rows=5, cols=3, length=2.0)
    arm_data = bpy.data.armatures.new("Rig")
    rig = bpy.data.objects.new("Rig", arm_data)
    scene.collection.objects.link(rig)
    bpy.context.view_layer.objects.active = rig
    bpy.ops.object.mode_set(mode='EDIT')
    bone = arm_data.edit_bones.new("Whole")
    bone.head, bone.tail = (0, 0, 0), (2, 0, 0)
    bpy.ops.object.mode_set(mode='OBJECT')
    obj.vertex_groups.new(name="Whole").add(list(range(15)), 1.0, 'REPLACE')
    obj.modifiers.new("Armature", 'ARMATURE').object = rig
    target = bpy.data.objects.new("Aim", None)
    scene.collection.objects.link(target)
    con = rig.pose.bones["Whole"].constraints.new('DAMPED_TRACK')
    con.target = target
    for frame, z in ((2, 0.0), (7, 2.0), (12, 4.0)):
        target.location = (4.0, 0.0, z)
        target.keyframe_insert("location", frame=frame)
    assert [o.name for o in grc.capture_frames.dependencies(obj)] == ["Aim", "Rig"]
    cap = grc.api.capture_templates(bpy.context, [obj])
    np.testing.assert_array_equal(cap.frames, [2, 7, 12])
    # the petal turns to aim at the target: its tip rises with it
    tip_z = cap.coords[0, :, -1, :, 2].mean(axis=1)
    np.testing.assert_allclose(tip_z[0], 0.0, atol=1e-6)
    assert 0.5 < tip_z[1] < tip_z[2]


def test_dependencies_found_through_rna_drivers_and_parents(grc):
    """Shrinkwrap target (and its parent), Simple Deform origin, a driver on a shape key, a
    lattice's parent: each one's keyframes are capture frames; a hidden modifier's are not."""
    scene = bpy.context.scene
    obj = grc.api.new_template(bpy.context, rows=4, cols=3, times=2, frame_step=30)  # 1, 31

    def thing(name, frame):
        o = bpy.data.objects.new(name, None)
        scene.collection.objects.link(o)
        o.keyframe_insert("location", frame=frame)
        return o
    wrap_target, origin, driver_src, lat_parent = (thing(n, f) for n, f in
                                                   (("Wall", 5), ("Pivot", 9), ("Knob", 13),
                                                    ("Holder", 17)))
    hidden = obj.modifiers.new("Off", 'HOOK')
    hidden.object, hidden.show_viewport = thing("Unused", 23), False
    sw = obj.modifiers.new("Wrap", 'SHRINKWRAP')
    sw.target = bpy.data.objects.new("Wall Mesh", bpy.data.meshes.new("Wall Mesh"))
    sw.target.parent = wrap_target
    scene.collection.objects.link(sw.target)
    obj.modifiers.new("Bend", 'SIMPLE_DEFORM').origin = origin
    fc = obj.data.shape_keys.key_blocks[1].driver_add("slider_max")
    var = fc.driver.variables.new()
    var.targets[0].id = driver_src
    lat = bpy.data.objects.new("Cage", bpy.data.lattices.new("Cage"))
    scene.collection.objects.link(lat)
    lat.parent = lat_parent
    obj.modifiers.new("Lattice", 'LATTICE').object = lat
    names = [o.name for o in grc.capture_frames.dependencies(obj)]
    assert names == sorted(["Wall Mesh", "Wall", "Pivot", "Knob", "Cage", "Holder"])
    frames, _ = grc.capture_frames.keyframes_with_dependencies(obj)
    np.testing.assert_array_equal(frames, [1, 5, 9, 13, 17, 31])


def test_hook_target_keyframes(grc):
    scene = bpy.context.scene
    obj, rest = plain_grid(grc, "Petal", rows=4, cols=3)
    empty = bpy.data.objects.new("Handle", None)
    scene.collection.objects.link(empty)
    mod = obj.modifiers.new("Hook", 'HOOK')
    mod.object = empty
    tip = [i for i, v in enumerate(rest.reshape(-1, 3)) if v[0] > 1.9]
    mod.vertex_indices_set(tip)
    for frame, z in ((3, 0.0), (13, 0.5)):
        empty.location = (0, 0, z)
        empty.keyframe_insert("location", frame=frame)
    cap = grc.api.capture_templates(bpy.context, [obj])
    np.testing.assert_array_equal(cap.frames, [3, 13])
    assert "at 2 frames (keyframes): 3, 13" in cap.report()
    np.testing.assert_allclose(cap.coords[0, 1, -1, :, 2], 0.5, atol=1e-6)
    np.testing.assert_allclose(cap.coords[0, 1, :-1], rest[:-1], atol=1e-6)


# ---- topology-changing modifiers, transform-only animation ------------------------------------

@pytest.mark.parametrize("kind", ['SUBSURF', 'TRIANGULATE', 'REMESH'])
def test_topology_changing_modifier_is_left_out(grc, kind):
    scene = bpy.context.scene
    obj = grc.api.new_template(bpy.context, rows=5, cols=6, times=3)
    mod = obj.modifiers.new("Smooth It", kind)
    if kind == 'SUBSURF':
        mod.levels = 2
    bend = obj.modifiers.new("Bend", 'SIMPLE_DEFORM')       # after it: deforms the cage
    bend.deform_method, bend.angle, bend.deform_axis = 'BEND', 0.5, 'Z'
    before, start = object_state(obj), scene.frame_current    # on the active key's frame
    select_only(obj)
    assert bpy.ops.grc.capture_templates() == {'FINISHED'}
    cap = grc.store.get_captured(active_model(scene))
    assert cap.shape == (1, 3, 5, 6)                           # the cage, not the dense mesh
    assert model_of(scene).captured_skipped == "'Template A': Smooth It"
    # what was read: the keys bent by Simple Deform alone (compare: the stack without it)
    mod.show_viewport = False
    depsgraph = bpy.context.evaluated_depsgraph_get()
    for t, frame in enumerate(cap.frames):
        scene.frame_set(int(frame))
        depsgraph = bpy.context.evaluated_depsgraph_get()
        ev = obj.evaluated_get(depsgraph).to_mesh()
        want = grc.mesh_grid.mesh_coords(ev)[order_of(grc, obj)]
        obj.evaluated_get(depsgraph).to_mesh_clear()
        np.testing.assert_allclose(cap.coords[0, t], want, atol=1e-6)
    mod.show_viewport = True
    scene.frame_set(start)
    assert object_state(obj) == before


def test_linked_template_with_subdivision(grc, tmp_path):
    """A template linked from a library: its Subdivision is left out and shown again."""
    obj = grc.api.new_template(bpy.context, rows=4, cols=4, times=2)
    obj.modifiers.new("Subdivision", 'SUBSURF')
    path = str(tmp_path / "lib.blend")
    bpy.data.libraries.write(path, {obj})
    bpy.ops.wm.read_homefile(use_empty=True)
    with bpy.data.libraries.load(path, link=True) as (src, dst):
        dst.objects = ["Template A"]
    linked = dst.objects[0]
    bpy.context.scene.collection.objects.link(linked)
    assert linked.library is not None
    cap = grc.api.capture_templates(bpy.context, [linked])
    assert cap.shape == (1, 2, 4, 4) and cap.skipped == {"Template A": ["Subdivision"]}
    assert linked.modifiers["Subdivision"].show_viewport


def test_pinned_shape_key_is_ignored_and_kept(grc):
    """The shape-key pin (show one key while sculpting it) would make every frame that key."""
    obj = grc.api.new_template(bpy.context, rows=4, cols=4, times=3)
    obj.show_only_shape_key = True                      # the last key is active
    before = object_state(obj)
    cap = grc.api.capture_templates(bpy.context, [obj])
    for t, kb in enumerate(obj.data.shape_keys.key_blocks[1:]):
        np.testing.assert_allclose(cap.coords[0, t], key_grid(grc, obj, kb.name), atol=1e-6)
    assert obj.show_only_shape_key and object_state(obj) == before


def test_skipped_modifier_named_in_report(grc, capfd):
    obj = grc.api.new_template(bpy.context, rows=4, cols=4, times=2)
    obj.modifiers.new("Subdivision", 'SUBSURF')
    select_only(obj)
    assert bpy.ops.grc.capture_templates() == {'FINISHED'}
    out = capfd.readouterr().out
    assert "Left out (they change the topology; the R x C cage was read): 'Template A': Subdivision" in out
    assert "4 x 4" in out


def _nodes_modifier(obj, subdivide: bool):
    """A Geometry Nodes modifier that subdivides the mesh or only moves it up by 0.25."""
    tree = bpy.data.node_groups.new("GRC Test Nodes", 'GeometryNodeTree')
    tree.interface.new_socket("Geometry", in_out='INPUT', socket_type='NodeSocketGeometry')
    tree.interface.new_socket("Geometry", in_out='OUTPUT', socket_type='NodeSocketGeometry')
    gin, gout = tree.nodes.new("NodeGroupInput"), tree.nodes.new("NodeGroupOutput")
    if subdivide:
        node = tree.nodes.new("GeometryNodeSubdivideMesh")
    else:
        node = tree.nodes.new("GeometryNodeSetPosition")
        node.inputs["Offset"].default_value = (0.0, 0.0, 0.25)
    tree.links.new(gin.outputs[0], node.inputs[0])
    tree.links.new(node.outputs[0], gout.inputs[0])
    mod = obj.modifiers.new("Nodes", 'NODES')
    mod.node_group = tree
    return mod


@pytest.mark.parametrize("subdivide", [True, False])
def test_geometry_nodes_judged_by_what_they_do(grc, subdivide):
    obj = grc.api.new_template(bpy.context, rows=4, cols=3, times=2)
    _nodes_modifier(obj, subdivide)
    before = object_state(obj)
    cap = grc.api.capture_templates(bpy.context, [obj])
    assert cap.shape == (1, 2, 4, 3)
    assert cap.skipped == ({"Template A": ["Nodes"]} if subdivide else {})
    lift = 0.0 if subdivide else 0.25
    for t, name in enumerate(kb.name for kb in obj.data.shape_keys.key_blocks[1:]):
        want = key_grid(grc, obj, name) + (0.0, 0.0, lift)
        np.testing.assert_allclose(cap.coords[0, t], want, atol=1e-6)
    assert object_state(obj) == before


def test_geometry_nodes_object_input_keyframes(grc):
    """A template moved by a Geometry Nodes modifier whose Object input is an animated Empty
    (Object Info -> Set Position): capture finds the Empty's keyframes through the input
    (an ID property up to Blender 5.1, an RNA struct from 5.2) and reads the moved grid."""
    scene = bpy.context.scene
    obj, rest = plain_grid(grc, "Petal", rows=4, cols=3)
    tree = bpy.data.node_groups.new("GRC Follow", 'GeometryNodeTree')
    tree.interface.new_socket("Geometry", in_out='INPUT', socket_type='NodeSocketGeometry')
    socket = tree.interface.new_socket("Follow", in_out='INPUT', socket_type='NodeSocketObject')
    tree.interface.new_socket("Geometry", in_out='OUTPUT', socket_type='NodeSocketGeometry')
    gin, gout = tree.nodes.new("NodeGroupInput"), tree.nodes.new("NodeGroupOutput")
    info, move = tree.nodes.new("GeometryNodeObjectInfo"), tree.nodes.new("GeometryNodeSetPosition")
    tree.links.new(gin.outputs["Follow"], info.inputs["Object"])
    tree.links.new(info.outputs["Location"], move.inputs["Offset"])
    tree.links.new(gin.outputs["Geometry"], move.inputs["Geometry"])
    tree.links.new(move.outputs["Geometry"], gout.inputs["Geometry"])
    mod = obj.modifiers.new("Follow", 'NODES')
    mod.node_group = tree
    empty = bpy.data.objects.new("Handle", None)
    scene.collection.objects.link(empty)
    set_node_input(mod, socket.identifier, empty)
    for frame, z in ((4, 0.0), (14, 0.5)):
        empty.location = (0, 0, z)
        empty.keyframe_insert("location", frame=frame)
    assert [o.name for o in grc.capture_frames.dependencies(obj)] == ["Handle"]
    before = object_state(obj)
    select_only(obj)
    assert bpy.ops.grc.capture_templates() == {'FINISHED'}
    cap = grc.store.get_captured(active_model(scene))
    np.testing.assert_array_equal(cap.frames, [4, 14])
    assert cap.shape == (1, 2, 4, 3) and model_of(scene).captured_skipped == ""
    np.testing.assert_allclose(cap.coords[0, 0], rest, atol=1e-6)
    np.testing.assert_allclose(cap.coords[0, 1], rest + (0.0, 0.0, 0.5), atol=1e-6)
    assert object_state(obj) == before


def test_transform_only_animation_is_refused(grc):
    scene = bpy.context.scene
    obj, _ = plain_grid(grc, "Spinner")
    obj.modifiers.new("Subdivision", 'SUBSURF')       # hidden during capture, restored on error
    for frame, z in ((1, 0.0), (9, 1.0)):
        obj.rotation_euler = (0, 0, z)
        obj.location = (0, 0, z)
        obj.keyframe_insert("rotation_euler", frame=frame)
        obj.keyframe_insert("location", frame=frame)
    select_only(obj)
    scene.frame_set(1)
    before = (model_of(scene), object_state(obj))         # no model yet
    with pytest.raises(RuntimeError, match="only moves, rotates or scales") as info:
        bpy.ops.grc.capture_templates()
    assert "object's own space" in str(info.value) and "shape keys" in str(info.value)
    assert "armature" in str(info.value) and "lattice" in str(info.value)
    assert (model_of(scene), object_state(obj)) == before  # a refused capture adds none


# ---- markers and every N frames -----------------------------------------------------------

def test_capture_from_markers_and_every_n(grc):
    scene = bpy.context.scene
    obj = grc.api.new_template(bpy.context, rows=4, cols=5, times=7)   # frames 1, 9 .. 49
    names = [kb.name for kb in obj.data.shape_keys.key_blocks][1:]
    select_only(obj)
    assert bpy.ops.grc.add_model() == {'FINISHED'}
    model_of(scene).capture_frames = 'MARKERS'
    scene.timeline_markers.new("open", frame=25)
    with pytest.raises(RuntimeError, match="1 timeline marker"):
        bpy.ops.grc.capture_templates()
    for name, frame in (("bud", 1), ("full", 49)):
        scene.timeline_markers.new(name, frame=frame)
    assert bpy.ops.grc.capture_templates() == {'FINISHED'}
    cap = grc.store.get_captured(active_model(scene))
    np.testing.assert_array_equal(cap.frames, [1, 25, 49])
    np.testing.assert_allclose(cap.coords[0, 1], key_grid(grc, obj, names[3]), atol=1e-6)

    model_of(scene).capture_frames, model_of(scene).capture_every = 'EVERY_N', 12
    scene.frame_start, scene.frame_end = 1, 49
    assert bpy.ops.grc.capture_templates() == {'FINISHED'}
    assert model_of(scene).captured_frames == "1, 13, 25, 37, 49"
    cap = grc.store.get_captured(active_model(scene))
    np.testing.assert_allclose(cap.times, [0, 0.25, 0.5, 0.75, 1.0])
    half = 0.5 * (key_grid(grc, obj, names[1]) + key_grid(grc, obj, names[2]))  # frame 13
    np.testing.assert_allclose(cap.coords[0, 1], half, atol=1e-6)
    scene.frame_end = 10
    with pytest.raises(RuntimeError, match="gives 1 frame"):
        bpy.ops.grc.capture_templates()
    # the API takes the source explicitly too
    cap = grc.api.capture_templates(bpy.context, [obj], source='KEYFRAMES')
    np.testing.assert_array_equal(cap.frames, 1 + 8 * np.arange(7))


# ---- grid from mesh --------------------------------------------------------------------------

def squashed_sphere(angle=0.5):
    """A UV sphere squashed into a 2 x 0.6 x 0.16 petal, turned `angle` about Z, its origin
    at one end (the base)."""
    bpy.ops.mesh.primitive_uv_sphere_add(segments=24, ring_count=12, radius=1.0)
    obj = bpy.context.active_object
    obj.name = "Sphere Petal"
    m = (Matrix.Rotation(angle, 4, 'Z') @ Matrix.Translation((1.0, 0, 0))
         @ Matrix.Diagonal((1.0, 0.3, 0.08, 1.0)))
    obj.data.transform(m)
    obj.location = (3.0, -1.0, 0.5)
    obj.rotation_euler = (0.2, 0.0, 0.0)
    bpy.context.view_layer.update()
    return obj, m


def test_grid_from_mesh_on_a_squashed_sphere(grc):
    src, m = squashed_sphere()
    before = (coords_of(src).tobytes(), len(src.data.polygons), src.matrix_world.copy())
    select_only(src)
    assert bpy.ops.grc.grid_from_mesh(rows=9, cols=5, times=0) == {'FINISHED'}
    new = bpy.context.active_object
    assert new != src and new.name == "Sphere Petal Template A"
    assert (coords_of(src).tobytes(), len(src.data.polygons), src.matrix_world) == before
    order = order_of(grc, new)
    assert order.shape == (9, 5)
    # the new grid, in the source's object space
    to_src = src.matrix_world.inverted() @ new.matrix_world
    grid = coords_of(new)[order] @ np.array(to_src)[:3, :3].T + np.array(to_src)[:3, 3]
    # on the surface: every point within 1e-5 of the source's faces
    verts = coords_of(src)
    tree = BVHTree.FromPolygons(verts.tolist(), [tuple(p.vertices) for p in src.data.polygons])
    dist = [tree.find_nearest(tuple(p))[3] for p in grid.reshape(-1, 3)]
    assert max(dist) < 1e-5
    # aligned with the long axis: base near the origin's end, tip near the far end
    long_axis = np.array(m.to_3x3() @ Vector((1, 0, 0))).ravel()
    long_axis /= np.linalg.norm(long_axis)
    s = grid @ long_axis
    assert s[0].mean() < 0.1 and s[-1].mean() > 1.9           # length 2 from the origin
    assert np.all(np.diff(s.mean(axis=1)) > 0)
    assert np.ptp(grid[4] @ np.cross([0, 0, 1], long_axis)) > 0.4   # spans the 0.6 width
    # one sheet (the upper one), origin at the base row, and it captures as a template
    assert np.all(grid[..., 2] > -1e-6)
    np.testing.assert_allclose(coords_of(new)[order][0].mean(axis=0), 0.0, atol=1e-6)


def test_grid_from_mesh_with_keys_captures_and_refusals(grc):
    src, _ = squashed_sphere(angle=0.0)
    new = grc.api.grid_from_mesh(bpy.context, src, rows=6, cols=4, times=3)
    assert len(new.data.shape_keys.key_blocks) == 4
    select_only(src)
    assert bpy.ops.grc.grid_from_mesh(rows=6, cols=4, times=3) == {'FINISHED'}
    by_operator = bpy.context.active_object
    np.testing.assert_array_equal(coords_of(by_operator), coords_of(new))
    assert by_operator.matrix_world == new.matrix_world
    bpy.data.objects.remove(by_operator)
    cap = grc.api.capture_templates(bpy.context, [new])
    assert cap.shape == (1, 3, 6, 4)
    # refusals: not a mesh, no faces; poll message for a non-mesh active object
    empty = bpy.data.objects.new("Empty", None)
    bpy.context.scene.collection.objects.link(empty)
    select_only(empty)
    with pytest.raises(RuntimeError, match="Make a petal mesh object active"):
        bpy.ops.grc.grid_from_mesh()
    mesh = bpy.data.meshes.new("Points")
    mesh.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [])
    pts = bpy.data.objects.new("Points", mesh)
    bpy.context.scene.collection.objects.link(pts)
    select_only(pts)
    n = len(bpy.data.objects)
    with pytest.raises(RuntimeError, match="'Points' has no faces"):
        bpy.ops.grc.grid_from_mesh()
    assert len(bpy.data.objects) == n


# ---- the base/tip overlay ----------------------------------------------------------------

def test_overlay_geometry_is_pure(grc):
    og = grc.overlay_geometry
    grid = np.zeros((4, 3, 3))
    grid[..., 0] = np.arange(4)[:, None]
    grid[..., 1] = np.arange(3)[None, :]
    marks = og.template_marks(grid, "T", stale=False)
    np.testing.assert_array_equal(marks.base, grid[0])
    np.testing.assert_array_equal(marks.tip, grid[-1])
    texts = [t for _, t in marks.labels]
    assert texts == ["base", "tip", "T  4 x 3"]
    np.testing.assert_allclose(marks.labels[0][0], (-0.24, 1, 0))   # pushed out past the base
    np.testing.assert_allclose(marks.labels[1][0], (3.24, 1, 0))
    stale = og.template_marks(grid, "T", stale=True)
    assert stale.labels[og.SIZE_LABEL][1] == f"T  4 x 3  ({og.STALE_TEXT})"
    world = og.to_world(np.array(Matrix.Translation((1, 2, 3))), grid)
    np.testing.assert_allclose(world - grid, np.broadcast_to((1, 2, 3), grid.shape))


def test_overlay_handlers_register_and_marks_follow_selection(grc):
    ov = grc.overlay
    assert ov.is_registered()
    ov.unregister()
    assert not ov.is_registered()
    ov.register()
    assert ov.is_registered()

    scene = bpy.context.scene
    obj = grc.api.new_template(bpy.context, rows=5, cols=4, times=3)
    obj.location = (1.0, 2.0, 0.0)
    bpy.ops.mesh.primitive_cube_add(location=(5, 5, 5))      # selected, not a grid: no marks
    cube = bpy.context.active_object
    select_only(obj, cube)
    scene.frame_set(1)
    marks = ov.template_marks_of(bpy.context)
    assert len(marks) == 1
    # the draw callback's path: the view layer's depsgraph, already evaluated
    drawn = ov.template_marks_of(bpy.context, bpy.context.view_layer.depsgraph)
    np.testing.assert_array_equal(drawn[0].base, marks[0].base)
    order = order_of(grc, obj)
    ev = obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
    shown = grc.mesh_grid.mesh_coords(ev.data)[order] + (1.0, 2.0, 0.0)
    np.testing.assert_allclose(marks[0].base, shown[0], atol=1e-6)
    np.testing.assert_allclose(marks[0].tip, shown[-1], atol=1e-6)
    np.testing.assert_allclose(marks[0].base.mean(axis=0), (1.0, 2.0, 0.0), atol=1e-6)
    assert [t for _, t in marks[0].labels] == ["base", "tip", "Template A  5 x 4"]
    # captured: not stale; a shape key edited since: stale; captured again: not stale
    grc.api.capture_templates(bpy.context, [obj])
    assert not ov.template_marks_of(bpy.context)[0].stale
    kb = obj.data.shape_keys.key_blocks[-1]
    kb.data[3].co.z += 0.1
    marks = ov.template_marks_of(bpy.context)
    assert marks[0].stale and "edited since capture" in marks[0].labels[2][1]
    grc.api.capture_templates(bpy.context, [obj])
    assert not ov.template_marks_of(bpy.context)[0].stale
    scene.grc.show_template_overlay = False
    assert ov.template_marks_of(bpy.context) == []


def test_fingerprint_sees_dependency_keyframes(grc):
    obj, _ = plain_grid(grc, "Petal", rows=3, cols=3)
    empty = bpy.data.objects.new("Handle", None)
    bpy.context.scene.collection.objects.link(empty)
    mod = obj.modifiers.new("Hook", 'HOOK')
    mod.object = empty
    empty.keyframe_insert("location", frame=1)
    a = grc.fingerprint.template_fingerprint(obj)
    assert grc.fingerprint.template_fingerprint(obj) == a
    empty.location.z = 1.0
    empty.keyframe_insert("location", frame=20)
    assert grc.fingerprint.template_fingerprint(obj) != a
