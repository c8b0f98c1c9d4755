"""A model's data-block: a Text holding `Text.grc_model` (GRCModelSettings).

Identity: the data-block itself is what petals and flowers point to (stable through
renames, reordering, undo, save and reload). `grc_model.uid` names it for what cannot hold
a pointer: a training thread lands its result in the model holding its uid.
"""
from __future__ import annotations

import uuid
from typing import Any

import bpy

from ..access import model_settings

NOTE = ("GRC model '{name}'.\n\nThis text block is the home of a trained GRC model: its "
        "templates, training settings and weights live in its properties (GRC sidebar > "
        "Models). Petals and flowers point to it, so append and link carry it along.\n")


def is_model(datablock: Any) -> bool:
    return isinstance(datablock, bpy.types.Text) and bool(model_settings(datablock).uid)


def all_models() -> list:
    return [t for t in bpy.data.texts if model_settings(t).uid]


def new_model(name: str = "Model") -> bpy.types.Text:
    """A new, empty model data-block ("Model", "Model.001", ...), kept by a fake user like
    a material: it stays in the file until the artist removes it."""
    text = bpy.data.texts.new(name)
    text.use_fake_user = True
    text.use_module = False
    model_settings(text).uid = uuid.uuid4().hex
    write_note(text)
    return text


def write_note(text: bpy.types.Text) -> None:
    if text.library is None:
        text.from_string(NOTE.format(name=text.name))


def by_uid(uid: str) -> bpy.types.Text | None:
    if not uid:
        return None
    for text in bpy.data.texts:
        if model_settings(text).uid == uid:
            return text
    return None


def copy_group(src: Any, dst: Any) -> None:
    """Copy every registered property of PropertyGroup `src` into `dst` (collections item
    by item, nested groups recursively)."""
    for prop in src.bl_rna.properties:
        name = prop.identifier
        if name == "rna_type" or not hasattr(dst, name):
            continue
        if prop.type == 'COLLECTION':
            target = getattr(dst, name)
            target.clear()
            for item in getattr(src, name):
                copy_group(item, target.add())
        elif prop.type == 'POINTER' and not prop.is_readonly:
            try:
                setattr(dst, name, getattr(src, name))
            except (TypeError, ReferenceError):   # it points at something deleted since
                setattr(dst, name, None)
        elif prop.type == 'POINTER':
            copy_group(getattr(src, name), getattr(dst, name))
        elif not prop.is_readonly:
            value = getattr(src, name)
            if getattr(dst, name) != value:
                setattr(dst, name, value)


def duplicate(text: bpy.types.Text) -> bpy.types.Text:
    """A copy of the model under a new identity (the petals keep pointing at the original)."""
    copy = new_model(text.name)
    uid = model_settings(copy).uid
    copy_group(model_settings(text), model_settings(copy))
    settings = model_settings(copy)
    settings.uid = uid
    settings.is_training = False
    settings.train_token = ""
    return copy


def make_uids_unique() -> None:
    """Two data-blocks with one identity (a model appended twice, a Text copied by hand):
    the later ones get their own, so a training never lands in the wrong one."""
    seen: set[str] = set()
    for text in bpy.data.texts:
        settings = model_settings(text)
        if not settings.uid or text.library is not None:
            continue
        if settings.uid in seen:
            settings.uid = uuid.uuid4().hex
        seen.add(settings.uid)
