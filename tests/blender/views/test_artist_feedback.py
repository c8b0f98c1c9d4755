"""Feedback an artist can read. Poll messages in each state (torch missing too),
preferences, presets, tooltips, the loss curve image, Show Error against the fidelity
numbers, the ghost's geometry, wrapped text, menus (F3) and translation-ready text."""
from __future__ import annotations

import ast
import importlib
import sys
from types import SimpleNamespace

import bpy
import numpy as np
import pytest

from blender_helpers import (model_of, active_model, PACKAGE, ROOT, add_example_and_capture,
                             run_fresh_python, select_only, train_quick)
from test_panels import _draw_all as draw_all_panels
from test_reload import BLOCK_TORCH


def mod(name):
    return importlib.import_module(f"{PACKAGE}.{name}")


def refusal(op) -> str:
    """The poll message bpy.ops raises for an unavailable operator."""
    assert not op.poll()
    with pytest.raises(RuntimeError) as info:
        op()
    text = str(info.value)
    assert ".poll()" in text
    return text


# ---- polls -----------------------------------------------------------------------------------

def test_poll_messages_in_each_state(grc):
    ops = bpy.ops.grc
    # An empty file
    assert ops.add_example_templates.poll()
    assert "Select the template meshes first" in refusal(ops.capture_templates)
    assert "Capture at least two templates first" in refusal(ops.train)
    assert "Capture at least two templates to reorder" in refusal(ops.move_template)
    assert "No training is running" in refusal(ops.cancel_training)
    for op in (ops.add_petal, ops.reset_petal, ops.bake_shape_keys, ops.show_error):
        assert "No trained model in this scene" in refusal(op), op
    # Templates captured, no model
    add_example_and_capture()
    assert ops.train.poll() and ops.move_template.poll() and ops.capture_templates.poll()
    assert "No trained model in this scene" in refusal(ops.show_error)
    # While training
    job = grc.api.start_training(bpy.context.scene, steps=100_000, template_steps=100_000)
    try:
        assert "A training is already running" in refusal(ops.train)
        assert "A training is running: capture again" in refusal(ops.capture_templates)
        assert "A training is running: reorder" in refusal(ops.move_template)
        assert ops.cancel_training.poll()
    finally:
        grc.jobs.stop()
    assert job.finished.is_set()
    # Trained
    train_quick()
    assert ops.add_petal.poll() and ops.show_error.poll()
    select_only()
    assert "Select a GRC petal of this file" in refusal(ops.reset_petal)
    assert "Select petals or a flower to bake" in refusal(ops.bake_shape_keys)
    assert ops.add_petal() == {'FINISHED'}
    assert ops.reset_petal.poll() and ops.bake_shape_keys.poll()
    # Edit Mode
    bpy.ops.object.mode_set(mode='EDIT')
    try:
        for op in (ops.add_example_templates, ops.capture_templates, ops.add_petal,
                   ops.reset_petal, ops.bake_shape_keys, ops.show_error):
            assert "Switch to Object Mode" in refusal(op), op
    finally:
        bpy.ops.object.mode_set(mode='OBJECT')
    # A stored model that is refused says why
    model_of(bpy.context.scene).model_data = "not base64!"
    with pytest.raises(grc.model_core.GRCError):
        grc.store.get_model(active_model(bpy.context.scene))
    assert "was refused" in refusal(ops.add_petal)


def _without_torch(force_torch: bool) -> dict:
    """A fresh Blender where torch cannot be imported (GRC_TRAINER=torch if `force_torch`):
    capture the example, press Train, read the preferences and the polls."""
    return run_fresh_python(BLOCK_TORCH + f"""
import json, os, sys
if {force_torch!r}:
    os.environ["GRC_TRAINER"] = "torch"
import bpy, addon_utils
addon_utils.enable({PACKAGE!r}, default_set=True)
bpy.ops.wm.read_homefile(use_empty=True)
assert bpy.ops.grc.add_example_templates() == {{'FINISHED'}}
assert bpy.ops.grc.capture_templates() == {{'FINISHED'}}
poll = bpy.ops.grc.train.poll()
try:
    result = sorted(bpy.ops.grc.train())
    message = ""
except RuntimeError as exc:
    result, message = [], str(exc)
tc = sys.modules[{PACKAGE!r} + ".grc_blender.training.torch_check"]
prefs = sys.modules[{PACKAGE!r} + ".grc_blender.preferences"]
texts = []
class Layout:
    def box(self): return self
    def column(self, **kw): return self
    def label(self, **kw): texts.append(kw.get("text", ""))
    def prop(self, *a, **kw): pass
class Panel:
    layout = Layout()
prefs.GRCPreferences.draw(Panel(), bpy.context)
out = dict(prefs_text=" ".join(texts), message=message, result=result, poll=poll,
           available=tc.torch_available(), version=tc.torch_version(), zip=tc.torch_zip(),
           torch_imported="torch" in sys.modules, add_petal_poll=bpy.ops.grc.add_petal.poll())
addon_utils.disable({PACKAGE!r}, default_set=True)
print("RESULT " + json.dumps(out))
""")


def test_train_without_torch_uses_numpy():
    """Issue 21: torch blocked, Train is available and trains with model_core's numpy
    trainer; the preferences say so; torch is never imported."""
    result = _without_torch(force_torch=False)
    assert not result["available"] and result["version"] == "" and not result["torch_imported"]
    assert result["poll"] and result["result"] == ["FINISHED"], result
    assert result["add_petal_poll"], "no trained model after Train"
    assert "Train uses the numpy trainer" in result["prefs_text"] and "PyTorch" not in result["prefs_text"].replace(
        "no PyTorch needed", "")


def test_train_poll_without_torch_names_the_zip():
    """GRC_TRAINER=torch with torch missing: Train is unavailable and names the zip that
    bundles torch for this Blender, or says there is none (never a zip it refuses)."""
    result = _without_torch(force_torch=True)
    assert not result["available"] and result["version"] == "" and not result["poll"]
    assert "Train needs PyTorch" in result["message"], result["message"]
    assert not result["torch_imported"]
    assert "PyTorch not found: Train is unavailable" in result["prefs_text"]
    if sys.version_info[:2] == (3, 11):        # Blender 4.2 - 5.0: the cp311 zip exists for Linux
        assert result["zip"] == "grc-0.1.0-linux_x64.zip"
        assert "grc-0.1.0-linux_x64.zip" in result["message"] and "grc-0.1.0.zip" in result["message"]
        assert "linux_x64" in result["prefs_text"]
    else:                                      # 5.1+ (Python 3.13): no torch zip for Linux
        assert result["zip"] == ""
        assert "no GRC zip bundles it for this Blender" in result["message"], result["message"]
        assert ".zip" not in result["message"] and ".zip" not in result["prefs_text"]


def test_torch_found_in_this_process():
    tc = mod("grc_blender.training.torch_check")
    assert tc.torch_available() and tc.torch_version()
    assert tc.training_threads() >= 1 and tc.cpu_count() >= 1
    assert tc.torch_zip() == "grc-0.1.0-linux_x64.zip"


# ---- preferences and presets -------------------------------------------------------------------

def test_preferences_and_default_preset(grc):
    prefs_mod = mod("grc_blender.preferences")
    assert prefs_mod.GRCPreferences.bl_idname == PACKAGE
    prefs = bpy.context.preferences.addons[PACKAGE].preferences
    assert prefs.default_preset == "BALANCED"
    calls = []
    layout = SimpleNamespace()
    layout.box = lambda: layout
    layout.column = lambda **kw: layout
    layout.label = lambda **kw: calls.append(kw.get("text", ""))
    layout.prop = lambda data, name, **kw: calls.append(name)
    prefs_mod.GRCPreferences.draw(SimpleNamespace(layout=layout), bpy.context)
    assert calls[0] == "Train uses the numpy trainer (no PyTorch needed)", calls
    torch_line = any("PyTorch" in c and "found" in c and "GRC_TRAINER=torch" in c for c in calls)
    assert torch_line == mod("grc_blender.training.torch_check").torch_available(), calls   # none on 5.1+
    assert "default_preset" in calls
    presets = mod("model_core.presets")
    prefs.default_preset = "FAST"
    try:
        assert bpy.ops.grc.add_model() == {'FINISHED'}
        g = model_of(bpy.context.scene)
        assert not g.preset_chosen
        add_example_and_capture()
        assert g.preset == "FAST" and g.preset_chosen
        assert g.steps == presets.preset_values("FAST")["steps"]
        # A scene whose settings were chosen keeps them at the next capture.
        g.preset = "FAITHFUL"
        assert bpy.ops.grc.capture_templates() == {'FINISHED'}
        assert g.preset == "FAITHFUL"
        # A file from before presets: settings edited, never marked chosen. Kept.
        bpy.ops.wm.read_homefile(use_empty=True)
        assert bpy.ops.grc.add_model() == {'FINISHED'}
        g = model_of(bpy.context.scene)
        g.steps = 777
        g.preset_chosen = False
        add_example_and_capture()
        assert g.steps == 777 and g.preset == "BALANCED"
    finally:
        prefs.default_preset = "BALANCED"


def test_presets_set_the_documented_values(grc):
    presets = mod("model_core.presets")
    config = mod("model_core.config")
    d = config.TrainConfig()
    limits = mod("model_core.limits")
    documented = {
        "FAST": dict(steps=int(d.steps * 0.5), template_steps=d.template_steps, fixed_units=0.0,
                     stop_mean_pct=d.stop_mean_pct * 1.5, stop_max_pct=d.stop_max_pct * 1.5),
        "BALANCED": dict(steps=d.steps, template_steps=d.template_steps,
                         stop_mean_pct=d.stop_mean_pct, stop_max_pct=d.stop_max_pct),
        "FAITHFUL": dict(steps=d.steps * 2, template_steps=d.template_steps * 2, fixed_units=1.0,
                         stop_mean_pct=limits.TARGET_MEAN_PCT * 0.6,
                         stop_max_pct=limits.TARGET_MAX_PCT * 0.6),
    }
    add_example_and_capture()
    g = model_of(bpy.context.scene)
    enum = [i.identifier for i in g.bl_rna.properties["preset"].enum_items]
    assert enum == ["FAST", "BALANCED", "FAITHFUL"]
    bp = mod("grc_blender.training.presets")
    for name in ("FAST", "FAITHFUL", "BALANCED"):
        g.preset = name
        want = presets.preset_values(name)
        for key, value in documented[name].items():
            assert want[key] == pytest.approx(value), (name, key)
        for key in ("lr_r", "lr_g", "context_filter"):
            assert want[key] == getattr(d, key)
        for key, value in want.items():
            assert getattr(g, key) == pytest.approx(value, rel=1e-6), (name, key)
        assert bp.matches(g, name)
        cfg = grc.api.new_job(bpy.context.scene).config   # what Train would run
        for key, value in want.items():
            assert getattr(cfg, key) == pytest.approx(value, rel=1e-6), (name, key)
    g.steps += 1
    assert not bp.matches(g, "BALANCED")


def _all_property_owners():
    props = mod("grc_blender.props")
    ops = mod("operators")
    prefs = mod("grc_blender.preferences")
    return [*props.CLASSES, *prefs.CLASSES,
            *[c for c in ops.CLASSES if issubclass(c, bpy.types.Operator)]]


def _rna(cls):
    """The RNA an artist sees: an operator's own properties, a group's declared ones."""
    if issubclass(cls, bpy.types.Operator):
        mod_name, op = cls.bl_idname.split(".")
        return getattr(getattr(bpy.ops, mod_name), op).get_rna_type()
    return cls.bl_rna


def test_every_property_and_operator_has_a_tooltip():
    missing = []
    for cls in _all_property_owners():
        rna = _rna(cls)
        if issubclass(cls, bpy.types.Operator) and not rna.description:
            missing.append(cls.__name__)
        for prop in rna.properties:
            if prop.identifier in ("rna_type", "name", "bl_idname"):
                continue
            if not prop.description.strip():
                missing.append(f"{cls.__name__}.{prop.identifier}")
    assert not missing, missing


def test_no_label_says_seed_for_the_article():
    texts = []
    for cls in _all_property_owners():
        texts.append(getattr(cls, "bl_label", ""))
        for prop in _rna(cls).properties:
            texts.append(prop.name)
    for text in texts:
        if "seed" in text.lower():
            assert text == "Random Seed", text
    g = bpy.types.Scene.bl_rna.properties["grc"].fixed_type.properties
    assert g["literal"].name == "Original Method (Slow)" and g["seed"].name == "Random Seed"
    assert "article" in g["literal"].description       # the seed's term, in the tooltip


# ---- the loss curve ------------------------------------------------------------------------------

def _color_pixels(rgba, color) -> int:
    return int(np.sum(np.all(np.abs(rgba[..., :3] - np.asarray(color)) < 2 / 255, axis=-1)))


def test_loss_curve_image_while_and_after_training(grc, tmp_path):
    loss_image = mod("grc_blender.views.loss_image")
    loss_plot = mod("model_core.plots.loss_plot")
    scene = bpy.context.scene
    add_example_and_capture()
    g = model_of(scene)
    # no early stop: the training runs until cancelled (it meets the target within a few checks)
    job = grc.api.start_training(scene, steps=100_000, template_steps=400, check_every=0)
    try:
        seen = []
        for _ in range(400):
            grc.api.follow_training(job)
            if len(g.loss_curve) >= 4:
                seen.append(len(g.loss_curve))
                if len(seen) > 1 and seen[-1] > seen[0]:
                    break
            job.finished.wait(0.05)
        assert len(seen) > 1 and seen[-1] > seen[0], "the curve did not grow while training"
        rgba = loss_image.pixels()
        assert rgba.shape == (loss_image.HEIGHT, loss_image.WIDTH, 4)
        assert _color_pixels(rgba, loss_plot.LOSS_COLORS["template"]) > 20
    finally:
        grc.api.cancel_training()
        job.finished.wait(30)
    grc.jobs.release(job)
    grc.api.land(job)     # cancelled: the curve so far stays in the scene
    train_quick(steps=300, template_steps=100)
    names = {p.name for p in g.loss_curve}
    assert names == {"template", "gen", "rel"}
    # 400 planned; a training that misses the target runs a second cycle of 2/3 its steps
    assert g.loss_total in (400, 600)
    steps = [p.step for p in g.loss_curve if p.name == "gen"]
    assert steps == sorted(steps) and steps[-1] == g.loss_total
    rgba = loss_image.pixels()
    for name in ("template", "gen", "rel"):
        assert _color_pixels(rgba, loss_plot.LOSS_COLORS[name]) > 20, name
    assert "shape" in g.loss_text and "context" in g.loss_text
    # An early stop's closing report (the last losses repeated at the planned total) is not
    # drawn as a flat line over steps never run.
    s, v = loss_image.without_final_repeat(np.array([0, 10, 20, 30, 100]), np.arange(5.0))
    assert list(s) == [0, 10, 20, 30] and list(v) == [0, 1, 2, 3]
    s, _ = loss_image.without_final_repeat(np.array([0, 10, 20, 30]), np.arange(4.0))
    assert list(s) == [0, 10, 20, 30]
    # Kept after it: saved, reopened, drawn again from the scene's numbers.
    values = [(p.name, p.step, p.value) for p in g.loss_curve]
    path = tmp_path / "curve.blend"
    assert bpy.ops.wm.save_as_mainfile(filepath=str(path)) == {'FINISHED'}
    bpy.ops.wm.read_homefile(use_empty=True)
    assert loss_image.panel_icon(active_model()) == 0         # an empty scene: no model
    bpy.ops.wm.open_mainfile(filepath=str(path))
    g = model_of(bpy.context.scene)
    assert [(p.name, p.step, p.value) for p in g.loss_curve] == values
    renders = loss_image.renders
    loss_image.panel_icon(active_model())       # the panel's draw: renders (background: now)
    assert loss_image.renders == renders + 1
    assert _color_pixels(loss_image.pixels(), loss_plot.LOSS_COLORS["gen"]) > 20


# ---- Show Error and the ghost ---------------------------------------------------------------------

def _attr(obj, name) -> np.ndarray:
    a = obj.data.attributes[name]
    n = len(a.data)
    if a.data_type == 'FLOAT_COLOR':
        out = np.empty(n * 4, np.float32)
        a.data.foreach_get("color", out)
        return out.reshape(n, 4)
    out = np.empty(n, np.float32)
    a.data.foreach_get("value", out)
    return out


def test_show_error_matches_fidelity_numbers(grc):
    error_view = mod("grc_blender.views.error_view")
    add_example_and_capture()
    train_quick()
    scene = bpy.context.scene
    g = model_of(scene)
    cap = grc.store.get_captured(active_model(scene))
    k_count, t_count = cap.shape[:2]
    before = set(bpy.data.objects)
    for k in range(k_count):
        errs = []
        for t in range(t_count):
            assert bpy.ops.grc.show_error(template=k, keyframe=t) == {'FINISHED'}
            obj = bpy.context.active_object
            assert obj is g.error_object and not obj.grc.is_petal
            color = obj.data.attributes[error_view.ATTR_COLOR]
            assert (color.data_type, color.domain) == ('FLOAT_COLOR', 'POINT')
            assert obj.data.color_attributes.active_color.name == error_view.ATTR_COLOR
            dist = _attr(obj, error_view.ATTR_DISTANCE)
            assert dist.shape == (cap.shape[2] * cap.shape[3],)
            assert g.error_mean == pytest.approx(dist.mean(), rel=1e-5)
            assert g.error_max == pytest.approx(dist.max(), rel=1e-5)
            errs.append(dist)
            # the worst vertex's colour is the hottest of the preview
            rgba = _attr(obj, error_view.ATTR_COLOR)
            assert rgba[np.argmax(dist), 0] == pytest.approx(rgba[:, 0].max())
        errs = np.concatenate(errs)
        fid = g.fidelity[k]
        model = grc.store.get_model(active_model(scene))
        # The fidelity numbers were read in the training thread; on this 60-step model (refit
        # weights up to about 20) the float32 petals read there and here differed by 1.7e-6
        # of the template's size, 1.2e-4 of its mean error.
        near = 1e-5 * model.errors[k]["diag"]
        assert errs.mean() == pytest.approx(fid.mean, rel=1e-4, abs=near), k
        assert errs.max() == pytest.approx(fid.max, rel=1e-4, abs=near), k
        assert errs.mean() == pytest.approx(model.errors[k]["mean"], rel=1e-4, abs=near)
    assert len(set(bpy.data.objects) - before) == 1, "the preview is reused, not multiplied"
    # Solid views show attribute colours
    shadings = [s.shading for w in bpy.context.window_manager.windows for a in w.screen.areas
                if a.type == 'VIEW_3D' for s in a.spaces if s.type == 'VIEW_3D'
                and s.shading.type == 'SOLID']
    assert all(s.color_type == 'VERTEX' for s in shadings)


def test_show_error_keyframe_and_leaves_artist_data(grc):
    error_view = mod("grc_blender.views.error_view")
    add_example_and_capture()
    train_quick()
    scene = bpy.context.scene
    g = model_of(scene)
    cap = grc.store.get_captured(active_model(scene))
    assert bpy.ops.grc.show_error(template=1, keyframe=2) == {'FINISHED'}
    assert (g.error_template, g.error_keyframe) == (1, 2)
    assert int(cap.frames[2]) > 0
    first = g.error_object
    # The artist shares the preview's mesh: it is theirs now, a new preview is made.
    other = bpy.data.objects.new("artist", first.data)
    scene.collection.objects.link(other)
    co = np.empty(len(first.data.vertices) * 3, np.float32)
    first.data.vertices.foreach_get("co", co)
    assert bpy.ops.grc.show_error(template=0, keyframe=0) == {'FINISHED'}
    assert g.error_object is not first
    after = np.empty_like(co)
    first.data.vertices.foreach_get("co", after)
    np.testing.assert_array_equal(co, after)
    # Captured again in another order: the model no longer matches, said plainly.
    assert bpy.ops.grc.move_template(direction='DOWN') == {'FINISHED'}
    with pytest.raises(grc.model_core.GRCError, match="not the ones the model was trained on"):
        grc.api.show_error(scene, 0, 0)
    assert error_view.ghost_grid(scene) is None


def test_ghost_lines_and_handler(grc):
    ghost = mod("grc_blender.views.ghost")
    assert ghost.handle() is not None
    grid = np.random.default_rng(0).normal(size=(3, 4, 3))
    lines = ghost.ghost_lines(grid)
    assert lines.shape == (2 * (3 * 3 + 4 * 2), 3) and lines.dtype == np.float32
    pairs = lines.reshape(-1, 2, 3)
    expected = [(grid[r, c], grid[r, c + 1]) for r in range(3) for c in range(3)]
    expected += [(grid[r, c], grid[r + 1, c]) for r in range(2) for c in range(4)]
    np.testing.assert_allclose(pairs, np.array(expected), atol=1e-6)
    m = np.eye(4)
    m[:3, :3] *= 2.0
    m[:3, 3] = (1.0, -2.0, 3.0)
    np.testing.assert_allclose(ghost.ghost_lines(grid, m), lines * 2 + m[:3, 3], atol=1e-5)
    # In a scene: the captured shape at the preview's keyframe, placed like the preview.
    scene = bpy.context.scene
    assert ghost.scene_lines(scene) is None
    add_example_and_capture()
    train_quick()
    assert bpy.ops.grc.show_error(template=1, keyframe=3) == {'FINISHED'}
    obj = model_of(scene).error_object
    cap = grc.store.get_captured(active_model(scene))
    want = ghost.ghost_lines(cap.coords[1, 3], [list(r) for r in obj.matrix_world])
    np.testing.assert_allclose(ghost.scene_lines(scene), want, atol=1e-5)
    assert not np.allclose(obj.location, 0) or True
    model_of(scene).error_ghost = False
    assert ghost.scene_lines(scene) is None


# ---- text, menus, translations ------------------------------------------------------------------

def test_wrap_lines():
    wrap = mod("grc_blender.util.wrap")
    text = ("Train needs PyTorch, which this install lacks: install grc-0.1.0-linux_x64.zip "
            "(torch bundled; README, Install) in place of grc-0.1.0.zip.")
    for width, scale in ((200, 1.0), (300, 1.0), (300, 2.0), (900, 1.0)):
        lines = wrap.wrap_lines(text, width, scale)
        n = wrap.chars_per_line(width, scale)
        assert all(len(line) <= n or " " not in line for line in lines)   # words stay whole
        assert " ".join(lines).split() == text.split()
    assert len(wrap.wrap_lines(text, 200)) > len(wrap.wrap_lines(text, 900)) >= 1
    assert wrap.wrap_lines("", 300) == [""]
    calls = []
    layout = SimpleNamespace(label=lambda **kw: calls.append(kw))
    layout.column = lambda **kw: layout
    ctx = SimpleNamespace(region=SimpleNamespace(width=220), preferences=None)
    wrap.label(layout, ctx, text, icon='ERROR')
    assert len(calls) > 2 and calls[0]["icon"] == 'ERROR' and calls[1]["icon"] == 'NONE'


def test_every_operator_is_in_a_menu():
    ops = mod("operators")
    menus = mod("operators.menus")
    found = []

    class Rec:
        def operator(self, idname, **kw):
            found.append(idname)
            return SimpleNamespace()

        def separator(self):
            pass

        def menu(self, idname, **kw):
            found.append(idname)

    rec = Rec()
    menus.GRC_MT_object.draw(SimpleNamespace(layout=rec), bpy.context)
    menus.menu_mesh_add(SimpleNamespace(layout=rec), bpy.context)
    menus.menu_object(SimpleNamespace(layout=rec), bpy.context)
    idnames = {c.bl_idname for c in ops.CLASSES if issubclass(c, bpy.types.Operator)}
    assert idnames <= set(found), idnames - set(found)
    assert "GRC_MT_object" in found
    assert "menu_object" in [f.__name__ for f in bpy.types.VIEW3D_MT_object._dyn_ui_initialize()]
    assert "menu_mesh_add" in [f.__name__ for f in bpy.types.VIEW3D_MT_mesh_add._dyn_ui_initialize()]
    assert hasattr(bpy.types, "GRC_MT_object")


def _source_texts() -> set[str]:
    """Literals given to tip()/iface()/the poll helpers, and static text= of layouts."""
    out = set()
    positions = {"tip": 0, "iface": 0, "refuse": 1, "not_training": 1, "captured": 2}
    for pkg in ("grc_blender", "operators", "panels"):
        for path in (ROOT / pkg).glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call):
                    continue
                f = node.func
                name = f.id if isinstance(f, ast.Name) else getattr(f, "attr", "")
                pos = positions.get(name)
                if pos is not None and len(node.args) > pos:
                    a = node.args[pos]
                    if isinstance(a, ast.Constant) and isinstance(a.value, str):
                        out.add(a.value)
                if name in ("label", "operator", "prop", "menu"):
                    for kw in node.keywords:
                        if kw.arg == "text" and isinstance(kw.value, ast.Constant) and kw.value.value:
                            out.add(kw.value.value)
    return out


def test_translations_registered_with_english_source():
    i18n = mod("grc_blender.util.i18n")
    assert PACKAGE in i18n.registered()
    texts = _source_texts()
    assert len(texts) > 30
    missing = texts - set(i18n.MESSAGES)
    assert not missing, missing
    pkg = importlib.import_module(PACKAGE)
    source = i18n.source_dict(pkg.CLASSES)["en_US"]
    assert all(k[1] == v for k, v in source.items())
    assert ("Operator", "Show Error") in source
    assert ("*", "Original Method (Slow)") in source
    # Dynamic text goes through pgettext (the English source comes back unchanged).
    assert i18n.tip("No training is running") == "No training is running"


def test_panels_draw_with_the_error_preview_and_loss_curve(grc):
    """Every panel draws (against real RNA) once a curve and an error preview exist."""
    add_example_and_capture()
    train_quick()
    assert bpy.ops.grc.show_error(template=0, keyframe=2) == {'FINISHED'}
    drawn = {}
    draw_all_panels("error preview", drawn)
    assert "error preview" in drawn["GRC_PT_train_fidelity"]
