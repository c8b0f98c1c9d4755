"""A tiny numpy-only PNG writer and line-plot rasteriser for the demo figures (no matplotlib).

    canvas = Canvas(640, 480)                      # white RGB float image
    ax = canvas.axes((60, 20, 600, 440), xlim=(0, 1), ylim=(-1, 2))
    ax.frame(); ax.ticks(xticks=[0, .5, 1], yticks=[-1, 0, 1, 2])
    ax.line(xs, ys, color=(0.8, 0.2, 0.2), width=2.0, dash=None)
    canvas.text(10, 10, "CONTEXT", scale=2)
    write_png("plot.png", canvas.to_uint8())

Lines are anti-aliased by distance to each segment; text uses a 3x5 bitmap font
(digits, A-Z, a few signs), enough for tick labels and short titles.
"""
from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Sequence

import numpy as np

Color = tuple[float, float, float]


def write_png(path: str | Path, image: np.ndarray) -> None:
    """Write an (H, W, 3) or (H, W, 4) uint8 array as an 8-bit PNG."""
    img = np.ascontiguousarray(image)
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] not in (3, 4):
        raise ValueError(f"expected (H, W, 3|4) uint8, got {img.shape} {img.dtype}")
    h, w, c = img.shape
    raw = np.empty((h, 1 + w * c), dtype=np.uint8)
    raw[:, 0] = 0  # filter type None per scanline
    raw[:, 1:] = img.reshape(h, w * c)

    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    color_type = 2 if c == 3 else 6
    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw.tobytes(), 9))
           + chunk(b"IEND", b""))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(png)


def read_png(path: str | Path) -> np.ndarray:
    """Read an 8-bit non-interlaced RGB/RGBA/gray PNG (what write_png and Blender write) as uint8."""
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
    def __init__(self, width: int, height: int, background: Color = (1.0, 1.0, 1.0)):
        self.width, self.height = width, height
        self.rgb = np.empty((height, width, 3), dtype=np.float64)
        self.rgb[:] = background

    def to_uint8(self) -> np.ndarray:
        return (np.clip(self.rgb, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)

    def blend(self, ys: slice, xs: slice, alpha: np.ndarray, color: Color) -> None:
        region = self.rgb[ys, xs]
        a = alpha[..., None]
        region *= 1.0 - a
        region += a * np.asarray(color, dtype=np.float64)

    def fill_rect(self, x0: int, y0: int, x1: int, y1: int, color: Color) -> None:
        x0, x1 = max(0, x0), min(self.width, x1)
        y0, y1 = max(0, y0), min(self.height, y1)
        if x0 < x1 and y0 < y1:
            self.rgb[y0:y1, x0:x1] = color

    def paste(self, x: int, y: int, image: np.ndarray) -> None:
        """Paste an (h, w, 3) float image (0..1) with its top-left corner at (x, y)."""
        h, w = image.shape[:2]
        self.rgb[y:y + h, x:x + w] = image[:, :, :3]

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
        # max-blend within one segment; overlapping joints look fine at these widths
        self.blend(slice(by0, by1), slice(bx0, bx1), alpha, color)

    def polyline(self, xs: Sequence[float], ys: Sequence[float], color: Color,
                 width: float = 1.5, dash: tuple[float, float] | None = None) -> None:
        pts = np.column_stack([np.asarray(xs, float), np.asarray(ys, float)])
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
    """A data rectangle inside a canvas: box = (left, top, right, bottom) in pixels."""

    def __init__(self, canvas: Canvas, box: tuple[int, int, int, int],
                 xlim: tuple[float, float], ylim: tuple[float, float]):
        self.canvas, self.box = canvas, box
        self.xlim, self.ylim = xlim, ylim

    def px(self, x: np.ndarray | float) -> np.ndarray:
        l, _, r, _ = self.box
        return l + (np.asarray(x, float) - self.xlim[0]) / (self.xlim[1] - self.xlim[0]) * (r - l)

    def py(self, y: np.ndarray | float) -> np.ndarray:
        _, t, _, b = self.box
        return b - (np.asarray(y, float) - self.ylim[0]) / (self.ylim[1] - self.ylim[0]) * (b - t)

    def line(self, xs, ys, color: Color, width: float = 1.5,
             dash: tuple[float, float] | None = None) -> None:
        self.canvas.polyline(self.px(xs), self.py(ys), color, width, dash)

    def frame(self, color: Color = (0.15, 0.15, 0.15)) -> None:
        l, t, r, b = self.box
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


def lerp_color(a: Color, b: Color, f: float) -> Color:
    f = float(np.clip(f, 0.0, 1.0))
    return (a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f)
