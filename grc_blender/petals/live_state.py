"""The live path's state: every cache it keeps, in one owner with one clear().

live.LIVE is the one instance. What it holds refers to bpy data or decoded models, so it
is dropped whole on file load, undo/redo and unregister (caches.clear_all)."""
from __future__ import annotations

import sys
from operator import attrgetter
from typing import Any, Callable

import numpy as np

from .columns import FIELDS


class PetalGroup:
    """The petals of one scene that one model generates (bpy references), and the values
    each petal's mesh was last written with (NaN: unknown)."""
    __slots__ = ("datablock", "objects", "pointers", "last", "last_key")

    def __init__(self, datablock: Any, objects: list):
        self.datablock = datablock         # the model's data-block (None: no model)
        self.objects = objects
        self.pointers = {o.as_pointer(): i for i, o in enumerate(objects)}
        self.last = np.empty((0, 0))
        self.last_key = ""


class ScenePetals:
    """Cached petal objects of one scene, grouped by their model (dropped on undo, load,
    edits, and whenever a petal changes model)."""
    __slots__ = ("objects", "pointers", "n_objects", "groups", "roots", "flowers")

    def __init__(self, objects: list, n_objects: int):
        self.objects = objects
        self.pointers = {o.as_pointer(): i for i, o in enumerate(objects)}
        self.n_objects = n_objects
        self.groups = group_by_model(objects)
        self.roots: set[int] = set()       # flower roots of these petals (drivers on them)
        self.flowers: list | None = None   # the scene's one-object flowers (found lazily)


def group_by_model(objects: list) -> list[PetalGroup]:
    """Petals grouped by the model they point to, in first-seen order."""
    by: dict[int, tuple[Any, list]] = {}
    for obj in objects:
        model = obj.grc.model
        key = 0 if model is None else model.as_pointer()
        if key not in by:
            by[key] = (model, [])
        by[key][1].append(obj)
    return [PetalGroup(model, objs) for model, objs in by.values()]


class LivePetals:
    """Every cache of the live path, in one place, with one clear()."""

    def __init__(self) -> None:
        self.last_error: dict[str, str] = {}     # scene name -> message (the panel)
        self.printed: set[str] = set()           # messages already printed to the console
        self.buffers: dict[tuple[int, ...], np.ndarray] = {}   # float32 staging, by shape
        # mesh pointer -> (model key, crc32 of the float32 positions) last written into it:
        # tells the extension's own writes from the artist's edits.
        self.written: dict[int, tuple[str, int]] = {}
        # meshes written outside a frame change: their depsgraph update is ours, not an edit
        self.pending: set[int] = set()
        # object pointer -> (cheap signature, epoch, refusal); a depsgraph update starts a
        # new epoch, which makes every verdict stale
        self.verdicts: dict[int, tuple[tuple, int, str]] = {}
        self.epoch = 0
        self.getters: dict[tuple[str, ...], attrgetter] = {}  # per-petal values, one C call
        self.scenes: dict[int, ScenePetals] = {}
        self.flowers: dict[int, tuple] = {}      # flower_mesh's lookups (see flower_mesh.py)
        self.writes = 0                          # meshes written since the last clear()
        # one-object flowers (flower_write.py): object pointer -> Placement, and the values
        # its mesh was last written with; mesh pointer -> coords written, petal shapes,
        # topology; model key -> its base-to-tip rotation
        self.layouts: dict[int, Any] = {}
        self.flower_last: dict[int, tuple] = {}
        self.flower_coords: dict[int, np.ndarray] = {}
        self.flower_shapes: dict[int, list] = {}
        self.flower_topo: dict[int, tuple] = {}
        self.growth: dict[str, np.ndarray] = {}
        # fields/instanced.py: scene pointer -> (key, the file's flowers not in the scene);
        # object pointer -> (epoch, its keyed grc values' F-curves)
        self.instanced: dict[int, tuple] = {}
        self.keyed: dict[int, tuple] = {}

    def clear(self) -> None:
        """Forget everything (file load, undo/redo, unregister): bpy references and all."""
        self.__init__()  # type: ignore[misc]

    def forget_scene(self, scene) -> None:
        """Drop the scene's cached petal list (a petal's mesh or membership changed)."""
        self.scenes.pop(scene.as_pointer(), None)
        self.instanced.clear()

    def report(self, scene_name: str, msg: str) -> None:
        if self.last_error.get(scene_name, "") != msg:
            self.last_error[scene_name] = msg
        if msg and msg not in self.printed:
            self.printed.add(msg)
            print(f"GRC: {msg}", file=sys.stderr)

    def getter(self, fields: tuple[str, ...]) -> attrgetter:
        got = self.getters.get(fields)
        if got is None:
            got = self.getters[fields] = attrgetter(*FIELDS, *fields)
        return got

    def buffer(self, shape: tuple[int, ...]) -> np.ndarray:
        buf = self.buffers.get(shape)
        if buf is None:
            if len(self.buffers) > 32:
                self.buffers.clear()
            buf = self.buffers[shape] = np.empty(shape, dtype=np.float32)
        return buf

    def cached_petals(self, scene, petals: Callable[[], list]) -> ScenePetals:
        """The scene's petal list, rebuilt by `petals()` when the scene's objects changed."""
        key = scene.as_pointer()
        n_objects = len(scene.objects)
        entry = self.scenes.get(key)
        if entry is None or entry.n_objects != n_objects:
            entry = self.scenes[key] = ScenePetals(petals(), n_objects)
        return entry
