"""Leave topology-changing modifiers out of the capture: a template is its own R x C cage.

A Subdivision, Multires, Remesh, Triangulate, Array... modifier turns the artist's grid into
another mesh (7 x 7 with Subdivision 2 reads as 25 x 25). Such modifiers are found by
evaluating, not by a list of types (a Geometry Nodes modifier may or may not change the
topology): every modifier shown in the viewport that is not a known deformer is switched
on alone among the suspects, and kept out if the evaluated topology then differs from the
mesh's own. During the capture they are hidden in the viewport (`show_viewport`), and
restored to exactly their previous values afterwards, even on errors.

The shape-key pin (`show_only_shape_key`, a viewing aid while sculpting one key) would make
every frame evaluate to that one key: it is switched off the same way during the capture.
"""
from __future__ import annotations

from contextlib import contextmanager

from ..util import mesh_grid

# Modifier types that only move vertices: never tested, never skipped.
DEFORM_ONLY = frozenset({
    'ARMATURE', 'CAST', 'CLOTH', 'COLLISION', 'CORRECTIVE_SMOOTH', 'CURVE', 'DISPLACE',
    'HOOK', 'LAPLACIANDEFORM', 'LAPLACIANSMOOTH', 'LATTICE', 'MESH_DEFORM', 'SHRINKWRAP',
    'SIMPLE_DEFORM', 'SMOOTH', 'SOFT_BODY', 'SURFACE_DEFORM', 'WARP', 'WAVE',
    'NORMAL_EDIT', 'WEIGHTED_NORMAL', 'UV_PROJECT', 'UV_WARP', 'VERTEX_WEIGHT_EDIT',
    'VERTEX_WEIGHT_MIX', 'VERTEX_WEIGHT_PROXIMITY', 'DATA_TRANSFER', 'MESH_CACHE',
})


def _evaluated_signature(context, obj):
    ev = obj.evaluated_get(context.evaluated_depsgraph_get())
    mesh = ev.to_mesh()
    try:
        return mesh_grid.mesh_topology(mesh).signature()
    finally:
        ev.to_mesh_clear()


@contextmanager
def hidden(modifiers):
    """Hide `modifiers` in the viewport for the block; restore each one's exact value."""
    saved = [(m, m.show_viewport) for m in modifiers]
    try:
        for m, _ in saved:
            m.show_viewport = False    # allowed on linked objects too (tested)
        yield
    finally:
        for m, value in saved:
            if m.show_viewport != value:
                m.show_viewport = value


@contextmanager
def unpinned(objects):
    """Switch off the shape-key pin of `objects` for the block; restore it exactly."""
    pinned = [o for o in objects if getattr(o, "show_only_shape_key", False)]
    try:
        for o in pinned:
            o.show_only_shape_key = False
        yield
    finally:
        for o in pinned:
            o.show_only_shape_key = True


def topology_changers(context, obj) -> list:
    """The modifiers of `obj` (shown in the viewport) that change its topology."""
    if obj.type != 'MESH':
        return []
    suspects = [m for m in obj.modifiers if m.show_viewport and m.type not in DEFORM_ONLY]
    if not suspects:
        return []
    cage = mesh_grid.mesh_topology(obj.data).signature()
    if _evaluated_signature(context, obj) == cage:
        return []
    changers = []
    for m in suspects:
        with hidden([s for s in suspects if s is not m]):
            if _evaluated_signature(context, obj) != cage:
                changers.append(m)
    with hidden(changers):
        if _evaluated_signature(context, obj) != cage:
            return suspects   # only together do they change it: leave all suspects out
    return changers
