"""Template operators: grc.add_example_templates, grc.capture_templates, grc.move_template."""
from __future__ import annotations

import bpy

from ..grc_blender import api, example, jobs
from ..model_core import GRCError


def _not_training(cls, what: str) -> bool:
    if jobs.is_running():
        cls.poll_message_set(f"A training is running: {what} when it ends (or cancel it)")
        return False
    return True


class GRC_OT_add_example_templates(bpy.types.Operator):
    """Add two example template petals (7x7 grids animated over 7 keyframes: one bud,
    two ways of opening), selected and ready to capture"""
    bl_idname = "grc.add_example_templates"
    bl_label = "GRC Example Templates"
    bl_options = {'REGISTER', 'UNDO'}

    def execute(self, context):
        self.report({'INFO'}, example.report(api.add_example_templates(context)))
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
        return context.scene is not None and _not_training(cls, "capture again")

    def execute(self, context):
        try:
            cap = api.capture_templates(context, context.selected_objects or [])
        except GRCError as exc:
            self.report({'ERROR'}, str(exc))
            return {'CANCELLED'}
        k, t, r, c = cap.shape
        if k < 2:
            self.report({'WARNING'}, f"Captured 1 template ({t} keyframes, {r} x {c}); training "
                                     f"needs at least 2: select all template objects")
        self.report({'WARNING'} if cap.skipped else {'INFO'}, cap.report())
        return {'FINISHED'}


class GRC_OT_move_template(bpy.types.Operator):
    """Move the active template up or down (template order: context 0, 1, ...)"""
    bl_idname = "grc.move_template"
    bl_label = "Move Template"
    bl_options = {'REGISTER', 'UNDO'}

    direction: bpy.props.EnumProperty(items=[('UP', "Up", ""), ('DOWN', "Down", "")])

    @classmethod
    def poll(cls, context):
        if not _not_training(cls, "reorder the templates"):
            return False
        if context.scene is None or len(context.scene.grc.templates) < 2:
            cls.poll_message_set("Capture at least two templates to reorder them")
            return False
        return True

    def execute(self, context):
        g = context.scene.grc
        try:
            api.move_template(context.scene, g.template_index, -1 if self.direction == 'UP' else 1)
        except GRCError as exc:
            self.report({'ERROR'}, str(exc))
            return {'CANCELLED'}
        return {'FINISHED'}


def menu_func(self, context):
    self.layout.operator(GRC_OT_add_example_templates.bl_idname, icon='OUTLINER_OB_SURFACE')
