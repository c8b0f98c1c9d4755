"""GRC petals: train template petals, generate new ones by context (Blender extension).

Only register()/unregister() live here; everything delegates to grc_blender. Imports are
relative (Blender installs the package as bl_ext.<repository>.grc). torch is never
imported while enabling: only when training starts.
"""


def register():
    from .grc_blender import register as _register
    _register()


def unregister():
    from .grc_blender import unregister as _unregister
    _unregister()
