"""Petal template sets that are not in the repository, from varied analytic petal shapes.

The fidelity acceptance check and the held-out bench use these, never only the bundled
example: each set draws its own templates (length, width, tilt, curl, cup, twist, a sideways
sweep and an opening curve) from a seed, so no default is tuned to one shape.

    from model_core.petal_sets import acceptance_sets
    for name, ts in acceptance_sets(): ...

(numpy only; the tests and bench/ both import it from here.)
"""
from __future__ import annotations

import numpy as np

from .example import example_templates
from .templates import TemplateSet
from .training.inbetweens import inbetween_times

_RANGES = dict(length=(0.8, 1.4), width=(0.07, 0.2), tilt=(-0.1, 0.8), curl=(-1.2, 1.3),
               cup=(0.2, 1.8), twist=(-0.6, 0.6), sweep=(-0.35, 0.35))
_BUD = dict(length=0.5, width=0.06, tilt=1.3, curl=0.5, cup=2.0, twist=0.0, sweep=0.0)


def petal(p: dict[str, float], rows: int, cols: int) -> np.ndarray:
    """One petal grid (rows, cols, 3): a centre line bending in XZ (tilt, curl) and sideways
    (sweep), a half width profile, edges cupped along the normal and twisted about the line."""
    m = np.linspace(0.0, 1.0, rows)
    u = np.linspace(-1.0, 1.0, cols)
    angle = p["tilt"] + p["curl"] * m
    yaw = p["sweep"] * m
    ds = p["length"] / (rows - 1)
    step = np.stack([np.cos(angle) * np.cos(yaw), np.sin(yaw), np.sin(angle)], axis=1) * ds
    centre = np.vstack([[0.0, 0.0, 0.0], np.cumsum(step[:-1], axis=0)])
    half = p["width"] * (0.35 + 1.6 * np.sin(np.pi * (0.08 + 0.8 * m)) * (0.4 + 0.6 * m))
    lift = p["cup"] * half[:, None] * u[None, :] ** 2
    roll = p["twist"] * m
    across = half[:, None] * u[None, :]
    # the cross-section (across, lift) turned by `roll` about the centre line
    y = across * np.cos(roll)[:, None] - lift * np.sin(roll)[:, None]
    n = lift * np.cos(roll)[:, None] + across * np.sin(roll)[:, None]
    nx, nz = -np.sin(angle), np.cos(angle)
    x = centre[:, 0:1] + n * nx[:, None]
    z = centre[:, 2:3] + n * nz[:, None]
    return np.stack([x, centre[:, 1:2] + y, z], axis=-1)


def petal_set(k: int, times: int | list[float], rows: int, cols: int, seed: int, scale: float = 1.0,
              shift: tuple[float, float, float] = (0.0, 0.0, 0.0), shared_bud: bool = True,
              crossing: bool = False) -> TemplateSet:
    """K templates opening from a bud (shared or each its own) to shapes drawn from `seed`.

    `crossing`: template 1's curl and cup are mirrored about template 0's, so their
    context traces cross along the petal. `times`: a count (evenly spaced keyframes) or
    the keyframes' time values (uneven steps; the opening follows the time values)."""
    rng = np.random.default_rng(seed)
    opens = [{key: rng.uniform(*r) for key, r in _RANGES.items()} for _ in range(k)]
    if crossing and k >= 2:
        opens[1] = dict(opens[0], curl=-opens[0]["curl"], cup=opens[0]["cup"] * 0.4 + 1.0,
                        tilt=opens[0]["tilt"] + 0.5)
    power = rng.uniform(0.7, 1.6)
    tv = np.linspace(0.0, 1.0, times) if isinstance(times, int) else np.asarray(times, np.float64)
    s = ((tv - tv[0]) / (tv[-1] - tv[0])) ** power
    times = len(tv)
    coords = np.empty((k, times, rows, cols, 3))
    for i, target in enumerate(opens):
        bud = _BUD if shared_bud else {key: v * rng.uniform(0.8, 1.2) for key, v in _BUD.items()}
        for t, f in enumerate(s):
            coords[i, t] = petal({key: (1 - f) * bud[key] + f * target[key] for key in _BUD}, rows, cols)
    coords = coords * scale + np.asarray(shift)
    return TemplateSet(coords, tv, names=[f"petal {i}" for i in range(k)])


def acceptance_sets() -> list[tuple[str, TemplateSet]]:
    """The example and sets the repository has never seen: 7x7 two-template scaled and
    shifted, 5x9 with K=3, 12x12, K=2..4."""
    return [
        ("example 2x7 7x7", example_templates()),
        ("scaled 2x7 7x7", petal_set(2, 7, 7, 7, seed=11, scale=37.0, shift=(120.0, -40.0, 8.0))),
        ("K3 5x9", petal_set(3, 6, 5, 9, seed=12, shared_bud=False)),
        ("K2 12x12", petal_set(2, 8, 12, 12, seed=13)),
        ("K4 7x7", petal_set(4, 7, 7, 7, seed=14, scale=0.05)),
        ("K3 9x7", petal_set(3, 5, 9, 7, seed=15, shift=(0.0, 3.0, 0.0))),
    ]


# The seed article's own keyframe times (uneven steps, beyond 1 at the end).
SEED_TIMES = [0.0, 0.1, 0.3, 0.55, 0.8, 1.0, 1.1]


def benchmark_sets(between: int = 0) -> list[tuple[str, TemplateSet]]:
    """The wider benchmark behind the defaults (bench/sweep.py, bench/train_speed.py): grid
    sizes 5x9 to 12x12, K = 2..6, the seed's uneven time steps, scales 0.01 to 100 and
    offsets far from the origin, besides the acceptance sets. `between`: the same sets
    drawn with that many more keyframes inside each gap in time and rows inside each gap
    along the petal (bench/heldout.py --between), so every (between + 1)-th keyframe and row
    is a set of the benchmark's size and the rest lie between them."""
    far = (2500.0, -1800.0, 900.0)

    def times(t: int | list[float]) -> int | list[float]:
        if isinstance(t, int):
            return (t - 1) * (between + 1) + 1
        return np.sort(np.concatenate([t, inbetween_times(np.asarray(t), between)])).tolist()

    def rows(r: int) -> int:           # also an evenly spaced keyframe count
        return (r - 1) * (between + 1) + 1

    return [
        ("example 2x7 7x7", example_templates(rows(7), rows(7), 7)),
        ("seed times 2x7 7x7 x0.01 far", petal_set(2, times(SEED_TIMES), rows(7), 7, seed=31, scale=0.01,
                                                    shift=(25.0, -18.0, 9.0))),
        ("seed times 2x7 7x7 x100 far", petal_set(2, times(SEED_TIMES), rows(7), 7, seed=32, scale=100.0, shift=far)),
        ("K2 12x12", petal_set(2, times(8), rows(12), 12, seed=13)),
        ("K3 5x9", petal_set(3, times(6), rows(5), 9, seed=12, shared_bud=False)),
        ("K4 7x7 x0.05", petal_set(4, times(7), rows(7), 7, seed=14, scale=0.05)),
        ("K5 seed times 6x6", petal_set(5, times(SEED_TIMES), rows(6), 6, seed=35, shift=(0.0, 40.0, 0.0))),
        ("K6 5x7 x3", petal_set(6, times(5), rows(7), 5, seed=36, scale=3.0)),
    ]
