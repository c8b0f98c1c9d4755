"""What the base/tip overlay draws for one template, as plain numpy (testable without a GPU).

The overlay (overlay.py) only turns these into line batches and text; everything that could
be wrong (which row is the base, where the labels sit, what they say) is decided here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STALE_TEXT = "edited since capture"
SIZE_LABEL = 2     # index of the "<name>  R x C" label in TemplateMarks.labels


@dataclass(frozen=True)
class TemplateMarks:
    """World-space marks of one template: base and tip rows as polylines, and labels."""
    base: np.ndarray                          # (C, 3) the base row, column 0 .. C-1
    tip: np.ndarray                           # (C, 3) the tip row
    labels: tuple[tuple[np.ndarray, str], ...]  # (anchor (3,), text)
    stale: bool


def to_world(matrix, coords: np.ndarray) -> np.ndarray:
    """(..., 3) object-space coordinates -> world space through a 4 x 4 matrix."""
    m = np.asarray(matrix, dtype=np.float64).reshape(4, 4)
    return coords @ m[:3, :3].T + m[:3, 3]


def template_marks(grid_world: np.ndarray, name: str, stale: bool) -> TemplateMarks:
    """Marks for a (R, C, 3) world-space grid (row 0 = base, as capture orders it).

    Labels: "base" and "tip" just beyond the middle of their rows (pushed outward along the
    petal so they do not sit on the mesh), and "<name>  R x C" at the grid's centre, with
    the stale warning appended when the template changed since it was captured.
    """
    grid = np.asarray(grid_world, dtype=np.float64)
    rows, cols = grid.shape[:2]
    base, tip = grid[0], grid[-1]
    base_mid, tip_mid = base.mean(axis=0), tip.mean(axis=0)
    along = tip_mid - base_mid
    length = float(np.linalg.norm(along))
    push = along / length * 0.08 * length if length > 0 else np.zeros(3)
    size = f"{name}  {rows} x {cols}"
    if stale:
        size += f"  ({STALE_TEXT})"
    labels = ((base_mid - push, "base"), (tip_mid + push, "tip"),
              (grid.reshape(-1, 3).mean(axis=0), size))
    return TemplateMarks(base.copy(), tip.copy(), labels, stale)
