"""Bake petals (or whole flowers) to plain mesh copies with shape keys, which play without
the extension.

One shape key per sampled frame, each keyed 1 at its own frame and 0 at the neighbouring
samples (LINEAR), so exactly one key is active on every sampled frame and frames between
samples (a step > 1, motion-blur sub-frames) blend their neighbours. FBX, glTF and Alembic export shape keys or the
evaluated mesh, so the bake renders and exports with the extension disabled.

Without a frame range the bake covers the frames the petals are animated over: the
keyframes of the petals and of their flowers, or, with none, the captured templates' range.
Baking a petal again replaces its previous bake (the object the bake made for it, found
through the pair of pointers Object.grc.bake / baked_from, and its mesh and shape-key
animation when nothing else uses them); anything else stays.
"""
from __future__ import annotations

import bpy
import numpy as np

from ..util import anim, mesh_grid
from . import flower_mesh
from .. import store
from ..access import is_flower_object, is_petal, mesh_settings, object_settings
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
            raise GRCError("Select petals or a flower to bake")
        if frame_start is None or frame_end is None:
            animated = animated_range(scene, self.sources)
            frame_start = animated[0] if frame_start is None else frame_start
            frame_end = animated[1] if frame_end is None else frame_end
        first, last = int(frame_start), int(frame_end)
        if last < first or step < 1:
            raise GRCError(f"bad frame range {first}..{last} step {step}")
        self.frames = list(range(first, last + 1, step))
        if self.frames[-1] != last:
            self.frames.append(last)
        self.scene, self.hide_live = scene, hide_live
        self.frame0, self.sub0 = scene.frame_current, scene.frame_subframe
        self.coords: list[list[np.ndarray]] = [[] for _ in self.sources]
        self.done = 0
        self.replaced = 0       # previous bakes removed by finish()

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
        self.replaced = sum(remove_previous_bake(src) for src in self.sources)
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


def bake_source(obj):
    """The live petal (or merged flower) `obj` is the current bake of, else None."""
    src = object_settings(obj).baked_from if obj is not None else None
    return src if src is not None and object_settings(src).bake == obj else None


def animated_range(scene, sources) -> tuple[int, int]:
    """The frames the petals are animated over: first to last keyframe of the petals and
    of their flowers (a merged flower: its root and petals); with fewer than two, the
    captured templates' frames; with none captured, the scene's range."""
    ids = []
    for src in sources:
        root = src.parent if src.parent is not None and src.parent.grc.is_flower else None
        ids += [src, *([root, *root.children] if root is not None else [])]
    frames = np.unique(np.concatenate([np.empty(0), *(anim.keyframe_frames(o) for o in ids)]))
    if len(frames) < 2:            # the captured frames of the petals' model
        cap = store.get_captured(next((m for m in (object_settings(s).model for s in sources)
                                       if m is not None), None))
        frames = np.asarray(cap.frames if cap is not None else [], dtype=np.float64)
    if len(frames) < 2:
        return scene.frame_start, scene.frame_end
    return int(np.floor(frames[0])), int(np.ceil(frames[-1]))


def remove_previous_bake(src) -> int:
    """Remove the object the last bake made of `src` (1) or nothing (0): only while it is
    still that bake (its pointer back), with its mesh and shape-key action when they have
    no other user. Never anything the artist made."""
    old = object_settings(src).bake
    if old is None or bake_source(old) is not src or old.library is not None:
        return 0
    mesh = old.data
    keys = getattr(mesh, "shape_keys", None)
    action = keys.animation_data.action if keys is not None and keys.animation_data else None
    bpy.data.objects.remove(old)
    if isinstance(mesh, bpy.types.Mesh) and mesh.users == 0:
        bpy.data.meshes.remove(mesh)
    if action is not None and action.users == 0:
        bpy.data.actions.remove(action)
    return 1


def _petals_of(objects) -> list:
    out: dict[int, bpy.types.Object] = {}
    for obj in objects:
        obj = bake_source(obj) or obj          # a bake brings its petal: bake it again
        if is_petal(obj) or is_flower_object(obj) and not obj.grc.separated:
            out[obj.as_pointer()] = obj        # a one-object flower is baked whole
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
    object_settings(src).bake, object_settings(obj).baked_from = obj, src
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
    """One petal over the frames it is animated over; the live petal stays visible."""
    return bake_petals(scene, [src], hide_live=False)[0]


def baked_frame_count(obj: bpy.types.Object) -> int:
    """Frames baked into `obj` by bake_petal(): its shape keys minus the Basis."""
    mesh = obj.data
    keys = mesh.shape_keys if isinstance(mesh, bpy.types.Mesh) else None
    if keys is None:
        raise GRCError(f"'{obj.name}' has no shape keys after baking")
    return len(keys.key_blocks) - 1
