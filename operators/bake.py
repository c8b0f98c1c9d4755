"""grc.bake_shape_keys: petals and flowers to shape keys, with progress; Esc stops it.

From the interface the bake samples frames on timer events (the cursor shows progress,
Esc cancels and leaves everything as it was); from scripts and in background mode it runs
through in one call."""
from __future__ import annotations

import time

import bpy

from ..grc_blender import api
from ..grc_blender.petals.bake import Baking, bake_source, baked_frame_count
from ..grc_blender.util.i18n import tip
from ..model_core import GRCError
from . import polls
from .petal import _model_poll, _selected
from ..grc_blender.access import is_petal

SLICE = 0.1   # s of sampling between two looks at the event queue


def _bake_targets(context) -> list:
    return [o for o in _selected(context) if o.grc.is_flower
            or is_petal(o) or bake_source(o) is not None]


class GRC_OT_bake_shape_keys(bpy.types.Operator):
    """Bake the selected petals (a selected flower brings all its petals) into shape keys on
    plain mesh copies, which render and export without the extension: over the frames they
    are animated over, unless told otherwise. Baking again replaces the previous bake (Esc
    stops it)"""
    bl_idname = "grc.bake_shape_keys"
    bl_label = "Bake to Shape Keys"
    bl_options = {'REGISTER', 'UNDO'}

    frame_range: bpy.props.EnumProperty(
        name="Frames", default='ANIMATED', description="Which frames to bake",
        items=[('ANIMATED', "Animated", "The frames the petals are animated over: their "
                                        "keyframes and their flowers' (without any, the "
                                        "captured templates' frames)"),
               ('SCENE', "Scene Range", "The scene's start to end frame"),
               ('CUSTOM', "Custom", "From Start to End below")])
    frame_start: bpy.props.IntProperty(name="Start", default=1,
                                       description="First frame to bake (Frames: Custom)")
    frame_end: bpy.props.IntProperty(name="End", default=250,
                                     description="Last frame to bake (Frames: Custom)")
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
            return polls.refuse(cls, "Select petals or a flower to bake (Add Petal or Add "
                                     "Flower makes them)")
        return True

    def draw(self, context):
        layout = self.layout
        if layout is None:
            return
        layout.use_property_split = True
        layout.prop(self, "frame_range")
        col = layout.column(align=True)
        col.enabled = self.frame_range == 'CUSTOM'
        col.prop(self, "frame_start")
        col.prop(self, "frame_end")
        layout.prop(self, "step")
        layout.prop(self, "hide_live")

    def _start(self, context) -> bool:
        scene = context.scene
        first, last = {'SCENE': (scene.frame_start, scene.frame_end),
                       'CUSTOM': (self.frame_start, self.frame_end)}.get(self.frame_range,
                                                                          (None, None))
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
        self.report({'INFO'}, tip("Baked {n} frames ({first} to {last}) into {count} "
                                  "object(s): {names}").format(
            n=n, first=baking.frames[0], last=baking.frames[-1], count=len(baked),
            names=", ".join(f"'{o.name}'" for o in baked[:3])
            + (" ..." if len(baked) > 3 else "")))
        if baking.replaced:
            self.report({'INFO'}, tip("Replaced the previous bake of {n} petal(s)").format(
                n=baking.replaced))
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
