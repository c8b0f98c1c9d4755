"""App handlers: petals regenerated in every depsgraph, and cache hygiene around load and undo.

Property update callbacks do not fire when animation or a driver sets a value. Keyframed
values reach the mesh through `frame_change_post`, which every depsgraph runs for its
frames (playback, scrubbing, F12, animation renders and their motion-blur sub-frames,
Alembic export) and which hands over that depsgraph: live.sync reads the values there.
Drivers reach it through `depsgraph_update_post`. All handlers are @persistent so they
survive file loads, and every one is removed in unregister().
"""
from __future__ import annotations

import bpy
from bpy.app.handlers import persistent

from . import caches, store
from .access import is_flower_object, model_settings
from .models import datablock, migrate, scene_models
from .fields import instanced
from .petals import edits, live
from .training import jobs, state


@persistent
def on_frame_change_post(scene, depsgraph=None):
    # Flowers seen only through instancers (fields/instanced.py) are written too.
    try:
        flowers = live.scene_flowers(scene)
        extra = instanced.extra_flowers(live.LIVE, scene, depsgraph, flowers)
        keyed = instanced.keyed_values(live.LIVE, flowers, extra, depsgraph)
    except ReferenceError:
        live.LIVE.clear()
        extra, keyed = [], {}
    live.on_frame_change(scene, depsgraph, extra, keyed)


def _regenerate(scene, objects=None) -> None:
    """live.regenerate, with the keyed values of the flowers Blender does not animate
    (hidden, excluded: a field's variants) read from their actions at the scene's frame."""
    flowers = live.scene_flowers(scene, objects)
    keyed = instanced.keyed_values(live.LIVE, flowers, [], None, scene)
    live.regenerate(scene, objects, keyed)


def _resync_after_render() -> None:
    for scene in bpy.data.scenes:
        if live.scene_petals(scene) or any(map(is_flower_object, scene.objects)):
            _regenerate(scene)


@persistent
def on_render_end(*_args):
    # An animation render leaves the meshes at its last frame: show the viewport's frame
    # again, from the main thread (render handlers may run on the render thread).
    if not bpy.app.timers.is_registered(_resync_after_render):
        bpy.app.timers.register(_resync_after_render, first_interval=0.0)


@persistent
def on_depsgraph_update_post(scene, depsgraph=None):
    # Objects linked, unlinked, added or deleted: the frame path's petal list is stale.
    edits.on_depsgraph_update(scene, depsgraph, lambda flowers: instanced.keyed_values(
        live.LIVE, flowers, [], depsgraph))


@persistent
def on_load_pre(*_args):
    # The training thread holds numpy copies only; stop it before the file goes away.
    jobs.stop(timeout=10.0)


@persistent
def on_load_post(*_args):
    caches.clear_all()
    for scene in bpy.data.scenes:
        if scene.library is None:
            migrate.migrate_scene(scene)        # a file of the previous version
            scene_models.list_models_in_use(scene)
    datablock.make_uids_unique()
    for model in datablock.all_models():
        store.ensure_key(model_settings(model))
    state.mark_interrupted()
    # Regenerate petals so a file opened in a new Blender shows the stored model's shapes.
    for scene in bpy.data.scenes:
        if live.scene_petals(scene) or any(map(is_flower_object, scene.objects)):
            _regenerate(scene)


@persistent
def on_undo_redo_post(*_args):
    # Undo swaps ID data under us: forget decoded models and any bpy references.
    caches.clear_all()
    state.sync_flags()
    # One-object flowers: write them once, so the frame path knows what their meshes hold
    # again (Ctrl+A right after an undo is then folded in, not lost).
    for scene in bpy.data.scenes:          # (a scan: no cache is built when there are none)
        flowers = [o for o in scene.objects if is_flower_object(o)]
        if flowers:
            _regenerate(scene, flowers)


_HANDLERS = (
    ("frame_change_post", on_frame_change_post),
    ("depsgraph_update_post", on_depsgraph_update_post),
    ("render_complete", on_render_end),
    ("render_cancel", on_render_end),
    ("load_pre", on_load_pre),
    ("load_post", on_load_post),
    ("undo_post", on_undo_redo_post),
    ("redo_post", on_undo_redo_post),
)


def register() -> None:
    for attr, fn in _HANDLERS:
        lst = getattr(bpy.app.handlers, attr)
        if fn not in lst:
            lst.append(fn)


def unregister() -> None:
    if bpy.app.timers.is_registered(_resync_after_render):
        bpy.app.timers.unregister(_resync_after_render)
    for attr, fn in _HANDLERS:
        lst = getattr(bpy.app.handlers, attr)
        # Match by name too: a reloaded module leaves a different function object behind.
        for h in [h for h in lst if h is fn or getattr(h, "__qualname__", None) == fn.__qualname__
                  and getattr(h, "__module__", None) == fn.__module__]:
            lst.remove(h)
