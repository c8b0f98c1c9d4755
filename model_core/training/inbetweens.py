"""In-between shapes for the template fit: along arcs in time, a cubic spline along the rows.

The template models learn (time, morph) -> row from the captured keyframes only; between
keyframes their shape was whatever the network happened to do, and every in-between the
slider, a flower or the pool shows comes from there. A held-out keyframe (train on every
other one) missed by 0.5-1.3 % on sets where a spline through the same keyframes misses by
0.1-0.3 %. So the template fit also sees `inbetweens` shapes inside each gap between
keyframes, read from a not-a-knot cubic spline per vertex coordinate over the keyframes'
own time values (uneven steps included), at a lower weight than the captured rows, which
stay the fit's aim (docs/model.md, "In-betweens"). Each quad of the grid then turns along
the arc that spline gives its rotation (arcs.py: a petal's quads turn about hinges, which
a spline through positions cuts short), where that departs from the vertices' own spline.

Along the petal the same spline runs over the rows: the template models' closed-form refit
(not their Adam fit, where the rows would cost time each step) also sees the shape halfway
between each two captured rows at every keyframe (`row_inbetweens`), so a petal generated
with more rows than were captured follows the spline between them.

numpy only; both trainers call `template_fit_rows` and `row_inbetweens`.
"""
from __future__ import annotations

import numpy as np

from ..infer import relational_grid
from ..templates import grid_layout, rows_layout
from .arcs import arc_grids


def spline_weights(x: np.ndarray, xq: np.ndarray) -> np.ndarray:
    """W (len(xq), len(x)) with S(xq) = W @ y for the not-a-knot cubic spline S through
    (x, y): x increasing. Two points give the line, three the parabola (both not-a-knot)."""
    x = np.asarray(x, np.float64)
    xq = np.asarray(xq, np.float64)
    n = x.shape[0]
    if n <= 3:
        return np.vander(xq, n) @ np.linalg.inv(np.vander(x, n))
    h = np.diff(x)
    # Second derivatives m = solve(a, b @ y): the spline's continuity rows, and at both ends
    # a continuous third derivative across the second knot (not-a-knot).
    a = np.zeros((n, n))
    b = np.zeros((n, n))
    a[0, :3] = h[1], -(h[0] + h[1]), h[0]
    a[-1, -3:] = h[-1], -(h[-2] + h[-1]), h[-2]
    for i in range(1, n - 1):
        a[i, i - 1:i + 2] = h[i - 1], 2.0 * (h[i - 1] + h[i]), h[i]
        b[i, i - 1:i + 2] = 6.0 / h[i - 1], -6.0 / h[i - 1] - 6.0 / h[i], 6.0 / h[i]
    m = np.linalg.solve(a, b)
    j = np.clip(np.searchsorted(x, xq, side="right") - 1, 0, n - 2)
    hj, left, right = h[j], x[j + 1] - xq, xq - x[j]
    w = ((left ** 3 / hj - left * hj) / 6.0)[:, None] * m[j] + ((right ** 3 / hj - right * hj) / 6.0)[:, None] * m[j + 1]
    rows = np.arange(xq.shape[0])
    w[rows, j] += left / hj
    w[rows, j + 1] += right / hj
    return w


SPREAD_LIMIT = 10.0   # an in-between whose spline weights' absolute sum exceeds this is linear instead


def bounded_weights(x: np.ndarray, xq: np.ndarray) -> np.ndarray:
    """spline_weights, except where a query's weights add up (in absolute value) to more
    than SPREAD_LIMIT: there the spline amplifies the keyframes' differences (keyframes
    bunched beside a wide gap send it far off, sums of 20-270 measured), and the straight
    line between the two keyframes around the query is used instead. Evenly spaced
    keyframes and the seed's uneven steps stay below 2, bench/unseen.py's random uneven
    steps below 9.3; on smooth shapes the spline beats the line at every sum measured, so
    only the wild sums, where any unevenness in the motion is amplified, give it up."""
    x = np.asarray(x, np.float64)
    xq = np.asarray(xq, np.float64)
    w = spline_weights(x, xq)
    wild = np.abs(w).sum(axis=1) > SPREAD_LIMIT
    if np.any(wild):
        j = np.clip(np.searchsorted(x, xq[wild], side="right") - 1, 0, x.shape[0] - 2)
        f = (xq[wild] - x[j]) / (x[j + 1] - x[j])
        line = np.zeros((int(wild.sum()), x.shape[0]))
        line[np.arange(j.shape[0]), j] = 1.0 - f
        line[np.arange(j.shape[0]), j + 1] = f
        w[wild] = line
    return w


def inbetween_times(times: np.ndarray, per_gap: int) -> np.ndarray:
    """`per_gap` evenly spaced times inside each gap between consecutive keyframes."""
    times = np.asarray(times, np.float64)
    frac = np.arange(1, per_gap + 1) / (per_gap + 1)
    return (times[:-1, None] + frac[None, :] * np.diff(times)[:, None]).ravel()


def shapes_at_times(times: np.ndarray, tq: np.ndarray, norm_rows: np.ndarray, rows: int,
                    arcs: bool = True) -> np.ndarray:
    """The captured shapes norm_rows (K, T*R, 3C) read at times tq, every captured row:
    (K, Q*R, 3C), time-major. `arcs`: each quad of the grid turns along its arc
    (arcs.arc_grids); else each vertex follows its spline. Both interpolate in time with
    bounded_weights."""
    k, _, f = norm_rows.shape
    shapes = np.asarray(norm_rows).reshape(k, times.shape[0], rows, f)
    w = bounded_weights(times, tq)
    if not arcs:
        return np.einsum("qt,ktrf->kqrf", w, shapes).reshape(k, -1, f)
    grids = grid_layout(shapes, f // 3)
    return np.stack([rows_layout(arc_grids(g, times, tq, w)) for g in grids]).reshape(k, -1, f)


def shapes_at_morphs(morphs: np.ndarray, mq: np.ndarray, norm_rows: np.ndarray, times: int) -> np.ndarray:
    """The captured shapes norm_rows (K, T*R, F) read from the spline along the rows
    (bounded_weights) at morphologies mq, every keyframe: (K, T*Q, F), keyframe-major."""
    k, _, f = norm_rows.shape
    shapes = np.asarray(norm_rows).reshape(k, times, morphs.shape[0], f)
    return np.einsum("qr,ktrf->ktqf", bounded_weights(morphs, mq), shapes).reshape(k, -1, f)


def template_fit_rows(times: np.ndarray, morphs: np.ndarray, norm_rows: np.ndarray, rel_in: np.ndarray,
                      per_gap: int, weight: float, arcs: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The template fit's data: the captured rows, then `per_gap` in-betweens per gap
    (shapes_at_times, along arcs unless `arcs` is False).

    norm_rows (K, T*R, F) at rel_in (T*R, 2) -> x (N, 2), y (K, N, F), row weights (N,) with
    mean 1; an in-between row weighs `weight` x a captured one. per_gap 0 (or weight 0)
    gives the captured rows alone, weights 1."""
    if per_gap <= 0 or weight <= 0.0:
        return rel_in, norm_rows, np.ones(rel_in.shape[0])
    tq = inbetween_times(times, per_gap)
    y_mid = shapes_at_times(times, tq, norm_rows, morphs.shape[0], arcs)
    x_mid = relational_grid(tq, morphs, times, morphs).reshape(-1, 2)
    wts = np.concatenate([np.ones(rel_in.shape[0]), np.full(x_mid.shape[0], float(weight))])
    return (np.concatenate([rel_in, x_mid]), np.concatenate([norm_rows, y_mid], axis=1), wts / wts.mean())


def row_inbetweens(times: np.ndarray, morphs: np.ndarray, norm_rows: np.ndarray, weight: float
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Halfway between each two captured rows at every keyframe, from the spline along the
    rows: x (T*(R-1), 2), y (K, T*(R-1), F), row weights (T*(R-1),) of `weight` each (a
    captured row weighs 1 before template_fit_rows' normalisation). None for weight 0."""
    if weight <= 0.0:
        return None
    t = times.shape[0]
    mid = 0.5 * (morphs[:-1] + morphs[1:])
    y = shapes_at_morphs(morphs, mid, norm_rows, t)
    return relational_grid(times, mid, times, morphs).reshape(-1, 2), y, np.full(t * mid.shape[0], float(weight))


def template_refit_rows(times: np.ndarray, morphs: np.ndarray, norm_rows: np.ndarray, fit: tuple[
        np.ndarray, np.ndarray, np.ndarray], row_weight: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The template models' refit data: the fit's rows (template_fit_rows) and the rows
    between captured rows (row_inbetweens), weights on the fit's scale."""
    x, y, w = fit
    extra = row_inbetweens(times, morphs, norm_rows, row_weight)
    if extra is None:
        return fit
    ex, ey, ew = extra
    # the fit's weights have mean 1 with a captured row at w[0]
    return np.concatenate([x, ex]), np.concatenate([y, ey], axis=1), np.concatenate([w, ew * w[0]])
