"""Petal panel: the active petal's sliders first (Context, or Context and Context B; Time;
Offset), then its context-trace image with the note when it goes beyond the templates,
then Add Petal and Bake; Mesh sub-panel: rows, subdivision. A flower's petal shows its
Context as an offset from the flower's and its Time as set by Bloom (greyed out).

draw() stays thin: the image is rendered by grc_blender.views.trace_image (throttled, from a
timer), the panel only compares a cheap key and shows the last image and notes."""
from __future__ import annotations

import bpy

from ..grc_blender.petals import live
from ..grc_blender import store
from ..grc_blender.views import trace_image
from ..grc_blender.util.i18n import iface
from ..grc_blender.util.wrap import label as wrapped
from ..model_core.context import slider_fields
from .base import GRCPanel, layout_of
from ..grc_blender.access import is_petal, model_settings
from ..grc_blender.models.scene_models import active_model

UNIT_PX = 20.0       # Blender's UI unit at 1x scale (template_icon's scale is in these units)


def icon_scale(context) -> float:
    """template_icon scale that fills the sidebar's width (6 units when unknown)."""
    region = getattr(context, "region", None)
    prefs = getattr(context, "preferences", None)
    ui_scale = getattr(getattr(prefs, "system", None), "ui_scale", 1.0) or 1.0
    if region is None or not getattr(region, "width", 0):
        return 6.0
    return max(4.0, min(24.0, (region.width - 30) / (UNIT_PX * ui_scale)))


def _draw_buttons(layout) -> None:
    row = layout.row(align=True)
    row.operator("grc.add_petal", icon='ADD')
    row.operator("grc.bake_shape_keys", icon='SHAPEKEY_DATA')


def _draw_frame_error(layout, context) -> None:
    err = live.LIVE.last_error.get(context.scene.name, "")
    if err:
        wrapped(layout, context, err, icon='ERROR')


def _draw_sliders(layout, scene, obj, g) -> None:
    """Context first (the main control), Time, Offset. On a flower's petal the Context
    sliders are offsets from the flower's, and Time follows its Bloom."""
    parent = obj.parent
    in_flower = parent is not None and parent.grc.is_flower
    col = layout.column()
    col.use_property_split = True
    model = g.model
    fields = slider_fields(model_settings(model).model_context_dims if model else 1)
    for f in fields:     # one slider per context dimension, all keyframeable
        label = g.bl_rna.properties[f].name
        col.prop(g, f, slider=len(fields) == 1,
                 text=iface("{name} Offset").format(name=label) if in_flower else label)
    row = col.row()
    if in_flower:
        row.enabled = False    # Bloom drives it: greyed out, the label says why
        row.prop(g, "time", slider=True, text=iface("Time (from Bloom)"))
    else:
        row.prop(g, "time", slider=True)
    col.prop(g, "offset")


def _draw_traces(layout, context, info) -> None:
    if info.warnings:    # extrapolation is the point, not a failure: a note
        col = layout.column(align=True)
        col.label(text="Beyond the templates: new shapes", icon='INFO')
        for msg in info.warnings:
            wrapped(col, context, msg)
    icon = trace_image.icon_id()
    if icon:
        layout.template_icon(icon_value=icon, scale=icon_scale(context))
    if info.error:
        wrapped(layout, context, info.error, icon='ERROR')
    if info.pads:
        sub = layout.column(align=True)
        sub.label(text="Where each template sits (Context, Context B):")
        for name, *values in info.pads:
            sub.label(text=f"{name}:  " + ", ".join(f"{v:.2f}" for v in values),
                      translate=False)


class GRC_PT_petal(GRCPanel, bpy.types.Panel):
    bl_idname = "GRC_PT_petal"
    bl_label = "Petal"

    def draw(self, context):
        layout = layout_of(self)
        scene = context.scene
        obj = context.active_object
        active = active_model(scene)
        if not is_petal(obj):
            _draw_buttons(layout)
            if not store.has_model(active):
                wrapped(layout, context, store.model_refusal(active)
                        or iface("Train a model to add petals"), icon='INFO')
            else:
                layout.label(text="Select a petal to edit it")
            _draw_frame_error(layout, context)
            return
        g = obj.grc
        has_model = store.has_model(g.model)         # the petal's own model
        info = trace_image.panel_state(scene, obj) if has_model else None
        why = live.refusal_of(scene, obj)
        if why:                      # a real failure: this petal is not regenerated
            box = layout.box()
            wrapped(box, context, why, icon='ERROR')
            if g.model is None:      # its model was removed: point it at another
                box.operator("grc.use_active_model", icon='LINKED')
            else:
                box.operator("grc.reset_petal", icon='FILE_REFRESH')
        _draw_sliders(layout, scene, obj, g)
        _draw_frame_error(layout, context)
        if info is not None:
            _draw_traces(layout, context, info)
        _draw_buttons(layout)


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
        layout.prop(g, "model")
        layout.prop(g, "rows")
        layout.prop(g, "subsurf_levels")
