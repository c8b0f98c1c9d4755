"""The seed article's own training procedure, kept runnable (`--literal`, bench/train_speed).

Same networks, template fit and losses as the default (torch_nets.py); what differs is the
seed's stage 2: every step draws fresh samples (batch 1 in the seed) at random relational
points from randomly chosen template models, two torch Adams (one per network), no
learning-rate decay and no early stop. TrainConfig.literal() holds its settings.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..config import TrainConfig
from ..infer import GRCModel
from ..templates import TemplateSet
from .torch_nets import DTYPE, Reporter, criterion, finish, stage_one, stage_two_nets


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


def torch_adams(groups: list[dict[str, Any]], cfg: TrainConfig) -> TorchAdams:
    return TorchAdams(groups, (0.9, cfg.adam_beta2))


def run(ts: TemplateSet, cfg: TrainConfig, seed: int, report: Reporter) -> GRCModel:
    k = ts.shape[0]
    centre, scale, _, _, templates = stage_one(ts, cfg, report, torch_adams)
    rng = np.random.default_rng(seed)
    targets, rel, gen, mask, opt = stage_two_nets(ts, cfg, torch_adams)
    loss_g = loss_r = torch.zeros(())
    for step in range(cfg.steps):
        which = torch.from_numpy(rng.integers(0, k, cfg.batch))
        pts = torch.tensor(rng.uniform(-1, 1, (cfg.batch, 2)), dtype=DTYPE)
        with torch.no_grad():
            x = templates(pts[None].expand(k, -1, -1))[which, torch.arange(cfg.batch)]
        rel_target = torch.cat([pts, targets[which]], -1)
        opt.zero_grad()
        rel_out = rel(x)
        loss_g = criterion(gen(rel_out), x)
        loss_r = criterion(rel_out * mask, rel_target * mask)
        (loss_g + loss_r).backward()
        opt.step()
        if report.due(step + 1):
            report(cfg.template_steps + step + 1, {"gen": loss_g.item(), "rel": loss_r.item()})
    report(report.total, {"gen": loss_g.item(), "rel": loss_r.item()})
    return finish(ts, templates, rel, gen.layers(), centre, scale, cfg, seed, cfg.steps)
