"""Files of the previous version: one model in Scene.grc becomes a model in the list.

The previous version kept the captured templates, the settings, the state and the weights
on the scene (props.py still declares those names on Scene.grc for this). On load, each
such scene gets a model data-block holding a copy of them, its petals and flowers point
to it, and the scene's fields are cleared, so this runs once per file.
"""
from __future__ import annotations

from typing import Any

from ..access import model_settings, object_settings, scene_settings
from ..store import payload_key
from . import datablock, scene_models

# A scene of the previous version holds one of these.
_MARKERS = ("captured", "model_data")


def migrate_scene(scene: Any) -> Any:
    """Move the scene's one model into its list; returns the new model (None: nothing
    to move)."""
    g: Any = scene_settings(scene)    # the previous version's fields (declared at run time)
    if not any(getattr(g, name) for name in _MARKERS):
        return None
    model = datablock.new_model(scene.name if len(scene.name) < 40 else "Model")
    settings = model_settings(model)
    uid = settings.uid
    datablock.copy_group(g, settings)
    settings.uid = uid
    settings.is_training = False
    settings.train_token = ""
    if not settings.model_key and settings.model_data:
        settings.model_key = payload_key(settings.model_data)
    scene_models.add_to_list(scene, model)
    for obj in scene.objects:
        o = object_settings(obj)
        if obj.library is None and (o.is_petal or o.is_flower or o.is_flower_mesh) \
                and o.model is None and o.model_key in ("", g.model_key):
            o.model = model
    for name in model_settings(model).bl_rna.properties.keys():
        if name not in ("rna_type", "uid") and hasattr(g, name):
            g.property_unset(name)
    return model
