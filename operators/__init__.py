"""Operators: one module per user action; CLASSES is registered in order, unregistered reversed."""
from __future__ import annotations

import bpy

from .add_example import GRC_OT_add_example_templates, menu_func
from .add_petal import GRC_OT_add_petal, GRC_OT_reset_petal
from .bake import GRC_OT_bake_shape_keys
from .capture import GRC_OT_capture_templates
from .template_list import GRC_OT_move_template
from .train import GRC_OT_cancel_training, GRC_OT_train

CLASSES = (
    GRC_OT_add_example_templates,
    GRC_OT_capture_templates,
    GRC_OT_move_template,
    GRC_OT_train,
    GRC_OT_cancel_training,
    GRC_OT_add_petal,
    GRC_OT_reset_petal,
    GRC_OT_bake_shape_keys,
)


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.VIEW3D_MT_mesh_add.append(menu_func)


def unregister() -> None:
    bpy.types.VIEW3D_MT_mesh_add.remove(menu_func)
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
