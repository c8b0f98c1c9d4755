"""Which frames a template is captured at: its keyframes and those of everything that deforms it,
or the scene's timeline markers, or every N frames of the scene range.

A petal bent by an armature, a lattice or a hook has no keyframes of its own: the animation
lives on the other object. So the keyframe source walks the template's dependencies: every
Object pointer of its modifiers and constraints (found through RNA, so new modifier types
are covered), Object inputs of Geometry Nodes modifiers, driver targets, the constraints of
an armature's pose bones, and parents, recursively.
"""
from __future__ import annotations

import bpy
import numpy as np

from ...model_core import GRCError
from ..util import anim

SOURCES = ('KEYFRAMES', 'MARKERS', 'EVERY_N')


def _object_pointers(struct) -> list:
    """Objects referenced by a modifier's or constraint's Object pointer properties."""
    out = []
    for prop in struct.bl_rna.properties:
        if prop.type == 'POINTER' and getattr(prop.fixed_type, "identifier", "") == 'Object':
            value = getattr(struct, prop.identifier, None)
            if isinstance(value, bpy.types.Object):
                out.append(value)
    for target in getattr(struct, "targets", ()):   # Armature constraint: several targets
        value = getattr(target, "target", None)
        if isinstance(value, bpy.types.Object):
            out.append(value)
    return out


def _node_inputs(mod) -> list:
    """Object inputs of a Geometry Nodes modifier: ID properties on it up to Blender 5.1,
    RNA structs `mod.properties.inputs.<socket id>.value` from 5.2 (no ID properties)."""
    if mod.type != 'NODES':
        return []
    inputs = getattr(getattr(mod, "properties", None), "inputs", None)
    if inputs is None:
        return [mod[key] for key in mod.keys() if isinstance(mod[key], bpy.types.Object)]
    values = [getattr(getattr(inputs, p.identifier), "value", None)
              for p in inputs.bl_rna.properties if p.type == 'POINTER' and p.identifier != "rna_type"]
    return [v for v in values if isinstance(v, bpy.types.Object)]


def _driver_targets(obj) -> list:
    out = []
    for id_data in anim.animated_ids(obj):
        adt = getattr(id_data, "animation_data", None)
        for fc in (adt.drivers if adt is not None else ()):
            for var in fc.driver.variables:
                for target in var.targets:
                    if isinstance(target.id, bpy.types.Object):
                        out.append(target.id)
    return out


def direct_dependencies(obj) -> list:
    """Objects whose animation can change `obj`'s evaluated shape (one level)."""
    deps = []
    for mod in getattr(obj, "modifiers", ()):
        if mod.show_viewport:     # capture evaluates the viewport stack: hidden ones do nothing
            deps += _object_pointers(mod) + _node_inputs(mod)
    for con in obj.constraints:
        deps += _object_pointers(con)
    pose = getattr(obj, "pose", None)
    for bone in (pose.bones if pose is not None else ()):
        for con in bone.constraints:
            deps += _object_pointers(con)
    deps += _driver_targets(obj)
    if obj.parent is not None:
        deps.append(obj.parent)
    return deps


def dependencies(obj) -> list:
    """Every object `obj`'s shape depends on, recursively, `obj` excluded, by name."""
    seen = {obj.name_full: obj}
    todo = [obj]
    while todo:
        for dep in direct_dependencies(todo.pop()):
            if dep.name_full not in seen:
                seen[dep.name_full] = dep
                todo.append(dep)
    del seen[obj.name_full]
    return [seen[k] for k in sorted(seen)]


def keyframes_with_dependencies(obj) -> tuple[np.ndarray, list]:
    """(sorted unique keyframe frames of obj and its dependencies, the dependencies)."""
    deps = dependencies(obj)
    frames = [anim.keyframe_frames(o) for o in [obj, *deps]]
    merged = np.concatenate(frames) if frames else np.empty(0)
    return (np.unique(np.round(merged, 3)) if merged.size else np.empty(0)), deps


def marker_frames(scene) -> np.ndarray:
    frames = np.unique([float(m.frame) for m in scene.timeline_markers])
    if len(frames) < 2:
        raise GRCError(f"The scene has {len(frames)} timeline marker(s) at distinct frames: "
                       f"add at least 2 (M over the timeline), or capture from Keyframes")
    return frames


def every_n_frames(scene, step: int) -> np.ndarray:
    if step < 1:
        raise GRCError(f"Every N Frames needs N >= 1 (got {step})")
    frames = np.arange(scene.frame_start, scene.frame_end + 1, step, dtype=np.float64)
    if len(frames) < 2:
        raise GRCError(f"Every {step} frames of the scene range {scene.frame_start}.."
                       f"{scene.frame_end} gives {len(frames)} frame(s): lower N or widen the "
                       f"range (at least 2 frames)")
    return frames


def scene_frames(scene, source: str, step: int) -> np.ndarray | None:
    """The shared frames of the MARKERS / EVERY_N sources; None for KEYFRAMES."""
    if source not in SOURCES:
        raise GRCError(f"unknown capture frame source {source!r} (one of {', '.join(SOURCES)})")
    if source == 'MARKERS':
        return marker_frames(scene)
    if source == 'EVERY_N':
        return every_n_frames(scene, step)
    return None
