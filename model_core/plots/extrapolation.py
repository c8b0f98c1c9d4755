"""Is a petal beyond what the generative model was trained on? (The panel's warning.)"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..context import context_for

EXTRAPOLATION_MARGIN = 0.05   # fraction of the templates' spread tolerated outside them


@dataclass
class Extrapolation:
    """Where a petal's inputs leave what the generative model was trained on."""
    time_outside: bool = False
    context_outside: bool = False
    excess: float = 0.0                  # worst distance outside / the templates' widest spread
    rows_outside: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    messages: list[str] = field(default_factory=list)

    @property
    def outside(self) -> bool:
        return self.time_outside or self.context_outside


def check_extrapolation(model: Any, time: float, alpha: Any = None, offset: float = 0.0,
                        rows: int | None = None, margin: float = EXTRAPOLATION_MARGIN,
                        traces_t: np.ndarray | None = None, path: np.ndarray | None = None,
                        context_scale: float | None = None) -> Extrapolation:
    """Is (time, alpha, offset) beyond where the generative model was trained?

    Time: outside the captured times (by more than 0.1% of their range). Context: a row of
    the context path lies outside the templates' traces at that time (1-D: above the highest
    or below the lowest; 2-D: outside their convex hull) by more than `margin` times the
    templates' spread at that row (plus 0.1% of the model's whole context range, so rows
    where every template has the same shape, such as a shared bud, never count)."""
    times = np.asarray(model.times, float)
    span_t = float(times[-1] - times[0])
    out = Extrapolation()
    t = float(time)
    if t < times[0] - 1e-3 * span_t or t > times[-1] + 1e-3 * span_t:
        out.time_outside = True
        out.messages.append(f"time {t:.3g} is outside the captured keyframes "
                            f"({times[0]:g} to {times[-1]:g})")
    if alpha is None:
        return out
    ctx = getattr(model, "context", None)
    if ctx is None:   # a plain record of the model's facts (times, context_dims) is enough
        ctx = context_for(model.context_dims, 2)
    if traces_t is None:
        traces_t = np.asarray(model.context_traces(times=[t], rows=rows))[:, 0]
    if path is None:
        path = ctx.trace_values(np.asarray(model.context_path(t, alpha, offset, rows=rows)))
    if context_scale is None:
        all_tr = np.asarray(model.context_traces(rows=rows))
        context_scale = float(np.ptp(all_tr)) if all_tr.size else 0.0
    tol_abs = 1e-3 * max(context_scale, 1e-12)
    dist, spread = ctx.excess_per_row(traces_t, path)
    outside = dist > margin * spread + tol_abs
    out.rows_outside = outside
    # reported against the templates' widest spread at this time (per-row spreads vanish
    # where the templates meet, which would make the percentage meaningless there)
    out.excess = float(np.max(dist) / max(float(np.max(spread)), tol_abs)) if len(dist) else 0.0
    if np.any(outside):
        out.context_outside = True
        idx = np.flatnonzero(outside)
        where = "every row" if len(idx) == len(outside) else \
            f"{len(idx)} of {len(outside)} rows"
        out.messages.append(f"the context path leaves the templates' traces ({where}, up to "
                            f"{100 * out.excess:.0f}% of their spread beyond)")
    return out
