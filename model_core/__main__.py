"""Command line: python -m model_core train | generate | info.

Every TrainConfig setting is a `train` flag (`--context-dims`, `--sizes`, `--template-steps`,
`--lr-r`, ...: `train --help` lists them with their defaults). Errors print one line,
`error: <what>`, and exit with status 2 (no traceback); Ctrl-C cancels training.
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from dataclasses import fields
from typing import Any, Sequence

import numpy as np

from .config import TrainConfig
from .errors import GRCError, TrainingCancelled
from .limits import MAX_ROWS
from .nets import SEED_SIZES, NetSizes
from .store import load_model, save_model
from .templates import TemplateSet

_HELP = {
    "context_dims": "context dimensions: 0 = auto (1 for two templates, 2 for more), "
                    "1 = the templates lie in a row, 2 = a pad",
    "sizes": "hidden widths 'TEMPLATE:RELATIONAL:GENERATIVE[:GENERATIVE_2D]', each "
             "comma-separated (e.g. 48,48:48,32:128:48,128; the last for a 2-D context, "
             "else GENERATIVE), or 'seed' for the seed article's sizes",
    "literal": "start from the seed article's procedure (slow); other flags override it",
    "template_steps": "template-model fit steps (stage 1)",
    "template_lr": "template-model learning rate",
    "template_init_gain": "first-layer scale of the template models",
    "inbetweens": "in-betweens per keyframe gap in the template fit (0: the keyframes alone)",
    "inbetween_weight": "an in-between row's weight beside a captured row's",
    "inbetween_arcs": "in-betweens in time turn each quad of the grid along its arc (0: each vertex's spline)",
    "row_inbetween_weight": "the template models' refit also sees the shapes halfway between rows, "
                            "at this weight (0: off)",
    "steps": "relational + generative steps (stage 2, at most: training stops at the target)",
    "lr_r": "relational-model learning rate (the seed's lrR)",
    "lr_g": "generative-model learning rate (the seed's lrG)",
    "generative_init_gain": "first-layer scale of the generative model",
    "batch": "pool samples per stage-2 step (the captured points are added)",
    "context_filter": "weight of the context target in loss_R (the seed's rFilter)",
    "lr_decay": "cosine decay of the rates to 1%%",
    "pool": "template-model samples drawn per template for stage 2",
    "stop_mean_pct": "stop once every template's mean error is at most this %% of its diagonal",
    "stop_max_pct": "... and its worst vertex at most this %%",
    "check_every": "steps between early-stop checks (0: never stop early)",
    "threads": "torch threads while training",
    "adam_beta2": "Adam's second-moment decay",
    "refit": "closed-form refits of the output layers (templates after stage 1, generative after stage 2)",
    "template_ridge": "ridge of the template models' refit (relative to the features' variance)",
    "generative_ridge": "ridge of the generative model's refit (relative to the features' variance)",
    "refit_pool": "pool samples beside the captured rows in the generative refit",
    "refit_pool_weight": "their total weight relative to the captured rows', at least",
    "refit_smooth_weight": "... and at most: the most pool weight that still meets the stop wins",
    "refit_checks": "refit the generative model before each early-stop check too",
    "refit_between": "the generative refit also holds the shapes halfway between keyframes (the spline "
                     "through the captured ones), at this x the target's tolerance (0: the keyframes alone)",
    "refit_row_between": "... and the shapes halfway between captured rows, at this x the target's tolerance (0: off)",
    "between_patience": "early-stop checks that wait for those once the keyframes alone meet the stop",
    "restart": "where the schedule ends short of the target and of its stop, a second cycle of this x "
               "the steps (the rates back at their start; the better model is kept; 0: none)",
    "fixed_units": "the generative refit also solves over this x its last hidden layer's width of units that "
                   "keep their random initial weights (the stored model is that much wider; 0: none)",
    "rescue_fixed_units": "where stage 2 ends short of the target, one more refit over this x the layer's width "
                          "of fixed units, kept if it reads better (0: none)",
    "refit_rounds": "re-weighted solves of the generative refit toward the target's worst keyframe and vertex",
    "trainer": "'torch', 'numpy', or 'auto' ($GRC_TRAINER, else numpy; torch for --literal)",
    "procedure": "'default' or 'literal' (the seed's stage 2; --literal also sets its settings)",
}


class _Bar:
    """A one-line progress bar on stderr: step/total, elapsed, latest losses."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def __call__(self, step: int, total: int, losses: dict[str, float]) -> None:
        frac = step / max(total, 1)
        filled = int(30 * frac)
        loss = " ".join(f"{k} {v:.3g}" for k, v in losses.items())
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {100 * frac:5.1f}% "
                         f"{time.perf_counter() - self.start:6.1f}s  {loss:<40}")
        sys.stderr.flush()


def load_templates(path: str) -> TemplateSet:
    """TEMPLATES.npz: `templates` (K, T, R, C, 3), optional `times`, `morphs`, `names`."""
    return TemplateSet.load(path)


def parse_sizes(text: str) -> NetSizes:
    if text.strip().lower() == "seed":
        return SEED_SIZES
    parts = text.split(":")
    try:
        widths = [tuple(int(w) for w in p.split(",")) for p in parts]
    except ValueError:
        widths = []
    if len(widths) not in (3, 4) or not all(widths) or not all(1 <= w <= 512 for ws in widths for w in ws):
        raise GRCError(f"--sizes must look like 48,48:48,32:128[:48,128] (widths 1..512; the fourth: "
                       f"the generative model on a 2-D context) or 'seed', got {text!r}")
    return NetSizes(*widths)


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _add_train_flags(p: argparse.ArgumentParser) -> None:
    """One flag per TrainConfig field, typed like its default (booleans as --x / --no-x)."""
    default = TrainConfig()
    for f in fields(TrainConfig):
        value = getattr(default, f.name)
        text = _HELP.get(f.name, f.name.replace("_", " "))
        if f.name == "sizes":
            p.add_argument(_flag(f.name), type=str, help=f"{text} (default {_sizes_text(value)})")
        elif isinstance(value, bool):
            p.add_argument(_flag(f.name), action=argparse.BooleanOptionalAction, default=None,
                           help=f"{text} (default {value})")
        else:
            choices = {"procedure": ("default", "literal"), "trainer": ("auto", "torch", "numpy")}.get(f.name)
            p.add_argument(_flag(f.name), type=type(value), choices=choices,
                           help=f"{text} (default {value})")
    p.add_argument("--literal", action="store_true", help=_HELP["literal"])


def _sizes_text(s: NetSizes) -> str:
    parts = (s.template, s.relational, s.generative) + ((s.generative_pad,) if s.generative_pad else ())
    return ":".join(",".join(map(str, w)) for w in parts)


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The TrainConfig the flags ask for: the default (or --literal) with every given flag."""
    from . import train_config
    overrides: dict[str, Any] = {"literal": bool(args.literal)}
    for f in fields(TrainConfig):
        value = getattr(args, f.name, None)
        if value is not None:
            overrides[f.name] = parse_sizes(value) if f.name == "sizes" else value
    cfg = train_config(**overrides)
    cfg.validate()
    return cfg


def _cmd_train(args: argparse.Namespace) -> int:
    from . import train
    ts = load_templates(args.templates)
    cfg = config_from_args(args)
    cancel = threading.Event()
    try:
        model = train(ts, cfg, seed=args.seed, progress=_Bar(), cancel=cancel)
    except KeyboardInterrupt:
        cancel.set()
        raise GRCError("training cancelled; nothing was written") from None
    finally:
        sys.stderr.write("\n")
    save_model(model, args.output)
    print(f"wrote {args.output} in {model.meta['train_seconds']:.1f} s "
          f"({model.context_dims}-D context)")
    _print_errors(model.errors)
    return 0


def _print_errors(errors: Sequence[dict[str, Any]]) -> None:
    for e in errors:
        print(f"  {e['name']}: mean vertex error {e['mean']:.4g} ({e['mean_pct']:.3f}% of size), "
              f"max {e['max']:.4g} ({e['max_pct']:.3f}%)")


def _cmd_generate(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    alpha = args.alpha[0] if len(args.alpha) == 1 else args.alpha
    out = model.generate(args.time, alpha, args.offset, args.rows)
    np.save(args.output, out, allow_pickle=False)          # float64: a far-placed model keeps its precision
    print(f"wrote {args.output}: shape {out.shape}")
    return 0


def model_info(model: Any) -> dict[str, Any]:
    """What `info` prints, as plain JSON-able data."""
    traces = model.context_traces()
    return {
        "n_templates": model.n_templates, "n_rows": model.n_rows, "n_cols": model.n_cols,
        "context_dims": model.context_dims, "names": list(model.names),
        "times": [float(t) for t in model.times], "morphs": [float(m) for m in model.morphs],
        "template_context": [list(model.template_context(k)) for k in range(model.n_templates)],
        "context_range": [float(traces.min()), float(traces.max())],
        "hidden": {"template": [int(w.shape[1]) for w, _ in model.template_nets[0][:-1]],
                   "relational": [int(w.shape[1]) for w, _ in model.relational[:-1]],
                   "generative": [int(w.shape[1]) for w, _ in model.generative[:-1]]},
        "meta": model.meta,
    }


def _cmd_info(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    info = model_info(model)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    meta, cfg = model.meta, model.meta.get("config", {})
    hidden = info["hidden"]
    print(f"GRC model: {model.n_templates} templates, grid {model.n_rows} x {model.n_cols}, "
          f"{len(model.times)} time indexes, {model.context_dims}-D context")
    print(f"templates: {', '.join(model.names)}")
    print(f"hidden sizes: template {hidden['template']}, relational {hidden['relational']}, "
          f"generative {hidden['generative']}")
    print(f"training: {meta.get('steps_done', '?')} steps, seed {meta.get('seed', '?')}, "
          f"{meta.get('train_seconds', '?')} s, rates lrR {cfg.get('lr_r')} lrG {cfg.get('lr_g')}, "
          f"batch {cfg.get('batch')}, context filter {cfg.get('context_filter')}")
    traces = model.context_traces()
    print(f"context range: {traces.min():.4f} .. {traces.max():.4f}")
    for k in range(model.n_templates):
        slider = ", ".join(f"{v:g}" for v in model.template_context(k))
        print(f"  {model.names[k]}: context {traces[k].min():.4f} .. {traces[k].max():.4f}, "
              f"slider ({slider})")
    print("reconstruction (generate at each template's slider value, each captured time):")
    _print_errors(model.errors)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model_core", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("train", help="train a model from TEMPLATES.npz")
    p.add_argument("templates")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--seed", type=int, default=0)
    _add_train_flags(p)
    p.set_defaults(func=_cmd_train)
    p = sub.add_parser("generate", help="generate a petal grid into OUT.npy")
    p.add_argument("model")
    p.add_argument("--time", type=float, required=True)
    p.add_argument("--alpha", type=float, nargs="+", required=True, help="one value, or two for a 2-D context")
    p.add_argument("--offset", type=float, default=0.0)
    p.add_argument("--rows", type=int, help=f"output rows, 2..{MAX_ROWS}")
    p.add_argument("-o", "--output", required=True)
    p.set_defaults(func=_cmd_generate)
    p = sub.add_parser("info", help="describe a model")
    p.add_argument("model")
    p.add_argument("--json", action="store_true", help="print the description as JSON")
    p.set_defaults(func=_cmd_info)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (GRCError, TrainingCancelled) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc.strerror or exc}: {getattr(exc, 'filename', '')}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
