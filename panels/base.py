"""Shared panel settings: View3D sidebar, tab "GRC"."""
from __future__ import annotations


class GRCPanel:
    bl_space_type = 'VIEW_3D'
    bl_region_type = 'UI'
    bl_category = "GRC"
