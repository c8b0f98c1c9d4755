"""Train panel: preset, button/progress/cancel, status and the model's summary, the loss
curve (a section that starts closed once a model is trained); Advanced sub-panel (every
training setting); Fidelity sub-panel (each template's error, Show Error)."""
from __future__ import annotations

import bpy

from ..grc_blender import store
from ..grc_blender.access import active_model_settings, model_settings
from ..grc_blender.models.scene_models import active_model
from ..grc_blender.views import loss_image
from ..grc_blender.training import presets, torch_check
from ..grc_blender.training.settings import PROCEDURE, uses_article_procedure
from ..grc_blender.util.i18n import iface
from ..grc_blender.util.wrap import label as wrapped
from ..model_core.limits import TARGET_MAX_PCT as MAX_TARGET_PCT
from ..model_core.limits import TARGET_MEAN_PCT as MEAN_TARGET_PCT
from .base import GRCPanel, layout_of
from .petal import icon_scale

# The curve section's layout-panel ids (open while there is no model, closed once trained).
CURVE_OPEN = "GRC_train_curve"
CURVE_DONE = "GRC_train_curve_trained"


class GRC_PT_train(GRCPanel, bpy.types.Panel):
    bl_idname = "GRC_PT_train"
    bl_label = "Train"

    def draw(self, context):
        layout = layout_of(self)
        model = active_model(context.scene)
        if model is None:
            wrapped(layout, context, iface("Capture templates (or add a model) to train"),
                    icon='INFO')
            return
        g = model_settings(model)
        row = layout.row(align=True)
        row.enabled = not g.is_training
        row.prop(g, "preset", expand=True)
        if not presets.matches(g, g.preset):
            layout.label(text="Settings edited under Advanced", icon='MODIFIER')
        if g.is_training:
            row = layout.row(align=True)
            if hasattr(layout, "progress"):
                row.progress(factor=g.progress, type='BAR', text=f"{g.progress * 100:.0f}%")
            else:  # Blender < 4.0 has no layout.progress
                row.prop(g, "progress", slider=True)
            row.operator("grc.cancel_training", text="", icon='CANCEL')
        else:
            layout.operator("grc.train", icon='PLAY')
            if not torch_check.training_available():
                wrapped(layout, context, torch_check.fix(), icon='ERROR')
        if g.status:
            wrapped(layout, context, g.status)
        if g.model_summary and not g.is_training:
            wrapped(layout, context, g.model_summary, icon='CHECKMARK')
        if not (len(g.loss_curve) or g.loss_text):
            return
        done = store.has_model(model) and not g.is_training
        header, body = layout.panel(CURVE_DONE if done else CURVE_OPEN, default_closed=done)
        header.label(text="Training Curve")
        if body is None:            # closed: the curve image is not even asked for
            return
        icon = loss_image.panel_icon(model)
        if icon:
            body.template_icon(icon_value=icon, scale=icon_scale(context))
        if g.loss_text:
            wrapped(body, context, iface("Training error (lower is closer): {losses}").format(
                losses=g.loss_text), icon='GRAPH')


class GRC_PT_train_settings(GRCPanel, bpy.types.Panel):
    bl_idname = "GRC_PT_train_settings"
    bl_label = "Advanced"
    bl_parent_id = "GRC_PT_train"
    bl_options = {'DEFAULT_CLOSED'}

    @classmethod
    def poll(cls, context):
        return active_model_settings(context.scene) is not None

    def draw(self, context):
        layout = layout_of(self)
        layout.use_property_split = True
        layout.use_property_decorate = False
        g = active_model_settings(context.scene)
        if g is None:
            return
        layout.enabled = not g.is_training
        layout.prop(g, "context_dims", expand=True)
        layout.prop(g, "seed")
        layout.prop(g, PROCEDURE)
        col = layout.column(align=True)
        col.active = not uses_article_procedure(g)
        col.prop(g, "template_steps")
        col.prop(g, "steps")
        col.prop(g, "stop_mean_pct")
        col.prop(g, "stop_max_pct")
        col = layout.column(align=True)
        col.active = not uses_article_procedure(g)
        col.prop(g, "lr_r", text="Rate: Shape to Context")
        col.prop(g, "lr_g", text="Rate: Context to Shape")
        col.prop(g, "context_filter")


class GRC_PT_train_fidelity(GRCPanel, bpy.types.Panel):
    bl_idname = "GRC_PT_train_fidelity"
    bl_label = "Fidelity"
    bl_parent_id = "GRC_PT_train"

    @classmethod
    def poll(cls, context):
        g = active_model_settings(context.scene)
        return g is not None and len(g.fidelity) > 0

    def draw(self, context):
        layout = layout_of(self)
        g = active_model_settings(context.scene)
        if g is None:
            return
        wrapped(layout, context, iface("Vertex error of each template: mean / worst (scene "
                                       "units, % of its size)"))
        for k, item in enumerate(g.fidelity):
            ok = item.mean_pct <= MEAN_TARGET_PCT and item.max_pct <= MAX_TARGET_PCT
            row = layout.row(align=True)
            row.label(text=f"{k}  {item.name}: {item.mean:.4f} / {item.max:.4f}  "
                           f"({item.mean_pct:.2f}% / {item.max_pct:.2f}%)",
                      icon='CHECKMARK' if ok else 'INFO', translate=False)   # off target: no failure
            op = row.operator("grc.show_error", text="", icon='SHADING_RENDERED')
            op.template = k     # keyframe -1: opens on the template's worst keyframe
        wrapped(layout, context, iface("Target: mean <= {mean:g}%, worst <= {worst:g}% of the "
                                       "template's size (bounding-box diagonal)")
                .format(mean=MEAN_TARGET_PCT, worst=MAX_TARGET_PCT))
        obj = g.error_object
        if obj is None or obj.name not in context.scene.objects:
            wrapped(layout, context, iface("Show Error (the colour button) makes a preview "
                                           "petal of the template's worst keyframe, coloured "
                                           "where the model is off (it never renders)"),
                    icon='INFO')
            return
        box = layout.box()
        name = g.fidelity[g.error_template].name if g.error_template < len(g.fidelity) else "?"
        frames = g.captured_frames.split(", ")
        frame = frames[g.error_keyframe] if g.error_keyframe < len(frames) else "?"
        wrapped(box, context, iface("'{preview}': {name} at keyframe {key} (frame {frame}), "
                                    "mean {mean:.4g}, worst {worst:.4g} scene units (blue none, "
                                    "red beyond the target)").format(
            preview=obj.name, name=name, key=g.error_keyframe, frame=frame, mean=g.error_mean,
            worst=g.error_max))
        box.prop(g, "error_ghost")
