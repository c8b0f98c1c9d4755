"""Bake petals (or whole flowers) to plain mesh copies with shape keys, which play without
the extension.

One shape key per sampled frame, each keyed 1 at its own frame and 0 at the neighbouring
samples (LINEAR), so exactly one key is active on every sampled frame and frames between
samples (a step > 1, motion-blur sub-frames) blend their neighbours. FBX, glTF and Alembic export shape keys or the
evaluated mesh, so the bake renders and exports with the extension disabled.
"""
from __future__ import annotations

import bpy
import numpy as np

from ..util import anim, mesh_grid
from . import flower_mesh
from .. import store
from ..access import is_petal, mesh_settings
from .petal_objects import SUBSURF_NAME
from ...model_core import GRCError


class Baking:
    """A bake in steps, so an operator can show progress between frames and Esc can stop it:
    `advance()` samples the next frame; `finish()` makes the copies; `cancel()` leaves
    everything as it was. The scene's frame is restored either way."""

    def __init__(self, scene, objects, frame_start: int | None = None,
                 frame_end: int | None = None, step: int = 1, hide_live: bool = True):
        self.sources = _petals_of(objects)
        if not self.sources:
            raise GRCError("Select GRC petals or a GRC flower to bake")
        first = scene.frame_start if frame_start is None else int(frame_start)
        last = scene.frame_end if frame_end is None else int(frame_end)
        if last < first or step < 1:
            raise GRCError(f"bad frame range {first}..{last} step {step}")
        self.frames = list(range(first, last + 1, step))
        if self.frames[-1] != last:
            self.frames.append(last)
        self.scene, self.hide_live = scene, hide_live
        self.frame0, self.sub0 = scene.frame_current, scene.frame_subframe
        self.coords: list[list[np.ndarray]] = [[] for _ in self.sources]
        self.done = 0

    def advance(self) -> bool:
        """Sample the next frame; True while frames remain after it."""
        if self.done < len(self.frames):
            self.scene.frame_set(self.frames[self.done])   # frame_change_post regenerates
            for i, src in enumerate(self.sources):
                self.coords[i].append(mesh_grid.mesh_coords(src.data).astype(np.float32))
            self.done += 1
        return self.done < len(self.frames)

    def cancel(self) -> None:
        self.scene.frame_set(self.frame0, subframe=self.sub0)

    def finish(self) -> list[bpy.types.Object]:
        self.cancel()                                   # the frame as it was
        for src, seq in zip(self.sources, self.coords):
            if len({c.shape for c in seq}) != 1:
                raise GRCError(f"'{src.name}' changes its row count during the frame range: "
                               f"bake needs a fixed Rows value (remove the Rows keyframes)")
        baked = [_baked_copy(src, seq, self.frames) for src, seq in zip(self.sources, self.coords)]
        if self.hide_live:
            for src in self.sources:
                src.hide_render = True
                src.hide_set(True)
        return baked


def bake_petals(scene, objects, frame_start: int | None = None, frame_end: int | None = None,
                step: int = 1, hide_live: bool = True) -> list[bpy.types.Object]:
    """Copies of the petals in `objects` (flower roots bring all their petals) with one shape
    key per sampled frame; each copy keeps its petal's parent, so a flower's root still moves
    them. `hide_live`: hide the live petals so the file renders the bake alone (a Blender
    without the extension, a render farm)."""
    baking = Baking(scene, objects, frame_start, frame_end, step, hide_live)
    try:
        while baking.advance():
            pass
    except BaseException:
        baking.cancel()
        raise
    return baking.finish()


def _petals_of(objects) -> list:
    out: dict[int, bpy.types.Object] = {}
    for obj in objects:
        if is_petal(obj):
            out[obj.as_pointer()] = obj
        elif obj.grc.is_flower and obj.grc.merge_petals and flower_mesh.merged_flower_object(obj):
            merged = flower_mesh.merged_flower_object(obj)
            out[merged.as_pointer()] = merged
        elif obj.grc.is_flower:
            for child in obj.children:
                if is_petal(child):
                    out[child.as_pointer()] = child
    return list(out.values())


def _baked_copy(src, coords: list[np.ndarray], frames: list[int]) -> bpy.types.Object:
    mesh = src.data.copy()
    mesh.name = src.data.name + " Baked"
    mesh_settings(mesh).generated = False        # the artist's mesh now
    obj = bpy.data.objects.new(src.name + " Baked", mesh)
    for coll in src.users_collection:
        coll.objects.link(obj)
    obj.parent = src.parent
    obj.matrix_parent_inverse = src.matrix_parent_inverse.copy()
    obj.matrix_basis = src.matrix_basis.copy()
    mesh.vertices.foreach_set("co", coords[0].ravel())
    mesh.update()
    obj.shape_key_add(name="Basis", from_mix=False)
    key = mesh.shape_keys
    for i, f in enumerate(frames):
        kb = obj.shape_key_add(name=f"frame {f}", from_mix=False)
        kb.data.foreach_set("co", coords[i].ravel())
        near = [frames[j] for j in (i - 1, i, i + 1) if 0 <= j < len(frames)]
        anim.set_keys(key, f'key_blocks["{kb.name}"].value', near,
                      [1.0 if g == f else 0.0 for g in near], 'LINEAR',
                      insert=lambda fr, kb=kb: kb.keyframe_insert("value", frame=fr))
    mod = src.modifiers.get(SUBSURF_NAME)
    if mod is not None:
        new = obj.modifiers.new(mod.name, 'SUBSURF')
        if not isinstance(new, bpy.types.SubsurfModifier):
            raise GRCError(f"could not add a Subdivision Surface modifier to '{obj.name}'")
        new.levels, new.render_levels = mod.levels, mod.render_levels
    return obj


def bake_petal(scene, src) -> bpy.types.Object:
    """One petal over the scene's frame range; the live petal stays visible."""
    return bake_petals(scene, [src], hide_live=False)[0]


def baked_frame_count(obj: bpy.types.Object) -> int:
    """Frames baked into `obj` by bake_petal(): its shape keys minus the Basis."""
    mesh = obj.data
    keys = mesh.shape_keys if isinstance(mesh, bpy.types.Mesh) else None
    if keys is None:
        raise GRCError(f"'{obj.name}' has no shape keys after baking")
    return len(keys.key_blocks) - 1
