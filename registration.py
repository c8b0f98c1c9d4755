"""The add-on's registration: every module's CLASSES (properties, preferences, operators,
panels) joined here, then menus, the trace-image and loss-curve previews, the base/tip
overlay, the ghost's draw handler, the translations and the app handlers; unregister()
undoes it in reverse. torch is never imported while enabling, only when training starts.
"""
from __future__ import annotations

import bpy

from . import operators, panels
from .grc_blender import caches, handlers, preferences, props
from .grc_blender.templates import overlay
from .grc_blender.training import jobs
from .grc_blender.util import i18n
from .grc_blender.views import ghost, loss_image, trace_image

CLASSES = (*props.CLASSES, *preferences.CLASSES, *operators.CLASSES, *panels.CLASSES)


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    props.attach()
    for menu, draw in operators.MENUS:
        menu.append(draw)
    trace_image.register()
    overlay.register()
    loss_image.register()
    ghost.register()
    i18n.register(__package__, CLASSES)
    handlers.register()


def unregister() -> None:
    jobs.stop(timeout=10.0)   # no thread may outlive the classes it reports to
    handlers.unregister()
    i18n.unregister(__package__)
    ghost.unregister()
    loss_image.unregister()
    overlay.unregister()
    trace_image.unregister()
    for menu, draw in reversed(operators.MENUS):
        menu.remove(draw)
    props.detach()
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
    caches.clear_all()
