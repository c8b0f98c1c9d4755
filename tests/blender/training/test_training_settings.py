"""Registered properties: training defaults come from model_core.TrainConfig (torch-free),
keyframeable petal properties."""
from __future__ import annotations

import importlib
from types import SimpleNamespace

import bpy

from blender_helpers import PACKAGE, run_fresh_python, model_of

# Scene.grc settings that start at TrainConfig's defaults (operators/train.py sends the
# ones the user changed as overrides).
TRAIN_SETTINGS = ("steps", "template_steps", "lr_r", "lr_g", "context_filter", "fixed_units")


def _assert_defaults_match(rna_defaults: dict, cfg) -> None:
    for name in TRAIN_SETTINGS:
        want = getattr(cfg, name)
        # FloatProperty stores float32: compare to float32 precision.
        assert abs(rna_defaults[name] - want) <= 1e-6 * abs(want), (name, rna_defaults[name], want)
    assert rna_defaults["context_dims"] == str(cfg.context_dims)


def test_train_defaults_are_train_config():
    config = importlib.import_module(PACKAGE + ".model_core.config")
    model_core = importlib.import_module(PACKAGE + ".model_core")
    props = importlib.import_module(PACKAGE + ".grc_blender.props")
    assert model_core.TrainConfig is config.TrainConfig
    cfg = config.TrainConfig()
    rna = bpy.types.Text.bl_rna.properties["grc_model"].fixed_type.properties
    _assert_defaults_match({n: rna[n].default for n in TRAIN_SETTINGS + ("context_dims",)}, cfg)
    # The operator's "unchanged setting" test compares against exactly these values.
    for name in TRAIN_SETTINGS:
        assert props.TRAIN_DEFAULTS[name] == getattr(cfg, name), name
    # A new model's settings hold the defaults too (not only the RNA declaration).
    assert bpy.ops.grc.add_model() == {'FINISHED'}
    g = model_of(bpy.context.scene)
    _assert_defaults_match({n: getattr(g, n) for n in TRAIN_SETTINGS + ("context_dims",)}, cfg)


def test_enable_reads_defaults_without_torch():
    """Fresh process: enabling builds the panel defaults from TrainConfig, imports no torch."""
    result = run_fresh_python(f"""
import json, sys
import bpy, addon_utils
assert "torch" not in sys.modules
addon_utils.enable({PACKAGE!r}, default_set=True)
rna = bpy.types.Text.bl_rna.properties["grc_model"].fixed_type.properties
names = {TRAIN_SETTINGS + ("context_dims",)!r}
defaults = {{n: rna[n].default for n in names}}
torch_after_enable = "torch" in sys.modules
from {PACKAGE}.model_core.config import TrainConfig
cfg = {{n: getattr(TrainConfig(), n) for n in names}}
addon_utils.disable({PACKAGE!r}, default_set=True)
print("RESULT " + json.dumps(dict(defaults=defaults, cfg=cfg, torch=torch_after_enable)))
""")
    assert not result["torch"], "enabling the extension imported torch"
    _assert_defaults_match(result["defaults"], SimpleNamespace(**result["cfg"]))


def test_petal_properties_are_keyframeable():
    obj = bpy.data.objects.new("p", bpy.data.meshes.new("p"))
    bpy.context.scene.collection.objects.link(obj)
    for name in ("context", "context_b", "time", "offset", "rows"):
        assert obj.keyframe_insert(f"grc.{name}", frame=1), name
    rows = obj.grc.bl_rna.properties["rows"]
    assert (rows.hard_min, rows.hard_max, rows.default) == (2, 256, 25)
    ctx = obj.grc.bl_rna.properties["context"]
    assert (ctx.soft_min, ctx.soft_max) == (-1.0, 2.0)
