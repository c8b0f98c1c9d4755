"""Issue 24: the sidebar read as an artist reads it. Every panel is drawn through its draw()
with a recording layout in each state, and the rules are checked on what it drew: words an
artist uses, the main controls first, setup that folds once a model is trained, extrapolation
as a note (never an ERROR icon), a flower's petal labelled as it behaves; operator labels
start with a verb, settings cannot be keyframed, the tab is the product's name."""
from __future__ import annotations

import importlib
import re
from types import SimpleNamespace

import bpy
import numpy as np
import pytest

from blender_helpers import (active_model, PACKAGE, add_example_and_capture, grid_coords, make_template,
                             select_only, train_quick)
from test_panels import OperatorProps

VERBS = {"Add", "Make", "Capture", "Move", "Train", "Cancel", "Show", "Reset", "Bake", "Remove",
         "Duplicate", "Use", "Separate", "Scatter"}
# The seed's and the builders' words the sidebar must not show (tooltips may).
JARGON = ("Indexes", "Morphology", "Article", "Context Pull", " pad", "Loss:", "alpha",
          "extrapolat", "trained range")


def mod(name):
    return importlib.import_module(f"{PACKAGE}.{name}")


def model_settings(scene):
    """The active model's settings (templates, training, status, error view)."""
    return mod("grc_blender.access").active_model_settings(scene)


class Rec:
    """A recording layout: every call as a dict (what, text, icon, prop, the layout's
    enabled flag); containers share the record, layout.panel() gives (header, body)."""

    def __init__(self, calls, parent_enabled=True):
        object.__setattr__(self, "calls", calls)
        object.__setattr__(self, "parent_enabled", parent_enabled)

    def _enabled(self):
        return self.parent_enabled and self.__dict__.get("enabled", True)

    def __getattr__(self, name):
        def method(*args, **kw):
            entry = dict(what=name, text=kw.get("text"), icon=kw.get("icon", 'NONE'),
                         enabled=self._enabled(), args=args, kw=kw)
            if name == "prop":
                data, prop = args[:2]
                assert prop in data.bl_rna.properties.keys(), f"{data} has no {prop}"
                entry["prop"] = prop
                if entry["text"] is None:
                    entry["text"] = data.bl_rna.properties[prop].name
            self.calls.append(entry)
            if name == "panel":
                return Rec(self.calls, self._enabled()), Rec(self.calls, self._enabled())
            if name in ("row", "column", "box", "split", "column_flow", "grid_flow"):
                return Rec(self.calls, self._enabled())
            if name == "operator":
                entry["op"] = args[0]
                if entry["text"] is None:
                    mod_name, op = args[0].split(".")
                    entry["text"] = getattr(getattr(bpy.ops, mod_name), op).get_rna_type().name
                return OperatorProps(args[0])
            return None
        return method


def draw(panel_name: str) -> list[dict]:
    """What the panel draws now ([] if its poll says no)."""
    cls = getattr(mod("panels"), panel_name)
    ctx = SimpleNamespace(scene=bpy.context.scene, active_object=bpy.context.active_object,
                          object=bpy.context.active_object, region=None, preferences=None)
    if hasattr(cls, "poll") and not cls.poll(ctx):
        return []
    calls: list[dict] = []
    cls.draw(SimpleNamespace(layout=Rec(calls)), ctx)
    return calls


def texts(calls) -> list[str]:
    return [c["text"] for c in calls if c["text"]]


def draw_everything() -> dict[str, list[dict]]:
    panels = [c.__name__ for c in mod("panels").CLASSES if issubclass(c, bpy.types.Panel)]
    return {name: draw(name) for name in panels}


def _icons() -> set[str]:
    fn = bpy.types.UILayout.bl_rna.functions["label"]
    return {i.identifier for i in fn.parameters["icon"].enum_items}


def check_words(drawn: dict[str, list[dict]]) -> None:
    icons = _icons()
    for name, calls in drawn.items():
        for c in calls:
            assert c["icon"] in icons, (name, c["icon"])
        for text in texts(calls):
            for word in JARGON:
                assert word.lower() not in text.lower(), (name, word, text)


def index_of(calls, **match) -> int:
    for i, c in enumerate(calls):
        if all(c.get(k) == v for k, v in match.items()):
            return i
    raise AssertionError(f"nothing drawn matches {match}: {[c.get('text') for c in calls]}")


# ---- the whole path, panel by panel ------------------------------------------------------------

def test_sidebar_path_in_an_artists_words(grc):
    scene = bpy.context.scene
    check_words(draw_everything())                          # an empty file
    add_example_and_capture()
    drawn = draw_everything()
    check_words(drawn)
    setup = drawn["GRC_PT_templates"][index_of(drawn["GRC_PT_templates"], what="panel")]
    assert setup["args"][0] == mod("panels.templates").SETUP_OPEN and not setup["kw"]["default_closed"]
    train_quick()
    drawn = draw_everything()
    check_words(drawn)
    # Set-up done: a one-line summary, and the setup starts closed (its own layout-panel id)
    tpl = drawn["GRC_PT_templates"]
    first = next(c for c in tpl if c["what"] == "label")
    assert first["icon"] == 'CHECKMARK' and first["text"].startswith("Captured:"), first
    assert index_of(tpl, what="label") < index_of(tpl, what="panel")
    setup = tpl[index_of(tpl, what="panel")]
    assert setup["args"][0] == mod("panels.templates").SETUP_DONE and setup["kw"]["default_closed"]
    curve = drawn["GRC_PT_train"][index_of(drawn["GRC_PT_train"], what="panel")]
    assert curve["kw"]["default_closed"]
    # one duration: the status and the model's summary say the same seconds
    g = model_settings(scene)
    status = re.findall(r"(\d+\.\d) s", g.status)
    summary = re.findall(r"(\d+\.\d) s", g.model_summary)
    assert status and status == summary, (g.status, g.model_summary)
    # a 60-step training ends short of the target: the rescue's wider layer, and the status says so
    model = mod("grc_blender.store").get_model(active_model(scene))
    assert model.meta["rescued"] and "wider layer" in g.status, (model.meta.get("rescued"), g.status)
    # a petal beyond the templates: the Context slider leads; extrapolation is a note
    assert bpy.ops.grc.add_petal() == {'FINISHED'}
    petal = bpy.context.active_object
    petal.grc.context = 1.6
    calls = draw("GRC_PT_petal")
    check_words({"GRC_PT_petal": calls})
    first_prop = next(c for c in calls if c["what"] == "prop")
    assert first_prop["prop"] == "context" and first_prop["text"] == "Context"
    order = [index_of(calls, prop="context"), index_of(calls, prop="time"),
             index_of(calls, prop="offset"), index_of(calls, op="grc.add_petal")]
    assert order == sorted(order), order
    note = calls[index_of(calls, text="Beyond the templates: new shapes")]
    assert note["icon"] == 'INFO'
    assert not [c for c in calls if c["icon"] == 'ERROR'], "extrapolation drawn as an error"
    assert any("past the templates" in t for t in texts(calls)), texts(calls)
    petal.grc.context = 0.5
    calls = draw("GRC_PT_petal")
    assert "Beyond the templates: new shapes" not in texts(calls)


def test_a_flower_petal_says_what_drives_it(grc):
    add_example_and_capture()
    train_quick()
    root, _made = grc.api.add_petal_flower(bpy.context.scene,
                                           layout=grc.api.FlowerLayout(petals=3))
    petal = next(c for c in root.children if c.grc.is_petal)
    select_only(petal)
    calls = draw("GRC_PT_petal")
    ctx = calls[index_of(calls, prop="context")]
    assert ctx["text"] == "Context Offset"
    time = calls[index_of(calls, prop="time")]
    assert time["text"] == "Time (from Bloom)" and not time["enabled"]
    assert index_of(calls, prop="context") < index_of(calls, prop="time")
    # the Flower panel: its Bloom and Context first, the buttons last
    calls = draw("GRC_PT_flower")
    props = [c["prop"] for c in calls if c["what"] == "prop"]
    assert props[:2] == ["bloom", "context"] and props[-2:] == ["merge_petals", "model"], props
    assert index_of(calls, prop="merge_petals") < index_of(calls, op="grc.add_flower")
    # a single petal: plain labels, Time editable
    assert bpy.ops.grc.add_petal() == {'FINISHED'}
    calls = draw("GRC_PT_petal")
    time = calls[index_of(calls, prop="time")]
    assert time["text"] == "Time" and time["enabled"]
    tips = bpy.types.Object.bl_rna.properties["grc"].fixed_type.properties
    assert "flower's Context" in tips["context"].description
    assert "Bloom" in tips["time"].description


def test_three_templates_default_petal_is_amid_them(grc):
    """With three templates (a 2-D context) the first petal added with the defaults sits
    amid the templates: no note; the tooltip speaks of three or more templates."""
    scene = bpy.context.scene
    objs = [make_template(f"T{k}", grid_coords(5, 4, times=3, seed=k)) for k in range(3)]
    grc.api.capture_templates(bpy.context, objs)
    train_quick(steps=150, template_steps=150)
    assert model_settings(scene).model_context_dims == 2
    assert bpy.ops.grc.add_petal() == {'FINISHED'}
    petal = bpy.context.active_object
    model = grc.store.get_model(active_model(scene))
    pads = np.array([model.template_context(k) for k in range(3)])
    np.testing.assert_allclose((petal.grc.context, petal.grc.context_b), pads.mean(axis=0),
                               atol=1e-6)
    calls = draw("GRC_PT_petal")
    assert "Beyond the templates: new shapes" not in texts(calls), texts(calls)
    assert "Where each template sits (Context, Context B):" in texts(calls)
    assert [c["prop"] for c in calls if c["what"] == "prop"][:2] == ["context", "context_b"]
    tip = bpy.types.Object.bl_rna.properties["grc"].fixed_type.properties["context"].description
    assert "Three or more" in tip and "0 is the first" in tip


# ---- Blender's conventions ------------------------------------------------------------------

def test_operator_labels_start_with_a_verb():
    ops = mod("operators")
    for cls in ops.CLASSES:
        if issubclass(cls, bpy.types.Operator):
            first = cls.bl_label.split()[0]
            assert first in VERBS, f"{cls.bl_idname}: '{cls.bl_label}' does not start with a verb"
            assert "GRC" not in cls.bl_label, cls.bl_label


def _groups(rna, seen=None):
    """A PropertyGroup's RNA and every group it holds (pointers to groups, collections)."""
    seen = seen if seen is not None else set()
    if rna.identifier in seen:
        return []
    seen.add(rna.identifier)
    out = [rna]
    for prop in rna.properties:
        fixed = getattr(prop, "fixed_type", None)
        if prop.type in ('POINTER', 'COLLECTION') and fixed is not None and \
                getattr(fixed.base, "identifier", "") == "PropertyGroup":
            out += _groups(fixed, seen)
    return out


ANIMATED = {"context", "context_b", "time", "offset", "rows", "bloom", "delay",
            # a one-object flower's layout values (not its counts, seed or arrangement)
            "tilt", "tilt_step", "scale_step", "overlap", "context_jitter", "delay_jitter",
            "offset_jitter", "scale_jitter", "rotation_jitter"}


def test_settings_cannot_be_keyframed():
    scene_groups = _groups(bpy.types.Scene.bl_rna.properties["grc"].fixed_type)
    assert {"GRCFidelity", "GRCLossPoint", "GRCTemplateEntry"} <= \
        {g.identifier for g in scene_groups}, "the walk reaches the nested groups"
    keyable = [f"{g.identifier}.{p.identifier}" for g in scene_groups for p in g.properties
               if p.identifier != "rna_type" and p.is_animatable and p.identifier != "name"]
    assert not keyable, keyable
    for name in ("preset", "steps", "seed", "literal", "context_dims", "capture_frames"):
        assert not bpy.types.Scene.bl_rna.properties["grc"].fixed_type.properties[name].is_animatable
    obj = bpy.types.Object.bl_rna.properties["grc"].fixed_type
    animated = {p.identifier for p in obj.properties if p.is_animatable
                and p.identifier not in ("rna_type", "name")}
    assert animated == ANIMATED & {p.identifier for p in obj.properties}, animated


def test_tab_and_add_menu(grc):
    base = mod("panels.base")
    assert base.CATEGORY == "GRC Petals"
    for cls in mod("panels").CLASSES:
        if issubclass(cls, bpy.types.Panel):
            assert cls.bl_category == base.CATEGORY, cls
    calls: list[dict] = []
    mod("operators.menus").menu_mesh_add(SimpleNamespace(layout=Rec(calls)), bpy.context)
    assert calls[0]["what"] == "separator"
    assert [c["text"] for c in calls[1:]] == ["Petal Template", "Example Petal Templates",
                                               "Petal", "Flower"]


def test_add_petal_says_it_turned_on_lock_interface(grc, capfd):
    add_example_and_capture()
    train_quick()
    scene = bpy.context.scene
    scene.render.use_lock_interface = False
    capfd.readouterr()
    assert bpy.ops.grc.add_petal() == {'FINISHED'}
    assert scene.render.use_lock_interface
    assert "turned on Render > Lock Interface" in capfd.readouterr().out
    assert bpy.ops.grc.add_petal() == {'FINISHED'}          # already on: nothing to say
    assert "Lock Interface" not in capfd.readouterr().out


# ---- templates: the frame of each key, variants --------------------------------------------------

def test_template_keys_show_their_frames_and_new_template_jumps_to_its_key(grc):
    scene = bpy.context.scene
    scene.frame_set(1)
    a = grc.api.new_template(bpy.context, times=4, frame_step=6)
    assert a.active_shape_key.name == "time 1.00"
    assert scene.frame_current == 1 + 3 * 6                  # the active key's frame
    assert a.active_shape_key.value == 1.0                   # shown alone there
    calls = draw("GRC_PT_template_info")
    shown = texts(calls)
    for k, name in enumerate(("time 0.00", "time 0.33", "time 0.67", "time 1.00")):
        i = shown.index(name)
        assert shown[i + 1].startswith(f"frame {1 + 6 * k}"), shown
    assert "frame 19 (current frame)" in shown
    active = calls[index_of(calls, text="time 1.00")]
    assert active["icon"] == 'RADIOBUT_ON'
    # the variant: named after its source, on its active key's frame, after it in capture
    scene.frame_set(2)
    a.name = "Petal B Cup"
    other = grc.api.new_template(bpy.context, times=4, frame_step=6)
    other.name = "Petal C"
    select_only(a)
    assert bpy.ops.grc.new_variant() == {'FINISHED'}
    v = bpy.context.active_object
    assert v.name == "Petal B Cup Variant" and scene.frame_current == 19
    select_only(a)
    assert bpy.ops.grc.new_variant() == {'FINISHED'}
    assert bpy.context.active_object.name == "Petal B Cup Variant 2"
    cap = grc.api.capture_templates(bpy.context, [other, v, a])
    assert cap.names == ["Petal B Cup", "Petal B Cup Variant", "Petal C"]


def test_variant_unavailable_without_an_active_template(grc):
    with pytest.raises(RuntimeError, match="Make a template active"):
        bpy.ops.grc.new_variant()
    assert not bpy.ops.grc.new_variant.poll()
    bpy.ops.mesh.primitive_cube_add()
    assert not bpy.ops.grc.new_variant.poll()
    with pytest.raises(RuntimeError, match="'Cube' is not a template with shape keys"):
        bpy.ops.grc.new_variant()
    grc.api.new_template(bpy.context)
    assert bpy.ops.grc.new_variant.poll()
    calls = draw("GRC_PT_templates")
    variant = calls[index_of(calls, op="grc.new_variant")]
    assert variant["text"] == "Variant"


# ---- Show Error ------------------------------------------------------------------------------------

def test_show_error_opens_on_the_worst_keyframe_and_never_renders(grc):
    add_example_and_capture()
    train_quick()
    scene = bpy.context.scene
    model, cap = grc.store.get_model(active_model(scene)), grc.store.get_captured(active_model(scene))
    for k in range(cap.shape[0]):
        t = len(cap.times)
        gen = model.generate_many(cap.times, np.repeat([model.template_context(k)], t, axis=0),
                                  np.zeros(t))
        worst = np.linalg.norm(gen - cap.coords[k], axis=-1).reshape(t, -1).max(axis=1)
        assert bpy.ops.grc.show_error(template=k) == {'FINISHED'}
        g = model_settings(scene)
        assert g.error_keyframe == int(np.argmax(worst)), (k, worst)
        assert g.error_max == pytest.approx(worst.max(), rel=1e-4)
        assert worst[0] < worst.max()             # not the shared bud
        assert g.error_object.hide_render
    # the preview stays out of renders even when reused
    g.error_object.hide_render = False
    assert bpy.ops.grc.show_error(template=0, keyframe=1) == {'FINISHED'}
    assert g.error_object.hide_render and g.error_keyframe == 1
    calls = draw("GRC_PT_train_fidelity")
    assert any(f"frame {cap.frames[1]:g}" in t for t in texts(calls)), texts(calls)
