"""The artist-facing training settings, declared once: the properties (props.py builds them
from here), the panel's order, the TrainConfig overrides and the procedure switch.

Defaults are model_core's TrainConfig (one source of truth). Settings still at their
defaults are left out of the overrides, so model_core's exact float64 values apply
(Blender stores float properties as float32).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from bpy.props import FloatProperty, IntProperty

# The stubs declare bpy.props functions as returning None: call them through Any.
_Int: Any = IntProperty
_Float: Any = FloatProperty

from ...model_core import presets as core_presets
from ...model_core.config import TrainConfig


@dataclass(frozen=True)
class Setting:
    name: str              # the TrainConfig field, and the property's name
    label: str             # what the artist reads
    description: str       # the tooltip (the seed's term in brackets where it helps)
    minimum: float
    maximum: float | None = None
    soft_max: float | None = None
    percent: bool = False  # shown as a percentage of the template's size


SETTINGS: tuple[Setting, ...] = (
    Setting("template_steps", "Template Fit Steps",
            "Steps fitting each template's own animation first (before the shared shape "
            "space)", 1, soft_max=20_000),
    Setting("steps", "Max Steps",
            "Most steps learning the shared shape space (training stops sooner once the "
            "Stop At errors are reached)", 1, soft_max=100_000),
    Setting("stop_mean_pct", "Stop At Mean Error",
            "Training stops early once every template's mean vertex error is below this "
            "(percent of the template's size)", 0.0, 100.0, percent=True),
    Setting("stop_max_pct", "Stop At Worst Error",
            "...and every template's worst vertex error is below this (percent of the "
            "template's size)", 0.0, 100.0, percent=True),
    Setting("lr_r", "Learning Rate: Shape to Context",
            "How big a step the part that reads a shape's time, place and context takes "
            "(the article's lrR). Lower if training fails with a non-finite loss",
            1e-7, 0.999),
    Setting("lr_g", "Learning Rate: Context to Shape",
            "How big a step the part that draws a shape from its time, place and context "
            "takes (the article's lrG)", 1e-7, 0.999),
    Setting("context_filter", "Template Separation",
            "How strongly each template is held at its own Context value (0, 1, ...) while "
            "learning (the article's rFilter, a context pull). Higher keeps the templates "
            "apart where they are alike", 0.0, 1.0),
    Setting("fixed_units", "Detail Between Keyframes",
            "Extra units the final fit of the shape-drawing part may use, as a share of its "
            "own (1: as many again, as Faithful sets): truer shapes between keyframes; the "
            "trained model draws petals at up to 1.8x the cost. 0 (the default) gives the "
            "lightest playback, for big fields",
            0.0, 8.0),
)
NAMES = tuple(s.name for s in SETTINGS)
assert set(NAMES) == set(core_presets.FIELDS), "presets set exactly the panel's settings"

_CFG = TrainConfig()
DEFAULTS: dict[str, Any] = {name: getattr(_CFG, name) for name in (*NAMES, "context_dims")}
del _CFG

# The switch between the default training and the seed article's literal procedure.
PROCEDURE = "literal"


def uses_article_procedure(settings: Any) -> bool:
    """Train exactly as the seed article does (the other settings are then ignored)."""
    return bool(getattr(settings, PROCEDURE))


def properties(update: Callable) -> dict[str, Any]:
    """name -> bpy property of every setting, defaults from TrainConfig."""
    out: dict[str, Any] = {}
    for s in SETTINGS:
        default = DEFAULTS[s.name]
        kw: dict[str, Any] = dict(name=s.label, description=s.description, default=default,
                                  min=s.minimum, update=update, options=set())
        if s.maximum is not None:
            kw["max"] = s.maximum
        if s.soft_max is not None:
            kw["soft_max"] = s.soft_max
        if isinstance(default, int):
            out[s.name] = _Int(**kw)
        elif s.percent:
            out[s.name] = _Float(precision=3, subtype='PERCENTAGE', **kw)
        else:
            rate = 0.0 < s.minimum < 1e-3        # learning rates: small steps, 5 digits
            out[s.name] = _Float(precision=5 if rate else 3, step=0.01 if rate else 3,
                                        **kw)
    return out


def overrides(settings: Any) -> dict[str, Any]:
    """TrainConfig overrides from a model's training settings."""
    dims = int(settings.context_dims)
    if uses_article_procedure(settings):
        return dict(literal=True, context_dims=dims)
    out: dict[str, Any] = dict(context_dims=dims)
    for name in NAMES:
        value, default = getattr(settings, name), DEFAULTS[name]
        if abs(value - default) > 1e-6 * abs(default):
            out[name] = value
    return out
