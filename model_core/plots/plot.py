"""Context-trace plots (seed figures 5 and 6) and PNG files, with numpy only.

No bpy, no torch, no matplotlib: the Blender panel draws this image into a preview, the
demo writes it to a PNG, and tests read pixel colours straight from the array.

    from model_core.plots.plot import trace_plot, trace_view, render
    rgba = trace_plot(model, time=0.7, alpha=0.5)   # (200, 320, 4) float32, row 0 = TOP

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

The raster is model_core/raster.py; the extrapolation check, model_core/extrapolation.py.
PNG files and the demo's anti-aliased figures live in tools/figure.py (not shipped).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .extrapolation import EXTRAPOLATION_MARGIN, Extrapolation, check_extrapolation
from ..geometry import convex_hull, hull_distance
from .raster import Axes, Canvas, Color, lerp_color, nice_ticks

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


def _dim(color: Color, f: float = 0.5) -> Color:
    return lerp_color(color, PLOT_BG, f)


TEMPLATE_DIM_COLORS: tuple[Color, ...] = tuple(_dim(c) for c in TEMPLATE_COLORS)

LINE_WIDTH = 2          # px, template traces and the path (1-D)
POINT_SIZE = 6          # px, template and petal points (2-D)
MARGIN = (26, 6, 14, 14)  # left, top, right, bottom (tick labels left/bottom, indexes right)


def template_color(k: int) -> Color:
    return TEMPLATE_COLORS[k % len(TEMPLATE_COLORS)]


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
    kind: str = "traces"                    # the context's view: "traces" (1-D) or "pad" (2-D)

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
    ctx = model.context
    t = float(time)
    traces_t = np.asarray(model.context_traces(times=[t], rows=rows), dtype=np.float64)[:, 0]
    all_tr = np.asarray(model.context_traces(rows=rows), dtype=np.float64)   # (K, T, R[, 2])
    n_rows = traces_t.shape[1]
    morphs = np.asarray(model.morphs, float)
    morph = morphs if rows is None else np.linspace(morphs[0], morphs[-1], n_rows)
    path = slider = None
    if alpha is not None:
        path = ctx.trace_values(np.asarray(model.context_path(t, alpha, offset, rows=rows), dtype=np.float64))
        if float(offset) != 0.0:
            slider = ctx.trace_values(np.asarray(model.context_path(t, alpha, 0.0, rows=rows), dtype=np.float64))
    context_scale = float(np.ptp(all_tr)) if all_tr.size else 0.0
    extra = check_extrapolation(model, t, alpha, offset, rows, traces_t=traces_t, path=path,
                                context_scale=context_scale)
    l, tp, r, b = MARGIN
    box = (l, tp, w - r, h - b)
    if ctx.view == "traces":
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
    return TraceView(ctx.dims, t, alpha, float(offset), w, h, box, xlim, ylim, morph, traces_t,
                     path, slider, names, extra, ctx.view)


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
    ax.line(xs, ys, PATH_COLOR, width)
    seg_out = outside[:-1] | outside[1:]
    if np.any(seg_out):
        # one polyline: the outside segments, separated by NaN
        i = np.flatnonzero(seg_out)
        sx = np.column_stack([xs[i], xs[i + 1], np.full(len(i), np.nan)]).ravel()
        sy = np.column_stack([ys[i], ys[i + 1], np.full(len(i), np.nan)]).ravel()
        ax.line(sx, sy, PATH_OUTSIDE_COLOR, width)


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

    if view.kind == "traces":
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
            ax.line(view.morph, view.traces[k], template_color(k), LINE_WIDTH)
        if view.slider_path is not None:
            ax.line(view.morph, view.slider_path, SLIDER_COLOR, LINE_WIDTH, dash=(4.0, 3.0))
        if view.path is not None:
            _draw_path(canvas, ax, view.morph, view.path, outside, LINE_WIDTH)
        ends = np.clip(ax.py(view.traces[:, -1]), t, b) - 5
        for k, y in enumerate(_label_positions(np.nan_to_num(ends, nan=t), 0, view.height, 11)):
            canvas.text(r + 3, int(y), str(k), color=template_color(k), scale=2)
    else:
        pts = view.template_points
        hull = convex_hull(pts)
        if len(hull) >= 3:
            canvas.fill_convex(ax.px(hull[:, 0]), ax.py(hull[:, 1]), BAND, clip=view.box)
        elif len(hull) == 2:
            ax.line(hull[:, 0], hull[:, 1], BAND, 4)
        _draw_grid(canvas, ax, xticks=True)
        canvas.text(r + 4, b - 6, "A", color=TEXT, scale=1)
        canvas.text(2, t + 1, "B", color=TEXT, scale=1)
        for k in range(k_count):
            ax.line(view.traces[k, :, 0], view.traces[k, :, 1], TEMPLATE_DIM_COLORS[k % len(TEMPLATE_DIM_COLORS)],
                    1)
        if view.slider_path is not None:
            ax.line(view.slider_path[:, 0], view.slider_path[:, 1], SLIDER_COLOR, 1,
                    dash=(3.0, 3.0))
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
    ax.frame(AXIS)
    return canvas.to_rgba()


def trace_plot(model: Any, time: float, alpha: Any = None, offset: float = 0.0,
               rows: int | None = None, width: int = 320, height: int = 200) -> np.ndarray:
    """The context-trace image of `model` at `time` -> (height, width, 4) float32 RGBA.

    Row 0 is the top of the image (PNG order; flip it for Blender's bottom-up pixels).
    See the module docstring for what is drawn and `trace_view(...).pixel` for where."""
    return render(trace_view(model, time, alpha, offset, rows, width, height))


__all__ = ["BACKGROUND", "PLOT_BG", "BAND", "GRID", "AXIS", "TEXT", "TEMPLATE_COLORS",
           "TEMPLATE_DIM_COLORS", "PATH_COLOR", "PATH_OUTSIDE_COLOR", "SLIDER_COLOR", "OUTLINE",
           "EXTRAPOLATION_MARGIN", "Canvas", "Axes", "TraceView", "Extrapolation", "trace_view",
           "render", "trace_plot", "check_extrapolation", "hull_distance", "nice_ticks",
           "lerp_color", "template_color"]
