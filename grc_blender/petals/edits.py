"""The live path after a depsgraph update (edits, drivers, links): a generated mesh someone
else changed is marked hand-edited and kept; petal values a driver changed are written;
structural changes drop the cached petal lists. handlers.py calls on_depsgraph_update."""
from __future__ import annotations

import zlib

import bpy
import numpy as np

from .. import store
from ..access import is_petal, mesh_settings
from .live import LIVE, scene_petals, sync


def _edited(obj, mesh, key: str) -> bool:
    """True if `mesh` no longer holds the positions the extension last wrote into it."""
    last = LIVE.written.get(mesh.as_pointer())
    n = len(mesh.vertices)
    if last is None or last[0] != key or obj.mode == 'EDIT' or not n:
        return False
    have = np.empty(n * 3, dtype=np.float32)
    mesh.attributes["position"].data.foreach_get("vector", have)
    return zlib.crc32(have) != last[1]


def _mark_hand_edits(scene, depsgraph) -> None:
    """A generated mesh that someone else changed is marked hand-edited: kept, never
    overwritten (our own writes are in LIVE.pending)."""
    changed = [u.id.original for u in depsgraph.updates
               if isinstance(u.id, bpy.types.Mesh) and u.is_updated_geometry
               and u.id.original is not None]
    if not changed:
        return
    ptrs = {m.as_pointer() for m in changed} - LIVE.pending
    LIVE.pending.clear()
    if not ptrs:
        return
    for obj in scene.objects:
        if not (is_petal(obj) or obj.type == 'MESH' and obj.grc.is_flower_mesh):
            continue
        mesh = obj.data
        if mesh.as_pointer() in ptrs and mesh_settings(mesh).generated \
                and not obj.grc.hand_edited and _edited(obj, mesh, store.key_of(obj.grc.model)):
            obj.grc.hand_edited = True
            LIVE.written.pop(mesh.as_pointer(), None)
            LIVE.forget_scene(scene)


def on_depsgraph_update(scene, depsgraph) -> None:
    """depsgraph_update_post: structural edits drop the petal cache; hand edits are marked;
    petal values changed outside a frame change (drivers) are written."""
    if depsgraph is None:
        return
    LIVE.epoch += 1
    if depsgraph.id_type_updated('COLLECTION') or depsgraph.id_type_updated('SCENE'):
        LIVE.scenes.clear()
    if not depsgraph.id_type_updated('MESH') and not depsgraph.id_type_updated('OBJECT'):
        return
    _mark_hand_edits(scene, depsgraph)
    if not depsgraph.id_type_updated('OBJECT'):
        return
    try:
        entry = LIVE.cached_petals(scene, lambda: scene_petals(scene))
    except ReferenceError:
        LIVE.scenes.clear()
        return
    if entry.objects and any(
            isinstance(u.id, bpy.types.Object) and u.id.original is not None
            and (u.id.original.as_pointer() in entry.pointers
                 or u.id.original.as_pointer() in entry.roots) for u in depsgraph.updates):
        sync(scene, depsgraph)
