"""Training speed and fidelity: the default trainer on six sets, and the seed-literal
procedure beside it, in one process.

    .venv/bin/python bench/train_speed.py [--quick] [--no-literal]

1. The default on each set of model_core/petal_sets.py (the bundled example and five sets the
   repository has never seen: K = 2..4, 5x9 to 12x12, scaled and shifted): wall time, steps
   run, the worst template's mean and worst-vertex error (% of its bounding-box diagonal)
   and whether the reconstruction target (model_core.limits) is met within the time budget.
   The budget is judged on the process's CPU seconds (one training thread): the machine is
   shared, and wall time also counts the waits for the other tenant's work; both print.
2. On the example: the default with the seed's layer sizes, and the seed-literal procedure
   with the default timed twice before and twice after it (median of four, so both see the
   same machine), and the ratio of their times.
--quick runs the literal for 1/10 of its steps and scales its time up (a smoke check,
marked as such). One tiny warm-up training first: torch's import and first-call set-up
(about 1.5 s here) are timed in neither.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import replace
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from model_core.petal_sets import acceptance_sets  # noqa: E402
from model_core import SEED_SIZES, example_templates, train, train_config  # noqa: E402
from model_core.limits import TARGET_MAX_PCT, TARGET_MEAN_PCT  # noqa: E402

TIME_BUDGET_S = 2.5


CPU = {}   # id(model) -> process CPU seconds of its training


def timed(cfg: Any, ts: Any) -> tuple[float, Any]:
    start, cpu = time.perf_counter(), time.process_time()
    model = train(ts, cfg, seed=0)
    CPU[id(model)] = time.process_time() - cpu
    return time.perf_counter() - start, model


def worst(model: Any) -> tuple[float, float]:
    return (max(e["mean_pct"] for e in model.errors), max(e["max_pct"] for e in model.errors))


def meets(seconds: float, model: Any) -> bool:
    mean, peak = worst(model)
    return mean <= TARGET_MEAN_PCT and peak <= TARGET_MAX_PCT and seconds <= TIME_BUDGET_S


def report(name: str, seconds: float, model: Any, runs: list[float] | None = None) -> None:
    mean, peak = worst(model)
    cpu = CPU.get(id(model), float("nan"))
    detail = f"   (median of {', '.join(f'{t:.2f}' for t in runs)})" if runs and len(runs) > 1 else ""
    print(f"{name:<22} {model.context_dims}-D {seconds:7.2f} s {cpu:7.2f} s  steps {model.meta['steps_done']:>6}   "
          f"mean {mean:.3f}%  worst {peak:.3f}%   {'meets' if meets(cpu, model) else 'MISSES'}{detail}",
          flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-literal", action="store_true", help="skip the literal procedure")
    args = parser.parse_args()
    ts = example_templates()
    train(ts, train_config(template_steps=5, steps=5, check_every=0), seed=0)   # warm-up
    print(f"target: mean <= {TARGET_MEAN_PCT}%, worst vertex <= {TARGET_MAX_PCT}% of the diagonal, "
          f"in <= {TIME_BUDGET_S} s")
    print("set / procedure        ctx    wall      cpu       steps         reconstruction (worst template)")
    met = 0
    sets = acceptance_sets()
    for name, s in sets:
        seconds, model = timed(train_config(), s)
        report(name, seconds, model)
        met += meets(CPU[id(model)], model)
    print(f"default meets the target on {met} of {len(sets)} sets (time judged on CPU seconds)")
    seconds, model = timed(train_config(sizes=SEED_SIZES), ts)
    report("example, seed sizes", seconds, model)
    if args.no_literal:
        return 0
    literal = train_config(literal=True)
    scale = 1.0
    if args.quick:
        literal = replace(literal, steps=literal.steps // 10, template_steps=literal.template_steps // 10)
        scale = 10.0
    runs = [timed(train_config(), ts) for _ in range(2)]
    literal_s, literal_model = timed(literal, ts)
    runs += [timed(train_config(), ts) for _ in range(2)]
    default_s = statistics.median(t for t, _ in runs)
    report("example, default", default_s, runs[0][1], [t for t, _ in runs])
    report("example, literal", literal_s, literal_model)
    note = " (literal scaled x10 from a --quick run)" if args.quick else ""
    print(f"ratio literal / default: {literal_s * scale / default_s:.1f}x{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
