"""Templates panel: making templates (new, variant, grid from mesh), the base/tip overlay
toggle, the capture frames, the captured list (reorderable), Capture, the captured indexes."""
from __future__ import annotations

import bpy

from ..grc_blender.access import active_model_settings
from ..grc_blender.util.i18n import iface
from ..grc_blender.util.wrap import label as wrapped
from .base import GRCPanel, layout_of


class GRC_UL_templates(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_property, index=0,
                  flt_flag=0):
        row = layout.row(align=True)
        row.label(text=f"{index}: {item.name}", icon='MESH_GRID')
        if item.obj is None:
            row.label(text="", icon='ERROR')


class GRC_PT_templates(GRCPanel, bpy.types.Panel):
    bl_idname = "GRC_PT_templates"
    bl_label = "Templates"

    def draw(self, context):
        layout = layout_of(self)
        g = active_model_settings(context.scene)
        col = layout.column(align=True)
        row = col.row(align=True)
        row.operator("grc.new_template", icon='ADD', text="New Template")
        row.operator("grc.new_template", icon='DUPLICATE', text="Variant").variant_of_active = True
        col.operator("grc.grid_from_mesh", icon='MOD_LATTICE')
        layout.prop(context.scene.grc, "show_template_overlay", icon='OVERLAY')
        if g is None:
            col = layout.column(align=True)
            col.operator("grc.capture_templates", icon='IMPORT')
            col.operator("grc.add_example_templates", icon='OUTLINER_OB_SURFACE',
                         text="Add Example Templates")
            wrapped(layout, context, iface("Select two or more animated grid meshes, then "
                                           "Capture"), icon='INFO')
            return
        row = layout.row(align=True)
        row.prop(g, "capture_frames", text="Frames")
        if g.capture_frames == 'EVERY_N':
            row.prop(g, "capture_every", text="N")
        row = layout.row()
        row.template_list("GRC_UL_templates", "", g, "templates", g, "template_index", rows=3)
        col = row.column(align=True)
        col.operator("grc.move_template", icon='TRIA_UP', text="").direction = 'UP'
        col.operator("grc.move_template", icon='TRIA_DOWN', text="").direction = 'DOWN'
        col = layout.column(align=True)
        col.operator("grc.capture_templates", icon='IMPORT')
        col.operator("grc.add_example_templates", icon='OUTLINER_OB_SURFACE',
                     text="Add Example Templates")
        if g.captured_info:
            wrapped(layout, context, g.captured_info, icon='INFO')
            if g.captured_skipped:
                wrapped(layout, context, f"Left out: {g.captured_skipped}", icon='MODIFIER')
        else:
            wrapped(layout, context, iface("Select two or more animated grid meshes, then "
                                           "Capture"), icon='INFO')


class GRC_PT_template_info(GRCPanel, bpy.types.Panel):
    bl_idname = "GRC_PT_template_info"
    bl_label = "Indexes"
    bl_parent_id = "GRC_PT_templates"
    bl_options = {'DEFAULT_CLOSED'}

    def draw(self, context):
        g = active_model_settings(context.scene)
        col = layout_of(self).column(align=True)
        if g is None or not g.captured_frames:
            col.label(text="Nothing captured yet")
            return
        col.label(text="Time 0..1 at frames:")
        wrapped(col, context, g.captured_frames)
        col.label(text=f"Morphology: {g.captured_rows} rows, base 0 .. tip 1")
