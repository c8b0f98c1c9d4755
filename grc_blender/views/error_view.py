"""Show Error: where on the petal the model is off, against the captured template.

`show_error(scene, k, keyframe)` generates template k exactly as the fidelity numbers do
(`model.generate_many(times, template_context(k), offset 0)` on the captured rows, as
model_core.training.trainer.reconstruction_errors), writes it into a preview petal object the
extension makes, and stores on that mesh, per vertex (POINT domain):

  * "GRC Error Distance" (FLOAT): the distance to the captured vertex, scene units;
  * "GRC Error" (FLOAT_COLOR, the active colour attribute): that distance as a heat colour,
    blue 0 -> green -> yellow -> red at the template's worst-vertex target
    (limits.TARGET_MAX_PCT of its size) or at the worst vertex when that is larger, so red
    means "beyond the target" and a model within target never shows red.

The mean and worst of those distances over every captured keyframe are the template's
Fidelity numbers (Scene.grc.fidelity). The preview is reused only while it is still the
extension's own (its generated mesh used by it alone, no shape keys); otherwise a new one
is made and the old one left alone. The captured shape itself is drawn over the preview by
grc_blender.views.ghost.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import bpy
import numpy as np

from ...model_core import GRCError, GRCModel
from ...model_core.limits import TARGET_MAX_PCT
from ..util import mesh_grid
from .. import store
from ..access import active_model_settings, is_petal, mesh_settings, model_settings
from ..models.scene_models import active_model, require_active
from ..util.i18n import tip
from ..store import Captured

ATTR_COLOR = "GRC Error"
ATTR_DISTANCE = "GRC Error Distance"
PREVIEW_NAME = "GRC Error Preview"
# Heat ramp stops (0 .. 1 of the colour scale), linear in between.
RAMP = np.array([(0.10, 0.30, 1.00), (0.20, 0.85, 0.30), (1.00, 0.90, 0.15),
                 (1.00, 0.10, 0.05)])
SPACING = 1.25      # the preview sits this many template widths beside the template

_ghosts: dict[tuple, np.ndarray | None] = {}   # None: no longer matches


@dataclass
class ErrorReport:
    name: str             # template name
    keyframe: int
    frame: float
    time: float
    mean: float           # at this keyframe, scene units
    max: float
    all_mean: float       # over every captured keyframe (= the Fidelity numbers)
    all_max: float
    diag: float           # the keyframe's size (its bounding-box diagonal, as the target has it)

    def message(self) -> str:
        return tip("'{name}' at keyframe {key} (frame {frame:g}, time {time:.2f}): mean error "
                   "{mean:.4g}, worst {worst:.4g} scene units ({mean_pct:.2f}% / "
                   "{worst_pct:.2f}% of its size). All keyframes: mean {all_mean:.4g}, worst "
                   "{all_max:.4g}").format(
            name=self.name, key=self.keyframe, frame=self.frame, time=self.time,
            mean=self.mean, worst=self.max, mean_pct=100 * self.mean / self.diag,
            worst_pct=100 * self.max / self.diag, all_mean=self.all_mean, all_max=self.all_max)


def drop_caches() -> None:
    _ghosts.clear()


def check_same_templates(model: GRCModel, cap: Captured) -> None:
    """The captured templates are the ones the model was trained on (same order)."""
    k, t, r, c = cap.shape
    same = (list(model.names) == list(cap.names) and (model.n_rows, model.n_cols) == (r, c)
            and len(model.times) == t and np.allclose(model.times, cap.times))
    if not same:
        raise GRCError(tip("The captured templates are not the ones the model was trained on "
                           "(captured or reordered since): train again to see its error"))


def template_errors(model: GRCModel, cap: Captured, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Template k generated at every captured time (T, R, C, 3) and each vertex's distance
    to the captured shape (T, R, C): the same call as the fidelity numbers."""
    t = len(cap.times)
    alpha = np.repeat([model.template_context(k)], t, axis=0)
    gen = model.generate_many(cap.times, alpha, np.zeros(t))
    return gen, np.linalg.norm(gen - cap.coords[k], axis=-1)


def heat_colors(err: np.ndarray, scale: float) -> np.ndarray:
    """(N, 4) float32 RGBA: RAMP over err / scale (clipped to 0..1)."""
    f = np.clip(np.asarray(err, float).ravel() / max(float(scale), 1e-30), 0.0, 1.0)
    pos = f * (len(RAMP) - 1)
    i = np.minimum(pos.astype(int), len(RAMP) - 2)
    w = (pos - i)[:, None]
    rgb = RAMP[i] * (1 - w) + RAMP[i + 1] * w
    return np.column_stack([rgb, np.ones(len(f))]).astype(np.float32)


def worst_keyframe(err: np.ndarray) -> int:
    """The captured keyframe whose worst vertex is farthest off (err: (T, R, C) distances);
    the first of equals."""
    return int(np.argmax(np.asarray(err).reshape(len(err), -1).max(axis=1)))


def _inputs(scene) -> tuple[GRCModel, Captured]:
    datablock = require_active(scene)
    model = store.require_model(datablock)
    cap = store.get_captured(datablock)
    if cap is None:
        raise GRCError(tip("No templates captured: the error compares with the captured "
                           "templates"))
    check_same_templates(model, cap)
    return model, cap


def _own_preview(obj) -> bool:
    """Still the extension's preview: its own generated mesh, unshared, no shape keys."""
    return (obj is not None and obj.type == 'MESH' and obj.library is None
            and not is_petal(obj) and obj.data.library is None
            and obj.data.users == 1 and mesh_settings(obj.data).generated
            and obj.data.shape_keys is None)


def _place(obj, template_obj, scene) -> None:
    if template_obj is None:
        obj.matrix_world.identity()
        obj.location = scene.cursor.location
        return
    m = template_obj.matrix_world.copy()
    width = max(template_obj.dimensions) or 1.0
    m.translation.x += SPACING * width
    obj.matrix_world = m


def _write_attributes(mesh, err: np.ndarray, scale: float) -> None:
    for name in (ATTR_COLOR, ATTR_DISTANCE):
        old = mesh.attributes.get(name)
        if old is not None:
            mesh.attributes.remove(old)
    dist: Any = mesh.attributes.new(ATTR_DISTANCE, 'FLOAT', 'POINT')
    dist.data.foreach_set("value", np.asarray(err, np.float32).ravel())
    color: Any = mesh.color_attributes.new(ATTR_COLOR, 'FLOAT_COLOR', 'POINT')
    color.data.foreach_set("color", heat_colors(err, scale).ravel())
    mesh.color_attributes.active_color = color
    mesh.color_attributes.render_color_index = mesh.color_attributes.active_color_index


def show_error(scene, template: int, keyframe: int = -1,
               collection=None) -> tuple[bpy.types.Object, ErrorReport]:
    """Make (or refresh) the preview petal of template `template` at captured keyframe
    `keyframe` (-1: its worst keyframe, where the error is largest), coloured by its error.
    The preview never renders (hide_render): it is a viewport check, not part of the shot."""
    model, cap = _inputs(scene)
    k_count, t_count, _r, _c = cap.shape
    if not 0 <= template < k_count:
        raise GRCError(tip("There is no template {k}: the templates are 0 to {last}").format(
            k=template, last=k_count - 1))
    if keyframe >= t_count:
        raise GRCError(tip("There is no keyframe {t}: the captured keyframes are 0 to {last}")
                       .format(t=keyframe, last=t_count - 1))
    gen, err = template_errors(model, cap, template)
    t = worst_keyframe(err) if keyframe < 0 else keyframe
    coords = cap.coords[template]
    diag = float(np.linalg.norm(coords[t].max(axis=(0, 1)) - coords[t].min(axis=(0, 1))))
    g = model_settings(require_active(scene))
    obj = g.error_object
    if not _own_preview(obj):
        mesh = bpy.data.meshes.new(PREVIEW_NAME)
        mesh_settings(mesh).generated = True
        obj = bpy.data.objects.new(PREVIEW_NAME, mesh)
        (collection or scene.collection).objects.link(obj)
    obj.hide_render = True
    mesh_grid.build_grid_mesh(obj.data, gen[t])
    scale = max(float(err[t].max()), TARGET_MAX_PCT / 100.0 * diag)
    _write_attributes(obj.data, err[t], scale)
    entry = g.templates[template] if template < len(g.templates) else None
    _place(obj, entry.obj if entry is not None else None, scene)
    g.error_object, g.error_template, g.error_keyframe = obj, template, t
    g.error_mean, g.error_max = float(err[t].mean()), float(err[t].max())
    g.error_key = f"{g.model_key}:{store.payload_key(g.captured)}:{template}:{t}"
    report = ErrorReport(cap.names[template], t, float(cap.frames[t]), float(cap.times[t]),
                         float(err[t].mean()), float(err[t].max()), float(err.mean()),
                         float(err.max()), diag)
    return obj, report


def ghost_grid(scene) -> np.ndarray | None:
    """The captured shape (R, C, 3) the scene's error preview compares with (None if
    there is no preview or it no longer matches the stored templates)."""
    g = active_model_settings(scene)
    if g is None or g.error_object is None or not g.error_key:
        return None
    # Cheap to build on every draw: a retrain changes the model key, a re-capture or a
    # reorder the names (then the full check below runs once).
    key = (scene.name, g.error_key, g.model_key, tuple(t.name for t in g.templates))
    if key not in _ghosts:      # once per preview and file: the captured shape, or None
        _ghosts[key] = _captured_shape(scene)
    return _ghosts[key]


def _captured_shape(scene) -> np.ndarray | None:
    datablock = active_model(scene)
    if datablock is None:
        return None
    g = model_settings(datablock)
    if not g.error_key.startswith(f"{g.model_key}:{store.payload_key(g.captured)}:"):
        return None     # retrained or captured again since the preview was made
    try:
        cap = store.get_captured(datablock)
    except GRCError:
        return None
    k, t = g.error_template, g.error_keyframe
    if cap is None or k >= cap.shape[0] or t >= cap.shape[1]:
        return None
    return np.array(cap.coords[k, t], dtype=np.float32)


def use_attribute_colors(window_manager) -> int:
    """Solid-mode 3D views show attribute colours (the preview's heat map). Returns how many
    views were switched."""
    n = 0
    for window in getattr(window_manager, "windows", ()):
        for area in window.screen.areas:
            if area.type != 'VIEW_3D':
                continue
            for space in area.spaces:
                if space.type == 'VIEW_3D':
                    shading = getattr(space, "shading")
                    if shading.type == 'SOLID' and shading.color_type != 'VERTEX':
                        shading.color_type = 'VERTEX'
                        n += 1
    return n
