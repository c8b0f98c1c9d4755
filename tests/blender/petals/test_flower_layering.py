"""Petals layer like shingles (issue 19): in the default flower of the example, at most
10 % of the petal pairs pass through each other above the first quarter of each petal (by
UV v), at any Bloom from 0 to 1, measured on the subdivided surface with BVH trees."""
from __future__ import annotations

import itertools
import os

import bpy
import numpy as np
import pytest
from mathutils.bvhtree import BVHTree

from blender_helpers import add_example_and_capture, train_quick

BLOOMS = tuple(np.round(np.linspace(0.0, 1.0, 21), 3).tolist())


def crossing_pairs(flower, v_min: float = 0.25) -> tuple[int, int]:
    """(pairs of petals whose surfaces above `v_min` intersect, all pairs), on the
    evaluated (subdivided) mesh."""
    depsgraph = bpy.context.evaluated_depsgraph_get()
    ev = flower.evaluated_get(depsgraph)
    me = ev.to_mesh()
    try:
        nf = len(me.polygons)
        idx = np.empty(nf, np.int32)
        me.attributes["petal_index"].data.foreach_get("value", idx)
        uv = np.empty(len(me.loops) * 2, np.float32)
        me.uv_layers.active.data.foreach_get("uv", uv)
        v = uv.reshape(-1, 2)[:, 1]
        starts = np.empty(nf, np.int32)
        me.polygons.foreach_get("loop_start", starts)
        totals = np.empty(nf, np.int32)
        me.polygons.foreach_get("loop_total", totals)
        verts = [tuple(x.co) for x in me.vertices]
        loops = np.empty(len(me.loops), np.int32)
        me.loops.foreach_get("vertex_index", loops)
        trees = {}
        for p in np.unique(idx).tolist():
            faces = [loops[s:s + t].tolist() for s, t, i in zip(starts, totals, idx)
                     if i == p and v[s:s + t].min() >= v_min]
            trees[p] = BVHTree.FromPolygons(verts, faces, all_triangles=False)
    finally:
        ev.to_mesh_clear()
    pairs = list(itertools.combinations(sorted(trees), 2))
    return sum(1 for a, b in pairs if trees[a].overlap(trees[b])), len(pairs)


@pytest.mark.parametrize("training", ["default", "quick"])
def test_the_default_flower_layers_like_shingles(grc, training):
    """The example trained with the default settings (the issue's measure), and with a
    quick training (another shape of bud and petal)."""
    add_example_and_capture()
    if training == "quick":
        train_quick()
    else:
        assert bpy.ops.grc.train() == {'FINISHED'}
    assert bpy.ops.grc.add_flower() == {'FINISHED'}
    flower = bpy.context.active_object
    worst = []
    for bloom in BLOOMS:
        flower.grc.bloom = bloom
        crossing, total = crossing_pairs(flower)
        worst.append((crossing / total, bloom, crossing, total))
    if os.environ.get("GRC_PRINT"):
        print("\nlayering (fraction, bloom, crossing, pairs):", worst)
    assert max(worst)[0] <= 0.10, worst
