"""The ghost: the template's captured shape drawn over the error preview, as grid lines.

A `SpaceView3D` draw handler (POST_VIEW, every 3D view) draws the rows and columns of the
captured grid that Show Error compared with (error_view.ghost_grid), placed with the
preview object's transform, so where the model is right the ghost lies on the preview and
where it is off the two part. `ghost_lines` (pure numpy) computes the line geometry; the
handler only uploads it. Nothing is drawn without a preview, with Scene.grc.error_ghost
off, or when the preview is hidden.
"""
from __future__ import annotations

from typing import Any

import bpy
import gpu
import numpy as np
from gpu_extras.batch import batch_for_shader

from . import error_view
from ..access import active_model_settings

COLOR = (1.0, 1.0, 1.0, 0.8)
LINE_WIDTH = 2.0

_handle: Any = None


def ghost_lines(grid: np.ndarray, matrix: Any = None) -> np.ndarray:
    """(2 * S, 3) float32 segment end points of the grid's rows and columns (S = R (C - 1)
    + C (R - 1) segments: pairs of consecutive points), transformed by the 4 x 4 `matrix`."""
    g = np.asarray(grid, dtype=np.float64)
    rows = np.stack([g[:, :-1], g[:, 1:]], axis=2).reshape(-1, 3)      # along each row
    cols = np.stack([g[:-1, :], g[1:, :]], axis=2).reshape(-1, 3)      # along each column
    pts = np.concatenate([rows, cols])
    if matrix is not None:
        m = np.asarray(matrix, dtype=np.float64).reshape(4, 4)
        pts = pts @ m[:3, :3].T + m[:3, 3]
    return pts.astype(np.float32)


def scene_lines(scene) -> np.ndarray | None:
    """The ghost's segments in world space for `scene` (None: nothing to draw)."""
    g = active_model_settings(scene)
    if g is None:
        return None
    obj = g.error_object
    if not g.error_ghost or obj is None or obj.name not in scene.objects:
        return None
    if obj.hide_get() or obj.hide_viewport:
        return None
    grid = error_view.ghost_grid(scene)
    if grid is None:
        return None
    return ghost_lines(grid, [list(row) for row in obj.matrix_world])


def _draw() -> None:
    try:
        lines = scene_lines(bpy.context.scene)
    except Exception:   # never raise in a draw callback (it would repeat every redraw)
        return
    if lines is None or not len(lines):
        return
    shader = gpu.shader.from_builtin('POLYLINE_UNIFORM_COLOR')
    region: Any = bpy.context.region
    shader.uniform_float("viewportSize", (region.width, region.height))
    shader.uniform_float("lineWidth", LINE_WIDTH)
    shader.uniform_float("color", COLOR)
    batch = batch_for_shader(shader, 'LINES', {"pos": lines.tolist()})
    gpu.state.blend_set('ALPHA')
    batch.draw(shader)
    gpu.state.blend_set('NONE')


def register() -> None:
    global _handle
    if _handle is None:
        _handle = bpy.types.SpaceView3D.draw_handler_add(_draw, (), 'WINDOW', 'POST_VIEW')


def unregister() -> None:
    global _handle
    if _handle is not None:
        bpy.types.SpaceView3D.draw_handler_remove(_handle, 'WINDOW')
        _handle = None


def handle() -> Any:
    return _handle
