"""F-curve access that works on Blender 4.2+ and 5.x, and keyframe discovery for capture.

Blender 4.4 introduced slotted actions and 5.0 removed `Action.fcurves`: F-curves live in
action.layers[].strips[].channelbag(slot). `bpy_extras.anim_utils` finds the channelbag of
the slot an ID uses; on older versions we fall back to `action.fcurves`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, cast

import numpy as np

if TYPE_CHECKING:
    import bpy

# bpy_extras.anim_utils.action_get_channelbag_for_slot(action, slot): the slot's
# channelbag, or None when the action has none for it.
ChannelbagGetter = Callable[[Any, Any], "bpy.types.ActionChannelbag | None"]


def _channelbag_getter() -> ChannelbagGetter | None:
    """bpy_extras' channelbag lookup, or None before Blender 4.4 (no slots API)."""
    try:
        from bpy_extras.anim_utils import action_get_channelbag_for_slot
    except ImportError:  # 4.2/4.3: no slots API in bpy_extras
        return None
    # fake-bpy-module declares it `-> None`; it returns the channelbag (or None).
    return cast(ChannelbagGetter, action_get_channelbag_for_slot)


def _fcurves_of_animdata(adt):
    if adt is None or adt.action is None:
        return []
    action = adt.action
    slot = getattr(adt, "action_slot", None)
    if slot is not None:
        action_get_channelbag_for_slot = _channelbag_getter()
        if action_get_channelbag_for_slot is not None:
            bag = action_get_channelbag_for_slot(action, slot)
            return list(bag.fcurves) if bag is not None else []
    fcurves = getattr(action, "fcurves", None)  # legacy (pre-5.0) actions
    return list(fcurves) if fcurves is not None else []


def fcurves(id_data) -> list:
    """The F-curves of the action assigned to an ID (object, mesh, shape Key...)."""
    return _fcurves_of_animdata(getattr(id_data, "animation_data", None))


def find_fcurve(id_data, data_path: str, index: int = 0):
    for fc in fcurves(id_data):
        if fc.data_path == data_path and fc.array_index == index:
            return fc
    return None


def animated_ids(obj) -> list:
    """IDs whose animation can change `obj`'s evaluated mesh: the object (transforms,
    modifier settings such as modifiers["..."].levels), its mesh data and its shape keys."""
    ids = [obj]
    data = obj.data
    if data is not None:
        ids.append(data)
        keys = getattr(data, "shape_keys", None)
        if keys is not None:
            ids.append(keys)
    return ids


def keyframe_frames(obj) -> np.ndarray:
    """Sorted unique keyframe frames over object, mesh, shape-key and modifier animation."""
    frames: list[float] = []
    for id_data in animated_ids(obj):
        for fc in fcurves(id_data):
            n = len(fc.keyframe_points)
            if n:
                co = np.empty(2 * n, dtype=np.float64)
                fc.keyframe_points.foreach_get("co", co)
                frames.extend(co[0::2].tolist())
    if not frames:
        return np.empty(0)
    # Keyframes closer than 1e-3 frames are one keyframe (float noise from key editing).
    return np.unique(np.round(np.asarray(frames), 3))


def set_keys(id_data, data_path: str, frames, values, interpolation: str = 'LINEAR',
             index: int = -1, insert=None) -> None:
    """Replace the keyframes of one channel with (frames, values) pairs.

    The channel is created through `insert()` (a keyframe_insert on the owning struct),
    which puts the F-curve in the right action/slot/channelbag on every Blender version;
    the points are then written in bulk.
    """
    frames = np.asarray(frames, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    fc = find_fcurve(id_data, data_path, max(index, 0))
    if fc is None:
        insert(float(frames[0]))
        fc = find_fcurve(id_data, data_path, max(index, 0))
        if fc is None:
            raise RuntimeError(f"could not create an F-curve for {data_path}")
    fc.keyframe_points.clear()
    fc.keyframe_points.add(len(frames))
    fc.keyframe_points.foreach_set("co", np.column_stack([frames, values]).ravel())
    for kp in fc.keyframe_points:
        kp.interpolation = interpolation
    fc.update()
