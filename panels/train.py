"""Train panel: button/progress/cancel, settings sub-panel, fidelity sub-panel."""
from __future__ import annotations

import bpy

from .base import GRCPanel, layout_of

from ..model_core.limits import TARGET_MAX_PCT as MAX_TARGET_PCT
from ..model_core.limits import TARGET_MEAN_PCT as MEAN_TARGET_PCT


class GRC_PT_train(GRCPanel, bpy.types.Panel):
    bl_idname = "GRC_PT_train"
    bl_label = "Train"

    def draw(self, context):
        layout = layout_of(self)
        g = context.scene.grc
        if g.is_training:
            row = layout.row(align=True)
            if hasattr(layout, "progress"):
                row.progress(factor=g.progress, type='BAR', text=f"{g.progress * 100:.0f}%")
            else:  # Blender < 4.0 has no layout.progress
                row.prop(g, "progress", slider=True)
            row.operator("grc.cancel_training", text="", icon='CANCEL')
        else:
            layout.operator("grc.train", icon='PLAY')
        if g.loss_text:
            layout.label(text=g.loss_text, icon='GRAPH')
        if g.status:
            layout.label(text=g.status)
        if g.model_summary:
            layout.label(text=g.model_summary, icon='CHECKMARK')


class GRC_PT_train_settings(GRCPanel, bpy.types.Panel):
    bl_idname = "GRC_PT_train_settings"
    bl_label = "Settings"
    bl_parent_id = "GRC_PT_train"
    bl_options = {'DEFAULT_CLOSED'}

    def draw(self, context):
        layout = layout_of(self)
        layout.use_property_split = True
        layout.use_property_decorate = False
        g = context.scene.grc
        layout.enabled = not g.is_training
        layout.prop(g, "context_dims", expand=True)
        layout.prop(g, "seed")
        layout.prop(g, "literal")
        col = layout.column(align=True)
        col.active = not g.literal
        col.prop(g, "template_steps")
        col.prop(g, "steps")
        col.prop(g, "lr_r")
        col.prop(g, "lr_g")
        col.prop(g, "context_filter")


class GRC_PT_train_fidelity(GRCPanel, bpy.types.Panel):
    bl_idname = "GRC_PT_train_fidelity"
    bl_label = "Fidelity"
    bl_parent_id = "GRC_PT_train"

    @classmethod
    def poll(cls, context):
        return len(context.scene.grc.fidelity) > 0

    def draw(self, context):
        col = layout_of(self).column(align=True)
        col.label(text="Vertex error: mean / max (scene units, % of size)")
        for item in context.scene.grc.fidelity:
            ok = item.mean_pct <= MEAN_TARGET_PCT and item.max_pct <= MAX_TARGET_PCT
            col.label(text=f"{item.name}: {item.mean:.4f} / {item.max:.4f}  "
                           f"({item.mean_pct:.2f}% / {item.max_pct:.2f}%)",
                      icon='CHECKMARK' if ok else 'ERROR')
        col.label(text=f"Target: mean <= {MEAN_TARGET_PCT:g}%, max <= {MAX_TARGET_PCT:g}% "
                       f"of the template's size (bounding-box diagonal)")
