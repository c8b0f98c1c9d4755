"""grc.train and grc.cancel_training.

From the interface (invoke) training runs in a background thread (grc_blender.jobs) and
this operator stays modal: its TIMER events copy progress into Scene.grc and redraw the
sidebar, Esc cancels, every other event passes through so Blender stays responsive. When
the thread ends the model is written on the main thread and the operator FINISHES, which
makes "Train" one undo step holding the new model.

From scripts (execute) and in background mode (`bpy.app.background`, where timers and
modal handlers never run) the same operator trains synchronously and returns when done.

A cancelled or failed training never touches the stored model.
"""
from __future__ import annotations

import time
import uuid

import bpy

from ..grc_blender import jobs, petals, store
from ..grc_blender.redraw import tag_sidebars
from ..grc_blender.access import scene_settings
from ..grc_blender.props import TRAIN_DEFAULTS
from ..model_core import GRCError

TIMER_INTERVAL = 0.2  # s between progress updates in the panel


def train_overrides(g) -> dict:
    """TrainConfig overrides from the panel settings (model_core.train_config builds it).

    Settings still at their defaults are left out, so model_core's exact values apply
    (Blender stores float properties as float32: 0.02 would come back as 0.0199999996)."""
    dims = int(g.context_dims)
    if g.literal:
        return dict(literal=True, context_dims=dims)
    out = dict(context_dims=dims)
    for name in ("steps", "template_steps", "lr_r", "lr_g", "context_filter"):
        value, default = getattr(g, name), TRAIN_DEFAULTS[name]
        if abs(value - default) > 1e-6 * abs(default):
            out[name] = value
    return out


def prepare(scene):
    """(TemplateSet, overrides, seed, warnings) or GRCError with what to do."""
    g = scene.grc
    cap = store.get_captured(scene)
    if cap is None:
        raise GRCError("No templates captured: select the template objects and press Capture "
                       "(or add the example templates)")
    if len(cap.names) < 2:
        raise GRCError(f"Only {len(cap.names)} template captured: training needs at least 2 "
                       f"(select all template objects and Capture again)")
    ts = cap.template_set()
    names = ts.names
    warnings = [f"templates '{names[i]}' and '{names[j]}' are identical: the context "
                f"cannot separate them" for i, j in ts.identical_pairs()]
    return ts, train_overrides(g), int(g.seed), warnings


def apply_result(job: jobs.TrainingJob) -> tuple[bool, str]:
    """Main thread: write a finished job's model (if any) into its scene. (ok, message)."""
    scene = bpy.data.scenes.get(job.scene_name)
    seconds = time.perf_counter() - job.started
    if scene is None or scene_settings(scene).train_token != job.token:
        return False, f"Scene '{job.scene_name}' is gone; the trained model was dropped"
    g = scene_settings(scene)
    g.is_training = False
    step, total, losses = job.snapshot()
    if losses:
        g.loss_text = jobs.format_losses(losses)
    if job.cancelled:
        g.status = "Training cancelled; the previous model is kept"
        return False, g.status
    if job.error or job.model is None:
        g.status = f"Training failed: {job.error or 'no model'}; the previous model is kept"
        return False, g.status
    if store.payload_key(g.captured) != job.captured_key:
        g.status = ("The captured templates changed during training; the trained model was "
                    "dropped and the previous one is kept")
        return False, g.status
    old_key = g.model_key
    store.set_model(scene, job.model)
    petals.follow_new_model(scene, old_key)
    g.progress = 1.0
    worst = max((e.get("max_pct", 0.0) for e in job.model.errors), default=0.0)
    g.status = f"Trained in {seconds:.1f} s (worst template max error {worst:.2f}% of its size)"
    petals.regenerate(scene)
    return True, g.status


def make_job(scene, templates, overrides: dict, seed: int) -> jobs.TrainingJob:
    """A training job for `templates` with the panel's settings; GRCError for bad settings.

    model_core's TrainConfig is torch-free, so the settings are checked here, before any
    thread starts; torch is imported inside the job's model_core.train call only."""
    from ..model_core import train_config
    try:
        config = train_config(**overrides)
    except TypeError as exc:
        raise GRCError(f"bad training settings: {exc}") from None
    config.validate()
    g = scene_settings(scene)
    g.train_token = uuid.uuid4().hex
    return jobs.TrainingJob(scene.name, templates, config, seed, token=g.train_token,
                            captured_key=store.payload_key(g.captured))


class GRC_OT_train(bpy.types.Operator):
    """Train the scene's GRC model on the captured templates (Esc or Cancel stops it;
    the previous model is kept unless training completes)"""
    bl_idname = "grc.train"
    bl_label = "Train"
    bl_options = {'REGISTER', 'UNDO'}

    _timer = None

    @classmethod
    def poll(cls, context):
        if jobs.is_running():
            cls.poll_message_set("A training is already running")
            return False
        return context.scene is not None

    def _job(self, context) -> jobs.TrainingJob | None:
        try:
            ts, overrides, seed, warnings = prepare(context.scene)
            job = make_job(context.scene, ts, overrides, seed)
        except GRCError as exc:
            self.report({'ERROR'}, str(exc))
            return None
        for w in warnings:
            self.report({'WARNING'}, w)
        return job

    def execute(self, context):
        """Synchronous training (scripts, background mode)."""
        job = self._job(context)
        if job is None:
            return {'CANCELLED'}
        context.scene.grc.status = "Training..."
        job.run_here()
        ok, msg = apply_result(job)
        self.report({'INFO'} if ok else {'ERROR'}, msg)
        return {'FINISHED'} if ok else {'CANCELLED'}

    def invoke(self, context, event):
        if bpy.app.background or context.window is None:
            return self.execute(context)
        job = self._job(context)
        if job is None:
            return {'CANCELLED'}
        scene = context.scene
        jobs.start(job)
        scene.grc.is_training = True
        scene.grc.progress = 0.0
        scene.grc.loss_text = ""
        scene.grc.status = "Training started (Esc cancels)"
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
            job.cancel_event.set()
            return {'RUNNING_MODAL'}
        if event.type != 'TIMER' or event.timer is not self._timer:
            return {'PASS_THROUGH'}
        if job.finished.is_set():
            jobs.release(job)
            ok, msg = apply_result(job)
            self._end(context)
            self.report({'INFO'} if ok else {'WARNING'}, msg)
            return {'FINISHED'} if ok else {'CANCELLED'}
        scene = bpy.data.scenes.get(job.scene_name)
        if scene is not None:
            jobs.write_progress(scene, job)
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
        return jobs.is_running()

    def execute(self, context):
        jobs.cancel()
        context.scene.grc.status = "Cancelling..."
        return {'FINISHED'}
