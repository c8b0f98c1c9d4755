"""A template grid lying on an existing petal mesh of any topology (grc.grid_from_mesh).

1. Axes: principal axes of the evaluated surface (area-weighted triangle centroids), in the
   source's object space: the longest is base -> tip, the shortest the surface normal.
2. Base: the end of the long axis nearest the source's origin (where petals attach).
3. Rows: planes across the long axis from base to tip (inset 1 % so each plane cuts the
   surface); each row spans the surface's width in its plane, found exactly from the edges
   the plane crosses, so the outline follows the petal whatever its vertex density.
4. Projection: each grid point is ray-cast onto the surface from the normal's positive
   side (the upper sheet of a closed mesh), falling back to the nearest surface point.
The new object's origin is at the base row's centre and its transform keeps the grid where
the source is; it gets UVs and, if asked, T shape keys keyed like a new template. The
source object and its mesh are only read.
"""
from __future__ import annotations

from typing import Any

import bpy
import numpy as np
from mathutils import Matrix, Vector
from mathutils.bvhtree import BVHTree

from ...model_core import GRCError
from . import example, new_template
from ..util import mesh_grid

END_INSET = 0.01   # rows start/end this fraction of the length inside the extremes


def _surface(context, obj) -> tuple[np.ndarray, np.ndarray]:
    """(V, 3) vertices and (F, 3) triangles of the evaluated mesh, object space."""
    ev = obj.evaluated_get(context.evaluated_depsgraph_get())
    mesh = ev.to_mesh()
    try:
        mesh.calc_loop_triangles()
        verts = mesh_grid.mesh_coords(mesh)
        tris = np.empty(len(mesh.loop_triangles) * 3, dtype=np.int32)
        mesh.loop_triangles.foreach_get("vertices", tris)
    finally:
        ev.to_mesh_clear()
    return verts, tris.reshape(-1, 3)


def principal_frame(verts: np.ndarray, tris: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(centre (3,), axes (3, 3) rows: base->tip, across, normal), oriented as documented."""
    a, b, c = verts[tris[:, 0]], verts[tris[:, 1]], verts[tris[:, 2]]
    cross = np.cross(b - a, c - a)
    area = 0.5 * np.linalg.norm(cross, axis=1)
    if not area.sum() > 0:
        raise GRCError("the mesh has no surface area")
    cent = (a + b + c) / 3.0
    centre = (cent * area[:, None]).sum(0) / area.sum()
    d = cent - centre
    cov = (d * area[:, None]).T @ d / area.sum()
    _, vecs = np.linalg.eigh(cov)                      # ascending eigenvalues
    long_axis, normal = vecs[:, 2], vecs[:, 0]
    s = (verts - centre) @ long_axis
    origin_s = (-centre) @ long_axis                   # the object origin along the axis
    if abs(origin_s - s.max()) < abs(origin_s - s.min()):
        long_axis = -long_axis                         # base = end nearest the origin
    mean_normal = 0.5 * cross.sum(0)
    ref = mean_normal if np.linalg.norm(mean_normal) > 0.1 * area.sum() else np.array([0, 0, 1.0])
    if normal @ ref < 0:
        normal = -normal
    across = np.cross(long_axis, normal)               # grid faces then face along `normal`
    return centre, np.stack([long_axis, across, normal])


def plane_grid(verts: np.ndarray, tris: np.ndarray, centre, axes, rows: int,
               cols: int) -> np.ndarray:
    """(rows, cols, 3) points in the principal plane spanning the surface's outline."""
    local = (verts - centre) @ axes.T                  # (s, t, n) per vertex
    edges = np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]])
    s0, s1 = local[edges[:, 0], 0], local[edges[:, 1], 0]
    t0, t1 = local[edges[:, 0], 1], local[edges[:, 1], 1]
    lo, hi = local[:, 0].min(), local[:, 0].max()
    inset = END_INSET * (hi - lo)
    out = np.empty((rows, cols, 3))
    for i, si in enumerate(np.linspace(lo + inset, hi - inset, rows)):
        crossing = (s0 - si) * (s1 - si) <= 0
        ds = s1[crossing] - s0[crossing]
        frac = np.where(np.abs(ds) > 1e-12, (si - s0[crossing]) / np.where(ds == 0, 1, ds), 0.0)
        t = t0[crossing] + frac * (t1[crossing] - t0[crossing])
        t_lo, t_hi = (t.min(), t.max()) if t.size else (0.0, 0.0)
        ts = np.linspace(t_lo, t_hi, cols)
        out[i] = centre + si * axes[0] + ts[:, None] * axes[1]
    return out


def project(points: np.ndarray, verts: np.ndarray, tris: np.ndarray, normal) -> np.ndarray:
    """Each point moved onto the surface: ray from the normal's side, else nearest point."""
    # The stubs type FromPolygons as returning None: Any keeps the calls checked at run time.
    tree: Any = BVHTree.FromPolygons(verts.tolist(), tris.tolist())
    reach = 2.0 * float(np.ptp(verts, axis=0).max() + 1.0)
    down = Vector((-np.asarray(normal, dtype=np.float64)).tolist())
    out = np.empty_like(points)
    flat = points.reshape(-1, 3)
    res = out.reshape(-1, 3)
    for k, p in enumerate(flat):
        hit = tree.ray_cast(Vector((p + reach * np.asarray(normal)).tolist()), down, 2.0 * reach)[0]
        if hit is None:
            hit = tree.find_nearest(Vector(p.tolist()))[0]
        res[k] = tuple(hit) if hit is not None else p
    return out


def surface_grid(context, obj, rows: int, cols: int) -> np.ndarray:
    """(rows, cols, 3) grid on `obj`'s evaluated surface, base row 0, object space."""
    if obj is None or obj.type != 'MESH':
        kind = "nothing" if obj is None else f"a {obj.type.lower()} object"
        raise GRCError(f"Grid from Mesh needs an active mesh object (the petal), not {kind}")
    verts, tris = _surface(context, obj)
    if len(tris) == 0:
        raise GRCError(f"'{obj.name}' has no faces: Grid from Mesh needs a petal surface")
    try:
        centre, axes = principal_frame(verts, tris)
    except GRCError as exc:
        raise GRCError(f"'{obj.name}': {exc}") from None
    grid = project(plane_grid(verts, tris, centre, axes, rows, cols), verts, tris, axes[2])
    if not np.all(np.isfinite(grid)):
        raise GRCError(f"'{obj.name}' gave non-finite points (degenerate mesh)")
    return grid


def grid_from_mesh(context, source, rows: int = new_template.DEFAULT_SIZE,
                   cols: int = new_template.DEFAULT_SIZE, times: int = 0,
                   frame_step: int = new_template.DEFAULT_FRAME_STEP):
    """A new template object: an R x C grid on `source`'s surface (source untouched), with
    T keyed shape keys equal to that shape when `times` >= 2 (0: a plain grid)."""
    new_template.check_sizes(rows, cols, max(times, 2), frame_step)
    if times == 1:
        raise GRCError("Shape keys: 0 for a plain grid, or 2 or more (one per time)")
    grid = surface_grid(context, source, rows, cols)
    base_mid = grid[0].mean(axis=0)
    name = new_template.free_name(f"{source.name} Template")
    mesh = bpy.data.meshes.new(name)
    mesh_grid.build_grid_mesh(mesh, grid - base_mid)
    new_template.add_uvs(mesh, rows, cols)
    obj = bpy.data.objects.new(name, mesh)
    obj.matrix_world = source.matrix_world @ Matrix.Translation(Vector(base_mid))
    if times >= 2:
        scene = context.scene
        frames = scene.frame_start + frame_step * np.arange(times, dtype=np.float64)
        grids = np.repeat((grid - base_mid)[None], times, axis=0)
        example.animate_with_shape_keys(obj, grids, frames, new_template.key_names(times))
    new_template.link_and_select(context, obj)
    return obj
