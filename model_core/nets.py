"""The seed's small MLPs, as plain arrays: Linear -> ELU -> Linear -> ELU -> Linear.

A net is a list of (W, b) layers with W of shape (n_in, n_out); `forward` is the numpy
forward pass used for inference and playback (the torch twin lives in trainer.py).
Layer sizes (the seed's, for a row of C columns and k context dimensions):
    template model   [2, 10, 15, 3C]        (time, morph) -> row
    relational model [3C, 15, 10, 2 + k]    row -> (time, morph, context...)
    generative model [2 + k, 10, 15, 3C]    (time, morph, context...) -> row
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

    def template_sizes(self, cols: int) -> list[int]:
        return [2, *self.template, 3 * cols]

    def relational_sizes(self, cols: int, context_dims: int) -> list[int]:
        return [3 * cols, *self.relational, 2 + context_dims]

    def generative_sizes(self, cols: int, context_dims: int) -> list[int]:
        return [2 + context_dims, *self.generative, 3 * cols]


SEED_SIZES = NetSizes()


BLOCK_ROWS = 2048   # rows per block in forward(): the hidden layers of a block stay in cache


def forward(layers: Layers, x: np.ndarray) -> np.ndarray:
    """x (..., n_in) -> (..., n_out); ELU between layers, none after the last.

    Computes in the weights' dtype (float32 for inference, float64 in tests). Large
    batches run in blocks of BLOCK_ROWS rows into preallocated buffers: the same products
    row by row, but a block's hidden layers fit in the CPU cache, which makes a flower
    field's 25,000 rows about 1.3x faster (bench/infer_speed.py)."""
    lead, n_in = x.shape[:-1], x.shape[-1]
    flat = x.reshape(-1, n_in)
    n = flat.shape[0]
    dtype = np.result_type(flat.dtype, layers[0][0].dtype)
    out = np.empty((n, layers[-1][0].shape[1]), dtype)
    block = min(n, BLOCK_ROWS)
    hidden = [np.empty((block, w.shape[1]), dtype) for w, _ in layers[:-1]]
    spare = [np.empty_like(h) for h in hidden]
    last = len(layers) - 1
    for start in range(0, n, BLOCK_ROWS):
        stop = min(n, start + BLOCK_ROWS)
        h = flat[start:stop]
        for i, (w, b) in enumerate(layers):
            o = out[start:stop] if i == last else hidden[i][:stop - start]
            np.matmul(h, w, out=o)
            o += b
            if i < last:
                _elu_into(o, spare[i][:stop - start])
            h = o
    return out.reshape(*lead, out.shape[1])


def _elu_into(x: np.ndarray, neg: np.ndarray) -> None:
    """ELU of x in place, `neg` (same shape) its scratch."""
    np.minimum(x, 0.0, out=neg)
    np.expm1(neg, out=neg)
    np.maximum(x, 0.0, out=x)
    x += neg


def layer_shapes(sizes: list[int]) -> list[tuple[tuple[int, int], tuple[int]]]:
    return [((a, b), (b,)) for a, b in zip(sizes[:-1], sizes[1:])]
