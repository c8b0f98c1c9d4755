"""grc.bake_shape_keys: petals and flowers to shape keys, with progress; Esc stops it.

From the interface the bake samples frames on timer events (the cursor shows progress,
Esc cancels and leaves everything as it was); from scripts and in background mode it runs
through in one call."""
from __future__ import annotations

import time

import bpy

from ..grc_blender import api
from ..grc_blender.petals.bake import Baking, baked_frame_count
from ..grc_blender.util.i18n import tip
from ..model_core import GRCError
from . import polls
from .petal import _model_poll, _selected
from ..grc_blender.access import is_petal

SLICE = 0.1   # s of sampling between two looks at the event queue


def _bake_targets(context) -> list:
    return [o for o in _selected(context) if o.grc.is_flower
            or is_petal(o)]


class GRC_OT_bake_shape_keys(bpy.types.Operator):
    """Bake the selected petals (a selected flower brings all its petals) over a frame range
    into shape keys on plain mesh copies, which render and export without the extension
    (Esc stops it)"""
    bl_idname = "grc.bake_shape_keys"
    bl_label = "Bake to Shape Keys"
    bl_options = {'REGISTER', 'UNDO'}

    use_scene_range: bpy.props.BoolProperty(
        name="Scene Range", default=True, description="Bake the scene's frame range")
    frame_start: bpy.props.IntProperty(name="Start", default=1,
                                       description="First frame to bake (without Scene Range)")
    frame_end: bpy.props.IntProperty(name="End", default=250,
                                     description="Last frame to bake (without Scene Range)")
    step: bpy.props.IntProperty(name="Step", default=1, min=1, soft_max=10,
                                description="Bake every Nth frame; frames between blend")
    hide_live: bpy.props.BoolProperty(
        name="Hide Live Petals", default=True,
        description="Hide the live petals so the file renders the bake alone (in a Blender "
                    "without the extension, or on a render farm)")

    _baking: Baking | None = None
    _timer = None

    @classmethod
    def poll(cls, context):
        if not (_model_poll(cls, context) and polls.object_mode(cls, context)):
            return False
        if not _bake_targets(context):
            return polls.refuse(cls, "Select GRC petals or a GRC flower to bake (Add GRC "
                                     "Petal or GRC Flower makes them)")
        return True

    def _start(self, context) -> bool:
        scene = context.scene
        first, last = ((scene.frame_start, scene.frame_end) if self.use_scene_range
                       else (self.frame_start, self.frame_end))
        try:
            self._baking = Baking(scene, _bake_targets(context), first, last, self.step,
                                  self.hide_live)
        except GRCError as exc:
            self.report({'ERROR'}, tip(str(exc)))
            return False
        return True

    def _finish(self, context):
        baking = self._baking
        self._baking = None
        if baking is None:
            return {'CANCELLED'}
        try:
            baked = baking.finish()
            n = baked_frame_count(baked[0])
        except GRCError as exc:
            self.report({'ERROR'}, tip(str(exc)))
            return {'CANCELLED'}
        self.report({'INFO'}, tip("Baked {n} frames into {count} object(s): {names}").format(
            n=n, count=len(baked), names=", ".join(f"'{o.name}'" for o in baked[:3])
            + (" ..." if len(baked) > 3 else "")))
        return {'FINISHED'}

    def execute(self, context):
        """The whole bake in one call (scripts, background mode)."""
        if not self._start(context):
            return {'CANCELLED'}
        baking = self._baking
        assert baking is not None
        wm = context.window_manager
        wm.progress_begin(0, len(baking.frames))
        try:
            while baking.advance():
                wm.progress_update(baking.done)
        except BaseException:
            baking.cancel()
            raise
        finally:
            wm.progress_end()
        return self._finish(context)

    def invoke(self, context, event):
        if bpy.app.background or context.window is None:
            return self.execute(context)
        if not self._start(context):
            return {'CANCELLED'}
        wm = context.window_manager
        wm.progress_begin(0, len(self._baking.frames) if self._baking else 1)
        self._timer = wm.event_timer_add(0.01, window=context.window)
        wm.modal_handler_add(self)
        return {'RUNNING_MODAL'}

    def _end(self, context) -> None:
        wm = context.window_manager
        if self._timer is not None:
            wm.event_timer_remove(self._timer)
            self._timer = None
        wm.progress_end()

    def modal(self, context, event):
        baking = self._baking
        if baking is None:
            self._end(context)
            return {'CANCELLED'}
        if event.type == 'ESC' and event.value == 'PRESS':
            baking.cancel()
            self._baking = None
            self._end(context)
            self.report({'WARNING'}, tip("Bake cancelled: nothing was changed"))
            return {'CANCELLED'}
        if event.type != 'TIMER' or event.timer is not self._timer:
            return {'RUNNING_MODAL'}
        stop = time.perf_counter() + SLICE
        more = baking.advance()                    # at least one frame a tick
        while more and time.perf_counter() < stop:
            more = baking.advance()
        context.window_manager.progress_update(baking.done)
        if more:
            return {'RUNNING_MODAL'}
        self._end(context)
        return self._finish(context)

    def cancel(self, context):
        if self._baking is not None:
            self._baking.cancel()
            self._baking = None
        self._end(context)
