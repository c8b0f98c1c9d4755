"""The View3D sidebar tab "GRC Petals": Templates, Train, Petal (+ sub-panels). draw() stays thin:
it lays out properties and operators and reads only cheap strings, never decodes models.
The root __init__ registers CLASSES in order."""
from __future__ import annotations

from typing import Any

from .flower import GRC_PT_flower
from .models import GRC_PT_models, GRC_UL_models
from .petal import GRC_PT_petal, GRC_PT_petal_shape
from .templates import GRC_PT_template_info, GRC_PT_templates, GRC_UL_templates
from .train import GRC_PT_train, GRC_PT_train_fidelity, GRC_PT_train_settings

CLASSES: tuple[Any, ...] = (
    GRC_UL_models,
    GRC_PT_models,
    GRC_UL_templates,
    GRC_PT_templates,
    GRC_PT_template_info,
    GRC_PT_train,
    GRC_PT_train_settings,
    GRC_PT_train_fidelity,
    GRC_PT_petal,
    GRC_PT_petal_shape,
    GRC_PT_flower,
)
