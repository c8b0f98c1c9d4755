"""model_core.plots.plot: the context-trace image (seed figures 5 and 6) and the PNG writer, numpy only."""
from __future__ import annotations

import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from model_core import example_templates, train, train_config
from model_core.plots import plot

from pngread import chunks, read_png  # tests/model_core/pngread.py

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import figure  # noqa: E402  (tools/figure.py: the demo's PNG writer and anti-aliased lines)

ROOT = Path(__file__).resolve().parents[2]
PALETTE = {plot.BACKGROUND, plot.PLOT_BG, plot.BAND, plot.GRID, plot.AXIS, plot.TEXT,
           plot.PATH_COLOR, plot.PATH_OUTSIDE_COLOR, plot.SLIDER_COLOR, plot.OUTLINE,
           *plot.TEMPLATE_COLORS, *plot.TEMPLATE_DIM_COLORS}


@pytest.fixture(scope="module")
def model_1d():
    return train(example_templates(), train_config(template_steps=300, steps=300, check_every=0), seed=1)


@pytest.fixture(scope="module")
def model_2d():
    return train(example_templates(), train_config(template_steps=300, steps=300, check_every=0,
                                                   context_dims=2), seed=1)


def colour_at(img: np.ndarray, rc: tuple[int, int]) -> tuple[float, ...]:
    return tuple(np.round(img[rc[0], rc[1], :3].astype(np.float64), 5))


def same(c1, c2) -> bool:
    return bool(np.allclose(c1, c2, atol=1e-5))


def clear_samples(rows_px: dict, name, min_gap: int = 4) -> list[int]:
    """Samples m where curve `name`'s pixel row is >= min_gap px from every other curve at
    samples m-1, m, m+1 (so no other curve is drawn over that pixel)."""
    mine = rows_px[name]
    out = []
    for m in range(len(mine)):
        ok = True
        for other, ys in rows_px.items():
            if other == name:
                continue
            near = ys[max(0, m - 1):m + 2]
            if np.min(np.abs(near - mine[m])) < min_gap:
                ok = False
        if ok:
            out.append(m)
    return out


# ---- PNG --------------------------------------------------------------------------------------

def test_png_round_trip_float_rgba_and_uint8_rgb(tmp_path):
    rng = np.random.default_rng(0)
    rgba = rng.random((13, 21, 4)).astype(np.float32)
    figure.write_png(tmp_path / "a.png", rgba)
    back = read_png(tmp_path / "a.png")
    assert back.shape == (13, 21, 4) and back.dtype == np.uint8
    np.testing.assert_array_equal(back, figure.to_uint8(rgba))
    assert np.abs(back / 255.0 - rgba).max() <= 0.5 / 255 + 1e-6
    rgb = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    figure.write_png(tmp_path / "sub" / "b.png", rgb)
    np.testing.assert_array_equal(read_png(tmp_path / "sub" / "b.png"), rgb)
    # well-formed chunks: signature, IHDR first, CRCs right, IEND last
    data = (tmp_path / "a.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    tags = [t for t, _ in chunks(data)]
    assert tags[0] == b"IHDR" and tags[-1] == b"IEND" and b"IDAT" in tags
    w, h, depth, ctype = struct.unpack(">IIBB", dict(chunks(data))[b"IHDR"][:10])
    assert (w, h, depth, ctype) == (21, 13, 8, 6)


def test_png_refuses_bad_images(tmp_path):
    with pytest.raises(ValueError):
        figure.write_png(tmp_path / "x.png", np.zeros((4, 4), dtype=np.uint8))
    with pytest.raises(ValueError):
        figure.write_png(tmp_path / "x.png", np.zeros((4, 4, 2), dtype=np.float32))


def test_plot_module_is_numpy_only():
    code = ("import sys, model_core.plots.plot; "
            "bad = [m for m in ('torch', 'bpy', 'matplotlib', 'PIL') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(ROOT))


# ---- 1-D trace plot ---------------------------------------------------------------------------

def test_trace_plot_image_format(model_1d):
    img = plot.trace_plot(model_1d, 1.0, 0.5)
    assert img.shape == (200, 320, 4) and img.dtype == np.float32
    assert np.all(img[..., 3] == 1.0)
    assert plot.trace_plot(model_1d, 0.5, 0.5, width=200, height=150).shape == (150, 200, 4)
    with pytest.raises(ValueError):
        plot.trace_plot(model_1d, 0.5, 0.5, width=20, height=20)


def test_every_pixel_is_a_palette_colour(model_1d, model_2d):
    """No anti-aliasing: tests and the panel can rely on exact colours."""
    for model, alpha, offset in ((model_1d, 0.5, 0.0), (model_1d, 1.8, 0.3),
                                 (model_2d, (0.5, 0.5), 0.0), (model_2d, (1.3, 0.2), 0.2)):
        img = plot.trace_plot(model, 0.8, alpha, offset, rows=25)
        colours = {tuple(c) for c in np.unique(img[..., :3].reshape(-1, 3), axis=0).tolist()}
        palette = np.array(sorted(PALETTE))
        for c in colours:
            assert np.min(np.abs(palette - np.array(c)).max(axis=1)) < 1e-6, c


def test_template_traces_and_path_at_their_pixels(model_1d):
    view = plot.trace_view(model_1d, 1.0, 0.5, rows=25)
    img = plot.render(view)
    curves = {k: view.traces[k] for k in range(view.n_templates)}
    curves["path"] = view.path
    rows_px = {name: np.array([view.pixel(m, c)[0] for m, c in zip(view.morph, ys)])
               for name, ys in curves.items()}
    for name, ys in curves.items():
        want = plot.PATH_COLOR if name == "path" else plot.TEMPLATE_COLORS[name]
        samples = clear_samples(rows_px, name)
        assert len(samples) >= 5, (name, samples)   # the open petals' traces separate
        for m in samples:
            assert same(colour_at(img, view.pixel(view.morph[m], ys[m])), want), (name, m)
    # the point halfway between the two traces at the tip lies in the interpolation band,
    # above the lower trace and below the upper one
    lo, hi = view.traces[:, -3].min(), view.traces[:, -3].max()
    r, c = view.pixel(view.morph[-3], lo + 0.25 * (hi - lo))
    assert same(colour_at(img, (r, c)), plot.BAND) or same(colour_at(img, (r, c)), plot.GRID)


def test_path_is_the_models_context_path(model_1d):
    view = plot.trace_view(model_1d, 0.7, 0.3, 0.1, rows=19)
    np.testing.assert_allclose(view.path, model_1d.context_path(0.7, 0.3, 0.1, rows=19)[:, 0])
    np.testing.assert_allclose(view.slider_path, model_1d.context_path(0.7, 0.3, 0.0, rows=19)[:, 0])
    np.testing.assert_allclose(view.traces, model_1d.context_traces(times=[0.7], rows=19)[:, 0])
    assert plot.trace_view(model_1d, 0.7, 0.3, 0.0).slider_path is None
    assert plot.trace_view(model_1d, 0.7).path is None


def test_offset_draws_the_slider_curve_dashed(model_1d):
    view = plot.trace_view(model_1d, 1.0, 0.5, offset=0.4, rows=25)
    img = plot.render(view)
    grey = np.all(np.abs(img[..., :3] - np.array(plot.SLIDER_COLOR)) < 1e-6, axis=-1)
    assert grey.sum() > 20
    assert not np.any(np.all(np.abs(plot.render(plot.trace_view(model_1d, 1.0, 0.5, rows=25))[..., :3]
                                    - np.array(plot.SLIDER_COLOR)) < 1e-6, axis=-1))


def test_axes_stay_put_while_the_slider_moves_inside(model_1d):
    views = [plot.trace_view(model_1d, 0.8, a) for a in np.linspace(0.0, 1.0, 5)]
    assert len({(v.xlim, v.ylim) for v in views}) == 1
    far = plot.trace_view(model_1d, 0.8, 50.0)
    span = views[0].ylim[1] - views[0].ylim[0]
    assert far.ylim[1] - far.ylim[0] <= 3.2 * span   # widened by at most one span a side


# ---- extrapolation ------------------------------------------------------------------------------

def test_extrapolation_is_flagged_and_drawn(model_1d):
    inside = plot.trace_view(model_1d, 1.0, 0.5, rows=25)
    assert not inside.extrapolation.outside and inside.extrapolation.messages == []
    out = plot.trace_view(model_1d, 1.0, 2.0, rows=25)
    ex = out.extrapolation
    assert ex.context_outside and not ex.time_outside and ex.rows_outside.any()
    assert ex.excess > 0.5 and "leaves the templates' traces" in ex.messages[0]
    img = plot.render(out)
    m = int(np.argmax(np.abs(out.path - out.traces.mean(axis=0))))
    assert ex.rows_outside[m]
    assert same(colour_at(img, out.pixel(out.morph[m], out.path[m])), plot.PATH_OUTSIDE_COLOR)
    late = plot.check_extrapolation(model_1d, 1.4, 0.5)
    assert late.time_outside and "outside the captured keyframes" in late.messages[0]
    assert plot.check_extrapolation(model_1d, -0.2).time_outside
    assert plot.check_extrapolation(model_1d, 1.0, 0.5, offset=2.0).context_outside
    assert plot.check_extrapolation(model_1d, 1.0, -1.0).context_outside
    assert not plot.check_extrapolation(model_1d, 1.0, 1.0).context_outside   # a template itself


def test_extrapolation_rule_on_given_traces():
    traces = np.array([[0.0, 0.0, 1.0, 2.0], [0.0, 0.0, -1.0, -2.0]])   # meet at rows 0-1
    model = type("M", (), {"times": np.array([0.0, 1.0]), "context_dims": 1})()
    kw = dict(traces_t=traces, context_scale=4.0)
    ok = plot.check_extrapolation(model, 0.5, 0.0, path=np.array([0.0, 0.0, 0.5, 2.05]), **kw)
    assert not ok.outside        # 0.05 beyond a spread of 4 is within the 5% margin
    bad = plot.check_extrapolation(model, 0.5, 0.0, path=np.array([0.0, 0.0, 0.5, 2.5]), **kw)
    assert bad.context_outside and bad.rows_outside.tolist() == [False, False, False, True]
    assert bad.excess == pytest.approx(0.5 / 4.0)
    # where the templates coincide (a shared bud) only the tiny absolute tolerance applies
    bud = plot.check_extrapolation(model, 0.5, 0.0, path=np.array([0.001, 0.0, 0.0, 0.0]), **kw)
    assert not bud.outside


def test_hull_distance():
    tri = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]])
    assert plot.hull_distance(tri, np.array([0.5, 0.5])) == 0.0
    assert plot.hull_distance(tri, np.array([-1.0, 0.5])) == pytest.approx(1.0)
    assert plot.hull_distance(tri, np.array([2.0, 2.0])) == pytest.approx(np.sqrt(2.0))
    seg = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, 0.0]])   # collinear: a segment
    assert plot.hull_distance(seg, np.array([0.5, 0.3])) == pytest.approx(0.3)
    assert plot.hull_distance(np.zeros((3, 2)), np.array([3.0, 4.0])) == pytest.approx(5.0)


# ---- 2-D pad ------------------------------------------------------------------------------------

def test_pad_points_at_their_pixels(model_2d):
    view = plot.trace_view(model_2d, 1.0, (0.5, 0.5), rows=25)   # K=2: midway
    img = plot.render(view)
    pts = view.template_points
    np.testing.assert_allclose(pts, model_2d.context_traces(times=[1.0], rows=25)[:, 0].mean(axis=1))
    np.testing.assert_allclose(view.point, model_2d.context_path(1.0, (0.5, 0.5), rows=25).mean(axis=0))
    centres = [view.pixel(*p) for p in pts] + [view.pixel(*view.point)]
    assert min(abs(a[0] - b[0]) + abs(a[1] - b[1]) for i, a in enumerate(centres)
               for b in centres[i + 1:]) > 8, centres
    for k, rc in enumerate(centres[:-1]):
        assert same(colour_at(img, rc), plot.TEMPLATE_COLORS[k]), k
    assert same(colour_at(img, centres[-1]), plot.PATH_COLOR)
    assert not view.extrapolation.outside
    # pads beyond the templates: the petal's point turns to the warning colour
    far = plot.trace_view(model_2d, 1.0, (3.0, 3.0), rows=25)
    assert far.extrapolation.context_outside
    assert same(colour_at(plot.render(far), far.pixel(*far.point)), plot.PATH_OUTSIDE_COLOR)


# ---- the rasteriser the demo uses ----------------------------------------------------------------

def test_canvas_figure_api():
    canvas = figure.Figure(200, 120)
    ax = canvas.axes((30, 10, 190, 100), xlim=(0.0, 1.0), ylim=(-1.0, 1.0))
    ax.ticks(plot.nice_ticks(0, 1, 5), plot.nice_ticks(-1, 1, 5))
    ax.line([0, 0.5, 1], [-1, 1, 0], (0.8, 0.2, 0.2), width=2.0, dash=(6.0, 3.0))
    ax.frame()
    assert canvas.text(5, 5, "Ctx 0.5", scale=2) == (4 * 7 - 1) * 2
    img = canvas.to_uint8()
    assert img.shape == (120, 200, 3) and img.dtype == np.uint8
    assert (img != 255).any()
    assert figure.nice_ticks(0, 1, 5) == [0.0, 0.25, 0.5, 0.75, 1.0] == plot.nice_ticks(0, 1, 5)
    hard = figure.Figure(10, 10, (0, 0, 0))
    hard.polyline([0.5, 9.5], [4.5, 4.5], (1.0, 1.0, 1.0), width=2, aa=False)
    assert set(np.unique(hard.rgb)) == {0.0, 1.0}
    assert hard.rgb[4:6, :, 0].all() and not hard.rgb[:4].any() and not hard.rgb[6:].any()


def test_the_shipped_raster_holds_no_demo_or_test_code():
    """The PNG reader lives in tests/, PNG writing and anti-aliasing in tools/figure.py."""
    from model_core.plots import raster
    for name in ("read_png", "write_png", "png_bytes", "to_uint8"):
        assert not hasattr(plot, name) and not hasattr(raster, name), name
    for name in ("segment", "blend", "paste"):
        assert not hasattr(raster.Canvas, name) and hasattr(figure.Figure, name), name
    assert not hasattr(raster.Axes, "ticks") and hasattr(figure.FigureAxes, "ticks")
