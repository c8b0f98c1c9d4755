"""Petal panel: the active petal's context (a slider, or the 2-D pad's two values), time,
offset, its context-trace image, the extrapolation warning; Mesh sub-panel: rows, subdivision.

draw() stays thin: the image is rendered by grc_blender.views.trace_image (throttled, from a
timer), the panel only compares a cheap key and shows the last image and warnings."""
from __future__ import annotations

import bpy

from ..grc_blender.petals import live
from ..grc_blender.models.scene_models import active_model
from ..grc_blender import store
from ..grc_blender.views import trace_image
from ..grc_blender.util.i18n import iface
from ..grc_blender.util.wrap import label as wrapped
from ..model_core.context import slider_fields
from .base import GRCPanel, layout_of
from ..grc_blender.access import is_petal

UNIT_PX = 20.0       # Blender's UI unit at 1x scale (template_icon's scale is in these units)


def icon_scale(context) -> float:
    """template_icon scale that fills the sidebar's width (6 units when unknown)."""
    region = getattr(context, "region", None)
    prefs = getattr(context, "preferences", None)
    ui_scale = getattr(getattr(prefs, "system", None), "ui_scale", 1.0) or 1.0
    if region is None or not getattr(region, "width", 0):
        return 6.0
    return max(4.0, min(24.0, (region.width - 30) / (UNIT_PX * ui_scale)))


class GRC_PT_petal(GRCPanel, bpy.types.Panel):
    bl_idname = "GRC_PT_petal"
    bl_label = "Petal"

    def draw(self, context):
        layout = layout_of(self)
        scene = context.scene
        obj = context.active_object
        row = layout.row(align=True)
        row.operator("grc.add_petal", icon='ADD')
        row.operator("grc.bake_shape_keys", icon='SHAPEKEY_DATA')
        active = active_model(scene)
        if not store.has_model(active):
            wrapped(layout, context, store.model_refusal(active)
                    or iface("Train a model to add petals"), icon='INFO')
        err = live.LIVE.last_error.get(scene.name, "")
        if err:
            wrapped(layout, context, err, icon='ERROR')
        if not is_petal(obj):
            layout.label(text="Select a GRC petal to edit it")
            return
        g = obj.grc
        has_model = store.has_model(g.model)
        info = trace_image.panel_state(scene, obj) if has_model else None
        why = live.refusal_of(scene, obj)
        if why:
            box = layout.box()
            wrapped(box, context, why, icon='ERROR')
            if g.model is None:
                box.operator("grc.use_active_model", icon='LINKED')
            else:
                box.operator("grc.reset_petal", icon='FILE_REFRESH')
        layout.prop(g, "model")

        col = layout.column()
        col.use_property_split = True
        fields = slider_fields(g.model.grc_model.model_context_dims if g.model else 1)
        for f in fields:     # one slider per context dimension, all keyframeable
            col.prop(g, f, slider=len(fields) == 1)
        col.prop(g, "time", slider=True)
        col.prop(g, "offset")

        if info is None:
            return
        icon = trace_image.icon_id()
        if icon:
            layout.template_icon(icon_value=icon, scale=icon_scale(context))
        if info.error:
            wrapped(layout, context, info.error, icon='ERROR')
        if info.warnings:
            box = layout.box()
            wrapped(box, context, iface("Beyond the trained range: the shape is invented here"),
                    icon='ERROR')
            for msg in info.warnings:
                wrapped(box, context, msg)
        if info.pads:
            sub = layout.column(align=True)
            sub.label(text="Templates on the pad (their context values):")
            for k, (name, *values) in enumerate(info.pads):
                sub.label(text=f"{k}  {name}:  " + ", ".join(f"{v:.2f}" for v in values))


class GRC_PT_petal_shape(GRCPanel, bpy.types.Panel):
    bl_idname = "GRC_PT_petal_shape"
    bl_label = "Mesh"
    bl_parent_id = "GRC_PT_petal"

    @classmethod
    def poll(cls, context):
        obj = context.active_object
        return is_petal(obj)

    def draw(self, context):
        layout = layout_of(self)
        layout.use_property_split = True
        layout.use_property_decorate = False
        g = context.active_object.grc
        layout.prop(g, "rows")
        layout.prop(g, "subsurf_levels")
