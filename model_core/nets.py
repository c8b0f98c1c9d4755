"""The seed's small MLPs, as plain arrays: Linear -> ELU -> Linear -> ELU -> Linear.

A net is a list of (W, b) layers with W of shape (n_in, n_out); `forward` is the numpy
forward pass used for inference and playback (the torch twin lives in trainer.py).
Layer sizes (the seed's, for a row of C columns and k context dimensions):
    template model   [2, 10, 15, 3C]        (time, morph) -> row
    relational model [3C, 15, 10, 2 + k]    row -> (time, morph, context...)
    generative model [2 + k, 10, 15, 3C]    (time, morph, context...) -> row
The defaults (config.TrainConfig) are wider; the generative model's can differ between a
1-D context (three inputs) and a 2-D pad (four), see docs/model.md.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Layers = list[tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class NetSizes:
    """Hidden widths of the three kinds of network (input/output widths follow the data)."""
    template: tuple[int, ...] = (10, 15)
    relational: tuple[int, ...] = (15, 10)
    generative: tuple[int, ...] = (10, 15)
    generative_pad: tuple[int, ...] | None = None   # the generative model's on a 2-D context (None: as generative)

    def template_sizes(self, cols: int) -> list[int]:
        return [2, *self.template, 3 * cols]

    def relational_sizes(self, cols: int, context_dims: int) -> list[int]:
        return [3 * cols, *self.relational, 2 + context_dims]

    def generative_sizes(self, cols: int, context_dims: int) -> list[int]:
        hidden = self.generative_pad if context_dims > 1 and self.generative_pad else self.generative
        return [2 + context_dims, *hidden, 3 * cols]


SEED_SIZES = NetSizes()


def float32_layers(layers: Layers) -> Layers:
    """`layers` rounded to float32 and held as float64: what a stored model keeps
    (store.py), so a model in memory generates what its file will."""
    return [(np.asarray(w, np.float32).astype(np.float64), np.asarray(b, np.float32).astype(np.float64))
            for w, b in layers]


BLOCK_ROWS = 512    # rows per block in forward(): the hidden layers of a block stay in cache
SMALL_ROWS = 256    # fewer rows than this take the plain path (no buffers to set up)


def forward(layers: Layers, x: np.ndarray) -> np.ndarray:
    """x (..., n_in) -> (..., n_out); ELU between layers, none after the last.

    Computes in the weights' dtype (float32 for inference, float64 in tests). Large
    batches run in blocks of BLOCK_ROWS rows, each block transposed (features x rows):
    the products are then short-and-wide (W^T @ H, the long side in BLAS's fast
    direction), a block's hidden layers stay in the CPU cache in reused buffers, and the
    first layer's bias rides in its product (a row of ones). The same sums in another
    order; see bench/infer_speed.py for the speed."""
    lead, n_in = x.shape[:-1], x.shape[-1]
    flat = x.reshape(-1, n_in)
    n = flat.shape[0]
    if n < SMALL_ROWS:
        return _forward_plain(layers, flat).reshape(*lead, layers[-1][0].shape[1])
    dtype = np.result_type(flat.dtype, layers[0][0].dtype)
    w0, b0 = layers[0]
    mats = [np.hstack([w0.T, b0[:, None]]).astype(dtype)]              # (width, n_in + 1)
    mats += [np.ascontiguousarray(w.T, dtype) for w, _ in layers[1:]]
    biases = [None] + [np.asarray(b, dtype)[:, None] for _, b in layers[1:]]
    out = np.empty((n, layers[-1][0].shape[1]), dtype)
    last = len(layers) - 1
    buffers = _Buffers(dtype, n_in, [m.shape[0] for m in mats])
    for start in range(0, n, BLOCK_ROWS):
        k = min(n, start + BLOCK_ROWS) - start
        inp, hidden, spare = buffers.of(k)
        inp[:n_in] = flat[start:start + k].T
        h = inp
        for i, m in enumerate(mats):
            o = hidden[i]
            np.matmul(m, h, out=o)
            if i:
                o += biases[i]
            if i < last:
                _elu_into(o, spare[i])
            h = o
        out[start:start + k] = h.T
    return out.reshape(*lead, out.shape[1])


class _Buffers:
    """forward()'s per-block arrays, (features, rows): one set for full blocks, one for
    the last, shorter block."""

    def __init__(self, dtype, n_in: int, widths: list[int]):
        self.dtype, self.n_in, self.widths = dtype, n_in, widths
        self.sets: dict[int, tuple] = {}

    def of(self, k: int) -> tuple:
        got = self.sets.get(k)
        if got is None:
            inp = np.ones((self.n_in + 1, k), self.dtype)
            hidden = [np.empty((w, k), self.dtype) for w in self.widths]
            got = self.sets[k] = (inp, hidden, [np.empty_like(h) for h in hidden[:-1]])
        return got


def _forward_plain(layers: Layers, h: np.ndarray) -> np.ndarray:
    """forward() for a few rows (the slider's one petal), where buffers cost more than they save."""
    last = len(layers) - 1
    for i, (w, b) in enumerate(layers):
        h = h @ w
        h += b
        if i < last:
            _elu_into(h, np.empty_like(h))
    return h


def _elu_into(x: np.ndarray, neg: np.ndarray) -> None:
    """ELU of x in place, `neg` (same shape) its scratch: max(x, expm1(min(x, 0))), as
    expm1(v) > v for v < 0 and expm1(0) = 0 (three passes instead of four)."""
    np.minimum(x, 0.0, out=neg)
    np.expm1(neg, out=neg)
    np.maximum(x, neg, out=x)


def layer_shapes(sizes: list[int]) -> list[tuple[tuple[int, int], tuple[int]]]:
    return [((a, b), (b,)) for a, b in zip(sizes[:-1], sizes[1:])]
