"""mesh_grid: topology ordering (rows base -> tip, columns by face winding), refusals."""
from __future__ import annotations

import bpy
import numpy as np
import pytest

from blender_helpers import grid_coords, mesh_object


def _order(grc, obj):
    mg = grc.mesh_grid
    return mg.grid_order(mg.mesh_topology(obj.data), mg.mesh_coords(obj.data), obj.name)


@pytest.mark.parametrize("rows,cols", [(7, 7), (5, 9), (12, 12), (2, 2), (3, 32)])
def test_built_grid_reads_back(grc, rows, cols):
    grid = grid_coords(rows, cols)[-1]
    mesh = bpy.data.meshes.new("g")
    grc.mesh_grid.build_grid_mesh(mesh, grid)
    obj = bpy.data.objects.new("g", mesh)
    bpy.context.scene.collection.objects.link(obj)
    order = _order(grc, obj)
    assert order.shape == (rows, cols)
    got = grc.mesh_grid.mesh_coords(mesh)[order]
    np.testing.assert_allclose(got, grid, atol=1e-6)


def test_order_comes_from_topology_not_vertex_indexes(grc):
    """Shuffled vertex indexes and a rotated, flipped layout still give base row 0."""
    rows, cols = 5, 4
    grid = grid_coords(rows, cols)[-1]
    rng = np.random.default_rng(1)
    perm = rng.permutation(rows * cols)           # new index of each grid vertex
    verts = np.empty((rows * cols, 3))
    verts[perm] = grid.reshape(-1, 3)
    idx = perm.reshape(rows, cols)
    faces = [(idx[r, c], idx[r, c + 1], idx[r + 1, c + 1], idx[r + 1, c])
             for r in range(rows - 1) for c in range(cols - 1)]
    obj = mesh_object("shuffled", verts, faces, animate=False)
    order = _order(grc, obj)
    np.testing.assert_array_equal(order, idx)


def test_base_is_the_side_nearest_the_origin(grc):
    grid = grid_coords(6, 4)[-1][::-1]             # tip listed first
    mesh = bpy.data.meshes.new("rev")
    grc.mesh_grid.build_grid_mesh(mesh, grid)
    obj = bpy.data.objects.new("rev", mesh)
    bpy.context.scene.collection.objects.link(obj)
    got = grc.mesh_grid.mesh_coords(mesh)[_order(grc, obj)]
    assert np.linalg.norm(got[0], axis=1).mean() < np.linalg.norm(got[-1], axis=1).mean()
    assert got.shape == (6, 4, 3)


def test_primitive_grid_is_a_grid(grc):
    bpy.ops.mesh.primitive_grid_add(x_subdivisions=6, y_subdivisions=4, size=2)
    obj = bpy.context.active_object
    order = _order(grc, obj)
    assert sorted(order.shape) == [5, 7]  # subdivisions count faces in Blender 4.x+
    assert len(np.unique(order)) == 35


def _grid_faces(rows, cols):
    idx = np.arange(rows * cols).reshape(rows, cols)
    return [[idx[r, c], idx[r, c + 1], idx[r + 1, c + 1], idx[r + 1, c]]
            for r in range(rows - 1) for c in range(cols - 1)]


def _verts(rows, cols):
    return grid_coords(rows, cols)[-1].reshape(-1, 3)


@pytest.mark.parametrize("case,match", [
    ("triangles", "triangles or n-gons"),
    ("ngon", "triangles or n-gons"),
    ("hole", "not a quad grid"),
    ("loose_vertex", "loose vertex"),
    ("loose_edge", "loose edge"),
    ("two_grids", "not a quad grid"),
])
def test_non_grids_are_refused_by_name(grc, case, match):
    verts = list(_verts(4, 4))
    faces = _grid_faces(4, 4)
    edges = []
    if case == "triangles":
        a, b, c, d = faces.pop()
        faces += [[a, b, c], [a, c, d]]
    elif case == "ngon":
        f1, f2 = faces.pop(0), faces.pop(0)     # two neighbours in row 0 -> one hexagon
        faces.append([f1[0], f1[1], f2[1], f2[2], f2[3], f1[3]])
    elif case == "hole":
        faces.pop(4)                            # the centre quad of the 3x3 faces
    elif case == "loose_vertex":
        verts.append((5.0, 5.0, 5.0))
    elif case == "loose_edge":
        verts.append((5.0, 5.0, 5.0))
        edges.append((0, len(verts) - 1))
    elif case == "two_grids":
        n = len(verts)
        verts += [tuple(np.asarray(v) + (3.0, 0, 0)) for v in verts]
        faces += [[i + n for i in f] for f in _grid_faces(4, 4)]
    mesh = bpy.data.meshes.new(case)
    mesh.from_pydata([tuple(v) for v in verts], edges, [tuple(f) for f in faces])
    obj = bpy.data.objects.new(f"Bad {case}", mesh)
    bpy.context.scene.collection.objects.link(obj)
    with pytest.raises(grc.model_core.GRCError, match=match) as info:
        _order(grc, obj)
    assert f"'Bad {case}'" in str(info.value)
