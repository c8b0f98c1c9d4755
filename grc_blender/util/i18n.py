"""Translation-ready text: the English source registered with bpy.app.translations.

Blender translates RNA text itself (operator labels and tooltips, property names and
descriptions, enum items, panel labels, static label texts). Text made at run time goes
through `iface()` (interface text: labels) or `tip()` (reports, tooltips, statuses): the
msgid is the English template, translated first and formatted after
(`tip("Captured {k} templates").format(k=k)`), so one msgid covers every value.

`register(package, classes)` registers a dict {locale: {(context, msgid): text}} holding the
English source: every msgid in MESSAGES (each tip()/iface() literal in the add-on; a test
parses the sources to keep them in step) and the RNA text of the registered classes.
A translation adds its locale beside "en_US" with the same keys.
"""
from __future__ import annotations

from typing import Any, Iterable

import bpy

SOURCE_LOCALE = "en_US"
DEFAULT_CONTEXT = "*"
OPERATOR_CONTEXT = "Operator"

_registered: list[str] = []


_translations: Any = bpy.app.translations   # the stubs declare pgettext_* as returning None


def tip(msgid: str) -> str:
    """Reports, statuses and tooltips (Blender's TIP_)."""
    return str(_translations.pgettext_tip(msgid))


def iface(msgid: str) -> str:
    """Interface text: labels, buttons (Blender's IFACE_)."""
    return str(_translations.pgettext_iface(msgid))


# Every literal passed to tip()/iface() (and the poll helpers) and every static label text
# in the add-on (tests/blender/test_feedback.py parses the sources and checks this holds
# them all).
MESSAGES: tuple[str, ...] = (
    'Bake cancelled: nothing was changed',
    '(removed)',
    'A model learns one family of shapes (petals, sepals, leaves): capture its templates to '
    'start',
    'A training is running: remove models when it ends (or cancel it)',
    'Add or choose a model in the Models list first',
    'Capture templates (or add a model) to train',
    'No model to duplicate',
    'No model to remove',
    'New Template', 'Variant', 'Frames', 'N',
    'The captured templates are not the ones the model was trained on (captured or '
    'reordered since): train again to see its error',
    'No trained model in this scene: capture templates and press Train first',
    'No templates captured: the error compares with the captured templates',
    "'{name}' at keyframe {key} (frame {frame:g}, time {time:.2f}): mean error "
    '{mean:.4g}, worst {worst:.4g} scene units ({mean_pct:.2f}% / {worst_pct:.2f}% of'
    ' its size). All keyframes: mean {all_mean:.4g}, worst {all_max:.4g}',
    'There is no template {k}: the templates are 0 to {last}',
    'There is no keyframe {t}: the captured keyframes are 0 to {last}',
    'PyTorch not found: Train is unavailable',
    'Train uses the numpy trainer (no PyTorch needed)',
    'PyTorch {version} found (the torch trainer: GRC_TRAINER=torch)',
    "A training uses {n} of this computer's {cpus} CPU threads",
    'Train needs PyTorch, which this install lacks: install {zip} (torch bundled; '
    'README, Install) in place of grc-{version}.zip. Petals and stored models work '
    'without it',
    'Train needs PyTorch, which this install lacks, and no GRC zip bundles it for this '
    'Blender on this platform (README, Blender versions). Petals and stored models work '
    'without it',
    'Training started (Esc cancels)',
    'Training...',
    'Cancelling...',
    'Training: step {step} of {total}',
    'Training was interrupted (the file was saved while training)',
    'Training cancelled; the previous model is kept',
    'The captured templates changed during training; the trained model was dropped '
    'and the previous one is kept',
    "Model '{model}' is gone; the trained weights were dropped",
    'Training failed: {error}; the previous model is kept',
    'Capture the templates the model was trained on: the error compares with them',
    'Select a GRC petal of this file (linked petals belong to their library)',
    'Open a scene first',
    'Switch to Object Mode first (Tab)',
    'Select the template meshes first (two or more grids animated over the same keyframes)',
    'A training is running: reorder the templates when it ends (or cancel it)',
    'Capture at least two templates to reorder them',
    'A training is running: capture again when it ends (or cancel it)',
    'Captured 1 template ({t} keyframes, {r} x {c}); training needs at least 2: '
    'select all template objects',
    'Captured {k} templates: {t} keyframes, {r} x {c} grid',
    'A training is already running (Esc or the Cancel button stops it)',
    'Capture at least two templates first: select the template meshes and press '
    'Capture Templates',
    'No training is running',
    'Add Flower',
    'Bake Flower',
    'Select a flower (or one of its petals) to edit it',
    'Train a model to add petals',
    'Add Example Templates',
    'Select two or more animated grid meshes, then Capture',
    'Rate: Shape to Context',
    'Rate: Context to Shape',
    'Settings edited under Advanced',
    'Vertex error of each template: mean / worst (scene units, % of its size)',
    "Target: mean <= {mean:g}%, worst <= {worst:g}% of the template's size (bounding-"
    'box diagonal)',
    'no model',
    'template fit',
    'shape',
    'context',
    'Move Template Up',
    'Move Template Down',
    # issue 24: the sidebar in an artist's words
    ' (current frame)',
    "'{preview}': {name} at keyframe {key} (frame {frame}), mean {mean:.4g}, worst "
    '{worst:.4g} scene units (blue none, red beyond the target)',
    "Added '{name}' with {n} petals: key its Bloom and Context in the Flower panel",
    'Added a petal and turned on Render > Lock Interface: renders rebuild live petals on '
    'every frame only with it on',
    'Baked {n} frames ({first} to {last}) into {count} object(s): {names}',
    'Beyond the templates: new shapes',
    'Captured at frames {frames} (Time 0 to 1); {rows} rows, base to tip',
    'Captured: {info}',
    'Example Petal Templates',
    'Flower',
    'Grid from Mesh',
    'Left out: {mods}',
    'Make and Capture',
    'No shape keys to sculpt',
    'Petal',
    'Petal Template',
    'Replaced the previous bake of {n} petal(s)',
    'Sculpt the active key on its frame, where it shows alone (Object Data > Shape Keys '
    'picks the key)',
    'Select a petal to edit it',
    'Select petals or a flower to bake (Add Petal or Add Flower makes them)',
    "Show Error (the colour button) makes a preview petal of the template's worst "
    'keyframe, coloured where the model is off (it never renders)',
    'Time (from Bloom)',
    'Training Curve',
    'Training error (lower is closer): {losses}',
    'Where each template sits (Context, Context B):',
    'frame {frame:g}',
    'not keyed',
    '{name} Offset',
    'Trained in {seconds:.1f} s (the farthest vertex is off by {worst:.2f}% of its '
    "template's size)",
    'It ended short of the target, so its last fit used a wider layer: its petals cost up to '
    '1.8x to play back',
    'Time is past the captured keyframes: the motion carries on',
    'the whole petal',
    '{n} of {m} rows',
    "Up to {pct:.0f}% past the templates' spread ({where})",
    # one-object flowers (issue 19)
    'Add Ring',
    'Edited by hand: its vertices are kept (Reset Petal Mesh gives it a new generated mesh)',
    'Ring {n}',
    'Select a flower (Add Flower makes one)',
    'Separate Petals',
    'Separated {n} petals',
    'Scatter Flowers',
    "Scattered '{f}' on '{s}' ({m}): open its node tree to edit",
    'Make a flower active (Add Flower makes one)',
    'Select the mesh to scatter on, then the flower',
    'Select a surface with a GRC Scatter modifier',
    "Baked {n} variants into '{c}'",
    "This flower's petals are already separate objects",
)


def _rna_strings(classes: Iterable[Any]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for cls in classes:
        rna = getattr(cls, "bl_rna", None)
        if rna is None:
            continue
        label = getattr(cls, "bl_label", "") or rna.name
        if label:
            out.add((OPERATOR_CONTEXT if issubclass(cls, bpy.types.Operator) else DEFAULT_CONTEXT,
                     label))
        if rna.description:
            out.add((DEFAULT_CONTEXT, rna.description))
        for prop in rna.properties:
            if prop.identifier == "rna_type":
                continue
            for text in (prop.name, prop.description):
                if text:
                    out.add((prop.translation_context or DEFAULT_CONTEXT, text))
            for item in getattr(prop, "enum_items", ()):
                for text in (item.name, item.description):
                    if text:
                        out.add((DEFAULT_CONTEXT, text))
    return out


def source_dict(classes: Iterable[Any] = (), extra: Iterable[str] = ()) -> dict:
    """{"en_US": {(context, msgid): msgid}}: the English source every translation maps."""
    keys = {(DEFAULT_CONTEXT, m) for m in (*MESSAGES, *extra)} | _rna_strings(classes)
    return {SOURCE_LOCALE: {key: key[1] for key in sorted(keys)}}


def register(package: str, classes: Iterable[Any] = (), extra: Iterable[str] = ()) -> None:
    unregister(package)
    bpy.app.translations.register(package, source_dict(classes, extra))
    _registered.append(package)


def unregister(package: str) -> None:
    if package in _registered:
        _registered.remove(package)
        try:
            bpy.app.translations.unregister(package)
        except (ValueError, RuntimeError):
            pass


def registered() -> list[str]:
    return list(_registered)
