"""Training with torch (imported here only; model_core.train imports this lazily).

Two stages, as in the seed:
1. Template models: one MLP per template learns (time, morph) -> row of coordinates.
   All K are fitted at once as one batched network (torch.bmm), full batch.
2. Relational + generative models, from targets the template models generate at random
   relational points: loss_G = MSE(gen(rel(x)), x) and loss_R = MSE(rel(x) * f, target * f)
   with f = (1, 1, w) (w = 0.05 in the seed), so the context output is free to emerge
   from loss_G's gradient flowing back through the generative model into the relational
   one. Adam with a rate per network (the seed's two optimisers; FlatAdam makes the same
   update in fewer ops). The context target (what the 5% leak pulls toward) is the
   template's index spread over [0, 1] (infer.context_targets).

`TrainConfig.literal()` is the seed's procedure (one sample a step, 100,000 epochs,
lrR 1e-4, lrG 2e-4, the seed's layer sizes, summed squared error). The default config
trains the same losses faster: wider nets, batches, a decaying learning rate, one
thread, and an early stop once the reconstruction target is met.
"""
from __future__ import annotations

import math
import time
from dataclasses import replace
from threading import Event
from typing import Any, Callable

import numpy as np
import torch

from .errors import GRCError, TrainingCancelled
from .config import TrainConfig
from .context import resolve_dims
from .infer import GRCModel, context_targets, unit_index
from .nets import Layers
from .templates import TemplateSet, rows_layout

Progress = Callable[[int, int, dict[str, float]], None]
# float32: about 1.7x faster per step than float64 here, and the stored weights are float32 anyway.
DTYPE = torch.float32


# ---- torch networks ------------------------------------------------------------------

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


# ---- training ------------------------------------------------------------------------

class _Reporter:
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


def _lr_factor(cfg: TrainConfig, step: int, total: int) -> float:
    if not cfg.lr_decay:
        return 1.0
    return 0.01 + 0.99 * 0.5 * (1.0 + math.cos(math.pi * step / total))


def _criterion(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The seed's MSELoss(reduction='sum') per sample, averaged over the batch.

    With one sample a step (the literal procedure) this is exactly the seed's criterion;
    summing over features keeps the seed's balance between loss_G (3C values) and loss_R."""
    return (a - b).square().sum(-1).mean()


def _fit_templates(ts: TemplateSet, data: np.ndarray, rel_in: np.ndarray, cfg: TrainConfig,
                   report: _Reporter) -> BatchedMLP:
    """Stage 1: data (K, T*R, 3C) normalised rows at rel_in (T*R, 2)."""
    k, _, _, c = ts.shape
    net = BatchedMLP(k, cfg.sizes.template_sizes(c))
    with torch.no_grad():
        # A steeper first layer gives the ELUs curvature across the [-1, 1] map from
        # the start: the fit converges in fewer steps (measured 0.31% vs 0.50% mean error
        # after 1000 steps on the example set).
        net.weights[0].mul_(cfg.template_init_gain)
        net.biases[0].mul_(cfg.template_init_gain)
    x = torch.tensor(np.broadcast_to(rel_in, (k, *rel_in.shape)), dtype=DTYPE)
    y = torch.tensor(data, dtype=DTYPE)
    opt = _adam([{"params": list(net.parameters()), "lr": cfg.template_lr}], cfg)
    steps = cfg.template_steps
    for step in range(steps):
        opt.zero_grad()
        loss = _criterion(net(x), y)
        loss.backward()
        opt.step(_lr_factor(cfg, step, steps))
        if report.due(step):
            report(step, {"template": loss.item()})
    return net


class FlatAdam:
    """Adam over one flat parameter vector: the same update as torch.optim.Adam with a
    learning rate per parameter group (checked against it in the tests), in ~8 tensor
    ops a step whatever the number of layers.

    Adam keeps its state per parameter, so this equals the seed's two optimisers (one per
    network, each with its own rate). Measured here for the relational + generative pair:
    2.2 ms a step with torch's foreach Adam, 1.4 ms fused, 1.2 ms flat."""

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
        g = torch.cat([p.grad.reshape(-1) for p in self.params])  # type: ignore[union-attr]
        self.t += 1
        self.m.lerp_(g, 1.0 - self.b1)
        self.v.mul_(self.b2).addcmul_(g, g, value=1.0 - self.b2)
        denom = (self.v / (1.0 - self.b2 ** self.t)).sqrt_().add_(self.eps)
        self.flat.addcdiv_(self.m * self.lr, denom, value=-lr_factor / (1.0 - self.b1 ** self.t))


class TorchAdams:
    """The seed's optimisers: one torch.optim.Adam per network (the literal procedure)."""

    def __init__(self, groups: list[dict[str, Any]], betas: tuple[float, float] = (0.9, 0.999)):
        self.opts = [torch.optim.Adam(g["params"], lr=g["lr"], betas=betas) for g in groups]
        self.base = [float(g["lr"]) for g in groups]

    def zero_grad(self) -> None:
        for opt in self.opts:
            opt.zero_grad(set_to_none=True)

    def step(self, lr_factor: float = 1.0) -> None:
        for opt, lr in zip(self.opts, self.base):
            opt.param_groups[0]["lr"] = lr * lr_factor
            opt.step()


def _adam(groups: list[dict[str, Any]], cfg: TrainConfig) -> FlatAdam | TorchAdams:
    betas = (0.9, cfg.adam_beta2)
    return FlatAdam(groups, betas) if cfg.flat_adam else TorchAdams(groups, betas)


class _Pool:
    """Training targets drawn from the template models.

    A pool at random relational points is drawn from the template models once (the same
    distribution as drawing each step, far fewer template passes); every batch takes
    `batch` random rows of it plus, with `anchors`, the template models' rows at the
    captured points, where the artist's shapes are exact. A phase's indexes are drawn up
    front: one gather a step."""

    def __init__(self, templates: BatchedMLP, targets: torch.Tensor, rel_in: np.ndarray,
                 rng: np.random.Generator, cfg: TrainConfig):
        k, dims = targets.shape
        pts = [rng.uniform(-1, 1, (k, cfg.pool, 2))]
        if cfg.anchors:
            pts.append(np.broadcast_to(rel_in, (k, *rel_in.shape)))
        pool_in = torch.tensor(np.concatenate(pts, axis=1), dtype=DTYPE)    # (K, P + A, 2)
        n = pool_in.shape[1]
        with torch.no_grad():
            self.x = templates(pool_in).reshape(k * n, -1)
        self.rel = torch.cat([pool_in, targets[:, None, :].expand(k, n, dims)], -1).reshape(k * n, 2 + dims)
        self.k, self.n, self.rng, self.cfg = k, n, rng, cfg
        # row index of sample j of template i is i * n + j; the anchors are the last columns
        self.anchors = (np.arange(k)[:, None] * n + np.arange(cfg.pool, n)[None, :]).ravel()

    def rows(self, steps: int) -> torch.Tensor:
        cfg, rng = self.cfg, self.rng
        rows = rng.integers(0, self.k, (steps, cfg.batch)) * self.n + rng.integers(0, cfg.pool, (steps, cfg.batch))
        if cfg.anchors:
            rows = np.hstack([rows, np.broadcast_to(self.anchors, (steps, self.anchors.size))])
        return torch.from_numpy(rows)


def _build_model(ts: TemplateSet, templates: BatchedMLP, rel: MLP, gen: MLP, centre: np.ndarray,
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


def train(ts: TemplateSet, config: TrainConfig | None = None, seed: int = 0,
          progress: Progress | None = None, cancel: Event | None = None) -> GRCModel:
    """Fit the template models, then the relational and generative models -> GRCModel."""
    if not isinstance(ts, TemplateSet):
        raise GRCError("train() needs a TemplateSet")
    cfg = config or TrainConfig()
    cfg.validate()
    cfg = replace(cfg, context_dims=resolve_dims(cfg.context_dims, ts.shape[0]))
    started = time.perf_counter()
    threads = torch.get_num_threads()
    torch.set_num_threads(cfg.threads)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = _train(ts, cfg, seed, progress, cancel)
    finally:
        torch.set_num_threads(threads)
    model.meta["train_seconds"] = round(time.perf_counter() - started, 3)
    return model


def _train(ts: TemplateSet, cfg: TrainConfig, seed: int, progress: Progress | None,
           cancel: Event | None) -> GRCModel:
    k, t, r, c = ts.shape
    centre, scale = ts.normalisation()
    norm_rows = rows_layout((ts.coords - centre) / scale).reshape(k, t * r, 3 * c)
    tn = unit_index(ts.times, ts.times)
    mn = unit_index(ts.morphs, ts.morphs)
    rel_in = np.stack(np.meshgrid(tn, mn, indexing="ij"), axis=-1).reshape(t * r, 2)

    total = cfg.template_steps + cfg.steps
    report = _Reporter(total, progress, cancel)
    report(0, {})
    templates = _fit_templates(ts, norm_rows, rel_in, cfg, report)
    for p in templates.parameters():
        p.requires_grad_(False)

    rng = np.random.default_rng(seed)
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
    opt = _adam([{"params": list(rel.parameters()), "lr": cfg.lr_r},
                 {"params": list(gen.parameters()), "lr": cfg.lr_g}], cfg)
    mask = torch.tensor([1.0, 1.0] + [cfg.context_filter] * cfg.context_dims, dtype=DTYPE)
    pool = _Pool(templates, targets, rel_in, rng, cfg) if cfg.pool else None

    def build() -> GRCModel:
        return _build_model(ts, templates, rel, gen, centre, scale, cfg)

    def good(errors: list[dict[str, Any]]) -> bool:
        return all(e["mean_pct"] <= cfg.stop_mean_pct and e["max_pct"] <= cfg.stop_max_pct for e in errors)

    # One cosine schedule, stopped early once the reconstruction target (with a margin) is
    # met. (Restarting at a lower rate when it is missed was measured: no better, sometimes
    # worse, so it is not done.)
    rows = pool.rows(cfg.steps) if pool is not None else None
    steps_done = cfg.steps
    for step in range(cfg.steps):
        if pool is not None and rows is not None:
            x, rel_target = pool.x[rows[step]], pool.rel[rows[step]]
        else:
            # The seed's way: fresh samples from randomly chosen template models each step.
            which = torch.from_numpy(rng.integers(0, k, cfg.batch))
            pts = torch.tensor(rng.uniform(-1, 1, (cfg.batch, 2)), dtype=DTYPE)
            with torch.no_grad():
                x = templates(pts[None].expand(k, -1, -1))[which, torch.arange(cfg.batch)]
            rel_target = torch.cat([pts, targets[which]], -1)
        opt.zero_grad()
        rel_out = rel(x)
        loss_g = _criterion(gen(rel_out), x)
        loss_r = _criterion(rel_out * mask, rel_target * mask)
        (loss_g + loss_r).backward()   # loss_G's gradient reaches rel through gen
        opt.step(_lr_factor(cfg, step, cfg.steps))
        done = step + 1
        if report.due(done) or done == cfg.steps:
            report(cfg.template_steps + done, {"gen": loss_g.item(), "rel": loss_r.item()})
        if cfg.check_every and done % cfg.check_every == 0 and done < cfg.steps and good(reconstruction_errors(build(), ts)):
            steps_done = done
            break
    report(total, {"gen": loss_g.item(), "rel": loss_r.item()})

    model = _build_model(ts, templates, rel, gen, centre, scale, cfg)
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
