"""Every panel's draw() runs against the real registered properties in each state
(no templates, templates, training, trained), with a recording layout stub."""
from __future__ import annotations

import importlib
from types import SimpleNamespace

import bpy
import pytest

from blender_helpers import PACKAGE, add_example_and_capture, train_quick, model_of

CONTAINERS = {"row", "column", "box", "split", "column_flow", "grid_flow", "panel"}


class OperatorProps:
    def __init__(self, idname):
        mod, name = idname.split(".")
        self._rna = getattr(getattr(bpy.ops, mod), name).get_rna_type()

    def __setattr__(self, key, value):
        if key != "_rna":
            assert key in self._rna.properties.keys(), f"operator has no property {key}"
        object.__setattr__(self, key, value)


class Layout:
    """Records calls; checks every prop/operator/template_list against real RNA."""

    def __init__(self, calls, with_progress=True):
        object.__setattr__(self, "calls", calls)
        object.__setattr__(self, "with_progress", with_progress)

    def __getattr__(self, name):
        if name == "progress" and not self.with_progress:
            raise AttributeError(name)

        def method(*args, **kw):
            self.calls.append((name, args, kw))
            if name == "panel":          # layout.panel(): (header, body), body None if closed
                return Layout(self.calls, self.with_progress), Layout(self.calls,
                                                                      self.with_progress)
            if name in CONTAINERS:
                return Layout(self.calls, self.with_progress)
            if name == "prop":
                data, prop = args[:2]
                assert prop in data.bl_rna.properties.keys(), f"{data} has no {prop}"
            if name == "operator":
                idname = args[0]
                mod, op = idname.split(".")
                assert hasattr(getattr(bpy.ops, mod), op), idname
                return OperatorProps(idname)
            if name == "template_list":
                list_id, _, data, coll, active, active_prop = args[:6]
                assert hasattr(bpy.types, list_id)
                assert coll in data.bl_rna.properties and active_prop in active.bl_rna.properties
            return None
        return method


def _panels():
    mod = importlib.import_module(PACKAGE + ".panels")
    return [c for c in mod.CLASSES if issubclass(c, bpy.types.Panel)], \
        [c for c in mod.CLASSES if issubclass(c, bpy.types.UIList)]


def _draw_all(state, drawn, with_progress=True):
    panels, lists = _panels()
    ctx = SimpleNamespace(scene=bpy.context.scene, active_object=bpy.context.active_object,
                          object=bpy.context.active_object)
    for cls in panels:
        assert cls.bl_space_type == 'VIEW_3D' and cls.bl_region_type == 'UI'
        assert cls.bl_category == "GRC Petals"
        if hasattr(cls, "poll") and not cls.poll(ctx):
            continue
        calls = []
        cls.draw(SimpleNamespace(layout=Layout(calls, with_progress)), ctx)
        drawn.setdefault(cls.__name__, set()).add(state)
        assert calls, f"{cls.__name__} drew nothing in state {state}"
    g = model_of(bpy.context.scene)
    sg = bpy.context.scene.grc
    for cls in lists:           # each list with the items it shows
        data, items, index = ((sg, sg.models, "active_model_index") if "models" in cls.__name__
                              else (g, g.templates if g else (), "template_index"))
        for i, item in enumerate(items):
            calls = []
            cls.draw_item(cls, ctx, Layout(calls), data, item, 0, data, index, i)
            assert calls


@pytest.mark.parametrize("with_progress", [True, False])
def test_every_panel_draws_in_every_state(grc, with_progress):
    drawn = {}
    _draw_all("no templates", drawn, with_progress)
    add_example_and_capture()
    _draw_all("templates", drawn, with_progress)
    g = model_of(bpy.context.scene)
    g.is_training, g.progress, g.loss_text = True, 0.4, "gen 0.1  rel 0.2"
    _draw_all("training", drawn, with_progress)
    g.is_training = False
    train_quick()
    _draw_all("trained", drawn, with_progress)
    assert bpy.ops.grc.add_petal() == {'FINISHED'}
    _draw_all("petal", drawn, with_progress)
    g.model_context_dims = 2
    _draw_all("petal 2-D", drawn, with_progress)
    panels, _ = _panels()
    assert {c.__name__ for c in panels} == set(drawn), set(c.__name__ for c in panels) - set(drawn)
    assert "training" in drawn["GRC_PT_train"] and "trained" in drawn["GRC_PT_train_fidelity"]
    assert "petal" in drawn["GRC_PT_petal_shape"]


def test_panels_registered_in_sidebar():
    for name in ("GRC_PT_templates", "GRC_PT_train", "GRC_PT_petal"):
        cls = getattr(bpy.types, name)
        assert cls.bl_category == "GRC Petals"
    # Add > Mesh menu entry
    funcs = [f.__name__ for f in bpy.types.VIEW3D_MT_mesh_add._dyn_ui_initialize()]
    assert "menu_mesh_add" in funcs
