"""PropertyGroups: `Text.grc_model` (one model: templates, settings, training state, the
trained model), `Scene.grc` (the scene's model list), `Object.grc` and `Mesh.grc`.

A model lives on its own data-block (a Text, see models/), which petals and flowers point
to, so Blender's dependency tracking carries it through append, link and the Asset Browser.
Everything the add-on keeps lives in these properties, so it is saved in the .blend,
restored by undo, and never held as Python objects across undo or load.

Large payloads (captured templates, the model) are base64 strings of .npz files: they load
with `allow_pickle=False` and are validated before use (see store.py). Never pickled,
never evaluated.
"""
# No `from __future__ import annotations` here: the declarations below must be property
# objects, not strings, so the loop at the end can make the scene's settings non-animatable.
from typing import Any

import bpy
from bpy.props import (BoolProperty, CollectionProperty, EnumProperty, FloatProperty,
                       FloatVectorProperty,
                       IntProperty, PointerProperty, StringProperty)
from bpy.types import PropertyGroup

from . import props_update as update
from .training import presets, settings
from .training.settings import DEFAULTS as TRAIN_DEFAULTS

from ..model_core.context import ALL_SLIDER_FIELDS, AUTO, slider_fields, supported_dims
from ..model_core.limits import CONTEXT_LIMIT, DEFAULT_ROWS, MAX_ROWS


def _dims_items() -> list[tuple[str, str, str]]:
    """Auto, then every context dimension model_core supports."""
    items = [(str(AUTO), "Auto", "One Context slider for two templates; Context and "
                                 "Context B (a 2-D context, the seed's pad) for three or more")]
    for dims in supported_dims():
        n = len(slider_fields(dims))
        items.append((str(dims), "In a Row" if n == 1 else f"{n}-D",
                      "One Context slider: the templates lie in a row (0, 1, ...)" if n == 1
                      else f"{n} Context sliders per petal: each template has its own spot"))
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


class GRCModelSettings(PropertyGroup):
    """One model (on a Text data-block, `Text.grc_model`): its templates, training settings
    and state, the trained model and what Show Error shows."""
    uid: StringProperty(name="Identity", options={'HIDDEN'},
                        description="This model's identity (kept through renames, undo, "
                                    "save and append); a training lands in the model holding it")
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
    # Training settings (defaults: model_core.TrainConfig; presets: model_core.presets)
    preset: EnumProperty(
        name="Preset", default=presets.DEFAULT, items=presets.ENUM_ITEMS,
        update=update.preset_chosen,
        description="How long to train and how close to the templates to get (sets the "
                    "Advanced settings)")
    preset_chosen: BoolProperty(
        name="Preset Chosen", default=False, options={'HIDDEN'},
        description="The settings were chosen here (the preferences' default preset no "
                    "longer applies to this scene)")
    seed: IntProperty(name="Random Seed", default=0, min=0, update=update.setting_edited,
                      description="Starting point of the random numbers: the same seed, "
                                  "templates and settings train the same model")
    context_dims: EnumProperty(
        name="Context", default=str(TRAIN_DEFAULTS["context_dims"]),
        items=_dims_items(),
        description="How the templates are laid out: one Context slider (in a row) or "
                    "Context and Context B (2-D: each template has its own spot; the seed's "
                    "pad)")
    # settings.PROCEDURE: the switch to the seed article's literal procedure
    literal: BoolProperty(
        name="Original Method (Slow)", default=False, update=update.setting_edited,
        description="Train exactly as the GRC article does (its literal procedure: 100,000 "
                    "single-sample steps; minutes, not seconds). The step, rate and stop "
                    "settings are then ignored")

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

    # The model: base64 .npz of model_core.model_to_bytes(model); model_key = its hash (cache key)
    model_data: StringProperty(name="Model", options={'HIDDEN'}, update=update.model_data_changed,
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

class GRCFlowerRing(PropertyGroup):
    """One ring of a one-object flower, outside in (editing it regenerates the flower)."""
    model: PointerProperty(name="Model", type=bpy.types.Text, poll=update.is_model,
                           update=update.layout_edited, options=set(),
                           description="The model that generates this ring's petals")
    count: IntProperty(name="Petals", default=5, min=0, max=1000, update=update.layout_edited,
                       options=set(), description="Petals in this ring")
    radius: FloatProperty(name="Radius", default=0.0, min=0.0, max=100.0, unit='LENGTH',
                          update=update.layout_edited,
                          description="Distance of the petals' bases from the centre")
    tilt: FloatProperty(name="Tilt", default=0.0, min=-1.5708, max=1.5708, subtype='ANGLE',
                        update=update.layout_edited,
                        description="Added to the flower's tilt for this ring")
    size: FloatProperty(name="Size", default=1.0, min=0.01, max=100.0,
                        update=update.layout_edited, description="Scale of this ring's petals")
    delay: FloatProperty(name="Delay", default=0.0, min=0.0, max=0.95,
                         update=update.layout_edited,
                         description="This ring opens after this fraction of Bloom")
    material_index: IntProperty(name="Material Slot", default=0, min=0, max=31, options=set(),
                                update=update.layout_edited,
                                description="The flower's material slot this ring's faces use")


def _layout(name: str, default: float, lo: float, hi: float, tip: str, **kw) -> Any:
    return FloatProperty(name=name, default=default, min=lo, max=hi, description=tip,
                         update=update.layout_edited, **kw)


_ANGLE = {"subtype": 'ANGLE'}
FLOWER_LAYOUT = {
    "tilt": _layout("Tilt", 0.0, -1.5708, 1.5708, "Tips the petals up from the angle their "
                    "model opens them to", **_ANGLE),
    "tilt_step": _layout("Tilt per Ring", 0.0, -1.5708, 1.5708,
                         "Each inner ring is tipped up this much more", **_ANGLE),
    "scale_step": _layout("Size per Ring", 0.85, 0.1, 2.0, "Each inner ring's scale"),
    "overlap": _layout("Overlap", 1.0, -1.5, 1.5, "Petals layer like shingles: each "
                       "petal's edge is turned over the next one's by this angle", **_ANGLE),
    "context_jitter": _layout("Context Variation", 0.15, 0.0, 10.0, "+- on petal contexts"),
    "delay_jitter": _layout("Delay Variation", 0.05, 0.0, 0.5, "+- on each petal's delay"),
    "offset_jitter": _layout("Offset Variation", 0.0, 0.0, 10.0, "+- on each petal's offset"),
    "scale_jitter": _layout("Size Variation", 0.08, 0.0, 0.9, "+- on each petal's size"),
    "rotation_jitter": _layout("Turn Variation", 0.1047, 0.0, 1.0, "+- on each petal's turn",
                               **_ANGLE),
}


class GRCObjectSettings(PropertyGroup):
    model: PointerProperty(name="Model", type=bpy.types.Text, poll=update.is_model,
                           update=update.model_chosen, options=set(),
                           description="The model that generates this petal or flower")
    is_petal: BoolProperty(name="GRC Petal", default=False, update=update.regenerate_petal,
                           options=set(),
                           description="This object's mesh is generated by the scene's model")
    time: FloatProperty(
        name="Time", default=1.0, soft_min=0.0, soft_max=1.0, min=-CONTEXT_LIMIT,
        max=CONTEXT_LIMIT, update=update.regenerate_petal,
        description="How far the petal has opened: 0 is the first captured keyframe (the "
                    "bud), 1 the last. On a flower's petal the flower's Bloom sets it (after "
                    "the petal's Delay) and this value is not used")
    offset: FloatProperty(
        name="Offset", default=0.0, soft_min=-1.0, soft_max=1.0, min=-CONTEXT_LIMIT,
        max=CONTEXT_LIMIT, update=update.regenerate_petal,
        description="Pushes the shape sideways, away from every template (the seed's "
                    "offset: the context path moved along the traces' normal)")
    rows: IntProperty(name="Rows", default=DEFAULT_ROWS, min=2, max=MAX_ROWS, update=update.regenerate_petal,
                      description="Vertex rows from base to tip (more rows = smoother "
                                  "petal; the seed's morphology is sampled at each)")
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
        name="Bloom", default=1.0, min=0.0, max=1.0, update=update.regenerate_petal,
        description="How far the flower has opened: drives every petal's time (0 closed bud, "
                    "1 open), each petal starting after its own delay")
    merge_petals: BoolProperty(
        name="Merge Petals", default=False, update=update.update_merge, options=set(),
        description="Write all petals of this flower into one mesh: much faster for fields "
                    "of flowers. The petal objects stay, hidden, holding each petal's settings")
    is_flower_mesh: BoolProperty(name="GRC Merged Flower", default=False, options={'HIDDEN'},
                                 description="This object holds a merged flower's petals")
    delay: FloatProperty(
        name="Delay", default=0.0, min=0.0, max=0.95, update=update.regenerate_petal,
        description="When this petal starts opening, as a fraction of its flower's Bloom")
    # Bake to Shape Keys: a live petal's latest bake and a bake's live petal. Both are set by
    # the bake only, so baking again replaces exactly what it made (never a duplicate's).
    bake: PointerProperty(name="Bake", type=bpy.types.Object, options={'HIDDEN'},
                          description="The plain mesh copy the last Bake to Shape Keys made "
                                      "of this petal (replaced when it is baked again)")
    baked_from: PointerProperty(name="Baked From", type=bpy.types.Object, options={'HIDDEN'},
                                description="The live petal this bake was made from")
    # One-object flowers (is_flower on a mesh): rings, the applied transform, separation
    rings: CollectionProperty(type=GRCFlowerRing, description="The flower's rings, outside in")
    ring_index: IntProperty(name="Active Ring", default=0, min=0, options=set(),
                            description="The ring selected in the list")
    applied: FloatVectorProperty(name="Applied Transform", size=16, options={'HIDDEN'},
                                 default=(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1),
                                 description="Transforms applied to the flower's mesh "
                                             "(Ctrl+A): every write goes through it")
    arrangement: EnumProperty(
        name="Arrangement", default='WHORLS', update=update.layout_edited, options=set(),
        items=[('WHORLS', "Whorls", "Each ring a whorl, offset by half a petal from the next"),
               ('SPIRAL', "Spiral", "One petal every golden angle (137.5 degrees)")],
        description="How the petals are laid out around the flower's centre")
    seed: IntProperty(name="Random Seed", default=0, min=0, max=1 << 30, options=set(),
                      update=update.layout_edited, description="Per-petal variation seed")
    separated: BoolProperty(name="Petals Separated", default=False, options={'HIDDEN'},
                            description="Separate Petals made one petal object per petal: the "
                                        "flower's own mesh holds none")
    subsurf_levels: IntProperty(name="Subdivision", default=1, min=0, max=6,
                                update=update.update_subsurf, options=set(),
                                description="Levels of the petal's Subdivision Surface modifier")


def _slider_property(index: int, field: str) -> Any:
    """One context slider per field model_core.context names (a new dimension adds one)."""
    label = "Context" if index == 0 else f"Context {chr(ord('A') + index)}"
    if index == 0:
        tip = ("Which shape, between and beyond the templates. Two templates in a row: 0 is "
               "the first, 1 the second, values outside invent new shapes (extrapolation). "
               "Three or more: Context and Context B place the petal among the templates "
               "(a 2-D context; the Petal panel lists where each template sits). On a "
               "flower's petal: added to the flower's Context")
    else:
        tip = (f"Value {index + 1} of a {index + 1}-D context (three or more templates): "
               f"with Context, places the petal among the templates (the Petal panel lists "
               f"where each template sits). On a flower's petal: added to the flower's {label}")
    return FloatProperty(name=label, default=0.0 if index == 0 else 0.5, soft_min=-1.0,
                         soft_max=2.0, min=-CONTEXT_LIMIT, max=CONTEXT_LIMIT,
                         update=update.regenerate_petal, description=tip)


GRCObjectSettings.__annotations__.update(FLOWER_LAYOUT)
for _i, _field in enumerate(ALL_SLIDER_FIELDS):
    GRCObjectSettings.__annotations__[_field] = _slider_property(_i, _field)
del _i, _field


class GRCMeshSettings(PropertyGroup):
    # A flag, not an Object -> Mesh pointer: an ID pointer would add a user and make every
    # petal mesh "multi-user" (no Apply Modifier, no edits that need single users).
    generated: BoolProperty(name="Generated by GRC", default=False, options={'HIDDEN'},
                            description="The extension made this mesh for a petal and may "
                                        "rewrite it while only one object uses it")


GRCModelSettings.__annotations__.update(settings.properties(update.setting_edited))


class GRCModelSlot(PropertyGroup):
    """One entry of the scene's model list: a pointer to the model's data-block."""
    model: PointerProperty(name="Model", type=bpy.types.Text, poll=update.is_model,
                           description="The model (its data lives on this data-block, so "
                                       "append and link carry it with what uses it)")


class GRCSceneSettings(PropertyGroup):
    models: CollectionProperty(type=GRCModelSlot, description="The models of this scene")
    active_model_index: IntProperty(
        name="Active Model", default=0, min=0, options=set(),
        description="The model Capture, Train, Add Petal and Add Flower act on")
    show_template_overlay: BoolProperty(
        name="Show Base and Tip", default=True, update=update.redraw_views,
        description="Mark the base row, the tip row and the grid size of selected template "
                    "objects in the viewport, and flag templates edited since the last capture")



# Files of the previous version kept one model in Scene.grc under these same names: declared
# here too so models/migrate.py can read them once (then they are cleared). Nothing else
# reads them.
for _name, _prop in GRCModelSettings.__annotations__.items():
    if _name != "uid":
        GRCSceneSettings.__annotations__.setdefault(_name, _prop)
del _name, _prop

# Settings and state, not animation: nothing on the model or scene level can be keyframed
# (Blender's convention; a keyed Preset or Max Steps would fight the artist's edits). A
# property that declares its own options keeps them. (A new group joins this tuple;
# tests/blender/views/test_artist_words.py walks every group under Scene.grc and Text.grc_model.)
for _group in (GRCModelSettings, GRCModelSlot, GRCSceneSettings, GRCTemplateEntry, GRCFidelity,
               GRCLossPoint):
    for _prop in _group.__annotations__.values():
        _prop.keywords.setdefault("options", set())
del _group, _prop

CLASSES = (GRCTemplateEntry, GRCFidelity, GRCLossPoint, GRCModelSettings, GRCModelSlot,
           GRCSceneSettings, GRCFlowerRing, GRCObjectSettings, GRCMeshSettings)


def attach() -> None:
    """Add `grc` to Scene, Object and Mesh (after CLASSES are registered)."""
    # setattr and an Any-typed PointerProperty: the stubs know no `grc` attribute (read it
    # through access.py) and declare bpy.props functions as returning None.
    pointer: Any = PointerProperty
    setattr(bpy.types.Text, "grc_model", pointer(type=GRCModelSettings))
    setattr(bpy.types.Scene, "grc", pointer(type=GRCSceneSettings))
    setattr(bpy.types.Object, "grc", pointer(type=GRCObjectSettings))
    setattr(bpy.types.Mesh, "grc", pointer(type=GRCMeshSettings))


def detach() -> None:
    delattr(bpy.types.Mesh, "grc")
    delattr(bpy.types.Object, "grc")
    delattr(bpy.types.Scene, "grc")
    delattr(bpy.types.Text, "grc_model")
