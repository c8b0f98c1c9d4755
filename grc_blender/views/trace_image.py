"""The Petal panel's context-trace image: model_core.plots.plot drawn into a custom preview.

One `bpy.utils.previews` collection holds one preview, "traces": the active petal's trace
plot (model_core.plots.plot.trace_plot: every template's context against morphology at the
petal's time, the petal's context path; the 2-D pad for 2-D models). The panel shows it
with `layout.template_icon(icon_value=preview.icon_id, scale=...)`.

When is it redrawn? The panel's draw() calls `panel_state(scene, obj)`, which compares a
cheap key (scene, object, model key, time, context, context B, offset, rows: plain values,
no model decoding) with the key of the last image. A stale key schedules ONE one-shot
`bpy.app.timers` callback, at most every THROTTLE seconds, which renders the plot (about
10 ms) and tags the sidebars for redraw. So:
  * slider drags, typed values, undo, file loads and keyframed values during playback all
    redraw the image (property update callbacks would miss keyframed values, and the frame
    handler regenerates every petal: the image belongs to the one petal the panel shows);
  * nothing is computed while the panel is hidden or nothing changed;
  * in background mode (scripts, tests; timers never run) the render is synchronous.

Pixels: model_core.plots.plot returns rows top-first (PNG order); previews, like every Blender
image buffer, are bottom-up, so the rows are flipped on the way in (`pixels()` flips back).
Previews keep 8 bits per channel. Nothing here holds bpy data: only names and numbers.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import bpy
import numpy as np

from ...model_core import GRCError
from ...model_core.context import ALL_SLIDER_FIELDS
from ...model_core.plots import plot
from . import preview_pixels
from .. import store
from ..util.i18n import tip
from ..util.redraw import tag_sidebars
from ..access import is_petal

WIDTH, HEIGHT = 256, 232      # the preview's pixels (template_icon draws it in a square)
MAX_PLOT_ROWS = 64            # path/trace samples along the morphology
THROTTLE = 0.05               # s: at most ~20 renders a second while a slider is dragged
PREVIEW_NAME = "traces"


@dataclass
class TraceState:
    """What the panel shows for the last rendered petal (plain values only)."""
    key: tuple | None = None
    error: str = ""
    warnings: list[str] = field(default_factory=list)
    pads: list[tuple] = field(default_factory=list)   # a pad view: (name, *slider values)
    rendered_at: float = 0.0
    renders: int = 0
    pending: tuple[str, str] | None = None        # (scene name, object name) to render


_pcoll: Any = None
_state = TraceState()


# ---- registration ---------------------------------------------------------------------------

def register() -> None:
    global _pcoll
    if _pcoll is None:
        _pcoll = preview_pixels.open_collection(PREVIEW_NAME)


def unregister() -> None:
    global _pcoll, _state
    if bpy.app.timers.is_registered(_on_timer):
        bpy.app.timers.unregister(_on_timer)
    preview_pixels.close_collection(_pcoll)
    _pcoll = None
    _state = TraceState()


def state() -> TraceState:
    return _state


def preview():
    """The ImagePreview holding the image (None when the add-on is not registered)."""
    return None if _pcoll is None else _pcoll.get(PREVIEW_NAME)


def icon_id() -> int:
    """The preview's icon id for template_icon (0: none, e.g. in background mode)."""
    p = preview()
    return int(p.icon_id) if p is not None and _state.key is not None else 0


def pixels() -> np.ndarray:
    """The preview's pixels as (H, W, 4) float32, row 0 = top (as model_core.plots.plot draws)."""
    return preview_pixels.read(preview())


# ---- what to draw -----------------------------------------------------------------------------

def plot_rows(obj) -> int:
    return int(min(max(obj.grc.rows, 2), MAX_PLOT_ROWS))


def petal_alpha(obj, fields: tuple[str, ...]) -> tuple[float, ...]:
    """The petal's slider values, one per field of the model's context."""
    g = obj.grc
    return tuple(float(getattr(g, f)) for f in fields)


def _plain(values: tuple[float, ...]) -> Any:
    """One slider value as a number, several as a tuple (how the plot takes alpha)."""
    return values[0] if len(values) == 1 else values


def petal_key(scene, obj) -> tuple:
    """Cheap identity of what the image shows: plain values read from properties."""
    g = obj.grc
    return (scene.name, obj.name, store.key_of(g.model), float(g.time),
            petal_alpha(obj, ALL_SLIDER_FIELDS), float(g.offset), plot_rows(obj))


def view_for(scene, obj, width: int = WIDTH, height: int = HEIGHT) -> plot.TraceView | None:
    """The model_core.plots.plot.TraceView of `obj` (None without a model; GRCError if refused)."""
    model = store.get_model(obj.grc.model)
    if model is None:
        return None
    g = obj.grc
    return plot.trace_view(model, float(g.time), _plain(petal_alpha(obj, model.context.slider_fields)),
                           float(g.offset), rows=plot_rows(obj), width=width, height=height)


def refresh(scene, obj) -> bool:
    """Render the trace image of petal `obj` now (main thread). True if the image changed."""
    key = petal_key(scene, obj)
    _state.key, _state.pending = key, None
    _state.rendered_at = time.perf_counter()
    try:
        view = view_for(scene, obj)
    except (GRCError, ValueError) as exc:
        _state.error, _state.warnings, _state.pads = str(exc), [], []
        return False
    if view is None:
        _state.error, _state.warnings, _state.pads = "No trained model", [], []
        return False
    rgba = plot.render(view)
    p = preview()
    if p is not None:
        preview_pixels.write(p, rgba)
    _state.error = ""
    _state.warnings = beyond_notes(view.extrapolation)
    model = store.get_model(obj.grc.model)
    if model is not None and model.context.view == "pad":
        _state.pads = [(view.names[k], *model.template_context(k))
                       for k in range(view.n_templates)]
    else:
        _state.pads = []
    _state.renders += 1
    return True


def beyond_notes(ex) -> list[str]:
    """Where the petal goes beyond the templates (model_core's Extrapolation), in the
    panel's words: a note, not an error (inventing new shapes is the point)."""
    notes = []
    if ex.time_outside:
        notes.append(tip("Time is past the captured keyframes: the motion carries on"))
    if ex.context_outside:
        rows = ex.rows_outside
        where = (tip("the whole petal") if len(rows) and bool(rows.all())
                 else tip("{n} of {m} rows").format(n=int(rows.sum()), m=len(rows)))
        notes.append(tip("Up to {pct:.0f}% past the templates' spread ({where})").format(
            pct=100 * ex.excess, where=where))
    return notes


def panel_state(scene, obj) -> TraceState:
    """Called from the panel's draw(): schedule a (throttled) render if the image is stale."""
    if _state.key != petal_key(scene, obj):
        request(scene, obj)
    return _state


def request(scene, obj) -> None:
    """Ask for the image of `obj`; renders now in background mode, else from a timer."""
    _state.pending = (scene.name, obj.name)
    if bpy.app.background:
        _safe_refresh(scene, obj)
        return
    if not bpy.app.timers.is_registered(_on_timer):
        wait = max(0.0, THROTTLE - (time.perf_counter() - _state.rendered_at))
        bpy.app.timers.register(_on_timer, first_interval=wait)


def _on_timer() -> None:
    pending, _state.pending = _state.pending, None
    if pending is None:
        return None
    scene = bpy.data.scenes.get(pending[0])
    obj: Any = bpy.data.objects.get(pending[1])
    if scene is None or not is_petal(obj):
        return None
    _safe_refresh(scene, obj)
    tag_sidebars()
    return None


def _safe_refresh(scene, obj) -> None:
    """refresh() for the UI paths: an unexpected failure becomes the panel's message
    (and the key is kept, so a broken plot is not retried on every redraw)."""
    try:
        refresh(scene, obj)
    except Exception as exc:  # never raise into a draw() or a timer
        _state.key = petal_key(scene, obj)
        _state.error = f"Trace image failed ({type(exc).__name__}: {exc})"
        _state.warnings, _state.pads = [], []


