"""Closed-form refits of a network's output layer (numpy, float64; no torch).

Adam leaves the last linear layer of each network short of its least-squares optimum for
the features the hidden layers already compute. With those features fixed, the best last
layer is a (weighted) ridge regression, solved exactly here:

    minimise  sum_i w_i |h_i W + b - y_i|^2  +  ridge * s * |W|^2

h_i the last hidden layer's output for input i, y_i its target, s the features' mean
variance (so `ridge` is unit-free), the bias unregularised (the features are centred first).
The solve runs in float64 whatever the training dtype. A refit is kept only when it lowers
the weighted squared error it solves; otherwise the layer is returned unchanged, so a refit
never raises the loss (tested). Both trainers call these (torch_nets.py and np_trainer.py).

The generative model's refit aims at the reconstruction target itself (limits.TARGET_*:
the worst keyframe's mean vertex error and the worst vertex, each in % of its keyframe's
diagonal), not at the mean squared error: after the plain solve it re-weights the captured
rows toward the keyframes and rows that bind the target and solves again, a few rounds
(iteratively re-weighted least squares for a minimax). It also holds the shapes halfway
between keyframes and rows (the spline through the captured shapes, at the target's own
tolerance) and prefers the most pool weight that still meets the stop, so the shapes
between keyframes stay close too;
where nothing meets it, it keeps the layer that scores best at the keyframes, the one it
started from included (`refit_to_target`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..limits import TARGET_MAX_PCT, TARGET_MEAN_PCT
from ..nets import Layers, forward


def features(layers: Layers, x: np.ndarray) -> np.ndarray:
    """The last hidden layer's output (ELU applied), float64: x (N, n_in) -> (N, h)."""
    hidden = [(np.asarray(w, np.float64), np.asarray(b, np.float64)) for w, b in layers[:-1]]
    h = forward(hidden, np.asarray(x, np.float64))
    neg = np.minimum(h, 0.0)      # forward() leaves its last layer linear: apply the ELU here
    return np.maximum(h, 0.0) + np.expm1(neg)


def weighted_sse(h: np.ndarray, y: np.ndarray, w: np.ndarray, b: np.ndarray,
                 weights: np.ndarray | None = None) -> float:
    """sum_i weights_i |h_i w + b - y_i|^2 in float64."""
    r = h @ np.asarray(w, np.float64) + np.asarray(b, np.float64) - y
    per_row = np.einsum("ij,ij->i", r, r)
    return float(per_row.sum() if weights is None else per_row @ weights)


def _sums(h: np.ndarray, y: np.ndarray, wts: np.ndarray) -> list[np.ndarray]:
    """The weighted sums a ridge solve needs: [sum w, sum w h, sum w y, sum w h h^T, sum w h y^T].
    The Gram matrix is one symmetric product of the rows scaled by sqrt(w) (BLAS syrk: half
    the work of the general product, the refit's largest cost once the fixed units double
    its features)."""
    root = np.sqrt(wts)[:, None]
    hr = h * root
    return [np.asarray(wts.sum()), wts @ h, wts @ y, hr.T @ hr, hr.T @ (y * root)]


def _solve(sums: list[np.ndarray], ridge: float) -> tuple[np.ndarray, np.ndarray]:
    """The ridge solution from _sums (of features and targets shifted near their means, so
    the centred Gram matrix keeps its precision), bias unregularised."""
    total, sh, sy, shh, shy = sums
    h_mean, y_mean = sh / total, sy / total
    gram = shh / total - np.outer(h_mean, h_mean)
    rhs = shy / total - np.outer(h_mean, y_mean)
    scale = max(float(np.trace(gram)) / gram.shape[0], 1e-300)
    gram[np.diag_indices_from(gram)] += ridge * scale
    try:
        w = np.linalg.solve(gram, rhs)
    except np.linalg.LinAlgError:   # ridge 0 on rank-deficient features
        w = np.linalg.lstsq(gram, rhs, rcond=None)[0]
    return w, y_mean - h_mean @ w


def ridge_fit(h: np.ndarray, y: np.ndarray, ridge: float,
              weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The weighted ridge solution (W (h, out), b (out,)) of y ~ h W + b, float64."""
    h = np.asarray(h, np.float64)
    y = np.asarray(y, np.float64)
    wts = np.ones(h.shape[0]) if weights is None else np.asarray(weights, np.float64)
    h_shift, y_shift = h.mean(axis=0), y.mean(axis=0)
    w, b = _solve(_sums(h - h_shift, y - y_shift, wts), ridge)
    return w, b + y_shift - h_shift @ w


def refit_last(layers: Layers, x: np.ndarray, y: np.ndarray, ridge: float,
               weights: np.ndarray | None = None, h: np.ndarray | None = None
               ) -> tuple[tuple[np.ndarray, np.ndarray], bool]:
    """(the refitted last layer, whether it was kept): the ridge solution if it lowers the
    weighted squared error on (x, y), else the layer as it was. `h`: features(layers, x)
    when the caller has them already."""
    h = features(layers, x) if h is None else h
    y = np.asarray(y, np.float64)
    old_w, old_b = layers[-1]
    new_w, new_b = ridge_fit(h, y, ridge, weights)
    if not (np.isfinite(new_w).all() and np.isfinite(new_b).all()):
        return (old_w, old_b), False
    if weighted_sse(h, y, new_w, new_b, weights) < weighted_sse(h, y, old_w, old_b, weights):
        return (new_w, new_b), True
    return (old_w, old_b), False


@dataclass(frozen=True)
class RefitRows:
    """The generative refit's data. The first A rows are the held ones: the captured rows,
    in the order (template, keyframe, row), fitted to the exact captured shapes, then
    `n_between` rows between keyframes or between rows (train_common.between_rows), fitted
    to the spline through the captured shapes there; the rest are pool rows fitted to
    themselves (what loss_G asks)."""
    x: np.ndarray          # (N, 3C) rows the relational model reads, float64
    y: np.ndarray          # (N, 3C) their targets
    w: np.ndarray          # (N,) base weights: the pool rows together weigh pool_weight x the held rows
    keyframe: np.ndarray   # (A,) index of each held row's shape: template * T + keyframe, then the midpoints'
    unit: np.ndarray       # 1 % of each shape's diagonal, in the rows' units (a midpoint's x its slack)
    n_between: int = 0     # held rows between keyframes (the last of the A)

    @property
    def n_captured(self) -> int:
        return int(self.keyframe.shape[0])

    @property
    def n_keyframe_units(self) -> int:
        """How many of `unit` belong to keyframes (the rest to the rows between them)."""
        a = self.n_captured - self.n_between
        return int(self.keyframe[:a].max()) + 1 if a else 0

    def select_keyframes(self, arr: np.ndarray) -> np.ndarray:
        """`arr`'s rows (aligned with x) without the rows between keyframes."""
        a = self.n_captured - self.n_between
        return np.concatenate([arr[:a], arr[self.n_captured:]]) if self.n_between else arr

    def keyframes_only(self) -> "RefitRows":
        """The same data without the rows between keyframes (the pool keeps its weight
        relative to the held rows)."""
        if not self.n_between:
            return self
        a = self.n_captured - self.n_between
        w = self.select_keyframes(self.w)
        w[a:] *= a / self.n_captured
        return RefitRows(self.select_keyframes(self.x), self.select_keyframes(self.y), w,
                         self.keyframe[:a], self.unit[:self.n_keyframe_units])

    def relaxed(self, slack: float) -> "RefitRows":
        """The same data with the rows between keyframes held `slack` x more loosely."""
        if not self.n_between or slack == 1.0:
            return self
        unit = self.unit.copy()
        unit[self.n_keyframe_units:] *= slack
        return RefitRows(self.x, self.y, self.w, self.keyframe, unit, self.n_between)


def generative_rows(pool_x: np.ndarray, anchors: np.ndarray, exact: np.ndarray, pick: np.ndarray,
                    pool_weight: float, keyframe_units: np.ndarray,
                    between: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None) -> RefitRows:
    """The generative refit's data: the captured rows (`anchors` of the pool, the template
    models' rows at the captured points) with the exact shapes `exact` (A, 3C) as targets,
    then the pool rows `pick`. `keyframe_units` (K, T): 1 % of each keyframe's diagonal in
    the rows' units (the target's yardstick). `between`: (rows (N, 3C), their targets (N, 3C),
    units (G,), each row's group (N,)): the template models' rows between keyframes or
    between rows, held to the target like captured rows (with their own units)."""
    units = np.asarray(keyframe_units, np.float64).reshape(-1)
    keyframe = np.repeat(np.arange(units.size), len(anchors) // units.size)
    x_parts, y_parts = [pool_x[anchors]], [np.asarray(exact, np.float64)]
    if between is not None and len(between[0]):
        bx, by, bu, bg = between
        keyframe = np.concatenate([keyframe, units.size + np.asarray(bg, np.int64)])
        units = np.concatenate([units, bu])
        x_parts.append(bx)
        y_parts.append(by)
    n_cap = sum(len(p) for p in x_parts)
    x = np.concatenate([*x_parts, pool_x[pick]]).astype(np.float64)
    y = np.concatenate([*[np.asarray(p, np.float64) for p in y_parts], pool_x[pick].astype(np.float64)])
    w = np.concatenate([np.ones(n_cap), np.full(len(pick), pool_weight * n_cap / max(len(pick), 1))])
    return RefitRows(x, y, w, keyframe, units, n_cap - len(anchors))


def target_score(h: np.ndarray, rows: RefitRows, w: np.ndarray, b: np.ndarray
                 ) -> tuple[float, np.ndarray, np.ndarray]:
    """How a last layer (w, b) meets the target on the captured rows: (score, each
    keyframe's mean vertex error %, each row's worst vertex %). score = the larger of the
    worst keyframe mean / TARGET_MEAN_PCT and the worst vertex / TARGET_MAX_PCT (<= 1: met)."""
    a = rows.n_captured
    res = h[:a] @ w + b - rows.y[:a]                                     # (A, 3C): X.., Y.., Z..
    vertex = np.linalg.norm(res.reshape(a, 3, -1), axis=1) / rows.unit[rows.keyframe][:, None]
    counts = np.maximum(np.bincount(rows.keyframe, minlength=rows.unit.size), 1)
    key_mean = np.bincount(rows.keyframe, vertex.mean(axis=1), minlength=rows.unit.size) / counts
    row_max = vertex.max(axis=1)
    return max(key_mean.max() / TARGET_MEAN_PCT, row_max.max() / TARGET_MAX_PCT), key_mean, row_max


def refit_to_target(layers: Layers, h: np.ndarray, rows: RefitRows, ridge: float, rounds: int,
                    pool_scales: Sequence[float] = (1.0,), good: float = 0.0,
                    plans: Sequence[float] = (1.0, 0.0), give_up: float = np.inf
                    ) -> tuple[tuple[np.ndarray, np.ndarray], bool]:
    """(the generative model's refitted last layer, whether it replaced the old one).

    The weighted ridge solve on `rows`, then `rounds` more, each with the held rows'
    weights multiplied by how far their shape's mean or their worst vertex is from the
    target (whichever binds); the pool rows keep their weight. The pool's sums are taken
    once: a round costs a solve on the held rows only.

    Tried in turn until a layer scores `good` or less: `plans`, the slack the rows between
    keyframes are held at (x their own units; 0: the keyframes alone, where the rows
    between are left out), each at the pool weights `pool_scales` (decreasing: the pool
    holds the shapes between keyframes, so the most pool weight that meets the target gives
    the smoothest in-betweens). Without rows between, the captured rows are tried once. When none
    does, the layer with the best score at the keyframes wins, the old one included, so a
    refit never raises the keyframes' score of a layer that misses `good`. `give_up`: a
    score that, still reached after GIVE_UP_ROUND rounds, ends that pool weight's rounds (an
    early-stop check far from the stop learns all it needs from a few)."""
    h = np.asarray(h, np.float64)
    a, a_key = rows.n_captured, rows.n_captured - rows.n_between
    shifts = h.mean(axis=0), rows.y.mean(axis=0)
    hs, ys = h - shifts[0], rows.y - shifts[1]
    pool = _sums(hs[a:], ys[a:], rows.w[a:])        # once: both plans share the pool rows
    keyframes, h_key = rows.keyframes_only(), rows.select_keyframes(h)
    tries = []                                       # (rows, their h, held rows' count, the pool's share)
    for slack in (plans if rows.n_between else (1.0,)):
        if slack > 0.0:
            tries.append((rows.relaxed(slack), h, a, 1.0))
        else:
            tries.append((keyframes, h_key, a_key, a_key / a))
    candidates = [layers[-1]]
    for plan, hp, held, share in tries:
        for scale in pool_scales:
            layer, score = _rounds([p * (scale * share) for p in pool], hs[:held], ys[:held], shifts, plan, hp,
                                   ridge, rounds, give_up)
            if layer is None:
                continue
            if score <= good:
                return layer, True
            candidates.append(layer)
    scores = [target_score(h_key, keyframes, *layer)[0] for layer in candidates]
    best = int(np.argmin(scores))
    return candidates[best], best > 0


GIVE_UP_ROUND = 3   # the re-weighted rounds after which a score above `give_up` ends them


def _rounds(pool: list[np.ndarray], held_h: np.ndarray, held_y: np.ndarray,
            shifts: tuple[np.ndarray, np.ndarray], rows: RefitRows, h: np.ndarray, ridge: float, rounds: int,
            give_up: float = np.inf) -> tuple[tuple[np.ndarray, np.ndarray] | None, float]:
    """refit_to_target's re-weighted solves at one pool weight -> (the best-scoring layer,
    None if no solve was finite; its score). `pool`: the pool rows' sums; held_h, held_y:
    the held rows' features and targets less `shifts`; `h` the features unshifted."""
    a = rows.n_captured
    shift_h, shift_y = shifts
    best: tuple[np.ndarray, np.ndarray] | None = None
    best_score = np.inf
    wa = rows.w[:a].copy()
    for i in range(rounds + 1):
        if i > GIVE_UP_ROUND and best_score > give_up:
            break
        w, b = _solve([p + q for p, q in zip(pool, _sums(held_h, held_y, wa))], ridge)
        b = b + shift_y - shift_h @ w
        if not (np.isfinite(w).all() and np.isfinite(b).all()):
            break
        score, key_mean, row_max = target_score(h, rows, w, b)
        if score < best_score:
            best, best_score = (w, b), score
        need = np.maximum(key_mean[rows.keyframe] / TARGET_MEAN_PCT, row_max / TARGET_MAX_PCT)
        wa *= np.maximum(need, 1e-6)
        wa *= rows.w[:a].sum() / wa.sum()          # the held rows keep their total weight
    return best, best_score


def refit_generative_layers(layers: Layers, rel_out: np.ndarray, rows: RefitRows, ridge: float,
                            rounds: int, pool_scales: Sequence[float] = (1.0,), good: float = 0.0,
                            plans: Sequence[float] = (1.0, 0.0), give_up: float = np.inf) -> Layers | None:
    """The generative model's layers with the last one refitted to the target
    (refit_to_target) on `rel_out`, the relational model's output for `rows.x`; None when
    the layer it has scores better. Both trainers' refit."""
    last, kept = refit_to_target(layers, features(layers, rel_out), rows, ridge, rounds, pool_scales, good,
                                 plans, give_up)
    return [*layers[:-1], last] if kept else None
