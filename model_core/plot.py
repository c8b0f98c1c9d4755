"""Context-trace plots (seed figures 5 and 6) and PNG files, with numpy only.

No bpy, no torch, no matplotlib: the Blender panel draws this image into a preview, the
demo writes it to a PNG, and tests read pixel colours straight from the array.

    from model_core.plot import trace_plot, trace_view, render, write_png
    rgba = trace_plot(model, time=0.7, alpha=0.5)   # (200, 320, 4) float32, row 0 = TOP
    write_png("traces.png", rgba)

    view = trace_view(model, 0.7, alpha=0.5)        # the data and axes the plot is drawn from
    rgba = render(view)
    row, col = view.pixel(morph, context)           # where a (morph, context) value lands
    rgba[row, col, :3]                              # == TEMPLATE_COLORS[k] on template k's trace

What is drawn (no anti-aliasing: every pixel has exactly one of the palette's colours)
-----------------------------------------------------------------------------------
1-D context (seed figure 6): x = morphology (base at the left, tip at the right), y = context.
  * each template's trace at the petal's time, 2 px, TEMPLATE_COLORS[k], labelled with its
    index k in the right margin;
  * BAND: the region between the lowest and highest template trace (interpolation);
  * the petal's context path (`model.context_path(time, alpha, offset)`), 2 px, PATH_COLOR,
    drawn in PATH_OUTSIDE_COLOR where it leaves the templates' range (extrapolation);
  * with an offset, the curve under the slider alone (offset 0) dashed in SLIDER_COLOR.
2-D context (the pad): x = context A, y = context B of the traces.
  * each template's trace at the petal's time, 1 px, TEMPLATE_DIM_COLORS[k];
  * each template as a 6 x 6 block at its mean trace position, TEMPLATE_COLORS[k], labelled k;
  * BAND: the convex hull of those points (where the pad interpolates);
  * the petal's context path, 1 px, PATH_COLOR, and its mean - the (context, context_b)
    point - as a 6 x 6 PATH_COLOR block with a black outline (PATH_OUTSIDE_COLOR outside).

Axis limits cover every template's trace at every captured time (so the view does not jump
while the slider moves), widened to include the path, but by at most one trace span per
side: far extrapolation runs off the plot instead of squashing it.

The same module holds the PNG writer/reader and the small Canvas/Axes rasteriser (with
anti-aliased lines for figures) that the demo uses.
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

Color = tuple[float, float, float]

# ---- palette (documented: tests and the panel rely on these exact values) ------------------
BACKGROUND: Color = (0.11, 0.11, 0.11)
PLOT_BG: Color = (0.17, 0.17, 0.17)
BAND: Color = (0.24, 0.24, 0.28)
GRID: Color = (0.29, 0.29, 0.29)
AXIS: Color = (0.50, 0.50, 0.50)
TEXT: Color = (0.78, 0.78, 0.78)
TEMPLATE_COLORS: tuple[Color, ...] = (
    (0.30, 0.60, 1.00),   # 0 blue
    (1.00, 0.55, 0.15),   # 1 orange
    (0.35, 0.85, 0.35),   # 2 green
    (0.62, 0.45, 1.00),   # 3 violet
    (1.00, 0.85, 0.20),   # 4 yellow
    (0.20, 0.85, 0.85),   # 5 cyan
    (0.95, 0.30, 0.30),   # 6 red
    (0.70, 0.55, 0.40),   # 7 brown
)
PATH_COLOR: Color = (1.00, 1.00, 1.00)
PATH_OUTSIDE_COLOR: Color = (1.00, 0.20, 0.65)
SLIDER_COLOR: Color = (0.62, 0.62, 0.62)
OUTLINE: Color = (0.0, 0.0, 0.0)


def lerp_color(a: Color, b: Color, f: float) -> Color:
    f = float(np.clip(f, 0.0, 1.0))
    return (a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f)


def _dim(color: Color, f: float = 0.5) -> Color:
    return lerp_color(color, PLOT_BG, f)


TEMPLATE_DIM_COLORS: tuple[Color, ...] = tuple(_dim(c) for c in TEMPLATE_COLORS)

LINE_WIDTH = 2          # px, template traces and the path (1-D)
POINT_SIZE = 6          # px, template and petal points (2-D)
MARGIN = (26, 6, 14, 14)  # left, top, right, bottom (tick labels left/bottom, indexes right)
EXTRAPOLATION_MARGIN = 0.05   # fraction of the templates' spread tolerated outside them


def template_color(k: int) -> Color:
    return TEMPLATE_COLORS[k % len(TEMPLATE_COLORS)]


# ---- PNG ------------------------------------------------------------------------------------

def to_uint8(image: np.ndarray) -> np.ndarray:
    """(H, W, 3|4) float in [0, 1] (or uint8, returned as is) -> uint8."""
    img = np.asarray(image)
    if img.dtype == np.uint8:
        return img
    if img.dtype.kind != "f":
        raise ValueError(f"expected a float or uint8 image, got {img.dtype}")
    return (np.clip(np.nan_to_num(img), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def png_bytes(image: np.ndarray) -> bytes:
    """An (H, W, 3|4) uint8 or float [0, 1] image (row 0 = top) as 8-bit PNG bytes."""
    img = np.ascontiguousarray(to_uint8(image))
    if img.ndim != 3 or img.shape[2] not in (3, 4) or 0 in img.shape[:2]:
        raise ValueError(f"expected an (H, W, 3|4) image, got shape {img.shape}")
    h, w, c = img.shape
    raw = np.empty((h, 1 + w * c), dtype=np.uint8)
    raw[:, 0] = 0  # filter type None on every scanline
    raw[:, 1:] = img.reshape(h, w * c)

    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    color_type = 2 if c == 3 else 6
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw.tobytes(), 9))
            + chunk(b"IEND", b""))


def write_png(path: str | Path, image: np.ndarray) -> None:
    """Write an (H, W, 3|4) uint8 or float [0, 1] image (row 0 = top) as an 8-bit PNG."""
    data = png_bytes(image)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(data)


def read_png(path: str | Path) -> np.ndarray:
    """Read an 8-bit non-interlaced gray/RGB/RGBA PNG (what write_png and Blender write) as uint8."""
    data = Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    pos, idat = 8, []
    w = h = depth = ctype = interlace = 0
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        tag, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if tag == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif tag == b"IDAT":
            idat.append(body)
        elif tag == b"IEND":
            break
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(ctype)
    if depth != 8 or channels is None or interlace:
        raise ValueError(f"{path}: only 8-bit non-interlaced gray/RGB/RGBA PNGs are supported")
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8).reshape(h, 1 + w * channels)
    out = np.zeros((h, w * channels), dtype=np.int32)
    bpp = channels
    prev = np.zeros(w * channels, dtype=np.int32)
    for y in range(h):
        ftype, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        if ftype == 0:
            cur = line
        elif ftype == 2:
            cur = (line + prev) & 0xFF
        else:
            cur = np.empty_like(line)
            for x in range(line.size):
                a = cur[x - bpp] if x >= bpp else 0
                b = prev[x]
                if ftype == 1:
                    cur[x] = (line[x] + a) & 0xFF
                elif ftype == 3:
                    cur[x] = (line[x] + ((a + b) >> 1)) & 0xFF
                elif ftype == 4:
                    c = prev[x - bpp] if x >= bpp else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if (pa <= pb and pa <= pc) else (b if pb <= pc else c)
                    cur[x] = (line[x] + pred) & 0xFF
                else:
                    raise ValueError(f"{path}: bad PNG filter {ftype}")
        out[y] = cur
        prev = cur
    return out.reshape(h, w, channels).astype(np.uint8)


# ---- rasteriser -----------------------------------------------------------------------------

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
    def to_uint8(self) -> np.ndarray:
        return to_uint8(self.rgb)

    def to_rgba(self) -> np.ndarray:
        """(H, W, 4) float32, alpha 1."""
        out = np.ones((self.height, self.width, 4), dtype=np.float32)
        out[..., :3] = self.rgb
        return out

    # -- areas --
    def blend(self, ys: slice, xs: slice, alpha: np.ndarray, color: Color) -> None:
        region = self.rgb[ys, xs]
        a = alpha[..., None]
        region *= 1.0 - a
        region += a * np.asarray(color, dtype=np.float64)

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

    def fill_convex(self, xs: Sequence[float], ys: Sequence[float], color: Color,
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

    def paste(self, x: int, y: int, image: np.ndarray) -> None:
        """Paste an (h, w, 3|4) float image (0..1) with its top-left corner at (x, y)."""
        h, w = image.shape[:2]
        self.rgb[y:y + h, x:x + w] = image[:, :, :3]

    # -- anti-aliased lines (figures) --
    def segment(self, x0: float, y0: float, x1: float, y1: float, color: Color,
                width: float = 1.5) -> None:
        """An anti-aliased segment in pixel coordinates (y down)."""
        r = width / 2.0 + 1.0
        bx0 = int(max(0, np.floor(min(x0, x1) - r)))
        bx1 = int(min(self.width, np.ceil(max(x0, x1) + r) + 1))
        by0 = int(max(0, np.floor(min(y0, y1) - r)))
        by1 = int(min(self.height, np.ceil(max(y0, y1) + r) + 1))
        if bx0 >= bx1 or by0 >= by1:
            return
        px = np.arange(bx0, bx1)[None, :] + 0.5
        py = np.arange(by0, by1)[:, None] + 0.5
        dx, dy = x1 - x0, y1 - y0
        length2 = dx * dx + dy * dy
        if length2 > 0:
            t = np.clip(((px - x0) * dx + (py - y0) * dy) / length2, 0.0, 1.0)
        else:
            t = np.zeros_like(px + py)
        dist = np.hypot(px - (x0 + t * dx), py - (y0 + t * dy))
        alpha = np.clip(width / 2.0 + 0.5 - dist, 0.0, 1.0)
        self.blend(slice(by0, by1), slice(bx0, bx1), alpha, color)

    def polyline(self, xs: Sequence[float], ys: Sequence[float], color: Color,
                 width: float = 1.5, dash: tuple[float, float] | None = None,
                 aa: bool = True, clip: tuple[int, int, int, int] | None = None) -> None:
        """A polyline; aa=False draws `width`-pixel square stamps with no blending (exact
        colours), clipped to `clip` = (left, top, right, bottom) or the canvas."""
        pts = np.column_stack([np.asarray(xs, float), np.asarray(ys, float)])
        if not aa:
            self._hard_polyline(pts, color, max(1, int(round(width))), dash, clip)
            return
        pts = pts[np.all(np.isfinite(pts), axis=1)]
        if len(pts) < 2:
            return
        if dash is None:
            for (xa, ya), (xb, yb) in zip(pts[:-1], pts[1:]):
                self.segment(xa, ya, xb, yb, color, width)
            return
        on, off = dash
        period = on + off
        travelled = 0.0
        for (xa, ya), (xb, yb) in zip(pts[:-1], pts[1:]):
            seg = float(np.hypot(xb - xa, yb - ya))
            s = 0.0
            while s < seg:
                phase = (travelled + s) % period
                if phase < on:
                    step = min(on - phase, seg - s)
                    f0, f1 = s / seg, (s + step) / seg
                    self.segment(xa + f0 * (xb - xa), ya + f0 * (yb - ya),
                                 xa + f1 * (xb - xa), ya + f1 * (yb - ya), color, width)
                else:
                    step = min(period - phase, seg - s)
                s += max(step, 1e-6)
            travelled += seg

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
             dash: tuple[float, float] | None = None, aa: bool = True) -> None:
        self.canvas.polyline(self.px(xs), self.py(ys), color, width, dash, aa=aa,
                             clip=None if aa else self.box)

    def frame(self, color: Color = (0.15, 0.15, 0.15), aa: bool = True) -> None:
        l, t, r, b = self.box
        if not aa:  # one pixel just outside the box, so it never covers data
            c = self.canvas
            c.fill_rect(l - 1, t - 1, r + 1, t, color)
            c.fill_rect(l - 1, b, r + 1, b + 1, color)
            c.fill_rect(l - 1, t - 1, l, b + 1, color)
            c.fill_rect(r, t - 1, r + 1, b + 1, color)
            return
        for xa, ya, xb, yb in ((l, t, r, t), (r, t, r, b), (r, b, l, b), (l, b, l, t)):
            self.canvas.segment(xa, ya, xb, yb, color, 1.0)

    def ticks(self, xticks: Sequence[float], yticks: Sequence[float], fmt: str = "{:g}",
              grid: bool = True) -> None:
        l, t, r, b = self.box
        for x in xticks:
            X = float(self.px(x))
            if grid:
                self.canvas.segment(X, t, X, b, (0.88, 0.88, 0.88), 1.0)
            self.canvas.segment(X, b, X, b + 5, (0.15, 0.15, 0.15), 1.0)
            self.canvas.text(int(X), b + 9, fmt.format(x), scale=2, anchor="center")
        for y in yticks:
            Y = float(self.py(y))
            if grid:
                self.canvas.segment(l, Y, r, Y, (0.88, 0.88, 0.88), 1.0)
            self.canvas.segment(l - 5, Y, l, Y, (0.15, 0.15, 0.15), 1.0)
            self.canvas.text(l - 9, int(Y) - 5, fmt.format(y), scale=2, anchor="right")


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


# ---- extrapolation ----------------------------------------------------------------------------

def _convex_hull(points: np.ndarray) -> np.ndarray:
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
    hull = _convex_hull(np.asarray(points, float))
    p = np.asarray(p, float)
    if len(hull) == 1:
        return float(np.linalg.norm(p - hull[0]))
    if len(hull) == 2:
        return _segment_distance(p, hull[0], hull[1])
    edges = list(zip(hull, np.roll(hull, -1, axis=0)))
    if all((b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]) >= 0 for a, b in edges):
        return 0.0
    return min(_segment_distance(p, a, b) for a, b in edges)


@dataclass
class Extrapolation:
    """Where a petal's inputs leave what the generative model was trained on."""
    time_outside: bool = False
    context_outside: bool = False
    excess: float = 0.0                  # worst distance outside / the templates' widest spread
    rows_outside: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    messages: list[str] = field(default_factory=list)

    @property
    def outside(self) -> bool:
        return self.time_outside or self.context_outside


def _excess_per_row(traces_t: np.ndarray, path: np.ndarray, dims: int) -> tuple[np.ndarray, np.ndarray]:
    """(distance of each path row outside the templates' range at that row, the templates'
    spread at that row). traces_t (K, R[, 2]), path (R[, 2])."""
    if dims == 1:
        lo, hi = traces_t.min(axis=0), traces_t.max(axis=0)
        return np.maximum(np.maximum(lo - path, path - hi), 0.0), hi - lo
    diff = traces_t[:, None] - traces_t[None, :]                         # (K, K, R, 2)
    spread = np.sqrt((diff ** 2).sum(-1)).max(axis=(0, 1))
    if traces_t.shape[0] == 2:   # the hull is a segment: vectorised over rows
        a, d = traces_t[0], traces_t[1] - traces_t[0]
        l2 = (d ** 2).sum(-1)
        u = np.clip(((path - a) * d).sum(-1) / np.where(l2 > 0, l2, 1.0), 0.0, 1.0)
        return np.linalg.norm(path - (a + u[:, None] * d), axis=-1), spread
    dist = np.array([hull_distance(traces_t[:, m], path[m]) for m in range(path.shape[0])])
    return dist, spread


def check_extrapolation(model: Any, time: float, alpha: Any = None, offset: float = 0.0,
                        rows: int | None = None, margin: float = EXTRAPOLATION_MARGIN,
                        traces_t: np.ndarray | None = None, path: np.ndarray | None = None,
                        context_scale: float | None = None) -> Extrapolation:
    """Is (time, alpha, offset) beyond where the generative model was trained?

    Time: outside the captured times (by more than 0.1% of their range). Context: a row of
    the context path lies outside the templates' traces at that time (1-D: above the highest
    or below the lowest; 2-D: outside their convex hull) by more than `margin` times the
    templates' spread at that row (plus 0.1% of the model's whole context range, so rows
    where every template has the same shape, such as a shared bud, never count)."""
    times = np.asarray(model.times, float)
    span_t = float(times[-1] - times[0])
    out = Extrapolation()
    t = float(time)
    if t < times[0] - 1e-3 * span_t or t > times[-1] + 1e-3 * span_t:
        out.time_outside = True
        out.messages.append(f"time {t:.3g} is outside the captured keyframes "
                            f"({times[0]:g} to {times[-1]:g})")
    if alpha is None:
        return out
    dims = int(model.context_dims)
    if traces_t is None:
        traces_t = np.asarray(model.context_traces(times=[t], rows=rows))[:, 0]
    if path is None:
        path = np.asarray(model.context_path(t, alpha, offset, rows=rows))
        path = path[:, 0] if dims == 1 else path
    if context_scale is None:
        all_tr = np.asarray(model.context_traces(rows=rows))
        context_scale = float(np.ptp(all_tr)) if all_tr.size else 0.0
    tol_abs = 1e-3 * max(context_scale, 1e-12)
    dist, spread = _excess_per_row(traces_t, path, dims)
    outside = dist > margin * spread + tol_abs
    out.rows_outside = outside
    # reported against the templates' widest spread at this time (per-row spreads vanish
    # where the templates meet, which would make the percentage meaningless there)
    out.excess = float(np.max(dist) / max(float(np.max(spread)), tol_abs)) if len(dist) else 0.0
    if np.any(outside):
        out.context_outside = True
        idx = np.flatnonzero(outside)
        where = "every row" if len(idx) == len(outside) else \
            f"{len(idx)} of {len(outside)} rows"
        out.messages.append(f"the context path leaves the templates' traces ({where}, up to "
                            f"{100 * out.excess:.0f}% of their spread beyond)")
    return out


# ---- the trace plot -------------------------------------------------------------------------

@dataclass
class TraceView:
    """Everything trace_plot draws, in data units, and the axes that place it in the image."""
    dims: int
    time: float
    alpha: Any
    offset: float
    width: int
    height: int
    box: tuple[int, int, int, int]          # plot area (left, top, right, bottom), pixels
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    morph: np.ndarray                       # (R,) morphology of the sampled rows
    traces: np.ndarray                      # (K, R) 1-D, (K, R, 2) 2-D: templates at `time`
    path: np.ndarray | None                 # (R,) / (R, 2): the petal's context path
    slider_path: np.ndarray | None          # the path without offset (None when offset is 0)
    names: list[str]
    extrapolation: Extrapolation

    @property
    def n_templates(self) -> int:
        return int(self.traces.shape[0])

    @property
    def template_points(self) -> np.ndarray:
        """2-D: each template's mean trace position (K, 2) (where its block is drawn)."""
        return self.traces.mean(axis=1)

    @property
    def point(self) -> np.ndarray | None:
        """2-D: the petal's point, the mean of its context path (2,)."""
        return None if self.path is None else self.path.mean(axis=0)

    def axes(self, canvas: Canvas | None = None) -> Axes:
        return Axes(canvas or Canvas(self.width, self.height), self.box, self.xlim, self.ylim)

    def pixel(self, x: float, y: float) -> tuple[int, int]:
        """(row, col) of the data point: 1-D (morph, context), 2-D (context A, context B)."""
        return self.axes().pixel(x, y)


def _limits(lo: float, hi: float, pad: float = 0.08) -> tuple[float, float]:
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return (-1.0, 1.0)
    span = hi - lo
    if span < 1e-9 * max(1.0, abs(lo), abs(hi)):
        half = max(0.05 * max(abs(lo), abs(hi)), 1e-3)
        return (lo - half, hi + half)
    return (lo - pad * span, hi + pad * span)


def _widen(base: tuple[float, float], values: np.ndarray) -> tuple[float, float]:
    """Include `values` in the base range, by at most one base span on each side."""
    v = values[np.isfinite(values)]
    if v.size == 0:
        return base
    span = base[1] - base[0]
    lo = max(min(base[0], float(v.min())), base[0] - span)
    hi = min(max(base[1], float(v.max())), base[1] + span)
    if (lo, hi) == base:
        return base
    pad = 0.05 * (hi - lo)
    return (lo - pad if lo < base[0] else lo, hi + pad if hi > base[1] else hi)


def _check_size(width: int, height: int) -> tuple[int, int]:
    w, h = int(width), int(height)
    l, t, r, b = MARGIN
    if not (l + r + 16 <= w <= 4096 and t + b + 16 <= h <= 4096):
        raise ValueError(f"plot size must be between {l + r + 16} x {t + b + 16} and 4096 x 4096, "
                         f"got {width} x {height}")
    return w, h


def trace_view(model: Any, time: float, alpha: Any = None, offset: float = 0.0,
               rows: int | None = None, width: int = 320, height: int = 200) -> TraceView:
    """The data and axes of the trace plot of `model` at `time` for a petal at (alpha, offset).

    alpha None: no petal (templates only). rows: None = the captured morphology rows, an int
    N = N rows over the morphology range (like generate). Raises GRCError on bad inputs
    (from the model) and ValueError on a bad image size."""
    w, h = _check_size(width, height)
    dims = int(model.context_dims)
    t = float(time)
    traces_t = np.asarray(model.context_traces(times=[t], rows=rows), dtype=np.float64)[:, 0]
    all_tr = np.asarray(model.context_traces(rows=rows), dtype=np.float64)   # (K, T, R[, 2])
    n_rows = traces_t.shape[1]
    morphs = np.asarray(model.morphs, float)
    morph = morphs if rows is None else np.linspace(morphs[0], morphs[-1], n_rows)
    path = slider = None
    if alpha is not None:
        path = np.asarray(model.context_path(t, alpha, offset, rows=rows), dtype=np.float64)
        if dims == 1:
            path = path[:, 0]
        if float(offset) != 0.0:
            slider = np.asarray(model.context_path(t, alpha, 0.0, rows=rows), dtype=np.float64)
            slider = slider[:, 0] if dims == 1 else slider
    context_scale = float(np.ptp(all_tr)) if all_tr.size else 0.0
    extra = check_extrapolation(model, t, alpha, offset, rows, traces_t=traces_t, path=path,
                                context_scale=context_scale)
    l, tp, r, b = MARGIN
    box = (l, tp, w - r, h - b)
    if dims == 1:
        xlim = (float(morph[0]), float(morph[-1]))
        ylim = _limits(float(np.nanmin(all_tr)), float(np.nanmax(all_tr)))
        extra_y = [traces_t.ravel()] + [p.ravel() for p in (path, slider) if p is not None]
        ylim = _widen(ylim, np.concatenate(extra_y))
    else:
        xlim = _limits(float(np.nanmin(all_tr[..., 0])), float(np.nanmax(all_tr[..., 0])))
        ylim = _limits(float(np.nanmin(all_tr[..., 1])), float(np.nanmax(all_tr[..., 1])))
        pts = [traces_t.reshape(-1, 2)] + [p.reshape(-1, 2) for p in (path, slider) if p is not None]
        allp = np.concatenate(pts)
        xlim, ylim = _widen(xlim, allp[:, 0]), _widen(ylim, allp[:, 1])
    names = [str(n) for n in getattr(model, "names", [])] or [f"template {k}" for k in range(len(traces_t))]
    return TraceView(dims, t, alpha, float(offset), w, h, box, xlim, ylim, morph, traces_t,
                     path, slider, names, extra)


def _label_positions(ys: np.ndarray, top: int, bottom: int, gap: int) -> np.ndarray:
    """Push label tops apart by `gap` px (in order of y), kept inside [top, bottom - gap]."""
    order = np.argsort(ys, kind="stable")
    out = np.empty_like(ys)
    last = -np.inf
    for i in order:
        y = max(float(ys[i]), last + gap)
        out[i] = y
        last = y
    shift = max(0.0, float(out.max()) - (bottom - gap)) if len(out) else 0.0
    out -= shift
    return np.clip(out, top, max(top, bottom - gap))


def _draw_grid(canvas: Canvas, ax: Axes, xticks: bool) -> None:
    l, t, r, b = ax.box
    for y in nice_ticks(*ax.ylim, 4):
        Y = int(np.floor(float(ax.py(y))))
        if t <= Y < b:
            canvas.fill_rect(l, Y, r, Y + 1, GRID)
            canvas.text(l - 3, Y - 2, f"{y:g}", color=TEXT, scale=1, anchor="right")
    if xticks:
        for x in nice_ticks(*ax.xlim, 4):
            X = int(np.floor(float(ax.px(x))))
            if l <= X < r:
                canvas.fill_rect(X, t, X + 1, b, GRID)
                canvas.text(X, b + 3, f"{x:g}", color=TEXT, scale=1, anchor="center")


def _draw_path(canvas: Canvas, ax: Axes, xs: np.ndarray, ys: np.ndarray, outside: np.ndarray,
               width: int) -> None:
    """The path in PATH_COLOR, then every segment touching an outside row in PATH_OUTSIDE_COLOR."""
    ax.line(xs, ys, PATH_COLOR, width, aa=False)
    seg_out = outside[:-1] | outside[1:]
    if np.any(seg_out):
        # one polyline: the outside segments, separated by NaN
        i = np.flatnonzero(seg_out)
        sx = np.column_stack([xs[i], xs[i + 1], np.full(len(i), np.nan)]).ravel()
        sy = np.column_stack([ys[i], ys[i + 1], np.full(len(i), np.nan)]).ravel()
        ax.line(sx, sy, PATH_OUTSIDE_COLOR, width, aa=False)


def render(view: TraceView) -> np.ndarray:
    """Draw a TraceView -> (H, W, 4) float32 RGBA, row 0 = top, alpha 1."""
    canvas = Canvas(view.width, view.height, BACKGROUND)
    l, t, r, b = view.box
    canvas.fill_rect(l, t, r, b, PLOT_BG)
    ax = view.axes(canvas)
    k_count = view.n_templates
    outside = view.extrapolation.rows_outside
    if outside.shape[:1] != (view.traces.shape[1],):
        outside = np.zeros(view.traces.shape[1], dtype=bool)

    if view.dims == 1:
        # interpolation band, column by column between the lowest and highest trace
        cols = np.arange(l, r) + 0.5
        xs = ax.px(view.morph)
        top = np.interp(cols, xs, ax.py(view.traces.max(axis=0)))
        bot = np.interp(cols, xs, ax.py(view.traces.min(axis=0)))
        ri = np.arange(t, b)[:, None]
        band = (ri >= np.floor(top)[None, :]) & (ri <= np.floor(bot)[None, :])
        canvas.rgb[t:b, l:r][band] = BAND
        _draw_grid(canvas, ax, xticks=False)
        canvas.text(l, b + 3, "BASE", color=TEXT, scale=1)
        canvas.text(r, b + 3, "TIP", color=TEXT, scale=1, anchor="right")
        for k in range(k_count):
            ax.line(view.morph, view.traces[k], template_color(k), LINE_WIDTH, aa=False)
        if view.slider_path is not None:
            ax.line(view.morph, view.slider_path, SLIDER_COLOR, LINE_WIDTH, dash=(4.0, 3.0), aa=False)
        if view.path is not None:
            _draw_path(canvas, ax, view.morph, view.path, outside, LINE_WIDTH)
        ends = np.clip(ax.py(view.traces[:, -1]), t, b) - 5
        for k, y in enumerate(_label_positions(np.nan_to_num(ends, nan=t), 0, view.height, 11)):
            canvas.text(r + 3, int(y), str(k), color=template_color(k), scale=2)
    else:
        pts = view.template_points
        hull = _convex_hull(pts)
        if len(hull) >= 3:
            canvas.fill_convex(ax.px(hull[:, 0]), ax.py(hull[:, 1]), BAND, clip=view.box)
        elif len(hull) == 2:
            ax.line(hull[:, 0], hull[:, 1], BAND, 4, aa=False)
        _draw_grid(canvas, ax, xticks=True)
        canvas.text(r + 4, b - 6, "A", color=TEXT, scale=1)
        canvas.text(2, t + 1, "B", color=TEXT, scale=1)
        for k in range(k_count):
            ax.line(view.traces[k, :, 0], view.traces[k, :, 1], TEMPLATE_DIM_COLORS[k % len(TEMPLATE_DIM_COLORS)],
                    1, aa=False)
        if view.slider_path is not None:
            ax.line(view.slider_path[:, 0], view.slider_path[:, 1], SLIDER_COLOR, 1,
                    dash=(3.0, 3.0), aa=False)
        if view.path is not None:
            _draw_path(canvas, ax, view.path[:, 0], view.path[:, 1], outside, 1)
        px_pts, py_pts = ax.px(pts[:, 0]), ax.py(pts[:, 1])
        for k in range(k_count):   # labels first: a label never hides a point
            x, y = float(px_pts[k]), float(py_pts[k])
            if np.isfinite(x) and np.isfinite(y):
                canvas.text(int(x) + POINT_SIZE // 2 + 2, int(y) - POINT_SIZE - 3, str(k),
                            color=template_color(k), scale=2)
        for k in range(k_count):
            canvas.block(float(px_pts[k]), float(py_pts[k]), POINT_SIZE, template_color(k),
                         clip=view.box)
        point = view.point
        if point is not None:
            x, y = float(ax.px(point[0])), float(ax.py(point[1]))
            canvas.block(x, y, POINT_SIZE + 2, OUTLINE, clip=view.box)
            color = PATH_OUTSIDE_COLOR if view.extrapolation.context_outside else PATH_COLOR
            canvas.block(x, y, POINT_SIZE, color, clip=view.box)
    ax.frame(AXIS, aa=False)
    return canvas.to_rgba()


def trace_plot(model: Any, time: float, alpha: Any = None, offset: float = 0.0,
               rows: int | None = None, width: int = 320, height: int = 200) -> np.ndarray:
    """The context-trace image of `model` at `time` -> (height, width, 4) float32 RGBA.

    Row 0 is the top of the image (PNG order; flip it for Blender's bottom-up pixels).
    See the module docstring for what is drawn and `trace_view(...).pixel` for where."""
    return render(trace_view(model, time, alpha, offset, rows, width, height))


__all__ = ["BACKGROUND", "PLOT_BG", "BAND", "GRID", "AXIS", "TEXT", "TEMPLATE_COLORS",
           "TEMPLATE_DIM_COLORS", "PATH_COLOR", "PATH_OUTSIDE_COLOR", "SLIDER_COLOR", "OUTLINE",
           "Canvas", "Axes", "TraceView", "Extrapolation", "trace_view", "render", "trace_plot",
           "check_extrapolation", "hull_distance", "write_png", "read_png", "png_bytes",
           "to_uint8", "nice_ticks", "lerp_color", "template_color"]
