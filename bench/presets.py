"""The training presets measured on the bundled example (time, steps, errors).

    .venv/bin/python bench/presets.py

Each preset (model_core.presets: Fast, Balanced, Faithful) trains the example petal set
(2 templates, 7 times, 7x7 grid) with seed 0, after a tiny warm-up training (torch's import
and first-call set-up are timed in none). Prints each preset's settings, wall time, steps
run and the worst template's mean and worst vertex error (% of its bounding-box diagonal).
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import replace

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from model_core import example_templates, train  # noqa: E402
from model_core.presets import NAMES, preset_config, preset_values  # noqa: E402


def main() -> int:
    ts = example_templates()
    train(ts, replace(preset_config("FAST"), steps=20, template_steps=20), seed=0)  # warm-up
    for name in NAMES:
        values = preset_values(name)
        start = time.perf_counter()
        model = train(ts, preset_config(name), seed=0)
        seconds = time.perf_counter() - start
        mean = max(e["mean_pct"] for e in model.errors)
        worst = max(e["max_pct"] for e in model.errors)
        print(f"{name:<9} {seconds:6.2f} s   steps {model.meta['steps_done']:>5} "
              f"(+{values['template_steps']} template)   mean {mean:.3f}%   worst {worst:.3f}%   "
              f"stop at {values['stop_mean_pct']:.3g}% / {values['stop_max_pct']:.3g}%, "
              f"max steps {values['steps']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
