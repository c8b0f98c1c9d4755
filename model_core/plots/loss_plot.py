"""The loss curve the Train panel shows: each loss against the training step, log scale.

numpy only (model_core.plots.raster, like the context-trace plot), no anti-aliasing: every curve
pixel has exactly its LOSS_COLORS colour, so tests read the curve straight from the array.

    rgba = loss_plot({"gen": (steps, values), "rel": (steps, values)}, total=3500)
    # (H, W, 4) float32, row 0 = TOP

x: step 0 .. `total` (the curve grows to the right while training); y: log10 of the loss,
limits from the data with round decades as ticks. Each curve is labelled in the top right
with its plain-word name (`labels`).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from .plot import AXIS, BACKGROUND, GRID, PLOT_BG, TEXT
from .raster import Canvas, Color

LOSS_COLORS: dict[str, Color] = {
    "template": (0.62, 0.62, 0.62),   # grey: the template fit (stage 1)
    "gen": (0.30, 0.60, 1.00),        # blue: shape reconstruction
    "rel": (1.00, 0.55, 0.15),        # orange: context map
}
OTHER_COLOR: Color = (0.35, 0.85, 0.35)
LINE_WIDTH = 2
MARGIN = (30, 16, 8, 14)    # left, top, right, bottom
FLOOR = 1e-12               # losses at or below this plot at the floor


def loss_color(name: str) -> Color:
    return LOSS_COLORS.get(name, OTHER_COLOR)


def limits(curves: Mapping[str, tuple[Sequence[float], Sequence[float]]]) -> tuple[float, float]:
    """log10 limits covering every finite positive loss, whole decades, at least one apart."""
    logs = [np.log10(np.maximum(np.asarray(v, float), FLOOR)) for _, v in curves.values() if len(v)]
    flat = np.concatenate(logs) if logs else np.zeros(0)
    flat = flat[np.isfinite(flat)]
    if flat.size == 0:
        return (-3.0, 0.0)
    lo, hi = float(np.floor(flat.min())), float(np.ceil(flat.max()))
    return (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)


def loss_plot(curves: Mapping[str, tuple[Sequence[float], Sequence[float]]], total: float,
              width: int = 256, height: int = 128,
              labels: Mapping[str, str] | None = None) -> np.ndarray:
    """(H, W, 4) float32 RGBA, row 0 = top: each curve's log10(loss) against its steps."""
    canvas = Canvas(width, height, BACKGROUND)
    l, t = MARGIN[0], MARGIN[1]
    r, b = width - MARGIN[2], height - MARGIN[3]
    if r - l < 4 or b - t < 4:
        raise ValueError(f"loss plot of {width} x {height} px is too small")
    canvas.fill_rect(l, t, r, b, PLOT_BG)
    ylim = limits(curves)
    ax = canvas.axes((l, t, r, b), (0.0, max(float(total), 1.0)), ylim)
    step = max(1, int(np.ceil((ylim[1] - ylim[0]) / 4)))
    for decade in range(int(np.ceil(ylim[0])), int(np.floor(ylim[1])) + 1, step):
        y = int(np.floor(float(ax.py(decade))))
        if t <= y < b:
            canvas.fill_rect(l, y, r, y + 1, GRID)
            canvas.text(l - 3, y - 2, f"1E{decade}", color=TEXT, scale=1, anchor="right")
    canvas.text(l, b + 4, "0", color=TEXT, scale=1)
    canvas.text(r, b + 4, f"{int(total)} STEPS", color=TEXT, scale=1, anchor="right")
    x = r
    for name in sorted(curves, reverse=True):
        steps, values = curves[name]
        if len(steps) == 0:
            continue
        logs = np.log10(np.maximum(np.asarray(values, float), FLOOR))
        ax.line(np.asarray(steps, float), logs, loss_color(name), LINE_WIDTH)
        text = (labels or {}).get(name, name)
        x -= canvas.text(x, 4, text, color=loss_color(name), scale=1, anchor="right") + 8
    ax.frame(AXIS)
    return canvas.to_rgba()
