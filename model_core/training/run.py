"""model_core.train(): checks the request, then runs the torch trainer or the numpy one.

Which trainer: TrainConfig.trainer ("torch", "numpy", or "auto"); under "auto" the
environment variable GRC_TRAINER (torch / numpy) decides, else numpy: both run the same
math (np_trainer.py), and at these sizes (a batch of about 160 rows) a numpy step takes
about half a torch step's CPU time (bench/trainers.py; docs/model.md). torch is the
reference, kept beside it, and the only one that runs the seed's literal procedure (chosen
for it under "auto"). Nothing here imports torch unless the torch trainer is the one chosen.
"""
from __future__ import annotations

import importlib
import os
import time
from dataclasses import replace
from threading import Event

import numpy as np

from .blas import limited_blas_threads
from ..config import TrainConfig
from ..context import resolve_dims
from ..errors import GRCError
from ..infer import GRCModel
from ..templates import TemplateSet
from .train_common import Progress, Reporter

TRAINERS = ("torch", "numpy")
ENV = "GRC_TRAINER"


def torch_importable() -> bool:
    """True when `import torch` works here (it imports torch: call only when about to train)."""
    try:
        importlib.import_module("torch")
    except ImportError:
        return False
    return True


def choose_trainer(cfg: TrainConfig) -> str:
    """"torch" or "numpy" for this config (see the module docstring); GRCError when the
    one asked for cannot run."""
    name = cfg.trainer
    if name == "auto":
        name = os.environ.get(ENV, "").strip().lower() or "auto"
        if name not in (*TRAINERS, "auto"):
            raise GRCError(f"${ENV} must be 'torch' or 'numpy', got {os.environ[ENV]!r}")
    if name == "auto":
        name = "torch" if cfg.procedure == "literal" else "numpy"
    if cfg.procedure == "literal" and (name == "numpy" or not torch_importable()):
        raise GRCError("the seed's literal procedure runs on the torch trainer only; "
                       "install torch or train with the default procedure")
    if name == "torch" and not torch_importable():
        raise GRCError("the torch trainer was asked for but torch is not importable; "
                       "use the numpy trainer (trainer='numpy')")
    return name


def train(ts: TemplateSet, config: TrainConfig | None = None, seed: int = 0,
          progress: Progress | None = None, cancel: Event | None = None) -> GRCModel:
    """Fit the template models, then the relational and generative models -> GRCModel."""
    if not isinstance(ts, TemplateSet):
        raise GRCError("train() needs a TemplateSet")
    cfg = config or TrainConfig()
    cfg.validate()
    torch_chosen = choose_trainer(cfg) == "torch"
    cfg = replace(cfg, context_dims=resolve_dims(cfg.context_dims, ts.shape[0]))
    report = Reporter(cfg.template_steps + cfg.steps, progress, cancel)
    started = time.perf_counter()
    if torch_chosen:
        from .trainer import train_torch
        model = train_torch(ts, cfg, seed, report)
    else:
        from .np_trainer import train_numpy
        # A diverging run overflows on the way: the Reporter turns that into a GRCError.
        with limited_blas_threads(cfg.threads), np.errstate(over="ignore", invalid="ignore"):
            model = train_numpy(ts, cfg, seed, report)
    model.meta["train_seconds"] = round(time.perf_counter() - started, 3)
    return model
