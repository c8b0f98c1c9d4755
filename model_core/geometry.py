"""Plane geometry for the 2-D context: convex hulls and distances to them."""
from __future__ import annotations

import numpy as np


def convex_hull(points: np.ndarray) -> np.ndarray:
    """Andrew's monotone chain: hull vertices in counter-clockwise order (math axes), (H, 2).
    One or two rows when the points coincide or are collinear."""
    pts = sorted({(float(x), float(y)) for x, y in np.round(np.asarray(points, float), 12)})
    if len(pts) <= 2:
        return np.array(pts, dtype=float).reshape(-1, 2)

    def cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple[float, float]] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    hull = lower[:-1] + upper[:-1]
    if len(hull) < 3:  # collinear: the two extreme points
        return np.array([pts[0], pts[-1]], dtype=float)
    return np.array(hull, dtype=float)


def _segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    d = b - a
    l2 = float(d @ d)
    t = 0.0 if l2 == 0.0 else float(np.clip((p - a) @ d / l2, 0.0, 1.0))
    return float(np.linalg.norm(p - (a + t * d)))


def hull_distance(points: np.ndarray, p: np.ndarray) -> float:
    """Distance from p (2,) to the convex hull of points (K, 2); 0 inside."""
    hull = convex_hull(np.asarray(points, float))
    p = np.asarray(p, float)
    if len(hull) == 1:
        return float(np.linalg.norm(p - hull[0]))
    if len(hull) == 2:
        return _segment_distance(p, hull[0], hull[1])
    edges = list(zip(hull, np.roll(hull, -1, axis=0)))
    if all((b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]) >= 0 for a, b in edges):
        return 0.0
    return min(_segment_distance(p, a, b) for a, b in edges)
