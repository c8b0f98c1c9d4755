"""The torch side shared by both training procedures (the default in trainer.py, the seed's
in literal.py): the seed's networks, the template fit, the losses, progress and the finish.
"""
from __future__ import annotations

import math
from threading import Event
from typing import Any, Callable, Protocol

import numpy as np
import torch

from .config import TrainConfig
from .context import context_targets
from .errors import GRCError, TrainingCancelled
from .infer import GRCModel, unit_index
from .nets import Layers
from .templates import TemplateSet, rows_layout

Progress = Callable[[int, int, dict[str, float]], None]
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


def lr_factor(cfg: TrainConfig, step: int, total: int) -> float:
    if not cfg.lr_decay:
        return 1.0
    return 0.01 + 0.99 * 0.5 * (1.0 + math.cos(math.pi * step / total))


def criterion(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The seed's MSELoss(reduction='sum') per sample, averaged over the batch.

    With one sample a step (the literal procedure) this is exactly the seed's criterion;
    summing over features keeps the seed's balance between loss_G (3C values) and loss_R."""
    return (a - b).square().sum(-1).mean()


class Reporter:
    """Throttles progress callbacks, checks cancellation and catches divergence.

    Losses are read (a tensor -> float conversion) only on reporting steps, about 200
    times a training, not every step."""

    def __init__(self, total: int, progress: Progress | None, cancel: Event | None):
        self.total, self.progress, self.cancel = total, progress, cancel
        self.every = max(1, total // 200)

    def due(self, step: int) -> bool:
        return step % self.every == 0

    def __call__(self, step: int, losses: dict[str, float]) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise TrainingCancelled("training was cancelled")
        if not all(math.isfinite(v) for v in losses.values()):
            raise GRCError(f"training diverged at step {step} (loss became non-finite); "
                           "lower the learning rates and train again")
        if self.progress is not None:
            self.progress(step, self.total, losses)


# ---- the shared stages ----------------------------------------------------------------------

def relational_data(ts: TemplateSet) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """(centre, scale, normalised rows (K, T*R, 3C), relational inputs (T*R, 2) in [-1, 1])."""
    k, t, r, c = ts.shape
    centre, scale = ts.normalisation()
    norm_rows = rows_layout((ts.coords - centre) / scale).reshape(k, t * r, 3 * c)
    tn = unit_index(ts.times, ts.times)
    mn = unit_index(ts.morphs, ts.morphs)
    rel_in = np.stack(np.meshgrid(tn, mn, indexing="ij"), axis=-1).reshape(t * r, 2)
    return centre, scale, norm_rows, rel_in


def fit_templates(ts: TemplateSet, data: np.ndarray, rel_in: np.ndarray, cfg: TrainConfig,
                  report: Reporter, make_opt: OptFactory) -> BatchedMLP:
    """Stage 1: data (K, T*R, 3C) normalised rows at rel_in (T*R, 2)."""
    k, _, _, c = ts.shape
    net = BatchedMLP(k, cfg.sizes.template_sizes(c))
    with torch.no_grad():
        # A steeper first layer gives the ELUs curvature across the [-1, 1] map from
        # the start, so the fit converges in fewer steps (docs/model.md).
        net.weights[0].mul_(cfg.template_init_gain)
        net.biases[0].mul_(cfg.template_init_gain)
    x = torch.tensor(np.broadcast_to(rel_in, (k, *rel_in.shape)), dtype=DTYPE)
    y = torch.tensor(data, dtype=DTYPE)
    opt = make_opt([{"params": list(net.parameters()), "lr": cfg.template_lr}], cfg)
    steps = cfg.template_steps
    for step in range(steps):
        opt.zero_grad()
        loss = criterion(net(x), y)
        loss.backward()
        opt.step(lr_factor(cfg, step, steps))
        if report.due(step):
            report(step, {"template": loss.item()})
    return net


def build_model(ts: TemplateSet, templates: BatchedMLP, rel: MLP, gen: MLP, centre: np.ndarray,
                 scale: float, cfg: TrainConfig) -> GRCModel:
    k, _, _, c = ts.shape
    return GRCModel([templates.layers(i) for i in range(k)], rel.layers(), gen.layers(),
                    ts.times.copy(), ts.morphs.copy(), centre, scale, c, cfg.context_dims,
                    list(ts.names))


def reconstruction_errors(model: GRCModel, ts: TemplateSet) -> list[dict[str, Any]]:
    """Generate each template (alpha = its index) at each captured time; compare per vertex."""
    k, t, _, _ = ts.shape
    diags = ts.diagonals()
    out = []
    for i in range(k):
        alpha = np.repeat([model.template_context(i)], t, axis=0)
        gen = model.generate_many(ts.times, alpha, np.zeros(t))
        err = np.linalg.norm(gen - ts.coords[i], axis=-1)
        out.append({"name": ts.names[i],
                    "mean": float(err.mean()), "max": float(err.max()), "diag": float(diags[i]),
                    "mean_pct": float(100 * err.mean() / diags[i]),
                    "max_pct": float(100 * err.max() / diags[i])})
    return out


def stage_one(ts: TemplateSet, cfg: TrainConfig, report: Reporter,
              make_opt: OptFactory) -> tuple[np.ndarray, float, np.ndarray, BatchedMLP]:
    """Fit and freeze the template models -> (centre, scale, relational inputs, templates)."""
    centre, scale, norm_rows, rel_in = relational_data(ts)
    report(0, {})
    templates = fit_templates(ts, norm_rows, rel_in, cfg, report, make_opt)
    for p in templates.parameters():
        p.requires_grad_(False)
    return centre, scale, rel_in, templates


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


def finish(ts: TemplateSet, templates: BatchedMLP, rel: MLP, gen: MLP, centre: np.ndarray,
           scale: float, cfg: TrainConfig, seed: int, steps_done: int) -> GRCModel:
    """The trained model with its record (config, errors, context range) in meta."""
    model = build_model(ts, templates, rel, gen, centre, scale, cfg)
    nets = [*model.template_nets, model.relational, model.generative]
    if not all(np.isfinite(w).all() and np.isfinite(b).all() for net in nets for w, b in net):
        raise GRCError("training produced non-finite weights; lower the learning rates and train again")
    errors = reconstruction_errors(model, ts)
    traces = model.context_traces()
    model.meta.update({
        "config": cfg.as_dict(), "seed": seed, "steps_done": steps_done,
        "errors": errors,
        "context_range": [float(traces.min()), float(traces.max())],
        "identical_templates": ts.identical_pairs(),
    })
    return model
