"""Operators: thin wrappers over grc_blender.api, one module per group of user actions.
The root __init__ registers CLASSES (in order) and MENUS."""
from __future__ import annotations

from typing import Any

import bpy

from .authoring import GRC_OT_grid_from_mesh, GRC_OT_new_template, GRC_OT_new_variant
from .bake import GRC_OT_bake_shape_keys
from .error import GRC_OT_show_error
from .models import CLASSES as MODEL_CLASSES
from .menus import GRC_MT_object, menu_mesh_add, menu_object
from .fields import GRC_OT_bake_field, GRC_OT_scatter_flowers
from .flower import GRC_OT_add_ring, GRC_OT_remove_ring, GRC_OT_separate_petals
from .petal import GRC_OT_add_flower, GRC_OT_add_petal, GRC_OT_reset_petal
from .templates import (GRC_OT_add_example_templates, GRC_OT_capture_templates,
                        GRC_OT_move_template)
from .train import GRC_OT_cancel_training, GRC_OT_train

CLASSES: tuple[Any, ...] = (
    *MODEL_CLASSES,
    GRC_OT_new_template,
    GRC_OT_new_variant,
    GRC_OT_grid_from_mesh,
    GRC_OT_add_example_templates,
    GRC_OT_capture_templates,
    GRC_OT_move_template,
    GRC_OT_train,
    GRC_OT_cancel_training,
    GRC_OT_show_error,
    GRC_OT_add_petal,
    GRC_OT_reset_petal,
    GRC_OT_bake_shape_keys,
    GRC_OT_add_flower,
    GRC_OT_add_ring,
    GRC_OT_remove_ring,
    GRC_OT_separate_petals,
    GRC_OT_scatter_flowers,
    GRC_OT_bake_field,
    GRC_MT_object,
)

# (menu, draw function) pairs appended on register, removed on unregister
MENUS: tuple[tuple[Any, Any], ...] = (
    (bpy.types.VIEW3D_MT_mesh_add, menu_mesh_add),
    (bpy.types.VIEW3D_MT_object, menu_object),
)
