"""The reconstruction target on template sets drawn at random, beyond the benchmark.

    .venv/bin/python bench/unseen.py [--draw 2026] [--sets 16] [--k 2-8] [--config '{"steps": 3000}']

The benchmark sets (model_core.petal_sets.benchmark_sets) chose the defaults; these check
them on sets nothing was tuned on. Each set is drawn from `--draw`: K = 2..8 templates (`--k`),
2..9 keyframes (evenly spaced, or uneven steps 40 % of the time), grids 3..13 x 3..13,
scales 1e-2..1e2, offsets up to 3000 units, a shared bud 70 % of the time, crossing traces
30 % of the time, and a training seed 0..99. Prints each set's worst template (mean /
worst vertex, % of each keyframe's diagonal), the steps run, CPU seconds, the captured rows
K x T x R (what the generative model's last layer must fit), whether it meets the target,
then the count.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from model_core import train, train_config  # noqa: E402
from model_core.limits import TARGET_MAX_PCT, TARGET_MEAN_PCT  # noqa: E402
from model_core.petal_sets import petal_set  # noqa: E402


def draw_set(rng: np.random.Generator, j: int, k_range: tuple[int, int] = (2, 8)):
    """One random template set (K in k_range, both included) and a training seed."""
    k, t = int(rng.integers(k_range[0], k_range[1] + 1)), int(rng.integers(2, 10))
    rows, cols = int(rng.integers(3, 14)), int(rng.integers(3, 14))
    times: int | list[float] = t
    if rng.random() < 0.4:
        steps = sorted(set(np.round(np.cumsum(rng.uniform(0.05, 0.5, t)), 3).tolist()))
        times = [0.0, *steps] if len(steps) < 2 else steps
    scale = float(10 ** rng.uniform(-2, 2))
    shift = tuple(float(v) for v in rng.uniform(-3000, 3000, 3))
    ts = petal_set(k, times, rows, cols, seed=1000 + j, scale=scale, shift=shift,
                   shared_bud=bool(rng.random() < 0.7), crossing=bool(rng.random() < 0.3))
    return ts, scale, int(rng.integers(0, 100))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--draw", type=int, default=2026, help="seed of the sets drawn")
    parser.add_argument("--sets", type=int, default=16)
    parser.add_argument("--k", default="2-8", help="the range of template counts drawn, e.g. 2-4")
    parser.add_argument("--config", default="{}", help="TrainConfig overrides (JSON)")
    args = parser.parse_args()
    low, high = (int(v) for v in args.k.split("-"))
    kw = json.loads(args.config)
    rng = np.random.default_rng(args.draw)
    met_by_k: dict[int, list[bool]] = {}
    for j in range(args.sets):
        ts, scale, seed = draw_set(rng, j, (low, high))
        k, t, r, c = ts.shape
        cpu = time.process_time()
        model = train(ts, train_config(**kw), seed=seed)
        cpu = time.process_time() - cpu
        mean = max(e["mean_pct"] for e in model.errors)
        peak = max(e["max_pct"] for e in model.errors)
        met = mean <= TARGET_MEAN_PCT and peak <= TARGET_MAX_PCT
        met_by_k.setdefault(k, []).append(met)
        print(f"K{k} T{t} {r}x{c} x{scale:.3g} seed {seed:>2}: {mean:.3f} / {peak:.2f} %  "
              f"{model.meta['steps_done']:>4} steps {cpu:5.1f} s  rows {k * t * r:>4}  "
              f"{'meets' if met else 'MISSES'}", flush=True)
    total = sum(sum(v) for v in met_by_k.values())
    by_k = ", ".join(f"K{k} {sum(v)}/{len(v)}" for k, v in sorted(met_by_k.items()))
    print(f"{total} of {args.sets} meet the target ({by_k})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
