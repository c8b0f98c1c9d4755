"""PropertyGroups: `Scene.grc` (templates, settings, training state, model) and `Object.grc`.

One model per scene. Everything the add-on keeps lives in these properties, so it is saved
in the .blend, restored by undo, and never held as Python objects across undo or load.

Large payloads (captured templates, the model) are base64 strings of .npz files: they load
with `allow_pickle=False` and are validated before use (see store.py). Never pickled,
never evaluated.
"""
from __future__ import annotations

from typing import Any

import bpy
from bpy.props import (BoolProperty, CollectionProperty, EnumProperty, FloatProperty,
                       IntProperty, PointerProperty, StringProperty)
from bpy.types import PropertyGroup

from . import flower, petal_objects, petals, presets, redraw, store
from .training import DEFAULTS as TRAIN_DEFAULTS

from ..model_core.context import ALL_SLIDER_FIELDS, AUTO, slider_fields, supported_dims
from ..model_core.limits import CONTEXT_LIMIT, DEFAULT_ROWS, MAX_ROWS


# ---- update callbacks (fire on UI and Python edits, not on animation playback) -------------

def _scene_of(obj, context):
    scene = getattr(context, "scene", None)
    if scene is not None and obj.name in scene.objects:
        return scene
    return obj.users_scene[0] if obj.users_scene else scene


def _regenerate_petal(self, context):
    obj = self.id_data
    if self.is_flower:          # a flower's controls: every petal of the flower follows
        targets = [c for c in obj.children if c.type == 'MESH' and c.grc.is_petal]
    elif self.is_petal:
        targets = [obj]
    else:
        return
    scene = _scene_of(obj, context)
    if scene is not None and targets:
        petals.regenerate(scene, targets)


def _update_merge(self, context):
    scene = _scene_of(self.id_data, context)
    if scene is not None and self.is_flower:
        flower.set_merged(scene, self.id_data, self.merge_petals)


def _update_subsurf(self, context):
    petal_objects.sync_subsurf(self.id_data)


def _preset_chosen(self, context):
    presets.apply(self, self.preset)


def _setting_edited(self, context):
    presets.mark_chosen(self)


def _model_data_changed(self, context):
    # Keep the cheap cache key in step with the payload (the frame path reads only the key).
    store.on_model_data_changed(self)


def _redraw_views(self, context):
    redraw.tag_view3d()


def _dims_items() -> list[tuple[str, str, str]]:
    """Auto, then every context dimension model_core supports."""
    items = [(str(AUTO), "Auto", "One slider for two templates; a pad of two values for "
                                 "three or more")]
    for dims in supported_dims():
        n = len(slider_fields(dims))
        items.append((str(dims), "In a Row" if n == 1 else f"{n}-D",
                      "One context slider: the templates lie in a row (0, 1, ...)" if n == 1
                      else f"{n} context values per petal"))
    return items


# ---- scene level ------------------------------------------------------------------------------

class GRCTemplateEntry(PropertyGroup):
    """One captured template: display name + the object it came from (may be deleted)."""
    # `name` is PropertyGroup's built-in StringProperty.
    obj: PointerProperty(name="Object", type=bpy.types.Object,
                         description="The template object this entry was captured from")
    # Kept here, not on the object: capture never writes to the artist's objects.
    fingerprint: StringProperty(name="Fingerprint", options={'HIDDEN'},
                                description="Cheap checksum of the template when captured "
                                            "(the overlay flags a template edited since)")


class GRCFidelity(PropertyGroup):
    """Reconstruction error of one template after training (model.errors)."""
    mean: FloatProperty(name="Mean Error", precision=5,
                        description="Mean vertex error over every captured keyframe (scene "
                                    "units)")
    max: FloatProperty(name="Worst Error", precision=5,
                       description="Worst vertex error over every captured keyframe (scene "
                                   "units)")
    mean_pct: FloatProperty(name="Mean %", precision=3,
                            description="Mean error in percent of the template's size")
    max_pct: FloatProperty(name="Worst %", precision=3,
                           description="Worst error in percent of the template's size")


class GRCLossPoint(PropertyGroup):
    """One point of the loss curve: `name` is the loss (template, gen, rel)."""
    step: IntProperty(name="Step", description="Training step of this loss value")
    value: FloatProperty(name="Loss", description="The loss at that step (lower is closer)")


class GRCSceneSettings(PropertyGroup):
    # Templates
    templates: CollectionProperty(type=GRCTemplateEntry,
                                  description="The captured templates, in training order")
    template_index: IntProperty(name="Active Template", default=0, min=0,
                                description="The template selected in the list (the arrows "
                                            "move it)")
    captured: StringProperty(
        name="Captured Templates", options={'HIDDEN'},
        description="Captured template arrays (.npz, base64); validated on load, never unpickled")
    captured_info: StringProperty(name="Captured", default="",
                                  description="What the last capture read")
    captured_frames: StringProperty(name="Keyframes", default="",
                                    description="The frames captured as time 0..1")
    captured_rows: IntProperty(name="Rows", default=0,
                               description="Rows of the captured grids (base to tip)")
    captured_skipped: StringProperty(name="Skipped Modifiers", default="",
                                     description="Topology-changing modifiers the last capture left out")
    capture_frames: EnumProperty(
        name="Capture Frames", default='KEYFRAMES',
        items=[('KEYFRAMES', "Keyframes", "The keyframes of each template and of every object "
                                          "its deformation depends on (armature, lattice, "
                                          "hook and constraint targets)"),
               ('MARKERS', "Markers", "The scene's timeline markers"),
               ('EVERY_N', "Every N Frames", "Every N frames of the scene's frame range")],
        description="Which frames Capture reads the templates at")
    capture_every: IntProperty(name="Every", default=8, min=1, soft_max=100,
                               description="Frame step for Every N Frames (from the scene's "
                                           "start frame to its end frame)")
    show_template_overlay: BoolProperty(
        name="Show Base and Tip", default=True, update=_redraw_views,
        description="Mark the base row, the tip row and the grid size of selected template "
                    "objects in the viewport, and flag templates edited since the last capture")

    # Training settings (defaults: model_core.TrainConfig; presets: model_core.presets)
    preset: EnumProperty(
        name="Preset", default=presets.DEFAULT, items=presets.ENUM_ITEMS,
        update=_preset_chosen,
        description="How long to train and how close to the templates to get (sets the "
                    "Advanced settings)")
    preset_chosen: BoolProperty(
        name="Preset Chosen", default=False, options={'HIDDEN'},
        description="The settings were chosen here (the preferences' default preset no "
                    "longer applies to this scene)")
    steps: IntProperty(name="Max Steps", default=TRAIN_DEFAULTS["steps"], min=1,
                       soft_max=100_000, update=_setting_edited,
                       description="Most steps learning the shared shape space (training "
                                   "stops sooner once the Stop At errors are reached)")
    template_steps: IntProperty(name="Template Fit Steps",
                                default=TRAIN_DEFAULTS["template_steps"], min=1,
                                soft_max=20_000, update=_setting_edited,
                                description="Steps fitting each template's own animation "
                                            "first (before the shared shape space)")
    lr_r: FloatProperty(name="Learning Rate: Shape to Context",
                        default=TRAIN_DEFAULTS["lr_r"], min=1e-7, max=0.999, precision=5,
                        step=0.01, update=_setting_edited,
                        description="How big a step the part that reads a shape's time, "
                                    "place and context takes (the article's lrR). Lower "
                                    "if training fails with a non-finite loss")
    lr_g: FloatProperty(name="Learning Rate: Context to Shape",
                        default=TRAIN_DEFAULTS["lr_g"], min=1e-7, max=0.999, precision=5,
                        step=0.01, update=_setting_edited,
                        description="How big a step the part that draws a shape from its "
                                    "time, place and context takes (the article's lrG)")
    context_filter: FloatProperty(
        name="Context Pull", default=TRAIN_DEFAULTS["context_filter"], min=0.0, max=1.0,
        precision=3, update=_setting_edited,
        description="How strongly each template is pulled to its own context value (0, 1, "
                    "...) while learning (the article's rFilter). Higher keeps the templates "
                    "apart where they are alike")
    stop_mean_pct: FloatProperty(
        name="Stop At Mean Error", default=TRAIN_DEFAULTS["stop_mean_pct"], min=0.0,
        max=100.0, precision=3, subtype='PERCENTAGE', update=_setting_edited,
        description="Training stops early once every template's mean vertex error is "
                    "below this (percent of the template's size)")
    stop_max_pct: FloatProperty(
        name="Stop At Worst Error", default=TRAIN_DEFAULTS["stop_max_pct"], min=0.0,
        max=100.0, precision=3, subtype='PERCENTAGE', update=_setting_edited,
        description="...and every template's worst vertex error is below this (percent of "
                    "the template's size)")
    seed: IntProperty(name="Random Seed", default=0, min=0, update=_setting_edited,
                      description="Starting point of the random numbers: the same seed, "
                                  "templates and settings train the same model")
    context_dims: EnumProperty(
        name="Context", default=str(TRAIN_DEFAULTS["context_dims"]),
        items=_dims_items(),
        description="How the templates are laid out: one slider (in a row) or a pad of "
                    "values (2-D)")
    literal: BoolProperty(
        name="Article's Procedure", default=False, update=_setting_edited,
        description="Train exactly as the GRC article does (100,000 single-sample steps; "
                    "minutes, not seconds). The step, rate and stop settings are then ignored")

    # Training state (written by the main thread only)
    is_training: BoolProperty(name="Training", default=False,
                              description="A training of this scene's model is running")
    progress: FloatProperty(name="Progress", default=0.0, min=0.0, max=1.0, subtype='FACTOR',
                            description="How far the running training is")
    loss_text: StringProperty(name="Losses", default="",
                              description="The training's latest losses (lower is closer)")
    status: StringProperty(name="Status", default="",
                           description="What the last training did")
    loss_curve: CollectionProperty(type=GRCLossPoint,
                                   description="The last training's losses, step by step")
    loss_total: IntProperty(name="Total Steps", default=0, min=0,
                            description="Steps the last training planned (the curve's width)")

    # The model: base64 .npz of model_core.model_to_bytes(model); model_key = hash of it (the cache key)
    model_data: StringProperty(name="Model", options={'HIDDEN'}, update=_model_data_changed,
                               description="Trained model (.npz, base64); validated on load")
    model_key: StringProperty(name="Model Key", options={'HIDDEN'},
                              description="Checksum of the stored model (its cache key)")
    model_summary: StringProperty(name="Model", default="",
                                  description="What the stored model was trained on")
    train_token: StringProperty(
        name="Training Token", options={'HIDDEN'},
        description="Identifies the training this scene started, so a result lands only here")
    model_context_dims: IntProperty(name="Model Context Dimensions", default=1, min=1,
                                    description="Context values per petal of the stored model")
    fidelity: CollectionProperty(type=GRCFidelity,
                                 description="Each template's reconstruction error")

    # Show Error: the preview petal the extension made and what it shows
    error_object: PointerProperty(
        name="Error Preview", type=bpy.types.Object,
        description="The preview petal Show Error made (coloured by its error)")
    error_template: IntProperty(name="Error Template", default=0, min=0,
                                description="The template the error preview compares with")
    error_keyframe: IntProperty(name="Error Keyframe", default=0, min=0,
                                description="The captured keyframe the error preview shows")
    error_mean: FloatProperty(name="Mean Error", precision=5, unit='LENGTH',
                              description="Mean vertex error of the preview (scene units)")
    error_max: FloatProperty(name="Worst Error", precision=5, unit='LENGTH',
                             description="Worst vertex error of the preview (scene units)")
    error_key: StringProperty(name="Error Key", options={'HIDDEN'},
                              description="Model and captured templates the preview was made "
                                          "from")
    error_ghost: BoolProperty(
        name="Ghost of the Template", default=True,
        description="Draw the template's captured shape over the error preview, as lines")


# ---- object level -------------------------------------------------------------------------------

class GRCObjectSettings(PropertyGroup):
    is_petal: BoolProperty(name="GRC Petal", default=False, update=_regenerate_petal,
                           description="This object's mesh is generated by the scene's model")
    time: FloatProperty(
        name="Time", default=1.0, soft_min=0.0, soft_max=1.0, min=-CONTEXT_LIMIT,
        max=CONTEXT_LIMIT, update=_regenerate_petal,
        description="0..1 over the captured keyframes (first to last)")
    offset: FloatProperty(
        name="Offset", default=0.0, soft_min=-1.0, soft_max=1.0, min=-CONTEXT_LIMIT,
        max=CONTEXT_LIMIT, update=_regenerate_petal,
        description="Moves the context path along the traces' normal, outside the templates")
    rows: IntProperty(name="Rows", default=DEFAULT_ROWS, min=2, max=MAX_ROWS, update=_regenerate_petal,
                      description="Output rows from base to tip (the morphology is sampled "
                                  "densely; more rows = smoother petal)")
    cols: IntProperty(name="Columns", default=0, min=0, options={'HIDDEN'},
                      description="Columns of the model the petal was made for")
    # Ownership: the model that generates this petal, and whether the artist edited its
    # vertices by hand (Mesh.grc.generated marks the meshes the extension made).
    model_key: StringProperty(name="Model Key", options={'HIDDEN'},
                              description="Checksum of the model that generates this petal")
    hand_edited: BoolProperty(name="Edited by Hand", default=False, options={'HIDDEN'},
                              description="The petal's vertices were edited: they are kept")
    # Flowers: a root (an Empty) whose Bloom and Context every child petal follows
    is_flower: BoolProperty(name="GRC Flower", default=False, options={'HIDDEN'},
                            description="This object is a flower root: its petals follow its "
                                        "Bloom and Context")
    bloom: FloatProperty(
        name="Bloom", default=1.0, min=0.0, max=1.0, update=_regenerate_petal,
        description="How far the flower has opened: drives every petal's time (0 closed bud, "
                    "1 open), each petal starting after its own delay")
    merge_petals: BoolProperty(
        name="Merge Petals", default=False, update=_update_merge,
        description="Write all petals of this flower into one mesh: much faster for fields "
                    "of flowers. The petal objects stay, hidden, holding each petal's settings")
    is_flower_mesh: BoolProperty(name="GRC Merged Flower", default=False, options={'HIDDEN'},
                                 description="This object holds a merged flower's petals")
    delay: FloatProperty(
        name="Delay", default=0.0, min=0.0, max=0.95, update=_regenerate_petal,
        description="When this petal starts opening, as a fraction of its flower's Bloom")
    subsurf_levels: IntProperty(name="Subdivision", default=1, min=0, max=6,
                                update=_update_subsurf, options=set(),
                                description="Levels of the petal's Subdivision Surface modifier")


def _slider_property(index: int, field: str) -> Any:
    """One context slider per field model_core.context names (a new dimension adds one)."""
    label = "Context" if index == 0 else f"Context {chr(ord('A') + index)}"
    if index == 0:
        tip = ("Walks between the templates' context traces: 0 is the first template, 1 the "
               "second (K-1 the last); outside extrapolates, inventing new shapes")
    else:
        tip = f"Context value {index + 1} of a model trained with a {index + 1}-D or wider context"
    return FloatProperty(name=label, default=0.0 if index == 0 else 0.5, soft_min=-1.0,
                         soft_max=2.0, min=-CONTEXT_LIMIT, max=CONTEXT_LIMIT,
                         update=_regenerate_petal, description=tip)


for _i, _field in enumerate(ALL_SLIDER_FIELDS):
    GRCObjectSettings.__annotations__[_field] = _slider_property(_i, _field)
del _i, _field


class GRCMeshSettings(PropertyGroup):
    # A flag, not an Object -> Mesh pointer: an ID pointer would add a user and make every
    # petal mesh "multi-user" (no Apply Modifier, no edits that need single users).
    generated: BoolProperty(name="Generated by GRC", default=False, options={'HIDDEN'},
                            description="The extension made this mesh for a petal and may "
                                        "rewrite it while only one object uses it")


CLASSES = (GRCTemplateEntry, GRCFidelity, GRCLossPoint, GRCSceneSettings, GRCObjectSettings, GRCMeshSettings)


def attach() -> None:
    """Add `grc` to Scene, Object and Mesh (after CLASSES are registered)."""
    # setattr and an Any-typed PointerProperty: the stubs know no `grc` attribute (read it
    # through access.py) and declare bpy.props functions as returning None.
    pointer: Any = PointerProperty
    setattr(bpy.types.Scene, "grc", pointer(type=GRCSceneSettings))
    setattr(bpy.types.Object, "grc", pointer(type=GRCObjectSettings))
    setattr(bpy.types.Mesh, "grc", pointer(type=GRCMeshSettings))


def detach() -> None:
    delattr(bpy.types.Mesh, "grc")
    delattr(bpy.types.Object, "grc")
    delattr(bpy.types.Scene, "grc")
