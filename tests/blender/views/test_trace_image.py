"""The Petal panel's context-trace image (a bpy.utils.previews preview drawn by
model_core.plots.plot), redrawn as the petal's values change, and the extrapolation warning."""
from __future__ import annotations

import importlib
from types import SimpleNamespace

import bpy
import numpy as np
import pytest

from blender_helpers import (PACKAGE, Recorder, active_model, add_example_and_capture,
                             draw_petal_panel, model_of, run_fresh_python, train_quick)

BYTE = 1.0 / 255.0 + 1e-4     # previews keep 8 bits per channel


@pytest.fixture
def petal(grc):
    add_example_and_capture()
    train_quick(steps=300, template_steps=300)
    assert bpy.ops.grc.add_petal() == {'FINISHED'}
    p = bpy.context.active_object
    p.grc.time, p.grc.context, p.grc.rows = 1.0, 0.5, 25
    return p


def colour(img, rc):
    return img[rc[0], rc[1], :3].astype(np.float64)


def test_preview_holds_the_plot_of_the_active_petal(grc, petal, trace_image, plot):
    scene = bpy.context.scene
    assert trace_image.refresh(scene, petal)
    img = trace_image.pixels()
    view = trace_image.view_for(scene, petal)
    assert img.shape == (trace_image.HEIGHT, trace_image.WIDTH, 4)
    assert tuple(trace_image.preview().image_size) == (trace_image.WIDTH, trace_image.HEIGHT)
    # exactly model_core.plots.plot's image, to the preview's 8 bits, rows in the right order
    np.testing.assert_allclose(img, plot.render(view), atol=BYTE)
    # the templates' traces and the path at their pixels (where no other curve is near)
    model = grc.store.get_model(active_model(scene))
    traces = model.context_traces(times=[1.0], rows=25)[:, 0]
    path = model.context_path(1.0, 0.5, rows=25)[:, 0]
    curves = {0: traces[0], 1: traces[1], "path": path}
    rows_px = {k: np.array([view.pixel(m, c)[0] for m, c in zip(view.morph, ys)]) for k, ys in curves.items()}
    for name, ys in curves.items():
        want = plot.PATH_COLOR if name == "path" else plot.TEMPLATE_COLORS[name]
        checked = 0
        for m in range(len(ys)):
            others = [rows_px[o][max(0, m - 1):m + 2] for o in curves if o != name]
            if min(np.min(np.abs(o - rows_px[name][m])) for o in others) < 4:
                continue
            np.testing.assert_allclose(colour(img, view.pixel(view.morph[m], ys[m])), want,
                                       atol=BYTE, err_msg=f"{name} row {m}")
            checked += 1
        assert checked >= 5, name
    assert trace_image.state().warnings == []


def test_image_follows_slider_and_keyframes(grc, petal, trace_image, plot):
    scene = bpy.context.scene
    st = trace_image.panel_state(scene, petal)        # background mode: renders now
    n = st.renders
    before = trace_image.pixels().copy()
    trace_image.panel_state(scene, petal)             # nothing changed: no render
    assert trace_image.state().renders == n
    petal.grc.context = 0.9                            # the slider moves
    draw_petal_panel(petal)                            # the panel notices the stale key
    assert trace_image.state().renders == n + 1
    after = trace_image.pixels()
    assert np.abs(after - before).max() > 0.5
    view = trace_image.view_for(scene, petal)
    np.testing.assert_allclose(after, plot.render(view), atol=BYTE)
    # keyframed values (no update callback fires on playback): the next draw catches up
    petal.grc.context = 0.0
    petal.keyframe_insert("grc.context", frame=1)
    petal.grc.context = 1.0
    petal.keyframe_insert("grc.context", frame=21)
    scene.frame_set(11)
    assert abs(petal.grc.context - 0.5) < 0.05
    draw_petal_panel(petal)
    view = trace_image.view_for(scene, petal)
    assert view.alpha == pytest.approx(petal.grc.context)
    np.testing.assert_allclose(trace_image.pixels(), plot.render(view), atol=BYTE)


def test_extrapolation_note_in_the_panel(petal, trace_image):
    """Beyond the templates is a note (new shapes are the point), in the panel's words."""
    labels = [draw_petal_panel(petal).text()]
    assert not any("Beyond the templates" in t for t in labels)
    petal.grc.context = 2.5
    labels = [draw_petal_panel(petal).text()]
    assert any("Beyond the templates: new shapes" in t for t in labels), labels
    assert any("past the templates' spread (the whole petal)" in t for t in labels), labels
    petal.grc.context, petal.grc.time = 0.5, 1.6
    labels = [draw_petal_panel(petal).text()]
    assert any("Time is past the captured keyframes" in t for t in labels), labels
    petal.grc.time, petal.grc.offset = 1.0, 1.5
    assert any("Beyond the templates" in t for t in [draw_petal_panel(petal).text()])


def test_fidelity_readout_after_training(grc, petal):
    scene = bpy.context.scene
    model = grc.store.get_model(active_model(scene))
    cap = grc.store.get_captured(active_model(scene))
    diags = cap.template_set().diagonals()
    fid = model_of(scene).fidelity
    assert [f.name for f in fid] == cap.names == [e["name"] for e in model.errors]
    for k, (f, e) in enumerate(zip(fid, model.errors)):
        assert f.mean == pytest.approx(e["mean"], rel=1e-5) and f.max == pytest.approx(e["max"], rel=1e-5)
        assert f.mean_pct == pytest.approx(e["mean_pct"], rel=1e-4)
        assert f.max_pct == pytest.approx(e["max_pct"], rel=1e-4)
        # each keyframe against its own (smaller) diagonal reads at least the whole template's %
        assert f.mean_pct >= 100 * e["mean"] / diags[k] * (1 - 1e-4)
        assert f.max_pct >= 100 * e["max"] / diags[k] * (1 - 1e-4)
        assert 0 < f.mean <= f.max
    train = importlib.import_module(PACKAGE + ".panels.train")
    layout = Recorder()
    train.GRC_PT_train_fidelity.draw(SimpleNamespace(layout=layout), SimpleNamespace(scene=scene))
    rows = [t for t in layout.labels() if any(f"{f.name}:" in t for f in fid)]
    assert len(rows) == len(fid) and all(f.name in t for f, t in zip(fid, rows))


def test_preview_collection_is_released_on_disable():
    result = run_fresh_python(f"""
import json
import bpy, addon_utils
from bpy.utils import previews
before = len(previews._uuid_open)
addon_utils.enable({PACKAGE!r}, default_set=True)
during = len(previews._uuid_open)
addon_utils.disable({PACKAGE!r}, default_set=True)
print("RESULT " + json.dumps(dict(before=before, during=during, after=len(previews._uuid_open))))
""")
    # the trace image and the loss curve each hold one preview collection while enabled
    assert result["during"] == result["before"] + 2 and result["after"] == result["before"], result
