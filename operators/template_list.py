"""grc.move_template: reorder the captured templates (the order defines context 0, 1, ...).

The stored arrays are permuted together with the list entries, so the captured payload
order is always the list order (one source of truth for training).
"""
from __future__ import annotations

import bpy

from ..grc_blender import jobs, store
from ..model_core import GRCError


class GRC_OT_move_template(bpy.types.Operator):
    """Move the active template up or down (template order: context 0, 1, ...)"""
    bl_idname = "grc.move_template"
    bl_label = "Move Template"
    bl_options = {'REGISTER', 'UNDO'}

    direction: bpy.props.EnumProperty(items=[('UP', "Up", ""), ('DOWN', "Down", "")])

    @classmethod
    def poll(cls, context):
        if jobs.is_running():
            cls.poll_message_set("A training is running: reorder the templates when it ends")
            return False
        if context.scene is None or len(context.scene.grc.templates) < 2:
            cls.poll_message_set("Capture at least two templates to reorder them")
            return False
        return True

    def execute(self, context):
        g = context.scene.grc
        n = len(g.templates)
        i = g.template_index
        j = i - 1 if self.direction == 'UP' else i + 1
        if not (0 <= i < n and 0 <= j < n):
            return {'CANCELLED'}
        try:
            cap = store.get_captured(context.scene)
        except GRCError as exc:
            self.report({'ERROR'}, str(exc))
            return {'CANCELLED'}
        if cap is not None and len(cap.names) == n:
            order = list(range(n))
            order[i], order[j] = order[j], order[i]
            g.captured = store.encode_captured(cap.permuted(order))
        g.templates.move(i, j)
        g.template_index = j
        return {'FINISHED'}
