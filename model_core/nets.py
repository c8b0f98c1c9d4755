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


def elu_(x: np.ndarray) -> np.ndarray:
    """ELU in place: max(x, 0) + expm1(min(x, 0)); no temporaries beyond one, no overflow."""
    neg = np.minimum(x, 0.0)
    np.expm1(neg, out=neg)
    np.maximum(x, 0.0, out=x)
    x += neg
    return x


def forward(layers: Layers, x: np.ndarray) -> np.ndarray:
    """x (..., n_in) -> (..., n_out); ELU between layers, none after the last.

    Computes in the weights' dtype (float32 for inference, float64 in tests)."""
    h = x
    last = len(layers) - 1
    for i, (w, b) in enumerate(layers):
        h = h @ w
        h += b
        if i < last:
            elu_(h)
    return h


def layer_shapes(sizes: list[int]) -> list[tuple[tuple[int, int], tuple[int]]]:
    return [((a, b), (b,)) for a, b in zip(sizes[:-1], sizes[1:])]
