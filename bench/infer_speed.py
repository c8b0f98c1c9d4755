"""Inference speed: generate_many for a flower's petals, beside another version of the code.

    .venv/bin/python bench/infer_speed.py [--model M.npz | --config JSON] [--against DIR | --other-model M2.npz]
                                          [--save-model OUT.npz]

    # e.g. against the code before the folded inference:
    mkdir -p /tmp/old && git archive 6cbb756 model_core | tar -x -C /tmp/old
    .venv/bin/python bench/infer_speed.py --model M.npz --against /tmp/old

Loads --model (default: trains the example, seed 0, with --config's TrainConfig overrides), then times generate_many for 1,000
petals x 25 rows (a field of flowers), for 100 (the time-table path: a flower on playback)
and for one petal (the exact path: the slider), best of 400 calls (40 for the field) after
a warm-up. With --against DIR (a folder holding
another version's `model_core/`), that version is imported as a second package in the same
process and the two are called alternately on the same model and inputs: both times, the
ratio, and the largest coordinate difference between them (absolute, and in % of the
petals' size). With --other-model M2.npz, this code runs both models alternately on the
same inputs (two network shapes side by side): both times and the ratio.
"""
from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import shutil
import sys
import tempfile
import time
from typing import Any, Callable

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from model_core import example_templates, load_model, save_model, train, train_config  # noqa: E402


def _other_version(folder: str) -> Any:
    """`folder`/model_core imported as the package `model_core_other` (relative imports)."""
    root = tempfile.mkdtemp(prefix="grc-other-")
    shutil.copytree(os.path.join(folder, "model_core"), os.path.join(root, "model_core_other"))
    sys.path.insert(0, root)
    return importlib.import_module("model_core_other")


def _inputs(model: Any, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    times = rng.uniform(model.times[0], model.times[-1], n)
    if model.context_dims == 1:
        alphas = rng.uniform(-0.2, model.n_templates - 0.8, n)
    else:
        alphas = rng.uniform(0.0, 1.0, (n, 2))
    return times, alphas, rng.uniform(-0.1, 0.1, n)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="a saved model (default: train the example, seed 0)")
    parser.add_argument("--config", default="{}", help="TrainConfig overrides (JSON) when training")
    parser.add_argument("--save-model", help="write the model used here")
    parser.add_argument("--against", help="a folder holding another version's model_core/")
    parser.add_argument("--other-model", help="a second saved model, timed beside --model")
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                        help="the petals' dtype (float32: what mesh writers ask for); a version "
                             "without the dtype argument returns its own")
    args = parser.parse_args()
    if args.against and args.other_model:
        parser.error("--against and --other-model compare different things: pass one")
    overrides = json.loads(args.config)
    model = load_model(args.model) if args.model else train(example_templates(), train_config(**overrides), seed=0)
    if args.save_model:
        save_model(model, args.save_model)
    versions = {"this": model}
    if args.against:
        if not args.model:
            parser.error("--against needs --model (a file both versions can read)")
        versions["other"] = _other_version(args.against).load_model(args.model)
    if args.other_model:
        versions["other"] = load_model(args.other_model)
    t, a, o = _inputs(model, 1000)
    calls: dict[str, Callable[[], np.ndarray]] = {}
    for name, m in versions.items():
        kw = {"dtype": args.dtype} if "dtype" in inspect.signature(m.generate_many).parameters else {}
        calls[f"{name} field"] = lambda m=m, kw=kw: m.generate_many(t, a, o, rows=25, **kw)
        calls[f"{name} flower"] = lambda m=m, kw=kw: m.generate_many(t[:100], a[:100], o[:100], rows=25, **kw)
        calls[f"{name} single"] = lambda m=m, kw=kw: m.generate_many(t[:1], a[:1], o[:1], rows=25, **kw)
    best = {k: float("inf") for k in calls}
    for fn in calls.values():
        fn()
    for i in range(400):
        for k, fn in calls.items():
            if k.endswith("field") and i % 10:
                continue            # 40 rounds of the 1,000-petal call are enough
            start = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - start)
    print("  ".join(f"{k}: {1000 * v:.3f} ms" for k, v in best.items()))
    if args.other_model:
        for kind in ("field", "flower", "single"):
            print(f"{kind}: this / other model {best[f'this {kind}'] / best[f'other {kind}']:.2f}x")
    if args.against:
        flower = calls["this flower"]()
        size = float(np.linalg.norm(flower.max(axis=(0, 1, 2)) - flower.min(axis=(0, 1, 2))))
        for kind in ("field", "flower", "single"):
            d = float(np.abs(calls[f"this {kind}"]() - calls[f"other {kind}"]()).max())
            print(f"{kind}: this / other {best[f'this {kind}'] / best[f'other {kind}']:.2f}x; largest coordinate "
                  f"difference {d:.1e} ({100 * d / size:.1e} % of the size {size:.3g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
