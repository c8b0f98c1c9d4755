"""Blender glue shared by operators and panels (model_core never sees bpy; this does).

register()/unregister() here are the whole add-on's: properties, operators, panels,
handlers, in that order, and the exact reverse on the way out.
"""
from __future__ import annotations


def register() -> None:
    from . import handlers, props
    from .. import operators, panels
    props.register()
    operators.register()
    panels.register()
    handlers.register()


def unregister() -> None:
    from . import handlers, jobs, props, store, petals
    from .. import operators, panels
    jobs.stop(timeout=10.0)   # no thread may outlive the classes it reports to
    handlers.unregister()
    panels.unregister()
    operators.unregister()
    props.unregister()
    store.drop_caches()
    petals.drop_caches()
