"""Flowers the frame path must write although `scene.objects` does not list them, or
whose keyed values the depsgraph does not evaluate.

A depsgraph evaluates every object an instancer depends on (Object Info, Collection Info,
particles, collection instances), but the frame path's list is the scene's objects. So the
flowers of the file that are not in the scene are candidates (cached, rebuilt when the
file's or the scene's object count changes or a depsgraph update touches collections),
and each frame keeps those the depsgraph evaluated (`evaluated_get(...).is_evaluated`).

A flower that is only a dependency (hidden, excluded from the view layer, not linked into
the scene) is evaluated without its animation: its evaluated Bloom stays at the stored
value. For those, the values keyed on `grc.<name>` come from the flower's own action at
the depsgraph's frame (a plain action: no NLA track; drivers on such a flower are not
evaluated by Blender either). Where the depsgraph does animate a flower this gives the
same values, so over-counting "hidden" is harmless."""
from __future__ import annotations

import bpy

from ..access import is_flower_object
from ..petals.live_state import LivePetals
from ..util import anim


def extra_flowers(live: LivePetals, scene, depsgraph, in_scene: list) -> list:
    """The flowers `depsgraph` evaluates that are not among the scene's objects."""
    if depsgraph is None:
        return []
    key = (len(bpy.data.objects), len(scene.objects))
    cached = live.instanced.get(scene.as_pointer())
    if cached is None or cached[0] != key:
        mine = {o.as_pointer() for o in in_scene}
        others = [o for o in bpy.data.objects if is_flower_object(o)
                  and o.as_pointer() not in mine and o.name not in scene.objects]
        cached = live.instanced[scene.as_pointer()] = (key, others)
    try:
        return [o for o in cached[1] if o.evaluated_get(depsgraph).is_evaluated]
    except ReferenceError:
        live.instanced.clear()
        return []


def _unseen(obj, view_layer) -> bool:
    """True if the depsgraph may evaluate `obj` without its animation: hidden (in the
    viewport or in renders), excluded or not in the view layer (visible_get looks the
    object's base up in the view layer's hash)."""
    if obj.hide_render or view_layer is None:
        return True
    return not obj.visible_get(view_layer=view_layer)


def keyed_values(live: LivePetals, flowers: list, extra: list, depsgraph,
                 scene=None) -> dict:
    """object pointer -> {grc value name: value at the depsgraph's frame} for the flowers
    whose animation the depsgraph may not evaluate (hidden, excluded, instanced only).
    Without a depsgraph (a regenerate after load, undo or a render): at `scene`'s frame,
    where the ORIGINAL of such a flower holds its stored, not its keyed, values."""
    if depsgraph is not None:
        view_layer = depsgraph.view_layer
        frame = depsgraph.scene_eval.frame_current_final
    elif scene is not None and len(scene.view_layers):
        view_layer, frame = scene.view_layers[0], scene.frame_current_final
    else:
        return {}
    out: dict[int, dict[str, float]] = {}
    for obj in extra + [o for o in flowers if _unseen(o, view_layer)]:
        curves = _grc_curves(live, obj)
        if curves:
            out[obj.as_pointer()] = {name: fc.evaluate(frame) for name, fc in curves}
    return out


def _grc_curves(live: LivePetals, obj) -> list:
    """(value name, F-curve) of the flower's plain action's keys on `grc.<name>`
    (cached per depsgraph epoch); [] with NLA tracks (left to the depsgraph)."""
    ptr = obj.as_pointer()
    got = live.keyed.get(ptr)
    if got is not None and got[0] == live.epoch:
        return got[1]
    adt = obj.animation_data
    curves = []
    if adt is not None and not len(adt.nla_tracks):
        curves = [(fc.data_path[4:], fc) for fc in anim.fcurves(obj)
                  if fc.data_path.startswith("grc.") and "." not in fc.data_path[4:]
                  and "[" not in fc.data_path and not fc.mute]
    live.keyed[ptr] = (live.epoch, curves)
    return curves
