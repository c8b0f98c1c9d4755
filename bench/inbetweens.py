"""Between keyframes: how far each trained model strays from its own template models there.

    .venv/bin/python bench/inbetweens.py [--seeds 0,1] [--other '{"refit_between": 0}'] [--only 0,3]

For each set of model_core.petal_sets.benchmark_sets() and each seed, the default training
and the `--other` settings side by side: CPU seconds, steps, the worst template's keyframe
error (mean / worst vertex, % of each keyframe's diagonal: the reconstruction target) and
its in-between error (model_core.fidelity.inbetween_errors: each template generated halfway
through each gap against its template model there, % of that shape's diagonal). An
in-between error is what playback shows when time runs between two keyframes; bench/heldout.py
judges the same gaps against the true shapes instead.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from model_core import example_templates, train, train_config  # noqa: E402
from model_core.fidelity import inbetween_errors  # noqa: E402
from model_core.petal_sets import benchmark_sets  # noqa: E402


def _run(ts, cfg, seed: int) -> tuple[float, int, tuple[float, float], tuple[float, float]]:
    t0 = time.process_time()
    model = train(ts, cfg, seed=seed)
    cpu = time.process_time() - t0
    between = inbetween_errors(model, ts)
    key = (max(e["mean_pct"] for e in model.errors), max(e["max_pct"] for e in model.errors))
    mid = (max(e["mean_pct"] for e in between), max(e["max_pct"] for e in between))
    return cpu, int(model.meta["steps_done"]), key, mid


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--other", default='{"refit_between": 0, "inbetweens": 0, "row_inbetween_weight": 0}',
                        help="TrainConfig overrides to compare with, as JSON")
    parser.add_argument("--only", default="", help="comma-separated set indexes")
    args = parser.parse_args()
    configs = {"default": train_config(), "other": train_config(**json.loads(args.other))}
    train(example_templates(), train_config(template_steps=5, steps=5, check_every=0), seed=0)   # warm-up
    sets = benchmark_sets()
    if args.only:
        sets = [sets[int(i)] for i in args.only.split(",")]
    print(f"other: {args.other}")
    print(f"{'set':<30} seed | default: cpu s steps  keyframes %   between %    | other: cpu s steps  keyframes %"
          f"   between %    | between mean x")
    ratios, worst = [], {"default": 0.0, "other": 0.0}
    for name, ts in sets:
        for seed in [int(s) for s in args.seeds.split(",")]:
            cells, mids = [], {}
            for label, cfg in configs.items():
                cpu, steps, key, mid = _run(ts, cfg, seed)
                mids[label] = mid
                worst[label] = max(worst[label], mid[1])
                cells.append(f"{cpu:6.2f} {steps:5d} {key[0]:6.3f}/{key[1]:5.2f} {mid[0]:6.3f}/{mid[1]:5.2f}")
            ratios.append(mids["default"][0] / mids["other"][0])
            print(f"{name:<30} {seed:>4} | {cells[0]}   | {cells[1]}  | {ratios[-1]:8.2f}x", flush=True)
    print(f"in-between mean error, default / other: median {np.median(ratios):.2f}x "
          f"({min(ratios):.2f}-{max(ratios):.2f}x); worst in-between vertex: default {worst['default']:.2f}%, "
          f"other {worst['other']:.2f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
