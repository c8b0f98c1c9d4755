"""The frame path of one-object flowers: a MESH object (`Object.grc.is_flower`) whose own
generated mesh holds every petal of the flower, written as a petal's mesh is.

Per sync: each flower's values as the depsgraph evaluated them (Bloom, Context, Rows,
layout) -> its placement (cached under its layout key, flower_layout.py) -> per-petal time
(clamp((bloom - delay) / (1 - delay))), context and offset; then ONE generate_many per
(model, rows) over every flower of the scene; then each flower's mesh written once (one
foreach_set), its petals placed by their matrices and by the transforms applied to the
flower (Ctrl+A, folded into `Object.grc.applied` by edits.py).

One bad value stops one petal: values that are not finite or beyond model_core's limits
are refused before generate_many, and a failing batch is retried petal by petal; a petal
that still fails keeps the shape it had, and the message names it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...model_core import GRCError
from ...model_core.context import ALL_SLIDER_FIELDS
from ...model_core.limits import MAX_ABS_INPUT, MAX_BATCH
from .. import store
from ..util import mesh_grid
from . import flower_layout, flower_mesh, ownership
from .live_state import LivePetals


@dataclass
class _Job:
    """One flower to write this sync."""
    obj: Any
    mesh: Any
    place: flower_layout.Placement
    rows: int
    sig: tuple
    time: np.ndarray
    fields: dict                                   # slider field -> the flower's value
    applied: np.ndarray
    grids: list = field(default_factory=list)      # per petal: (R, C, 3) float32 or None
    block: np.ndarray | None = None                # all petals, in order, from one batch


def sync_flowers(live: LivePetals, flowers: list, depsgraph, rendering: bool,
                 force: bool, keyed: dict | None = None) -> list[str]:
    """Write every flower of `flowers` whose values changed; returns the messages.
    `keyed`: object pointer -> values read from the flower's action (a flower the
    depsgraph evaluates without its animation: fields/instanced.py)."""
    notes: list[str] = []
    if not rendering:
        _own_meshes(flowers, notes)
    keyed = keyed or {}
    jobs = [j for obj in flowers
            if (j := _prepare(live, obj, depsgraph, force, notes, keyed)) is not None]
    if not jobs:
        return notes
    _generate(jobs, notes)
    for job in jobs:
        try:
            _write(live, job, notes)
        except (RuntimeError, ValueError, ReferenceError) as exc:   # never an error a frame
            notes.append(f"flower '{job.obj.name}' could not be written ({exc}): it keeps "
                         f"its shape")
    return notes


def _own_meshes(flowers: list, notes: list) -> None:
    """Alt+D of a flower shares its mesh: each flower after the first gets its own copy."""
    try:
        shared = [o for o in flowers if o.data.users > ownership.expected_users(o.data)]
    except ReferenceError:
        return
    if shared:
        notes += ownership.give_own_meshes(shared, [o.data for o in shared])


class _Keyed:
    """A flower's settings with some values taken from its action (`values`)."""
    __slots__ = ("_g", "_values")

    def __init__(self, g, values: dict):
        self._g, self._values = g, values

    def __getattr__(self, name: str):
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        return getattr(object.__getattribute__(self, "_g"), name)


def _prepare(live: LivePetals, obj, depsgraph, force: bool, notes: list,
             keyed: dict) -> _Job | None:
    """The flower's values, placement and per-petal times; None if it is left alone (Edit
    Mode, separated, not ours) or nothing changed since its last write."""
    try:
        mesh, mode, g0 = obj.data, obj.mode, obj.grc
    except ReferenceError:
        return None
    if mode == 'EDIT' or g0.separated:
        return None
    why = ownership.flower_refusal(obj, mesh)
    if why:
        notes.append(why)
        return None
    g = obj.evaluated_get(depsgraph).grc if depsgraph is not None else g0
    if obj.as_pointer() in keyed:
        g = _Keyed(g, keyed[obj.as_pointer()])
    keys = tuple(store.key_of(r.model) for r in g.rings)
    key = flower_layout.layout_key(g, keys)
    place = live.layouts.get(obj.as_pointer())
    if place is None or place.key != key:
        place = live.layouts[obj.as_pointer()] = flower_layout.placement(
            g, key, _growth(live, g, notes))
    fields = {f: float(getattr(g, f)) for f in ALL_SLIDER_FIELDS}
    applied = np.array(g0.applied, dtype=np.float64).reshape(4, 4)
    sig = (float(g.bloom), tuple(fields.values()), int(g.rows), key, applied.tobytes(),
           mesh.as_pointer())
    if not force and live.flower_last.get(obj.as_pointer()) == sig:
        return None
    bloom = float(g.bloom)
    d = place.delay
    time = np.clip((bloom - d) / (1.0 - d), 0.0, 1.0) if np.isfinite(bloom) \
        else np.full(len(d), np.nan)
    time[~np.isfinite(place.matrices).all(axis=(1, 2))] = np.nan   # a NaN layout value
    return _Job(obj, mesh, place, int(g.rows), sig, time, fields, applied,
                [None] * len(d))


def _growth(live: LivePetals, g, notes: list) -> dict:
    """Each ring model's base-to-tip rotation (cached by model key)."""
    out = {}
    for ring in g.rings:
        key = store.key_of(ring.model)
        if not key:
            continue
        rot = live.growth.get(key)
        if rot is None:
            try:
                model = store.get_model(ring.model)
            except GRCError as exc:
                notes.append(str(exc))
                continue
            if model is None:
                continue
            rot = live.growth[key] = flower_layout.growth_rotation(model)
        out[ring.model.as_pointer()] = rot
    return out


def _generate(jobs: list[_Job], notes: list) -> None:
    """One generate_many per (model, rows) over every flower's petals; job.grids filled
    (None for a petal that failed: it keeps its shape)."""
    groups: dict[tuple[int, int], tuple[Any, list]] = {}
    for jn, job in enumerate(jobs):
        for ptr, (datablock, idx) in job.place.by_model.items():
            if datablock is None:
                notes.append(f"flower '{job.obj.name}': a ring has no model: its petals "
                             f"keep their shapes")
                continue
            groups.setdefault((ptr, job.rows), (datablock, []))[1].append((jn, idx))
    for (_ptr, rows), (datablock, members) in groups.items():
        _generate_group(jobs, datablock, rows, members, notes)


def _inputs(jobs: list[_Job], members: list, fields: tuple[str, ...]):
    """(times, contexts, offsets, owners) of the petals of one (model, rows) group."""
    t, c, o, owners = [], [], [], []
    for jn, idx in members:
        job = jobs[jn]
        ctx = np.empty((len(idx), len(fields)))
        ctx[:] = [job.fields.get(f, 0.0) for f in fields]
        ctx[:, 0] += job.place.context[idx]
        t.append(job.time[idx])
        c.append(ctx)
        o.append(job.place.offset[idx])
        owners.append((jn, idx))
    return np.concatenate(t), np.concatenate(c), np.concatenate(o), owners


def _generate_group(jobs: list[_Job], datablock, rows: int, members: list,
                    notes: list) -> None:
    try:
        model = store.get_model(datablock)
    except (GRCError, ReferenceError) as exc:
        notes.append(str(exc))
        return
    if model is None:
        notes.append(f"model '{datablock.name}' is not trained: its petals keep their shapes")
        return
    t, c, o, owners = _inputs(jobs, members, model.context.slider_fields)
    for s in range(0, len(t), MAX_BATCH):
        sel = slice(s, s + MAX_BATCH)
        out, ok = safe_generate(model, t[sel], c[sel], o[sel], rows,
                                lambda k: _petal_name(jobs, owners, s + k), notes)
        at = s
        for jn, idx in owners:          # each flower's petals: views into `out`
            n, job = len(idx), jobs[jn]
            lo, hi = max(at, s), min(at + n, s + len(out))
            if (lo, hi) == (at, at + n) and n == len(job.grids) and ok[lo - s:hi - s].all():
                job.block = out[lo - s:hi - s]       # the usual case: one model, all fine
            else:
                for k in range(lo, hi):
                    if ok[k - s]:
                        job.grids[int(idx[k - at])] = out[k - s]
            at += n


def _petal_name(jobs: list[_Job], owners: list, k: int) -> str:
    """The k-th petal of a group, named for a message (only when one fails)."""
    for jn, idx in owners:
        if k < len(idx):
            return f"flower '{jobs[jn].obj.name}' petal {int(idx[k])}"
        k -= len(idx)
    return f"petal {k}"


def safe_generate(model, t, c, o, rows: int, name, notes: list) -> tuple[np.ndarray, np.ndarray]:
    """generate_many of a batch; if it fails, petal by petal, so one bad petal fails alone
    (`name(k)` names petal k in the message). Returns (grids float32, ok per petal)."""
    n = len(t)
    ok = np.isfinite(t) & np.isfinite(o) & np.isfinite(c).all(axis=1) \
        & (np.abs(c).max(axis=1, initial=0.0) <= MAX_ABS_INPUT) & (np.abs(o) <= MAX_ABS_INPUT) \
        & (np.abs(t) <= MAX_ABS_INPUT)
    for k in np.flatnonzero(~ok).tolist():
        notes.append(f"{name(k)}: a value is not finite or too large: it keeps its shape")
    good = np.flatnonzero(ok)
    if len(good) == n:
        try:
            return model.generate_many(t, c, o, rows=rows, dtype=np.float32), ok
        except GRCError:
            pass
    out = np.zeros((n, rows, model.n_cols, 3), dtype=np.float32)
    for k in good.tolist():
        try:
            out[k] = model.generate_many(t[k:k + 1], c[k:k + 1], o[k:k + 1], rows=rows, dtype=np.float32)[0]
        except GRCError as exc:
            notes.append(f"{name(k)} failed ({exc}): it keeps its shape")
            ok[k] = False
    return out, ok


def _write(live: LivePetals, job: _Job, notes: list) -> None:
    """Place every petal and write the flower's mesh (one foreach_set; the topology is
    built when the petals' shapes, slots or count changed)."""
    place, mesh = job.place, job.mesh
    ptr = mesh.as_pointer()
    prev = live.flower_coords.get(ptr)
    mats = (job.applied[None] @ place.matrices).astype(np.float32)
    if job.block is not None:                     # one batched product
        flat = job.block.reshape(len(job.block), -1, 3)
        shapes = [(int(job.block.shape[1]), int(job.block.shape[2]))] * len(job.block)
        # (P, 3, 3) @ (P, 3, V), the vertices on the long side: with the copy back to
        # (P * V, 3) about 0.7x the time of (P, V, 3) @ (P, 3, 3) for 100 petals x 175 vertices
        coords = np.matmul(mats[:, :3, :3], flat.transpose(0, 2, 1))
        coords += mats[:, :3, 3:4]
        coords = coords.transpose(0, 2, 1).reshape(-1, 3)
    else:
        shapes, starts = _shapes(job, live.flower_shapes.get(ptr))
        coords = _place_each(job, mats, starts, prev)
    topo = (tuple(shapes), place.material.tobytes(), place.random.tobytes())
    if live.flower_topo.get(ptr) != topo or not mesh_grid.write_coords(mesh, coords):
        flower_mesh.build_flower_mesh(mesh, shapes, coords, place.material, place.random)
        live.flower_topo[ptr] = topo
    live.flower_coords[ptr] = coords
    live.flower_shapes[ptr] = shapes
    live.flower_last[job.obj.as_pointer()] = job.sig
    live.pending.add(ptr)
    live.writes += 1


def _place_each(job: _Job, mats: np.ndarray, starts: np.ndarray, prev) -> np.ndarray:
    """Petals of different shapes, or a failed petal keeping its last coordinates."""
    total = int(starts[-1])
    coords = np.zeros((total, 3), dtype=np.float32)
    for i, grid in enumerate(job.grids):
        a, b = int(starts[i]), int(starts[i + 1])
        if grid is None:
            if prev is not None and len(prev) == total:
                coords[a:b] = prev[a:b]
            continue
        coords[a:b] = grid.reshape(-1, 3) @ mats[i, :3, :3].T + mats[i, :3, 3]
    return coords


def _shapes(job: _Job, prev_shapes) -> tuple[list, np.ndarray]:
    """(rows, cols) of every petal and the vertex offsets; a failed petal keeps its last
    shape (a failed petal with no shape yet is a point at the flower's centre)."""
    shapes = []
    for i, grid in enumerate(job.grids):
        if grid is not None:
            shapes.append(grid.shape[:2])
        elif prev_shapes is not None and len(prev_shapes) == len(job.grids):
            shapes.append(prev_shapes[i])
        else:
            shapes.append((job.rows, 2))
            job.grids[i] = np.zeros((job.rows, 2, 3), np.float32)  # no shape yet: a point
    sizes = [r * c for r, c in shapes]
    return shapes, np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)

