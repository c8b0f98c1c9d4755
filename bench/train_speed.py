"""Training speed: the seed-literal procedure beside the default trainer, one process.

    .venv/bin/python bench/train_speed.py [--quick]

Both train the same example petal set (2 templates, 7 times, 7x7 grid) with the same
seed, after one tiny warm-up training (torch's import and first-call set-up are timed in
neither); the default runs twice before and twice after the literal and its time is the
median of the four. The script prints each one's wall time, its reconstruction error (mean and worst
vertex, % of the template's bounding-box diagonal) and the ratio of the times.
--quick runs the literal loop for 1/10 of its epochs and scales its time up (a smoke
check, marked as such in the output).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import replace

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from model_core import example_templates, train, train_config  # noqa: E402


def timed(cfg, ts) -> tuple[float, object]:
    start = time.perf_counter()
    model = train(ts, cfg, seed=0)
    return time.perf_counter() - start, model


def report(name: str, seconds: float, model, runs: list[float]) -> None:
    worst_mean = max(e["mean_pct"] for e in model.errors)
    worst_max = max(e["max_pct"] for e in model.errors)
    detail = f"   (median of {', '.join(f'{t:.2f}' for t in runs)})" if len(runs) > 1 else ""
    print(f"{name:<9} {seconds:8.2f} s   steps {model.meta['steps_done']:>6}   "
          f"mean error {worst_mean:.3f}%   worst vertex {worst_max:.3f}%{detail}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    ts = example_templates()
    literal = train_config(literal=True)
    scale = 1.0
    if args.quick:
        literal = replace(literal, steps=literal.steps // 10, template_steps=literal.template_steps // 10)
        scale = 10.0
    # Warm-up outside the timings: the first train() in a process imports torch and
    # initialises its kernels (about 1.5 s here), which belongs to neither procedure.
    train(ts, train_config(template_steps=5, steps=5, check_every=0), seed=0)
    print("procedure     time            steps       reconstruction (worst template)")
    # The machine's speed drifts over minutes and stalls now and then: the default (a few
    # seconds) runs twice before and twice after the literal (minutes), and its time is the
    # median of the four, so both see the same machine.
    runs = [timed(train_config(), ts) for _ in range(2)]
    literal_s, literal_model = timed(literal, ts)
    runs += [timed(train_config(), ts) for _ in range(2)]
    default_s = statistics.median(t for t, _ in runs)
    report("default", default_s, runs[0][1], [t for t, _ in runs])
    report("literal", literal_s, literal_model, [literal_s])
    literal_s *= scale
    note = " (literal scaled x10 from a --quick run)" if args.quick else ""
    print(f"ratio literal / default: {literal_s / default_s:.1f}x{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
