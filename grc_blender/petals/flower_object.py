"""A flower as ONE object: a mesh object (`Object.grc.is_flower`) whose own generated mesh
holds all its petals, laid out by its rings and layout values (flower_layout.py) and
written by the frame path (flower_write.py). Use cases: add a flower, add a ring of the
active model, separate a flower into one live petal object per petal.

Everything Blender does to a mesh object works on it: Shift+D copies the mesh (each copy
animates on its own), Alt+D shares it (the frame path gives each its own copy), Ctrl+A
is folded into `Object.grc.applied`, delete, append, link, undo and the Asset Browser
carry the object, its rings and, through their pointers, its models.
"""
from __future__ import annotations

import bpy
import numpy as np
from mathutils import Matrix

from ...model_core import GRCError
from . import flower_layout, live
from .. import store
from ..access import is_flower_object, object_settings
from ..models.scene_models import require_active
from .flower import FlowerLayout
from .petal_objects import add_petal, new_generated_object, petal_material, sync_subsurf

MOTION_NAME = "GRC Motion Blur"
LAYOUT_VALUES = ("tilt", "tilt_step", "scale_step", "seed", "context_jitter", "delay_jitter",
                 "offset_jitter", "scale_jitter", "rotation_jitter")


def add_flower(scene, collection=None, layout: FlowerLayout | None = None,
               location=None) -> bpy.types.Object:
    """A flower at the 3D cursor: one mesh object holding its petals, in whorls of the
    active model (`layout.petals`, `per_whorl` each) or along a golden-angle spiral."""
    layout = layout or FlowerLayout()
    layout.validate()
    datablock = require_active(scene)
    model = store.require_model(datablock)
    obj = new_generated_object(scene, collection, "GRC Flower", datablock, location)
    g = object_settings(obj)
    g.rows = layout.rows
    g.arrangement = layout.arrangement
    for name in LAYOUT_VALUES:
        setattr(g, name, getattr(layout, name))
    setattr(g, "overlap", layout.overlap)      # a layout value (props.FLOWER_LAYOUT)
    for w, (count, delay) in enumerate(flower_layout.whorl_rings(
            layout.petals, layout.per_whorl, layout.delay)):
        _new_ring(obj, datablock, count, delay, layout.radius * layout.scale_step ** w)
    g.bloom = layout.bloom
    setattr(g, model.context.slider_fields[0], layout.context)
    sync_subsurf(obj)
    add_motion_modifier(obj)
    g.is_flower = True
    live.LIVE.forget_scene(scene)
    live.regenerate(scene, [obj])
    scene.render.use_lock_interface = True    # renders write the flower on every frame
    return obj


def add_motion_modifier(obj) -> None:
    """A deform modifier that changes nothing (a twist of 0 degrees), first in the stack:
    with it Blender counts the flower as deforming, so Cycles samples its mesh at the
    motion-blur steps, where the frame path writes each step's shape (without it a
    handler-written mesh renders sharp). Removing it only turns the blur off. It is on
    in renders only: the viewport shows no motion blur, and in the viewport it cost a field
    of ten 100-petal flowers 1.03 - 1.33x its frame (bench/field.py)."""
    mod = obj.modifiers.new(MOTION_NAME, 'SIMPLE_DEFORM')
    if isinstance(mod, bpy.types.SimpleDeformModifier):
        mod.deform_method = 'TWIST'
        mod.angle = 0.0
        mod.show_in_editmode = False
        mod.show_viewport = False
    obj.modifiers.move(len(obj.modifiers) - 1, 0)


def _new_ring(obj, datablock, count: int, delay: float = 0.0, radius: float = 0.0):
    """A ring at the end (innermost) with a material slot of its own."""
    mesh = obj.data
    mesh.materials.append(petal_material())
    ring = object_settings(obj).rings.add()
    ring.model = datablock
    ring.count = count
    ring.delay = delay
    ring.radius = radius
    ring.material_index = len(mesh.materials) - 1
    return ring


def add_ring(scene, flower, count: int = 5, outside: bool = False, model=None):
    """A ring of `model` (default: the active model) on a one-object flower, innermost, or
    outermost with `outside` (sepals under the petals). Returns the ring."""
    if not is_flower_object(flower):
        raise GRCError("Select a flower (Add Flower makes one) to add a ring to it")
    if flower.library is not None:
        raise GRCError(f"flower '{flower.name}' is linked from a library: make it local first")
    datablock = model or require_active(scene)
    g = object_settings(flower)
    ring = _new_ring(flower, datablock, count)
    if outside:
        g.rings.move(len(g.rings) - 1, 0)
        ring = g.rings[0]
        ring.tilt = -0.35          # under the petals
    g.ring_index = 0 if outside else len(g.rings) - 1
    live.LIVE.forget_scene(scene)
    live.regenerate(scene, [flower])
    return ring


def remove_ring(scene, flower, index: int) -> None:
    """Remove ring `index` of a one-object flower (its material slot stays)."""
    g = object_settings(flower) if is_flower_object(flower) else None
    if g is None or not 0 <= index < len(g.rings):
        raise GRCError("Select a flower and one of its rings")
    if flower.library is not None:
        raise GRCError(f"flower '{flower.name}' is linked from a library: make it local first")
    g.rings.remove(index)
    g.ring_index = max(min(g.ring_index, len(g.rings) - 1), 0)
    live.regenerate(scene, [flower])


def placement_of(flower) -> flower_layout.Placement:
    """The flower's current placement (every petal), from its own values."""
    g = object_settings(flower)
    growth = {}
    for ring in g.rings:
        model = store.get_model(ring.model)
        if model is not None:
            growth[ring.model.as_pointer()] = flower_layout.growth_rotation(model)
    return flower_layout.placement(g, (), growth)


def separate_petals(scene, flower) -> list[bpy.types.Object]:
    """One live petal object per petal of the flower, parented to it where the petal
    stood, each with its delay, context, offset, model and material; the flower's own mesh
    then holds none (its Bloom and Context still drive them)."""
    if not is_flower_object(flower) or object_settings(flower).separated:
        raise GRCError("Select a flower whose petals are in its own mesh")
    g = object_settings(flower)
    place = placement_of(flower)
    applied = np.array(g.applied, dtype=np.float64).reshape(4, 4)
    coll = flower.users_collection[0] if flower.users_collection else scene.collection
    made = []
    for k in range(len(place.ring)):
        petal, _msg = add_petal(scene, coll, context_value=0.0, time=0.0, rows=g.rows,
                                location=(0.0, 0.0, 0.0))
        p = object_settings(petal)
        p.model = place.models[int(place.ring[k])]
        p.delay = float(place.delay[k])
        setattr(p, "context", float(place.context[k]))   # the first slider field
        p.offset = float(place.offset[k])
        p.subsurf_levels = g.subsurf_levels
        slot, mats = int(place.material[k]), getattr(flower.data, "materials", [])
        if slot < len(mats):
            getattr(petal.data, "materials")[0] = mats[slot]
        petal.parent = flower
        petal.matrix_parent_inverse = Matrix.Identity(4)
        petal.matrix_basis = Matrix((applied @ place.matrices[k]).tolist())
        made.append(petal)
    g.separated = True
    flower.data.clear_geometry()
    live.LIVE.flower_topo.pop(flower.data.as_pointer(), None)
    live.LIVE.forget_scene(scene)
    live.regenerate(scene, made)
    return made
