"""Inference in numpy only: context traces, context paths, generate().

Importing this module never imports torch. A GRCModel holds the template models, the
relational model and the generative model as float arrays, plus the normalisation that
maps scene coordinates to the networks' order-1 space and back.

Relational-map units: the networks see time and morphology mapped to [-1, 1] over the
captured range (`unit_index`), so `times`/`morphs` may be in any increasing units.
(Centred inputs train faster than the seed's [0, 1]; measured, see trainer.py.)

How a petal is generated (seed figures 5-8): the template models give each template's
row at (time, morph); the relational model maps it to a relational point (time', morph',
context...) whose context part is the template's trace. The slider blends those points
row by row (alpha 0 -> template 0, 1 -> template 1, ...), `offset` moves the blend along
the trace normal, and the generative model decodes the result. At alpha = k this is
exactly gen(rel(x_k)), the reconstruction training optimised.

Speed: the template and relational passes depend only on (time, rows), not on the slider,
so they are tabulated once per row count over a fine time grid and linearly interpolated
(`TimeTable`); only the generative pass runs per petal. Inference runs in float32.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Sequence

import numpy as np

from .errors import GRCError
from .nets import Layers, forward
from .templates import grid_layout

MAX_ROWS = 256          # dense output rows per petal (documented cap)
MAX_BATCH = 4096        # petals in one generate_many call
MAX_ABS_INPUT = 1e4     # |time|, |alpha|, |offset| beyond this are refused, not computed
TABLE_STEPS = 512       # time-table intervals across the captured range ...
TABLE_MARGIN = 0.5      # ... extended by half the range on each side
TABLE_MIN_BATCH = 8     # petals in one call before the table pays for itself
_AFFINE_WEIGHT = 1e3    # 2-D blend: how strongly the weights are held to sum to 1


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


@lru_cache(maxsize=None)
def _dense_rows(rows: int) -> np.ndarray:
    grid = np.linspace(-1.0, 1.0, rows)
    grid.setflags(write=False)
    return grid


def _f32(layers: Layers) -> Layers:
    return [(np.ascontiguousarray(w, np.float32), np.ascontiguousarray(b, np.float32)) for w, b in layers]


@dataclass
class TimeTable:
    """Relational points of every template at `rows` morph rows, on a fine time grid,
    read back by Catmull-Rom interpolation. ELU's kink keeps the error O(step^2): at most
    about 2e-4 in the networks' unit space at 512 steps, under 0.01% of the petal's size
    (both tested)."""
    t0: float            # first grid time (unit index)
    step: float          # grid spacing (unit index)
    points: np.ndarray   # (n, K, M, 2 + d) float32

    def covers(self, tn: np.ndarray) -> bool:
        # the cubic needs one sample either side of the interval it reads
        pos = (tn - self.t0) / self.step
        return bool(np.all(pos >= 1.0) & np.all(pos <= self.points.shape[0] - 2))

    def at(self, tn: np.ndarray) -> np.ndarray:
        pos = (tn - self.t0) / self.step
        i = np.clip(pos.astype(np.int64), 1, self.points.shape[0] - 3)
        w = (pos - i).astype(np.float32)[:, None, None, None]
        p0, p1, p2, p3 = (self.points[i + d] for d in (-1, 0, 1, 2))
        return p1 + 0.5 * w * ((p2 - p0) + w * ((2 * p0 - 5 * p1 + 4 * p2 - p3) + w * (3 * (p1 - p2) + p3 - p0)))


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
    _tables: dict[int | None, TimeTable] = field(default_factory=dict, init=False, repr=False)
    _recent: dict[tuple[int | None, bytes], np.ndarray] = field(default_factory=dict, init=False, repr=False)
    _side: float = field(default=1.0, init=False, repr=False)

    def __post_init__(self) -> None:
        # float32 copies for inference (stored weights are float32 already).
        self._tmpl32 = [_f32(net) for net in self.template_nets]
        self._rel32 = _f32(self.relational)
        self._gen32 = _f32(self.generative)
        self._centre32 = np.asarray(self.centre, np.float32)
        # Which way "outside the traces" is, fixed per model so a petal's offset never
        # flips with time or with the other petals in a batch: toward the last template.
        if self.context_dims == 1:
            traces = self._exact_points(self._tn(self.times), self._morph_grid(None))[..., 2]
            self._side = float(np.sign(np.mean(traces[:, -1] - traces[:, 0])) or 1.0)

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
    def _tn(self, time: Any) -> np.ndarray:
        return unit_index(time, self.times)

    def _morph_grid(self, rows: int | None) -> np.ndarray:
        """Normalised morphology coordinates of the output rows."""
        if rows is None:
            return unit_index(self.morphs, self.morphs)
        if isinstance(rows, bool) or not isinstance(rows, (int, np.integer)):
            raise GRCError(f"rows must be an integer, got {rows!r}")
        if not 2 <= rows <= MAX_ROWS:
            raise GRCError(f"rows must be between 2 and {MAX_ROWS}, got {rows}")
        return _dense_rows(int(rows))

    def _denormalise(self, rows_n: np.ndarray) -> np.ndarray:
        grid = grid_layout(rows_n, self.n_cols)
        return grid * np.float32(self.scale) + self._centre32

    # ---- relational points and traces -------------------------------------------------------
    def _exact_points(self, tn: np.ndarray, mn: np.ndarray) -> np.ndarray:
        """Each template's own rows in relational space: tn (N,), mn (M,) -> (N, K, M, 2 + d)."""
        tt, mm = np.broadcast_arrays(tn[:, None], mn[None, :])
        rel_in = np.stack([tt, mm], axis=-1).astype(np.float32)             # (N, M, 2)
        out = np.empty((tn.shape[0], self.n_templates, mn.shape[0], 2 + self.context_dims), np.float32)
        for k, net in enumerate(self._tmpl32):
            out[:, k] = forward(self._rel32, forward(net, rel_in))
        return out

    def _table(self, rows: int | None) -> TimeTable:
        table = self._tables.get(rows)
        if table is None:
            t0, t1 = -1.0 - 2.0 * TABLE_MARGIN, 1.0 + 2.0 * TABLE_MARGIN
            grid = np.linspace(t0, t1, TABLE_STEPS + 1)
            table = TimeTable(t0, (t1 - t0) / TABLE_STEPS, self._exact_points(grid, self._morph_grid(rows)))
            self._tables[rows] = table
        return table

    def _points(self, tn: np.ndarray, rows: int | None) -> np.ndarray:
        """Relational points (N, K, M, 2 + d). A single petal (the slider) is computed
        exactly; a batch (a flower on playback) reads the time table inside its range."""
        if tn.shape[0] >= TABLE_MIN_BATCH:
            table = self._table(rows)
            if table.covers(tn):
                return table.at(tn)
            return self._exact_points(tn, self._morph_grid(rows))
        # Dragging the slider changes alpha, not time: keep the last few exact passes.
        key = (rows, tn.tobytes())
        points = self._recent.get(key)
        if points is None:
            if len(self._recent) >= 64:
                self._recent.clear()
            points = self._recent[key] = self._exact_points(tn, self._morph_grid(rows))
        return points

    def context_traces(self, times: Sequence[float] | np.ndarray | None = None,
                       rows: int | None = None) -> np.ndarray:
        """(K, T, R) context of each template's rows (1-D context), (K, T, R, 2) for 2-D."""
        t = self.times if times is None else np.asarray(times, dtype=np.float64).reshape(-1)
        traces = np.swapaxes(self._exact_points(self._tn(t), self._morph_grid(rows))[..., 2:], 0, 1)
        return traces[..., 0].astype(np.float64) if self.context_dims == 1 else traces.astype(np.float64)

    # ---- the context path -------------------------------------------------------------------
    def _blend(self, points: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        """The path between the templates' relational points, row by row.

        points (N, K, M, 2 + d), alpha (N, d) -> (N, M, 2 + d)."""
        k = self.n_templates
        n = np.arange(points.shape[0])
        if self.context_dims == 1:
            a = alpha[:, 0]
            # Walk the ordered traces: segment i joins template i and i+1; the end
            # segments extend past 0 and K-1, which is how alpha extrapolates.
            i = np.clip(np.floor(a), 0, k - 2).astype(np.int64)
            f = (a - i).astype(np.float32)[:, None, None]
            lo = points[n, i]
            return lo + f * (points[n, i + 1] - lo)
        # 2-D: an affine map per row that sends each template's pad point to its relational
        # point (exact for K = 3, least squares otherwise); the pad point picks the blend.
        # The weights always sum to 1 (the heavily weighted last column): with K = 2 the pad
        # point is projected onto the line through the two templates.
        basis = np.hstack([context_targets(k, 2), np.full((k, 1), _AFFINE_WEIGHT)])   # (K, 3)
        query = np.column_stack([alpha, np.full(len(alpha), _AFFINE_WEIGHT)])
        coef = query @ np.linalg.pinv(basis)                                           # (N, K)
        return np.einsum("nk,nkmd->nmd", coef.astype(np.float32), points)

    def _offset_path(self, path: np.ndarray, points: np.ndarray, mn: np.ndarray,
                     offset: np.ndarray) -> np.ndarray:
        """Move each path point by `offset` along the trace normal, away from the templates.

        1-D: the context path is a curve c(m) in the (morph, context) plane; its unit normal
        (-c'(m), 1)/|.| is oriented toward the last template, so a positive offset leaves
        the traces beyond it (seed figure 8). 2-D: along the direction from the templates'
        mean context to the path point. path (N, M, 2 + d), points (N, K, M, 2 + d)."""
        if not np.any(offset):
            return path
        out = path.copy()
        off = offset.astype(np.float32)[:, None]
        if self.context_dims == 1:
            c = path[..., 2]
            slope = np.gradient(c, mn.astype(np.float32), axis=1)
            norm = np.sqrt(1.0 + slope ** 2)
            out[..., 1] -= self._side * off * slope / norm
            out[..., 2] += self._side * off / norm
            return out
        d = path[..., 2:] - points[..., 2:].mean(axis=1)
        length = np.linalg.norm(d, axis=-1, keepdims=True)
        direction = np.where(length > 1e-9, d / np.maximum(length, 1e-12), np.array([1.0, 0.0], np.float32))
        out[..., 2:] += off[..., None] * direction
        return out

    # ---- generation ---------------------------------------------------------------------
    def _alphas(self, alphas: Any, n: int) -> np.ndarray:
        a = np.asarray(alphas, dtype=np.float64)
        if self.context_dims == 1 and a.size == n:
            a = a.reshape(n, 1)
        if a.shape != (n, self.context_dims):
            raise GRCError(f"alpha must give {self.context_dims} value(s) per petal, got shape {a.shape}")
        if not np.all(np.isfinite(a)) or np.any(np.abs(a) > MAX_ABS_INPUT):
            raise GRCError(f"alpha must be finite and within +-{MAX_ABS_INPUT:g}")
        return a

    def _path(self, t: np.ndarray, a: np.ndarray, off: np.ndarray, rows: int | None) -> np.ndarray:
        points = self._points(self._tn(t), rows)
        return self._offset_path(self._blend(points, a), points, self._morph_grid(rows), off)

    def context_path(self, time: float, alpha: Any, offset: float = 0.0,
                     rows: int | None = None) -> np.ndarray:
        """The context values generate() feeds the generative model, (rows, dims)."""
        t = np.array([_finite_scalar(time, "time")])
        off = np.array([_finite_scalar(offset, "offset")])
        return self._path(t, self._alphas([alpha], 1), off, rows)[0, :, 2:].astype(np.float64)

    def generate_many(self, times: Any, alphas: Any, offsets: Any = None,
                      rows: int | None = None) -> np.ndarray:
        """N petals sharing this model in one numpy pass -> (N, rows, C, 3) float32."""
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
        out = self._denormalise(forward(self._gen32, self._path(t, a, off, rows)))
        # Far outside the training range ELU nets stay finite but can grow large; clip
        # to a generous box so Blender never receives inf or NaN.
        if not np.isfinite(out).all():
            np.nan_to_num(out, copy=False, nan=0.0)
        return np.clip(out, -1e6, 1e6, out=out)

    def generate(self, time: float, alpha: Any, offset: float = 0.0,
                 rows: int | None = None) -> np.ndarray:
        """One petal at `time` with context `alpha` (+ `offset`) -> (rows or R, C, 3) float32."""
        t = _finite_scalar(time, "time")
        off = _finite_scalar(offset, "offset")
        return self.generate_many([t], [alpha], [off], rows)[0]

    # ---- storage (see store.py) -----------------------------------------------------------
    def to_bytes(self) -> bytes:
        from .store import model_to_bytes
        return model_to_bytes(self)

    def save(self, path: str) -> None:
        from .store import save_model
        save_model(self, path)
