"""Regenerate petal meshes from the scene's model: the hot path of sliders and playback.

All petals that share the scene's model and output row count are generated in ONE
`model.generate_many` call; the float32 staging buffer is reused between calls; vertices
are written with `foreach_set("co", ...)`. A petal whose vertex count no longer matches
(rows changed) gets its grid topology rebuilt first.

Nothing here raises into Blender: a bad model or petal leaves the meshes as they are and
records a message (`last_error`) that the panel shows.
"""
from __future__ import annotations

import sys

import numpy as np

from ..model_core import GRCError
from . import mesh_grid, store

SUBSURF_NAME = "GRC Subdivision"

# Messages per scene name (shown in the panel); printed once each to the console.
last_error: dict[str, str] = {}
_printed: set[str] = set()
# float32 staging buffers keyed by shape, reused across frames.
_buffers: dict[tuple[int, ...], np.ndarray] = {}


def _report(scene_name: str, msg: str) -> None:
    last_error[scene_name] = msg
    if msg and msg not in _printed:
        _printed.add(msg)
        print(f"GRC: {msg}", file=sys.stderr)


def drop_caches() -> None:
    _buffers.clear()
    last_error.clear()
    _printed.clear()


def scene_petals(scene) -> list:
    return [o for o in scene.objects if o.type == 'MESH' and o.grc.is_petal]


def _buffer(shape: tuple[int, ...]) -> np.ndarray:
    buf = _buffers.get(shape)
    if buf is None:
        if len(_buffers) > 32:
            _buffers.clear()
        buf = _buffers[shape] = np.empty(shape, dtype=np.float32)
    return buf


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
    if objects is None:
        objects = scene_petals(scene)
    errors: list[str] = []
    groups: dict[int, list] = {}
    for obj in objects:
        if obj.type != 'MESH' or obj.mode == 'EDIT':
            continue  # edit mode owns the mesh; writing would be lost on exit
        g = obj.grc
        if g.cols and g.cols != model.n_cols:
            errors.append(f"petal '{obj.name}' was made for a {g.cols}-column model but the "
                          f"scene's model has {model.n_cols} columns: add a new petal")
            continue
        groups.setdefault(g.rows, []).append(obj)
    dims = model.context_dims
    for rows, objs in groups.items():
        n = len(objs)
        settings = [o.grc for o in objs]
        times = np.fromiter((s.time for s in settings), np.float64, n)
        offsets = np.fromiter((s.offset for s in settings), np.float64, n)
        if dims == 1:
            alphas = np.fromiter((s.context for s in settings), np.float64, n)
        else:
            alphas = np.array([(s.context, s.context_b) for s in settings], dtype=np.float64)
        try:
            out = model.generate_many(times, alphas, offsets, rows=rows)
        except GRCError as exc:
            errors.append(f"generating {n} petal(s) failed: {exc}")
            continue
        buf = _buffer(out.shape)
        np.copyto(buf, out, casting="same_kind")
        for i, obj in enumerate(objs):
            mesh = obj.data
            if not mesh_grid.write_coords(mesh, buf[i]):
                mesh_grid.build_grid_mesh(mesh, buf[i])
            if not obj.grc.cols:
                obj.grc.cols = model.n_cols
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
