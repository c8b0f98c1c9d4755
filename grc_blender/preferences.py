"""Add-on preferences (Edit > Preferences > Add-ons > GRC Petals): is torch here (its
version, the CPU threads a training uses) and the default training preset of new scenes."""
from __future__ import annotations

from typing import Any

import bpy
from bpy.props import EnumProperty

from .training import presets, torch_check
from .util import wrap
from .util.i18n import iface

# The add-on's own package (bl_ext.<repo>.grc): the root of this one.
ROOT_PACKAGE = (__package__ or "").rpartition(".")[0]


class GRCPreferences(bpy.types.AddonPreferences):
    bl_idname = ROOT_PACKAGE

    default_preset: EnumProperty(  # type: ignore[valid-type]
        name="Default Preset", items=presets.ENUM_ITEMS, default=presets.DEFAULT,
        description="The training preset a scene starts with (applied at its first capture, "
                    "unless its settings were already chosen)")

    def draw(self, context):
        layout: Any = self.layout
        box = layout.box()
        if torch_check.training_available():
            box.label(text=iface("Train uses the numpy trainer (no PyTorch needed)"), icon='CHECKMARK',
                      translate=False)
            box.label(text=iface("A training uses {n} of this computer's {cpus} CPU threads")
                      .format(n=torch_check.training_threads(), cpus=torch_check.cpu_count()),
                      translate=False)
            if torch_check.torch_available():
                box.label(text=iface("PyTorch {version} found (the torch trainer: GRC_TRAINER=torch)")
                          .format(version=torch_check.torch_version()), translate=False)
        else:
            box.label(text=iface("PyTorch not found: Train is unavailable"), icon='ERROR',
                      translate=False)
            wrap.label(box, context, torch_check.fix())
        layout.prop(self, "default_preset")


def settings(context: Any = None) -> Any:
    """The add-on's preferences (None when it is not enabled under ROOT_PACKAGE)."""
    prefs = getattr(context or bpy.context, "preferences", None)
    addon = prefs.addons.get(ROOT_PACKAGE) if prefs is not None else None
    return getattr(addon, "preferences", None)


def default_preset(context: Any = None) -> str:
    p = settings(context)
    return str(getattr(p, "default_preset", presets.DEFAULT)) if p is not None else presets.DEFAULT


CLASSES = (GRCPreferences,)
