"""The Train panel's loss curve: model_core.plots.loss_plot drawn into a custom preview.

The curve's numbers live in the scene (`Scene.grc.loss_curve`, written by TrainingState
while training and when it lands), so the image survives saving, reopening and undo; this
module only draws them. `update(scene)` renders when the scene's curve differs from the
last image (a cheap key: scene, training token, number of points); the modal training
timer calls it after copying new points, and the panel's draw() asks `panel_icon()`, which
schedules one render on a timer when the image is stale (synchronous in background mode),
as the trace image does. Pixels are stored bottom-up like every Blender image; `pixels()`
returns them top-first, as model_core draws them.
"""
from __future__ import annotations

from typing import Any

import bpy
import numpy as np

from . import preview_pixels
from ...model_core.plots.loss_plot import loss_plot
from ..access import model_settings
from ..util.i18n import iface
from ..util.redraw import tag_sidebars

WIDTH, HEIGHT = 256, 192      # template_icon fits it in a square, keeping its aspect
PREVIEW_NAME = "loss"
# The trainer's loss names in plain words (the legend; Train panel's loss line too).
LOSS_NAMES = {"template": "template fit", "gen": "shape", "rel": "context"}

_pcoll: Any = None
_key: tuple | None = None
_pending: str | None = None
renders = 0         # images rendered since the add-on was enabled (tests read it)


def register() -> None:
    global _pcoll
    if _pcoll is None:
        _pcoll = preview_pixels.open_collection(PREVIEW_NAME)


def unregister() -> None:
    global _pcoll, _key, _pending
    if bpy.app.timers.is_registered(_on_timer):
        bpy.app.timers.unregister(_on_timer)
    preview_pixels.close_collection(_pcoll)
    _pcoll = None
    _key, _pending = None, None


def drop_caches() -> None:
    """A file was loaded: the image is redrawn from the new file's numbers."""
    global _key
    _key = None


def loss_label(name: str) -> str:
    return iface(LOSS_NAMES.get(name, name))


def preview():
    return None if _pcoll is None else _pcoll.get(PREVIEW_NAME)


def curve_key(model) -> tuple:
    g = model_settings(model)
    return (model.name, g.train_token, len(g.loss_curve), g.loss_total)


def curves(model) -> dict[str, tuple[Any, Any]]:
    """The model's stored loss curve: {loss name: (steps, values)}."""
    curve = model_settings(model).loss_curve
    n = len(curve)
    steps, values = np.empty(n, np.int32), np.empty(n, np.float32)
    curve.foreach_get("step", steps)
    curve.foreach_get("value", values)
    names = np.array([p.name for p in curve], dtype=object)
    return {str(k): (steps[names == k], values[names == k]) for k in dict.fromkeys(names)}


def without_final_repeat(steps: Any, values: Any) -> tuple[Any, Any]:
    """Drop the closing report of a training that stopped early: the trainer repeats its
    last losses at the planned total, which would draw a flat line over steps never run."""
    if len(steps) > 2:
        gap = max(float(np.median(np.diff(steps[:-1]))), 1.0)
        if steps[-1] - steps[-2] > 2 * gap:
            return steps[:-1], values[:-1]
    return steps, values


def render(model) -> np.ndarray:
    data = {k: without_final_repeat(s, v) for k, (s, v) in curves(model).items()}
    total = max([model_settings(model).loss_total, *(int(s.max()) for s, _ in data.values())])
    return loss_plot(data, total, WIDTH, HEIGHT, {k: loss_label(k) for k in data})


def update(model) -> bool:
    """Render the model's curve into the preview if it changed. True if it rendered."""
    global _key, renders
    key = curve_key(model)
    if key == _key:
        return False
    _key = key
    p = preview()
    if p is None or not len(model_settings(model).loss_curve):
        return False
    rgba = render(model)
    preview_pixels.write(p, rgba)
    renders += 1
    return True


def pixels() -> np.ndarray:
    """The preview's pixels as (H, W, 4) float32, row 0 = top."""
    return preview_pixels.read(preview())


def panel_icon(model) -> int:
    """For the panel's draw(): the icon id of the model's curve (0: none yet, and always in
    background mode, where previews get no icon); a stale image is re-rendered from a timer
    (at once in background mode)."""
    global _pending
    if model is None or not len(model_settings(model).loss_curve):
        return 0
    if curve_key(model) != _key:
        if bpy.app.background:
            _safe_update(model)
        else:
            _pending = model.name
            if not bpy.app.timers.is_registered(_on_timer):
                bpy.app.timers.register(_on_timer, first_interval=0.0)
            return 0 if _key is None or _key[0] != model.name else _icon()
    return _icon()


def _icon() -> int:
    p = preview()
    return int(p.icon_id) if p is not None else 0


def _on_timer() -> None:
    global _pending
    name, _pending = _pending, None
    model = bpy.data.texts.get(name) if name else None
    if model is not None:
        _safe_update(model)
        tag_sidebars()
    return None


def _safe_update(model) -> None:
    global _key
    try:
        update(model)
    except Exception:   # never raise into a draw() or a timer; keep the key: no retry loop
        _key = curve_key(model)
