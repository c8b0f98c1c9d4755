"""A small set of live variants of a flower, for a field: copies of the flower (each its
own mesh, written by the frame path like any flower) with their own layout seed, a
context offset, and a delay: each variant's keyed values are the flower's, shifted later
by its delay in frames. They live in a collection of their own, excluded from the view
layer (the scatter instances it); an excluded flower's keys are read from its action at
the depsgraph's frame (instanced.py), so they animate in the viewport and in renders.

Variant i has delay i / (n - 1) * spread frames, so Collection Info (children sorted by
name) gives index i to the variant that opens i-th: the scatter picks the variant whose
delay matches the bloom wave at each point."""
from __future__ import annotations

import bpy
import numpy as np

from ...model_core import GRCError
from ..access import is_flower_object, object_settings
from ..petals import live
from ..util import anim

PREFIX = "GRC Variant"


def delays(count: int, spread: float) -> np.ndarray:
    """Each variant's delay in frames (0 for the first, `spread` for the last)."""
    return np.linspace(0.0, float(spread), count) if count > 1 else np.zeros(count)


def make_variants(scene, flower, count: int = 8, spread: float = 12.0, seed: int = 0,
                  context_jitter: float = 0.15) -> bpy.types.Collection:
    """`count` variants of `flower` in a new collection under the scene's, excluded from
    the view layer. Returns the collection (its children ordered by delay)."""
    if not is_flower_object(flower):
        raise GRCError("Make the flower to scatter the active object (Add Flower makes one)")
    if not 1 <= count <= 64:
        raise GRCError("Variants: from 1 to 64")
    rng = np.random.default_rng(seed)
    coll = bpy.data.collections.new(f"GRC Field Variants ({flower.name})")
    scene.collection.children.link(coll)
    first = model_field(flower)
    for i, delay in enumerate(delays(count, spread).tolist()):
        v = flower.copy()
        v.data = flower.data.copy()
        v.name = f"{PREFIX} {i:02d} ({flower.name})"
        v.location = (0.0, 0.0, 0.0)
        v.rotation_euler = (0.0, 0.0, 0.0)
        coll.objects.link(v)
        g = object_settings(v)
        g.seed = int(object_settings(flower).seed) + 1 + int(rng.integers(0, 100000))
        offset = float(rng.uniform(-context_jitter, context_jitter)) if count > 1 else 0.0
        _shift_keys(flower, v, delay, first, offset)
    exclude(scene, coll)
    live.LIVE.forget_scene(scene)
    return coll


def exclude(scene, coll) -> None:
    """Exclude `coll` from every view layer of the scene (hidden, still instanced)."""
    for view_layer in scene.view_layers:
        lc = _layer_of(view_layer.layer_collection, coll)
        if lc is not None:
            lc.exclude = True


def model_field(flower) -> str:
    """The name of the flower's first context slider (its Context)."""
    from .. import store
    model = store.get_model(object_settings(flower).model)
    return model.context.slider_fields[0] if model is not None else "context"


def _shift_keys(flower, variant, delay: float, context_name: str, offset: float) -> None:
    """The variant's action: the flower's, later by `delay` frames, its Context `offset`
    higher (an unkeyed Context is offset as a value)."""
    adt = flower.animation_data
    if adt is None or adt.action is None:
        setattr(object_settings(variant), context_name,
                getattr(object_settings(flower), context_name) + offset)
        return
    variant.animation_data_clear()
    vad = variant.animation_data_create()
    vad.action = adt.action.copy()
    if len(getattr(vad.action, "slots", ())):
        vad.action_slot = vad.action.slots[0]
    keyed_context = False
    for fc in anim.fcurves(variant):
        add = offset if fc.data_path == f"grc.{context_name}" else 0.0
        keyed_context |= bool(add)
        for kp in fc.keyframe_points:
            for co in (kp.co, kp.handle_left, kp.handle_right):
                co[0] += delay
                co[1] += add
        fc.update()
    if not keyed_context:
        setattr(object_settings(variant), context_name,
                getattr(object_settings(flower), context_name) + offset)


def _layer_of(layer_collection, coll):
    if layer_collection.collection == coll:
        return layer_collection
    for child in layer_collection.children:
        found = _layer_of(child, coll)
        if found is not None:
            return found
    return None
