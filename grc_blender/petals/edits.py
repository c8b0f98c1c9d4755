"""The live path after a depsgraph update (edits, drivers, links): a generated mesh someone
else changed is marked hand-edited and kept; petal values a driver changed are written;
structural changes drop the cached petal lists. handlers.py calls on_depsgraph_update."""
from __future__ import annotations

import zlib

import bpy
import numpy as np

from .. import store
from ..access import is_petal, mesh_settings
from ..access import is_flower_object
from .live import LIVE, scene_flowers, scene_petals, sync


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
        if is_flower_object(obj) and obj.data.as_pointer() in ptrs:
            _flower_changed(scene, obj, obj.data)
            continue
        if not (is_petal(obj) or obj.type == 'MESH' and obj.grc.is_flower_mesh):
            continue
        mesh = obj.data
        if mesh.as_pointer() in ptrs and mesh_settings(mesh).generated \
                and not obj.grc.hand_edited and _edited(obj, mesh, store.key_of(obj.grc.model)):
            obj.grc.hand_edited = True
            LIVE.written.pop(mesh.as_pointer(), None)
            LIVE.forget_scene(scene)


def _flower_changed(scene, obj, mesh) -> None:
    """A one-object flower's mesh changed outside our writes. An affine map of what we
    last wrote (Ctrl+A applied location, rotation or scale) is folded into the flower's
    `applied` transform and it stays live; anything else is a hand edit, kept."""
    last = LIVE.flower_coords.get(mesh.as_pointer())
    n = len(mesh.vertices)
    if last is None or obj.mode == 'EDIT' or not n or obj.grc.hand_edited:
        return
    have = np.empty(n * 3, dtype=np.float32)
    mesh.attributes["position"].data.foreach_get("vector", have)
    have = have.reshape(-1, 3)
    if len(last) == n and np.array_equal(have, last):
        return
    fit = _affine(last, have) if len(last) == n else None
    if fit is None:
        obj.grc.hand_edited = True
        LIVE.report(scene.name, f"flower '{obj.name}' was edited by hand: its vertices are "
                                f"kept (Reset Petal Mesh gives it a new generated mesh)")
    else:
        applied = np.array(obj.grc.applied, dtype=np.float64).reshape(4, 4)
        obj.grc.applied = (fit @ applied).ravel().tolist()
        LIVE.flower_coords[mesh.as_pointer()] = have
    LIVE.flower_last.pop(obj.as_pointer(), None)


def _affine(src: np.ndarray, dst: np.ndarray) -> np.ndarray | None:
    """The 4x4 affine map taking `src` onto `dst` if one does (to float32 precision)."""
    x = np.hstack([src.astype(np.float64), np.ones((len(src), 1))])
    sol, *_ = np.linalg.lstsq(x, dst.astype(np.float64), rcond=None)
    scale = max(float(np.abs(dst).max(initial=0.0)), 1.0)
    if not np.isfinite(sol).all() or np.abs(x @ sol - dst).max() > 1e-4 * scale:
        return None
    fit = np.eye(4)
    fit[:3, :3] = sol[:3].T
    fit[:3, 3] = sol[3]
    return fit


def _unmerge_orphans(scene) -> None:
    """A previous-version flower whose merged mesh object was deleted turns Merge Petals
    off (its update shows the petal objects again) instead of leaving them hidden."""
    for obj in scene.objects:
        g = obj.grc
        if obj.type == 'EMPTY' and g.is_flower and g.merge_petals and obj.library is None \
                and not any(c.type == 'MESH' and c.grc.is_flower_mesh for c in obj.children):
            g.merge_petals = False


def on_depsgraph_update(scene, depsgraph, keyed_of=None) -> None:
    """depsgraph_update_post: structural edits drop the petal cache; hand edits are marked;
    petal values changed outside a frame change (drivers) are written. `keyed_of(flowers)`:
    the keyed values of those Blender does not animate (handlers.py: fields/instanced)."""
    if depsgraph is None:
        return
    LIVE.epoch += 1
    if depsgraph.id_type_updated('COLLECTION') or depsgraph.id_type_updated('SCENE'):
        LIVE.scenes.clear()
        LIVE.instanced.clear()
        _unmerge_orphans(scene)
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
    flowers = scene_flowers(scene)
    if (entry.objects or flowers) and any(
            isinstance(u.id, bpy.types.Object) and u.id.original is not None
            and (u.id.original.as_pointer() in entry.pointers
                 or u.id.original.as_pointer() in entry.roots) for u in depsgraph.updates):
        sync(scene, depsgraph, keyed=keyed_of(flowers) if keyed_of is not None else None)
