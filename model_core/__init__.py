"""GRC networks: template, relational and generative MLPs (no bpy; torch only to train,
and only when it is the trainer chosen).

    from model_core import TemplateSet, train, load_model

The map (docs/model.md tells what each does and why):
    errors.py, limits.py     GRCError; every limit and the reconstruction target
    config.py                TrainConfig: one dataclass, a comment per field
    templates.py             TemplateSet: validated (K, T, R, C, 3) templates
    context.py               the context dimension's one home (targets, blend, offset)
    nets.py                  the seed's three networks as plain layer arrays (numpy forward)
    infer.py                 GRCModel: numpy inference (generate_many), no torch ever
    fidelity.py              errors of each template at each keyframe, per keyframe diagonal
    archive.py, store.py     the one safe .npz reader; models to and from bytes and files
    geometry.py              convex hulls and distances (the pad and the trace plot)
    presets.py               Fast / Balanced / Faithful from TrainConfig and the target
    example.py, petal_sets.py  the bundled example; analytic sets for tests and bench/
    __main__.py              the command line
    training/                the trainers (torch reference, numpy with the same math)
    plots/                   trace and loss plots drawn with numpy
"""
from __future__ import annotations

from threading import Event
from typing import Any, Callable

from .config import TrainConfig
from .errors import GRCError, TrainingCancelled
from .example import example_templates
from . import limits
from .context import AUTO, context_for, context_targets, resolve_dims
from .infer import GRCModel
from .limits import MAX_ROWS
from .nets import SEED_SIZES, NetSizes
from .store import load_model, model_from_bytes, model_to_bytes, save_model
from .templates import TemplateSet


def train(templates: TemplateSet, config: TrainConfig | None = None, seed: int = 0,
          progress: Callable[[int, int, dict[str, float]], None] | None = None,
          cancel: Event | None = None) -> GRCModel:
    """Train a GRC model: with the numpy trainer unless torch is asked for (run.py:
    TrainConfig.trainer or $GRC_TRAINER) or the seed's literal procedure needs it."""
    from .training.run import train as _train
    return _train(templates, config, seed, progress, cancel)


def train_config(**overrides: Any) -> TrainConfig:
    """The default TrainConfig with `overrides`; `literal=True` starts from the seed's procedure.
    `sizes` may be a NetSizes or its widths as lists (as JSON gives them: [[48, 48], [96, 48],
    [160], [320]], the last optional)."""
    from dataclasses import replace
    base = TrainConfig.literal() if overrides.pop("literal", False) else TrainConfig()
    sizes = overrides.get("sizes")
    if sizes is not None and not isinstance(sizes, NetSizes):
        overrides["sizes"] = NetSizes(*[tuple(int(w) for w in widths) for widths in sizes])
    return replace(base, **overrides)


__all__ = ["TrainConfig", "GRCError", "TrainingCancelled", "TemplateSet", "GRCModel", "train", "train_config",
           "load_model", "model_from_bytes", "model_to_bytes", "save_model", "example_templates", "context_targets", "NetSizes",
           "SEED_SIZES", "MAX_ROWS", "limits", "AUTO", "context_for", "resolve_dims"]
