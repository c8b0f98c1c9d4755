"""A one-object flower's layout: its rings and layout values -> one placement per petal.

Pure arithmetic on values read from `Object.grc` (no writes): where each petal sits (a 4x4
matrix in the flower's space), when it opens (its delay), its own context and offset
variation, a stable random number in 0..1, its ring and material slot. The frame path
caches a `Placement` per flower under `layout_key()`, a tuple of every value it depends
on, so any layout edit (or a keyed layout value) computes it again and nothing else does.

Shingles: every petal is rolled about its own base-to-tip axis by `overlap`, so its edge
toward the next petal of the ring (counter-clockwise) rises and the other edge sinks: each
petal's edge lies over the next one's, as in a convolute bud. Inner rings stand more
upright (Tilt per Ring) and smaller (Size per Ring), inside the outer ones.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from operator import attrgetter

import numpy as np

GOLDEN_ANGLE = math.pi * (3.0 - math.sqrt(5.0))
_LAYOUT_FIELDS = ("arrangement", "tilt", "tilt_step", "scale_step", "overlap", "seed",
                  "context_jitter", "delay_jitter", "offset_jitter", "scale_jitter",
                  "rotation_jitter")
_RING_FIELDS = ("count", "radius", "tilt", "size", "delay", "material_index")


@dataclass
class Placement:
    """Every petal of one flower, in ring order (outside in)."""
    key: tuple
    models: list                  # per ring: the model's data-block (None: no model)
    ring: np.ndarray              # (P,) ring index of each petal
    matrices: np.ndarray          # (P, 4, 4) float64, in the flower's space
    delay: np.ndarray             # (P,)
    context: np.ndarray           # (P,) added to the flower's first context value
    offset: np.ndarray            # (P,)
    random: np.ndarray            # (P,) float32 in 0..1, stable per petal
    material: np.ndarray          # (P,) material slot
    growth: dict = field(default_factory=dict)   # model pointer -> 3x3 growth rotation
    by_model: dict = field(default_factory=dict)  # model pointer -> (data-block, petal indexes)


_RING_VALUES = attrgetter("model", *_RING_FIELDS)
_FLOWER_VALUES = attrgetter(*_LAYOUT_FIELDS)


def layout_key(g, model_keys: tuple) -> tuple:
    """Everything a flower's placement depends on (one C call per ring and one per flower)."""
    return (_FLOWER_VALUES(g), tuple(map(_RING_VALUES, g.rings)), model_keys)


def _rot_x(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]], dtype=np.float64)


def _rot_y(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]], dtype=np.float64)


def _rot_z(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]], dtype=np.float64)


def growth_rotation(model) -> np.ndarray:
    """Rotation taking the model's base-to-tip direction onto +X (in the XY plane)."""
    grid = model.generate(1.0, [0.0] * model.context_dims)
    d = grid[-1].mean(axis=0) - grid[0].mean(axis=0)
    flat = np.array([float(d[0]), float(d[1])])
    n = float(np.hypot(*flat))
    if not math.isfinite(n) or n < 1e-9:        # grows straight up or down: nothing to turn
        return np.eye(3)
    return _rot_z(-math.atan2(flat[1], flat[0]))


def placement(g, key: tuple, growth: dict) -> Placement:
    """Every petal's placement from the flower's layout values `g` (Object.grc, evaluated).
    `growth`: model data-block pointer -> growth_rotation() of that model."""
    rings = list(g.rings)
    counts = [max(int(r.count), 0) for r in rings]
    n = sum(counts)
    rng = np.random.default_rng(int(g.seed))
    u = rng.uniform(-1.0, 1.0, size=(n, 5))          # five draws per petal, in order: stable
    rand = rng.random(n).astype(np.float32)
    ring_of = np.repeat(np.arange(len(rings)), counts).astype(np.int64)
    mats = np.zeros((n, 4, 4))
    delay, ctx, off = np.zeros(n), np.zeros(n), np.zeros(n)
    k = 0
    for ri, (ring, count) in enumerate(zip(rings, counts)):
        tilt = g.tilt + ri * g.tilt_step + ring.tilt
        size = g.scale_step ** ri * ring.size
        ptr = 0 if ring.model is None else ring.model.as_pointer()
        align = growth.get(ptr, np.eye(3))
        for j in range(count):
            az = (2.0 * math.pi * (j + 0.5 * (ri % 2)) / count if g.arrangement == 'WHORLS'
                  else k * GOLDEN_ANGLE)
            turn = az + u[k, 4] * g.rotation_jitter
            s = size * (1.0 + u[k, 3] * g.scale_jitter)
            rot = _rot_z(turn) @ _rot_y(-tilt) @ _rot_x(g.overlap) @ align
            mats[k, :3, :3] = rot * s
            mats[k, :3, 3] = (ring.radius * math.cos(turn), ring.radius * math.sin(turn), 0.0)
            mats[k, 3, 3] = 1.0
            delay[k] = min(max(ring.delay + u[k, 0] * g.delay_jitter, 0.0), 0.95)
            ctx[k] = u[k, 1] * g.context_jitter
            off[k] = u[k, 2] * g.offset_jitter
            k += 1
    material = np.array([r.material_index for r in rings], dtype=np.int64)[ring_of] \
        if n else np.zeros(0, np.int64)
    by_model: dict = {}
    for ri, ring in enumerate(rings):
        if counts[ri]:
            ptr = 0 if ring.model is None else ring.model.as_pointer()
            by_model.setdefault(ptr, (ring.model, []))[1].append(np.flatnonzero(ring_of == ri))
    return Placement(key, [r.model for r in rings], ring_of, mats, delay, ctx, off, rand,
                     material, growth, {p: (m, np.concatenate(ix)) for p, (m, ix)
                                        in by_model.items()})


def whorl_rings(petals: int, per_whorl: int, delay: float) -> list[tuple[int, float]]:
    """(count, delay) of each whorl for `petals` petals, `per_whorl` each, outside in; the
    innermost opens `delay` (a fraction of Bloom) after the outermost."""
    per = max(per_whorl, 1)
    whorls = max(math.ceil(petals / per), 1)
    return [(min(per, petals - w * per), delay * w / max(whorls - 1, 1)) for w in range(whorls)]
