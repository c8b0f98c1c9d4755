"""The torch side shared by both training procedures (the default in trainer.py, the seed's
in literal.py): the seed's networks, the template fit, the losses, progress and the finish.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Protocol, Sequence

import numpy as np
import torch

from ..config import TrainConfig
from ..context import context_targets
from ..errors import GRCError
from ..infer import GRCModel
from ..nets import Layers, forward
from .inbetweens import template_fit_rows, template_refit_rows
from .refit import RefitRows, refit_generative_layers, refit_last
from ..templates import TemplateSet
from .train_common import Progress, Reporter, finished_model, lr_factor, relational_data

__all__ = ["DTYPE", "MLP", "BatchedMLP", "FlatAdam", "Progress", "Reporter", "lr_factor",
           "relational_data", "criterion", "flat_adam", "stage_one", "stage_two_nets",
           "template_step", "stage_two_step",
           "refit_generative", "build_model", "finish"]

# float32: the stored weights are float32 anyway, and each step is cheaper (docs/model.md).
DTYPE = torch.float32


class Optimiser(Protocol):
    def zero_grad(self) -> None: ...
    def step(self, lr_factor: float = 1.0) -> None: ...


OptFactory = Callable[[list[dict[str, Any]], TrainConfig], Optimiser]


# ---- networks -------------------------------------------------------------------------

class MLP(torch.nn.Module):
    """Linear layers with ELU between them (the seed's Net)."""

    def __init__(self, sizes: list[int]):
        super().__init__()
        layers: list[torch.nn.Module] = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            if i:
                layers.append(torch.nn.ELU())
            layers.append(torch.nn.Linear(a, b, dtype=DTYPE))
        self.seq = torch.nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.seq(x)

    def layers(self) -> Layers:
        lin = [m for m in self.seq if isinstance(m, torch.nn.Linear)]
        return [(m.weight.detach().numpy().T.astype(np.float64), m.bias.detach().numpy().astype(np.float64)) for m in lin]


class BatchedMLP(torch.nn.Module):
    """K independent MLPs of one shape evaluated together: x (K, N, in) -> (K, N, out).

    Initialised like K separate torch.nn.Linear stacks; one bmm per layer instead of K
    small matmuls keeps the template fit to a few Python round trips a step."""

    def __init__(self, k: int, sizes: list[int]):
        super().__init__()
        self.weights = torch.nn.ParameterList()
        self.biases = torch.nn.ParameterList()
        for a, b in zip(sizes[:-1], sizes[1:]):
            bound = 1.0 / math.sqrt(a)
            self.weights.append(torch.nn.Parameter(torch.empty(k, a, b, dtype=DTYPE).uniform_(-bound, bound)))
            self.biases.append(torch.nn.Parameter(torch.empty(k, 1, b, dtype=DTYPE).uniform_(-bound, bound)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(b, x, w)
            if i < last:
                x = torch.nn.functional.elu(x)
        return x

    def layers(self, k: int) -> Layers:
        return [(w[k].detach().numpy().astype(np.float64), b[k, 0].detach().numpy().astype(np.float64))
                for w, b in zip(self.weights, self.biases)]


# ---- optimiser, losses, progress --------------------------------------------------------

class FlatAdam:
    """Adam over one flat parameter vector: the same update as torch.optim.Adam with a
    learning rate per parameter group (checked against it in the tests), in ~8 tensor
    ops a step whatever the number of layers.

    Adam keeps its state per parameter, so this equals the seed's two optimisers (one per
    network, each with its own rate), in fewer ops a step (docs/model.md)."""

    def __init__(self, groups: list[dict[str, Any]], betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8):
        self.params = [p for g in groups for p in g["params"]]
        self.flat = torch.cat([p.detach().reshape(-1) for p in self.params])
        self.lr = torch.cat([torch.full((p.numel(),), float(g["lr"]), dtype=self.flat.dtype)
                             for g in groups for p in g["params"]])
        offset = 0
        for p in self.params:   # each parameter becomes a view into the flat vector
            n = p.numel()
            p.data = self.flat[offset:offset + n].view_as(p)
            offset += n
        self.m = torch.zeros_like(self.flat)
        self.v = torch.zeros_like(self.flat)
        self.b1, self.b2, self.eps, self.t = betas[0], betas[1], eps, 0

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self, lr_factor: float = 1.0) -> None:
        g = torch.cat([_grad(p).reshape(-1) for p in self.params])
        self.t += 1
        self.m.lerp_(g, 1.0 - self.b1)
        self.v.mul_(self.b2).addcmul_(g, g, value=1.0 - self.b2)
        denom = (self.v / (1.0 - self.b2 ** self.t)).sqrt_().add_(self.eps)
        self.flat.addcdiv_(self.m * self.lr, denom, value=-lr_factor / (1.0 - self.b1 ** self.t))


def _grad(p: torch.Tensor) -> torch.Tensor:
    if p.grad is None:
        raise GRCError("a parameter received no gradient")   # every parameter is in the loss
    return p.grad


def flat_adam(groups: list[dict[str, Any]], cfg: TrainConfig) -> FlatAdam:
    return FlatAdam(groups, (0.9, cfg.adam_beta2))


def criterion(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The seed's MSELoss(reduction='sum') per sample, averaged over the batch.

    With one sample a step (the literal procedure) this is exactly the seed's criterion;
    summing over features keeps the seed's balance between loss_G (3C values) and loss_R."""
    return (a - b).square().sum(-1).mean()


# ---- the shared stages ----------------------------------------------------------------------

def fit_templates(ts: TemplateSet, x_rows: np.ndarray, data: np.ndarray, weights: np.ndarray, cfg: TrainConfig,
                  report: Reporter, make_opt: OptFactory) -> BatchedMLP:
    """Stage 1: data (K, N, 3C) normalised rows at x_rows (N, 2), row weights (N,) of mean 1
    (inbetweens.template_fit_rows)."""
    k, _, _, c = ts.shape
    net = BatchedMLP(k, cfg.sizes.template_sizes(c))
    with torch.no_grad():
        # A steeper first layer gives the ELUs curvature across the [-1, 1] map from
        # the start, so the fit converges in fewer steps (docs/model.md).
        net.weights[0].mul_(cfg.template_init_gain)
        net.biases[0].mul_(cfg.template_init_gain)
    x = torch.tensor(np.broadcast_to(x_rows, (k, *x_rows.shape)), dtype=DTYPE)
    y = torch.tensor(data, dtype=DTYPE)
    w = None if np.all(weights == 1.0) else torch.tensor(weights, dtype=DTYPE)
    opt = make_opt([{"params": list(net.parameters()), "lr": cfg.template_lr}], cfg)
    steps = cfg.template_steps
    for step in range(steps):
        loss = template_step(net, opt, x, y, lr_factor(cfg, step, steps), w)
        if report.due(step):
            report(step, {"template": loss.item()})
    return net


def template_step(net: BatchedMLP, opt: Optimiser, x: torch.Tensor, y: torch.Tensor,
                  factor: float, weights: torch.Tensor | None = None) -> torch.Tensor:
    """One full-batch step of the template models -> the loss (a tensor: read it rarely).
    `weights` (N,): each row's weight in the mean (None: criterion's plain mean)."""
    opt.zero_grad()
    if weights is None:
        loss = criterion(net(x), y)
    else:
        loss = ((net(x) - y).square().sum(-1) * weights).mean()
    loss.backward()
    opt.step(factor)
    return loss


def stage_two_step(rel: MLP, gen: MLP, opt: Optimiser, x: torch.Tensor, rel_target: torch.Tensor,
                   mask: torch.Tensor, factor: float) -> tuple[torch.Tensor, torch.Tensor]:
    """One step on loss_G + loss_R -> (loss_G, loss_R) as tensors."""
    opt.zero_grad()
    rel_out = rel(x)
    loss_g = criterion(gen(rel_out), x)
    loss_r = criterion(rel_out * mask, rel_target * mask)
    (loss_g + loss_r).backward()   # loss_G's gradient reaches rel through gen
    opt.step(factor)
    return loss_g, loss_r


def build_model(ts: TemplateSet, templates: BatchedMLP, rel: MLP, gen: MLP, centre: np.ndarray,
                 scale: float, cfg: TrainConfig, gen_layers: Layers | None = None) -> GRCModel:
    """The model of these networks (`gen_layers`: the generative model's layers instead)."""
    k, _, _, c = ts.shape
    return GRCModel([templates.layers(i) for i in range(k)], rel.layers(), gen_layers or gen.layers(),
                    ts.times.copy(), ts.morphs.copy(), centre, scale, c, cfg.context_dims,
                    list(ts.names))


def stage_one(ts: TemplateSet, cfg: TrainConfig, report: Reporter,
              make_opt: OptFactory) -> tuple[np.ndarray, float, np.ndarray, np.ndarray, BatchedMLP]:
    """Fit (and refit) and freeze the template models -> (centre, scale, normalised rows
    (K, T*R, 3C), relational inputs (T*R, 2), templates)."""
    centre, scale, norm_rows, rel_in = relational_data(ts)
    report(0, {})
    fit_in, fit_rows, weights = template_fit_rows(ts.times, ts.morphs, norm_rows, rel_in, cfg.inbetweens,
                                                  cfg.inbetween_weight, cfg.inbetween_arcs)
    templates = fit_templates(ts, fit_in, fit_rows, weights, cfg, report, make_opt)
    if cfg.refit:
        ref_in, ref_rows, ref_w = template_refit_rows(ts.times, ts.morphs, norm_rows, (fit_in, fit_rows, weights),
                                                      cfg.row_inbetween_weight)
        refit_templates(templates, ref_rows, ref_in, cfg.template_ridge, ref_w)
    for p in templates.parameters():
        p.requires_grad_(False)
    return centre, scale, norm_rows, rel_in, templates


def refit_templates(templates: BatchedMLP, rows: np.ndarray, rel_in: np.ndarray,
                    ridge: float, weights: np.ndarray) -> None:
    """Each template model's last layer, refitted in closed form to its fit rows."""
    for k in range(rows.shape[0]):
        (w, b), kept = refit_last(templates.layers(k), rel_in, rows[k], ridge, weights)
        if kept:
            with torch.no_grad():
                templates.weights[-1][k].copy_(torch.from_numpy(w))
                templates.biases[-1][k, 0].copy_(torch.from_numpy(b))


def refit_generative(rel: MLP, gen_layers: Layers, data: RefitRows, ridge: float, rounds: int,
                     pool_scales: tuple[float, ...] = (1.0,), good: float = 0.0,
                     plans: Sequence[float] = (1.0, 0.0), give_up: float = float("inf")) -> Layers | None:
    """The generative model's layers `gen_layers` with the last one refitted on `data`
    through the current relational model (refit.refit_generative_layers); None when the
    refit would not lower the target's score. The networks are not changed."""
    return refit_generative_layers(gen_layers, forward(rel.layers(), data.x), data, ridge, rounds, pool_scales,
                                   good, plans, give_up)


def stage_two_nets(ts: TemplateSet, cfg: TrainConfig, make_opt: OptFactory
                   ) -> tuple[torch.Tensor, MLP, MLP, torch.Tensor, Optimiser]:
    """(context targets, relational model, generative model, loss_R mask, optimiser)."""
    k, _, _, c = ts.shape
    targets = torch.tensor(context_targets(k, cfg.context_dims), dtype=DTYPE)
    rel = MLP(cfg.sizes.relational_sizes(c, cfg.context_dims))
    gen = MLP(cfg.sizes.generative_sizes(c, cfg.context_dims))
    with torch.no_grad():
        # The generative model, like the template models, maps a few order-1 inputs to a
        # row: a steeper first layer reaches the target in fewer steps (docs/model.md).
        first = gen.seq[0]
        assert isinstance(first, torch.nn.Linear)
        first.weight.mul_(cfg.generative_init_gain)
        first.bias.mul_(cfg.generative_init_gain)
    opt = make_opt([{"params": list(rel.parameters()), "lr": cfg.lr_r},
                    {"params": list(gen.parameters()), "lr": cfg.lr_g}], cfg)
    mask = torch.tensor([1.0, 1.0] + [cfg.context_filter] * cfg.context_dims, dtype=DTYPE)
    return targets, rel, gen, mask, opt


def finish(ts: TemplateSet, templates: BatchedMLP, rel: MLP, gen_layers: Layers, centre: np.ndarray,
           scale: float, cfg: TrainConfig, seed: int, steps_done: int) -> GRCModel:
    """The trained model (`gen_layers`: the generative model's) with its record (config,
    errors, context range) in meta."""
    return finished_model(ts, [templates.layers(i) for i in range(ts.shape[0])], rel.layers(), gen_layers,
                          centre, scale, cfg, seed, steps_done, "torch")
