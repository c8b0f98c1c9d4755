"""grc.capture_templates: the selected mesh objects become the scene's templates."""
from __future__ import annotations

import bpy

from ..grc_blender import capture, jobs, store
from ..model_core import GRCError


def set_templates(scene, cap: store.Captured, objects_by_name: dict) -> None:
    g = scene.grc
    g.captured = store.encode_captured(cap)
    g.templates.clear()
    for name in cap.names:
        entry = g.templates.add()
        entry.name = name
        entry.obj = objects_by_name.get(name)
    g.template_index = 0
    k, t, r, c = cap.shape
    g.captured_frames = ", ".join(f"{f:g}" for f in cap.frames)
    g.captured_rows = r
    g.captured_info = f"{k} templates, {t} keyframes ({cap.frames[0]:g}..{cap.frames[-1]:g}), {r} x {c} grid"


class GRC_OT_capture_templates(bpy.types.Operator):
    """Capture every selected grid mesh as a template: its evaluated shape at each of its
    keyframes (object, shape-key and modifier animation), rows from base to tip"""
    bl_idname = "grc.capture_templates"
    bl_label = "Capture Templates"
    bl_options = {'REGISTER', 'UNDO'}

    @classmethod
    def poll(cls, context):
        if jobs.is_running():
            cls.poll_message_set("A training is running: capture again when it ends (or cancel it)")
            return False
        return context.scene is not None

    def execute(self, context):
        selected = list(context.selected_objects or [])
        try:
            cap = capture.capture(context, selected)
        except GRCError as exc:
            self.report({'ERROR'}, str(exc))
            return {'CANCELLED'}
        set_templates(context.scene, cap, {o.name: o for o in selected})
        k, t, r, c = cap.shape
        if k < 2:
            self.report({'WARNING'}, f"Captured 1 template ({t} keyframes, {r} x {c}); training "
                                     f"needs at least 2: select all template objects")
        else:
            self.report({'INFO'}, f"Captured {k} templates: {t} keyframes, {r} x {c} grid")
        return {'FINISHED'}
