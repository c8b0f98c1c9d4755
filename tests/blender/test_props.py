"""Registered properties: TrainConfig defaults mirrored, keyframeable petal properties."""
from __future__ import annotations

import importlib

import bpy

from blender_helpers import PACKAGE


def test_train_defaults_match_model_core():
    trainer = importlib.import_module(PACKAGE + ".model_core.trainer")   # imports torch: test only
    cfg = trainer.TrainConfig()
    rna = bpy.types.Scene.bl_rna.properties["grc"].fixed_type.properties
    for name in ("steps", "template_steps", "lr_r", "lr_g", "context_filter"):
        assert abs(rna[name].default - getattr(cfg, name)) <= 1e-6 * abs(getattr(cfg, name)), name
    assert rna["context_dims"].default == str(cfg.context_dims)


def test_petal_properties_are_keyframeable():
    obj = bpy.data.objects.new("p", bpy.data.meshes.new("p"))
    bpy.context.scene.collection.objects.link(obj)
    for name in ("context", "context_b", "time", "offset", "rows"):
        assert obj.keyframe_insert(f"grc.{name}", frame=1), name
    rows = obj.grc.bl_rna.properties["rows"]
    assert (rows.hard_min, rows.hard_max, rows.default) == (2, 256, 25)
    ctx = obj.grc.bl_rna.properties["context"]
    assert (ctx.soft_min, ctx.soft_max) == (-1.0, 2.0)
