"""The panels' preview images (trace and loss curve): their collection, and pixels in and out.

Previews store rows bottom-up; model_core's rasters draw top-down, so both flip here."""
from __future__ import annotations

import bpy.utils.previews
import numpy as np


def open_collection(name: str):
    """A new previews collection holding one image named `name`."""
    pcoll = bpy.utils.previews.new()
    pcoll.new(name)
    return pcoll


def close_collection(pcoll) -> None:
    if pcoll is not None:
        bpy.utils.previews.remove(pcoll)


def write(p, rgba: np.ndarray) -> None:
    """(H, W, 4) float RGBA, row 0 = top, into preview `p` (resized to fit)."""
    h, w = rgba.shape[:2]
    p.image_size = (w, h)     # (re)allocates and flags the preview as changed
    p.image_pixels_float.foreach_set(np.ascontiguousarray(rgba[::-1], dtype=np.float32).ravel())


def read(p) -> np.ndarray:
    """Preview `p`'s pixels as (H, W, 4) float32, row 0 = top (empty without a preview)."""
    if p is None:
        return np.zeros((0, 0, 4), dtype=np.float32)
    w, h = p.image_size
    buf = np.empty(w * h * 4, dtype=np.float32)
    p.image_pixels_float.foreach_get(buf)
    return buf.reshape(h, w, 4)[::-1]
