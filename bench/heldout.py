"""Held-out fidelity: how the model does between the keyframes and rows it was trained on.

    .venv/bin/python bench/heldout.py [--sets N] [--config '{"steps": 3000}'] [--seed 0]

For each set (model_core/petal_sets.py: the example and sets the repository has never seen):
  train    the default trainer on the whole set; the error of each generated template at
           its captured keyframes and rows (what training and early stopping see);
  time     leave-one-keyframe-out: for two interior keyframes j, train without keyframe j
           and measure the generated templates at time j;
  rows     train on every other row (plus the last, so the morphology range is kept) and
           measure the rows left out (generate(rows=R) samples the full set's rows).
Errors are vertex distances in percent of each template's bounding-box diagonal: mean over
vertices and templates, and the worst vertex. `ratio` is the held-out mean over the
training mean. `interp` is the same held-out measure for the template models alone (the
interpolation the data allows): the part of a held-out error the GRC path cannot remove;
`grc/interp` is the held-out mean over that floor (1.0 = the GRC path adds nothing).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from model_core.petal_sets import acceptance_sets  # noqa: E402
from model_core import NetSizes, TemplateSet, train, train_config  # noqa: E402
from model_core.infer import unit_index  # noqa: E402
from model_core.nets import forward  # noqa: E402
from model_core.templates import grid_layout  # noqa: E402


def _pct(gen: np.ndarray, true: np.ndarray, diag: float) -> np.ndarray:
    return 100.0 * np.linalg.norm(gen - true, axis=-1) / diag


def _template_only(model, k: int, times: np.ndarray, morphs: np.ndarray) -> np.ndarray:
    """Template model k alone at (times x morphs) -> (T, M, C, 3) scene units."""
    tn, mn = unit_index(times, model.times), unit_index(morphs, model.morphs)
    rel = np.stack(np.meshgrid(tn, mn, indexing="ij"), axis=-1)
    return grid_layout(forward(model.template_nets[k], rel), model.n_cols) * model.scale + model.centre


def training_error(model, ts: TemplateSet) -> tuple[float, float]:
    errs = [e for e in model.errors]
    return float(np.mean([e["mean_pct"] for e in errs])), float(max(e["max_pct"] for e in errs))


def leave_keyframe_out(ts: TemplateSet, j: int, cfg, seed: int) -> tuple[np.ndarray, np.ndarray]:
    keep = [i for i in range(ts.shape[1]) if i != j]
    sub = TemplateSet(ts.coords[:, keep], ts.times[keep], ts.morphs, ts.names)
    model = train(sub, cfg, seed=seed)
    diags = ts.diagonals()
    grc, interp = [], []
    for k in range(ts.shape[0]):
        gen = model.generate(float(ts.times[j]), _slider(model, k))
        grc.append(_pct(gen, ts.coords[k, j], diags[k]))
        tmpl = _template_only(model, k, ts.times[j:j + 1], ts.morphs)[0]
        interp.append(_pct(tmpl, ts.coords[k, j], diags[k]))
    return np.array(grc), np.array(interp)


def held_out_rows(ts: TemplateSet, cfg, seed: int) -> tuple[np.ndarray, np.ndarray]:
    k, t, r, c = ts.shape
    keep = sorted(set(range(0, r, 2)) | {r - 1})
    out = [i for i in range(r) if i not in keep]
    sub = TemplateSet(ts.coords[:, :, keep], ts.times, ts.morphs[keep], ts.names)
    model = train(sub, cfg, seed=seed)
    diags = ts.diagonals()
    grc, interp = [], []
    for i in range(k):
        gen = model.generate_many(ts.times, np.repeat([model.template_context(i)], t, axis=0),
                                  np.zeros(t), rows=r)
        grc.append(_pct(gen[:, out], ts.coords[i][:, out], diags[i]))
        tmpl = _template_only(model, i, ts.times, ts.morphs[out])
        interp.append(_pct(tmpl, ts.coords[i][:, out], diags[i]))
    return np.array(grc), np.array(interp)


def _slider(model, k: int):
    v = model.template_context(k)
    return v[0] if len(v) == 1 else v


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", type=int, default=5, help="how many sets (>= 4 for the figures)")
    parser.add_argument("--config", default="{}", help="TrainConfig overrides as JSON")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    overrides = json.loads(args.config)
    if "sizes" in overrides:
        overrides["sizes"] = NetSizes(*[tuple(w) for w in overrides["sizes"]])
    cfg = train_config(**overrides)
    ts0 = acceptance_sets()[0][1]
    train(ts0, train_config(template_steps=5, steps=5, check_every=0), seed=0)   # torch warm-up
    print(f"config overrides: {args.config}")
    print(f"{'set':<18} {'train mean/worst':>17} | {'time held out':>14} {'ratio':>5} {'interp':>13} |"
          f" {'rows held out':>14} {'ratio':>5} {'interp':>13}")
    ratios, over = [], []
    for name, ts in acceptance_sets()[:args.sets]:
        model = train(ts, cfg, seed=args.seed)
        tr_mean, tr_max = training_error(model, ts)
        t = ts.shape[1]
        loko = [leave_keyframe_out(ts, j, cfg, args.seed) for j in sorted({t // 3, (2 * t) // 3})]
        lk = np.concatenate([g.ravel() for g, _ in loko])
        li = np.concatenate([i.ravel() for _, i in loko])
        rg, ri = held_out_rows(ts, cfg, args.seed)
        r_time, r_rows = lk.mean() / tr_mean, rg.mean() / tr_mean
        ratios += [r_time, r_rows]
        over += [lk.mean() / li.mean(), rg.mean() / ri.mean()]
        print(f"{name:<18} {tr_mean:7.3f}% / {tr_max:5.2f}% | {lk.mean():6.3f}/{lk.max():5.2f}% {r_time:5.2f}"
              f" {li.mean():6.3f}/{li.max():5.2f}% | {rg.mean():6.3f}/{rg.max():5.2f}% {r_rows:5.2f}"
              f" {ri.mean():6.3f}/{ri.max():5.2f}%", flush=True)
    print(f"held-out / training mean error: median {np.median(ratios):.2f}x, worst {max(ratios):.2f}x "
          f"(target <= 1.5x)")
    print(f"held-out error / template-interpolation floor: median {np.median(over):.2f}x, "
          f"worst {max(over):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
