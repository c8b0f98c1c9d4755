"""TemplateSet: K template shapes sampled on a shared (time x morphology) relational map.

coords[k, t, r, c] is the xyz of the vertex in row r (base 0 .. tip R-1) and column c of
template k at time index t. The network sees one morphology row at a time in the seed's
layout: C X-values, then C Y-values, then C Z-values (`rows_layout`).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .archive import read_archive, read_file, write_archive
from .errors import GRCError
from .limits import KEYFRAME_DIAG_FLOOR, MAX_COORD, MAX_GRID, MAX_TEMPLATES, MAX_TIMES, MIN_TEMPLATES, MIN_TIMES


def _index(values, n: int, what: str) -> np.ndarray:
    if values is None:
        return np.linspace(0.0, 1.0, n)
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (n,):
        raise GRCError(f"{what} must have {n} values (one per {what[:-1]}), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise GRCError(f"{what} contain non-finite values")
    if np.any(np.diff(arr) <= 0):
        raise GRCError(f"{what} must be strictly increasing, got {arr.round(4).tolist()}")
    return arr


class TemplateSet:
    """Validated templates. `times`, `morphs` and `names` are optional when constructing
    and always filled in afterwards (evenly spaced indexes, "template k")."""
    coords: np.ndarray
    times: np.ndarray
    morphs: np.ndarray
    names: list[str]

    def __init__(self, coords: Any, times: Any = None, morphs: Any = None,
                 names: Sequence[str] | None = None) -> None:
        raw = np.asarray(coords)
        if raw.dtype.kind not in "fiu":
            raise GRCError(f"template coordinates must be real numbers, got dtype {raw.dtype}")
        coords = raw.astype(np.float64)
        if coords.ndim != 5 or coords.shape[-1] != 3:
            raise GRCError(
                f"templates must be an array of shape (K, T, R, C, 3), got {coords.shape}")
        k, t, r, c, _ = coords.shape
        if k < MIN_TEMPLATES:
            raise GRCError(f"need at least {MIN_TEMPLATES} templates to learn a context, got {k}")
        if k > MAX_TEMPLATES:
            raise GRCError(f"at most {MAX_TEMPLATES} templates are supported, got {k}")
        if t < MIN_TIMES:
            raise GRCError(f"need at least {MIN_TIMES} time indexes (keyframes) per template, got {t}")
        if t > MAX_TIMES:
            raise GRCError(f"at most {MAX_TIMES} time indexes are supported, got {t}")
        if r < 2 or c < 2:
            raise GRCError(f"the grid needs at least 2 rows and 2 columns, got {r} x {c}")
        if r > MAX_GRID or c > MAX_GRID:
            raise GRCError(f"the grid may have at most {MAX_GRID} rows and columns, got {r} x {c}")
        if not np.all(np.isfinite(coords)):
            bad = sorted({int(i) for i in np.argwhere(~np.isfinite(coords))[:, 0]})
            raise GRCError(f"template(s) {bad} contain non-finite coordinates (NaN or inf)")
        if np.abs(coords).max() > MAX_COORD:
            raise GRCError(f"template coordinates beyond +-{MAX_COORD:g} units are not supported")
        extent = coords.max(axis=(1, 2, 3)) - coords.min(axis=(1, 2, 3))  # (K, 3)
        diag = np.linalg.norm(extent, axis=1)
        for i, d in enumerate(diag):
            if not d > 1e-9 * max(1.0, float(np.abs(coords).max())):
                raise GRCError(f"template {i} has zero size (all vertices in one point)")
        labels = list(names) if names is not None else [f"template {i}" for i in range(k)]
        if len(labels) != k:
            raise GRCError(f"got {len(labels)} names for {k} templates")
        self.coords = coords
        self.times = _index(times, t, "times")
        self.morphs = _index(morphs, r, "morphs")
        self.names = [str(n) for n in labels]

    def __repr__(self) -> str:
        k, t, r, c = self.shape
        return f"TemplateSet({k} templates, {t} times, {r} x {c} grid, names={self.names})"

    @property
    def shape(self) -> tuple[int, int, int, int]:
        k, t, r, c, _ = self.coords.shape
        return k, t, r, c

    def diagonals(self) -> np.ndarray:
        """Bounding-box diagonal of each template over all its times, (K,)."""
        ext = self.coords.max(axis=(1, 2, 3)) - self.coords.min(axis=(1, 2, 3))
        return np.linalg.norm(ext, axis=1)

    def keyframe_diagonals(self) -> np.ndarray:
        """Bounding-box diagonal of each template at each keyframe, (K, T): what the
        reconstruction target measures each keyframe's error against. A keyframe smaller
        than limits.KEYFRAME_DIAG_FLOOR of its template's overall diagonal (down to a point)
        gets that floor instead, so its percentages stay finite."""
        ext = self.coords.max(axis=(2, 3)) - self.coords.min(axis=(2, 3))   # (K, T, 3)
        return np.maximum(np.linalg.norm(ext, axis=-1), KEYFRAME_DIAG_FLOOR * self.diagonals()[:, None])

    def normalisation(self) -> tuple[np.ndarray, float]:
        """Centre (3,) and scale so the networks see coordinates of order 1 whatever the units."""
        lo = self.coords.min(axis=(0, 1, 2, 3))
        hi = self.coords.max(axis=(0, 1, 2, 3))
        centre = (lo + hi) / 2.0
        scale = float(np.max(hi - lo) / 2.0)
        return centre, scale

    # ---- storage: the CLI's TEMPLATES.npz and the add-on's captured templates ------------------
    ARRAYS = ("templates", "times", "morphs", "names")

    def to_bytes(self) -> bytes:
        """`templates` (K, T, R, C, 3), `times`, `morphs` and `names` as a plain .npz."""
        return write_archive({"templates": self.coords, "times": self.times, "morphs": self.morphs,
                              "names": np.array(self.names, dtype=np.str_)})

    @classmethod
    def from_bytes(cls, data: bytes) -> "TemplateSet":
        """A validated TemplateSet from .npz bytes (only `templates` is required)."""
        arrays = read_archive(data, "templates", 2 * len(cls.ARRAYS))
        if "templates" not in arrays:
            raise GRCError(f"no 'templates' array (found: {', '.join(sorted(arrays)) or 'nothing'})")
        unknown = sorted(set(arrays) - set(cls.ARRAYS))
        if unknown:
            raise GRCError(f"unexpected arrays {unknown}")
        names = arrays.get("names")
        if names is not None and (names.dtype.kind != "U" or names.ndim != 1):
            raise GRCError("'names' must be a 1-D array of strings")
        return cls(arrays["templates"], arrays.get("times"), arrays.get("morphs"),
                   None if names is None else [str(n) for n in names])

    @classmethod
    def load(cls, path: str) -> "TemplateSet":
        try:
            return cls.from_bytes(read_file(path, "templates"))
        except GRCError as exc:
            raise GRCError(f"{path}: {exc}") from None

    def identical_pairs(self, rtol: float = 1e-6) -> list[tuple[int, int]]:
        """Template pairs with the same shape everywhere: their context cannot separate."""
        k = self.coords.shape[0]
        tol = rtol * float(self.diagonals().max())
        return [(i, j) for i in range(k) for j in range(i + 1, k)
                if float(np.abs(self.coords[i] - self.coords[j]).max()) <= tol]


def rows_layout(grid: np.ndarray) -> np.ndarray:
    """(..., R, C, 3) -> (..., R, 3C): per row C X-values, C Y-values, C Z-values."""
    g = np.asarray(grid)
    return np.swapaxes(g, -1, -2).reshape(*g.shape[:-2], 3 * g.shape[-2])


def grid_layout(rows: np.ndarray, cols: int) -> np.ndarray:
    """Inverse of rows_layout: (..., R, 3C) -> (..., R, C, 3)."""
    r = np.asarray(rows)
    return np.swapaxes(r.reshape(*r.shape[:-1], 3, cols), -1, -2)
