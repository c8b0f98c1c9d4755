"""Ask Blender to redraw the 3D View sidebars (where the GRC panels live)."""
from __future__ import annotations

import bpy


def _view3d_areas() -> list:
    """Every 3D View area of every window; none without a window manager (background mode)."""
    wm = getattr(bpy.context, "window_manager", None)
    if wm is None:
        return []
    return [area for window in wm.windows for area in window.screen.areas if area.type == 'VIEW_3D']


def tag_sidebars() -> None:
    """Tag every 3D View's sidebar region for redraw; a no-op in background mode."""
    for area in _view3d_areas():
        for region in area.regions:
            if region.type == 'UI':
                region.tag_redraw()


def tag_view3d() -> None:
    """Tag every 3D View area (viewport and sidebar) for redraw; a no-op in background mode."""
    for area in _view3d_areas():
        area.tag_redraw()
