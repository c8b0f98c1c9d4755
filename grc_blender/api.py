"""The add-on's use cases, in one place: what operators, tests, the demo and scripts call.

Operators are thin wrappers over these (read their properties, call one function, report);
every function raises model_core.GRCError with a message for the artist when it refuses.

    from grc.grc_blender import api          # bl_ext.<repo>.grc inside Blender
    api.add_example_templates(bpy.context)
    api.new_template(bpy.context, rows=7, cols=7, times=7)   # or variant_of_active=True
    api.grid_from_mesh(bpy.context, petal_mesh_object, rows=7, cols=7)
    api.add_model(scene)                      # a new empty model, active in the list
    api.capture_templates(bpy.context, objects)   # into the active model (added if none)
    ok, msg = api.train(scene)                # or api.start_training(scene) + api.land(job)
    petal, warning = api.add_petal(scene, context_value=0.5)
    baked = api.bake_petal(scene, petal)
    flower = api.add_flower(scene, layout=api.FlowerLayout(petals=12))   # one object
    api.add_ring(scene, flower, count=5, outside=True, model=other)      # sepals
    petals = api.separate_petals(scene, flower)    # one live petal object per petal
    baked = api.bake_petals(scene, [flower], step=2)      # renders without the extension
    mod = api.scatter_flowers(scene, ground, flower, density=10, wave='OBJECT',
                              wave_object=origin)   # live variants on a GN modifier
    baked = api.bake_field(scene, ground)     # the field renders without the extension
    preview, report = api.show_error(scene, template=0, keyframe=-1)
"""
from __future__ import annotations

from . import preferences
from .access import model_settings
from .fields.field_bake import bake_field, scatter_modifier
from .fields.scatter import scatter_flowers
from .models.datablock import all_models
from .models.scene_models import (active_model, add_model, duplicate_model, remove_model,
                                  require_active)
from .petals.bake import bake_petal, bake_petals
from .petals.flower import FlowerLayout, add_petal_flower, flower_petals
from .petals.flower_object import add_flower, add_ring, remove_ring, separate_petals
from .petals.flower_mesh import merged_flower_object
from .petals.petal_objects import add_petal, reset_petals
from .templates.capture import CaptureResult, capture_objects, move_template
from .templates.example import add_example_templates
from .templates.grid_from_mesh import grid_from_mesh
from .templates.new_template import new_template
from .training import presets
from .training.state import (cancel_training, follow_training, land, new_job, prepare,
                             start_training, train)
from .views.error_view import show_error, use_attribute_colors


def capture_templates(context, objects, source: str | None = None,
                      step: int | None = None) -> CaptureResult:
    """Capture `objects` as the scene's templates (GRCError names the offending object);
    `source`/`step`: which frames (default: the scene's Capture Frames settings). A scene
    whose training settings were never chosen takes the preferences' default preset."""
    cap = capture_objects(context, objects, source, step)
    presets.apply_default(model_settings(require_active(context.scene)),
                          preferences.default_preset(context))
    return cap


def apply_preset(scene, name: str) -> None:
    """Set the active model's training preset (FAST, BALANCED, FAITHFUL) and its settings."""
    g = model_settings(require_active(scene))
    g.preset = name
    presets.apply(g, name)


__all__ = ["add_example_templates", "new_template", "grid_from_mesh", "capture_templates",
           "move_template", "prepare", "new_job", "train", "start_training", "follow_training",
           "land", "cancel_training", "add_petal", "reset_petals", "bake_petal", "bake_petals",
           "FlowerLayout", "add_flower", "scatter_flowers", "bake_field", "scatter_modifier", "add_ring", "remove_ring", "separate_petals", "add_petal_flower",
           "flower_petals", "merged_flower_object", "show_error",
           "use_attribute_colors", "apply_preset", "add_model", "remove_model",
           "duplicate_model", "active_model", "all_models", "use_model"]


def use_model(scene, objects, model=None) -> int:
    """Point petals and flowers at `model` (default: the scene's active model), e.g. after
    their model was removed; they regenerate from it. Returns how many changed."""
    model = model or require_active(scene)
    n = 0
    for obj in objects:
        g = getattr(obj, "grc", None)
        if g is not None and obj.library is None and (g.is_petal or g.is_flower) \
                and g.model != model:
            g.model = model          # its update regenerates the petal or flower
            n += 1
    return n
