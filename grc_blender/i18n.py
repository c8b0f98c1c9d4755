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


def tip(msgid: str) -> str:
    """Reports, statuses and tooltips (Blender's TIP_)."""
    return bpy.app.translations.pgettext_tip(msgid)


def iface(msgid: str) -> str:
    """Interface text: labels, buttons (Blender's IFACE_)."""
    return bpy.app.translations.pgettext_iface(msgid)


# Every literal passed to tip()/iface() in the add-on (tests/blender/test_feedback.py
# parses the sources and checks this list holds them all).
MESSAGES: tuple[str, ...] = (
    # training.py
    "Training started (Esc cancels)", "Training...", "Training: step {step} of {total}",
    "Cancelling...", "Training was interrupted (the file was saved while training)",
    "Scene '{scene}' is gone; the trained model was dropped",
    "Training cancelled; the previous model is kept",
    "Training failed: {error}; the previous model is kept", "no model",
    "The captured templates changed during training; the trained model was dropped and "
    "the previous one is kept",
    "Trained in {seconds:.1f} s (worst template max error {worst:.2f}% of its size)",
    "template fit", "shape", "context",
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
