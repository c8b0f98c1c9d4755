"""Held-out fidelity: how the model does at keyframes and rows it was not trained on.

    .venv/bin/python bench/heldout.py [--seeds 0,1,2] [--config '{"steps": 3000}'] [--literal] [--only 0,3]
    .venv/bin/python bench/heldout.py --between [--seeds 0]

For each set of model_core.petal_sets.benchmark_sets() and each seed:
  train    the default trainer on the whole set: the worst template's mean error at its
           keyframes (model_core.fidelity);
  time     train on every other keyframe (the first and the last always kept) and measure
           each template at the keyframes left out;
  rows     train on every other row (plus the last, so the morphology range is kept) and
           measure the rows left out (generate(rows=R) samples the full set's rows).
Errors are vertex distances in % of each keyframe's own bounding-box diagonal: the mean
over templates, held-out keyframes and vertices, and the worst vertex. `interp` is the
same held-out measure for the template models alone (the GRC path adds its error to
theirs); `spline` for a not-a-knot cubic spline per vertex through the kept keyframes or
rows (model_core/training/inbetweens.py): what a smooth interpolant of the data reaches; `arcs`
for the in-betweens in time the template fit reads (each quad turning along its arc,
model_core/training/arcs.py), over the same kept keyframes. --literal adds the seed-literal
procedure's held-out keyframe error (seed 0, 1/10 of its steps: slow otherwise) and the
default's over it.

Keeping every other keyframe of 5-8 leaves gaps too wide for the spline on most sets (it
misses by 0.2-3 %; the arcs by 0.1-0.37 %). --between asks what an artist sees between the keyframes
and rows they made: each set is drawn again with one more keyframe inside each gap in time
and one more row inside each gap along the petal (petal_sets.benchmark_sets(between=1));
one training on every other keyframe and row (a set of the benchmark's size) is judged
halfway between its keyframes (at its rows) and halfway between its rows (at its
keyframes), beside the template models alone (`interp`), the model's distance from its
template models there (`path`: the GRC path's own share, added to interp's), the
spline and the arcs through what was kept.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from model_core import TemplateSet, example_templates, train, train_config  # noqa: E402
from model_core.petal_sets import benchmark_sets  # noqa: E402
from model_core.training.arcs import arc_grids  # noqa: E402
from model_core.training.inbetweens import bounded_weights, spline_weights  # noqa: E402


def _pct(gen: np.ndarray, true: np.ndarray, ref: np.ndarray | None = None) -> np.ndarray:
    """Per-vertex distance of gen from `ref` (default: true) in % of each keyframe's
    diagonal in true: gen, true, ref (T, R, C, 3)."""
    diag = np.linalg.norm(true.max(axis=(1, 2)) - true.min(axis=(1, 2)), axis=-1)
    return 100.0 * np.linalg.norm(gen - (true if ref is None else ref), axis=-1) / diag[:, None, None]


def spline_floor(ts: TemplateSet, keep_t: list[int], keep_r: list[int]) -> float:
    """The mean held-out error of a not-a-knot cubic spline per vertex through the kept
    keyframes (all rows kept) or the kept rows (all keyframes kept): what a smooth
    interpolant of the captured data alone reaches."""
    k, t, r, _ = ts.shape
    errs = []
    for i in range(k):
        c = ts.coords[i]                                                   # (T, R, C, 3)
        if len(keep_t) < t:
            out = [j for j in range(t) if j not in keep_t]
            gen = np.einsum("qt,trcd->qrcd", spline_weights(ts.times[keep_t], ts.times[out]), c[keep_t])
            errs.append(_pct(gen, c[out]).mean())
        else:
            out = [j for j in range(r) if j not in keep_r]
            gen = c.copy()
            gen[:, out] = np.einsum("qr,trcd->tqcd", spline_weights(ts.morphs[keep_r], ts.morphs[out]),
                                    c[:, keep_r])
            errs.append(_pct(gen, c)[:, out].mean())
    return float(np.mean(errs))


def arc_floor(ts: TemplateSet, keep_t: list[int]) -> float:
    """The mean held-out error of the in-betweens along arcs (arcs.arc_grids, the
    interpolant the template fit reads between keyframes) through the kept keyframes."""
    out = [j for j in range(ts.shape[1]) if j not in keep_t]
    w = bounded_weights(ts.times[keep_t], ts.times[out])
    return float(np.mean([_pct(arc_grids(c[keep_t], ts.times[keep_t], ts.times[out], w), c[out]).mean()
                          for c in ts.coords]))


def _chosen(sets: list[tuple[str, TemplateSet]], only: str) -> list[tuple[str, TemplateSet]]:
    """The sets --only names by index (comma-separated), or all of them."""
    return [sets[int(i)] for i in only.split(",")] if only else sets


def model_errors(model: Any, ts: TemplateSet, at_t: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(the model's, its template models' errors against ts, and the model's distance
    from its template models: the GRC path's own share) at keyframes at_t and all of ts's
    rows, each (K, len(at_t), R, C) in % of ts's keyframe diagonals."""
    k, _, r, _ = ts.shape
    grc, interp, path = [], [], []
    for i in range(k):
        gen = model.generate_many(ts.times[at_t], np.repeat([model.template_context(i)], len(at_t), axis=0), rows=r)
        true = ts.coords[i][at_t]
        alone = model.template_shapes(i, ts.times[at_t], ts.morphs)
        grc.append(_pct(gen, true))
        interp.append(_pct(alone, true))
        path.append(_pct(gen, true, alone))
    return np.array(grc), np.array(interp), np.array(path)


def held_out(ts: TemplateSet, cfg: Any, seed: int, keep_t: list[int], keep_r: list[int]
             ) -> tuple[np.ndarray, np.ndarray]:
    """Train on keyframes keep_t and rows keep_r; (GRC, template-only) errors at the rest."""
    _, t, r, _ = ts.shape
    sub = TemplateSet(ts.coords[:, keep_t][:, :, keep_r], ts.times[keep_t], ts.morphs[keep_r], ts.names)
    model = train(sub, cfg, seed=seed)
    out_t = [i for i in range(t) if i not in keep_t] if len(keep_t) < t else list(range(t))
    out_r = [i for i in range(r) if i not in keep_r] if len(keep_r) < r else list(range(r))
    grc, interp, _ = model_errors(model, ts, out_t)
    return grc[:, :, out_r], interp[:, :, out_r]


def between(cfg: Any, seeds: list[int], only: str) -> int:
    """--between: train on every other keyframe and row of the denser sets, judge the rest."""
    print(f"{'set':<30} seed  train mean  steps | between keyframes  mean / worst   interp    path  spline    arcs"
          f" | between rows  mean / worst   interp    path  spline")
    keys, rows_out = [], []
    for name, ts in _chosen(benchmark_sets(between=1), only):
        _, t, r, _ = ts.shape
        kt, kr = list(range(0, t, 2)), list(range(0, r, 2))
        ot, orr = [i for i in range(t) if i not in kt], [i for i in range(r) if i not in kr]
        sub = TemplateSet(ts.coords[:, kt][:, :, kr], ts.times[kt], ts.morphs[kr], ts.names)
        floor_t = spline_floor(TemplateSet(ts.coords[:, :, kr], ts.times, ts.morphs[kr], ts.names), kt,
                               list(range(len(kr))))
        floor_r = spline_floor(TemplateSet(ts.coords[:, kt], ts.times[kt], ts.morphs, ts.names),
                               list(range(len(kt))), kr)
        arcs_t = arc_floor(TemplateSet(ts.coords[:, :, kr], ts.times, ts.morphs[kr], ts.names), kt)
        for seed in seeds:
            model = train(sub, cfg, seed=seed)
            err, alone, path = model_errors(model, ts, list(range(t)))
            e_t, e_r = err[:, ot][:, :, kr], err[:, kt][:, :, orr]
            it_t, it_r = alone[:, ot][:, :, kr], alone[:, kt][:, :, orr]
            p_t, p_r = path[:, ot][:, :, kr], path[:, kt][:, :, orr]
            keys.append(e_t.mean())
            rows_out.append(e_r.mean())
            print(f"{name:<30} {seed:>4} {max(e['mean_pct'] for e in model.errors):10.3f} "
                  f"{model.meta['steps_done']:6d} | {e_t.mean():18.3f} / {e_t.max():5.2f} {it_t.mean():8.3f}"
                  f" {p_t.mean():7.3f} {floor_t:7.3f} {arcs_t:7.3f} | {e_r.mean():13.3f} / {e_r.max():5.2f} {it_r.mean():8.3f}"
                  f" {p_r.mean():7.3f} {floor_r:7.3f}",
                  flush=True)
    print(f"between keyframes: mean error median {np.median(keys):.3f}%, worst {max(keys):.3f}% (target <= 0.2%); "
          f"between rows: median {np.median(rows_out):.3f}%, worst {max(rows_out):.3f}%")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--config", default="{}", help="TrainConfig overrides as JSON")
    parser.add_argument("--literal", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated set indexes")
    parser.add_argument("--between", action="store_true",
                        help="judge between the keyframes and rows of sets of the benchmark's size")
    args = parser.parse_args()
    overrides = json.loads(args.config)
    cfg = train_config(**overrides)
    train(example_templates(), train_config(template_steps=5, steps=5, check_every=0), seed=0)   # warm-up
    print(f"config overrides: {args.config}")
    if args.between:
        return between(cfg, [int(s) for s in args.seeds.split(",")], args.only)
    literal = train_config(literal=True)
    literal = replace(literal, steps=literal.steps // 10, template_steps=literal.template_steps // 10)
    print(f"{'set':<30} seed  train mean | time held out  mean / worst   interp  spline    arcs | rows held out  mean / worst"
          f"   interp  spline{'  | literal time held out  mean / worst   default / literal' if args.literal else ''}")
    times_out, rows_out = [], []
    for name, ts in _chosen(benchmark_sets(), args.only):
        _, t, r, _ = ts.shape
        keep_t = sorted(set(range(0, t, 2)) | {t - 1})
        keep_r = sorted(set(range(0, r, 2)) | {r - 1})
        ts_spline, rs_spline = spline_floor(ts, keep_t, list(range(r))), spline_floor(ts, list(range(t)), keep_r)
        ts_arcs = arc_floor(ts, keep_t)
        for seed in [int(s) for s in args.seeds.split(",")]:
            full = train(ts, cfg, seed=seed)
            tr_mean = max(e["mean_pct"] for e in full.errors)
            tg, ti = held_out(ts, cfg, seed, keep_t, list(range(r)))
            rg, ri = held_out(ts, cfg, seed, list(range(t)), keep_r)
            times_out.append(tg.mean())
            rows_out.append(rg.mean())
            extra = ""
            if args.literal and seed == 0:
                lg, _ = held_out(ts, literal, 0, keep_t, list(range(r)))
                extra = f"  | {lg.mean():22.3f} / {lg.max():5.2f} {tg.mean() / lg.mean():17.2f}x"
            print(f"{name:<30} {seed:>4} {tr_mean:10.3f} | {tg.mean():14.3f} / {tg.max():5.2f} {ti.mean():8.3f}"
                  f" {ts_spline:7.3f} {ts_arcs:7.3f} | {rg.mean():14.3f} / {rg.max():5.2f} {ri.mean():8.3f} {rs_spline:7.3f}{extra}",
                  flush=True)
    print(f"held-out keyframes: mean error median {np.median(times_out):.3f}%, worst {max(times_out):.3f}% "
          f"(target <= 0.2%); held-out rows: median {np.median(rows_out):.3f}%, worst {max(rows_out):.3f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
