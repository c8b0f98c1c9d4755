"""Petal panel: the active petal's context/time/offset/rows/subdivision, add and bake."""
from __future__ import annotations

import bpy

from ..grc_blender import petals
from .base import GRCPanel


class GRC_PT_petal(GRCPanel, bpy.types.Panel):
    bl_idname = "GRC_PT_petal"
    bl_label = "Petal"

    def draw(self, context):
        layout = self.layout
        scene = context.scene
        obj = context.active_object
        row = layout.row(align=True)
        row.operator("grc.add_petal", icon='ADD')
        row.operator("grc.bake_shape_keys", icon='SHAPEKEY_DATA')
        if not scene.grc.model_data:
            layout.label(text="Train a model to add petals", icon='INFO')
        err = petals.last_error.get(scene.name, "")
        if err:
            layout.label(text=err, icon='ERROR')
        if obj is None or not obj.grc.is_petal:
            layout.label(text="Select a GRC petal to edit it")
            return
        layout.use_property_split = True
        g = obj.grc
        col = layout.column()
        col.prop(g, "context", slider=True)
        if scene.grc.model_context_dims == 2:
            col.prop(g, "context_b", slider=True)
        col.prop(g, "time", slider=True)
        col.prop(g, "offset")


class GRC_PT_petal_shape(GRCPanel, bpy.types.Panel):
    bl_idname = "GRC_PT_petal_shape"
    bl_label = "Mesh"
    bl_parent_id = "GRC_PT_petal"

    @classmethod
    def poll(cls, context):
        obj = context.active_object
        return obj is not None and obj.grc.is_petal

    def draw(self, context):
        layout = self.layout
        layout.use_property_split = True
        layout.use_property_decorate = False
        g = context.active_object.grc
        layout.prop(g, "rows")
        layout.prop(g, "subsurf_levels")
