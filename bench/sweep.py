"""Compare training settings on every set of model_core/petal_sets.py (how the defaults were chosen).

    .venv/bin/python bench/sweep.py [--seed N] '{}' '{"steps": 3000}' '{"generative_init_gain": 1}'

Each argument is a JSON object of TrainConfig overrides ("sizes" as three lists of widths);
`{}` is the default. For each it prints, per set, the wall time, the steps run and the worst
template's mean / worst-vertex error (% of the bounding-box diagonal), then the longest time.
Run it on an idle machine: the times are wall times.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from model_core.petal_sets import acceptance_sets  # noqa: E402
from model_core import NetSizes, example_templates, train, train_config  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("configs", nargs="+")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    train(example_templates(), train_config(template_steps=5, steps=5, check_every=0))   # warm-up
    sets = acceptance_sets()
    print("sets: " + " | ".join(name for name, _ in sets))
    for spec in args.configs:
        kw = json.loads(spec)
        if "sizes" in kw:
            kw["sizes"] = NetSizes(*[tuple(w) for w in kw["sizes"]])
        cells, longest = [], 0.0
        for _, ts in sets:
            start = time.perf_counter()
            model = train(ts, train_config(**kw), seed=args.seed)
            seconds = time.perf_counter() - start
            longest = max(longest, seconds)
            mean = max(e["mean_pct"] for e in model.errors)
            peak = max(e["max_pct"] for e in model.errors)
            cells.append(f"{seconds:.2f}s {model.meta['steps_done']} {mean:.3f}/{peak:.2f}")
        print(spec)
        print("   " + " | ".join(cells) + f"   longest {longest:.2f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
