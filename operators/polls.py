"""Poll checks shared by the operators: each says why the operator is unavailable
(`poll_message_set`, shown in the button's tooltip and raised by bpy.ops), in order of what
the artist has to do first."""
from __future__ import annotations

from typing import Any

from ..grc_blender.training import jobs, torch_check
from ..grc_blender import store
from ..grc_blender.access import active_model_settings
from ..grc_blender.models.scene_models import active_model
from ..grc_blender.util.i18n import tip


def refuse(cls: Any, message: str) -> bool:
    cls.poll_message_set(tip(message))
    return False


def has_scene(cls: Any, context: Any) -> bool:
    return context.scene is not None or refuse(cls, "Open a scene first")


def object_mode(cls: Any, context: Any) -> bool:
    return (getattr(context, "mode", 'OBJECT') == 'OBJECT'
            or refuse(cls, "Switch to Object Mode first (Tab)"))


def not_training(cls: Any, message: str) -> bool:
    return not jobs.is_running() or refuse(cls, message)


def captured(cls: Any, context: Any, message: str, need: int = 2) -> bool:
    """At least `need` templates captured (reads the template list, never the payload)."""
    g = active_model_settings(context.scene)
    return (g is not None and len(g.templates) >= need) or refuse(cls, message)


def has_active_model(cls: Any, context: Any, message: str) -> bool:
    """The scene's list has an active model (trained or not)."""
    return active_model(context.scene) is not None or refuse(cls, message)


def has_model(cls: Any, context: Any) -> bool:
    model = active_model(context.scene)
    if store.has_model(model):
        return True
    refusal = store.model_refusal(model)
    if refusal:
        cls.poll_message_set(refusal)
        return False
    return refuse(cls, store.NO_MODEL)


def torch_here(cls: Any) -> bool:
    if torch_check.training_available():      # torch, else model_core's numpy trainer
        return True
    cls.poll_message_set(torch_check.fix())
    return False
