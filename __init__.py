"""GRC petals: train template petals, generate new ones by context (Blender extension).

register() joins every module's CLASSES (properties, operators, panels), then menus, the
trace-image previews and the app handlers; unregister() undoes it in reverse. Imports are
relative (Blender installs the package as bl_ext.<repository>.grc); torch is never imported
while enabling, only when training starts.
"""
from __future__ import annotations

import bpy

from . import operators, panels
from .grc_blender import handlers, jobs, overlay, petals, props, store, trace_image

CLASSES = (*props.CLASSES, *operators.CLASSES, *panels.CLASSES)


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    props.attach()
    for menu, draw in operators.MENUS:
        menu.append(draw)
    trace_image.register()
    overlay.register()
    handlers.register()


def unregister() -> None:
    jobs.stop(timeout=10.0)   # no thread may outlive the classes it reports to
    handlers.unregister()
    overlay.unregister()
    trace_image.unregister()
    for menu, draw in reversed(operators.MENUS):
        menu.remove(draw)
    props.detach()
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
    store.drop_caches()
    petals.drop_caches()
