"""Compare training settings over sets and seeds (how the defaults were chosen).

    .venv/bin/python bench/sweep.py [--seeds 0,1,2] [--sets benchmark|acceptance] '{}' '{"steps": 3000}'

Each argument is a JSON object of TrainConfig overrides ("sizes" as lists of widths, model_core.train_config);
`{}` is the default. For each it prints, per set, the worst over the seeds of the worst
template's mean / worst-vertex error (% of each keyframe's own bounding-box diagonal,
model_core.fidelity) and the longest CPU seconds of one training (one thread), then the
worst over every set and seed. Sets: model_core.petal_sets.benchmark_sets() (default) or
acceptance_sets().
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from model_core import example_templates, train, train_config  # noqa: E402
from model_core.petal_sets import acceptance_sets, benchmark_sets  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("configs", nargs="+")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--sets", choices=("benchmark", "acceptance"), default="benchmark")
    parser.add_argument("--only", default="", help="comma-separated set indexes")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    train(example_templates(), train_config(template_steps=5, steps=5, check_every=0))   # warm-up
    sets = benchmark_sets() if args.sets == "benchmark" else acceptance_sets()
    if args.only:
        sets = [sets[int(i)] for i in args.only.split(",")]
    print("sets: " + " | ".join(name for name, _ in sets))
    for spec in args.configs:
        kw = json.loads(spec)
        cells, worst_mean, worst_max, longest = [], 0.0, 0.0, 0.0
        for _, ts in sets:
            mean = peak = cpu_max = 0.0
            for seed in seeds:
                cpu = time.process_time()
                model = train(ts, train_config(**kw), seed=seed)
                cpu_max = max(cpu_max, time.process_time() - cpu)
                mean = max(mean, max(e["mean_pct"] for e in model.errors))
                peak = max(peak, max(e["max_pct"] for e in model.errors))
            cells.append(f"{mean:.3f}/{peak:.2f} {cpu_max:.2f}s")
            worst_mean, worst_max, longest = max(worst_mean, mean), max(worst_max, peak), max(longest, cpu_max)
        print(spec)
        print("   " + " | ".join(cells) + f"   worst {worst_mean:.3f}/{worst_max:.2f}, longest {longest:.2f}s",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
