"""The demo's figures: anti-aliased lines on the add-on's raster, labels in a proper font,
and PNG files (still, or animated: APNG).

Development only (tools/demo.py and tests use it; the add-on does not ship it): the panel's
trace image is model_core/raster.py, exact colours, no anti-aliasing. Labels readable as
words (not the raster's 3x5 pixel font) come as coverage masks from a TextMask: the demo
rasterises them with Blender's own font (blf into an ImBuf), so no font library is needed.
"""
from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from model_core.plots.raster import Axes, Canvas, Color, lerp_color, nice_ticks  # noqa: E402

__all__ = ["Figure", "FigureAxes", "TextMask", "to_uint8", "png_bytes", "write_png",
           "apng_bytes", "write_apng", "nice_ticks", "lerp_color"]

# (text, pixel size) -> (h, w) coverage in 0..1, row 0 = top: one line of text, anti-aliased.
TextMask = Callable[[str, int], np.ndarray]


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


def _chunk(tag: bytes, data: bytes) -> bytes:
    body = tag + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def _up_filtered(img: np.ndarray) -> bytes:
    """Scanlines with PNG filter 2 (Up): each byte minus the one above (renders compress
    far better than unfiltered)."""
    h, w, c = img.shape
    rows = img.reshape(h, w * c).astype(np.int16)
    up = np.vstack([np.zeros((1, w * c), np.int16), rows[:-1]])
    raw = np.empty((h, 1 + w * c), dtype=np.uint8)
    raw[:, 0] = 2
    raw[:, 1:] = ((rows - up) % 256).astype(np.uint8)
    return raw.tobytes()


def apng_bytes(frames: Sequence[np.ndarray], delay_ms: int = 80, loops: int = 0) -> bytes:
    """Animated PNG (APNG) of equal-size (H, W, 3|4) frames, each shown `delay_ms`; loops
    0 = forever. Browsers (and GitHub's README view) play it; other viewers show frame 0."""
    imgs = [np.ascontiguousarray(to_uint8(f)) for f in frames]
    if not imgs or any(i.shape != imgs[0].shape for i in imgs) or imgs[0].ndim != 3:
        raise ValueError("apng_bytes needs one or more (H, W, 3|4) frames of one size")
    h, w, c = imgs[0].shape
    out = [b"\x89PNG\r\n\x1a\n",
           _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2 if c == 3 else 6, 0, 0, 0)),
           _chunk(b"acTL", struct.pack(">II", len(imgs), loops))]
    seq = 0
    for i, img in enumerate(imgs):
        out.append(_chunk(b"fcTL", struct.pack(">IIIIIHHBB", seq, w, h, 0, 0, delay_ms, 1000,
                                               0, 0)))
        seq += 1
        data = zlib.compress(_up_filtered(img), 9)
        if i == 0:
            out.append(_chunk(b"IDAT", data))
        else:
            out.append(_chunk(b"fdAT", struct.pack(">I", seq) + data))
            seq += 1
    out.append(_chunk(b"IEND", b""))
    return b"".join(out)


def write_apng(path: str | Path, frames: Sequence[np.ndarray], delay_ms: int = 80) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(apng_bytes(frames, delay_ms))


def write_png(path: str | Path, image: np.ndarray) -> None:
    """Write an (H, W, 3|4) uint8 or float [0, 1] image (row 0 = top) as an 8-bit PNG."""
    data = png_bytes(image)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(data)


class Figure(Canvas):
    """A Canvas that also draws anti-aliased lines, pastes images and writes uint8."""

    def to_uint8(self) -> np.ndarray:
        return to_uint8(self.rgb)

    def blend(self, ys: slice, xs: slice, alpha: np.ndarray, color: Color) -> None:
        region = self.rgb[ys, xs]
        a = alpha[..., None]
        region *= 1.0 - a
        region += a * np.asarray(color, dtype=np.float64)

    def label(self, x: int, y: int, text: str, mask: TextMask, size: int = 15,
              color: Color = (0.15, 0.15, 0.2), backing: Color | None = (1.0, 1.0, 1.0),
              anchor: str = "left") -> tuple[int, int]:
        """`text` in a proper font (the mask's) with its top-left at (x, y) (anchor
        "center": x is the middle), on a translucent `backing` box so it reads over a
        render. Returns the box's (width, height)."""
        alpha = np.clip(np.asarray(mask(text, size), dtype=np.float64), 0.0, 1.0)
        h, w = alpha.shape
        if anchor == "center":
            x -= w // 2
        if backing is not None:
            self._blend_clipped(x - 3, y - 1, np.full((h + 2, w + 6), 0.75), backing)
        self._blend_clipped(x, y, alpha, color)
        return w + 6, h + 2

    def _blend_clipped(self, x: int, y: int, alpha: np.ndarray, color: Color) -> None:
        h, w = alpha.shape
        x0, y0 = max(x, 0), max(y, 0)
        x1, y1 = min(x + w, self.width), min(y + h, self.height)
        if x0 < x1 and y0 < y1:
            self.blend(slice(y0, y1), slice(x0, x1), alpha[y0 - y:y1 - y, x0 - x:x1 - x], color)

    def paste(self, x: int, y: int, image: np.ndarray) -> None:
        """Paste an (h, w, 3|4) float image (0..1) with its top-left corner at (x, y)."""
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
        self.blend(slice(by0, by1), slice(bx0, bx1), alpha, color)

    def polyline(self, xs: Sequence[float], ys: Sequence[float], color: Color,
                 width: float = 1.5, dash: tuple[float, float] | None = None,
                 aa: bool = True, clip: tuple[int, int, int, int] | None = None) -> None:
        """A polyline; aa=False draws `width`-pixel square stamps with no blending (exact
        colours), clipped to `clip` = (left, top, right, bottom) or the canvas."""
        if not aa:
            super().polyline(xs, ys, color, width, dash, clip)
            return
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

    def axes(self, box: tuple[int, int, int, int], xlim: tuple[float, float],
             ylim: tuple[float, float]) -> "FigureAxes":
        return FigureAxes(self, box, xlim, ylim)


class FigureAxes(Axes):
    """Axes with anti-aliased lines, frame and tick marks."""
    canvas: Figure

    def line(self, xs, ys, color: Color, width: float = 1.5,
             dash: tuple[float, float] | None = None, aa: bool = True) -> None:
        self.canvas.polyline(self.px(xs), self.py(ys), color, width, dash, aa=aa,
                             clip=None if aa else self.box)

    def frame(self, color: Color = (0.15, 0.15, 0.15), aa: bool = True) -> None:
        if not aa:
            super().frame(color)
            return
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
