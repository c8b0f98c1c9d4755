"""Viewport overlay: the base row, the tip row and the R x C size of selected templates, and a
flag on templates edited since the last capture (Scene.grc.show_template_overlay).

Two SpaceView3D draw handlers, added in register() and removed in unregister(): POST_VIEW
draws the rows as lines, POST_PIXEL the labels. The geometry comes from
overlay_geometry.template_marks (pure numpy); `template_marks_of(context)` gathers it
without any GPU, so it is tested headless. Grid orders are cached by topology (read
through the fast attribute paths), so a redraw reads a few arrays: about 0.2 ms per
selected 32 x 32 template, 0.4 ms with the edited-since-capture check (measured). In Edit
Mode the evaluated mesh has no such attributes and the order is recomputed on each redraw
(6 ms for 32 x 32, well under 1 ms for 7 x 7).
"""
from __future__ import annotations

import zlib
from typing import Any

import blf
import bpy
import gpu
import numpy as np
from bpy_extras.view3d_utils import location_3d_to_region_2d
from gpu_extras.batch import batch_for_shader
from mathutils import Vector

from ...model_core import GRCError
from . import fingerprint
from ..util import mesh_grid
from ..access import active_model_settings, is_petal, object_settings, scene_settings
from .overlay_geometry import SIZE_LABEL, TemplateMarks, template_marks

BASE_COLOR = (0.2, 0.85, 0.3, 1.0)
TIP_COLOR = (0.95, 0.45, 0.15, 1.0)
STALE_COLOR = (1.0, 0.35, 0.3, 1.0)
TEXT_COLOR = (1.0, 1.0, 1.0, 1.0)
MAX_CACHED = 64

_handles: list[tuple[object, str]] = []
_orders: dict[tuple, np.ndarray | None] = {}     # topology key -> grid order / None
_last: list[TemplateMarks] = []                  # marks of the current redraw (POST_VIEW)


def _int_crc(mesh, name: str, width: int) -> int:
    """CRC32 of an internal int attribute (.corner_vert, .edge_verts): the fast read path;
    mesh_topology's loops/edges reads take ~1 ms on a 32 x 32 grid, these ~2 us."""
    attr = mesh.attributes.get(name)
    if attr is None:
        return -1
    buf = np.empty(len(attr.data) * width, dtype=np.int32)
    attr.data.foreach_get("value", buf)
    return zlib.crc32(buf.tobytes())


def _coords(mesh) -> np.ndarray:
    pos = mesh.attributes.get("position")
    if pos is None:
        return mesh_grid.mesh_coords(mesh)
    co = np.empty(len(pos.data) * 3, dtype=np.float32)
    pos.data.foreach_get("vector", co)
    return co.reshape(-1, 3).astype(np.float64)


def _base_still_nearest(order: np.ndarray, coords: np.ndarray) -> bool:
    """Whether grid_order would still pick row 0 as the base: its rule (nearest mean
    distance to the origin, ties to the lowest vertex index); the base side fixes the
    whole order (columns follow the face winding)."""
    sides = (order[0], order[:, -1], order[-1], order[:, 0])
    keys = [(round(float(np.linalg.norm(coords[s], axis=1).mean()), 9), int(s.min()))
            for s in sides]
    return keys[0] == min(keys)


def _order(mesh, coords: np.ndarray) -> np.ndarray | None:
    """The capture's grid order for these positions, or None for a non-grid. Cached by
    topology: while shapes change (sculpting, playback) only the base side is re-checked,
    and the order is recomputed (about 10 ms for 32 x 32) only when that side changes."""
    key = (len(mesh.vertices), len(mesh.edges), len(mesh.polygons),
           _int_crc(mesh, ".corner_vert", 1), _int_crc(mesh, ".edge_verts", 2))
    order = _orders.get(key)
    if key in _orders and key[3] != -1 and (order is None or _base_still_nearest(order, coords)):
        return order
    if len(_orders) >= MAX_CACHED:
        _orders.clear()
    try:
        _orders[key] = mesh_grid.grid_order(mesh_grid.mesh_topology(mesh), coords)
    except GRCError:
        _orders[key] = None
    return _orders[key]


def _shown_mesh(obj, depsgraph):
    """The mesh whose grid is shown: the evaluated one when the stack keeps the vertex count
    (shape keys, deformers, Edit Mode), else the object's own (a Subdivision modifier:
    capture reads the cage)."""
    ev = obj.evaluated_get(depsgraph)
    if ev.data is not None and len(ev.data.vertices) == len(obj.data.vertices):
        return ev.data
    return obj.data


def _is_stale(scene, obj) -> bool:
    g = active_model_settings(scene)
    for entry in (g.templates if g is not None else ()):
        if entry.obj == obj and entry.fingerprint:
            return fingerprint.template_fingerprint(obj) != entry.fingerprint
    return False


def template_marks_of(context, depsgraph=None) -> list[TemplateMarks]:
    """Marks of every selected grid mesh that is not a generated petal (world space).
    `depsgraph`: the one being drawn (default: the context's, evaluated first)."""
    scene = context.scene
    if scene is None or not scene_settings(scene).show_template_overlay:
        return []
    if depsgraph is None:
        depsgraph = context.evaluated_depsgraph_get()
    out = []
    for obj in context.selected_objects:
        if obj.type != 'MESH' or is_petal(obj):
            continue
        mesh = _shown_mesh(obj, depsgraph)
        coords = _coords(mesh)
        order = _order(mesh, coords)
        if order is None:
            continue
        world = np.asarray(obj.evaluated_get(depsgraph).matrix_world)
        grid = coords[order] @ world[:3, :3].T + world[:3, 3]
        out.append(template_marks(grid, obj.name, _is_stale(scene, obj)))
    return out


def _draw_rows() -> None:
    context = bpy.context
    try:
        # The view layer's depsgraph is already evaluated for this redraw: drawing must not
        # trigger another evaluation (evaluated_depsgraph_get would ensure one).
        layer = context.view_layer
        _last[:] = template_marks_of(context, layer.depsgraph) if layer is not None else []
    except (GRCError, ReferenceError, RuntimeError):
        _last.clear()     # an object removed or a mesh mid-edit: draw nothing this time
    region = context.region
    if not _last or region is None:
        return
    shader = gpu.shader.from_builtin('POLYLINE_UNIFORM_COLOR')
    shader.uniform_float("viewportSize", (region.width, region.height))
    shader.uniform_float("lineWidth", 4.0)
    gpu.state.blend_set('ALPHA')
    gpu.state.depth_test_set('NONE')   # marks show through the petal
    for marks in _last:
        for pts, color in ((marks.base, BASE_COLOR), (marks.tip, TIP_COLOR)):
            batch = batch_for_shader(shader, 'LINE_STRIP', {"pos": pts.astype(np.float32).tolist()})
            shader.uniform_float("color", color)
            batch.draw(shader)
    gpu.state.blend_set('NONE')


def _draw_labels() -> None:
    context = bpy.context
    region, rv3d = context.region, context.region_data
    if not _last or region is None or rv3d is None:
        return
    font = 0
    blf.size(font, 13.0)
    for marks in _last:
        for i, (anchor, text) in enumerate(marks.labels):
            p = location_3d_to_region_2d(region, rv3d, Vector(anchor.tolist()))
            if p is None:
                continue
            color = STALE_COLOR if marks.stale and i == SIZE_LABEL else TEXT_COLOR
            blf.color(font, *color)
            blf.position(font, p.x - blf.dimensions(font, text)[0] / 2, p.y, 0)
            blf.draw(font, text)


def is_registered() -> bool:
    return bool(_handles)


def register() -> None:
    if _handles:
        return
    space: Any = bpy.types.SpaceView3D
    _handles.append((space.draw_handler_add(_draw_rows, (), 'WINDOW', 'POST_VIEW'), 'WINDOW'))
    _handles.append((space.draw_handler_add(_draw_labels, (), 'WINDOW', 'POST_PIXEL'), 'WINDOW'))


def unregister() -> None:
    space: Any = bpy.types.SpaceView3D
    while _handles:
        handle, region = _handles.pop()
        space.draw_handler_remove(handle, region)
    _orders.clear()
    _last.clear()
