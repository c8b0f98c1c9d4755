"""Pixels in and out of a bpy.utils.previews image (the panels' trace and loss images).

Previews store rows bottom-up; model_core's rasters draw top-down, so both flip here."""
from __future__ import annotations

import numpy as np


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
