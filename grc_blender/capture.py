"""Capture template objects into arrays: evaluated meshes at each keyframe, topology order.

For every template object, the keyframes of its object, mesh, shape-key and modifier
animation give the time indexes (first keyframe -> time 0, last -> time 1). At each of
them the EVALUATED mesh (modifiers and shape keys applied) is read in object space, so the
object's own transform (negative scale, rotation) never enters the data. The grid order is
found once, at the first keyframe, and reused for the later ones after checking the
topology did not change. The template objects are never modified; the scene's frame is
restored afterwards.
"""
from __future__ import annotations

import math

import numpy as np

from ..model_core import GRCError
from . import anim, jobs, mesh_grid
from .store import Captured, encode_captured, get_captured

TIME_TOLERANCE = 1e-4  # relative keyframe times must agree to this (fraction of the range)


def _frame_set(scene, frame: float) -> None:
    whole = math.floor(frame)
    scene.frame_set(int(whole), subframe=float(frame - whole))


def check_selection(objects) -> list:
    if not objects:
        raise GRCError("Nothing selected: select the template mesh objects (grid meshes "
                       "animated over the same keyframes), then capture")
    for obj in objects:
        if obj.type != 'MESH':
            raise GRCError(f"'{obj.name}' is a {obj.type.lower()} object, not a mesh: select "
                           f"only grid mesh objects as templates")
        if obj.grc.is_petal:
            raise GRCError(f"'{obj.name}' is a generated GRC petal, not a template: select the "
                           f"template objects instead")
    return sorted(objects, key=lambda o: o.name)


def check_grids(context, objects) -> None:
    """Refuse non-grid meshes before anything else (evaluated at the current frame)."""
    depsgraph = context.evaluated_depsgraph_get()
    for obj in objects:
        ev = obj.evaluated_get(depsgraph)
        mesh = ev.to_mesh()
        try:
            mesh_grid.grid_order(mesh_grid.mesh_topology(mesh), mesh_grid.mesh_coords(mesh),
                                 obj.name)
        finally:
            ev.to_mesh_clear()


def template_frames(objects) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """(times (T,), frames of the first template (T,), frames per object)."""
    per_obj = []
    for obj in objects:
        frames = anim.keyframe_frames(obj)
        if len(frames) < 2:
            raise GRCError(f"'{obj.name}' has {len(frames)} keyframe(s): animate each template "
                           f"over at least 2 keyframes (the first is time 0, the last time 1)")
        per_obj.append(frames)
    ref_obj, ref = objects[0], per_obj[0]
    times = (ref - ref[0]) / (ref[-1] - ref[0])
    for obj, frames in zip(objects[1:], per_obj[1:]):
        if len(frames) != len(ref):
            raise GRCError(f"'{obj.name}' has {len(frames)} keyframes but '{ref_obj.name}' has "
                           f"{len(ref)}: all templates need the same number of keyframes")
        rel = (frames - frames[0]) / (frames[-1] - frames[0])
        if np.max(np.abs(rel - times)) > TIME_TOLERANCE:
            raise GRCError(f"the keyframes of '{obj.name}' (frames {frames.tolist()}) are not "
                           f"spaced like those of '{ref_obj.name}' ({ref.tolist()}): key all "
                           f"templates at the same relative times")
    return times, ref, per_obj


def capture_object(context, obj, frames) -> np.ndarray:
    """(T, R, C, 3) evaluated grids of one object at `frames` (object space)."""
    scene = context.scene
    order = None
    signature = None
    grids = []
    for f in frames:
        _frame_set(scene, float(f))
        depsgraph = context.evaluated_depsgraph_get()
        ev = obj.evaluated_get(depsgraph)
        mesh = ev.to_mesh()
        try:
            topo = mesh_grid.mesh_topology(mesh)
            co = mesh_grid.mesh_coords(mesh)
            if order is None:
                order = mesh_grid.grid_order(topo, co, obj.name)
                signature = topo.signature()
            elif topo.signature() != signature:
                raise GRCError(f"'{obj.name}' changes its topology between keyframes (at frame "
                               f"{f:g}); templates need one fixed grid")
        finally:
            ev.to_mesh_clear()
        grid = co[order]
        if not np.all(np.isfinite(grid)):
            raise GRCError(f"'{obj.name}' has non-finite vertex coordinates at frame {f:g}")
        grids.append(grid)
    out = np.stack(grids)
    ext = out.reshape(-1, 3).max(axis=0) - out.reshape(-1, 3).min(axis=0)
    if not np.linalg.norm(ext) > 1e-9:
        raise GRCError(f"'{obj.name}' has zero size (all vertices in one point)")
    return out


def capture(context, objects) -> Captured:
    """Capture `objects` (any order; sorted by name). GRCError names the offending object."""
    objects = check_selection(list(objects))
    check_grids(context, objects)
    times, ref_frames, per_obj = template_frames(objects)
    scene = context.scene
    frame0, sub0 = scene.frame_current, scene.frame_subframe
    try:
        coords: list[np.ndarray] = []
        for obj, frames in zip(objects, per_obj):
            grids = capture_object(context, obj, frames)
            if coords and grids.shape[1:3] != coords[0].shape[1:3]:
                r0, c0 = coords[0].shape[1:3]
                r, c = grids.shape[1:3]
                raise GRCError(f"'{obj.name}' is a {r} x {c} grid but '{objects[0].name}' is "
                               f"{r0} x {c0}: all templates need the same rows and columns")
            coords.append(grids)
    finally:
        scene.frame_set(frame0, subframe=sub0)
    cap = Captured(np.stack(coords), times, ref_frames.astype(np.float64),
                   [o.name for o in objects])
    if len(objects) >= 2:
        try:
            cap.template_set()
        except GRCError as exc:
            raise GRCError(f"the captured templates were refused: {exc}") from None
    return cap


def store_templates(scene, cap: Captured, objects_by_name: dict) -> None:
    """The captured arrays become the scene's templates (list order = training order)."""
    g = scene.grc
    g.captured = encode_captured(cap)
    g.templates.clear()
    for name in cap.names:
        entry = g.templates.add()
        entry.name = name
        entry.obj = objects_by_name.get(name)
    g.template_index = 0
    k, t, r, c = cap.shape
    g.captured_frames = ", ".join(f"{f:g}" for f in cap.frames)
    g.captured_rows = r
    g.captured_info = (f"{k} templates, {t} keyframes ({cap.frames[0]:g}..{cap.frames[-1]:g}), "
                       f"{r} x {c} grid")


def capture_templates(context, objects) -> Captured:
    """Capture `objects` and store them as the scene's templates; GRCError names the
    offending object. Refused while a training runs (it would land on other templates)."""
    if jobs.is_running():
        raise GRCError("A training is running: capture again when it ends (or cancel it)")
    objects = list(objects)
    cap = capture(context, objects)
    store_templates(context.scene, cap, {o.name: o for o in objects})
    return cap


def move_template(scene, index: int, step: int) -> int:
    """Move template `index` by `step` (-1 up, +1 down); returns its new index. The stored
    arrays are permuted with the list, so the list order is always the training order."""
    if jobs.is_running():
        raise GRCError("A training is running: reorder the templates when it ends")
    g = scene.grc
    n = len(g.templates)
    j = index + step
    if not (0 <= index < n and 0 <= j < n):
        raise GRCError(f"cannot move template {index} to {j} (there are {n})")
    cap = get_captured(scene)
    if cap is not None and len(cap.names) == n:
        order = list(range(n))
        order[index], order[j] = order[j], order[index]
        g.captured = encode_captured(cap.permuted(order))
    g.templates.move(index, j)
    g.template_index = j
    return j
