"""Templates panel: making templates (new, variant, grid from mesh, the example), the
base/tip overlay toggle, the capture frames, the captured list (reorderable), Capture and
what it read. Once a model is trained this one-time setup folds under a one-line summary
(a layout panel whose id changes with the state, so it starts closed then). Template Keys
sub-panel: the active template's shape keys and the frame each is keyed on."""
from __future__ import annotations

import bpy

from ..grc_blender import store
from ..grc_blender.access import active_model_settings, object_settings, scene_settings
from ..grc_blender.models.scene_models import active_model
from ..grc_blender.templates.key_frames import key_frames
from ..grc_blender.util.i18n import iface
from ..grc_blender.util.wrap import label as wrapped
from .base import GRCPanel, layout_of

# The setup section's layout-panel ids: Blender keeps a layout panel's open/closed state per
# id, so a second id for "trained" makes the section start closed once a model exists.
SETUP_OPEN = "GRC_templates_setup"
SETUP_DONE = "GRC_templates_setup_trained"


class GRC_UL_templates(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_property, index=0,
                  flt_flag=0):
        row = layout.row(align=True)
        row.label(text=f"{index}: {item.name}", icon='MESH_GRID', translate=False)
        if item.obj is None:
            row.label(text="", icon='ERROR')


def _summary(g) -> str:
    return iface("Captured: {info}").format(info=g.captured_info)


class GRC_PT_templates(GRCPanel, bpy.types.Panel):
    bl_idname = "GRC_PT_templates"
    bl_label = "Templates"

    def draw(self, context):
        layout = layout_of(self)
        model = active_model(context.scene)
        g = active_model_settings(context.scene)
        done = g is not None and store.has_model(model) and len(g.templates) >= 2
        if done:
            wrapped(layout, context, _summary(g), icon='CHECKMARK')
        header, body = layout.panel(SETUP_DONE if done else SETUP_OPEN, default_closed=done)
        header.label(text="Make and Capture")
        if body is None:
            return
        col = body.column(align=True)
        row = col.row(align=True)
        row.operator("grc.new_template", icon='ADD', text="New Template")
        row.operator("grc.new_variant", icon='DUPLICATE', text="Variant")
        col.operator("grc.grid_from_mesh", icon='MOD_LATTICE', text="Grid from Mesh")
        col.operator("grc.add_example_templates", icon='OUTLINER_OB_SURFACE',
                     text="Add Example Templates")
        body.prop(scene_settings(context.scene), "show_template_overlay", icon='OVERLAY')
        if g is None:                # no model yet: the first capture adds one
            body.operator("grc.capture_templates", icon='IMPORT')
            wrapped(body, context, iface("Select two or more animated grid meshes, then "
                                         "Capture"), icon='INFO')
            return
        row = body.row(align=True)
        row.prop(g, "capture_frames", text="Frames")
        if g.capture_frames == 'EVERY_N':
            row.prop(g, "capture_every", text="N")
        row = body.row()
        row.template_list("GRC_UL_templates", "", g, "templates", g, "template_index", rows=3)
        col = row.column(align=True)
        col.operator("grc.move_template", icon='TRIA_UP', text="").direction = 'UP'
        col.operator("grc.move_template", icon='TRIA_DOWN', text="").direction = 'DOWN'
        body.operator("grc.capture_templates", icon='IMPORT')
        if g.captured_info:
            wrapped(body, context, g.captured_info, icon='INFO')
            wrapped(body, context, iface("Captured at frames {frames} (Time 0 to 1); {rows} "
                                         "rows, base to tip").format(
                frames=g.captured_frames, rows=g.captured_rows))
            if g.captured_skipped:
                wrapped(body, context, iface("Left out: {mods}").format(
                    mods=g.captured_skipped), icon='MODIFIER')
        else:
            wrapped(body, context, iface("Select two or more animated grid meshes, then "
                                         "Capture"), icon='INFO')


class GRC_PT_template_info(GRCPanel, bpy.types.Panel):
    """The active template's shape keys and the frame each is keyed on: sculpt a key on
    its frame, where it shows alone."""
    bl_idname = "GRC_PT_template_info"
    bl_label = "Template Keys"
    bl_parent_id = "GRC_PT_templates"

    @classmethod
    def poll(cls, context):
        obj = context.active_object      # a mesh with shape keys, not a bake of a petal
        return (obj is not None and obj.type == 'MESH' and obj.data.shape_keys is not None
                and object_settings(obj).baked_from is None)

    def draw(self, context):
        obj = context.active_object
        col = layout_of(self).column(align=True)
        keys = key_frames(obj)
        if not keys:
            col.label(text="No shape keys to sculpt")
            return
        now = context.scene.frame_current
        for k in keys:
            at = (iface("frame {frame:g}").format(frame=k.frame) if k.frame is not None
                  else iface("not keyed"))
            if k.frame is not None and round(k.frame) == now:
                at += iface(" (current frame)")
            row = col.row(align=True)
            row.label(text=k.name, icon='RADIOBUT_ON' if k.active else 'RADIOBUT_OFF',
                      translate=False)
            row.label(text=at, translate=False)
        wrapped(col, context, iface("Sculpt the active key on its frame, where it shows "
                                    "alone (Object Data > Shape Keys picks the key)"))
