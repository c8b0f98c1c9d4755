"""Flower panel: the active flower's Bloom and Context first (keyframeable: press I over
them); a one-object flower's layout and rings (editable at any time: it regenerates),
Add Ring and Separate Petals; a previous-version flower's petal Delay and Merge Petals;
then Add Flower and Bake Flower (for machines without the extension); with no flower
selected, Add Flower and how to edit one."""
from __future__ import annotations

import bpy

from ..grc_blender import store
from ..grc_blender.petals.flower import flower_petals
from ..grc_blender.util.i18n import iface
from ..grc_blender.util.wrap import label as wrapped
from ..model_core.context import slider_fields
from .base import GRCPanel, layout_of
from ..grc_blender.access import is_flower_object, is_petal
from ..grc_blender.petals.flower_object import LAYOUT_VALUES


def active_flower(context):
    """The active flower root, or the root of the active petal's flower (None if neither)."""
    obj = context.active_object
    if obj is None:
        return None
    if obj.grc.is_flower:
        return obj
    parent = obj.parent
    return parent if parent is not None and parent.grc.is_flower else None


class GRC_PT_flower(GRCPanel, bpy.types.Panel):
    bl_idname = "GRC_PT_flower"
    bl_label = "Flower"

    def draw(self, context):
        layout = layout_of(self)
        root = active_flower(context)
        if root is None:
            layout.operator("grc.add_flower", icon='OUTLINER_OB_EMPTY', text="Add Flower")
            wrapped(layout, context, iface("Select a flower (or one of its petals) to edit it"))
            return
        g = root.grc
        col = layout.column()
        col.use_property_split = True
        if is_flower_object(root) and not g.separated:
            draw_one_object(layout, context, root)
            return
        col.label(text=f"{root.name}: {len(flower_petals(root))} petals", icon='OUTLINER_OB_EMPTY')
        col.prop(g, "bloom", slider=True)          # the main controls first: Bloom, Context
        if store.has_model(g.model):
            for f in slider_fields(g.model.grc_model.model_context_dims):
                col.prop(g, f)
        obj = context.active_object
        if obj is not root and is_petal(obj):
            col.prop(obj.grc, "delay", slider=True)
        if root.type == 'EMPTY':                # the previous kind of flower only
            col.prop(g, "merge_petals")
        col.prop(g, "model")
        row = layout.row(align=True)
        row.operator("grc.add_flower", icon='OUTLINER_OB_EMPTY', text="Add Flower")
        row.operator("grc.bake_shape_keys", icon='SHAPEKEY_DATA', text="Bake Flower")


def draw_one_object(layout, context, root) -> None:
    """A one-object flower: Bloom, Context, its layout and rings, its buttons."""
    g = root.grc
    col = layout.column()
    col.use_property_split = True
    n = sum(r.count for r in g.rings)
    col.label(text=f"{root.name}: {n} petals", icon='OUTLINER_OB_MESH')
    col.prop(g, "bloom", slider=True)          # the main controls first: Bloom, Context
    model = g.rings[0].model if len(g.rings) else g.model
    if store.has_model(model):
        for f in slider_fields(model.grc_model.model_context_dims):
            col.prop(g, f)
    col.prop(g, "arrangement")
    for name in ("overlap", *LAYOUT_VALUES, "rows", "subsurf_levels"):
        col.prop(g, name)
    if g.hand_edited:
        wrapped(layout, context, iface("Edited by hand: its vertices are kept (Reset "
                                       "Petal Mesh gives it a new generated mesh)"))
    for i, ring in enumerate(g.rings):
        box = layout.box().column()
        box.use_property_split = True
        head = box.row()
        head.label(text=iface("Ring {n}").format(n=i + 1))
        head.operator("grc.remove_ring", icon='X', text="").index = i
        for name in ("model", "count", "radius", "tilt", "size", "delay",
                     "material_index"):
            box.prop(ring, name)
    row = layout.row(align=True)
    row.operator("grc.add_ring", icon='ADD', text="Add Ring")
    row.operator("grc.separate_petals", icon='MOD_EXPLODE', text="Separate Petals")
    row = layout.row(align=True)
    row.operator("grc.add_flower", icon='OUTLINER_OB_MESH', text="Add Flower")
    row.operator("grc.bake_shape_keys", icon='SHAPEKEY_DATA', text="Bake Flower")
    layout.operator("grc.scatter_flowers", icon='PARTICLES', text="Scatter Flowers")
