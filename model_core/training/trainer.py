"""Training with torch (imported here only; model_core.train imports this lazily).

Two stages, as in the seed:
1. Template models: one MLP per template learns (time, morph) -> row of coordinates.
   All K are fitted at once as one batched network (torch.bmm), full batch.
2. Relational + generative models, from targets the template models generate at random
   relational points: loss_G = MSE(gen(rel(x)), x) and loss_R = MSE(rel(x) * f, target * f)
   with f = (1, 1, w) (w = 0.05 in the seed), so the context output is free to emerge
   from loss_G's gradient flowing back through the generative model into the relational
   one. The context target (what the 5% leak pulls toward) is Context.targets().

The default (this file) trains the seed's losses faster: wider nets, batches from a pool
of template-model samples plus the captured points, one flat Adam with a decaying rate,
and an early stop at the reconstruction target. `TrainConfig.literal()` runs the seed's
own procedure instead (literal.py). docs/model.md has the measurements behind each choice.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from . import literal
from ..config import TrainConfig
from ..fidelity import reconstruction_errors
from ..infer import GRCModel
from ..nets import Layers
from .refit import RefitRows, generative_rows
from .train_common import (FixedUnits, PoolIndex, RefitPlan, between_rows, keyframe_units, pool_inputs,
                           refit_pool_plan, stage_two_schedule)
from ..templates import TemplateSet
from .torch_nets import (DTYPE, MLP, BatchedMLP, FlatAdam, Reporter, build_model, finish, flat_adam, refit_generative, stage_one, stage_two_nets, stage_two_step)

__all__ = ["train_torch", "reconstruction_errors", "MLP", "BatchedMLP", "FlatAdam"]


class _Pool:
    """Training targets drawn from the template models.

    A pool at random relational points is drawn from the template models once (the same
    distribution as drawing each step, far fewer template passes); every batch takes
    `batch` random rows of it plus the template models' rows at the captured points, where
    the artist's shapes are exact (train_common.PoolIndex)."""

    def __init__(self, templates: BatchedMLP, targets: torch.Tensor, rel_in: np.ndarray,
                 rng: np.random.Generator, cfg: TrainConfig):
        k, dims = targets.shape
        pool_in = torch.tensor(pool_inputs(k, rel_in, rng, cfg), dtype=DTYPE)    # (K, P + A, 2)
        n = pool_in.shape[1]
        with torch.no_grad():
            self.x = templates(pool_in).reshape(k * n, -1)
        self.rel = torch.cat([pool_in, targets[:, None, :].expand(k, n, dims)], -1).reshape(k * n, 2 + dims)
        self.index = PoolIndex(k, n, rng, cfg)

    def refit_data(self, norm_rows: np.ndarray, units: np.ndarray,
                   between: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None) -> RefitRows:
        """The generative refit's rows: the captured ones (exact targets), the rows between
        keyframes, and a fixed draw of pool rows (refit.generative_rows)."""
        exact = norm_rows.reshape(-1, norm_rows.shape[-1])
        return generative_rows(self.x.numpy(), self.index.anchors, exact, self.index.refit_pick(),
                               refit_pool_plan(self.index.cfg)[0], units, between)

    def rows(self, steps: int) -> torch.Tensor:
        return torch.from_numpy(self.index.rows(steps))


def train_torch(ts: TemplateSet, cfg: TrainConfig, seed: int, report: Reporter) -> GRCModel:
    """Fit the template models, then the relational and generative models -> GRCModel.
    `cfg` is validated and its context dims resolved (run.train, the one entry point)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(cfg.threads)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            run = literal.run if cfg.procedure == "literal" else _train
            return run(ts, cfg, seed, report)
    finally:
        torch.set_num_threads(threads)


def _train(ts: TemplateSet, cfg: TrainConfig, seed: int, report: Reporter) -> GRCModel:
    centre, scale, norm_rows, rel_in, templates = stage_one(ts, cfg, report, flat_adam)
    rng = np.random.default_rng(seed)
    targets, rel, gen, mask, opt = stage_two_nets(ts, cfg, flat_adam)
    pool = _Pool(templates, targets, rel_in, rng, cfg)
    rows = pool.rows(cfg.steps)
    between = (between_rows(ts, lambda x: templates(torch.tensor(x, dtype=DTYPE)).numpy(), scale, cfg.refit_between,
                            cfg.refit_row_between, norm_rows, cfg.inbetween_arcs)
               if cfg.refit and cfg.holds_between() else None)
    fixed = FixedUnits(cfg.sizes.generative_sizes(ts.shape[3], cfg.context_dims), cfg, seed)
    refit_data = pool.refit_data(norm_rows, keyframe_units(ts, scale), between) if cfg.refit else None

    _, pool_scales, good = refit_pool_plan(cfg)

    def refitted(plan: RefitPlan) -> Layers | None:
        if refit_data is None:
            return None
        return refit_generative(rel, fixed.widen(gen.layers(), plan.rescue), refit_data, cfg.generative_ridge,
                                cfg.refit_rounds, pool_scales[:plan.scales], good, plan.rows, plan.give_up(good))

    def step(i: int, factor: float) -> tuple[torch.Tensor, torch.Tensor]:
        batch = rows[i % len(rows)]
        return stage_two_step(rel, gen, opt, pool.x[batch], pool.rel[batch], mask, factor)

    # One cosine schedule, stopped early once the reconstruction target (with a margin) is met.
    def snapshot() -> Callable[[], None]:
        saved = [p.detach().clone() for p in [*rel.parameters(), *gen.parameters()]]

        def restore() -> None:
            with torch.no_grad():
                for p, s in zip([*rel.parameters(), *gen.parameters()], saved):
                    p.copy_(s)
        return restore

    steps_done, kept = stage_two_schedule(ts, cfg, report, step, refitted,
                                          lambda layers: build_model(ts, templates, rel, gen, centre, scale, cfg, layers),
                                          snapshot)
    return finish(ts, templates, rel, kept or gen.layers(), centre, scale, cfg, seed, steps_done)
