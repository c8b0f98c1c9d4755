"""A merged flower: all petals of a flower written into ONE mesh object under its root.

Blender's cost per object and frame grows with the number of objects (bench/field.py: 1,000
native shape-key petals cost 3x per petal what 100 do), so a field of flowers is fast only
with few objects. With the root's Merge Petals on, the petal objects stay (hidden) as the
place where each petal's delay, context, offset and transform live, and petals.sync writes
their shapes, placed by those transforms, into the flower's one mesh.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..util import mesh_grid
from ..access import mesh_settings, object_settings


# `cache` (owned by live.LIVE): root pointer -> (epoch, its merged object); merged object
# pointer -> ((epoch, petals), (P, 4, 4) petal transforms): both read again after a
# depsgraph update (a new epoch).

def cached_merged_object(cache: dict, root, epoch: int) -> Any:
    """merged_flower_object(root), looked up again only in a new epoch (the lookup walks
    the root's children)."""
    got = cache.get(root.as_pointer())
    if got is None or got[0] != epoch:
        got = cache[root.as_pointer()] = (epoch, merged_flower_object(root))
    return got[1]


def cached_matrices(cache: dict, obj, petals: list, epoch: int) -> np.ndarray:
    """petal_matrices(petals), read again only in a new epoch: in a merged flower, animate
    the root, not the petals' own transforms."""
    key = (epoch, len(petals))
    got = cache.get(obj.as_pointer())
    if got is None or got[0] != key:
        got = cache[obj.as_pointer()] = (key, petal_matrices(petals))
    return got[1]


def merged_flower_object(root) -> Any:
    """The root's merged petal-mesh object (None if the flower is not merged)."""
    for child in root.children:
        if child.type == 'MESH' and object_settings(child).is_flower_mesh:
            return child
    return None


def petal_matrices(petals: list) -> np.ndarray:
    """(P, 4, 4) each petal's transform in its root's space (parent inverse, then basis)."""
    return np.array([np.array(p.matrix_parent_inverse) @ np.array(p.matrix_basis)
                     for p in petals], dtype=np.float32)


def refusal(obj, n_petals: int, rows: int, cols: int) -> str:
    """'' if the merged mesh is the extension's to write, else why not."""
    mesh = obj.data
    if obj.library is not None or mesh.library is not None:
        return f"merged flower '{obj.name}' is linked from a library: left alone"
    if not mesh_settings(mesh).generated or mesh.users != 1 + int(mesh.use_fake_user):
        return f"merged flower '{obj.name}' uses a mesh the extension did not make: left alone"
    if mesh.shape_keys is not None:
        return f"merged flower '{obj.name}' has shape keys: left alone"
    if object_settings(obj).hand_edited:
        return f"merged flower '{obj.name}' was edited by hand: its vertices are kept"
    nv = len(mesh.vertices)
    if nv and nv != n_petals * rows * cols and len(mesh.polygons) != n_petals * (rows - 1) * (cols - 1):
        return (f"merged flower '{obj.name}' no longer holds {n_petals} petal grids: left alone "
                f"(turn Merge Petals off and on to rebuild it)")
    return ""


def placed(grids: np.ndarray, matrices: np.ndarray) -> np.ndarray:
    """(P, R, C, 3) petal grids -> (P * R * C, 3) float32 in the root's space."""
    p = grids.shape[0]
    flat = grids.reshape(p, -1, 3)
    out = np.matmul(flat, matrices[:, :3, :3].transpose(0, 2, 1))
    out += matrices[:, None, :3, 3]
    return out.reshape(-1, 3)


def write(obj, grids: np.ndarray, matrices: np.ndarray) -> np.ndarray:
    """Write the placed petals into the merged mesh (building its P grids if the counts
    differ); returns the float32 coordinates written."""
    coords = placed(grids, matrices)
    mesh = obj.data
    if not mesh_grid.write_coords(mesh, coords):
        p, r, c, _ = grids.shape
        mesh_grid.build_grids_mesh(mesh, coords.reshape(p, r, c, 3))
    return coords


def build_flower_mesh(mesh, shapes: list[tuple[int, int]], coords: np.ndarray,
                      material: np.ndarray, random: np.ndarray) -> None:
    """A one-object flower's topology: petal p a (R, C) quad grid after petal p - 1's, with
    UVs per petal (u across, v base to tip), face attributes `petal_index` (INT) and
    `petal_random` (FLOAT 0..1) and each face's material slot (its ring's)."""
    faces, uv, index = [], [], []
    start = 0
    for p, (rows, cols) in enumerate(shapes):
        one = mesh_grid.grid_faces(rows, cols)
        r, c = np.divmod(one.ravel(), cols)
        uv.append(np.stack([c / max(cols - 1, 1), r / max(rows - 1, 1)], axis=1))
        faces.append(one + start)
        index.append(np.full(len(one), p, dtype=np.int32))
        start += rows * cols
    f = np.concatenate(faces) if faces else np.zeros((0, 4), np.int64)
    mesh_grid.set_quads(mesh, np.asarray(coords).reshape(start, 3), f)
    if not len(f):
        return
    pidx = np.concatenate(index)
    uvl = mesh.uv_layers.get("UVMap") or mesh.uv_layers.new(name="UVMap")
    uvl.data.foreach_set("uv", np.concatenate(uv).astype(np.float32).ravel())
    mesh.polygons.foreach_set("material_index", material[pidx].astype(np.int32))
    for name, kind, values in (("petal_index", 'INT', pidx),
                               ("petal_random", 'FLOAT', random[pidx].astype(np.float32))):
        att = mesh.attributes.get(name) or mesh.attributes.new(name, kind, 'FACE')
        att.data.foreach_set("value", values)
