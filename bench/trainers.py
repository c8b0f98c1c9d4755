"""The torch and the numpy trainer side by side: CPU time and error on the same sets.

    .venv/bin/python bench/trainers.py [--seeds 0,1,2] [--sets 8]

Each set of model_core.petal_sets.benchmark_sets() and each seed is trained by both
trainers with the default settings (the same pool points and batches; only the random
initial weights differ: torch's generator vs numpy's), alternating which goes first. Prints
the CPU seconds (one thread each: torch.set_num_threads, and numpy's OpenBLAS limited by
model_core.training.blas), the steps run and the worst template's mean / worst-vertex error (% of each
keyframe's diagonal), the numpy / torch time ratio of the training and of a step (the early
stop may end the two at different steps), then their medians (goal: <= 1.2 at the same
error) and the median error ratio.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from model_core import example_templates, train, train_config  # noqa: E402
from model_core.petal_sets import benchmark_sets  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--sets", type=int, default=8)
    args = parser.parse_args()
    for name in ("torch", "numpy"):   # warm-up: imports and first calls timed in neither
        train(example_templates(), train_config(template_steps=5, steps=5, check_every=0, trainer=name))
    print(f"{'set':<30} seed |  torch: cpu s steps  mean%  worst% |  numpy: cpu s steps  mean%  worst% | time x  step x")
    t_ratio, s_ratio, e_ratio = [], [], []
    for i, (name, ts) in enumerate(benchmark_sets()[:args.sets]):
        for seed in [int(s) for s in args.seeds.split(",")]:
            cells = {}
            order = ("torch", "numpy") if (i + seed) % 2 == 0 else ("numpy", "torch")
            for trainer in order:
                cpu = time.process_time()
                model = train(ts, train_config(trainer=trainer), seed=seed)
                cells[trainer] = (time.process_time() - cpu, model.meta["steps_done"],
                                  max(e["mean_pct"] for e in model.errors), max(e["max_pct"] for e in model.errors))
            (tc, ts_, tm, tw), (nc, ns, nm, nw) = cells["torch"], cells["numpy"]
            t_ratio.append(nc / tc)
            s_ratio.append((nc / ns) / (tc / ts_))
            e_ratio.append(nm / tm)
            print(f"{name:<30} {seed:>4} | {tc:12.2f} {ts_:5d} {tm:6.3f} {tw:7.3f} | {nc:12.2f} {ns:5d} {nm:6.3f}"
                  f" {nw:7.3f} | {nc / tc:6.2f} {s_ratio[-1]:6.2f}", flush=True)
    print(f"numpy / torch: CPU time median {np.median(t_ratio):.2f}x (worst {max(t_ratio):.2f}x), per step "
          f"median {np.median(s_ratio):.2f}x (worst {max(s_ratio):.2f}x), "
          f"worst-template mean error median {np.median(e_ratio):.2f}x (range {min(e_ratio):.2f}-{max(e_ratio):.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
