"""The scene's model list (`Scene.grc.models`, `Scene.grc.active_model_index`).

The list is what the sidebar shows and what Capture, Train, Add Petal and Add Flower act
on (its active entry). A model lives on its own data-block: removing it from the list
deletes that data-block only when nothing else uses it; petals and flowers never find
their model through the scene."""
from __future__ import annotations

from typing import Any

import bpy

from ...model_core import GRCError
from ..access import model_settings, scene_settings
from . import datablock


def active_model(scene: Any) -> bpy.types.Text | None:
    """The active entry's model (None if the list is empty or the entry lost its model)."""
    g = scene_settings(scene)
    if not len(g.models):
        return None
    index = min(max(g.active_model_index, 0), len(g.models) - 1)
    return g.models[index].model


def require_active(scene: Any) -> bpy.types.Text:
    model = active_model(scene)
    if model is None:
        raise GRCError("No model in this scene: add one in the Models list (+), or Capture "
                       "templates to start one")
    return model


def ensure_active(scene: Any) -> bpy.types.Text:
    """The active model, adding one named "Model" if the scene has none (first capture)."""
    model = active_model(scene)
    return model if model is not None else add_model(scene)


def index_of(scene: Any, model: Any) -> int:
    for i, slot in enumerate(scene_settings(scene).models):
        if slot.model == model:
            return i
    return -1


def add_to_list(scene: Any, model: Any, make_active: bool = True) -> int:
    g = scene_settings(scene)
    i = index_of(scene, model)
    if i < 0:
        g.models.add().model = model
        i = len(g.models) - 1
    if make_active:
        g.active_model_index = i
    return i


def add_model(scene: Any, name: str = "Model") -> bpy.types.Text:
    """A new empty model ("Model", "Model.001", ...), active in the scene's list."""
    model = datablock.new_model(name)
    add_to_list(scene, model)
    return model


def duplicate_model(scene: Any) -> bpy.types.Text:
    """A copy of the active model (templates, settings, trained weights), made active."""
    copy = datablock.duplicate(require_active(scene))
    add_to_list(scene, copy)
    return copy


def remove_model(scene: Any, index: int | None = None) -> str:
    """Remove a model: off the scene's list, and its data-block deleted unless another
    scene lists it. Its petals and flowers keep the shapes they have (no model moves them
    any more); the Petal panel says so and offers another model. Returns its name."""
    g = scene_settings(scene)
    i = g.active_model_index if index is None else index
    if not 0 <= i < len(g.models):
        raise GRCError("There is no model to remove")
    model = g.models[i].model
    name = model.name if model is not None else ""
    g.models.remove(i)
    g.active_model_index = max(0, min(i, len(g.models) - 1))
    if model is not None and model.library is None and \
            not any(index_of(s, model) >= 0 for s in bpy.data.scenes):
        bpy.data.texts.remove(model)
    return name


def list_models_in_use(scene: Any) -> int:
    """Models that arrived with appended or linked objects (or from another scene) join
    the scene's list, so their templates and settings are one click away. Returns how many
    joined (the active entry stays)."""
    added = 0
    for obj in scene.objects:
        model = obj.grc.model
        if model is not None and index_of(scene, model) < 0:
            add_to_list(scene, model, make_active=not len(scene_settings(scene).models))
            added += 1
    return added

