"""The View3D sidebar tab "GRC": Templates, Train, Petal (+ sub-panels). draw() stays thin:
it lays out properties and operators and reads only cheap strings, never decodes models."""
from __future__ import annotations

from typing import Any

import bpy

from .petal import GRC_PT_petal, GRC_PT_petal_shape
from .templates import GRC_PT_template_info, GRC_PT_templates, GRC_UL_templates
from .train import GRC_PT_train, GRC_PT_train_fidelity, GRC_PT_train_settings

CLASSES: tuple[Any, ...] = (
    GRC_UL_templates,
    GRC_PT_templates,
    GRC_PT_template_info,
    GRC_PT_train,
    GRC_PT_train_settings,
    GRC_PT_train_fidelity,
    GRC_PT_petal,
    GRC_PT_petal_shape,
)


def register() -> None:
    from ..grc_blender import trace_image
    trace_image.register()
    for cls in CLASSES:
        bpy.utils.register_class(cls)


def unregister() -> None:
    from ..grc_blender import trace_image
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
    trace_image.unregister()
