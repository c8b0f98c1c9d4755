"""Flowers of the previous version, and the layout values every flower is made with
(`FlowerLayout`). A new flower is one object (flower_object.py); `add_petal_flower` makes
the previous kind, kept for scripts and for files that hold them: a root Empty whose Bloom
and Context its child petals follow (live.py reads them), the petals laid out in whorls or
along a golden-angle spiral, and Merge Petals.

The layout is computed from the model, not assumed: a petal grows from its base row to its
tip row in the templates' own space, so that direction is turned onto the flower's radial
direction before the petal is tilted up and turned around the root.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import bpy
import numpy as np
from mathutils import Euler, Matrix, Vector

from ...model_core import GRCError
from . import flower_mesh, live
from .. import store
from ..models.scene_models import require_active
from ..access import is_petal, mesh_settings, object_settings
from .petal_objects import SUBSURF_NAME, add_petal, petal_material

GOLDEN_ANGLE = math.pi * (3.0 - math.sqrt(5.0))


@dataclass
class FlowerLayout:
    petals: int = 8                 # number of petals
    arrangement: str = 'WHORLS'     # 'WHORLS' or 'SPIRAL'
    per_whorl: int = 5              # petals per whorl (whorls: ceil(petals / per_whorl))
    tilt: float = 0.0               # outer petals tipped up from where their model opens them
    tilt_step: float = 0.0          # each inner whorl (or spiral turn) tipped up this much more
    scale_step: float = 0.85        # each inner whorl is this much smaller
    context: float = 0.5            # the root's Context
    bloom: float = 1.0              # the root's Bloom
    seed: int = 0                   # per-petal variation below is drawn from this seed
    context_jitter: float = 0.15    # +- on each petal's own context
    delay: float = 0.3              # inner petals open this much later (fraction of Bloom)
    delay_jitter: float = 0.05
    offset_jitter: float = 0.0
    scale_jitter: float = 0.08
    rotation_jitter: float = math.radians(6)
    rows: int = 25
    merge: bool = False             # all petals in one mesh (Merge Petals): fields of flowers
    overlap: float = 1.0            # one-object flowers: petals roll this much (shingles)
    radius: float = 0.08            # one-object flowers: the outer bases' distance from the
    #                                 centre (each inner whorl's: times scale_step)

    def validate(self) -> None:
        if not 1 <= self.petals <= 1000:
            raise GRCError(f"a flower has 1 to 1000 petals, got {self.petals}")
        if self.arrangement not in ('WHORLS', 'SPIRAL'):
            raise GRCError(f"arrangement must be WHORLS or SPIRAL, got {self.arrangement!r}")
        if self.per_whorl < 1:
            raise GRCError("a whorl needs at least one petal")
        if not 0.0 <= self.delay <= 0.9:
            raise GRCError("the delay must be between 0 and 0.9 (a fraction of Bloom)")


def placements(layout: FlowerLayout) -> list[tuple[float, float, float, float]]:
    """(azimuth, tilt, scale, ring in 0..1 from outside in) of every petal, before jitter."""
    n = layout.petals
    out = []
    if layout.arrangement == 'SPIRAL':
        turns = max(n / max(layout.per_whorl, 1), 1.0)
        for i in range(n):
            ring = i / max(n - 1, 1)             # 0 outermost .. 1 innermost
            depth = ring * (turns - 1)
            out.append((i * GOLDEN_ANGLE, layout.tilt + depth * layout.tilt_step,
                        layout.scale_step ** depth, ring))
        return out
    whorls = math.ceil(n / layout.per_whorl)
    for i in range(n):
        w, j = divmod(i, layout.per_whorl)
        in_whorl = min(layout.per_whorl, n - w * layout.per_whorl)
        azimuth = 2.0 * math.pi * (j + 0.5 * (w % 2)) / in_whorl
        out.append((azimuth, layout.tilt + w * layout.tilt_step, layout.scale_step ** w,
                    w / max(whorls - 1, 1)))
    return out


def growth_rotation(model) -> Matrix:
    """Rotation taking the model's base-to-tip direction onto +X (in the XY plane)."""
    grid = model.generate(1.0, [0.0] * model.context_dims)
    d = grid[-1].mean(axis=0) - grid[0].mean(axis=0)
    flat = Vector((float(d[0]), float(d[1]), 0.0))
    if flat.length < 1e-9:                     # grows straight up or down: nothing to turn
        return Matrix.Identity(3)
    return flat.normalized().rotation_difference(Vector((1.0, 0.0, 0.0))).to_matrix()


def add_petal_flower(scene, collection=None, layout: FlowerLayout | None = None,
                     location=None) -> tuple[bpy.types.Object, list[bpy.types.Object]]:
    """A flower of the previous version: a root Empty at the 3D cursor with one petal
    object per petal parented to it (scripts, benches and tests of old files use it)."""
    layout = layout or FlowerLayout()
    layout.validate()
    datablock = require_active(scene)
    model = store.require_model(datablock)
    coll = collection or scene.collection
    root = bpy.data.objects.new("GRC Flower", None)
    root.empty_display_type = 'SPHERE'
    root.empty_display_size = 0.1
    coll.objects.link(root)
    root.location = scene.cursor.location if location is None else location
    g = object_settings(root)
    g.is_flower = True
    g.model = datablock
    g.bloom = layout.bloom
    setattr(g, model.context.slider_fields[0], layout.context)
    rng = np.random.default_rng(layout.seed)
    align = growth_rotation(model)
    made = []
    g.merge_petals = False
    for azimuth, tilt, scale, ring in placements(layout):
        petal, _msg = add_petal(scene, coll, context_value=0.0, time=0.0, rows=layout.rows,
                                location=(0.0, 0.0, 0.0))
        p = object_settings(petal)
        p.delay = float(np.clip(layout.delay * ring + rng.uniform(-1, 1) * layout.delay_jitter,
                                0.0, 0.9))
        # a petal's context values are offsets from its root's (the flower's context)
        for name in model.context.slider_fields:
            setattr(p, name, 0.0)
        setattr(p, model.context.slider_fields[0], float(rng.uniform(-1, 1) * layout.context_jitter))
        p.offset = float(rng.uniform(-1, 1) * layout.offset_jitter)
        s = scale * (1.0 + float(rng.uniform(-1, 1)) * layout.scale_jitter)
        turn = azimuth + float(rng.uniform(-1, 1)) * layout.rotation_jitter
        # pitch the petal up by `tilt`, then turn it around the root
        rot = (Euler((0.0, 0.0, turn)).to_matrix() @ Euler((0.0, -tilt, 0.0)).to_matrix() @ align)
        petal.parent = root
        petal.matrix_parent_inverse = Matrix.Identity(4)
        petal.matrix_basis = rot.to_4x4() @ Matrix.Diagonal((s, s, s, 1.0))
        made.append(petal)
    live.regenerate(scene, made)
    g.merge_petals = layout.merge       # its update merges the petals into one mesh
    return root, made


def flower_petals(root) -> list:
    """The petals of a flower root (its child petal objects)."""
    return [c for c in root.children if is_petal(c)]


def set_merged(scene, root, on: bool) -> None:
    """Merge Petals on: one mesh object under the root receives every petal, and the petal
    objects are hidden (they keep each petal's settings). Off: the petals are shown and the
    merged object is hidden, kept with whatever the artist put on it."""
    members = flower_petals(root)
    obj = flower_mesh.merged_flower_object(root)
    if on and obj is None:
        mesh = bpy.data.meshes.new(root.name + " Petals")
        mesh_settings(mesh).generated = True
        mesh.materials.append(petal_material())
        obj = bpy.data.objects.new(root.name + " Petals", mesh)
        for coll in root.users_collection:
            coll.objects.link(obj)
        obj.parent = root
        g = object_settings(obj)
        g.is_flower_mesh = True
        g.model = object_settings(root).model
        levels = object_settings(members[0]).subsurf_levels if members else 1
        if levels:
            mod = obj.modifiers.new(SUBSURF_NAME, 'SUBSURF')
            if isinstance(mod, bpy.types.SubsurfModifier):
                mod.levels = mod.render_levels = levels
    if obj is not None:     # off: hidden, never deleted (the artist's material, modifiers,
        obj.hide_viewport = not on          # name and children stay on it); on again: reused
        obj.hide_render = not on
    for p in members:
        p.hide_viewport = on        # off the depsgraph: the merged mesh shows them
        p.hide_render = on
    live.LIVE.forget_scene(scene)
    live.regenerate(scene, members)
