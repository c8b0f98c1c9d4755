"""grc.train and grc.cancel_training.

From the interface (invoke) training runs in a background thread and this operator stays
modal: its TIMER events copy progress into the scene and redraw the sidebar, Esc cancels,
every other event passes through so Blender stays responsive. When the thread ends the
model lands on the main thread and the operator FINISHES, so "Train" is one undo step
holding the new model. From scripts (execute) and in background mode (where timers and
modal handlers never run) the same operator trains synchronously.
"""
from __future__ import annotations

import bpy

from ..grc_blender import api
from ..grc_blender.training import jobs
from ..grc_blender.util.i18n import tip
from ..grc_blender.util.redraw import tag_sidebars
from ..model_core import GRCError
from . import polls

TIMER_INTERVAL = 0.2  # s between progress updates in the panel


class GRC_OT_train(bpy.types.Operator):
    """Train the scene's GRC model on the captured templates (Esc or Cancel stops it;
    the previous model is kept unless training completes)"""
    bl_idname = "grc.train"
    bl_label = "Train"
    bl_options = {'REGISTER', 'UNDO'}

    _timer = None

    @classmethod
    def poll(cls, context):
        return (polls.has_scene(cls, context)
                and polls.not_training(cls, "A training is already running (Esc or the "
                                            "Cancel button stops it)")
                and polls.captured(cls, context, "Capture at least two templates first: "
                                                 "select the template meshes and press "
                                                 "Capture Templates")
                and polls.torch_here(cls))

    def _warn(self, scene) -> bool:
        try:
            _ts, warnings = api.prepare(scene)
        except GRCError as exc:
            self.report({'ERROR'}, tip(str(exc)))
            return False
        for w in warnings:
            self.report({'WARNING'}, tip(w))
        return True

    def execute(self, context):
        """Synchronous training (scripts, background mode)."""
        if not self._warn(context.scene):
            return {'CANCELLED'}
        try:
            ok, msg = api.train(context.scene)
        except GRCError as exc:
            ok, msg = False, tip(str(exc))
        self.report({'INFO'} if ok else {'ERROR'}, msg)
        return {'FINISHED'} if ok else {'CANCELLED'}

    def invoke(self, context, event):
        if bpy.app.background or context.window is None:
            return self.execute(context)
        if not self._warn(context.scene):
            return {'CANCELLED'}
        try:
            api.start_training(context.scene)
        except GRCError as exc:
            self.report({'ERROR'}, tip(str(exc)))
            return {'CANCELLED'}
        wm = context.window_manager
        self._timer = wm.event_timer_add(TIMER_INTERVAL, window=context.window)
        wm.modal_handler_add(self)
        return {'RUNNING_MODAL'}

    def _end(self, context):
        if self._timer is not None:
            context.window_manager.event_timer_remove(self._timer)
            self._timer = None
        tag_sidebars()

    def modal(self, context, event):
        job = jobs.current()
        if job is None:  # stopped by a file load or unregister
            self._end(context)
            return {'CANCELLED'}
        if event.type == 'ESC' and event.value == 'PRESS':
            api.cancel_training()
            return {'RUNNING_MODAL'}
        if event.type != 'TIMER' or event.timer is not self._timer:
            return {'PASS_THROUGH'}
        if job.finished.is_set():
            jobs.release(job)
            ok, msg = api.land(job)
            self._end(context)
            self.report({'INFO'} if ok else {'WARNING'}, msg)
            return {'FINISHED'} if ok else {'CANCELLED'}
        api.follow_training(job)
        tag_sidebars()
        return {'PASS_THROUGH'}

    def cancel(self, context):
        # Blender removes the handler (e.g. window closed): stop the thread, keep the model.
        jobs.stop()
        self._end(context)


class GRC_OT_cancel_training(bpy.types.Operator):
    """Stop the running training; the previous model is kept"""
    bl_idname = "grc.cancel_training"
    bl_label = "Cancel Training"
    bl_options = {'REGISTER'}

    @classmethod
    def poll(cls, context):
        return jobs.is_running() or polls.refuse(cls, "No training is running")

    def execute(self, context):
        api.cancel_training()
        return {'FINISHED'}
