"""Property update callbacks: what an edit in the sidebar (or from Python) sets going.

They fire on UI and Python edits, not on animation playback or drivers (handlers.py
covers those). props.py only declares properties and names these.
"""
from __future__ import annotations

import bpy

from . import store
from .petals import flower, live, petal_objects
from .access import is_flower_object, is_petal
from .training import presets
from .util import redraw


def _scene_of(obj, context):
    scene = getattr(context, "scene", None)
    if scene is not None and obj.name in scene.objects:
        return scene
    return obj.users_scene[0] if obj.users_scene else scene


def regenerate_petal(self, context):
    obj = self.id_data
    if self.is_flower:          # a flower's controls: every petal of the flower follows
        targets = [c for c in obj.children if is_petal(c)]
        if is_flower_object(obj):
            targets.append(obj)
    elif self.is_petal:
        targets = [obj]
    else:
        return
    scene = _scene_of(obj, context)
    if scene is not None and targets:
        live.regenerate(scene, targets)


def layout_edited(self, context):
    """A one-object flower's layout value or ring changed: it regenerates at once."""
    obj = self.id_data
    if isinstance(obj, bpy.types.Object) and is_flower_object(obj):
        scene = _scene_of(obj, context)
        if scene is not None:
            live.regenerate(scene, [obj])


def update_merge(self, context):
    scene = _scene_of(self.id_data, context)
    if scene is not None and self.is_flower:
        flower.set_merged(scene, self.id_data, self.merge_petals)


def update_subsurf(self, context):
    petal_objects.sync_subsurf(self.id_data)


def preset_chosen(self, context):
    presets.apply(self, self.preset)


def setting_edited(self, context):
    presets.mark_chosen(self)


def model_data_changed(self, context):
    # Keep the cheap cache key in step with the payload (the frame path reads only the key).
    store.on_model_data_changed(self)


def redraw_views(self, context):
    redraw.tag_view3d()


def is_model(self, datablock) -> bool:
    """Pointer poll: only GRC models are offered where a model is chosen."""
    return bool(getattr(datablock, "grc_model", None) and datablock.grc_model.uid)


def model_chosen(self, context):
    """A petal or flower pointed at another model: regenerate it from that one (the cached
    grouping of petals by model is stale)."""
    live.LIVE.scenes.clear()
    regenerate_petal(self, context)
