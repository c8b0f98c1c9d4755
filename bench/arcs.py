"""The in-betweens along arcs' cost (model_core/training/arcs.py) against the spline's,
side by side in one process, per template, for grids from the example's 7 x 7 to
limits.MAX_GRID's 64 x 64 and animations of 7 to 60 keyframes.

    .venv/bin/python bench/arcs.py

Each row times inbetweens.shapes_at_times for one template and one in-between per gap (what
the template fit asks; the generative refit asks the midpoints again): the spline (each
vertex's), then the arcs, on one BLAS thread as in training, the best of three after a
first call (the grid's solver is cached per size; its first build is the `first` column).
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from model_core.petal_sets import petal_set  # noqa: E402
from model_core.templates import rows_layout  # noqa: E402
from model_core.training.blas import limited_blas_threads  # noqa: E402
from model_core.training.inbetweens import inbetween_times, shapes_at_times  # noqa: E402


def _best(call, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    print(f"{'grid':>7} {'keyframes':>9} | {'spline ms':>9} {'arcs ms':>9} {'first ms':>9} {'arcs / spline':>13}")
    with limited_blas_threads(1):
        for n, t in ((7, 7), (12, 8), (16, 7), (24, 7), (32, 7), (32, 20), (48, 7), (64, 7), (64, 20), (16, 60)):
            ts = petal_set(2, t, n, n, seed=n + t)
            rows = rows_layout(ts.coords[:1]).reshape(1, t * n, 3 * n)
            tq = inbetween_times(ts.times, 1)
            start = time.perf_counter()
            shapes_at_times(ts.times, tq, rows, n, True)
            first = time.perf_counter() - start
            spline = _best(lambda: shapes_at_times(ts.times, tq, rows, n, False))
            arcs = _best(lambda: shapes_at_times(ts.times, tq, rows, n, True))
            print(f"{n:>3} x {n:<3} {t:>9} | {1e3 * spline:9.2f} {1e3 * arcs:9.1f} {1e3 * first:9.1f} {arcs / spline:12.0f}x",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
