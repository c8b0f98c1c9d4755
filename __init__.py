"""GRC petals: train template petals, generate new ones by context (Blender extension).

Only register()/unregister() live here, delegating to registration.py. The imports wait for
the call (as in glTF-Blender-IO): this file stays importable on its own, outside Blender's
package (pytest collects the repository root, whose folder name may not be a Python name).
Imports are relative: Blender installs the package as bl_ext.<repository>.grc.
"""
from __future__ import annotations

from typing import Any


def register() -> None:
    from .registration import register as _register
    _register()


def unregister() -> None:
    from .registration import unregister as _unregister
    _unregister()


def __getattr__(name: str) -> Any:
    if name == "CLASSES":          # every registered class, in order
        from .registration import CLASSES
        return CLASSES
    raise AttributeError(name)
