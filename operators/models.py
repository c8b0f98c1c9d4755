"""Model list operators: grc.add_model, grc.remove_model, grc.duplicate_model,
grc.use_active_model (point the selected petals and flowers at the active model)."""
from __future__ import annotations

import bpy

from ..grc_blender import api
from ..model_core import GRCError
from . import polls


class GRC_OT_add_model(bpy.types.Operator):
    """Add an empty model to the scene's list and make it active (capture templates into it
    next)"""
    bl_idname = "grc.add_model"
    bl_label = "Add Model"
    bl_options = {'REGISTER', 'UNDO'}

    @classmethod
    def poll(cls, context):
        return polls.has_scene(cls, context)

    def execute(self, context):
        model = api.add_model(context.scene)
        self.report({'INFO'}, f"Added model '{model.name}'")
        return {'FINISHED'}


class GRC_OT_remove_model(bpy.types.Operator):
    """Remove the active model. Its petals and flowers keep their shapes and can be pointed
    at another model (Petal panel)"""
    bl_idname = "grc.remove_model"
    bl_label = "Remove Model"
    bl_options = {'REGISTER', 'UNDO'}

    @classmethod
    def poll(cls, context):
        return (polls.has_scene(cls, context)
                and polls.not_training(cls, "A training is running: remove models when it "
                                            "ends (or cancel it)")
                and (len(context.scene.grc.models) > 0 or polls.refuse(cls, "No model to remove")))

    def execute(self, context):
        try:
            name = api.remove_model(context.scene)
        except GRCError as exc:
            self.report({'ERROR'}, str(exc))
            return {'CANCELLED'}
        self.report({'INFO'}, f"Removed model '{name}'")
        return {'FINISHED'}


class GRC_OT_duplicate_model(bpy.types.Operator):
    """Copy the active model (templates, settings and trained weights) under a new name"""
    bl_idname = "grc.duplicate_model"
    bl_label = "Duplicate Model"
    bl_options = {'REGISTER', 'UNDO'}

    @classmethod
    def poll(cls, context):
        return (polls.has_scene(cls, context)
                and polls.has_active_model(cls, context, "No model to duplicate"))

    def execute(self, context):
        copy = api.duplicate_model(context.scene)
        self.report({'INFO'}, f"Duplicated as '{copy.name}'")
        return {'FINISHED'}


class GRC_OT_use_active_model(bpy.types.Operator):
    """Let the active model generate the selected petals and flowers (e.g. after their model
    was removed)"""
    bl_idname = "grc.use_active_model"
    bl_label = "Use Active Model"
    bl_options = {'REGISTER', 'UNDO'}

    @classmethod
    def poll(cls, context):
        return (polls.has_scene(cls, context)
                and polls.has_active_model(cls, context,
                                           "Add or choose a model in the Models list first"))

    def execute(self, context):
        try:
            n = api.use_model(context.scene, context.selected_objects or [])
        except GRCError as exc:
            self.report({'ERROR'}, str(exc))
            return {'CANCELLED'}
        model = api.active_model(context.scene)
        self.report({'INFO'}, f"{n} petal(s) or flower(s) now use "
                              f"'{model.name if model else ''}'")
        return {'FINISHED'}


CLASSES = (GRC_OT_add_model, GRC_OT_remove_model, GRC_OT_duplicate_model,
           GRC_OT_use_active_model)
