"""Models panel: the scene's list of models (like the material slots), add, remove,
duplicate; every other panel acts on the active one."""
from __future__ import annotations

import bpy

from ..grc_blender.util.i18n import iface
from ..grc_blender.util.wrap import label as wrapped
from .base import GRCPanel, layout_of


class GRC_UL_models(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_property, index=0,
                  flt_flag=0):
        model = item.model
        if model is None:
            layout.label(text="(removed)", icon='ERROR')
            return
        g = model.grc_model
        layout.prop(model, "name", text="", emboss=False,
                    icon='CHECKMARK' if g.model_key else 'SHADERFX')
        if model.library is not None:
            layout.label(text="", icon='LINKED')


class GRC_PT_models(GRCPanel, bpy.types.Panel):
    bl_idname = "GRC_PT_models"
    bl_label = "Models"

    def draw(self, context):
        layout = layout_of(self)
        g = context.scene.grc
        row = layout.row()
        row.template_list("GRC_UL_models", "", g, "models", g, "active_model_index", rows=2)
        col = row.column(align=True)
        col.operator("grc.add_model", icon='ADD', text="")
        col.operator("grc.remove_model", icon='REMOVE', text="")
        col.separator()
        col.operator("grc.duplicate_model", icon='DUPLICATE', text="")
        if not len(g.models):
            wrapped(layout, context, iface("A model learns one family of shapes (petals, "
                                           "sepals, leaves): capture its templates to start"),
                    icon='INFO')
