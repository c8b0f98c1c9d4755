"""Bake a field for farms and exports: its variants bake like any flower (shape keys,
petals/bake.py), the baked copies move to a collection of their own in the variants'
order (named so Collection Info sorts them the same way), excluded from the view layer,
and the scatter's Variants input points at it. The field then renders the same with the
extension disabled; the live variants stay, unused, for a later bake."""
from __future__ import annotations

from typing import Any

import bpy

from ..util.modifier_inputs import get_input, set_input
from ...model_core import GRCError
from ..access import is_flower_object
from ..petals.bake import bake_petals
from . import variants


def scatter_modifier(surface) -> Any:
    """The surface's scatter modifier (the first GRC Scatter one), or None."""
    for mod in getattr(surface, "modifiers", ()):
        tree = getattr(mod, "node_group", None)
        if mod.type == 'NODES' and tree is not None and tree.name.startswith("GRC Scatter"):
            return mod
    return None


def _variants_input(mod) -> str:
    tree: Any = mod.node_group
    return next(i.identifier for i in tree.interface.items_tree if i.item_type == 'SOCKET'
                and i.in_out == 'INPUT' and i.name == "Variants")


def bake_field(scene, surface, frame_start: int | None = None, frame_end: int | None = None,
               step: int = 1) -> bpy.types.Collection:
    """Bake the field scattered on `surface`; returns the collection of baked variants the
    scatter now instances."""
    mod = scatter_modifier(surface)
    if mod is None:
        raise GRCError("Select a surface with a GRC Scatter modifier (Scatter Flowers)")
    ident = _variants_input(mod)
    coll = get_input(mod, ident)
    if coll is None:
        raise GRCError(f"'{surface.name}': its scatter has no variants collection")
    live = sorted((o for o in coll.all_objects if is_flower_object(o)), key=lambda o: o.name)
    if not live:
        raise GRCError(f"'{coll.name}' holds no live variants to bake (already baked?)")
    baked = bake_petals(scene, live, frame_start, frame_end, step, hide_live=False)
    out = bpy.data.collections.new(coll.name.replace("Variants", "Baked", 1))
    scene.collection.children.link(out)
    for i, (src, obj) in enumerate(zip(live, baked)):
        for c in list(obj.users_collection):
            c.objects.unlink(obj)
        out.objects.link(obj)
        obj.name = f"GRC Baked {i:02d} ({src.name})"
    variants.exclude(scene, out)
    set_input(mod, ident, out)
    surface.update_tag()
    return out
