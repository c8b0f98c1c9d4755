"""Shared panel settings: View3D sidebar, tab "GRC Petals" (CATEGORY)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # fake-bpy-module's names for the enum literals Panel declares
    from bpy.stub_internal.rna_enums import RegionTypeItems, SpaceTypeItems
    from bpy.types import UILayout


CATEGORY = "GRC Petals"   # the sidebar tab: the product's name, the same in every panel


class GRCPanel:
    bl_space_type: SpaceTypeItems = 'VIEW_3D'
    bl_region_type: RegionTypeItems = 'UI'
    bl_category = CATEGORY


def layout_of(panel: Any) -> UILayout:
    """`panel.layout`, never None inside draw() (the stubs type it Optional)."""
    return panel.layout
