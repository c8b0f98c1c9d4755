"""Training presets and the loss curve (numpy only): the presets derive from TrainConfig and
the target; the loss curve draws every loss in its own colour, on a log scale, without bpy
or torch."""
from __future__ import annotations

import numpy as np
import pytest

from model_core import TrainConfig, limits
from model_core.plots.loss_plot import LOSS_COLORS, limits as loss_limits, loss_plot
from model_core.presets import DEFAULT, FIELDS, NAMES, preset_config, preset_values


def test_presets_derive_from_train_config():
    d = TrainConfig()
    assert NAMES == ("FAST", "BALANCED", "FAITHFUL") and DEFAULT == "BALANCED"
    assert preset_values("BALANCED") == {f: getattr(d, f) for f in FIELDS}
    fast, faithful = preset_values("FAST"), preset_values("FAITHFUL")
    assert fast["steps"] < d.steps < faithful["steps"]
    assert fast["template_steps"] == d.template_steps < faithful["template_steps"]
    assert fast["stop_max_pct"] > d.stop_max_pct
    assert fast["fixed_units"] == d.fixed_units == 0.0 < faithful["fixed_units"]
    assert faithful["stop_mean_pct"] < limits.TARGET_MEAN_PCT
    assert faithful["stop_max_pct"] < limits.TARGET_MAX_PCT
    for name in NAMES:
        cfg = preset_config(name)
        cfg.validate()
        assert {f: getattr(cfg, f) for f in FIELDS} == preset_values(name)
    # A different base moves the presets with it.
    base = TrainConfig(steps=1000, template_steps=100)
    assert preset_values("FAST", base)["steps"] == 500
    with pytest.raises(ValueError):
        preset_values("SLOW")


def _count(rgba, color):
    return int(np.sum(np.all(np.abs(rgba[..., :3] - np.asarray(color)) < 1e-6, axis=-1)))


def test_loss_plot_draws_each_curve():
    s = np.arange(0, 3000, 15)
    curves = {"template": (s[:60], np.exp(-s[:60] / 300)),
              "gen": (s[60:], 0.1 * np.exp(-s[60:] / 900)),
              "rel": (s[60:], 0.01 * np.exp(-s[60:] / 700))}
    rgba = loss_plot(curves, 3500, 256, 192, {"gen": "shape"})
    assert rgba.shape == (192, 256, 4) and rgba.dtype == np.float32
    for name, color in LOSS_COLORS.items():
        assert _count(rgba, color) > 50, name
    # Lower loss is lower in the image (log scale): the last "rel" point sits below "gen"'s.
    rows = {n: np.nonzero(np.all(np.abs(rgba[..., :3] - LOSS_COLORS[n]) < 1e-6, axis=-1))[0]
            for n in ("gen", "rel")}
    assert rows["rel"].max() > rows["gen"].max()
    assert loss_limits(curves) == (-4.0, 0.0)
    # Empty, zero or non-finite losses never break it.
    loss_plot({}, 0)
    loss_plot({"gen": ([0, 1], [0.0, np.nan])}, 1)
