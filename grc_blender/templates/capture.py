"""Capture template objects into arrays: evaluated meshes at the capture frames, topology order.

Capture frames (Scene.grc.capture_frames): the keyframes of each template and of every
object its deformation depends on (capture_frames.py), or the scene's timeline markers, or
every N frames of the scene range; first frame -> time 0, last -> time 1. At each frame the
EVALUATED mesh (deforming modifiers, constraints and shape keys applied) is read in object
space, so the object's own transform (negative scale, rotation) never enters the data; a
template whose only animation is its transform is refused with a message. Modifiers that
change the topology (Subdivision, Multires, ...) are left out (cage.py): the template's own
R x C cage is read. The grid order is found once, at the first frame, and reused for the
later ones after checking the topology did not change. The template objects end exactly as
they were; the scene's frame is restored afterwards.
"""
from __future__ import annotations

import math

import numpy as np

from ...model_core import GRCError
from . import cage, capture_frames, fingerprint
from ..training import jobs
from ..util import mesh_grid
from ..store import Captured, encode_captured, get_captured
from ..access import is_petal, model_settings
from ..models.scene_models import active_model, ensure_active, require_active

TIME_TOLERANCE = 1e-4  # relative keyframe times must agree to this (fraction of the range)
STATIC_TOLERANCE = 1e-6  # a shape moving less than this (fraction of its size) is static


class CaptureResult(Captured):
    """Captured arrays plus what the artist is told: the source of the frames and the
    modifiers left out of each template (object name -> modifier names)."""

    def __init__(self, cap: Captured, source: str, skipped: dict[str, list[str]]):
        super().__init__(cap.coords, cap.times, cap.frames, cap.names)
        self.source, self.skipped = source, skipped

    def skipped_text(self) -> str:
        return "; ".join(f"'{name}': {', '.join(mods)}" for name, mods in self.skipped.items())

    def report(self) -> str:
        k, t, r, c = self.shape
        frames = ", ".join(f"{f:g}" for f in self.frames)
        src = {'MARKERS': "markers", 'EVERY_N': "every N frames"}.get(self.source, "keyframes")
        text = f"Captured {k} template(s), {r} x {c}, at {t} frames ({src}): {frames}"
        if self.skipped:
            text += (f". Left out (they change the topology; the R x C cage was read): "
                     f"{self.skipped_text()}")
        return text


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
        if is_petal(obj):
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


def template_frames(objects, shared=None) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """(times (T,), frames of the first template (T,), frames per object). `shared`: the
    same frames for every object (markers, every N); else each one's keyframes."""
    if shared is not None:
        per_obj = [np.asarray(shared, dtype=np.float64)] * len(objects)
        return (shared - shared[0]) / (shared[-1] - shared[0]), per_obj[0], per_obj
    per_obj = []
    for obj in objects:
        frames, deps = capture_frames.keyframes_with_dependencies(obj)
        if len(frames) < 2:
            also = (f" (its own and those of {', '.join(repr(d.name) for d in deps)})"
                    if deps else "")
            raise GRCError(f"'{obj.name}' has {len(frames)} keyframe(s){also}: animate each "
                           f"template over at least 2 keyframes (the first is time 0, the last "
                           f"time 1), or capture from markers or every N frames")
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
    grids, matrices = [], []
    for f in frames:
        _frame_set(scene, float(f))
        depsgraph = context.evaluated_depsgraph_get()
        ev = obj.evaluated_get(depsgraph)
        matrices.append(np.array(ev.matrix_world, dtype=np.float64))
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
    check_not_transform_only(obj, out, np.stack(matrices), frames)
    return out


def check_not_transform_only(obj, grids: np.ndarray, matrices: np.ndarray, frames) -> None:
    """Refuse a template whose shape is the same at every frame while its transform moves."""
    size = float(np.linalg.norm(np.ptp(grids.reshape(-1, 3), axis=0)))
    static = np.max(np.abs(grids - grids[0])) <= STATIC_TOLERANCE * size
    if static and np.max(np.abs(matrices - matrices[0])) > 1e-9:
        raise GRCError(
            f"'{obj.name}' only moves, rotates or scales as an object between frames "
            f"{frames[0]:g} and {frames[-1]:g}: its shape is the same at every frame. Shapes "
            f"are read in the object's own space, so the object transform is not part of a "
            f"template. Animate the shape instead: shape keys (one per time), an armature, "
            f"a lattice, a hook or another deforming modifier (Add > Mesh > GRC Template "
            f"makes a template with one shape key per time)")


def capture(context, objects, source: str = 'KEYFRAMES', step: int = 8) -> CaptureResult:
    """Capture `objects` (any order; sorted by name) at the frames of `source` ('KEYFRAMES',
    'MARKERS', 'EVERY_N' with `step`). GRCError names the offending object."""
    objects = check_selection(list(objects))
    shared = capture_frames.scene_frames(context.scene, source, step)
    try:
        per_obj = template_frames(objects, shared)[2]
    except GRCError:   # raised again below, after the grid checks that come first
        per_obj = [np.array([float(context.scene.frame_current)])] * len(objects)
    changers = {obj.name: _changers_over(context, obj, frames)
                for obj, frames in zip(objects, per_obj)}
    skipped = {name: [m.name for m in mods] for name, mods in changers.items() if mods}
    with cage.hidden([m for mods in changers.values() for m in mods]), cage.unpinned(objects):
        cap = _capture_cages(context, objects, shared)
    return CaptureResult(cap, source, skipped)


def _changers_over(context, obj, frames) -> list:
    """The topology-changing modifiers of `obj` at any of its capture frames: whether a
    Remesh or a Weld changes the topology can depend on the shape of the frame."""
    if not any(m.show_viewport and m.type not in cage.DEFORM_ONLY for m in obj.modifiers):
        return []
    scene = context.scene
    frame0, sub0 = scene.frame_current, scene.frame_subframe
    found: list = []
    try:
        for f in frames:
            _frame_set(scene, float(f))
            found += [m for m in cage.topology_changers(context, obj) if m not in found]
    finally:
        scene.frame_set(frame0, subframe=sub0)
    return found


def _capture_cages(context, objects, shared) -> Captured:
    check_grids(context, objects)
    times, ref_frames, per_obj = template_frames(objects, shared)
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


def store_templates(datablock, cap: Captured, objects_by_name: dict) -> None:
    """The captured arrays become the model's templates (list order = training order)."""
    g = model_settings(datablock)
    g.captured = encode_captured(cap)
    g.templates.clear()
    for name in cap.names:
        entry = g.templates.add()
        entry.name = name
        entry.obj = objects_by_name.get(name)
        if entry.obj is not None:
            entry.fingerprint = fingerprint.template_fingerprint(entry.obj)
    g.captured_skipped = cap.skipped_text() if isinstance(cap, CaptureResult) else ""
    g.template_index = 0
    k, t, r, c = cap.shape
    g.captured_frames = ", ".join(f"{f:g}" for f in cap.frames)
    g.captured_rows = r
    g.captured_info = (f"{k} templates, {t} keyframes ({cap.frames[0]:g}..{cap.frames[-1]:g}), "
                       f"{r} x {c} grid")


def capture_objects(context, objects, source: str | None = None,
                      step: int | None = None) -> CaptureResult:
    """Capture `objects` and store them as the templates of the scene's active model (a
    first capture adds a model); GRCError names the offending object. Refused while a
    training runs (it would land on other templates). `source`/`step` default to the
    model's Capture Frames settings."""
    if jobs.is_running():
        raise GRCError("A training is running: capture again when it ends (or cancel it)")
    objects = list(objects)
    active = active_model(context.scene)
    g = model_settings(active) if active is not None else None
    cap = capture(context, objects,
                  (g.capture_frames if g is not None else 'KEYFRAMES') if source is None
                  else source, (g.capture_every if g is not None else 8) if step is None
                  else step)
    store_templates(ensure_active(context.scene), cap, {o.name: o for o in objects})
    return cap


def move_template(scene, index: int, step: int) -> int:
    """Move template `index` by `step` (-1 up, +1 down); returns its new index. The stored
    arrays are permuted with the list, so the list order is always the training order."""
    if jobs.is_running():
        raise GRCError("A training is running: reorder the templates when it ends")
    datablock = require_active(scene)
    g = model_settings(datablock)
    n = len(g.templates)
    j = index + step
    if not (0 <= index < n and 0 <= j < n):
        raise GRCError(f"cannot move template {index} to {j} (there are {n})")
    cap = get_captured(datablock)
    if cap is not None and len(cap.names) == n:
        order = list(range(n))
        order[index], order[j] = order[j], order[index]
        g.captured = encode_captured(cap.permuted(order))
    g.templates.move(index, j)
    g.template_index = j
    return j
