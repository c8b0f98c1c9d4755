"""Which frame each shape key of a template is on: the frame where its keyed value peaks (a
new template keys each "time" key 1 at its own frame and 0 at the others). The Templates
panel lists them; New Template and Variant jump to the frame of the key they make active,
so the artist sculpts the key on the frame where it shows alone."""
from __future__ import annotations

from dataclasses import dataclass

import bpy

from ..util import anim


@dataclass(frozen=True)
class KeyFrame:
    name: str
    frame: float | None     # None: the key is not animated
    active: bool            # the object's active shape key (the one sculpted)


def peak_frame(fcurve) -> float | None:
    """The frame of the curve's highest keyframe (the first, on a tie); None if unkeyed."""
    points = list(fcurve.keyframe_points) if fcurve is not None else []
    if not points:
        return None
    return float(max(points, key=lambda kp: kp.co[1]).co[0])


def key_frames(obj) -> list[KeyFrame]:
    """Every shape key of `obj` but the Basis, with the frame it is keyed on."""
    keys = getattr(getattr(obj, "data", None), "shape_keys", None)
    if keys is None:
        return []
    curves = {fc.data_path: fc for fc in anim.fcurves(keys)}
    out = []
    for i, kb in enumerate(keys.key_blocks):
        if kb == keys.reference_key:
            continue
        path = f'key_blocks["{bpy.utils.escape_identifier(kb.name)}"].value'
        out.append(KeyFrame(kb.name, peak_frame(curves.get(path)),
                            i == obj.active_shape_key_index))
    return out


def active_key_frame(obj) -> float | None:
    """The frame of `obj`'s active shape key (None: no keys, the Basis, or not animated)."""
    return next((k.frame for k in key_frames(obj) if k.active), None)


def go_to_active_key(scene, obj) -> None:
    """Set the scene's frame to the active key's (else re-evaluate the current one)."""
    frame = active_key_frame(obj)
    scene.frame_set(int(round(frame)) if frame is not None else scene.frame_current)
