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
"""
from __future__ import annotations

import numpy as np

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


def ridge_fit(h: np.ndarray, y: np.ndarray, ridge: float,
              weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The weighted ridge solution (W (h, out), b (out,)) of y ~ h W + b, float64."""
    h = np.asarray(h, np.float64)
    y = np.asarray(y, np.float64)
    wts = np.ones(h.shape[0]) if weights is None else np.asarray(weights, np.float64)
    wts = wts / wts.sum()
    h_mean, y_mean = wts @ h, wts @ y
    hc, yc = h - h_mean, y - y_mean
    gram = hc.T @ (hc * wts[:, None])
    scale = max(float(np.trace(gram)) / gram.shape[0], 1e-300)
    gram[np.diag_indices_from(gram)] += ridge * scale
    rhs = hc.T @ (yc * wts[:, None])
    try:
        w = np.linalg.solve(gram, rhs)
    except np.linalg.LinAlgError:   # ridge 0 on rank-deficient features
        w = np.linalg.lstsq(gram, rhs, rcond=None)[0]
    return w, y_mean - h_mean @ w


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


def generative_rows(pool_x: np.ndarray, anchors: np.ndarray, exact: np.ndarray, pick: np.ndarray,
                    pool_weight: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The generative refit's data: (inputs, targets, weights).

    The captured rows (`anchors` of the pool, the template models' rows at the captured
    points) are fitted to the exact captured shapes `exact` (A, 3C), and the pool rows
    `pick` to themselves (what loss_G asks); the pool rows together weigh `pool_weight`
    times the captured rows together."""
    x = np.concatenate([pool_x[anchors], pool_x[pick]]).astype(np.float64)
    y = np.concatenate([np.asarray(exact, np.float64), pool_x[pick].astype(np.float64)])
    w = np.concatenate([np.ones(len(anchors)),
                        np.full(len(pick), pool_weight * len(anchors) / max(len(pick), 1))])
    return x, y, w
