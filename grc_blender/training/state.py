"""Training as a use case: prepare, start, follow, land or cancel a training run.

`TrainingState` is the only writer of a scene's training state (`Scene.grc.is_training`,
`progress`, `loss_text`, `status`); everything else reads it. The worker thread lives in
jobs.py and never touches bpy; this module runs on the main thread.

A result lands only in the model that started it, found by its identity (`grc_model.uid`,
kept through renames, undo and saves), and only if that model's
captured templates are still the ones trained on; otherwise the previous weights are kept.
The use cases take a scene and act on its active model (or the `model` given).
"""
from __future__ import annotations

import time
import uuid

import bpy

from ...model_core import GRCError, TemplateSet, train_config
from ...model_core.config import TrainConfig
from . import jobs, settings
from ..views import loss_image
from ..petals import live
from .. import store
from ..access import model_settings
from ..models import datablock
from ..models.scene_models import require_active
from ..util.i18n import tip

class TrainingState:
    """The training state of one model, written here only."""

    def __init__(self, model) -> None:
        self.g = model_settings(model)

    def started(self) -> None:
        g = self.g
        g.is_training, g.progress, g.loss_text = True, 0.0, ""
        g.loss_curve.clear()
        g.loss_total = 0
        g.status = tip("Training started (Esc cancels)")

    def synchronous(self) -> None:
        """A training on the calling thread (scripts, background mode) begins."""
        self.g.loss_curve.clear()
        self.g.loss_total = 0
        self.g.status = tip("Training...")

    def running(self, step: int, total: int, losses: dict) -> None:
        g = self.g
        g.is_training = True
        g.progress = min(max(step / max(total, 1), 0.0), 1.0)
        g.loss_text = format_losses(losses)
        g.status = tip("Training: step {step} of {total}").format(step=step, total=total)

    def curve(self, job: jobs.TrainingJob) -> int:
        """Append the job's loss points the scene does not hold yet (the curve survives in
        the .blend). Returns how many were added."""
        curve = self.g.loss_curve
        points = job.history(len(curve))
        total = job.snapshot()[1]
        if self.g.loss_total != total:
            self.g.loss_total = total
        for step, name, value in points:
            item = curve.add()
            item.name, item.step, item.value = name, step, value
        return len(points)

    def cancelling(self) -> None:
        self.g.status = tip("Cancelling...")

    def ended(self, status: str, losses: dict | None = None, done: bool = False) -> str:
        g = self.g
        g.is_training = False
        if losses:
            g.loss_text = format_losses(losses)
        if done:
            g.progress = 1.0
        g.status = status
        return status

    def interrupted(self) -> None:
        """A file saved mid-training must not open as "training" forever."""
        if self.g.is_training:
            self.ended(tip("Training was interrupted (the file was saved while training)"))

    def follow(self, running: bool) -> None:
        """After undo/redo the restored flag may be stale: the job is the truth."""
        if self.g.is_training != running:
            self.g.is_training = running


def format_losses(losses: dict) -> str:
    return "  ".join(f"{loss_image.loss_label(k)} {v:.3g}" for k, v in sorted(losses.items())
                     if isinstance(v, (int, float)))


def overrides(model) -> dict:
    """TrainConfig overrides from the model's training settings."""
    return settings.overrides(model_settings(model))


def prepare(scene, model=None) -> tuple[TemplateSet, list[str]]:
    """The model's captured templates, validated, and warnings; GRCError with what to do."""
    cap = store.get_captured(model or require_active(scene))
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
    return ts, warnings


def new_job(scene, templates: TemplateSet | None = None, model=None,
            **changes) -> jobs.TrainingJob:
    """A training job for the model's templates and settings (`changes` override settings);
    GRCError for bad settings, before any thread starts. The trainer is imported by the job."""
    model = model or require_active(scene)
    if templates is None:
        templates, _ = prepare(scene, model)
    try:
        config = train_config(**(overrides(model) | changes))
    except TypeError as exc:
        raise GRCError(f"bad training settings: {exc}") from None
    config.validate()
    g = model_settings(model)
    g.train_token = uuid.uuid4().hex
    return jobs.TrainingJob(g.uid, model.name, templates, config, int(g.seed),
                            token=g.train_token, captured_key=store.payload_key(g.captured))


def start_training(scene, model=None, **changes) -> jobs.TrainingJob:
    """Start training the active model (or `model`) in the background thread."""
    model = model or require_active(scene)
    job = jobs.start(new_job(scene, model=model, **changes))
    TrainingState(model).started()
    return job


def train(scene, model=None, **changes) -> tuple[bool, str]:
    """Train synchronously (scripts, background mode) and land the result. (ok, message)."""
    model = model or require_active(scene)
    job = new_job(scene, model=model, **changes)
    TrainingState(model).synchronous()
    job.run_here()
    return land(job)


def _model_of(job: jobs.TrainingJob):
    """The model that started `job`, by identity (an undo may have restored its older
    training token: the identity is what counts), or None if it is gone."""
    return datablock.by_uid(job.model_uid)


def follow_training(job: jobs.TrainingJob) -> None:
    """Copy the job's progress into its model (main thread, from the operator's timer)."""
    model = _model_of(job)
    if model is not None:
        state = TrainingState(model)
        state.running(*job.snapshot())
        if state.curve(job):
            loss_image.update(model)


def cancel_training() -> bool:
    job = jobs.current()
    if not jobs.cancel() or job is None:
        return False
    model = _model_of(job)
    if model is not None:
        TrainingState(model).cancelling()
    return True


def land(job: jobs.TrainingJob) -> tuple[bool, str]:
    """Main thread: write a finished job's weights (if any) into its model. (ok, message)."""
    model = _model_of(job)
    seconds = time.perf_counter() - job.started
    if model is None:
        return False, tip("Model '{model}' is gone; the trained weights were dropped").format(
            model=job.model_name)
    state = TrainingState(model)
    g = state.g
    _step, _total, losses = job.snapshot()
    state.curve(job)
    loss_image.update(model)
    if job.cancelled:
        return False, state.ended(tip("Training cancelled; the previous model is kept"), losses)
    if job.error or job.model is None:
        return False, state.ended(tip("Training failed: {error}; the previous model is kept")
                                  .format(error=tip(job.error or "no model")), losses)
    if store.payload_key(g.captured) != job.captured_key:
        return False, state.ended(tip("The captured templates changed during training; the "
                                      "trained model was dropped and the previous one is kept"),
                                  losses)
    # One duration everywhere: the status and the model's summary both say what the artist
    # waited (rounded as both show it).
    job.model.meta["train_seconds"] = round(seconds, 1)
    store.set_model(model, job.model)
    worst = max((e.get("max_pct", 0.0) for e in job.model.errors), default=0.0)
    msg = tip("Trained in {seconds:.1f} s (the farthest vertex is off by {worst:.2f}% of its "
              "template's size)").format(seconds=job.model.meta["train_seconds"], worst=worst)
    if job.model.meta.get("rescued"):
        msg += ". " + tip("It ended short of the target, so its last fit used a wider layer: "
                          "its petals cost up to 1.8x to play back")
    msg = state.ended(msg, losses, done=True)
    for scene in bpy.data.scenes:          # only the petals and flowers of this model change
        live.regenerate(scene, live.petals_of_model(scene, model))
    return True, msg


def sync_flags() -> None:
    """After undo/redo: every model's is_training follows the running job."""
    job = jobs.current()
    running = job.model_uid if job is not None and not job.finished.is_set() else None
    for model in datablock.all_models():
        TrainingState(model).follow(running is not None
                                    and model_settings(model).uid == running)


def mark_interrupted() -> None:
    for model in datablock.all_models():
        if model.library is None:
            TrainingState(model).interrupted()
