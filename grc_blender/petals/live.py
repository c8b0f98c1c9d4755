"""Regenerate petal meshes from the scene's model in whichever depsgraph is evaluating them.

A render (F12, an animation render, motion-blur sub-frames, Alembic export) evaluates its
own depsgraph, in which the ORIGINAL objects keep the values of the frame the file is on.
So `sync` reads each petal's values from the evaluated copy in the depsgraph it is handed,
writes the petal's own mesh (ownership.py decides which meshes are its own), and the
depsgraph's second pass after frame_change_post picks the write up for that frame.

All petals sharing the scene's model and row count are generated in one
`model.generate_many` call. A petal whose values did not change since its mesh was last
written is skipped, which also makes the depsgraph-update path (drivers, edits) cheap.

Nothing here raises into Blender: a bad model or petal leaves the meshes as they are and
records a message (`last_error`) that the panel shows.
"""
from __future__ import annotations

import sys
import zlib
from operator import attrgetter
from typing import Any

import bpy
import numpy as np

from ...model_core import GRCError
from . import flower_mesh, flower_rule, ownership
from ..util import mesh_grid
from .. import store
from ..access import mesh_settings
from .columns import COLS, CONTEXT, FIELDS, IS_PETAL, OFFSET, ROWS, TIME

# Messages per scene name (shown in the panel); printed once each to the console.
last_error: dict[str, str] = {}
_printed: set[str] = set()
# float32 staging buffers keyed by shape, reused across frames.
_buffers: dict[tuple[int, ...], np.ndarray] = {}
# mesh pointer -> (model key, crc32 of the float32 positions) last written into it: tells
# the extension's own writes from the artist's edits.
_written: dict[int, tuple[str, int]] = {}
# meshes written outside a frame change, whose depsgraph update is ours, not an edit
_pending: set[int] = set()
# object pointer -> (cheap signature, epoch, ownership.refusal); a depsgraph update starts a
# new epoch, which makes every verdict stale
_verdicts: dict[int, tuple[tuple, int, str]] = {}
_epoch = [0]

# Per-petal values, read in one C call per petal (column order: petal_columns.py).
_getters: dict[tuple[str, ...], attrgetter] = {}


def _getter(fields: tuple[str, ...]) -> attrgetter:
    got = _getters.get(fields)
    if got is None:
        got = _getters[fields] = attrgetter(*FIELDS, *fields)
    return got


_DATA_MODE_PARENT = attrgetter("data", "mode", "parent")


class _ScenePetals:
    """Cached petal objects of one scene (bpy references: dropped on undo/load/edits), and
    the values each petal's mesh was last written with (NaN: unknown)."""
    __slots__ = ("objects", "pointers", "n_objects", "last", "last_key", "roots")

    def __init__(self, objects: list, n_objects: int):
        self.objects = objects
        self.pointers = {o.as_pointer(): i for i, o in enumerate(objects)}
        self.n_objects = n_objects
        self.last = np.empty((0, 0))
        self.last_key = ""
        self.roots: set[int] = set()       # flower roots of these petals (drivers on them)


_scenes: dict[int, _ScenePetals] = {}


def _report(scene_name: str, msg: str) -> None:
    if last_error.get(scene_name, "") != msg:
        last_error[scene_name] = msg
    if msg and msg not in _printed:
        _printed.add(msg)
        print(f"GRC: {msg}", file=sys.stderr)


def forget_scene(scene) -> None:
    """Drop the scene's cached petal list (a petal's mesh or membership changed)."""
    _scenes.pop(scene.as_pointer(), None)


def drop_caches() -> None:
    _buffers.clear()
    _scenes.clear()
    _written.clear()
    _pending.clear()
    _verdicts.clear()
    flower_mesh.drop_caches()
    last_error.clear()
    _printed.clear()


def scene_petals(scene) -> list:
    return [o for o in scene.objects if o.type == 'MESH' and o.grc.is_petal]


def _cached_petals(scene) -> _ScenePetals:
    key = scene.as_pointer()
    n_objects = len(scene.objects)
    entry = _scenes.get(key)
    if entry is None or entry.n_objects != n_objects:
        entry = _scenes[key] = _ScenePetals(scene_petals(scene), n_objects)
    return entry


def _buffer(shape: tuple[int, ...]) -> np.ndarray:
    buf = _buffers.get(shape)
    if buf is None:
        if len(_buffers) > 32:
            _buffers.clear()
        buf = _buffers[shape] = np.empty(shape, dtype=np.float32)
    return buf


def _evaluated(objects: list, depsgraph) -> list:
    if depsgraph is None:
        return objects
    return [o.evaluated_get(depsgraph) for o in objects]


def _values(objects: list, depsgraph, fields: tuple[str, ...]) -> np.ndarray:
    """(N, 6 + len(fields)) float64 petal values as `depsgraph` evaluated them."""
    settings = [o.grc for o in _evaluated(objects, depsgraph)]
    values = np.array(list(map(_getter(fields), settings)), dtype=np.float64)
    return values.reshape(len(objects), len(FIELDS) + len(fields))


def _petals_and_values(scene, depsgraph, fields: tuple[str, ...]) -> tuple[list, np.ndarray]:
    for _attempt in range(2):
        entry = _cached_petals(scene)
        try:
            values = _values(entry.objects, depsgraph, fields)
        except ReferenceError:          # an object was deleted since the cache was built
            _scenes.pop(scene.as_pointer(), None)
            continue
        if values[:, IS_PETAL].all():
            return entry.objects, values
        _scenes.pop(scene.as_pointer(), None)  # a petal was switched off: rebuild
    entry = _scenes[scene.as_pointer()] = _ScenePetals(scene_petals(scene), len(scene.objects))
    return entry.objects, _values(entry.objects, depsgraph, fields)


def sync(scene, depsgraph=None, objects=None, force: bool = False) -> str:
    """Write every petal of `scene` (or `objects`) whose values changed, as `depsgraph`
    evaluated them (None: the original objects). Returns '' or the scene's messages."""
    name = scene.name
    try:
        model = store.get_model(scene)
    except GRCError as exc:
        _report(name, str(exc))
        return str(exc)
    if model is None:
        return ""
    rendering = depsgraph is not None and depsgraph.mode == 'RENDER'
    if rendering and bpy.app.is_job_running('RENDER') and not scene.render.use_lock_interface:
        msg = ("petals are not regenerated in this render: turn on Render > Lock Interface "
               "(changing meshes while the interface renders can crash Blender)")
        _report(name, msg)
        return msg
    fields = model.context.slider_fields
    try:
        if objects is None:
            objects, values = _petals_and_values(scene, depsgraph, fields)
        else:
            objects = [o for o in objects if o.type == 'MESH' and o.grc.is_petal]
            values = _values(objects, depsgraph, fields)
    except ReferenceError:
        _scenes.pop(scene.as_pointer(), None)
        return ""
    if not objects:
        _report(name, "")
        return ""
    key = scene.grc.model_key
    notes: list[str] = []
    per_object = list(map(_DATA_MODE_PARENT, objects))
    roots, root_of = flower_rule.apply(values, [p[2] for p in per_object], _evaluated,
                                       depsgraph, fields)
    merged = {j: obj for j, r in enumerate(roots) if r.grc.merge_petals
              and (obj := flower_mesh.cached_merged_object(r, _epoch[0])) is not None}
    meshes = [p[0] for p in per_object]
    ptrs = [m.as_pointer() for m in meshes]
    if not rendering and len(set(ptrs)) < len(ptrs):
        notes += ownership.give_own_meshes(objects, meshes)
        ptrs = [m.as_pointer() for m in meshes]
    sharing: dict[int, int] = dict.fromkeys(ptrs, 0)
    for ptr in ptrs:
        sharing[ptr] += 1
    # Which petals changed since their meshes were last written (the frame path's cache).
    entry = _scenes.get(scene.as_pointer())
    if entry is not None and entry.objects is objects:
        entry.roots = {r.as_pointer() for r in roots}
    if entry is not None and (entry.last.shape[1:] != values.shape[1:] or entry.last_key != key
                              or len(entry.last) != len(entry.objects)):
        entry.last = np.full((len(entry.objects), values.shape[1]), np.nan)
        entry.last_key = key
    rows_in_entry = (np.arange(len(objects)) if entry is not None and entry.objects is objects
                     else None)
    if entry is not None and rows_in_entry is not None and not force:
        changed = ~np.all(values == entry.last, axis=1)
    else:
        changed = np.ones(len(objects), dtype=bool)
        if entry is not None and rows_in_entry is None:   # explicit objects: their rows
            rows_in_entry = np.array([entry.pointers.get(o.as_pointer(), -1) for o in objects])
    keep = np.zeros(len(objects), dtype=bool)
    in_merged = np.isin(root_of, list(merged)) if merged else np.zeros(len(objects), bool)
    for j in merged:                 # a merged flower is written whole if any petal changed
        of = root_of == j
        keep[of] = changed[of].any()
    for i, (obj, mesh, ptr) in enumerate(zip(objects, meshes, ptrs)):
        if in_merged[i] or per_object[i][1] == 'EDIT':  # edit mode owns the mesh
            continue
        # The full ownership test runs again after any depsgraph update (edits, links,
        # joins, modifiers); between them, as in playback, only this cheap signature.
        sig = (ptr, mesh.users, key, sharing[ptr], mesh.shape_keys is None, len(mesh.vertices))
        old = _verdicts.get(obj.as_pointer())
        if old is not None and old[0] == sig and old[1] == _epoch[0]:
            verdict = old
        else:
            if not rendering:
                ownership.claim(obj, mesh, key, force)
            verdict = _verdicts[obj.as_pointer()] = (sig, _epoch[0], ownership.refusal(
                obj, obj.grc, mesh, key, model.n_cols, sharing[ptr]))
            if old is None or old[2] or old[0][0] != ptr:   # newly writable, or another mesh
                changed[i] = True
        if verdict[2]:
            notes.append(verdict[2])
        elif changed[i]:
            keep[i] = sharing[ptr] == 1 or ptr not in ptrs[:i]   # shared in a render: once
    rows = values[:, ROWS].astype(np.int64)
    generated: dict[int, np.ndarray] = {}
    for r in np.unique(rows[keep]).tolist():
        idx = np.flatnonzero(keep & (rows == r))
        sel = values[idx]
        alphas = sel[:, CONTEXT:]
        try:
            out = model.generate_many(sel[:, TIME], alphas, sel[:, OFFSET], rows=int(r))
        except GRCError as exc:
            notes.append(f"generating {len(idx)} petal(s) failed: {exc}")
            continue
        buf = _buffer(out.shape)
        np.copyto(buf, out, casting="same_kind")
        for j, i in enumerate(idx.tolist()):
            if in_merged[i]:
                generated[i] = buf[j]
                continue
            mesh = meshes[i]
            if not mesh_grid.write_coords(mesh, buf[j]):
                mesh_grid.build_grid_mesh(mesh, buf[j])
            _written[ptrs[i]] = (key, zlib.crc32(buf[j]))
            _pending.add(ptrs[i])
        if entry is not None and rows_in_entry is not None:
            at = rows_in_entry[idx]
            entry.last[at[at >= 0]] = sel[at >= 0]
        if not rendering:
            for i in idx[sel[:, COLS] == 0.0].tolist():   # first generation: remember the grid
                objects[i].grc.cols = model.n_cols
    for j, obj in merged.items():
        notes += _write_merged(obj, objects, np.flatnonzero(root_of == j), generated, key,
                               model.n_cols)
    unique = list(dict.fromkeys(notes))
    msg = "; ".join(unique[:3]) + (f"; ... and {len(unique) - 3} more (select a petal to see "
                                   f"its own)" if len(unique) > 3 else "")
    _report(name, msg)
    return msg


def _write_merged(obj, objects: list, idx: np.ndarray, generated: dict, key: str,
                  cols: int) -> list[str]:
    """Write a merged flower's petals (all generated this time, or none) into its mesh."""
    if not len(idx) or int(idx[0]) not in generated:
        return []
    grids = [generated[i] for i in idx.tolist() if i in generated]
    if len(grids) != len(idx) or len({g.shape for g in grids}) != 1:
        return [f"merged flower '{obj.name}': every petal needs the same Rows"]
    rows = grids[0].shape[0]
    why = flower_mesh.refusal(obj, len(grids), rows, cols)
    if why:
        return [why]
    coords = flower_mesh.write(obj, np.stack(grids), flower_mesh.cached_matrices(
        obj, [objects[i] for i in idx], _epoch[0]))
    ptr = obj.data.as_pointer()
    _written[ptr] = (key, zlib.crc32(coords))
    _pending.add(ptr)
    return []


def regenerate(scene, objects=None) -> str:
    """Regenerate `objects` (default: every petal of `scene`) from their current values,
    outside any frame change (sliders, training, operators)."""
    msg = sync(scene, None, objects, force=True)
    if objects is not None:
        entry = _scenes.get(scene.as_pointer())
        if entry is not None and any(o.as_pointer() not in entry.pointers for o in objects):
            _scenes.pop(scene.as_pointer(), None)
    return msg


def on_frame_change(scene, depsgraph) -> None:
    sync(scene, depsgraph)
    _pending.clear()    # frame-change writes never reach depsgraph_update_post


def _edited(obj, mesh, key: str) -> bool:
    """True if `mesh` no longer holds the positions the extension last wrote into it."""
    last = _written.get(mesh.as_pointer())
    n = len(mesh.vertices)
    if last is None or last[0] != key or obj.mode == 'EDIT' or not n:
        return False
    have = np.empty(n * 3, dtype=np.float32)
    mesh.attributes["position"].data.foreach_get("vector", have)
    return zlib.crc32(have) != last[1]


def on_depsgraph_update(scene, depsgraph) -> None:
    """depsgraph_update_post: structural edits drop the petal cache; a petal mesh changed by
    someone else is marked hand-edited (kept, never overwritten); petal values changed
    outside a frame change (drivers) are written."""
    if depsgraph is None:
        return
    _epoch[0] += 1
    if depsgraph.id_type_updated('COLLECTION') or depsgraph.id_type_updated('SCENE'):
        _scenes.clear()
    if not depsgraph.id_type_updated('MESH') and not depsgraph.id_type_updated('OBJECT'):
        return
    try:
        model = store.get_model(scene)
    except GRCError:
        return
    if model is None:
        return
    changed = [u.id.original for u in depsgraph.updates
               if isinstance(u.id, bpy.types.Mesh) and u.is_updated_geometry
               and u.id.original is not None]
    if changed:
        ptrs = {m.as_pointer() for m in changed} - _pending
        _pending.clear()
        if ptrs:
            key = scene.grc.model_key
            for obj in scene.objects:
                if obj.type != 'MESH' or not (obj.grc.is_petal or obj.grc.is_flower_mesh):
                    continue
                mesh = obj.data
                if mesh.as_pointer() in ptrs and mesh_settings(mesh).generated \
                        and not obj.grc.hand_edited and _edited(obj, mesh, key):
                    obj.grc.hand_edited = True
                    _written.pop(mesh.as_pointer(), None)
                    _scenes.pop(scene.as_pointer(), None)
    if not depsgraph.id_type_updated('OBJECT'):
        return
    try:
        entry = _cached_petals(scene)
    except ReferenceError:
        _scenes.clear()
        return
    if entry.objects and any(
            isinstance(u.id, bpy.types.Object) and u.id.original is not None
            and (u.id.original.as_pointer() in entry.pointers
                 or u.id.original.as_pointer() in entry.roots) for u in depsgraph.updates):
        sync(scene, depsgraph)


def refusal_of(scene, obj) -> str:
    """Why the extension leaves `obj`'s mesh alone ('' if it regenerates it): the panel."""
    try:
        model = store.get_model(scene)
    except GRCError:
        return ""
    if model is None or obj.type != 'MESH' or not obj.grc.is_petal:
        return ""
    mesh = obj.data
    sharing = (sum(1 for o in scene.objects if o.data == mesh and o.grc.is_petal)
               if mesh.users > 1 else 1)
    return ownership.refusal(obj, obj.grc, mesh, scene.grc.model_key, model.n_cols, sharing)


def follow_new_model(scene, old_key: str) -> None:
    """After training: the scene's petals that followed its previous model follow the new one
    (petals made by other models stay as they are)."""
    new_key = scene.grc.model_key
    for obj in scene_petals(scene):
        g = obj.grc
        if obj.library is None and g.model_key in ("", old_key):
            g.model_key = new_key
