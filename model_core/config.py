"""Training settings (no torch here: the Blender panel reads the defaults at enable time).

The default trains the seed's losses faster; `TrainConfig.literal()` is the seed article's
own procedure, kept runnable so bench/train_speed.py can run both side by side.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from .context import AUTO, resolve_dims
from .errors import GRCError
from .limits import MAX_WIDTH, TARGET_MAX_PCT, TARGET_MEAN_PCT
from .nets import SEED_SIZES, NetSizes


@dataclass(frozen=True)
class TrainConfig:
    # hidden widths: template, relational (96-48: 48-32 let two alike templates of five share
    # one context), generative on a 1-D context (one ELU layer of 160: more faithful than
    # 48-128 there at 0.7x the playback cost), generative on a 2-D pad (three or more
    # templates: one layer of 320); docs/model.md
    sizes: NetSizes = field(default_factory=lambda: NetSizes((48, 48), (96, 48), (160,), (320,)))
    context_dims: int = AUTO         # 0 = auto: 1-D for two templates, 2-D for more; 1 = "in a row"
    # stage 1: template models
    template_steps: int = 1000       # full-batch steps of the template fit
    template_lr: float = 3e-2        # its Adam rate
    template_init_gain: float = 3.0  # first-layer scale of the template models (seed: 1)
    inbetweens: int = 1              # in-betweens per keyframe gap in the template fit (0: keyframes only; inbetweens.py)
    inbetween_weight: float = 0.3    # an in-between row's weight beside a captured row's
    inbetween_arcs: bool = True      # in-betweens in time turn each quad of the grid along its arc (arcs.py; False: each vertex's spline)
    row_inbetween_weight: float = 0.1  # the template refit also sees the shapes halfway between rows at this weight (0: off)
    # stage 2: relational + generative models
    steps: int = 1500                # steps at most (the early stop usually ends sooner)
    lr_r: float = 2e-2               # relational model's rate (the seed's lrR)
    lr_g: float = 2e-2               # generative model's rate (the seed's lrG)
    generative_init_gain: float = 4.0   # first-layer scale of the generative model (seed: 1)
    batch: int = 64                  # pool samples a step (the captured points are added)
    context_filter: float = 1.0      # the seed's rFilter weight on the context output (seed: 0.05; docs/model.md)
    lr_decay: bool = True            # cosine decay to 1% of the rates
    pool: int = 8192                 # template-model samples drawn per template up front
    # early stop once every template meets these (percent of each keyframe's own diagonal):
    # the reconstruction target (limits.TARGET_*) with a 10% margin
    stop_mean_pct: float = round(0.9 * TARGET_MEAN_PCT, 4)   # worst keyframe's mean vertex error
    stop_max_pct: float = round(0.9 * TARGET_MAX_PCT, 4)     # worst vertex
    check_every: int = 100           # steps between early-stop checks (0: never stop early)
    threads: int = 1                 # torch threads / numpy BLAS threads while training
    adam_beta2: float = 0.95         # Adam's second-moment decay (torch's default 0.999)
    procedure: str = "default"       # "literal": the seed's own stage 2 (literal.py)
    trainer: str = "auto"            # "torch", "numpy", or "auto": $GRC_TRAINER, else numpy (run.py)
    # closed-form refits of the output layers (refit.py; docs/model.md, "Refits")
    refit: bool = True               # refit the last layers: templates after stage 1, generative after stage 2
    template_ridge: float = 1e-9     # ridge of the template models' refit (x the features' mean variance; ~least squares)
    generative_ridge: float = 1e-6   # ridge of the generative model's refit (same units)
    refit_pool: int = 2048           # pool samples beside the captured rows in the generative refit
    refit_pool_weight: float = 0.1   # their total weight relative to the captured rows' total, at least ...
    refit_smooth_weight: float = 0.3  # ... and at most: the largest of this, the geometric mean and refit_pool_weight that meets the stop wins (refit.py)
    refit_checks: bool = True        # also refit the generative model before each early-stop check
    refit_between: float = 1.0       # generative refit also holds the gap midpoints (the spline there) to this x the target (0: off)
    refit_row_between: float = 1.0   # ... and the shapes halfway between captured rows at each keyframe (0: off)
    fixed_units: float = 0.0         # the generative refit also solves over this x its last hidden width of units that keep their random initial weights (0: none; Faithful: 1, truer between keyframes, playback up to 1.8x the cost)
    rescue_fixed_units: float = 1.0  # where stage 2 ends short of the target, one more refit with this many fixed units (as fixed_units), kept if it reads better (0: none)
    between_patience: int = 2        # checks the stop waits for that once the keyframes alone meet it
    restart: float = 2 / 3           # where the schedule ends short of the target and its stop: a second cycle of this x steps (0: none; needs check_every)
    refit_rounds: int = 6            # re-weighted solves of the generative refit toward the target's worst keyframe / vertex

    @staticmethod
    def literal() -> "TrainConfig":
        """The seed article's procedure, kept runnable for side-by-side benchmarks."""
        return TrainConfig(sizes=SEED_SIZES, template_steps=10_000, template_lr=1e-3,
                           template_init_gain=1.0, generative_init_gain=1.0, steps=100_000, lr_r=1e-4, lr_g=2e-4, batch=1,
                           lr_decay=False, adam_beta2=0.999, procedure="literal", context_filter=0.05, inbetweens=0,
                           stop_mean_pct=0.0, stop_max_pct=0.0, check_every=0, refit=False, restart=0.0)

    def validate(self) -> None:
        resolve_dims(self.context_dims, 3)   # refuses anything but AUTO and the supported dims
        for name in ("template_steps", "steps", "batch", "threads"):
            if int(getattr(self, name)) < 1:
                raise GRCError(f"{name} must be at least 1")
        for name in ("template_lr", "lr_r", "lr_g"):
            v = float(getattr(self, name))
            if not (math.isfinite(v) and 0 < v < 1):
                raise GRCError(f"{name} must be a learning rate in (0, 1), got {v}")
        if not 0 < self.adam_beta2 < 1:
            raise GRCError("adam_beta2 must be in (0, 1)")
        if self.trainer not in ("auto", "torch", "numpy"):
            raise GRCError(f"trainer must be 'auto', 'torch' or 'numpy', got {self.trainer!r}")
        if self.procedure not in ("default", "literal"):
            raise GRCError(f"procedure must be 'default' or 'literal', got {self.procedure!r}")
        if int(self.pool) < 1:
            raise GRCError("pool must be at least 1")
        if not 0 <= self.context_filter <= 1:
            raise GRCError("context_filter must be in [0, 1]")
        if not (math.isfinite(float(self.restart)) and 0 <= float(self.restart) <= 10):
            raise GRCError(f"restart must be in [0, 10], got {self.restart}")
        if int(self.between_patience) < 0:
            raise GRCError("between_patience must be at least 0")
        if not 0 <= int(self.inbetweens) <= 16:
            raise GRCError("inbetweens must be in [0, 16]")
        for name in ("template_ridge", "generative_ridge", "refit_pool_weight", "refit_smooth_weight",
                     "inbetween_weight", "row_inbetween_weight", "refit_between", "refit_row_between"):
            v = float(getattr(self, name))
            if not (math.isfinite(v) and 0 <= v <= 1e3):
                raise GRCError(f"{name} must be in [0, 1000], got {v}")
        if int(self.refit_pool) < 0:
            raise GRCError("refit_pool must be at least 0")
        for name in ("fixed_units", "rescue_fixed_units"):
            v = float(getattr(self, name))
            if not (math.isfinite(v) and 0 <= v <= 8):
                raise GRCError(f"{name} must be in [0, 8], got {v}")
        for name in ("template", "relational", "generative", "generative_pad"):
            hidden = list(getattr(self.sizes, name) or ())
            widths = list(hidden)
            if widths and name.startswith("generative"):
                widths[-1] += self.fixed_unit_count(widths[-1], rescue=self.rescues())
            if any(w > MAX_WIDTH for w in widths):
                raise GRCError(f"{name} hidden widths {hidden} (with the fixed units: {widths}) exceed "
                               f"{MAX_WIDTH}, the widest a model file holds")
        if not 0 <= int(self.refit_rounds) <= 100:
            raise GRCError("refit_rounds must be in [0, 100]")

    def fixed_unit_count(self, width: int, rescue: bool = False) -> int:
        """The fixed units a generative last hidden layer of `width` trained units carries
        (train_common.FixedUnits; none without the refit, the only thing that uses them);
        `rescue`: in the last refit of a training that ends short of the target."""
        share = max(float(self.fixed_units), float(self.rescue_fixed_units)) if rescue else float(self.fixed_units)
        return int(round(share * width)) if self.refit else 0

    def rescues(self) -> bool:
        """Whether a training that ends short of the target tries a refit with more fixed units."""
        return bool(self.refit) and float(self.rescue_fixed_units) > float(self.fixed_units)

    def holds_between(self) -> bool:
        """Whether the generative refit holds any shapes between keyframes or rows."""
        return self.refit_between > 0 or self.refit_row_between > 0

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["sizes"] = {k: list(v) for k, v in d["sizes"].items() if v is not None}
        return d
