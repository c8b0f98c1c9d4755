"""A new template to sculpt (Add > Mesh > GRC Template), or a variant of the active one.

The template is a quad grid of R x C vertices with rows base -> tip along +X, columns across
along Y and its origin at the centre of the base row (so capture's "base = side nearest
the origin" is never a tie). UVs: u across (column 0 -> 0), v base -> tip. It carries T
shape keys, one per time, named by time ("time 0.00" .. "time 1.00"), keyed like the
example: key t is 1 at its frame and 0 at the others (LINEAR), so exactly one is active at
each of T evenly spaced frames. Key 0 is the closed bud; the later keys open it a little
at a time as a starting point. The artist selects a key and sculpts it. A variant copies
the active template's mesh, UVs, keys and their animation (its own copy of the action), so
the bud stays shared and only the open times need reshaping.
"""
from __future__ import annotations

import bpy
import numpy as np

from ...model_core import GRCError
from ...model_core.limits import GRID_MAX, GRID_MIN, MAX_TIMES, MIN_TIMES
from . import example, key_frames
from ..util import mesh_grid
from ..util.selection import select_only

DEFAULT_SIZE = 7
DEFAULT_TIMES = 7
DEFAULT_FRAME_STEP = 8
# Shape parameters of the starting shapes: the closed bud and the open petal.
_BUD = dict(length=0.55, width=0.07, tilt=1.35, curl=0.6, cup=2.2)
_OPEN = dict(length=1.0, width=0.15, tilt=0.25, curl=-0.3, cup=0.5)


def petal_grid(rows: int, cols: int, opening: float) -> np.ndarray:
    """(rows, cols, 3) starting shape: 0 = closed bud, 1 = open; base row centred at 0."""
    p = {k: (1.0 - opening) * _BUD[k] + opening * _OPEN[k] for k in _BUD}
    m = np.linspace(0.0, 1.0, rows)
    u = np.linspace(-1.0, 1.0, cols)
    angle = p["tilt"] + p["curl"] * m
    step = np.stack([np.cos(angle), np.sin(angle)], axis=1) * (p["length"] / (rows - 1))
    centre = np.vstack([[0.0, 0.0], np.cumsum(step[:-1], axis=0)])
    half = p["width"] * (0.3 + 1.4 * np.sin(np.pi * (0.08 + 0.84 * m)) * (0.55 + 0.45 * m))
    lift = p["cup"] * half[:, None] * u[None, :] ** 2
    x = centre[:, 0:1] - lift * np.sin(angle)[:, None]
    z = centre[:, 1:2] + lift * np.cos(angle)[:, None]
    return np.stack([x + 0 * u, half[:, None] * u[None, :], z], axis=-1)


def key_names(times: int) -> list[str]:
    """'time 0.00' .. 'time 1.00', with as many decimals as it takes to keep them apart."""
    values = np.linspace(0.0, 1.0, times)
    for digits in range(2, 8):
        names = [f"time {v:.{digits}f}" for v in values]
        if len(set(names)) == times:
            return names
    return [f"time {t}" for t in range(times)]


def check_sizes(rows: int, cols: int, times: int, frame_step: int) -> None:
    for what, n in (("rows", rows), ("columns", cols)):
        if not GRID_MIN <= n <= GRID_MAX:
            raise GRCError(f"A template needs {GRID_MIN}..{GRID_MAX} {what} (got {n})")
    if not MIN_TIMES <= times <= MAX_TIMES:
        raise GRCError(f"A template needs {MIN_TIMES}..{MAX_TIMES} times (got {times})")
    if frame_step < 1:
        raise GRCError(f"The frame step between times must be at least 1 (got {frame_step})")


def add_uvs(mesh, rows: int, cols: int) -> None:
    """UV map: u across the petal (0 at column 0), v from base (0) to tip (1)."""
    loop_verts = np.empty(len(mesh.loops), dtype=np.int32)
    mesh.loops.foreach_get("vertex_index", loop_verts)
    r, c = np.divmod(loop_verts, cols)
    uv = np.column_stack([c / (cols - 1), r / (rows - 1)]).astype(np.float32)
    layer = mesh.uv_layers.new(name="UVMap")
    layer.data.foreach_set("uv", uv.ravel())


def free_name(stem: str = "Template") -> str:
    """'Template A', 'Template B', ...: capture orders templates by name, so creation order
    is template order (context 0, 1, ...)."""
    for i in range(26):
        name = f"{stem} {chr(ord('A') + i)}"
        if name not in bpy.data.objects:
            return name
    return _first_free(stem, 27)


def variant_name(source_name: str) -> str:
    """'Petal B Cup Variant' (then 'Petal B Cup Variant 2', ...): capture orders templates
    by name, so a variant lands right after its source."""
    stem = f"{source_name} Variant"
    if stem not in bpy.data.objects:
        return stem
    return _first_free(stem, 2)


def _first_free(stem: str, i: int) -> str:
    """'stem i', 'stem i+1', ...: the first name no object has."""
    while f"{stem} {i}" in bpy.data.objects:
        i += 1
    return f"{stem} {i}"


def link_and_select(context, obj) -> None:
    coll = context.collection or context.scene.collection
    coll.objects.link(obj)
    select_only(context.view_layer, [obj])


def blank_template(context, rows: int = DEFAULT_SIZE, cols: int = DEFAULT_SIZE,
                   times: int = DEFAULT_TIMES, frame_step: int = DEFAULT_FRAME_STEP):
    """A new R x C template with T keyed shape keys at the 3D cursor, selected and active."""
    check_sizes(rows, cols, times, frame_step)
    scene = context.scene
    opening = np.linspace(0.0, 1.0, times)
    opening = opening * opening * (3.0 - 2.0 * opening)   # slow start, slow end
    grids = np.stack([petal_grid(rows, cols, float(s)) for s in opening])
    grids -= grids[:, :1].mean(axis=2, keepdims=True)      # every key's base row centred on 0
    name = free_name()
    mesh = bpy.data.meshes.new(name)
    mesh_grid.build_grid_mesh(mesh, grids[-1])
    add_uvs(mesh, rows, cols)
    obj = bpy.data.objects.new(name, mesh)
    obj.location = scene.cursor.location
    frames = scene.frame_start + frame_step * np.arange(times, dtype=np.float64)
    example.animate_with_shape_keys(obj, grids, frames, key_names(times))
    obj.active_shape_key_index = times       # the open shape: the one to sculpt first
    link_and_select(context, obj)
    key_frames.go_to_active_key(scene, obj)  # on its frame, where it shows alone
    return obj


def check_variant_source(obj) -> None:
    if obj is None:
        raise GRCError("No active object: make a template active (click it) to add a variant "
                       "of it, or turn off Variant of Active")
    if obj.type != 'MESH' or obj.data.shape_keys is None or len(obj.data.shape_keys.key_blocks) < 3:
        raise GRCError(f"'{obj.name}' is not a template with shape keys (a grid mesh with a "
                       f"Basis and one key per time): make a template active, or add a new "
                       f"one with Variant of Active off")
    topo = mesh_grid.mesh_topology(obj.data)
    mesh_grid.grid_order(topo, mesh_grid.mesh_coords(obj.data), obj.name)  # GRCError if not


def new_variant(context, source):
    """A copy of `source`'s mesh, UVs and shape keys (with their own copy of the keys'
    animation) beside it; `source` is not changed."""
    check_variant_source(source)
    mesh = source.data.copy()
    keys = mesh.shape_keys
    adt = keys.animation_data if keys is not None else None
    if adt is not None and adt.action is not None:
        adt.action = adt.action.copy()   # the variant's timing is its own to edit
    name = variant_name(source.name)
    mesh.name = name
    obj = bpy.data.objects.new(name, mesh)
    obj.matrix_world = source.matrix_world
    side = source.matrix_world.col[1].xyz.normalized()      # the source's own +Y (across)
    obj.location = source.matrix_world.translation + side * (1.5 * max(source.dimensions.y, 0.2))
    obj.active_shape_key_index = max(len(keys.key_blocks) - 1, 0) if keys is not None else 0
    link_and_select(context, obj)
    key_frames.go_to_active_key(context.scene, obj)
    return obj


def new_template(context, rows: int = DEFAULT_SIZE, cols: int = DEFAULT_SIZE,
                 times: int = DEFAULT_TIMES, frame_step: int = DEFAULT_FRAME_STEP,
                 variant_of_active: bool = False):
    """The use case behind grc.new_template: a new template, or a variant of the active one."""
    if variant_of_active:
        return new_variant(context, context.view_layer.objects.active)
    return blank_template(context, rows, cols, times, frame_step)


def report(obj, variant: bool) -> str:
    keys = obj.data.shape_keys
    n = len(keys.key_blocks) - 1 if keys is not None else 0
    rows, cols = mesh_grid.grid_order(mesh_grid.mesh_topology(obj.data),
                                      mesh_grid.mesh_coords(obj.data), obj.name).shape
    kind = "variant" if variant else "template"
    active = obj.active_shape_key
    frame = key_frames.active_key_frame(obj)
    at = (f"; on frame {frame:g}, the key '{active.name}' shows alone: sculpt it there"
          if frame is not None and active is not None else "")
    return (f"Added {kind} '{obj.name}', {rows} x {cols}, with {n} shape keys (one per time, "
            f"the first the bud){at} (Sculpt or Edit Mode), then Capture")
