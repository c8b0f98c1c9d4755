"""The context dimension's one home: what a 1-D or 2-D context means everywhere in model_core.

A `Context` answers every question that depends on the number of context dimensions: the
weak training targets, the slider value(s) that reproduce template k, how the slider blends
the templates' relational points, which way an offset moves, how traces are shaped, and the
names of a petal's slider fields. `context_for(dims, k)` is the only place that refuses an
unsupported number of dimensions; nothing else in model_core compares `dims` to 1 or 2.

Adding a dimension means adding a Context subclass here and an entry in `_KINDS`.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from .errors import GRCError
from .geometry import hull_distance
from .limits import MAX_ABS_INPUT

AUTO = 0                 # TrainConfig.context_dims: choose from the number of templates
_AFFINE_WEIGHT = 1e3     # 2-D blend: how strongly the weights are held to sum to 1


def resolve_dims(requested: int, n_templates: int) -> int:
    """AUTO -> 1 for two templates, 2 for three or more; 1 or 2 as asked (1 = "in a row")."""
    if requested == AUTO:
        return 1 if n_templates <= 2 else 2
    return check_dims(requested)


def check_dims(dims: Any) -> int:
    if isinstance(dims, bool) or not isinstance(dims, (int, np.integer)) or int(dims) not in _KINDS:
        raise GRCError(f"context_dims must be one of {sorted(_KINDS)} (or {AUTO} = auto), got {dims!r}")
    return int(dims)


class Context:
    """Shared by every kind: the parts that do not depend on the dimension."""
    dims: int = 0
    slider_fields: tuple[str, ...] = ()    # the per-petal properties holding the slider values
    view: str = ""                          # how the trace image draws it ("traces" or "pad")

    def __init__(self, n_templates: int) -> None:
        self.k = int(n_templates)

    def targets(self) -> np.ndarray:
        """The weak context target of each template, (K, dims)."""
        raise NotImplementedError

    def template_context(self, k: int) -> tuple[float, ...]:
        """The slider value(s) at which generate() reproduces template k."""
        if not 0 <= int(k) < self.k:
            raise GRCError(f"template index must be in 0..{self.k - 1}, got {k!r}")
        return tuple(float(v) for v in self._slider_of(int(k)))

    def _slider_of(self, k: int) -> np.ndarray:
        raise NotImplementedError

    def alphas(self, values: Any, n: int) -> np.ndarray:
        """Validated slider values for n petals, (n, dims)."""
        a = self._shaped(np.asarray(values, dtype=np.float64), n)
        if a.shape != (n, self.dims):
            raise GRCError(f"alpha must give {self.dims} value(s) per petal, got shape {a.shape}")
        if not np.all(np.isfinite(a)) or np.any(np.abs(a) > MAX_ABS_INPUT):
            raise GRCError(f"alpha must be finite and within +-{MAX_ABS_INPUT:g}")
        return a

    def _shaped(self, a: np.ndarray, n: int) -> np.ndarray:
        return a

    def weights(self, alpha: np.ndarray) -> np.ndarray:
        """Blend weights of the K templates for each slider value, (N, K); rows sum to 1."""
        raise NotImplementedError

    def blend(self, points: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        """The path between the templates' relational points, row by row:
        points (N, K, M, 2 + d), alpha (N, d) -> (N, M, 2 + d)."""
        return np.einsum("nk,nkmd->nmd", self.weights(alpha).astype(np.float32), points)

    def offset(self, path: np.ndarray, points: np.ndarray, mn: np.ndarray, offset: np.ndarray,
               side: float, spread: float) -> np.ndarray:
        raise NotImplementedError

    def trace_values(self, traces: np.ndarray) -> np.ndarray:
        """(..., d) context values -> the documented trace shape ((...) for 1-D)."""
        return traces

    def excess_per_row(self, traces_t: np.ndarray, path: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(how far each path row lies outside the templates' traces at that row, the
        templates' spread at that row). traces_t (K, R[, d]), path (R[, d])."""
        raise NotImplementedError


class Context1D(Context):
    """One slider: alpha = k is template k; between, the traces are walked row by row."""
    dims = 1
    slider_fields = ("context",)
    view = "traces"

    def targets(self) -> np.ndarray:
        return (np.arange(self.k, dtype=np.float64) / (self.k - 1))[:, None]

    def _slider_of(self, k: int) -> np.ndarray:
        return np.array([float(k)])

    def _shaped(self, a: np.ndarray, n: int) -> np.ndarray:
        return a.reshape(n, 1) if a.size == n else a   # one plain number per petal

    def weights(self, alpha: np.ndarray) -> np.ndarray:
        # Segment i joins template i and i+1; the end segments extend past 0 and K-1,
        # which is how alpha extrapolates.
        a = alpha[:, 0]
        i = np.clip(np.floor(a), 0, self.k - 2).astype(np.int64)
        f = a - i
        w = np.zeros((a.shape[0], self.k))
        rows = np.arange(a.shape[0])
        w[rows, i] = 1.0 - f
        w[rows, i + 1] += f
        return w

    def blend(self, points: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        # Two templates per petal: cheaper than the dense einsum, same values.
        a = alpha[:, 0]
        n = np.arange(points.shape[0])
        i = np.clip(np.floor(a), 0, self.k - 2).astype(np.int64)
        f = (a - i).astype(np.float32)[:, None, None]
        lo = points[n, i]
        return lo + f * (points[n, i + 1] - lo)

    def offset(self, path: np.ndarray, points: np.ndarray, mn: np.ndarray, offset: np.ndarray,
               side: float, spread: float) -> np.ndarray:
        """Along the normal of the path curve c(m) in the (morph, context) plane, toward the
        last template's side of the first, decided per row: where the traces cross, the side
        turns with them, so a positive offset keeps moving beyond the last template. The turn
        is smooth (over 5% of the traces' spread) so the petal never tears at a crossing;
        where all traces coincide the model's overall side (`side`) breaks the tie."""
        out = path.copy()
        off = offset.astype(np.float32)[:, None]
        gap = points[:, -1, :, 2] - points[:, 0, :, 2]                      # (N, M)
        eps = np.float32(max(0.05 * spread, 1e-9))
        row_side = np.tanh(gap / eps + np.float32(side))
        c = path[..., 2]
        slope = np.gradient(c, mn.astype(np.float32), axis=1)
        norm = np.sqrt(1.0 + slope ** 2)
        out[..., 1] -= row_side * off * slope / norm
        out[..., 2] += row_side * off / norm
        return out

    def trace_values(self, traces: np.ndarray) -> np.ndarray:
        return traces[..., 0]

    def excess_per_row(self, traces_t: np.ndarray, path: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = traces_t.min(axis=0), traces_t.max(axis=0)
        return np.maximum(np.maximum(lo - path, path - hi), 0.0), hi - lo


class Context2D(Context):
    """A pad: template k sits at targets()[k] on a circle; the pad point picks the blend."""
    dims = 2
    slider_fields = ("context", "context_b")
    view = "pad"

    def targets(self) -> np.ndarray:
        angle = 2.0 * np.pi * np.arange(self.k, dtype=np.float64) / self.k
        return np.stack([0.5 + 0.5 * np.cos(angle), 0.5 + 0.5 * np.sin(angle)], axis=1)

    def _slider_of(self, k: int) -> np.ndarray:
        return self.targets()[k]

    def weights(self, alpha: np.ndarray) -> np.ndarray:
        # An affine map per row (exact for K <= 3; with K = 2 the pad point is projected onto
        # the line through the two pads), plus, for K >= 4, a Gaussian correction that makes
        # it exact at every pad too. The correction's weights sum to 0, so the blend's still
        # sum to 1, and it fades away from the pads into the affine extrapolation.
        pinv, corr, sigma = _pad_solution(self.k)
        query = np.column_stack([alpha, np.full(len(alpha), _AFFINE_WEIGHT)])
        w = query @ pinv
        if corr is not None:
            w += _gauss(alpha, self.targets(), sigma) @ corr
        return w / w.sum(axis=1, keepdims=True)   # within 1e-5 of 1 already: make it exact

    def offset(self, path: np.ndarray, points: np.ndarray, mn: np.ndarray, offset: np.ndarray,
               side: float, spread: float) -> np.ndarray:
        """Per row, away from the templates' mean context (the pad's centre) at that row."""
        out = path.copy()
        off = offset.astype(np.float32)[:, None]
        d = path[..., 2:] - points[..., 2:].mean(axis=1)
        length = np.linalg.norm(d, axis=-1, keepdims=True)
        direction = np.where(length > 1e-9, d / np.maximum(length, 1e-12), np.array([1.0, 0.0], np.float32))
        out[..., 2:] += off[..., None] * direction
        return out


    def excess_per_row(self, traces_t: np.ndarray, path: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distance outside the convex hull of the templates' points at each row."""
        diff = traces_t[:, None] - traces_t[None, :]                         # (K, K, R, 2)
        spread = np.sqrt((diff ** 2).sum(-1)).max(axis=(0, 1))
        if traces_t.shape[0] == 2:   # the hull is a segment: vectorised over rows
            a, d = traces_t[0], traces_t[1] - traces_t[0]
            l2 = (d ** 2).sum(-1)
            u = np.clip(((path - a) * d).sum(-1) / np.where(l2 > 0, l2, 1.0), 0.0, 1.0)
            return np.linalg.norm(path - (a + u[:, None] * d), axis=-1), spread
        dist = np.array([hull_distance(traces_t[:, m], path[m]) for m in range(path.shape[0])])
        return dist, spread


def _gauss(p: np.ndarray, centres: np.ndarray, sigma: float) -> np.ndarray:
    d2 = ((p[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
    return np.exp(-d2 / (sigma * sigma))


@lru_cache(maxsize=None)
def _pad_solution(k: int) -> tuple[np.ndarray, np.ndarray | None, float]:
    pads = Context2D(k).targets()
    basis = np.hstack([pads, np.full((k, 1), _AFFINE_WEIGHT)])
    pinv = np.linalg.pinv(basis)                                   # (3, K)
    sigma = float(np.sin(np.pi / k)) if k > 2 else 1.0              # neighbouring pads' distance
    residual = np.eye(k) - basis @ pinv                            # (K, K), rows sum to 0
    if np.abs(residual).max() < 1e-9:
        return pinv, None, sigma
    corr = np.linalg.solve(_gauss(pads, pads, sigma), residual)
    return pinv, corr, sigma


_KINDS: dict[int, type[Context]] = {1: Context1D, 2: Context2D}


def context_for(dims: Any, n_templates: int) -> Context:
    """The Context of `dims` dimensions for K templates (GRCError for unsupported dims)."""
    return _KINDS[check_dims(dims)](n_templates)


def context_targets(n_templates: int, context_dims: int) -> np.ndarray:
    """The weak context target of each template, (K, dims) (see Context.targets)."""
    return context_for(context_dims, n_templates).targets()


def supported_dims() -> tuple[int, ...]:
    return tuple(sorted(_KINDS))


def slider_fields(dims: Any) -> tuple[str, ...]:
    """The per-petal properties holding the slider values of a `dims`-D context."""
    return _KINDS[check_dims(dims)].slider_fields


# Every slider field any kind uses, in order: the Blender side makes one property of each.
ALL_SLIDER_FIELDS: tuple[str, ...] = tuple(dict.fromkeys(
    f for dims in sorted(_KINDS) for f in _KINDS[dims].slider_fields))
