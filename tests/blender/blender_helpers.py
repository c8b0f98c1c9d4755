"""Helpers shared by the Blender tests (imported by basename; pytest puts this folder on
sys.path). Fixtures live in conftest.py."""
from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import bpy
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "bl_ext.user_default.grc"


def coords_of(obj) -> np.ndarray:
    co = np.empty(len(obj.data.vertices) * 3, dtype=np.float32)
    obj.data.vertices.foreach_get("co", co)
    return co.reshape(-1, 3).astype(np.float64)


def evaluated_arrays(obj, depsgraph) -> dict:
    """Positions and vertex normals (n, 3) and the bound box (8, 3) of the object's
    evaluated mesh: what the viewport, renders and exporters see after frame_set."""
    ev = obj.evaluated_get(depsgraph)
    me = ev.data
    co = np.empty(len(me.vertices) * 3, np.float32)
    me.vertices.foreach_get("co", co)
    nrm = np.empty(len(me.vertices) * 3, np.float32)
    me.vertex_normals.foreach_get("vector", nrm)
    box = np.array([tuple(v) for v in ev.bound_box])
    return dict(co=co.reshape(-1, 3), normals=nrm.reshape(-1, 3), box=box)


def add_example_and_capture():
    assert bpy.ops.grc.add_example_templates() == {'FINISHED'}
    assert bpy.ops.grc.capture_templates() == {'FINISHED'}


@functools.lru_cache(maxsize=1)
def training_unavailable() -> str:
    """'' when the installed extension can train in this Python, else why it cannot.

    Asked by training once (2 steps on the example set) with the installed model_core, so
    the answer follows model_core: torch where it is importable, and, once model_core
    trains without torch, every Python (the Blender 5.1+ tests then run too). Any error
    other than torch missing propagates."""
    mc = importlib.import_module(PACKAGE + ".model_core")
    try:
        mc.train(mc.example_templates(), mc.train_config(template_steps=2, steps=2, check_every=0),
                 seed=0)
    except ImportError as exc:
        if (exc.name or "").split(".")[0] != "torch":    # any other missing module is a bug
            raise
        return (f"training is unavailable on Python {sys.version_info[0]}.{sys.version_info[1]} "
                f"(Blender {bpy.app.version_string}): {exc}; PyPI has no CPU torch wheel for it "
                "here, and these tests run once model_core trains without torch")
    return ""


def torch_unavailable() -> str:
    """'' when torch can be imported in this Python, else why the torch-only tests skip."""
    if importlib.util.find_spec("torch") is not None:
        return ""
    return (f"no torch on Python {sys.version_info[0]}.{sys.version_info[1]} "
            f"(Blender {bpy.app.version_string}): PyPI has no CPU torch wheel for it here")


def require_training() -> None:
    """Skip the calling test (with the reason) when this Python cannot train."""
    import pytest
    reason = training_unavailable()
    if reason:
        pytest.skip(reason)


def train_quick(steps: int = 60, template_steps: int = 60):
    require_training()
    g = model_of(bpy.context.scene)
    g.steps = steps
    g.template_steps = template_steps
    assert bpy.ops.grc.train() == {'FINISHED'}


def run_fresh_python(code: str, timeout: float = 300.0) -> dict:
    """Run `code` in a fresh Python with bpy against the same user folder; it must print
    one JSON line starting with 'RESULT ' which is returned."""
    env = dict(os.environ)  # BLENDER_USER_RESOURCES: set by conftest
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=env, timeout=timeout, cwd=str(ROOT))
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, (
        f"exit {proc.returncode}\nstdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}")
    return json.loads(lines[-1][len("RESULT "):])


def grid_coords(rows: int, cols: int, times: int = 3, bend: float = 0.3, seed: int = 0) -> np.ndarray:
    """(T, R, C, 3) a simple bending petal: rows along +X from the origin, columns along Y."""
    m = np.linspace(0.0, 1.0, rows)[:, None]
    u = np.linspace(-0.5, 0.5, cols)[None, :]
    out = np.empty((times, rows, cols, 3))
    for t in range(times):
        s = t / max(times - 1, 1)
        out[t, ..., 0] = m + 0 * u
        out[t, ..., 1] = u * (0.3 + 0.2 * m)
        out[t, ..., 2] = bend * (1 + seed) * s * m ** 2 + 0.1 * u ** 2
    return out


def make_template(name: str, grids: np.ndarray, frames=None, collection=None):
    """A grid mesh object animated with one shape key per time index (like the example)."""
    import importlib
    mesh_grid = importlib.import_module(PACKAGE + ".grc_blender.util.mesh_grid")
    add_example = importlib.import_module(PACKAGE + ".grc_blender.templates.example")
    mesh = bpy.data.meshes.new(name)
    mesh_grid.build_grid_mesh(mesh, grids[0])
    obj = bpy.data.objects.new(name, mesh)
    (collection or bpy.context.scene.collection).objects.link(obj)
    if frames is None:
        frames = 1 + 8 * np.arange(len(grids))
    if len(grids) > 1:
        add_example.animate_with_shape_keys(obj, grids, np.asarray(frames, dtype=float))
    else:
        obj.keyframe_insert("location", frame=float(frames[0]))
    return obj


def set_node_input(mod, identifier: str, value) -> None:
    """Set a Geometry Nodes modifier's input: an ID property `mod[identifier]` up to Blender
    5.1; from 5.2 the modifier has no ID properties and the input is the RNA struct
    `mod.properties.inputs.<identifier>.value`."""
    inputs = getattr(getattr(mod, "properties", None), "inputs", None)
    if inputs is None:
        mod[identifier] = value
    else:
        getattr(inputs, identifier).value = value


def select_only(*objs):
    # Sync the view layer first: after bpy.data.objects.remove() its bases are stale and
    # iterating view_layer.objects can crash Blender 5.0.
    bpy.context.view_layer.update()
    for o in bpy.context.scene.objects:
        o.select_set(False)
    for o in objs:
        o.select_set(True)
    if objs:
        bpy.context.view_layer.objects.active = objs[0]


def mesh_object(name: str, verts, faces, animate: bool = True):
    """An object from raw vertices/faces, keyed at 2 frames (object animation) if asked."""
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata([tuple(v) for v in verts], [], [tuple(f) for f in faces])
    mesh.update()
    obj = bpy.data.objects.new(name, mesh)
    bpy.context.scene.collection.objects.link(obj)
    if animate:
        obj.keyframe_insert("location", frame=1)
        obj.keyframe_insert("location", frame=9)
    return obj


def drive_by_empty_x(obj, data_path: str, name: str = "Driver Empty"):
    """A driver on obj's `data_path` that reads a new Empty's X location; returns the Empty."""
    empty = bpy.data.objects.new(name, None)
    bpy.context.scene.collection.objects.link(empty)
    fc = obj.driver_add(data_path)
    var = fc.driver.variables.new()
    var.type = 'TRANSFORMS'
    var.targets[0].id = empty
    var.targets[0].transform_type = 'LOC_X'
    fc.driver.expression = var.name
    return empty


def image_pixels(path) -> np.ndarray:
    """A saved image's RGBA pixels, flat float32."""
    img = bpy.data.images.load(str(path), check_existing=False)
    try:
        px = np.empty(img.size[0] * img.size[1] * 4, np.float32)
        img.pixels.foreach_get(px)
        return px
    finally:
        bpy.data.images.remove(img)


def add_camera(scene, location, rotation, size, engine: str | None = None):
    """A camera at `location` / `rotation` (Euler) as the scene's camera; renders of
    `size` (width, height) at 100 % to PNG, with `engine` if given."""
    cam = bpy.data.objects.new("Camera", bpy.data.cameras.new("Camera"))
    scene.collection.objects.link(cam)
    cam.location, cam.rotation_euler = location, rotation
    scene.camera = cam
    r = scene.render
    r.resolution_x, r.resolution_y = size
    r.resolution_percentage = 100
    r.image_settings.file_format = 'PNG'
    if engine is not None:
        r.engine = engine
    return cam


def render_stills(scene, folder, tag: str, frames) -> list[np.ndarray]:
    """Each of `frames` rendered as a still (frame_set, then F12) into `folder`: their pixels."""
    out = []
    for f in frames:
        scene.frame_set(f)
        scene.render.filepath = str(folder / f"{tag}_{f}.png")
        assert bpy.ops.render.render(write_still=True) == {'FINISHED'}
        out.append(image_pixels(scene.render.filepath))
    return out


def assert_same_without_extension(scene, folder, frames, live: list, tol: float = 2e-3) -> None:
    """Render `frames` again with the extension disabled (a farm without it): each still
    within `tol` (mean pixel difference) of `live`; the extension is enabled again after."""
    import addon_utils
    addon_utils.disable(PACKAGE, default_set=True)
    try:
        assert not hasattr(bpy.types.Object, "grc")
        without = render_stills(scene, folder, "baked", frames)
    finally:
        addon_utils.enable(PACKAGE, default_set=True)
    for f, a, b in zip(frames, live, without):
        assert np.abs(a - b).mean() < tol, f"frame {f}: {np.abs(a - b).mean()}"


def model_of(scene=None):
    """The settings of the scene's active model (Text.grc_model), None if it has none."""
    scene = scene or bpy.context.scene
    g = scene.grc
    if not len(g.models):
        return None
    model = g.models[min(g.active_model_index, len(g.models) - 1)].model
    return None if model is None else model.grc_model


def active_model(scene=None):
    """The scene's active model data-block (a Text), None if it has none."""
    scene = scene or bpy.context.scene
    g = scene.grc
    if not len(g.models):
        return None
    return g.models[min(g.active_model_index, len(g.models) - 1)].model


class Recorder:
    """A UILayout stand-in that records every call (containers return recorders too)."""

    def __init__(self, calls=None):
        object.__setattr__(self, "calls", [] if calls is None else calls)

    def __getattr__(self, name):
        def method(*args, **kw):
            self.calls.append((name, args, kw))
            if name in {"row", "column", "box", "split", "column_flow", "grid_flow"}:
                return Recorder(self.calls)
            if name == "operator":          # operator properties set by the panel
                return SimpleNamespace()
            return None
        return method

    def labels(self) -> list[str]:
        return [kw.get("text", "") for name, _, kw in self.calls if name == "label"]

    def text(self) -> str:
        """Every label joined: a long message is wrapped over several labels."""
        return " ".join(self.labels())

    def props(self) -> list[str]:
        return [args[1] for name, args, _ in self.calls if name == "prop"]


def draw_petal_panel(petal) -> Recorder:
    panels = importlib.import_module(PACKAGE + ".panels.petal")
    ctx = SimpleNamespace(scene=bpy.context.scene, active_object=petal, object=petal)
    layout = Recorder()
    panels.GRC_PT_petal.draw(SimpleNamespace(layout=layout), ctx)
    return layout
