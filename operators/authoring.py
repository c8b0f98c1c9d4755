"""Template authoring operators: grc.new_template (Add > Mesh > Petal Template),
grc.new_variant and grc.grid_from_mesh. Thin: read the properties, call grc_blender.api,
report."""
from __future__ import annotations

import bpy

from ..grc_blender import api
from ..grc_blender.templates import new_template
from ..model_core import GRCError
from ..model_core.limits import GRID_MAX, GRID_MIN, MAX_TIMES


def _object_mode(cls, what: str, context) -> bool:
    if context.mode != 'OBJECT':
        cls.poll_message_set(f"Switch to Object Mode to {what}")
        return False
    return True


class GRC_OT_new_template(bpy.types.Operator):
    """Add a template petal to sculpt: a quad grid with its origin at the base row, UVs, and
    one shape key per time keyed at evenly spaced frames (the first is the closed bud)"""
    bl_idname = "grc.new_template"
    bl_label = "Add Template"
    bl_options = {'REGISTER', 'UNDO'}

    rows: bpy.props.IntProperty(name="Rows", default=new_template.DEFAULT_SIZE, min=GRID_MIN,
                                max=GRID_MAX, description="Vertices from base to tip")
    cols: bpy.props.IntProperty(name="Columns", default=new_template.DEFAULT_SIZE, min=GRID_MIN,
                                max=GRID_MAX, description="Vertices across the petal")
    times: bpy.props.IntProperty(name="Times", default=new_template.DEFAULT_TIMES, min=2,
                                 max=MAX_TIMES, description="Shape keys, one per time (0..1)")
    frame_step: bpy.props.IntProperty(name="Frame Step", default=new_template.DEFAULT_FRAME_STEP,
                                      min=1, soft_max=100,
                                      description="Frames between the times' keyframes")
    variant_of_active: bpy.props.BoolProperty(
        name="Variant of Active", default=False,
        description="Copy the active template's mesh and shape keys (the shared bud and its "
                    "timing) instead of starting from the default petal")

    @classmethod
    def poll(cls, context):
        return _object_mode(cls, "add a template", context)

    def draw(self, context):
        layout = self.layout
        if layout is None:
            return
        layout.prop(self, "variant_of_active")
        col = layout.column()
        col.enabled = not self.variant_of_active    # a variant keeps the active template's grid
        for name in ("rows", "cols", "times", "frame_step"):
            col.prop(self, name)

    def execute(self, context):
        try:
            obj = api.new_template(context, self.rows, self.cols, self.times, self.frame_step,
                                   variant_of_active=self.variant_of_active)
        except GRCError as exc:
            self.report({'ERROR'}, str(exc))
            return {'CANCELLED'}
        self.report({'INFO'}, new_template.report(obj, self.variant_of_active))
        return {'FINISHED'}


class GRC_OT_new_variant(bpy.types.Operator):
    """Add a variant of the active template: a copy of its mesh and shape keys with their
    timing (the shared bud), named after it, so capture puts it right after its source.
    Reshape its open keys"""
    bl_idname = "grc.new_variant"
    bl_label = "Add Variant"
    bl_options = {'REGISTER', 'UNDO'}

    @classmethod
    def poll(cls, context):
        if not _object_mode(cls, "add a variant", context):
            return False
        obj = context.active_object
        if obj is None:
            cls.poll_message_set("Make a template active (click it) to add a variant of it")
            return False
        keys = obj.data.shape_keys if obj.type == 'MESH' else None
        if keys is None or len(keys.key_blocks) < 3:
            cls.poll_message_set(f"'{obj.name}' is not a template with shape keys: make a "
                                 f"template active (click it) to add a variant of it")
            return False
        return True

    def execute(self, context):
        try:
            obj = api.new_template(context, variant_of_active=True)
        except GRCError as exc:
            self.report({'ERROR'}, str(exc))
            return {'CANCELLED'}
        self.report({'INFO'}, new_template.report(obj, True))
        return {'FINISHED'}


class GRC_OT_grid_from_mesh(bpy.types.Operator):
    """Make a template grid lying on the active petal mesh (any topology): aligned to its
    principal axes, base row at the end nearest its origin. The mesh is left untouched"""
    bl_idname = "grc.grid_from_mesh"
    bl_label = "Make Grid from Mesh"
    bl_options = {'REGISTER', 'UNDO'}

    rows: bpy.props.IntProperty(name="Rows", default=new_template.DEFAULT_SIZE, min=GRID_MIN,
                                max=GRID_MAX, description="Vertices from base to tip")
    cols: bpy.props.IntProperty(name="Columns", default=new_template.DEFAULT_SIZE, min=GRID_MIN,
                                max=GRID_MAX, description="Vertices across the petal")
    times: bpy.props.IntProperty(name="Shape Keys", default=new_template.DEFAULT_TIMES, min=0,
                                 max=MAX_TIMES,
                                 description="Shape keys (one per time, all the mesh's shape "
                                             "to start with, keyed like a new template); 0: none")
    frame_step: bpy.props.IntProperty(name="Frame Step", default=new_template.DEFAULT_FRAME_STEP,
                                      min=1, soft_max=100,
                                      description="Frames between the times' keyframes")

    @classmethod
    def poll(cls, context):
        if not _object_mode(cls, "make a grid from a mesh", context):
            return False
        obj = context.active_object
        if obj is None or obj.type != 'MESH':
            cls.poll_message_set("Make a petal mesh object active (click it) to lay a grid on it")
            return False
        return True

    def execute(self, context):
        try:
            obj = api.grid_from_mesh(context, context.active_object, self.rows, self.cols,
                                     self.times, self.frame_step)
        except GRCError as exc:
            self.report({'ERROR'}, str(exc))
            return {'CANCELLED'}
        self.report({'INFO'}, f"Added '{obj.name}', a {self.rows} x {self.cols} template grid "
                              f"on the mesh's surface (base row at its origin's end)")
        return {'FINISHED'}
