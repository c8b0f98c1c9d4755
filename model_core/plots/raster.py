"""A small numpy raster for the in-panel trace image: exact colours, no anti-aliasing.

Every pixel gets exactly one colour, so the panel's image is cheap to draw and tests can
read colours straight from the array. (The demo's anti-aliased figures extend this in
tools/figure.py; they do not ship in the add-on.)
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

Color = tuple[float, float, float]


def lerp_color(a: Color, b: Color, f: float) -> Color:
    f = float(np.clip(f, 0.0, 1.0))
    return (a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f)


# 3x5 bitmap font: each glyph is 5 rows of 3 bits (MSB = left column).
_FONT = {
    "0": (7, 5, 5, 5, 7), "1": (2, 6, 2, 2, 7), "2": (7, 1, 7, 4, 7), "3": (7, 1, 3, 1, 7),
    "4": (5, 5, 7, 1, 1), "5": (7, 4, 7, 1, 7), "6": (7, 4, 7, 5, 7), "7": (7, 1, 2, 2, 2),
    "8": (7, 5, 7, 5, 7), "9": (7, 5, 7, 1, 7), ".": (0, 0, 0, 0, 2), "-": (0, 0, 7, 0, 0),
    "+": (0, 2, 7, 2, 0), "=": (0, 7, 0, 7, 0), ":": (0, 2, 0, 2, 0), "/": (1, 1, 2, 4, 4),
    "(": (1, 2, 2, 2, 1), ")": (4, 2, 2, 2, 4), ",": (0, 0, 0, 2, 4), " ": (0, 0, 0, 0, 0),
    "A": (2, 5, 7, 5, 5), "B": (6, 5, 6, 5, 6), "C": (3, 4, 4, 4, 3), "D": (6, 5, 5, 5, 6),
    "E": (7, 4, 6, 4, 7), "F": (7, 4, 6, 4, 4), "G": (3, 4, 5, 5, 3), "H": (5, 5, 7, 5, 5),
    "I": (7, 2, 2, 2, 7), "J": (1, 1, 1, 5, 2), "K": (5, 5, 6, 5, 5), "L": (4, 4, 4, 4, 7),
    "M": (5, 7, 7, 5, 5), "N": (6, 5, 5, 5, 5), "O": (2, 5, 5, 5, 2), "P": (6, 5, 6, 4, 4),
    "Q": (2, 5, 5, 6, 3), "R": (6, 5, 6, 5, 5), "S": (3, 4, 2, 1, 6), "T": (7, 2, 2, 2, 2),
    "U": (5, 5, 5, 5, 7), "V": (5, 5, 5, 5, 2), "W": (5, 5, 7, 7, 5), "X": (5, 5, 2, 5, 5),
    "Y": (5, 5, 2, 2, 2), "Z": (7, 1, 2, 4, 7),
}


class Canvas:
    """An RGB float image (row 0 = top) with a few drawing primitives in pixel coordinates.

    Pixel (row i, column j) covers [j, j+1) x [i, i+1); its centre is (j + 0.5, i + 0.5)."""

    def __init__(self, width: int, height: int, background: Color = (1.0, 1.0, 1.0)):
        if width < 1 or height < 1:
            raise ValueError(f"canvas size must be positive, got {width} x {height}")
        self.width, self.height = int(width), int(height)
        self.rgb = np.empty((self.height, self.width, 3), dtype=np.float64)
        self.rgb[:] = background

    # -- output --
    def to_rgba(self) -> np.ndarray:
        """(H, W, 4) float32, alpha 1."""
        out = np.ones((self.height, self.width, 4), dtype=np.float32)
        out[..., :3] = self.rgb
        return out

    # -- areas --
    def fill_rect(self, x0: int, y0: int, x1: int, y1: int, color: Color) -> None:
        """Fill columns x0..x1-1, rows y0..y1-1 (clipped to the canvas)."""
        x0, x1 = max(0, int(x0)), min(self.width, int(x1))
        y0, y1 = max(0, int(y0)), min(self.height, int(y1))
        if x0 < x1 and y0 < y1:
            self.rgb[y0:y1, x0:x1] = color

    def block(self, x: float, y: float, size: int, color: Color,
              clip: tuple[int, int, int, int] | None = None) -> None:
        """A size x size square of pixels centred on the point (x, y); it covers floor(x), floor(y)."""
        if not (np.isfinite(x) and np.isfinite(y)):
            return
        x0 = int(np.floor(x - size / 2.0 + 0.5))
        y0 = int(np.floor(y - size / 2.0 + 0.5))
        x1, y1 = x0 + size, y0 + size
        if clip is not None:
            x0, y0 = max(x0, clip[0]), max(y0, clip[1])
            x1, y1 = min(x1, clip[2]), min(y1, clip[3])
        self.fill_rect(x0, y0, x1, y1, color)

    def fill_convex(self, xs: ArrayLike, ys: ArrayLike, color: Color,
                    clip: tuple[int, int, int, int] | None = None) -> None:
        """Fill a convex polygon (vertices in order, either winding): pixel centres inside."""
        px, py = np.asarray(xs, float), np.asarray(ys, float)
        if len(px) < 3 or not (np.all(np.isfinite(px)) and np.all(np.isfinite(py))):
            return
        l, t, r, b = clip if clip is not None else (0, 0, self.width, self.height)
        x0, x1 = max(l, int(np.floor(px.min()))), min(r, int(np.ceil(px.max())) + 1)
        y0, y1 = max(t, int(np.floor(py.min()))), min(b, int(np.ceil(py.max())) + 1)
        if x0 >= x1 or y0 >= y1:
            return
        cx = np.arange(x0, x1)[None, :] + 0.5
        cy = np.arange(y0, y1)[:, None] + 0.5
        area = np.sum(px * np.roll(py, -1) - np.roll(px, -1) * py)
        sign = 1.0 if area >= 0 else -1.0
        inside = np.ones((y1 - y0, x1 - x0), dtype=bool)
        for i in range(len(px)):
            ax, ay, bx, by = px[i], py[i], px[(i + 1) % len(px)], py[(i + 1) % len(px)]
            inside &= sign * ((bx - ax) * (cy - ay) - (by - ay) * (cx - ax)) >= 0.0
        self.rgb[y0:y1, x0:x1][inside] = color

    def polyline(self, xs: ArrayLike, ys: ArrayLike, color: Color,
                 width: float = 1.5, dash: tuple[float, float] | None = None,
                 clip: tuple[int, int, int, int] | None = None) -> None:
        """`width`-pixel square stamps along the polyline, no blending (exact colours),
        clipped to `clip` = (left, top, right, bottom) or the canvas."""
        pts = np.column_stack([np.asarray(xs, float), np.asarray(ys, float)])
        self._hard_polyline(pts, color, max(1, int(round(width))), dash, clip)

    def _hard_polyline(self, pts: np.ndarray, color: Color, width: int,
                       dash: tuple[float, float] | None, clip: tuple[int, int, int, int] | None) -> None:
        """Square stamps every <= 0.5 px along each segment (segments with a non-finite end
        are skipped, so NaN splits a polyline). Vectorised over segments."""
        l, t, r, b = clip if clip is not None else (0, 0, self.width, self.height)
        l, t, r, b = max(l, 0), max(t, 0), min(r, self.width), min(b, self.height)
        if l >= r or t >= b or len(pts) < 2:
            return
        a, e = pts[:-1], pts[1:]
        ok = np.all(np.isfinite(a), axis=1) & np.all(np.isfinite(e), axis=1)
        a, e = np.where(ok[:, None], a, 0.0), np.where(ok[:, None], e, 0.0)
        d = e - a
        seg_len = np.hypot(d[:, 0], d[:, 1])
        arc0 = np.concatenate([[0.0], np.cumsum(seg_len)[:-1]])
        # Liang-Barsky against the clip box grown by the stamp width
        pad = float(width)
        u0, u1 = np.zeros(len(a)), np.ones(len(a))
        with np.errstate(divide="ignore", invalid="ignore"):
            for p, q in ((-d[:, 0], a[:, 0] - (l - pad)), (d[:, 0], (r + pad) - a[:, 0]),
                         (-d[:, 1], a[:, 1] - (t - pad)), (d[:, 1], (b + pad) - a[:, 1])):
                zero = p == 0.0
                ok &= ~(zero & (q < 0.0))
                u = q / np.where(zero, 1.0, p)
                u0 = np.where(~zero & (p < 0.0), np.maximum(u0, u), u0)
                u1 = np.where(~zero & (p > 0.0), np.minimum(u1, u), u1)
        ok &= u0 <= u1
        if not np.any(ok):
            return
        a, d, u0, u1, seg_len, arc0 = a[ok], d[ok], u0[ok], u1[ok], seg_len[ok], arc0[ok]
        n = np.ceil((u1 - u0) * seg_len * 2.0).astype(np.int64) + 1
        seg = np.repeat(np.arange(len(n)), n)
        first = np.concatenate([[0], np.cumsum(n)[:-1]])
        f = (np.arange(int(n.sum())) - first[seg]) / np.maximum(n[seg] - 1, 1)
        u = u0[seg] + f * (u1[seg] - u0[seg])
        p = a[seg] + u[:, None] * d[seg]
        if dash is not None:
            on, off = dash
            p = p[(arc0[seg] + u * seg_len[seg]) % (on + off) < on]
        base = np.floor(p - width / 2.0 + 0.5).astype(np.int64)          # (N, 2) x, y
        offs = np.arange(width)
        xs = (base[:, 0:1, None] + offs[None, None, :]).repeat(width, axis=1).reshape(-1)
        ys = (base[:, 1:2, None] + offs[None, :, None]).repeat(width, axis=2).reshape(-1)
        keep = (xs >= l) & (xs < r) & (ys >= t) & (ys < b)
        self.rgb[ys[keep], xs[keep]] = color

    # -- text --
    def text(self, x: int, y: int, text: str, color: Color = (0.0, 0.0, 0.0),
             scale: int = 2, anchor: str = "left") -> int:
        """Draw text with its top at y; anchor 'left', 'center' or 'right' at x. Returns width."""
        text = text.upper()
        width = (4 * len(text) - 1) * scale if text else 0
        if anchor == "center":
            x -= width // 2
        elif anchor == "right":
            x -= width
        for i, ch in enumerate(text):
            rows = _FONT.get(ch, _FONT[" "])
            for r, bits in enumerate(rows):
                for c in range(3):
                    if bits & (4 >> c):
                        gx, gy = x + (4 * i + c) * scale, y + r * scale
                        self.fill_rect(gx, gy, gx + scale, gy + scale, color)
        return width

    def axes(self, box: tuple[int, int, int, int], xlim: tuple[float, float],
             ylim: tuple[float, float]) -> "Axes":
        return Axes(self, box, xlim, ylim)


class Axes:
    """A data rectangle inside a canvas: box = (left, top, right, bottom) in pixels; the
    data limits map onto the centres of the box's first and last pixel columns/rows."""

    def __init__(self, canvas: Canvas, box: tuple[int, int, int, int],
                 xlim: tuple[float, float], ylim: tuple[float, float]):
        self.canvas, self.box = canvas, box
        self.xlim, self.ylim = xlim, ylim

    def px(self, x: Any) -> np.ndarray:
        l, _, r, _ = self.box
        return (l + 0.5) + (np.asarray(x, float) - self.xlim[0]) / (self.xlim[1] - self.xlim[0]) * (r - l - 1)

    def py(self, y: Any) -> np.ndarray:
        _, t, _, b = self.box
        return (b - 0.5) - (np.asarray(y, float) - self.ylim[0]) / (self.ylim[1] - self.ylim[0]) * (b - t - 1)

    def pixel(self, x: float, y: float) -> tuple[int, int]:
        """(row, column) of the pixel holding the data point (x, y): image[row, col]."""
        return int(np.floor(float(self.py(y)))), int(np.floor(float(self.px(x))))

    def line(self, xs: Any, ys: Any, color: Color, width: float = 1.5,
             dash: tuple[float, float] | None = None) -> None:
        self.canvas.polyline(self.px(xs), self.py(ys), color, width, dash, clip=self.box)

    def frame(self, color: Color = (0.15, 0.15, 0.15)) -> None:
        """One pixel just outside the box, so it never covers data."""
        l, t, r, b = self.box
        c = self.canvas
        c.fill_rect(l - 1, t - 1, r + 1, t, color)
        c.fill_rect(l - 1, b, r + 1, b + 1, color)
        c.fill_rect(l - 1, t - 1, l, b + 1, color)
        c.fill_rect(r, t - 1, r + 1, b + 1, color)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi]."""
    if not np.isfinite(lo) or not np.isfinite(hi) or hi <= lo:
        return [lo]
    raw = (hi - lo) / max(count - 1, 1)
    mag = 10 ** np.floor(np.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
    start = np.ceil(lo / step - 1e-9) * step
    ticks = np.arange(start, hi + step * 1e-6, step)
    return [float(np.round(v, 10)) + 0.0 for v in ticks]
