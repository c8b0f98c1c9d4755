"""Petals are correct in every depsgraph that evaluates them: an animation render
matches stills frame by frame, motion-blur sub-frames get their own shapes, Alembic export
carries the animation, and drivers are live."""
from __future__ import annotations

import bpy
import numpy as np

from blender_helpers import (active_model, PACKAGE, add_camera, add_example_and_capture, coords_of,
                             drive_by_empty_x, image_pixels, train_quick)

FRAMES = (1, 2, 3, 4)


def _keyed_petal():
    """A trained scene with one petal whose context and time are keyed over FRAMES."""
    add_example_and_capture()
    train_quick()
    assert bpy.ops.grc.add_petal() == {'FINISHED'}
    petal = bpy.context.active_object
    for f, (ctx, t) in zip(FRAMES, ((-0.5, 0.3), (0.2, 0.6), (0.9, 0.9), (1.5, 1.0))):
        petal.grc.context, petal.grc.time = ctx, t
        petal.keyframe_insert("grc.context", frame=f)
        petal.keyframe_insert("grc.time", frame=f)
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = FRAMES[0], FRAMES[-1]
    return scene, petal


def _camera(scene, petal):
    add_camera(scene, (1.2, -3.5, 2.5), (1.0, 0.0, 0.3), (96, 72))


def _expected(grc, scene, petal, frame, subframe=0.0) -> np.ndarray:
    """The petal's shape at `frame` from the model, with the F-curves' own values."""
    # The extension's own lookup: slotted actions' channelbags from 4.4, action.fcurves before.
    value = {fc.data_path: fc.evaluate(frame + subframe) for fc in grc.anim.fcurves(petal)}
    assert {"grc.time", "grc.context"} <= set(value), value
    model = grc.store.get_model(active_model(scene))
    return model.generate(value["grc.time"], value["grc.context"], 0.0,
                          rows=petal.grc.rows).reshape(-1, 3)


def test_animation_render_matches_stills(grc, tmp_path):
    scene, petal = _keyed_petal()
    _camera(scene, petal)
    scene.render.engine = 'BLENDER_WORKBENCH'
    scene.frame_set(FRAMES[0])     # the viewport shows frame 1: a static render would too
    scene.render.filepath = str(tmp_path / "anim_")
    assert bpy.ops.render.render(animation=True) == {'FINISHED'}
    stills = []
    for f in FRAMES:
        scene.frame_set(f)
        scene.render.filepath = str(tmp_path / f"still_{f}.png")
        assert bpy.ops.render.render(write_still=True) == {'FINISHED'}
        stills.append(image_pixels(tmp_path / f"still_{f}.png"))
        anim = image_pixels(tmp_path / f"anim_{f:04d}.png")
        assert np.abs(anim - stills[-1]).mean() < 1e-4, f"frame {f} differs from its still"
    # The frames really differ, so a static petal could not pass.
    assert np.abs(stills[0] - stills[-1]).mean() > 1e-3


def test_render_depsgraph_values_reach_every_subframe(grc, tmp_path):
    """Cycles with motion blur evaluates sub-frames in the render's own depsgraph: the petal's
    mesh must hold each sub-frame's shape (read by a handler that runs after ours)."""
    scene, petal = _keyed_petal()
    _camera(scene, petal)
    scene.render.engine = 'CYCLES'
    scene.cycles.samples = 1
    scene.render.use_motion_blur = True
    scene.frame_set(FRAMES[0])
    seen = []

    def after(sc, depsgraph=None):
        if depsgraph is not None and depsgraph.mode == 'RENDER':
            seen.append((sc.frame_current, sc.frame_subframe, coords_of(petal)))

    bpy.app.handlers.frame_change_post.append(after)
    try:
        scene.render.filepath = str(tmp_path / "blur_")
        scene.frame_start, scene.frame_end = 2, 3
        assert bpy.ops.render.render(animation=True) == {'FINISHED'}
    finally:
        bpy.app.handlers.frame_change_post.remove(after)
    subframes = [s for s in seen if s[1] != 0.0]
    assert subframes, "no motion-blur sub-frame was evaluated"
    assert {s[0] for s in seen} >= {2, 3}
    for frame, sub, co in seen:
        np.testing.assert_allclose(co, _expected(grc, scene, petal, frame, sub), atol=1e-4,
                                   err_msg=f"frame {frame} + {sub}")


def test_alembic_export_of_a_baked_petal_is_animated(grc, tmp_path):
    """Alembic and USD writers sample only meshes they consider animated (shape keys, mesh
    animation, time-dependent modifiers); a handler-written mesh is not one, so petals are
    exported through Bake to Shape Keys (documented)."""
    scene, petal = _keyed_petal()
    want = {}
    for f in FRAMES:
        scene.frame_set(f)
        want[f] = coords_of(petal)
    bpy.context.view_layer.objects.active = petal
    assert bpy.ops.grc.bake_shape_keys() == {'FINISHED'}
    baked = bpy.context.scene.objects[petal.name + " Baked"]
    for o in scene.objects:
        o.select_set(o == baked)
    path = tmp_path / "petal.abc"
    assert bpy.ops.wm.alembic_export(filepath=str(path), start=FRAMES[0], end=FRAMES[-1],
                                     selected=True) == {'FINISHED'}
    bpy.data.objects.remove(baked)
    petal.grc.is_petal = False           # the import must show the file, not the extension
    assert bpy.ops.wm.alembic_import(filepath=str(path)) == {'FINISHED'}
    imported = [o for o in scene.objects if o.type == 'MESH' and o.modifiers
                and o.modifiers[0].type == 'MESH_SEQUENCE_CACHE']
    assert len(imported) == 1
    obj = imported[0]
    for f in FRAMES:
        scene.frame_set(f)
        ev = obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
        co = np.empty(len(ev.data.vertices) * 3, np.float32)
        ev.data.vertices.foreach_get("co", co)
        # world space: the importer converts Alembic's Y-up back; vertex order is kept
        world = co.reshape(-1, 3) @ np.array(ev.matrix_world)[:3, :3].T + np.array(ev.matrix_world)[:3, 3]
        np.testing.assert_allclose(np.sort(world, axis=0), np.sort(want[f], axis=0), atol=1e-4,
                                   err_msg=f"frame {f}")
    assert not np.allclose(want[FRAMES[0]], want[FRAMES[-1]], atol=1e-3)


def test_driver_on_context_is_live(grc):
    add_example_and_capture()
    train_quick()
    assert bpy.ops.grc.add_petal() == {'FINISHED'}
    petal = bpy.context.active_object
    scene = bpy.context.scene
    empty = drive_by_empty_x(petal, "grc.context")
    model = grc.store.get_model(active_model(scene))
    for x in (0.25, 1.3, -0.4):
        empty.location.x = x
        bpy.context.view_layer.update()          # no frame change
        np.testing.assert_allclose(
            coords_of(petal), model.generate(petal.grc.time, x, 0.0, rows=petal.grc.rows)
            .reshape(-1, 3), atol=1e-4, err_msg=f"driver at {x}")


def test_add_petal_locks_the_interface_for_renders(grc):
    add_example_and_capture()
    train_quick()
    scene = bpy.context.scene
    scene.render.use_lock_interface = False
    assert bpy.ops.grc.add_petal() == {'FINISHED'}
    assert scene.render.use_lock_interface


def test_handlers_are_registered_for_render_end(grc):
    names = {h.__name__ for h in bpy.app.handlers.render_complete
             if getattr(h, "__module__", "").startswith(PACKAGE)}
    assert "on_render_end" in names


def test_collection_instances_show_the_frames_shape(grc):
    """A collection holding a keyed petal, instanced elsewhere in the scene: every instance
    the depsgraph produces carries the petal's shape of that frame."""
    scene, petal = _keyed_petal()
    petal.grc.subsurf_levels = 0          # compare the cage itself
    coll = bpy.data.collections.new("Petal Set")
    coll.objects.link(petal)
    inst = bpy.data.objects.new("Petal Set Instance", None)
    inst.instance_type = 'COLLECTION'
    inst.instance_collection = coll
    inst.location = (3.0, 0.0, 0.0)
    scene.collection.objects.link(inst)
    for f in (FRAMES[0], FRAMES[-1]):
        scene.frame_set(f)
        dg = bpy.context.evaluated_depsgraph_get()
        want = _expected(grc, scene, petal, f)
        found = 0
        for oi in dg.object_instances:
            if oi.is_instance and oi.object.original == petal:
                me = oi.object.data
                co = np.empty(len(me.vertices) * 3, np.float32)
                me.vertices.foreach_get("co", co)
                np.testing.assert_allclose(co.reshape(-1, 3), want, atol=1e-4)
                found += 1
        assert found == 1, f"frame {f}: {found} instances"
