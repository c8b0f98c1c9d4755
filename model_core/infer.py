"""Inference in numpy only: context traces, context paths, generate().

Importing this module never imports torch. A GRCModel holds the template models, the
relational model and the generative model as float arrays, plus the normalisation that
maps scene coordinates to the networks' order-1 space and back.

Relational-map units: the networks see time and morphology mapped to [-1, 1] over the
captured range (`unit_index`), so `times`/`morphs` may be in any increasing units.
(Centred inputs train in fewer steps than the seed's [0, 1]: docs/model.md.)

How a petal is generated (seed figures 5-8): the template models give each template's
row at (time, morph); the relational model maps it to a relational point (time', morph',
context...) whose context part is the template's trace. The slider walks between the
templates' relational points row by row (model.context: 1-D, alpha k is template k; 2-D, a
pad point), `offset` moves the path along the trace normal (its side chosen per row), and
the generative model decodes the result. At template_context(k) this is exactly
gen(rel(x_k)), the reconstruction training optimised.

Speed: the template and relational passes depend only on (time, rows), not on the slider,
so they are tabulated once per row count over a fine time grid and interpolated
(`TimeTable`, Catmull-Rom: one gather and one batched product); only the generative pass
runs per petal. The output scale and the seed's row layout (C X-values, C Y-values, C
Z-values) are folded into the generative model's last layer at load (`_fold_output`), so
its output is the petal's (C, 3) vertices around the model's centre in scene units.
The networks run in float32; the centre is added after, in float64 by default, so a
model placed far from the origin (centre 1e5 x its size) keeps the precision of one
placed at it (float32 there rounds vertices by ~1 % of the petal). Mesh writers ask for
float32, a mesh's own precision, and skip the conversion.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Sequence

import numpy as np

from .context import Context, context_for, context_targets
from .errors import GRCError
from .limits import MAX_ABS_INPUT, MAX_BATCH, MAX_ROWS
from .nets import Layers, forward
from .templates import grid_layout

_CATMULL_ROM = 0.5 * np.array([[0.0, -1.0, 2.0, -1.0],      # p(w) = sum_j p_j * (B @ (1, w, w^2, w^3))_j
                               [2.0, 0.0, -5.0, 3.0],
                               [0.0, 1.0, 4.0, -3.0],
                               [0.0, 0.0, -1.0, 1.0]])

TABLE_STEPS = 512       # time-table intervals across the captured range ...
TABLE_MARGIN = 0.5      # ... extended by half the range on each side
TABLE_MIN_BATCH = 8     # petals in one call before the table pays for itself
CLIP = 1e6              # generated coordinates are clipped to the model's centre +-CLIP (scene units)

__all__ = ["GRCModel", "TimeTable", "context_targets", "unit_index", "relational_grid", "MAX_ROWS", "MAX_BATCH",
           "MAX_ABS_INPUT"]


def unit_index(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Map relational index values onto the networks' [-1, 1] (first index -> -1, last -> 1)."""
    return 2.0 * (np.asarray(values, dtype=np.float64) - index[0]) / (index[-1] - index[0]) - 1.0


def relational_grid(times: Any, morphs: Any, index_times: np.ndarray, index_morphs: np.ndarray) -> np.ndarray:
    """The relational map's inputs at every (time, morph) pair, (len(times), len(morphs), 2):
    each on the networks' [-1, 1] over its captured index (unit_index)."""
    grid = np.meshgrid(unit_index(times, index_times), unit_index(morphs, index_morphs), indexing="ij")
    return np.stack(grid, axis=-1)


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


def _fold_output(layers: Layers, scale: float, cols: int) -> Layers:
    """The generative model with its output in scene units around the centre and in vertex
    order: the last layer's columns permuted from the row layout (x0..xC, y0..yC, z0..zC)
    to x0 y0 z0 x1 .. and scaled (in float64, then stored float32)."""
    order = (np.arange(3)[None, :] * cols + np.arange(cols)[:, None]).ravel()   # vertex c, axis j
    w, b = layers[-1]
    w = np.asarray(w, np.float64)[:, order] * scale
    b = np.asarray(b, np.float64)[order] * scale
    return _f32([*layers[:-1], (w, b)])


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
        """Catmull-Rom through the four samples around each time: one gather of (N, 4)
        rows of the flattened table, one batched (N, 1, 4) @ (N, 4, X) product."""
        pos = (tn - self.t0) / self.step
        i = np.clip(pos.astype(np.int64), 1, self.points.shape[0] - 3)
        w = pos - i
        basis = (np.stack([np.ones_like(w), w, w * w, w * w * w], axis=-1) @ _CATMULL_ROM.T).astype(np.float32)
        flat = self.points.reshape(self.points.shape[0], -1)
        rows = flat[(i[:, None] + np.arange(-1, 3)).ravel()].reshape(len(tn), 4, -1)
        return (basis[:, None, :] @ rows).reshape(len(tn), *self.points.shape[1:])


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
    _spread: float = field(default=0.0, init=False, repr=False)

    def __post_init__(self) -> None:
        self.context: Context = context_for(self.context_dims, len(self.template_nets))
        # float32 copies for inference (stored weights are float32 already).
        self._tmpl32 = [_f32(net) for net in self.template_nets]
        self._rel32 = _f32(self.relational)
        self._gen_out32 = _fold_output(self.generative, float(self.scale), self.n_cols)
        tiled = np.tile(np.asarray(self.centre, np.float64).reshape(3), self.n_cols)
        self._centres = {np.dtype(d): tiled.astype(d) for d in (np.float32, np.float64)}
        # The offset's side is decided per row (Context.offset); where every trace
        # coincides this model-wide side, toward the last template, breaks the tie, and
        # `_spread` (the widest gap between first and last trace) sets how sharply it turns.
        traces = self._exact_points(self._tn(self.times), self._morph_grid(None))[..., 2:]
        gap = traces[:, -1] - traces[:, 0]
        self._side = float(np.sign(np.mean(gap[..., 0])) or 1.0)
        self._spread = float(np.abs(gap).max())

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

    def template_shapes(self, k: int, times: Any, morphs: Any = None) -> np.ndarray:
        """Template model k alone (no relational or generative pass) at every time x morph
        (the captured morphs for None) -> (T, M, C, 3) float64, scene units: the shapes the
        model learned its pool from, between keyframes included."""
        rel = relational_grid(times, self.morphs if morphs is None else morphs, self.times, self.morphs)
        return grid_layout(forward(self.template_nets[k], rel), self.n_cols) * self.scale + self.centre

    def template_context(self, k: int) -> tuple[float, ...]:
        """The slider value(s) (one per context dimension) at which generate() gives template k."""
        return self.context.template_context(k)

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

    def _decode(self, points: np.ndarray, dtype: Any) -> np.ndarray:
        """Relational points (..., M, 2 + d) -> petals (..., M, C, 3) in scene units: the
        float32 product around the centre, then the centre added in `dtype`."""
        out = forward(self._gen_out32, points)
        # Far outside the training range ELU nets stay finite but can grow large; clip
        # to a generous box so Blender never receives inf or NaN. min/max see a NaN too
        # (it fails both comparisons), and in the usual case nothing needs clipping.
        if not (-CLIP <= float(out.min()) and float(out.max()) <= CLIP):
            np.nan_to_num(out, copy=False, nan=0.0)
            np.clip(out, -CLIP, CLIP, out=out)
        out = out.astype(dtype, copy=False)
        out += self._centres[dtype]                    # tiled (C * 3,): one add per row
        return out.reshape(*out.shape[:-1], self.n_cols, 3)

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
        return self.context.trace_values(traces).astype(np.float64)

    # ---- the context path -------------------------------------------------------------------
    def _alphas(self, alphas: Any, n: int) -> np.ndarray:
        return self.context.alphas(alphas, n)

    def _path(self, t: np.ndarray, a: np.ndarray, off: np.ndarray, rows: int | None) -> np.ndarray:
        points = self._points(self._tn(t), rows)
        path = self.context.blend(points, a)
        if not np.any(off):
            return path
        return self.context.offset(path, points, self._morph_grid(rows), off, self._side, self._spread)

    def context_path(self, time: float, alpha: Any, offset: float = 0.0,
                     rows: int | None = None) -> np.ndarray:
        """The context values generate() feeds the generative model, (rows, dims)."""
        t = np.array([_finite_scalar(time, "time")])
        off = np.array([_finite_scalar(offset, "offset")])
        return self._path(t, self._alphas([alpha], 1), off, rows)[0, :, 2:].astype(np.float64)

    def generate_many(self, times: Any, alphas: Any, offsets: Any = None,
                      rows: int | None = None, dtype: Any = np.float64) -> np.ndarray:
        """N petals sharing this model in one numpy pass -> (N, rows, C, 3) in `dtype`.
        float64 keeps a far-placed model's precision; float32 (a mesh's own precision)
        skips the conversion, for callers that write meshes."""
        if np.dtype(dtype) not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise GRCError(f"dtype must be float32 or float64, got {dtype!r}")
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
        return self._decode(self._path(t, a, off, rows), np.dtype(dtype))

    def generate(self, time: float, alpha: Any, offset: float = 0.0,
                 rows: int | None = None, dtype: Any = np.float64) -> np.ndarray:
        """One petal at `time` with context `alpha` (+ `offset`) -> (rows or R, C, 3) in `dtype`."""
        t = _finite_scalar(time, "time")
        off = _finite_scalar(offset, "offset")
        return self.generate_many([t], [alpha], [off], rows, dtype)[0]
