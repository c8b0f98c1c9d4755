"""Mesh <-> (R, C, 3) grid, ordered from the mesh's TOPOLOGY, never from coordinates.

A template or petal is a quad grid of R x C vertices. Artists sculpt and animate it, so
vertex positions say nothing reliable about which vertex is "row 2, column 3"; the edge and
face structure does. `grid_order` finds the four corners (valence 2 in the edge graph),
walks the boundary between them, and fills the interior face by face.

Conventions (the model_core grid convention: coords[r, c], base r=0 .. tip r=R-1):
- Base: of the four boundary sides, the one whose vertices lie closest (mean distance) to
  the object origin in the reference coordinates (the first captured keyframe). Petals
  grow out of their object origin, so this is the side they are attached at. Ties go to
  the side with the lowest vertex index, so the order stays deterministic.
- Columns: ordered so that the quad (r, c), (r, c+1), (r+1, c+1), (r+1, c) runs in the
  same cyclic order as the mesh's own face winding. The winding is topology too (it
  defines the normal), so mirrored copies of a template are not silently flipped.
- `grid_mesh_data` builds faces in exactly that order, so a mesh built from a grid
  reads back as the same grid.

Pure numpy plus duck-typed mesh access (`mesh.vertices`, `mesh.edges`, `mesh.polygons`
with `foreach_get`), so the topology logic is testable with plain arrays too.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...model_core import GRCError


@dataclass(frozen=True)
class Topology:
    """Plain arrays describing a polygon mesh."""
    n_verts: int
    edges: np.ndarray        # (E, 2) int
    loop_starts: np.ndarray  # (F,) int
    loop_totals: np.ndarray  # (F,) int
    loop_verts: np.ndarray   # (L,) int

    def signature(self) -> tuple[int, bytes, bytes]:
        """Cheap identity for "same topology" checks between evaluated keyframes."""
        return (self.n_verts, self.loop_totals.tobytes(), self.loop_verts.tobytes())


def mesh_topology(mesh) -> Topology:
    """Read a Blender mesh's topology with foreach_get (no per-element Python loops)."""
    nv, ne, nf, nl = len(mesh.vertices), len(mesh.edges), len(mesh.polygons), len(mesh.loops)
    edges = np.empty(ne * 2, dtype=np.int32)
    mesh.edges.foreach_get("vertices", edges)
    starts = np.empty(nf, dtype=np.int32)
    totals = np.empty(nf, dtype=np.int32)
    mesh.polygons.foreach_get("loop_start", starts)
    mesh.polygons.foreach_get("loop_total", totals)
    loop_verts = np.empty(nl, dtype=np.int32)
    mesh.loops.foreach_get("vertex_index", loop_verts)
    return Topology(nv, edges.reshape(-1, 2), starts, totals, loop_verts)


def mesh_coords(mesh) -> np.ndarray:
    """(V, 3) float64 vertex coordinates in the mesh's (object) space."""
    co = np.empty(len(mesh.vertices) * 3, dtype=np.float32)
    mesh.vertices.foreach_get("co", co)
    return co.reshape(-1, 3).astype(np.float64)


def grid_order(topo: Topology, coords: np.ndarray, name: str = "mesh") -> np.ndarray:
    """(R, C) int array of vertex indexes; raises GRCError naming `name` for non-grids.

    coords (V, 3) only chooses which side is the base (see module docstring).
    """
    def refuse(why: str) -> GRCError:
        return GRCError(f"'{name}' is not a quad grid: {why}. Use a grid mesh of R x C "
                        f"vertices with quad faces only (e.g. Add > Mesh > Grid).")

    nv, nf = topo.n_verts, len(topo.loop_totals)
    if nv == 0 or nf == 0:
        raise refuse("it has no faces")
    if np.any(topo.loop_totals != 4):
        n_bad = int(np.count_nonzero(topo.loop_totals != 4))
        raise refuse(f"{n_bad} face(s) are triangles or n-gons")
    faces = topo.loop_verts.reshape(-1, 4) if len(topo.loop_verts) == 4 * nf else None
    if faces is None or np.any(topo.loop_starts != np.arange(nf) * 4):
        # Loops are normally contiguous; gather them explicitly otherwise.
        faces = np.stack([topo.loop_verts[topo.loop_starts + i] for i in range(4)], axis=1)

    # Edge -> faces that use it, from the face cycles (independent of mesh.edges order).
    edge_faces: dict[tuple[int, int], list[int]] = {}
    for f, quad in enumerate(faces.tolist()):
        for i in range(4):
            a, b = quad[i], quad[(i + 1) % 4]
            edge_faces.setdefault((a, b) if a < b else (b, a), []).append(f)
    face_edges = set(edge_faces)
    mesh_edges = {(int(a), int(b)) if a < b else (int(b), int(a)) for a, b in topo.edges.tolist()}
    if mesh_edges - face_edges:
        raise refuse(f"{len(mesh_edges - face_edges)} loose edge(s) belong to no face")
    if any(len(fs) > 2 for fs in edge_faces.values()):
        raise refuse("some edges are shared by more than two faces")
    used = np.zeros(nv, dtype=bool)
    used[faces.ravel()] = True
    if not used.all():
        raise refuse(f"{int(nv - used.sum())} loose vertex/vertices belong to no face")

    neighbours: list[set[int]] = [set() for _ in range(nv)]
    for a, b in face_edges:
        neighbours[a].add(b)
        neighbours[b].add(a)
    boundary: list[set[int]] = [set() for _ in range(nv)]
    n_boundary_edges = 0
    for (a, b), fs in edge_faces.items():
        if len(fs) == 1:
            boundary[a].add(b)
            boundary[b].add(a)
            n_boundary_edges += 1
    corners = [v for v in range(nv) if len(neighbours[v]) == 2]
    if len(corners) != 4:
        raise refuse(f"found {len(corners)} corner vertices instead of 4 (holes, a closed "
                     f"surface or an irregular border)")

    # Walk the boundary loop from the first corner: four sides, corner to corner.
    start = corners[0]
    if len(boundary[start]) != 2:
        raise refuse("a corner vertex is not on the border")
    corner_set = set(corners)
    sides: list[list[int]] = []
    side = [start]
    prev, cur = start, min(boundary[start])
    visited = {start}
    for _ in range(nv + 1):
        side.append(cur)
        if cur in corner_set:
            sides.append(side)
            if cur == start:
                break
            side = [cur]
        if cur in visited or len(boundary[cur]) != 2:
            raise refuse("its border is not one simple loop (holes or touching borders)")
        visited.add(cur)
        nxt = [v for v in boundary[cur] if v != prev]
        prev, cur = cur, nxt[0]
    else:
        raise refuse("its border is not one simple loop")
    if len(sides) != 4 or len(sides[0]) != len(sides[2]) or len(sides[1]) != len(sides[3]):
        raise refuse("its border does not form four sides of matching lengths")
    if n_boundary_edges != sum(len(s) - 1 for s in sides):
        raise refuse("it has holes (more than one border loop)")

    # Base side: closest (mean distance) to the object origin; ties -> lowest vertex index.
    co = np.asarray(coords, dtype=np.float64).reshape(nv, 3)
    dist = [float(np.linalg.norm(co[s], axis=1).mean()) for s in sides]
    best = min(range(4), key=lambda i: (round(dist[i], 9), min(sides[i])))
    base = sides[best]                  # runs corner -> corner along the base
    up_side = sides[(best - 1) % 4][::-1]  # the side ending at base[0], reversed: base[0] -> tip
    n_cols, n_rows = len(base), len(up_side)
    if up_side[0] != base[0]:
        raise refuse("its border sides do not meet at the corners")
    if n_rows * n_cols != nv or (n_rows - 1) * (n_cols - 1) != nf:
        raise refuse(f"{nv} vertices and {nf} faces do not make a {n_rows} x {n_cols} grid")

    grid = np.full((n_rows, n_cols), -1, dtype=np.int64)
    grid[0, :] = base
    grid[:, 0] = up_side
    face_list = faces.tolist()
    for r in range(1, n_rows):
        for c in range(1, n_cols):
            p, q, s = grid[r - 1, c - 1], grid[r - 1, c], grid[r, c - 1]
            key = (p, q) if p < q else (q, p)
            quad = next((face_list[f] for f in edge_faces.get(key, ()) if s in face_list[f]), None)
            if quad is None or p not in quad:
                raise refuse(f"no quad face continues the grid at row {r}, column {c}")
            grid[r, c] = quad[(quad.index(p) + 2) % 4]
    if len(np.unique(grid)) != nv:
        raise refuse("the rows and columns do not cover each vertex exactly once")

    # Column direction: follow the faces' own winding (see module docstring).
    e0, e1 = int(grid[0, 0]), int(grid[0, 1])
    first = face_list[edge_faces[(e0, e1) if e0 < e1 else (e1, e0)][0]]
    i = first.index(int(grid[0, 0]))
    if first[(i + 1) % 4] != grid[0, 1]:
        grid = grid[:, ::-1].copy()
    return grid


def grid_faces(rows: int, cols: int) -> np.ndarray:
    """(F, 4) vertex indexes of a rows x cols grid, index = r * cols + c (see docstring)."""
    idx = np.arange(rows * cols).reshape(rows, cols)
    return np.stack([idx[:-1, :-1], idx[:-1, 1:], idx[1:, 1:], idx[1:, :-1]], axis=-1).reshape(-1, 4)


def set_quads(mesh, coords: np.ndarray, faces: np.ndarray) -> None:
    """Replace `mesh`'s geometry with `coords` (V, 3) and quad `faces` (F, 4) vertex indices."""
    mesh.clear_geometry()
    mesh.vertices.add(len(coords))
    mesh.vertices.foreach_set("co", np.ascontiguousarray(coords, dtype=np.float32).ravel())
    mesh.loops.add(faces.size)
    mesh.loops.foreach_set("vertex_index", faces.astype(np.int32).ravel())
    mesh.polygons.add(len(faces))
    mesh.polygons.foreach_set("loop_start", (np.arange(len(faces)) * 4).astype(np.int32))
    mesh.polygons.foreach_set("loop_total", np.full(len(faces), 4, dtype=np.int32))
    mesh.update(calc_edges=True)


def build_grid_mesh(mesh, grid: np.ndarray) -> None:
    """Replace `mesh`'s geometry with a quad grid from (R, C, 3) coordinates."""
    build_grids_mesh(mesh, np.asarray(grid)[None])


def build_grids_mesh(mesh, grids: np.ndarray) -> None:
    """Replace `mesh`'s geometry with P quad grids from (P, R, C, 3) coordinates, grid p's
    vertices after grid p - 1's (a merged flower is P petal grids in one mesh)."""
    n, rows, cols, _ = grids.shape
    one = grid_faces(rows, cols)
    faces = (one[None] + (rows * cols) * np.arange(n)[:, None, None]).reshape(-1, 4)
    set_quads(mesh, grids.reshape(-1, 3), faces)
    mesh.validate(verbose=False)
    # UVs: u across each petal (columns), v from base (row 0) to tip
    uv = mesh.uv_layers.get("UVMap") or mesh.uv_layers.new(name="UVMap")
    r, c = np.divmod(faces.ravel() % (rows * cols), cols)
    st = np.stack([c / max(cols - 1, 1), r / max(rows - 1, 1)], axis=1).astype(np.float32)
    uv.data.foreach_set("uv", st.ravel())


def write_coords(mesh, grid_f32: np.ndarray) -> bool:
    """Write (R, C, 3) float32 coords into a mesh of matching size; False if sizes differ.

    A raw float32 copy into the `position` attribute, then one `MeshVertex.co` write so
    Blender invalidates normals and bounds too (the fastest correct path: bench/live.py).
    """
    if len(mesh.vertices) * 3 != grid_f32.size:
        return False
    flat = np.ascontiguousarray(grid_f32, dtype=np.float32).reshape(-1)  # no copy if float32
    mesh.attributes["position"].data.foreach_set("vector", flat)
    v0 = mesh.vertices[0]
    v0.co = v0.co       # Blender's own "positions changed" invalidation
    return True
