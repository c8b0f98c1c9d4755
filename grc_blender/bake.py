"""Bake a petal to a plain mesh copy with shape keys, which plays without the extension.

One shape key per frame of the scene's frame range, each keyed 1 at its own frame and 0
at the neighbouring frames (LINEAR), so exactly one key is active on every frame and
subframes blend neighbours (motion blur). FBX, glTF and Alembic export shape keys or the
evaluated mesh, so the bake renders and exports with the extension disabled.
"""
from __future__ import annotations

import bpy
import numpy as np

from . import anim, mesh_grid, store
from .petal_objects import SUBSURF_NAME
from ..model_core import GRCError


def bake(scene, src) -> bpy.types.Object:
    """A copy of petal `src` with one shape key per frame of the scene's range."""
    if store.get_model(scene) is None:
        raise GRCError("No trained model in this scene: train before baking")
    frames = list(range(scene.frame_start, scene.frame_end + 1))
    frame0, sub0 = scene.frame_current, scene.frame_subframe
    coords = []
    try:
        for f in frames:
            scene.frame_set(f)   # frame_change_post regenerates the petal
            coords.append(mesh_grid.mesh_coords(src.data).astype(np.float32))
    finally:
        scene.frame_set(frame0, subframe=sub0)
    if len({c.shape for c in coords}) != 1:
        raise GRCError(f"'{src.name}' changes its row count during the frame range: bake "
                       f"needs a fixed Rows value (remove the Rows keyframes)")
    mesh = src.data.copy()
    mesh.name = src.data.name + " Baked"
    obj = bpy.data.objects.new(src.name + " Baked", mesh)
    for coll in src.users_collection:
        coll.objects.link(obj)
    obj.matrix_world = src.matrix_world.copy()
    mesh.vertices.foreach_set("co", coords[0].ravel())
    mesh.update()
    obj.shape_key_add(name="Basis", from_mix=False)
    key = mesh.shape_keys
    for i, f in enumerate(frames):
        kb = obj.shape_key_add(name=f"frame {f}", from_mix=False)
        kb.data.foreach_set("co", coords[i].ravel())
        pts = [(g, 1.0 if g == f else 0.0) for g in (f - 1, f, f + 1) if frames[0] <= g <= frames[-1]]
        anim.set_keys(key, f'key_blocks["{kb.name}"].value', [p[0] for p in pts],
                      [p[1] for p in pts], 'LINEAR',
                      insert=lambda fr, kb=kb: kb.keyframe_insert("value", frame=fr))
    mod = src.modifiers.get(SUBSURF_NAME)
    if mod is not None:
        new = obj.modifiers.new(mod.name, 'SUBSURF')
        if not isinstance(new, bpy.types.SubsurfModifier):
            raise GRCError(f"could not add a Subdivision Surface modifier to '{obj.name}'")
        new.levels, new.render_levels = mod.levels, mod.render_levels
    return obj


def baked_frame_count(obj: bpy.types.Object) -> int:
    """Frames baked into `obj` by bake(): its shape keys minus the Basis."""
    mesh = obj.data
    keys = mesh.shape_keys if isinstance(mesh, bpy.types.Mesh) else None
    if keys is None:
        raise GRCError(f"'{obj.name}' has no shape keys after baking")
    return len(keys.key_blocks) - 1
