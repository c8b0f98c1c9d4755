"""Inference in numpy only: context traces, context paths, generate().

Importing this module never imports torch. A GRCModel holds the template models, the
relational model and the generative model as float arrays, plus the normalisation that
maps scene coordinates to the networks' order-1 space and back.

Relational-map units: the networks see time and morphology mapped to [-1, 1] over the
captured range (`unit_index`), so `times`/`morphs` may be in any increasing units.
(Centred inputs train about twice as fast as the seed's [0, 1]; measured, see trainer.py.)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from .errors import GRCError
from .nets import Layers, forward
from .templates import grid_layout

MAX_ROWS = 256          # dense output rows per petal (documented cap)
MAX_BATCH = 4096        # petals in one generate_many call
MAX_ABS_INPUT = 1e4     # |time|, |alpha|, |offset| beyond this are refused, not computed


def context_targets(n_templates: int, context_dims: int) -> np.ndarray:
    """The weak context target of each template, (K, dims).

    1-D: the template's index spread over [0, 1]. 2-D: the templates on a circle of
    radius 0.5 around (0.5, 0.5), template 0 at (1, 0.5), counter-clockwise. The target only
    *scales* the emergent context (it passes through the seed's 0.05 rFilter mask).
    """
    k = np.arange(n_templates, dtype=np.float64)
    if context_dims == 1:
        return (k / (n_templates - 1))[:, None]
    angle = 2.0 * np.pi * k / n_templates
    return np.stack([0.5 + 0.5 * np.cos(angle), 0.5 + 0.5 * np.sin(angle)], axis=1)


def unit_index(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Map relational index values onto the networks' [-1, 1] (first index -> -1, last -> 1)."""
    return 2.0 * (np.asarray(values, dtype=np.float64) - index[0]) / (index[-1] - index[0]) - 1.0


def _finite_scalar(value: Any, what: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise GRCError(f"{what} must be a number, got {value!r}") from None
    if not np.isfinite(v) or abs(v) > MAX_ABS_INPUT:
        raise GRCError(f"{what} must be finite and within +-{MAX_ABS_INPUT:g}, got {v!r}")
    return v


@dataclass
class GRCModel:
    template_nets: list[Layers]
    relational: Layers
    generative: Layers
    times: np.ndarray            # (T,) captured time indexes
    morphs: np.ndarray           # (R,) captured morphology indexes
    centre: np.ndarray           # (3,) normalisation centre
    scale: float                 # normalisation scale
    n_cols: int
    context_dims: int
    names: list[str]
    meta: dict[str, Any] = field(default_factory=dict)

    # ---- shape facts -------------------------------------------------------------------
    @property
    def n_templates(self) -> int:
        return len(self.template_nets)

    @property
    def n_rows(self) -> int:
        return int(self.morphs.shape[0])

    @property
    def errors(self) -> list[dict[str, Any]]:
        return list(self.meta.get("errors", []))

    # ---- relational-map coordinates ------------------------------------------------------
    def _tn(self, time: np.ndarray) -> np.ndarray:
        return unit_index(time, self.times)

    def _morph_grid(self, rows: int | None) -> np.ndarray:
        """Normalised morphology coordinates of the output rows."""
        if rows is None:
            return unit_index(self.morphs, self.morphs)
        if isinstance(rows, bool) or not isinstance(rows, (int, np.integer)):
            raise GRCError(f"rows must be an integer, got {rows!r}")
        if not 2 <= rows <= MAX_ROWS:
            raise GRCError(f"rows must be between 2 and {MAX_ROWS}, got {rows}")
        return np.linspace(-1.0, 1.0, int(rows))

    def _denormalise(self, rows_n: np.ndarray) -> np.ndarray:
        grid = grid_layout(rows_n, self.n_cols)
        return grid * self.scale + self.centre

    # ---- context traces --------------------------------------------------------------------
    def _relational_at(self, tn: np.ndarray, mn: np.ndarray) -> np.ndarray:
        """Each template's own rows in relational space: tn (N,), mn (M,) -> (K, N, M, 2 + dims).

        The template models give each template's row at (time, morph); the relational model
        maps that row to (time, morph, context...). The context part is the template's
        trace (seed figure 5); generation blends these points and decodes the blend, so
        alpha = k reproduces template k exactly as training saw it: gen(rel(x_k))."""
        tt, mm = np.broadcast_arrays(tn[:, None], mn[None, :])
        rel_in = np.stack([tt, mm], axis=-1)                          # (N, M, 2)
        out = np.empty((self.n_templates, tn.shape[0], mn.shape[0], 2 + self.context_dims))
        for k, net in enumerate(self.template_nets):
            out[k] = forward(self.relational, forward(net, rel_in))
        return out

    def context_traces(self, times: Sequence[float] | np.ndarray | None = None,
                       rows: int | None = None) -> np.ndarray:
        """(K, T, R) context of each template's rows (1-D context), (K, T, R, 2) for 2-D."""
        t = self.times if times is None else np.asarray(times, dtype=np.float64).reshape(-1)
        traces = self._relational_at(self._tn(t), self._morph_grid(rows))[..., 2:]
        return traces[..., 0] if self.context_dims == 1 else traces

    def _blend(self, points: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        """The path between the templates' relational points, row by row.

        points (K, N, M, 2 + d), alpha (N, d) -> (N, M, 2 + d)."""
        k = self.n_templates
        if self.context_dims == 1:
            a = alpha[:, 0]
            # Walk the ordered traces: segment i joins template i and i+1; the end
            # segments extend past 0 and K-1, which is how alpha extrapolates.
            i = np.clip(np.floor(a), 0, k - 2).astype(int)
            f = (a - i)[:, None, None]
            n = np.arange(points.shape[1])
            lo, hi = points[i, n], points[i + 1, n]
            return lo + f * (hi - lo)
        # 2-D: an affine map per row that sends each template's pad point to its trace
        # (exact for K <= 3, least squares beyond); the pad point picks the blend.
        pads = context_targets(k, 2)
        basis = np.hstack([pads, np.ones((k, 1))])                      # (K, 3)
        weights = np.linalg.pinv(basis)                                 # (3, K)
        coef = np.array([alpha[:, 0], alpha[:, 1], np.ones(len(alpha))]).T @ weights  # (N, K)
        return np.einsum("nk,knmd->nmd", coef, points)

    def _offset_path(self, path: np.ndarray, points: np.ndarray, mn: np.ndarray,
                     offset: np.ndarray) -> np.ndarray:
        """Move each path point by `offset` along the trace normal, away from the templates.

        1-D: the context path is a curve c(m) in the (morph, context) plane; its unit normal
        (-c'(m), 1)/|.| is oriented toward the last template, so a positive offset leaves
        the traces beyond it (seed figure 8). 2-D: along the direction from the templates'
        mean context to the path point. path (N, M, 2 + d), points (K, N, M, 2 + d)."""
        if not np.any(offset):
            return path
        out = path.copy()
        off = offset[:, None]
        if self.context_dims == 1:
            c = path[..., 2]
            slope = np.gradient(c, mn, axis=1)
            norm = np.sqrt(1.0 + slope ** 2)
            side = np.sign(np.mean(points[-1, ..., 2] - points[0, ..., 2])) or 1.0
            out[..., 1] -= side * off * slope / norm
            out[..., 2] += side * off / norm
            return out
        d = path[..., 2:] - points[..., 2:].mean(axis=0)
        length = np.linalg.norm(d, axis=-1, keepdims=True)
        direction = np.where(length > 1e-9, d / np.maximum(length, 1e-12), np.array([1.0, 0.0]))
        out[..., 2:] += off[..., None] * direction
        return out

    # ---- generation ---------------------------------------------------------------------
    def _alphas(self, alphas: Any, n: int) -> np.ndarray:
        a = np.asarray(alphas, dtype=np.float64)
        if self.context_dims == 1:
            a = a.reshape(n, 1) if a.size == n else a
        if a.shape != (n, self.context_dims):
            raise GRCError(f"alpha must give {self.context_dims} value(s) per petal, got shape {a.shape}")
        if not np.all(np.isfinite(a)) or np.any(np.abs(a) > MAX_ABS_INPUT):
            raise GRCError(f"alpha must be finite and within +-{MAX_ABS_INPUT:g}")
        return a

    def context_path(self, time: float, alpha: Any, offset: float = 0.0,
                     rows: int | None = None) -> np.ndarray:
        """The context values generate() feeds the generative model, (rows, dims)."""
        t = _finite_scalar(time, "time")
        a = self._alphas([alpha] if self.context_dims == 1 else [alpha], 1)
        off = np.array([_finite_scalar(offset, "offset")])
        mn = self._morph_grid(rows)
        points = self._relational_at(self._tn(np.array([t])), mn)
        return self._offset_path(self._blend(points, a), points, mn, off)[0, :, 2:]

    def generate_many(self, times: Any, alphas: Any, offsets: Any = None,
                      rows: int | None = None) -> np.ndarray:
        """N petals sharing this model in one numpy pass -> (N, rows, C, 3) float64."""
        t = np.asarray(times, dtype=np.float64).reshape(-1)
        n = t.shape[0]
        if not 1 <= n <= MAX_BATCH:
            raise GRCError(f"generate_many takes 1 to {MAX_BATCH} petals, got {n}")
        if not np.all(np.isfinite(t)) or np.any(np.abs(t) > MAX_ABS_INPUT):
            raise GRCError(f"time must be finite and within +-{MAX_ABS_INPUT:g}")
        a = self._alphas(alphas, n)
        off = np.zeros(n) if offsets is None else np.asarray(offsets, dtype=np.float64).reshape(-1)
        if off.shape != (n,) or not np.all(np.isfinite(off)) or np.any(np.abs(off) > MAX_ABS_INPUT):
            raise GRCError(f"offset must be {n} finite value(s) within +-{MAX_ABS_INPUT:g}")
        mn = self._morph_grid(rows)
        points = self._relational_at(self._tn(t), mn)                     # (K, N, M, 2 + d)
        path = self._offset_path(self._blend(points, a), points, mn, off)
        out = self._denormalise(forward(self.generative, path))
        # Far outside the training range ELU nets stay finite but can grow large; clip
        # to a generous box so Blender never receives inf.
        return np.clip(np.nan_to_num(out, nan=0.0), -1e6, 1e6)

    def generate(self, time: float, alpha: Any, offset: float = 0.0,
                 rows: int | None = None) -> np.ndarray:
        """One petal at `time` with context `alpha` (+ `offset`) -> (rows or R, C, 3)."""
        t = _finite_scalar(time, "time")
        off = _finite_scalar(offset, "offset")
        return self.generate_many([t], [alpha], [off], rows)[0]

    def template_rows(self, k: int, time: float, rows: int | None = None) -> np.ndarray:
        """What template model k alone gives at `time`, (rows, C, 3) in scene units."""
        mn = self._morph_grid(rows)
        tn = np.full_like(mn, float(self._tn(np.array([time]))[0]))
        return self._denormalise(forward(self.template_nets[k], np.stack([tn, mn], axis=-1)))

    # ---- storage (see store.py) -----------------------------------------------------------
    def to_bytes(self) -> bytes:
        from .store import model_to_bytes
        return model_to_bytes(self)

    def save(self, path: str) -> None:
        from .store import save_model
        save_model(self, path)
