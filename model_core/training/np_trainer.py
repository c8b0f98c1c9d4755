"""The numpy trainer: the torch trainer's default procedure (trainer.py) in plain numpy.

The same two stages, networks, losses, FlatAdam, cosine schedule, pool batches, early stop
and closed-form refits (np_nets.py holds the networks and their gradients); only the
random initial weights come from numpy's generator instead of torch's. model_core.train()
uses it unless torch is asked for (TrainConfig.trainer, $GRC_TRAINER): it is the faster of
the two at these sizes, and the add-on trains in any Blender with its own numpy. It
imports nothing beyond numpy.
The seed's literal procedure stays torch-only (literal.py).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..config import TrainConfig
from ..context import context_targets
from ..infer import GRCModel
from ..nets import Layers
from .np_nets import DTYPE, FlatAdam, Net, sq_loss_grad
from .inbetweens import template_fit_rows, template_refit_rows
from .refit import generative_rows, refit_generative_layers, refit_last
from ..templates import TemplateSet
from .train_common import (FixedUnits, PoolIndex, RefitPlan, Reporter, between_rows, finished_model, keyframe_units,
                           lr_factor, pool_inputs, refit_pool_plan, relational_data, stage_two_schedule)


def template_nets(k: int, cfg: TrainConfig, cols: int) -> tuple[Net, FlatAdam]:
    """The K template models as one batched net, and their optimiser."""
    shapes = Net.shapes(cfg.sizes.template_sizes(cols), k)
    opt = FlatAdam([(shapes, cfg.template_lr)], cfg.adam_beta2)
    return Net(opt.params, opt.grads), opt


def stage_two_nets(k: int, cfg: TrainConfig, cols: int) -> tuple[Net, Net, FlatAdam]:
    """The relational and generative models and one optimiser over both (the seed's rates)."""
    rel_shapes = Net.shapes(cfg.sizes.relational_sizes(cols, cfg.context_dims))
    gen_shapes = Net.shapes(cfg.sizes.generative_sizes(cols, cfg.context_dims))
    opt = FlatAdam([(rel_shapes, cfg.lr_r), (gen_shapes, cfg.lr_g)], cfg.adam_beta2)
    n = len(rel_shapes)
    return Net(opt.params[:n], opt.grads[:n]), Net(opt.params[n:], opt.grads[n:]), opt


def template_step(net: Net, opt: FlatAdam, x: np.ndarray, y: np.ndarray, factor: float,
                  root_w: np.ndarray | None = None) -> float:
    """One full-batch step of the template models: x (K, N, 2), y (K, N, 3C), root_w (N, 1)
    the square roots of the row weights (None: all 1) -> loss."""
    loss, grad = sq_loss_grad(net.forward(x), y, root_w)
    net.backward(grad, need_dx=False)
    opt.step(factor)
    return loss


def stage_two_step(rel: Net, gen: Net, opt: FlatAdam, x: np.ndarray, rel_target: np.ndarray,
                   mask: np.ndarray, factor: float) -> tuple[float, float]:
    """One step on loss_G + loss_R (loss_G's gradient reaches rel through gen) -> losses."""
    rel_out = rel.forward(x)
    loss_g, d_gen = sq_loss_grad(gen.forward(rel_out), x)
    loss_r, d_rel = sq_loss_grad(rel_out, rel_target, mask)
    d_rel += gen.backward(d_gen)
    rel.backward(d_rel, need_dx=False)
    opt.step(factor)
    return loss_g, loss_r


def train_numpy(ts: TemplateSet, cfg: TrainConfig, seed: int, report: Reporter) -> GRCModel:
    """Fit the template models, then the relational and generative models -> GRCModel."""
    rng = np.random.default_rng([seed, 1])          # the initial weights
    centre, scale, norm_rows, rel_in = relational_data(ts)
    report(0, {})
    templates = _stage_one(ts, cfg, rng, norm_rows, rel_in, report)
    template_layers = [templates.layers(i) for i in range(ts.shape[0])]
    rel, gen_layers, steps_done = _stage_two(ts, cfg, seed, rng, templates, template_layers, norm_rows, rel_in,
                                             centre, scale, report)
    return finished_model(ts, template_layers, rel.layers(), gen_layers, centre, scale, cfg, seed,
                          steps_done, "numpy")


def _stage_one(ts: TemplateSet, cfg: TrainConfig, rng: np.random.Generator, norm_rows: np.ndarray,
               rel_in: np.ndarray, report: Reporter) -> Net:
    """The template models, full batch on the captured rows and their spline in-betweens,
    then their last layers refitted to the same rows."""
    k, _, _, c = ts.shape
    templates, opt = template_nets(k, cfg, c)
    templates.init(rng, cfg.template_init_gain)
    fit_in, fit_rows, wts = template_fit_rows(ts.times, ts.morphs, norm_rows, rel_in, cfg.inbetweens,
                                              cfg.inbetween_weight, cfg.inbetween_arcs)
    x = np.ascontiguousarray(np.broadcast_to(fit_in, (k, *fit_in.shape)), DTYPE)
    y = fit_rows.astype(DTYPE)
    root_w = None if np.all(wts == 1.0) else np.sqrt(wts).astype(DTYPE)[:, None]
    for step in range(cfg.template_steps):
        loss = template_step(templates, opt, x, y, lr_factor(cfg, step, cfg.template_steps), root_w)
        if report.due(step):
            report(step, {"template": loss})
    if cfg.refit:
        ref_in, ref_rows, ref_w = template_refit_rows(ts.times, ts.morphs, norm_rows, (fit_in, fit_rows, wts),
                                                      cfg.row_inbetween_weight)
        for i in range(k):
            last, kept = refit_last(templates.layers(i), ref_in, ref_rows[i], cfg.template_ridge, ref_w)
            if kept:
                templates.params[-2][i], templates.params[-1][i, 0] = last
    return templates


def _stage_two(ts: TemplateSet, cfg: TrainConfig, seed: int, rng: np.random.Generator, templates: Net,
               template_layers: list[Layers], norm_rows: np.ndarray, rel_in: np.ndarray,
               centre: np.ndarray, scale: float, report: Reporter) -> tuple[Net, Layers, int]:
    """The relational and generative models on pool batches, stopped early at the target
    -> (relational model, the generative model's layers, steps run)."""
    k, _, _, c = ts.shape
    targets = context_targets(k, cfg.context_dims).astype(DTYPE)
    rel, gen, opt = stage_two_nets(k, cfg, c)
    rel.init(rng)
    gen.init(rng, cfg.generative_init_gain)
    data_rng = np.random.default_rng(seed)        # the pool and the batches: as the torch trainer's
    pool_in = pool_inputs(k, rel_in, data_rng, cfg).astype(DTYPE)            # (K, P + A, 2)
    n = pool_in.shape[1]
    pool_x = templates.forward(pool_in, keep=False).reshape(k * n, -1)
    pool_rel = np.concatenate([pool_in, np.broadcast_to(targets[:, None, :], (k, n, targets.shape[1]))],
                              axis=-1).reshape(k * n, -1)
    index = PoolIndex(k, n, data_rng, cfg)
    rows = index.rows(cfg.steps)
    pool_weight, pool_scales, good = refit_pool_plan(cfg)
    between = (between_rows(ts, lambda x: templates.forward(x.astype(DTYPE), keep=False), scale, cfg.refit_between,
                            cfg.refit_row_between, norm_rows, cfg.inbetween_arcs)
               if cfg.refit and cfg.holds_between() else None)
    fixed = FixedUnits(cfg.sizes.generative_sizes(c, cfg.context_dims), cfg, seed)
    refit_data = (generative_rows(pool_x, index.anchors, norm_rows.reshape(-1, 3 * c), index.refit_pick(),
                                  pool_weight, keyframe_units(ts, scale), between) if cfg.refit else None)
    mask = np.array([1.0, 1.0] + [cfg.context_filter] * cfg.context_dims, DTYPE)

    def refitted(plan: RefitPlan) -> Layers | None:
        if refit_data is None:
            return None
        return refit_generative_layers(fixed.widen(gen.layers(), plan.rescue),
                                       rel.forward(refit_data.x.astype(DTYPE), keep=False),
                                       refit_data, cfg.generative_ridge, cfg.refit_rounds,
                                       pool_scales[:plan.scales], good, plan.rows, plan.give_up(good))

    def build(layers: Layers | None) -> GRCModel:
        return GRCModel(template_layers, rel.layers(), layers or gen.layers(), ts.times, ts.morphs,
                        centre, scale, c, cfg.context_dims, list(ts.names))

    def step(i: int, factor: float) -> tuple[float, float]:
        batch = rows[i % len(rows)]
        return stage_two_step(rel, gen, opt, pool_x[batch], pool_rel[batch], mask, factor)

    def snapshot() -> Callable[[], None]:
        saved = opt.flat.copy()

        def restore() -> None:
            opt.flat[...] = saved
        return restore

    steps_done, kept = stage_two_schedule(ts, cfg, report, step, refitted, build, snapshot)
    return rel, kept or gen.layers(), steps_done
