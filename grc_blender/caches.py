"""The one place that drops every cache of decoded data and bpy references.

File load, undo/redo and unregister all call `clear_all()`: whatever a cache holds may
point at data that no longer exists (undo swaps ID data; a load replaces the file)."""
from __future__ import annotations

from . import store
from .petals.live import LIVE
from .views import error_view, loss_image


def clear_all() -> None:
    store.drop_caches()          # decoded models and their refusals
    LIVE.clear()                 # the live path: petal lists, verdicts, written checksums
    loss_image.drop_caches()     # the loss curve image is redrawn from the file's numbers
    error_view.drop_caches()     # the ghost's captured shapes
