"""How well a model reproduces its templates, as the reconstruction target defines it.

Each template k at each captured keyframe t is generated (slider at template_context(k))
and compared per vertex with the captured shape; the error is measured against THAT
keyframe's own bounding-box diagonal (limits.TARGET_*), so a small closed bud is held to
its own size, not to the open petal's. numpy only: the early stop of both trainers, the
model's fidelity record (model.errors, the panel's readout) and the benchmarks use this.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .infer import GRCModel
from .limits import KEYFRAME_DIAG_FLOOR
from .templates import TemplateSet


def keyframe_errors(model: GRCModel, ts: TemplateSet) -> np.ndarray:
    """Per-vertex error in % of each keyframe's diagonal, (K, T, R, C)."""
    k, t, _, _ = ts.shape
    diags = ts.keyframe_diagonals()
    out = np.empty(ts.coords.shape[:-1])
    for i in range(k):
        alpha = np.repeat([model.template_context(i)], t, axis=0)
        gen = model.generate_many(ts.times, alpha, np.zeros(t))
        out[i] = 100.0 * np.linalg.norm(gen - ts.coords[i], axis=-1) / diags[i][:, None, None]
    return out


def reconstruction_errors(model: GRCModel, ts: TemplateSet) -> list[dict[str, Any]]:
    """One record per template: `mean_pct` is the worst keyframe's mean vertex error and
    `max_pct` the worst vertex, both in % of that keyframe's diagonal; `mean` and `max` are
    the same over all keyframes in scene units, `diag` the template's overall diagonal."""
    pct = keyframe_errors(model, ts)
    kdiag = ts.keyframe_diagonals()
    diags = ts.diagonals()
    out = []
    for i in range(ts.shape[0]):
        units = pct[i] * kdiag[i][:, None, None] / 100.0
        per_key = pct[i].mean(axis=(1, 2))
        out.append({"name": ts.names[i], "mean": float(units.mean()), "max": float(units.max()),
                    "diag": float(diags[i]), "mean_pct": float(per_key.max()),
                    "max_pct": float(pct[i].max()), "worst_keyframe": int(per_key.argmax())})
    return out


def inbetween_errors(model: GRCModel, ts: TemplateSet) -> list[dict[str, Any]]:
    """Between keyframes: each template generated halfway through each gap against its own
    template model there (the in-between the model learned from; training/inbetweens.py),
    per vertex in % of that shape's diagonal (at least a tenth of the template's, as
    keyframes). One record per template with `mean_pct` (the worst in-between's mean) and
    `max_pct` (the worst vertex), as reconstruction_errors."""
    mid = 0.5 * (ts.times[:-1] + ts.times[1:])
    floor = KEYFRAME_DIAG_FLOOR * ts.diagonals()
    out = []
    for i in range(ts.shape[0]):
        ref = model.template_shapes(i, mid)                                            # (Q, R, C, 3)
        gen = model.generate_many(mid, np.repeat([model.template_context(i)], mid.shape[0], axis=0))
        diag = np.maximum(np.linalg.norm(ref.max(axis=(1, 2)) - ref.min(axis=(1, 2)), axis=-1), floor[i])
        pct = 100.0 * np.linalg.norm(gen - ref, axis=-1) / diag[:, None, None]
        out.append({"mean_pct": float(pct.mean(axis=(1, 2)).max()), "max_pct": float(pct.max())})
    return out


def meets(errors: list[dict[str, Any]], mean_pct: float, max_pct: float) -> bool:
    """Every template within `mean_pct` (mean) and `max_pct` (worst vertex)."""
    return all(e["mean_pct"] <= mean_pct and e["max_pct"] <= max_pct for e in errors)
