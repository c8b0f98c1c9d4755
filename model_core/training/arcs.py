"""In-between grids along arcs: each quad of the grid turns and stretches between keyframes,
its vertices do not slide along straight lines.

A petal opens by bending: its quads turn about hinges, often by more than a radian between
two keyframes an artist set. A spline through each vertex's positions cuts those arcs short
(the example's petal, read from every other keyframe, misses by 3.19 % of its diagonal in
the mean; bench/heldout.py, its `spline` column). Here each quad's shape at a keyframe is
split into the rotation that best carries it from the keyframe nearest the query (Kabsch)
and what is left (its shape turned back); the rotation vector and the turned-back shape
each follow the interpolant in time, so a quad turning at an even pace about any axis is
followed to rounding. The grid is rebuilt from its quads by least squares and placed where
the vertices that move least say it is (a petal's attached base); where the arcs and the
vertices' own spline agree within AGREE, the spline stays.

numpy only; inbetweens.shapes_at_times reads the template fit's in-between shapes here.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .blas import limited_blas_threads

# A quad whose rotation between two keyframes is this close to a half turn (radians) has no
# well-defined axis: it follows the spline of its vertices instead.
TURN_LIMIT = 3.0
# Where the arcs and the spline agree within this fraction of the in-between's diagonal a
# vertex keeps the spline, and farther out it moves toward the arc by the excess only. The
# spline is one linear blend of the keyframes for every template and vertex, which the
# generative model holds most easily; the arcs differ from it where a quad turns far
# (bench/heldout.py: 0.1-0.7 % on the example's first gaps, under 0.05 % on K5's, where
# the arcs' own in-betweens cost it 0.27 -> 0.41 % between keyframes over 12 seeds).
AGREE = 5e-4
# Up to this many vertices the grid's least-squares map is a cached pseudo-inverse; a larger
# grid (up to limits.MAX_GRID squared) solves its normal equations row block by row block.
DENSE_SOLVE = 400
# The keyframes whose rotations are read: this many either side of a query's reference
# (the spline's weight on a keyframe that far is under 3e-5; the rest is renormalised),
# turned in batches of about CHUNK quads x keyframes (memory on long, dense animations).
WINDOW = 8
CHUNK = 200_000


def _quads(rows: int, cols: int) -> np.ndarray:
    """The quads' corner vertices (F, 4), row-major over the (rows - 1) x (cols - 1) quads,
    corners (i, j), (i, j + 1), (i + 1, j + 1), (i + 1, j)."""
    idx = np.arange(rows * cols).reshape(rows, cols)
    return np.stack([idx[:-1, :-1].ravel(), idx[:-1, 1:].ravel(), idx[1:, 1:].ravel(), idx[1:, :-1].ravel()], -1)


@lru_cache(maxsize=8)       # a map is up to 400 x 1,444 floats (4.6 MB)
def _grid_solver(rows: int, cols: int) -> np.ndarray:
    """The least-squares map from every quad's centred corners (F*4) to vertex positions
    with zero mean (V, F*4) for a rows x cols grid (DENSE_SOLVE vertices at most)."""
    quads = _quads(rows, cols)
    centring = np.zeros((quads.shape[0], 4, rows * cols))
    for corner in range(4):
        centring[np.arange(quads.shape[0]), corner, quads[:, corner]] += 1.0
        centring[np.arange(quads.shape[0])[:, None], corner, quads] -= 0.25
    # one BLAS thread: the cached map is then the same to the last bit wherever it is first
    # built (a training runs on one thread; bits apart, a training can end elsewhere)
    with limited_blas_threads(1):
        return np.linalg.pinv(centring.reshape(-1, rows * cols))


def _scatter(corners: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """The transpose of reading each quad's centred corners: corners (Q, F, 4, 3), centred
    again, summed onto their vertices -> (Q, rows, cols, 3)."""
    k = (corners - corners.mean(axis=2, keepdims=True)).reshape(corners.shape[0], rows - 1, cols - 1, 4, 3)
    out = np.zeros((corners.shape[0], rows, cols, 3))
    out[:, :-1, :-1] += k[..., 0, :]
    out[:, :-1, 1:] += k[..., 1, :]
    out[:, 1:, 1:] += k[..., 2, :]
    out[:, 1:, :-1] += k[..., 3, :]
    return out


@lru_cache(maxsize=8)
def _block_factors(rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """The normal equations of the quads' least squares, L = sum over quads of the 4 x 4
    centring (3/4 on the diagonal, -1/4 off it), are block tridiagonal in the grid's rows:
    (the inverses of block Gauss elimination's pivots (R, C, C), the block coupling each row
    to the next (C, C), the same for every row). Vertex 0 is pinned (its diagonal + 1), which leaves the
    solution of L x = b exact for b summing to zero (x_0 = 0; shift it to zero mean)."""
    diag = np.zeros((rows, cols, cols))
    pair = np.zeros((cols, cols))
    for j in range(cols - 1):
        pair[j:j + 2, j:j + 2] += np.array([[0.75, -0.25], [-0.25, 0.75]])
    diag[:-1] += pair                                         # each quad's two corners in row i
    diag[1:] += pair                                          # ... and in row i + 1
    upper = np.zeros((cols, cols))
    for j in range(cols - 1):
        upper[j:j + 2, j:j + 2] -= 0.25                       # each quad's row-i to row-(i + 1) pairs
    diag[0, 0, 0] += 1.0
    with limited_blas_threads(1):
        pivots = np.empty_like(diag)
        pivots[0] = np.linalg.inv(diag[0])
        for i in range(1, rows):
            pivots[i] = np.linalg.inv(diag[i] - upper.T @ pivots[i - 1] @ upper)
    return pivots, upper


def _block_solve(corners: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Zero-mean vertex positions (Q, V, 3) whose quads' centred corners come closest to
    `corners` (Q, F, 4, 3): _block_factors' block tridiagonal solve, every query and
    coordinate at once."""
    pivots, upper = _block_factors(rows, cols)
    q = corners.shape[0]
    b = np.moveaxis(_scatter(corners, rows, cols), 0, 2).reshape(rows, cols, q * 3)   # (R, C, Q*3)
    y = np.empty_like(b)
    y[0] = b[0]
    for i in range(1, rows):
        y[i] = b[i] - upper.T @ (pivots[i - 1] @ y[i - 1])
    x = np.empty_like(b)
    x[-1] = pivots[-1] @ y[-1]
    for i in range(rows - 2, -1, -1):
        x[i] = pivots[i] @ (y[i] - upper @ x[i + 1])
    pos = np.moveaxis(x.reshape(rows, cols, q, 3), 2, 0).reshape(q, rows * cols, 3)
    return pos - pos.mean(axis=1, keepdims=True)


def _positions(corners: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Zero-mean vertex positions (Q, V, 3) from every quad's centred corners (Q, F, 4, 3)."""
    if rows * cols <= DENSE_SOLVE:
        return np.einsum("vk,qkf->qvf", _grid_solver(rows, cols), corners.reshape(corners.shape[0], -1, 3))
    return _block_solve(corners, rows, cols)


def _kabsch(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rotations R (..., 3, 3) with R @ a_i closest to b_i: a, b (..., n, 3), centred."""
    u, _, vt = np.linalg.svd(np.swapaxes(a, -1, -2) @ b)
    v, ut = np.swapaxes(vt, -1, -2), np.swapaxes(u, -1, -2)
    flip = np.ones(u.shape[:-1])
    flip[..., 2] = np.sign(np.linalg.det(v @ ut))
    return (v * flip[..., None, :]) @ ut


def _log(rot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rotation vectors (..., 3), angles (...)) of rotations (..., 3, 3); the vectors are
    exact below a half turn, where the angle alone is (a half turn's axis is lost)."""
    angle = np.arccos(np.clip((np.trace(rot, axis1=-2, axis2=-1) - 1.0) / 2.0, -1.0, 1.0))
    skew = np.stack([rot[..., 2, 1] - rot[..., 1, 2], rot[..., 0, 2] - rot[..., 2, 0],
                     rot[..., 1, 0] - rot[..., 0, 1]], axis=-1)
    sin = np.sin(angle)
    scale = np.where(sin > 1e-9, angle / (2.0 * np.where(sin > 1e-9, sin, 1.0)), 0.5)
    return skew * scale[..., None], angle


def _exp(w: np.ndarray) -> np.ndarray:
    """Rotations (..., 3, 3) by rotation vectors w (..., 3) (Rodrigues)."""
    angle = np.linalg.norm(w, axis=-1)[..., None, None]
    k = w / np.where(angle[..., 0] > 0.0, angle[..., 0], 1.0)
    cross = np.zeros(w.shape[:-1] + (3, 3))
    cross[..., 0, 1], cross[..., 0, 2], cross[..., 1, 2] = -k[..., 2], k[..., 1], -k[..., 0]
    cross[..., 1, 0], cross[..., 2, 0], cross[..., 2, 1] = k[..., 2], -k[..., 1], k[..., 0]
    return np.eye(3) + np.sin(angle) * cross + (1.0 - np.cos(angle)) * cross @ cross


def _turned(corners: np.ndarray, times: np.ndarray, tq: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Every quad's centred corners (T, F, 4, 3) read at times tq along their arcs:
    (Q, F, 4, 3). Each query turns from its nearest keyframe (its reference) through the
    keyframes within WINDOW of it, references taken in batches (CHUNK)."""
    t, f = corners.shape[:2]
    nearest = np.argmin(np.abs(times[None, :] - tq[:, None]), axis=1)
    refs, which = np.unique(nearest, return_inverse=True)
    out = np.empty((tq.shape[0], f, 4, 3))
    per = max(1, CHUNK // (min(t, 2 * WINDOW + 1) * f))
    for start in range(0, refs.shape[0], per):
        batch = refs[start:start + per]
        lo, hi = max(0, int(batch[0]) - WINDOW), min(t, int(batch[-1]) + WINDOW + 1)
        rot = _kabsch(corners[batch][:, None], corners[None, lo:hi])           # (J, T', F, 3, 3)
        turn, angle = _log(rot)
        back = np.einsum("jtfki,jtfnk->jtfni", rot, np.broadcast_to(corners[lo:hi], rot.shape[:2] + corners.shape[1:]))
        qs = np.nonzero((which >= start) & (which < start + batch.shape[0]))[0]
        local = which[qs] - start
        wq = w[qs][:, lo:hi]
        if lo > 0 or hi < t:
            wq = wq / wq.sum(axis=1, keepdims=True)
        arc = np.einsum("qfik,qfnk->qfni", _exp(np.einsum("qt,qtfi->qfi", wq, turn[local])),
                        np.einsum("qt,qtfni->qfni", wq, back[local]))
        steady = angle.max(axis=1)[local] < TURN_LIMIT                         # (Q', F)
        out[qs] = np.where(steady[..., None, None], arc, np.einsum("qt,tfni->qfni", wq, corners[lo:hi]))
    return out


def arc_grids(grids: np.ndarray, times: np.ndarray, tq: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """One template's grids (T, R, C, 3) at its keyframe times, read at times tq: (Q, R, C, 3).

    `weights` (Q, T): the interpolant in time (inbetweens.bounded_weights(times, tq)), used
    for the quads' rotation vectors, their turned-back shapes and the anchor's position. At
    a keyframe the grid is returned as captured (up to rounding)."""
    t, r, c, _ = grids.shape
    flat = np.asarray(grids, np.float64).reshape(t, r * c, 3)
    linear = np.einsum("qt,tvf->qvf", weights, flat)                           # each vertex's spline
    if r < 2 or c < 2:
        return linear.reshape(len(tq), r, c, 3)
    corners = flat[:, _quads(r, c)]                                            # (T, F, 4, 3)
    corners = corners - corners.mean(axis=2, keepdims=True)
    out = _turned(corners, np.asarray(times), np.asarray(tq), np.asarray(weights, np.float64))
    pos = _positions(out, r, c)                                                # zero-mean positions
    # Anchor: the vertices that move least between keyframes (a petal's base) sit where
    # their spline says; a grid that only slides is anchored everywhere alike.
    motion = np.linalg.norm(np.diff(flat, axis=0), axis=-1).sum(axis=0) if t > 1 else np.zeros(r * c)
    anchor = 1.0 / (motion / max(float(motion.max()), 1e-300) + 1e-3) ** 2
    anchor /= anchor.sum()
    shift = np.einsum("v,qvf->qf", anchor, linear - pos)
    arc = pos + shift[:, None]
    # soft threshold of the arcs' departure from the spline, per vertex
    apart = arc - linear
    gap = np.linalg.norm(apart, axis=-1, keepdims=True)
    diag = np.linalg.norm(linear.max(axis=1) - linear.min(axis=1), axis=-1)[:, None, None]
    keep = np.maximum(0.0, 1.0 - AGREE * diag / np.where(gap > 0.0, gap, 1.0))
    return (linear + keep * apart).reshape(len(tq), r, c, 3)
