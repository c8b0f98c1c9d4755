"""Command line: python -m model_core train | generate | info.

Errors print one line and exit with status 2 (no traceback); Ctrl-C cancels training.
"""
from __future__ import annotations

import argparse
import sys
import threading
import time
import zipfile
from typing import Sequence

import numpy as np

from .errors import GRCError, TrainingCancelled
from .infer import MAX_ROWS
from .store import load_model
from .templates import TemplateSet


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
    try:
        with np.load(path, allow_pickle=False) as npz:
            if "templates" not in npz.files:
                raise GRCError(f"{path}: no 'templates' array (found: {', '.join(npz.files) or 'nothing'})")
            unknown = set(npz.files) - {"templates", "times", "morphs", "names"}
            if unknown:
                raise GRCError(f"{path}: unexpected arrays {sorted(unknown)}")
            coords = npz["templates"]
            times = npz["times"] if "times" in npz.files else None
            morphs = npz["morphs"] if "morphs" in npz.files else None
            names = [str(n) for n in npz["names"]] if "names" in npz.files else None
    except GRCError:
        raise
    except FileNotFoundError:
        raise GRCError(f"{path}: no such file") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise GRCError(f"{path}: not a readable .npz of templates ({exc})") from None
    if coords.dtype.kind not in "fiu":
        raise GRCError(f"{path}: 'templates' must be numeric, got dtype {coords.dtype}")
    return TemplateSet(coords, times, morphs, names)


def _cmd_train(args: argparse.Namespace) -> int:
    from . import train, train_config
    ts = load_templates(args.templates)
    overrides = {"literal": args.literal}
    if args.steps is not None:
        if args.steps < 1:
            raise GRCError("--steps must be at least 1")
        overrides["steps"] = args.steps
    cfg = train_config(**overrides)
    cancel = threading.Event()
    try:
        model = train(ts, cfg, seed=args.seed, progress=_Bar(), cancel=cancel)
    except KeyboardInterrupt:
        cancel.set()
        raise GRCError("training cancelled; nothing was written") from None
    finally:
        sys.stderr.write("\n")
    model.save(args.output)
    print(f"wrote {args.output} in {model.meta['train_seconds']:.1f} s")
    _print_errors(model.errors)
    return 0


def _print_errors(errors: Sequence[dict]) -> None:
    for e in errors:
        print(f"  {e['name']}: mean vertex error {e['mean']:.4g} ({e['mean_pct']:.3f}% of size), "
              f"max {e['max']:.4g} ({e['max_pct']:.3f}%)")


def _cmd_generate(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    alpha = args.alpha[0] if len(args.alpha) == 1 else args.alpha
    out = model.generate(args.time, alpha, args.offset, args.rows)
    np.save(args.output, out.astype(np.float32), allow_pickle=False)
    print(f"wrote {args.output}: shape {out.shape}")
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    meta = model.meta
    cfg = meta.get("config", {})
    print(f"GRC model: {model.n_templates} templates, grid {model.n_rows} x {model.n_cols}, "
          f"{len(model.times)} time indexes, {model.context_dims}-D context")
    print(f"templates: {', '.join(model.names)}")
    sizes = cfg.get("sizes", {})
    if sizes:
        print(f"hidden sizes: template {sizes.get('template')}, relational {sizes.get('relational')}, "
              f"generative {sizes.get('generative')}")
    print(f"training: {meta.get('steps_done', '?')} steps, seed {meta.get('seed', '?')}, "
          f"{meta.get('train_seconds', '?')} s, rates lrR {cfg.get('lr_r')} lrG {cfg.get('lr_g')}, "
          f"batch {cfg.get('batch')}, context filter {cfg.get('context_filter')}")
    traces = model.context_traces()
    print(f"context range: {traces.min():.4f} .. {traces.max():.4f}")
    for k in range(model.n_templates):
        print(f"  {model.names[k]}: context {traces[k].min():.4f} .. {traces[k].max():.4f}")
    print("reconstruction (generate(alpha = template index) at each captured time):")
    _print_errors(model.errors)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model_core", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("train", help="train a model from TEMPLATES.npz")
    p.add_argument("templates")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int)
    p.add_argument("--literal", action="store_true", help="the seed article's procedure (slow)")
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
