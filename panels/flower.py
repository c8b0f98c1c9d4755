"""Flower panel: the active flower's Bloom and Context first (keyframeable: press I over
them), a petal's Delay, Merge Petals, then Add Flower and Bake Flower (for machines
without the extension); with no flower selected, Add Flower and how to edit one."""
from __future__ import annotations

import bpy

from ..grc_blender import store
from ..grc_blender.petals.flower import flower_petals
from ..grc_blender.util.i18n import iface
from ..grc_blender.util.wrap import label as wrapped
from ..model_core.context import slider_fields
from .base import GRCPanel, layout_of
from ..grc_blender.access import is_petal


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
        col.label(text=f"{root.name}: {len(flower_petals(root))} petals", icon='OUTLINER_OB_EMPTY')
        col.prop(g, "bloom", slider=True)          # the main controls first: Bloom, Context
        if store.has_model(g.model):
            for f in slider_fields(g.model.grc_model.model_context_dims):
                col.prop(g, f)
        obj = context.active_object
        if obj is not root and is_petal(obj):
            col.prop(obj.grc, "delay", slider=True)
        col.prop(g, "merge_petals")
        col.prop(g, "model")
        row = layout.row(align=True)
        row.operator("grc.add_flower", icon='OUTLINER_OB_EMPTY', text="Add Flower")
        row.operator("grc.bake_shape_keys", icon='SHAPEKEY_DATA', text="Bake Flower")
