"""Regenerate petal meshes, each from its own model, in whichever depsgraph evaluates them.

A render evaluates its own depsgraph, in which the ORIGINAL objects keep the values of the
frame the file is on. So `sync` reads each petal's values from the evaluated copy in the
depsgraph it is handed, writes the petal's own mesh (ownership.py decides which meshes are
its own); the depsgraph's second pass after frame_change_post picks the write up.

`LIVE` (a `LivePetals`) is the one owner of every cache of the live path; `LIVE.clear()`
is what file load, undo and unregister call (through caches.py). `sync` runs in named
stages: gather the petals and their values, apply the flower rule, decide which meshes to
write, generate and write them, then the one-object flowers (flower_write.py), report. A petal whose values did not change since its mesh
was last written is skipped, so one slider change is one write: the update callback writes
it, and the depsgraph update that follows finds nothing changed.

Nothing here raises into Blender: a bad model or petal leaves its meshes as they are, with
a message (`LIVE.last_error`) that the panel shows."""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

import bpy
import numpy as np

from ...model_core import GRCError
from .. import store
from ..access import is_flower_object, is_petal, mesh_settings
from ..models.scene_models import active_model
from ..util import mesh_grid
from . import flower_mesh, flower_rule, flower_write, ownership
from .live_state import LivePetals, PetalGroup, group_by_model
from .columns import COLS, CONTEXT, FIELDS, IS_PETAL, OFFSET, ROWS, TIME

_DATA_MODE_PARENT = attrgetter("data", "mode", "parent")
RENDER_UNLOCKED = ("petals are not regenerated in this render: turn on Render > Lock Interface "
                   "(changing meshes while the interface renders can crash Blender)")
LIVE = LivePetals()


def scene_petals(scene) -> list:
    return [o for o in scene.objects if is_petal(o)]


def _evaluated(objects: list, depsgraph) -> list:
    if depsgraph is None:
        return objects
    return [o.evaluated_get(depsgraph) for o in objects]


def _values(objects: list, depsgraph, fields: tuple[str, ...]) -> np.ndarray:
    """(N, 6 + len(fields)) float64 petal values as `depsgraph` evaluated them."""
    settings = [o.grc for o in _evaluated(objects, depsgraph)]
    values = np.array(list(map(LIVE.getter(fields), settings)), dtype=np.float64)
    return values.reshape(len(objects), len(FIELDS) + len(fields))


@dataclass
class _Pass:
    """One sync of one model's petals in one scene: what the stages hand each other."""
    scene: Any
    depsgraph: Any
    model: Any
    key: str
    rendering: bool
    force: bool
    objects: list = field(default_factory=list)
    values: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    per_object: list = field(default_factory=list)     # (mesh, mode, parent) per petal
    ptrs: list = field(default_factory=list)           # mesh pointers
    sharing: dict = field(default_factory=dict)        # mesh pointer -> petals using it
    root_of: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    merged: dict = field(default_factory=dict)         # root index -> merged mesh object
    in_merged: np.ndarray = field(default_factory=lambda: np.empty(0, bool))
    entry: PetalGroup | None = None                     # the cached group of these petals
    entry_rows: np.ndarray | None = None                # each petal's row in entry.last
    notes: list = field(default_factory=list)


def sync(scene, depsgraph=None, objects=None, force: bool = False, extra=(),
         keyed=None) -> str:
    """Write every petal of `scene` (or `objects`) whose values changed, each from its own
    model, as `depsgraph` evaluated them (None: the original objects). `extra`: flowers
    the depsgraph evaluates outside the scene's objects; `keyed`: object pointer -> the
    keyed values of a flower the depsgraph does not animate (fields/instanced.py).
    Returns '' or the scene's messages."""
    rendering = depsgraph is not None and depsgraph.mode == 'RENDER'
    if rendering and bpy.app.is_job_running('RENDER') and not scene.render.use_lock_interface:
        LIVE.report(scene.name, RENDER_UNLOCKED)
        return RENDER_UNLOCKED
    notes: list[str] = []
    for group, members in _groups(scene, objects, rendering):
        p = _begin(scene, depsgraph, group, members, rendering, force, notes)
        if p is None or not _gather(p, members):
            continue
        _follow_flowers(p)
        keep = _decide(p, _changed(p))
        generated = _generate_and_write(p, keep)
        for j, obj in p.merged.items():
            p.notes += _write_merged(p, obj, np.flatnonzero(p.root_of == j), generated)
        notes += p.notes
    flowers = scene_flowers(scene, objects) + list(extra)
    if flowers:
        notes += flower_write.sync_flowers(LIVE, flowers, depsgraph, rendering, force,
                                           keyed or {})
    return _finish(scene, notes)


def scene_flowers(scene, objects=None) -> list:
    """The one-object flowers to sync: among `objects`, or the scene's (cached)."""
    if objects is not None:
        return [o for o in objects if is_flower_object(o)]
    try:
        entry = LIVE.cached_petals(scene, lambda: scene_petals(scene))
        if entry.flowers is None:
            entry.flowers = [o for o in scene.objects if is_flower_object(o)]
            entry.roots |= {o.as_pointer() for o in entry.flowers}
    except ReferenceError:
        LIVE.forget_scene(scene)
        return []
    return entry.flowers


def _groups(scene, objects, rendering: bool) -> list[tuple[PetalGroup, list]]:
    """(cached group, its petals to sync): the scene's cached groups, or the groups of the
    explicit `objects` (each paired with the scene's cached group of its model, if any)."""
    try:
        entry = LIVE.cached_petals(scene, lambda: scene_petals(scene))
        orphans = next((g.objects for g in entry.groups if g.datablock is None), [])
        if orphans and not rendering and _claim_new_petals(scene, orphans):
            LIVE.forget_scene(scene)
            entry = LIVE.cached_petals(scene, lambda: scene_petals(scene))
        if objects is None:
            return [(g, g.objects) for g in entry.groups]
        explicit = group_by_model([o for o in objects if is_petal(o)])
    except ReferenceError:              # an object was deleted since the cache was built
        LIVE.forget_scene(scene)
        return []
    cached = {0 if g.datablock is None else g.datablock.as_pointer(): g for g in entry.groups}
    return [(cached.get(0 if g.datablock is None else g.datablock.as_pointer(), g), g.objects)
            for g in explicit]


def _claim_new_petals(scene, orphans: list) -> bool:
    """A petal a script made (no model, an empty mesh) takes the scene's active model; a
    petal whose model was removed keeps its shape (its mesh is not empty)."""
    active = active_model(scene)
    new = [o for o in orphans if o.library is None and not len(o.data.vertices)]
    for obj in new if active is not None else ():
        obj.grc.model = active           # its update callback writes the petal once
    return bool(new) and active is not None


def _begin(scene, depsgraph, group: PetalGroup, members: list, rendering: bool,
           force: bool, notes: list) -> _Pass | None:
    """Stage 0: the group's model, or None with a note (no model, untrained, refused)."""
    datablock = group.datablock
    if datablock is None:
        first = members[0].name if members else ""
        notes.append(f"petal '{first}' has no model (its model was removed): it keeps its "
                     f"shape; choose a model in the Petal panel to animate it again")
        return None
    try:
        model = store.get_model(datablock)
    except (GRCError, ReferenceError) as exc:
        notes.append(str(exc))
        return None
    if model is None:
        notes.append(f"model '{datablock.name}' is not trained: its petals keep their shapes")
        return None
    return _Pass(scene, depsgraph, model, store.key_of(datablock), rendering, force,
                 entry=group)


def _gather(p: _Pass, objects: list) -> bool:
    """Stage 1: the petals and their values as the depsgraph evaluated them."""
    fields = p.model.context.slider_fields
    try:
        p.objects = objects
        p.values = _values(objects, p.depsgraph, fields)
    except ReferenceError:
        LIVE.forget_scene(p.scene)
        return False
    if not len(objects):
        return False
    if not p.values[:, IS_PETAL].all():   # a petal was switched off: rebuild next time
        LIVE.forget_scene(p.scene)
        keep = np.flatnonzero(p.values[:, IS_PETAL])
        p.objects, p.values = [objects[i] for i in keep.tolist()], p.values[keep]
        p.entry = None
        if not p.objects:
            return False
    p.per_object = list(map(_DATA_MODE_PARENT, p.objects))
    meshes = [po[0] for po in p.per_object]
    p.ptrs = [m.as_pointer() for m in meshes]
    if not p.rendering and len(set(p.ptrs)) < len(p.ptrs):
        p.notes += ownership.give_own_meshes(p.objects, meshes)
        p.per_object = list(map(_DATA_MODE_PARENT, p.objects))
        p.ptrs = [m.as_pointer() for m in meshes]
    p.sharing = dict.fromkeys(p.ptrs, 0)
    for ptr in p.ptrs:
        p.sharing[ptr] += 1
    return True


def _follow_flowers(p: _Pass) -> None:
    """Stage 2: petals of a flower take their time and context from its root."""
    roots, p.root_of = flower_rule.apply(p.values, [po[2] for po in p.per_object], _evaluated,
                                         p.depsgraph, p.model.context.slider_fields)
    p.merged = {j: obj for j, r in enumerate(roots) if r.grc.merge_petals
                and (obj := flower_mesh.cached_merged_object(LIVE.flowers, r, LIVE.epoch))
                is not None}
    p.in_merged = (np.isin(p.root_of, list(p.merged)) if p.merged
                   else np.zeros(len(p.objects), bool))
    scene_entry = LIVE.scenes.get(p.scene.as_pointer())
    if scene_entry is not None and roots:
        scene_entry.roots |= {r.as_pointer() for r in roots}


def _changed(p: _Pass) -> np.ndarray:
    """Stage 3: which petals' values differ from those their meshes were written with."""
    entry = p.entry
    values = p.values
    if entry is not None and (entry.last.shape[1:] != values.shape[1:] or entry.last_key != p.key
                              or len(entry.last) != len(entry.objects)):
        entry.last = np.full((len(entry.objects), values.shape[1]), np.nan)
        entry.last_key = p.key
    if entry is not None and entry.objects is p.objects:
        p.entry_rows = np.arange(len(p.objects))
        if not p.force:
            return ~np.all(values == entry.last, axis=1)
    elif entry is not None:             # explicit objects: their rows in the scene's cache
        p.entry_rows = np.array([entry.pointers.get(o.as_pointer(), -1) for o in p.objects])
    return np.ones(len(p.objects), dtype=bool)


def _decide(p: _Pass, changed: np.ndarray) -> np.ndarray:
    """Stage 4: the petals to generate: changed, and their meshes the extension's to write."""
    keep = np.zeros(len(p.objects), dtype=bool)
    for j in p.merged:               # a merged flower is written whole if any petal changed
        of = p.root_of == j
        keep[of] = changed[of].any()
    for i, (obj, ptr) in enumerate(zip(p.objects, p.ptrs)):
        mesh, mode = p.per_object[i][0], p.per_object[i][1]
        if p.in_merged[i] or mode == 'EDIT':           # edit mode owns the mesh
            continue
        why, fresh = _verdict(p, obj, mesh, ptr)
        if why:
            p.notes.append(why)
        elif changed[i] or fresh:
            keep[i] = p.sharing[ptr] == 1 or ptr not in p.ptrs[:i]   # shared in a render: once
    return keep


def _verdict(p: _Pass, obj, mesh, ptr: int) -> tuple[str, bool]:
    """(refusal or '', newly writable): the full ownership test runs again after any
    depsgraph update (edits, links, joins, modifiers); between them, as in playback, only
    a cheap signature is compared."""
    sig = (ptr, mesh.users, p.key, p.sharing[ptr], mesh.shape_keys is None, len(mesh.vertices))
    old = LIVE.verdicts.get(obj.as_pointer())
    if old is not None and old[0] == sig and old[1] == LIVE.epoch:
        return old[2], False
    if not p.rendering:
        ownership.claim(obj, mesh, p.force)
    why = ownership.refusal(obj, obj.grc, mesh, p.model.n_cols, p.sharing[ptr])
    LIVE.verdicts[obj.as_pointer()] = (sig, LIVE.epoch, why)
    return why, old is None or bool(old[2]) or old[0][0] != ptr


def _generate_and_write(p: _Pass, keep: np.ndarray) -> dict[int, np.ndarray]:
    """Stage 5: one generate_many per row count; each kept petal's mesh written once.
    Returns the merged flowers' petals (written whole in stage 6)."""
    rows = p.values[:, ROWS].astype(np.int64)
    generated: dict[int, np.ndarray] = {}
    for r in np.unique(rows[keep]).tolist():
        idx = np.flatnonzero(keep & (rows == r))
        sel = p.values[idx]
        out, ok = flower_write.safe_generate(
            p.model, sel[:, TIME], sel[:, CONTEXT:], sel[:, OFFSET], int(r),
            lambda k, idx=idx: f"petal '{p.objects[int(idx[k])].name}'", p.notes)
        if not ok.all():                 # one bad petal stops only itself
            idx, sel, out = idx[ok], sel[ok], out[ok]
        buf = LIVE.buffer(out.shape)
        np.copyto(buf, out, casting="same_kind")
        for j, i in enumerate(idx.tolist()):
            if p.in_merged[i]:
                generated[i] = buf[j]
            else:
                _write(p.per_object[i][0], buf[j], p.key)
        if p.entry is not None and p.entry_rows is not None:
            at = p.entry_rows[idx]
            p.entry.last[at[at >= 0]] = sel[at >= 0]
        if not p.rendering:
            for i in idx[sel[:, COLS] == 0.0].tolist():   # first generation: remember the grid
                p.objects[i].grc.cols = p.model.n_cols
    return generated


def _write(mesh, coords: np.ndarray, key: str) -> None:
    if not mesh_grid.write_coords(mesh, coords):
        mesh_grid.build_grid_mesh(mesh, coords)
    _wrote(mesh, coords, key)


def _wrote(mesh, coords: np.ndarray, key: str) -> None:
    ptr = mesh.as_pointer()
    LIVE.written[ptr] = (key, zlib.crc32(coords))
    LIVE.pending.add(ptr)
    LIVE.writes += 1


def _write_merged(p: _Pass, obj, idx: np.ndarray, generated: dict) -> list[str]:
    """Stage 6: a merged flower's petals (all generated this time, or none) into its mesh."""
    if not len(idx) or int(idx[0]) not in generated or obj.mode == 'EDIT':
        return []                       # Edit Mode owns the mesh: left alone, no error
    grids = [generated[i] for i in idx.tolist() if i in generated]
    if len(grids) != len(idx) or len({g.shape for g in grids}) != 1:
        return [f"merged flower '{obj.name}': every petal needs the same Rows"]
    why = flower_mesh.refusal(obj, len(grids), grids[0].shape[0], p.model.n_cols)
    if why:
        return [why]
    matrices = flower_mesh.cached_matrices(LIVE.flowers, obj, [p.objects[i] for i in idx],
                                           LIVE.epoch)
    coords = flower_mesh.write(obj, np.stack(grids), matrices)
    _wrote(obj.data, coords, p.key)
    return []


def _finish(scene, notes: list[str]) -> str:
    """Stage 7: one line for the panel (the first three distinct messages)."""
    unique = list(dict.fromkeys(notes))
    msg = "; ".join(unique[:3]) + (f"; ... and {len(unique) - 3} more (select a petal to see "
                                   f"its own)" if len(unique) > 3 else "")
    LIVE.report(scene.name, msg)
    return msg


def regenerate(scene, objects=None, keyed=None) -> str:
    """Regenerate `objects` (default: every petal of `scene`) from their current values,
    outside any frame change (sliders, training, operators); `keyed` as for sync."""
    msg = sync(scene, None, objects, force=True, keyed=keyed)
    if objects is not None:
        entry = LIVE.scenes.get(scene.as_pointer())
        if entry is not None and any(o.as_pointer() not in entry.pointers
                                     for o in objects if is_petal(o)):
            LIVE.forget_scene(scene)
    return msg


def on_frame_change(scene, depsgraph, extra=(), keyed=None) -> None:
    sync(scene, depsgraph, extra=extra, keyed=keyed)
    LIVE.pending.clear()    # frame-change writes never reach depsgraph_update_post


def refusal_of(scene, obj) -> str:
    """Why the extension leaves `obj`'s mesh alone ('' if it regenerates it): the panel."""
    if not is_petal(obj):
        return ""
    if obj.grc.model is None:
        return (f"petal '{obj.name}' has no model (its model was removed): it keeps its "
                f"shape; choose a model below to animate it again")
    try:
        model = store.get_model(obj.grc.model)
    except GRCError:
        return ""
    if model is None:
        return ""
    mesh = obj.data
    sharing = (sum(1 for o in scene.objects if o.data == mesh and is_petal(o))
               if mesh.users > 1 else 1)
    return ownership.refusal(obj, obj.grc, mesh, model.n_cols, sharing)


def petals_of_model(scene, model) -> list:
    """The petals of `scene` that `model` generates (the flower roots' petals included)."""
    return [o for o in scene_petals(scene) if o.grc.model == model]
