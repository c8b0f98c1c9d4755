"""Menus: every operator is in one, so F3 (menu search) finds it.

  Add > Mesh:           (a separator) Petal Template, Example Petal Templates, Petal, Flower
  Object > GRC (3D View's Object menu): every GRC operator, in workflow order
"""
from __future__ import annotations

from typing import Any

import bpy

from .templates import GRC_OT_add_example_templates

# (operator, icon, properties) in workflow order; Move Template appears twice (Up, Down).
OBJECT_MENU: tuple[tuple[str, str, dict], ...] = (
    ("grc.add_model", 'ADD', {}),
    ("grc.duplicate_model", 'DUPLICATE', {}),
    ("grc.remove_model", 'REMOVE', {}),
    ("grc.use_active_model", 'LINKED', {}),
    ("grc.new_template", 'MESH_GRID', {}),
    ("grc.new_variant", 'DUPLICATE', {}),
    ("grc.grid_from_mesh", 'MOD_LATTICE', {}),
    ("grc.add_example_templates", 'OUTLINER_OB_SURFACE', {}),
    ("grc.capture_templates", 'IMPORT', {}),
    ("grc.move_template", 'TRIA_UP', {"direction": 'UP'}),
    ("grc.move_template", 'TRIA_DOWN', {"direction": 'DOWN'}),
    ("grc.train", 'PLAY', {}),
    ("grc.cancel_training", 'CANCEL', {}),
    ("grc.show_error", 'SHADING_RENDERED', {}),
    ("grc.add_petal", 'ADD', {}),
    ("grc.add_flower", 'OUTLINER_OB_MESH', {}),
    ("grc.add_ring", 'ADD', {}),
    ("grc.remove_ring", 'REMOVE', {}),
    ("grc.separate_petals", 'MOD_EXPLODE', {}),
    ("grc.scatter_flowers", 'PARTICLES', {}),
    ("grc.bake_field", 'SHAPEKEY_DATA', {}),
    ("grc.reset_petal", 'FILE_REFRESH', {}),
    ("grc.bake_shape_keys", 'SHAPEKEY_DATA', {}),
)
MOVE_TEXT = {'UP': "Move Template Up", 'DOWN': "Move Template Down"}


class GRC_MT_object(bpy.types.Menu):
    """GRC Petals: capture templates, train, show the error, add and bake petals"""
    bl_idname = "GRC_MT_object"
    bl_label = "GRC Petals"

    def draw(self, context):
        layout: Any = self.layout
        for idname, icon, props in OBJECT_MENU:
            direction = props.get("direction")
            text = MOVE_TEXT[direction] if direction else ""
            op = layout.operator(idname, icon=icon, text=text) if text else \
                layout.operator(idname, icon=icon)
            for key, value in props.items():
                setattr(op, key, value)


def menu_object(self, context):
    self.layout.separator()
    self.layout.menu(GRC_MT_object.bl_idname, icon='OUTLINER_OB_SURFACE')


def menu_mesh_add(self, context):
    # Add > Mesh lists things, not actions (Plane, Cube...): nouns, after a separator.
    self.layout.separator()
    self.layout.operator("grc.new_template", text="Petal Template", icon='MESH_GRID')
    self.layout.operator(GRC_OT_add_example_templates.bl_idname,
                         text="Example Petal Templates", icon='OUTLINER_OB_SURFACE')
    self.layout.operator("grc.add_petal", text="Petal", icon='ADD')
    self.layout.operator("grc.add_flower", text="Flower", icon='OUTLINER_OB_MESH')
