"""bpy utilities with no feature knowledge; every room stands on these.

    mesh_grid.py     mesh <-> (R, C, 3) grid in topology order; fast position writes
    modifier_inputs.py  a Geometry Nodes modifier's inputs on every Blender (4.2 - 5.3)
    anim.py          F-curves on Blender 4.2 (action.fcurves) and 4.4+ (slotted actions)
    redraw.py        redraw the 3D View sidebars
    selection.py     select only the given objects, the first one active
    wrap.py          labels wrapped to the sidebar's width
    i18n.py          translation-ready text (tip/iface, English source)
"""
