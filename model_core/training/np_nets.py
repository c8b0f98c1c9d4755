"""The numpy trainer's parts: the seed's networks with their gradients, and FlatAdam.

The same math as torch_nets.py in float32 numpy (no torch): Linear -> ELU -> ... -> Linear,
initialised like torch.nn.Linear (uniform within 1/sqrt(fan_in)), gradients written by
hand (checked against torch step by step in tests/model_core/test_np_trainer.py), and one
Adam over a flat vector every parameter is a view into, so a step is a few array ops
whatever the number of layers. Shapes: a net's weights are (n_in, n_out) like nets.py;
the K template models are one batched net with weights (K, n_in, n_out).
"""
from __future__ import annotations

import numpy as np

from ..nets import Layers

DTYPE = np.float32


def _elu_(z: np.ndarray) -> np.ndarray:
    """ELU in place. Its derivative is 1 where z > 0 and exp(z) = ELU(z) + 1 elsewhere, so
    min(ELU(z), 0) + 1 everywhere: the backward pass needs only the output."""
    neg = np.minimum(z, 0.0)
    np.expm1(neg, out=neg)
    np.maximum(z, 0.0, out=z)
    z += neg
    return z


class FlatAdam:
    """Adam over one flat float32 vector holding every parameter (and one holding every
    gradient), a learning rate per parameter group: torch_nets.FlatAdam's update."""

    def __init__(self, groups: list[tuple[list[tuple[int, ...]], float]], beta2: float,
                 beta1: float = 0.9, eps: float = 1e-8):
        sizes = [int(np.prod(shape)) for shapes, _ in groups for shape in shapes]
        self.flat = np.zeros(sum(sizes), DTYPE)
        self.grad = np.zeros_like(self.flat)
        self.lr = np.concatenate([np.full(int(np.prod(shape)), lr, DTYPE)
                                  for shapes, lr in groups for shape in shapes])
        self.params: list[np.ndarray] = []
        self.grads: list[np.ndarray] = []
        offset = 0
        for (shapes, _) in groups:
            for shape in shapes:
                n = int(np.prod(shape))
                self.params.append(self.flat[offset:offset + n].reshape(shape))
                self.grads.append(self.grad[offset:offset + n].reshape(shape))
                offset += n
        self.m = np.zeros_like(self.flat)
        self.v = np.zeros_like(self.flat)
        self._tmp = np.zeros_like(self.flat)
        self.b1, self.b2, self.eps, self.t = beta1, beta2, eps, 0

    def step(self, lr_factor: float = 1.0) -> None:
        g, m, v, tmp = self.grad, self.m, self.v, self._tmp
        self.t += 1
        m += (1.0 - self.b1) * (g - m)                 # torch: m.lerp_(g, 1 - b1)
        v *= self.b2
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - self.b2
        v += tmp
        np.divide(v, 1.0 - self.b2 ** self.t, out=tmp)
        np.sqrt(tmp, out=tmp)
        tmp += self.eps
        np.divide(m, tmp, out=tmp)
        tmp *= self.lr
        tmp *= -lr_factor / (1.0 - self.b1 ** self.t)
        self.flat += tmp


class Net:
    """An MLP (or K of one shape, batched) whose weights and gradients live in a FlatAdam:
    `params` = [W0, b0, W1, b1, ...], `grads` alike. forward() keeps what backward() needs."""

    def __init__(self, params: list[np.ndarray], grads: list[np.ndarray]):
        self.params, self.grads = params, grads
        self.n = len(params) // 2
        self._cache: list[np.ndarray] = []

    @staticmethod
    def shapes(sizes: list[int], k: int | None = None) -> list[tuple[int, ...]]:
        lead = () if k is None else (k,)
        out: list[tuple[int, ...]] = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            out += [(*lead, a, b), (*lead, 1, b) if k is not None else (b,)]
        return out

    def init(self, rng: np.random.Generator, gain: float = 1.0) -> None:
        """torch.nn.Linear's default: weights and biases uniform within 1/sqrt(fan_in);
        the first layer scaled by `gain` (TrainConfig's *_init_gain)."""
        for i in range(self.n):
            w, b = self.params[2 * i], self.params[2 * i + 1]
            bound = 1.0 / np.sqrt(w.shape[-2])
            scale = gain if i == 0 else 1.0
            w[...] = rng.uniform(-bound, bound, w.shape) * scale
            b[...] = rng.uniform(-bound, bound, b.shape) * scale

    def set_layers(self, layers: Layers, k: int | None = None) -> None:
        """Copy (W, b) layers in (into batch slot k of a batched net)."""
        for i, (w, b) in enumerate(layers):
            if k is None:
                self.params[2 * i][...] = w
                self.params[2 * i + 1][...] = b
            else:
                self.params[2 * i][k] = w
                self.params[2 * i + 1][k, 0] = b

    def layers(self, k: int | None = None) -> Layers:
        """float64 (W, b) layers (of batch slot k) for a GRCModel."""
        out = []
        for i in range(self.n):
            w, b = self.params[2 * i], self.params[2 * i + 1]
            if k is not None:
                w, b = w[k], b[k, 0]
            out.append((w.astype(np.float64), b.astype(np.float64)))
        return out

    def forward(self, x: np.ndarray, keep: bool = True) -> np.ndarray:
        cache = [x]                              # each layer's input: x, then the ELU outputs
        h = x
        for i in range(self.n):
            z = h @ self.params[2 * i]
            z += self.params[2 * i + 1]
            h = _elu_(z) if i < self.n - 1 else z
            cache.append(h)
        if keep:
            self._cache = cache
        return h

    def backward(self, dout: np.ndarray, need_dx: bool = True) -> np.ndarray | None:
        """Write the gradients of the last forward() for dL/dout into `grads`; -> dL/dx."""
        cache, d = self._cache, dout
        batched = d.ndim == 3
        for i in range(self.n - 1, -1, -1):
            a_in = cache[i]                      # the layer's input: x or the previous ELU output
            if batched:
                np.matmul(a_in.transpose(0, 2, 1), d, out=self.grads[2 * i])
                self.grads[2 * i + 1][...] = d.sum(axis=1, keepdims=True)
            else:
                np.matmul(a_in.T, d, out=self.grads[2 * i])
                d.sum(axis=0, out=self.grads[2 * i + 1])
            if i == 0 and not need_dx:
                return None
            w = self.params[2 * i]
            d = d @ (w.transpose(0, 2, 1) if batched else w.T)
            if i > 0:                            # through the ELU before this layer
                slope = np.minimum(a_in, 0.0)
                slope += 1.0
                d *= slope
        return d


def sq_loss_grad(out: np.ndarray, target: np.ndarray, weight: np.ndarray | None = None
                 ) -> tuple[float, np.ndarray]:
    """torch_nets.criterion (squared error summed over features, mean over samples) of
    (out - target) * weight, and its gradient with respect to `out`."""
    diff = out - target
    if weight is not None:
        diff *= weight
    n = diff.size // diff.shape[-1]
    grad = diff * (2.0 / n)
    if weight is not None:
        grad *= weight
    return float(np.vdot(diff, diff)) / n, grad
