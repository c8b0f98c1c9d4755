"""Training presets in plain words: Fast, Balanced, Faithful (no torch, no bpy).

Each preset is a set of TrainConfig overrides DERIVED from TrainConfig's own defaults and
the reconstruction target in limits.py, so a change of the defaults moves the presets with
it. Chosen by measurement on the bundled example (bench/presets.py; numbers in
docs/architecture.md, "Presets"):

  FAST      half the stage-2 steps, stopping early at 1.5x the default stop: a first look.
            The template fit stays whole: halved, it left the stage-2 fit more to do than
            it saved (bench/presets.py).
  BALANCED  TrainConfig's defaults.
  FAITHFUL  twice the steps, stopping only once every template is within 60 % of the
            reconstruction target (limits.TARGET_MEAN_PCT / TARGET_MAX_PCT), and as many
            fixed units again in the generative refit (TrainConfig.fixed_units 1: truer
            shapes between keyframes; the model plays at up to 1.8x the default's cost).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from .config import TrainConfig
from .limits import TARGET_MAX_PCT, TARGET_MEAN_PCT

# The TrainConfig fields a preset sets (the Blender panel shows them under "Advanced").
FIELDS = ("template_steps", "steps", "lr_r", "lr_g", "context_filter", "fixed_units", "stop_mean_pct",
          "stop_max_pct")
NAMES = ("FAST", "BALANCED", "FAITHFUL")
DEFAULT = "BALANCED"

FAST_STEPS = 0.5        # fraction of the default steps
FAST_STOP = 1.5         # times the default early-stop errors
FAITHFUL_STEPS = 2      # times the default steps
FAITHFUL_STOP = 0.6     # fraction of the reconstruction target
FAITHFUL_FIXED_UNITS = 1.0   # fixed units per trained unit of the generative model's last layer


def preset_values(name: str, base: TrainConfig | None = None) -> dict[str, Any]:
    """Every FIELDS value of preset `name` (ValueError for an unknown name)."""
    d = base or TrainConfig()
    out: dict[str, Any] = {f: getattr(d, f) for f in FIELDS}
    if name == "FAST":
        out.update(steps=max(1, int(d.steps * FAST_STEPS)),
                   stop_mean_pct=d.stop_mean_pct * FAST_STOP,
                   stop_max_pct=d.stop_max_pct * FAST_STOP)
    elif name == "FAITHFUL":
        out.update(template_steps=d.template_steps * FAITHFUL_STEPS,
                   steps=d.steps * FAITHFUL_STEPS, fixed_units=max(d.fixed_units, FAITHFUL_FIXED_UNITS),
                   stop_mean_pct=TARGET_MEAN_PCT * FAITHFUL_STOP,
                   stop_max_pct=TARGET_MAX_PCT * FAITHFUL_STOP)
    elif name != "BALANCED":
        raise ValueError(f"unknown preset {name!r} (one of {', '.join(NAMES)})")
    return out


def preset_config(name: str) -> TrainConfig:
    """TrainConfig of preset `name`."""
    base = TrainConfig()
    return replace(base, **preset_values(name, base))
