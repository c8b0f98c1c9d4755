"""grc.show_error: a preview petal coloured by its error against a captured template."""
from __future__ import annotations

import bpy

from ..grc_blender import api
from ..grc_blender.util.selection import select_only
from ..grc_blender.util.i18n import tip
from ..model_core import GRCError
from . import polls


class GRC_OT_show_error(bpy.types.Operator):
    """Show where the model is off: a preview petal of a template at its worst captured
    keyframe, coloured by each vertex's distance to the captured shape (blue none, red
    beyond the target), with the captured shape drawn over it. The preview never renders"""
    bl_idname = "grc.show_error"
    bl_label = "Show Error"
    bl_options = {'REGISTER', 'UNDO'}

    template: bpy.props.IntProperty(
        name="Template", default=0, min=0,
        description="Which template to compare with (its number in the Templates list)")
    keyframe: bpy.props.IntProperty(
        name="Keyframe", default=-1, min=-1,
        description="Which captured keyframe (0 = the first); -1 = the worst one, where "
                    "the template is farthest off")

    @classmethod
    def poll(cls, context):
        return (polls.has_scene(cls, context) and polls.object_mode(cls, context)
                and polls.has_model(cls, context)
                and polls.captured(cls, context, "Capture the templates the model was trained "
                                                 "on: the error compares with them"))

    def execute(self, context):
        try:
            obj, report = api.show_error(context.scene, self.template, self.keyframe,
                                         context.collection)
        except GRCError as exc:
            self.report({'ERROR'}, tip(str(exc)))
            return {'CANCELLED'}
        select_only(context.view_layer, [obj])
        api.use_attribute_colors(context.window_manager)
        self.report({'INFO'}, report.message())
        return {'FINISHED'}
