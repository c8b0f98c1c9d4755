"""Template operators: grc.add_example_templates, grc.capture_templates, grc.move_template."""
from __future__ import annotations

import bpy

from ..grc_blender import api
from ..grc_blender.access import active_model_settings
from ..grc_blender.templates import example
from ..grc_blender.util.i18n import tip
from ..model_core import GRCError
from . import polls


class GRC_OT_add_example_templates(bpy.types.Operator):
    """Add two example template petals (7x7 grids animated over 7 keyframes: one bud,
    two ways of opening), selected and ready to capture"""
    bl_idname = "grc.add_example_templates"
    bl_label = "Add Example Templates"
    bl_options = {'REGISTER', 'UNDO'}

    @classmethod
    def poll(cls, context):
        return polls.has_scene(cls, context) and polls.object_mode(cls, context)

    def execute(self, context):
        self.report({'INFO'}, tip(example.report(api.add_example_templates(context))))
        return {'FINISHED'}


class GRC_OT_capture_templates(bpy.types.Operator):
    """Capture every selected grid mesh as a template: its evaluated shape (deformers and
    shape keys; topology-changing modifiers left out) at the capture frames (keyframes of
    the template and of what deforms it, markers, or every N frames), rows base to tip"""
    bl_idname = "grc.capture_templates"
    bl_label = "Capture Templates"
    bl_options = {'REGISTER', 'UNDO'}

    @classmethod
    def poll(cls, context):
        if not (polls.has_scene(cls, context) and polls.object_mode(cls, context)
                and polls.not_training(cls, "A training is running: capture again when it "
                                            "ends (or cancel it)")):
            return False
        if not any(o.type == 'MESH' for o in (context.selected_objects or ())):
            return polls.refuse(cls, "Select the template meshes first (two or more grids "
                                     "animated over the same keyframes)")
        return True

    def execute(self, context):
        try:
            cap = api.capture_templates(context, context.selected_objects or [])
        except GRCError as exc:
            self.report({'ERROR'}, tip(str(exc)))
            return {'CANCELLED'}
        k, t, r, c = cap.shape
        if k < 2:
            self.report({'WARNING'}, tip("Captured 1 template ({t} keyframes, {r} x {c}); "
                                         "training needs at least 2: select all template "
                                         "objects").format(t=t, r=r, c=c))
        self.report({'WARNING'} if cap.skipped else {'INFO'}, cap.report())
        return {'FINISHED'}


class GRC_OT_move_template(bpy.types.Operator):
    """Move the active template up or down in the list: its place sets where it sits (in
    a row the first is Context 0, the second 1, ...; on a 2-D context each place is a spot
    of its own)"""
    bl_idname = "grc.move_template"
    bl_label = "Move Template"
    bl_options = {'REGISTER', 'UNDO'}

    direction: bpy.props.EnumProperty(
        name="Direction", description="Which way the active template moves in the list",
        items=[('UP', "Up", "Toward the first template (Context 0)"),
               ('DOWN', "Down", "Toward the last template (the highest Context)")])

    @classmethod
    def poll(cls, context):
        return (polls.has_scene(cls, context)
                and polls.not_training(cls, "A training is running: reorder the templates "
                                            "when it ends (or cancel it)")
                and polls.captured(cls, context, "Capture at least two templates to reorder "
                                                 "them"))

    def execute(self, context):
        g = active_model_settings(context.scene)
        if g is None:
            return {'CANCELLED'}
        try:
            api.move_template(context.scene, g.template_index, -1 if self.direction == 'UP' else 1)
        except GRCError as exc:
            self.report({'ERROR'}, tip(str(exc)))
            return {'CANCELLED'}
        return {'FINISHED'}

