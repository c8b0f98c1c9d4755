"""Flower operators: grc.add_ring, grc.remove_ring, grc.separate_petals (grc.add_flower is in petal.py)."""
from __future__ import annotations

import bpy

from ..grc_blender import api
from ..grc_blender.access import is_flower_object
from ..grc_blender.util.i18n import tip
from ..grc_blender.util.selection import select_only
from ..model_core import GRCError
from . import polls


def _flower_poll(cls, context) -> bool:
    if not (polls.has_scene(cls, context) and polls.object_mode(cls, context)):
        return False
    obj = context.active_object
    if not is_flower_object(obj):
        return polls.refuse(cls, "Select a flower (Add Flower makes one)")
    return True


class GRC_OT_add_ring(bpy.types.Operator):
    """Add a ring of petals from the active model to the active flower: inside its petals,
    or outside and under them (sepals); its count, radius, tilt, size and delay are in the
    Flower panel"""
    bl_idname = "grc.add_ring"
    bl_label = "Add Ring"
    bl_options = {'REGISTER', 'UNDO'}

    count: bpy.props.IntProperty(name="Petals", default=5, min=1, max=1000,
                                 description="Petals in the new ring")
    outside: bpy.props.BoolProperty(name="Outside (Sepals)", default=False,
                                    description="Put the ring outside the others, under them")

    @classmethod
    def poll(cls, context):
        return _flower_poll(cls, context) and polls.has_model(cls, context)

    def execute(self, context):
        try:
            api.add_ring(context.scene, context.active_object, self.count, self.outside)
        except GRCError as exc:
            self.report({'ERROR'}, tip(str(exc)))
            return {'CANCELLED'}
        return {'FINISHED'}


class GRC_OT_remove_ring(bpy.types.Operator):
    """Remove a ring of petals from the active flower"""
    bl_idname = "grc.remove_ring"
    bl_label = "Remove Ring"
    bl_options = {'REGISTER', 'UNDO'}

    index: bpy.props.IntProperty(name="Ring", default=-1, min=-1,
                                 description="Which ring (0 is the outermost; -1 the ring "
                                             "selected in the Flower panel)")

    @classmethod
    def poll(cls, context):
        return _flower_poll(cls, context)

    def execute(self, context):
        try:
            flower = context.active_object
            index = self.index if self.index >= 0 else flower.grc.ring_index
            api.remove_ring(context.scene, flower, index)
        except GRCError as exc:
            self.report({'ERROR'}, tip(str(exc)))
            return {'CANCELLED'}
        return {'FINISHED'}


class GRC_OT_separate_petals(bpy.types.Operator):
    """Turn the active flower into one live petal object per petal, parented to it, to edit
    one petal: each keeps its place, delay, context and model, and the flower's Bloom and
    Context still drive them"""
    bl_idname = "grc.separate_petals"
    bl_label = "Separate Petals"
    bl_options = {'REGISTER', 'UNDO'}

    @classmethod
    def poll(cls, context):
        if not _flower_poll(cls, context):
            return False
        if context.active_object.grc.separated:
            return polls.refuse(cls, "This flower's petals are already separate objects")
        return True

    def execute(self, context):
        try:
            made = api.separate_petals(context.scene, context.active_object)
        except GRCError as exc:
            self.report({'ERROR'}, tip(str(exc)))
            return {'CANCELLED'}
        select_only(context.view_layer, made)
        self.report({'INFO'}, tip("Separated {n} petals").format(n=len(made)))
        return {'FINISHED'}
