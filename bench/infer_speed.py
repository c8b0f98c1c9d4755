"""Inference speed: generate_many for a flower's petals, and the coordinates it gives.

    .venv/bin/python bench/infer_speed.py [--save out.npz] [--compare before.npz]

Trains the example once (seed 0, default settings; or loads --model PATH), then times
generate_many for 100 petals x 25 rows (the time table path: a flower on playback) and for
one petal (the exact path: the slider), the best of 200 calls each after a warm-up, on one
thread. --save writes the generated coordinates (plain .npz); --compare prints the largest
coordinate difference from a file written by another version of the code, absolute and
in % of the petal's size.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from model_core import example_templates, load_model, save_model, train  # noqa: E402


def best_ms(fn, repeats: int = 200) -> float:
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return 1000.0 * best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="a saved model (default: train the example, seed 0)")
    parser.add_argument("--save-model", help="write the model used here")
    parser.add_argument("--save", help="write the generated coordinates here")
    parser.add_argument("--compare", help="coordinates written by --save of another version")
    args = parser.parse_args()
    model = load_model(args.model) if args.model else train(example_templates(), seed=0)
    if args.save_model:
        save_model(model, args.save_model)
    rng = np.random.default_rng(0)
    n = 100
    times = rng.uniform(model.times[0], model.times[-1], n)
    alphas = rng.uniform(-0.2, model.n_templates - 0.8, n) if model.context_dims == 1 else rng.uniform(0, 1, (n, 2))
    offsets = rng.uniform(-0.1, 0.1, n)
    flower = model.generate_many(times, alphas, offsets, rows=25)
    single = model.generate_many(times[:1], alphas[:1], offsets[:1], rows=25)
    t_flower = best_ms(lambda: model.generate_many(times, alphas, offsets, rows=25))
    t_single = best_ms(lambda: model.generate_many(times[:1], alphas[:1], offsets[:1], rows=25))
    print(f"generate_many, {n} petals x 25 rows: {t_flower:.3f} ms;  1 petal x 25 rows: {t_single:.3f} ms")
    if args.save:
        np.savez(args.save, flower=flower, single=single)
    if args.compare:
        with np.load(args.compare, allow_pickle=False) as old:
            size = float(np.linalg.norm(flower.max(axis=(0, 1, 2)) - flower.min(axis=(0, 1, 2))))
            for name, new in (("flower", flower), ("single", single)):
                d = float(np.abs(new - old[name]).max())
                print(f"{name}: largest coordinate difference {d:.2e} ({100 * d / size:.2e} % of the size)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
