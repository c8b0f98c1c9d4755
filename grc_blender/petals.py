"""Regenerate petal meshes from the scene's model: the hot path of sliders and playback.

All petals that share the scene's model and output row count are generated in ONE
`model.generate_many` call; the float32 staging buffer is reused between calls; vertices
are written with `mesh_grid.write_coords` (the `position` attribute, raw float32: the
fastest correct write path measured by bench/live.py). A petal whose vertex count no longer
matches (rows changed) gets its grid topology rebuilt first.

Frame path (regenerate(scene) from frame_change_post), per frame:
- the scene's petal list comes from a per-scene cache (no walk over scene.objects). The
  cache holds Object references only, never across undo or file load (drop_caches runs
  on undo_post/redo_post/load_post), and is dropped when the depsgraph reports collection
  or scene changes (objects linked, unlinked, added, deleted: `on_depsgraph_update`). A
  script that adds or removes objects and calls frame_set before any depsgraph update is
  caught by the scene's object count (checked every frame, ~10 us); a removed object
  raises ReferenceError (Blender invalidates its Python wrappers) and the list is rebuilt;
  a petal switched off is seen in the per-frame values; one switched on arrives through
  its update callback (regenerate(scene, [obj]) drops the stale entry).
- the per-petal values (is_petal, rows, cols, time, offset, context, context_b) are read
  with one C-level `operator.attrgetter` call per petal into one (N, 6) array (7 columns
  with a 2-D context); no Python loop touches them one by one.

Nothing here raises into Blender: a bad model or petal leaves the meshes as they are and
records a message (`last_error`) that the panel shows.
"""
from __future__ import annotations

import sys
from operator import attrgetter

import numpy as np

from ..model_core import GRCError
from . import mesh_grid, store

SUBSURF_NAME = "GRC Subdivision"

# Messages per scene name (shown in the panel); printed once each to the console.
last_error: dict[str, str] = {}
_printed: set[str] = set()
# float32 staging buffers keyed by shape, reused across frames.
_buffers: dict[tuple[int, ...], np.ndarray] = {}

# Per-petal values, read in one C call per petal. Column order of the gathered array
# (context_b only for models with a 2-D context):
_FIELDS = ("is_petal", "rows", "cols", "time", "offset", "context", "context_b")
_IS_PETAL, _ROWS, _COLS, _TIME, _OFFSET, _CONTEXT, _CONTEXT_B = range(7)
_VALUES = {1: attrgetter(*_FIELDS[:-1]), 2: attrgetter(*_FIELDS)}
_PER_OBJECT = attrgetter("grc", "mode", "data")


class _ScenePetals:
    """Cached petal objects of one scene (bpy references: dropped on undo/load/edits)."""
    __slots__ = ("objects", "pointers", "n_objects")

    def __init__(self, objects: list, n_objects: int):
        self.objects = objects
        self.pointers = {o.as_pointer() for o in objects}
        self.n_objects = n_objects


_scenes: dict[int, _ScenePetals] = {}


def _report(scene_name: str, msg: str) -> None:
    if last_error.get(scene_name, "") != msg:
        last_error[scene_name] = msg
    if msg and msg not in _printed:
        _printed.add(msg)
        print(f"GRC: {msg}", file=sys.stderr)


def drop_caches() -> None:
    _buffers.clear()
    _scenes.clear()
    last_error.clear()
    _printed.clear()


def on_depsgraph_update(scene, depsgraph) -> None:
    """depsgraph_update_post: structural edits (link, unlink, add, delete objects) tag the
    scene's collections; animated or slider-driven property changes only tag objects and
    meshes, so playback keeps its cache."""
    if depsgraph is None or depsgraph.id_type_updated('COLLECTION') or \
            depsgraph.id_type_updated('SCENE'):
        _scenes.clear()


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


def _gather(objects: list, dims: int) -> tuple[list, list, list, np.ndarray]:
    """(settings, modes, meshes, values (N, 5 + dims) float64) of `objects` in bulk."""
    per_object = list(map(_PER_OBJECT, objects))       # ReferenceError if one was deleted
    settings = [p[0] for p in per_object]
    values = np.array(list(map(_VALUES[dims], settings)), dtype=np.float64)
    return (settings, [p[1] for p in per_object], [p[2] for p in per_object],
            values.reshape(len(objects), 5 + dims))


def _scene_frame_inputs(scene, dims: int):
    """The cached petals of `scene` and their gathered values, rebuilt if stale."""
    for attempt in range(2):
        entry = _cached_petals(scene)
        try:
            gathered = _gather(entry.objects, dims)
        except ReferenceError:          # an object was deleted since the cache was built
            _scenes.pop(scene.as_pointer(), None)
            continue
        if gathered[3][:, _IS_PETAL].all() or attempt:
            return entry.objects, gathered
        _scenes.pop(scene.as_pointer(), None)  # a petal was switched off: rebuild once
    entry = _scenes[scene.as_pointer()] = _ScenePetals(scene_petals(scene), len(scene.objects))
    return entry.objects, _gather(entry.objects, dims)


def _note_explicit(scene, objects: list) -> None:
    """A petal regenerated explicitly (e.g. just switched on) must be in the frame cache."""
    entry = _scenes.get(scene.as_pointer())
    if entry is not None and any(o.as_pointer() not in entry.pointers for o in objects):
        _scenes.pop(scene.as_pointer(), None)


def regenerate(scene, objects=None) -> str:
    """Regenerate `objects` (default: every petal in `scene`); returns '' or an error."""
    name = scene.name
    try:
        model = store.get_model(scene)
    except GRCError as exc:
        _report(name, str(exc))
        return str(exc)
    if model is None:
        return ""
    dims = model.context_dims
    if objects is None:
        objects, (settings, modes, meshes, values) = _scene_frame_inputs(scene, dims)
        keep = values[:, _IS_PETAL] != 0.0
    else:
        objects = [o for o in objects if o.type == 'MESH']
        _note_explicit(scene, objects)
        settings, modes, meshes, values = _gather(objects, dims)
        keep = np.ones(len(objects), dtype=bool)
    if not len(objects):
        _report(name, "")
        return ""
    errors: list[str] = []
    if 'EDIT' in modes:   # edit mode owns the mesh; writing would be lost on exit
        keep &= np.array([m != 'EDIT' for m in modes])
    cols = values[:, _COLS]
    wrong = keep & (cols != 0.0) & (cols != model.n_cols)
    for i in np.flatnonzero(wrong):
        errors.append(f"petal '{objects[i].name}' was made for a {int(cols[i])}-column model "
                      f"but the scene's model has {model.n_cols} columns: add a new petal")
    keep &= ~wrong
    rows = values[:, _ROWS].astype(np.int64)
    kept_rows = rows[keep]
    if kept_rows.size:
        first = kept_rows[0]
        groups = ([first] if (kept_rows == first).all() else np.unique(kept_rows).tolist())
    else:
        groups = []
    for r in groups:
        idx = np.flatnonzero(keep & (rows == r))
        n = len(idx)
        sel = values[idx]
        alphas = sel[:, _CONTEXT] if dims == 1 else sel[:, _CONTEXT:_CONTEXT_B + 1]
        try:
            out = model.generate_many(sel[:, _TIME], alphas, sel[:, _OFFSET], rows=int(r))
        except GRCError as exc:
            errors.append(f"generating {n} petal(s) failed: {exc}")
            continue
        buf = _buffer(out.shape)
        np.copyto(buf, out, casting="same_kind")
        write = mesh_grid.write_coords
        for j, i in enumerate(idx.tolist()):
            if not write(meshes[i], buf[j]):
                mesh_grid.build_grid_mesh(meshes[i], buf[j])
        for i in idx[sel[:, _COLS] == 0.0].tolist():   # first generation: remember the grid
            settings[i].cols = model.n_cols
    msg = "; ".join(errors)
    _report(name, msg)
    return msg


def sync_subsurf(obj) -> None:
    """Keep the petal's Subdivision modifier at Object.grc.subsurf_levels."""
    mod = obj.modifiers.get(SUBSURF_NAME)
    levels = obj.grc.subsurf_levels
    if mod is None:
        if levels == 0:
            return
        mod = obj.modifiers.new(SUBSURF_NAME, 'SUBSURF')
    mod.levels = levels
    mod.render_levels = levels
