"""The bundled example petals as two animated template objects (Add > Mesh > GRC Example).

model_core.example_templates() gives K=2 templates over T=7 time indexes on a 7x7 grid.
Each becomes a grid mesh object (row 0 = base at the object origin) in the "GRC Templates"
collection, animated with one shape key per time index: key t is 1 at its keyframe and 0
at every other keyframe (LINEAR), so at each keyframe exactly that key is active and the
capture reads the template's coordinates back exactly (to float32 precision).
"""
from __future__ import annotations

import bpy
import numpy as np

from ..util import anim, mesh_grid
from ..util.selection import select_only
from ...model_core import example_templates

COLLECTION_NAME = "GRC Templates"
FRAME_START = 1
FRAME_STEP = 8


def template_frames(n_times: int) -> np.ndarray:
    return FRAME_START + FRAME_STEP * np.arange(n_times, dtype=np.float64)


def animate_with_shape_keys(obj, grids: np.ndarray, frames: np.ndarray,
                            names: list[str] | None = None) -> None:
    """grids (T, R, C, 3): one shape key per time index, exactly one active per keyframe."""
    obj.shape_key_add(name="Basis", from_mix=False)
    n = len(grids)
    for t in range(n):
        kb = obj.shape_key_add(name=names[t] if names else f"time {t}", from_mix=False)
        kb.data.foreach_set("co", np.ascontiguousarray(grids[t], dtype=np.float32).ravel())
        kb.slider_min, kb.slider_max = 0.0, 1.0
        values = (np.arange(n) == t).astype(np.float64)
        anim.set_keys(obj.data.shape_keys, f'key_blocks["{kb.name}"].value', frames, values,
                      'LINEAR', insert=lambda f, kb=kb: kb.keyframe_insert("value", frame=f))


def add_example_templates(context) -> list:
    """Two example templates in a new collection, selected, ready to capture."""
    ts = example_templates()
    names = ts.names
    scene = context.scene
    coll = bpy.data.collections.new(COLLECTION_NAME)
    scene.collection.children.link(coll)
    frames = template_frames(ts.coords.shape[1])
    objects = []
    for k, base_name in enumerate(names):
        # Capture orders templates by object name: the letter keeps model_core's order
        # (template 0 = "Open" = context 0).
        first, _, rest = base_name.partition(" ")
        name = f"{first} {chr(ord('A') + k)} {rest}".strip()   # "Petal A Open", "Petal B Cup"
        mesh = bpy.data.meshes.new(name)
        mesh_grid.build_grid_mesh(mesh, ts.coords[k, 0])
        obj = bpy.data.objects.new(name, mesh)
        obj.location = (0.0, 0.8 * (k - (len(names) - 1) / 2.0), 0.0)
        coll.objects.link(obj)
        animate_with_shape_keys(obj, ts.coords[k], frames)
        objects.append(obj)
    select_only(context.view_layer, objects)
    scene.frame_set(scene.frame_current)  # show the shape at the current frame
    return objects


def report(objects: list) -> str:
    last = FRAME_START + FRAME_STEP * 6
    return (f"Added {len(objects)} example templates in '{COLLECTION_NAME}' (keyframes "
            f"{FRAME_START}..{last}): press Capture, then Train")
