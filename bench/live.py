"""Live-speed benchmark in real bpy (issue 6): slider latency, 100-petal frame cost beside
native shape keys, enable time, and the mesh write paths side by side.

    .venv/bin/python bench/live.py [--changes 1000] [--frames 250] [--petals 100] [--json]
                                   [--no-write-paths]

Builds the extension zip with Blender's own builder, installs it into a throwaway
BLENDER_USER_RESOURCES folder (so it measures the installed package), trains a small model
on the example templates (speed does not depend on accuracy), then measures:
  - enable: time of addon_utils.enable for the installed extension, and whether torch got
    imported by it (it must not);
  - slider: setting Object.grc.context on one 7x7 petal with 25 output rows until the mesh
    holds the new vertices (the update callback is synchronous), median and p95;
  - flower: scene.frame_set over N frames for 100 GRC petals, each with its own keyframed
    context and time (one generate_many call per frame), beside 100 native shape-key petals
    (two keys: the generated context 0 and 1 shapes, values keyed the same way), same
    vertex count and Subdivision modifier, in the same process, the two scenes interleaved
    frame by frame (so both see the same background load on a shared machine); and their
    ratio;
  - write paths: the same 100 petals (7 columns x 25 rows, Subdivision level 1), each in
    its own scene, written every frame from a frame_change_post handler with coordinates
    precomputed from the GRC flower (so only write + depsgraph evaluation is timed), by
      (a) vertices.foreach_set("co") + mesh.update()
      (b) vertices.foreach_set("co") + mesh.update_tag()
      (c) attributes["position"].data.foreach_set("vector") + update_tag()
      (c+) attributes["position"] foreach_set + one MeshVertex.co write (Blender's own
           "positions changed" invalidation): grc_blender.util.mesh_grid.write_coords
      (d) key_blocks["Basis"].data.foreach_set("co") + shape_keys.update_tag()
    beside the native shape-key scene and a no-write floor (all interleaved frame by frame,
    after the flower timing); and for each one whether the
    evaluated mesh is right after frame_set: `obj.evaluated_get(depsgraph).data` positions,
    vertex normals and bounds (Subdivision off), and the subdivided (render) mesh
    identical to path (a)'s.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ["BLENDER_USER_RESOURCES"] = tempfile.mkdtemp(prefix="grc-bench-user-")

import bpy  # noqa: E402  (after BLENDER_USER_RESOURCES on purpose)
import numpy as np  # noqa: E402

sys.path.insert(0, str(ROOT / "tests" / "blender"))
from blender_helpers import evaluated_arrays, model_of  # noqa: E402  (shared with the tests)

PACKAGE = "bl_ext.user_default.grc"
ROWS = 25


def finish(status: int) -> None:
    """End a bench run: flush what it printed, then leave without bpy's teardown, which can
    abort at exit ("free(): invalid pointer") and lose a piped, still-buffered report
    (the test suite ends the same way, tests/blender/conftest.py)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def build_and_install() -> None:
    out = Path(tempfile.mkdtemp(prefix="grc-bench-dist-"))
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_extension.py"), "build",
                    "--output-dir", str(out)], check=True, capture_output=True)
    zip_path = next(out.glob("grc-*.zip"))
    assert bpy.ops.extensions.package_install_files(
        filepath=str(zip_path), repo="user_default", enable_on_install=False) == {'FINISHED'}


def measure_enable() -> dict:
    import addon_utils
    torch_before = "torch" in sys.modules
    t0 = time.perf_counter()
    addon_utils.enable(PACKAGE, default_set=True)
    seconds = time.perf_counter() - t0
    return dict(enable_s=seconds, torch_imported=("torch" in sys.modules) and not torch_before)


def train_small(fixed_units: float | None = None, steps: int | None = None) -> None:
    """The example templates' model as the default settings train it (a short training
    would end short of the target and get the rescue's wider layer: not the model an
    artist plays back; `fixed_units`: the scene's Detail Between Keyframes, None: its
    default; `steps`: both stages' steps, None: the defaults)."""
    bpy.ops.wm.read_homefile(use_empty=True)
    assert bpy.ops.grc.add_example_templates() == {'FINISHED'}
    assert bpy.ops.grc.capture_templates() == {'FINISHED'}
    g = model_of(bpy.context.scene)
    if steps is not None:
        g.steps, g.template_steps = steps, steps
    if fixed_units is not None:
        g.fixed_units = fixed_units
    assert bpy.ops.grc.train() == {'FINISHED'}
    for coll in list(bpy.data.collections):   # templates out of the timed scenes
        for obj in list(coll.objects):
            bpy.data.objects.remove(obj)
    bpy.context.view_layer.update()


def measure_slider(n: int) -> dict:
    assert bpy.ops.grc.add_petal(rows=ROWS) == {'FINISHED'}
    petal = bpy.context.active_object
    co = np.empty(len(petal.data.vertices) * 3, np.float32)
    values = np.random.default_rng(0).uniform(-0.5, 1.5, n)
    times = np.empty(n)
    last = None
    for i, v in enumerate(values):
        t0 = time.perf_counter()
        petal.grc.context = float(v)
        petal.data.vertices.foreach_get("co", co)   # the mesh holds the new vertices
        times[i] = time.perf_counter() - t0
        assert last is None or not np.array_equal(co, last)
        last = co.copy()
    bpy.data.objects.remove(petal)
    return dict(slider_median_ms=1e3 * float(np.median(times)),
                slider_p95_ms=1e3 * float(np.percentile(times, 95)))


def _keys(rng, frames):
    kf = np.sort(rng.choice(np.arange(1, frames + 1), size=4, replace=False))
    return kf, rng.uniform(0.0, 1.0, len(kf))


def api():
    return sys.modules[PACKAGE + ".grc_blender.api"]


def second_model(scene):
    """A second model in `scene` (a copy of the active one under its own identity), the
    first one active again: the frame path then runs one group per model."""
    first = api().active_model(scene)
    copy = api().duplicate_model(scene)
    scene.grc.active_model_index = 0
    return first, copy


def share_models(source, scene) -> None:
    """`scene` lists the models of `source` (the same data-blocks)."""
    models = sys.modules[PACKAGE + ".grc_blender.models.scene_models"]
    for slot in source.grc.models:
        models.add_to_list(scene, slot.model, make_active=False)
    scene.grc.active_model_index = 0


def build_grc_flower(scene, n, frames, rng, models=()) -> list:
    """n petals keyed on their own; with `models`, petal i is generated by models[i % len]."""
    petals = []
    for i in range(n):
        p, _msg = api().add_petal(scene, rows=ROWS)
        if models:
            p.grc.model = models[i % len(models)]
        p.rotation_euler.z = 2 * np.pi * i / n
        for attr in ("context", "time"):
            kf, vals = _keys(rng, frames)
            for f, v in zip(kf, vals):
                setattr(p.grc, attr, float(v))
                p.keyframe_insert(f"grc.{attr}", frame=int(f))
        petals.append(p)
    return petals


def build_flower_scene(source, petals: int, frames: int):
    """A scene with the source scene's model and one flower whose root is keyed."""
    a = api()
    sc = new_scene("flower", frames)
    share_models(source, sc)
    root, made = a.add_petal_flower(sc, layout=a.FlowerLayout(petals=petals, seed=2))
    models = [slot.model for slot in sc.grc.models]
    for i, p in enumerate(made):            # the flower's petals from every model in turn
        p.grc.model = models[i % len(models)]
    rng = np.random.default_rng(3)
    for f in np.linspace(1, frames, 5).astype(int):
        root.grc.bloom, root.grc.context = float(rng.random()), float(rng.random())
        root.keyframe_insert("grc.bloom", frame=int(f))
        root.keyframe_insert("grc.context", frame=int(f))
    ensure_depsgraph(sc)
    return sc, made


def _grid_object(scene, name, grid, i, n):
    mg = sys.modules[PACKAGE + ".grc_blender.util.mesh_grid"]
    mesh = bpy.data.meshes.new(name)
    mg.build_grid_mesh(mesh, grid)
    obj = bpy.data.objects.new(name, mesh)
    scene.collection.objects.link(obj)
    obj.rotation_euler.z = 2 * np.pi * i / n
    mod = obj.modifiers.new("GRC Subdivision", 'SUBSURF')
    mod.levels = mod.render_levels = 1
    return obj


def build_native_flower(scene, n, frames, rng, model) -> list:
    a = model.generate(1.0, 0.0, rows=ROWS)
    b = model.generate(1.0, 1.0, rows=ROWS)
    objs = []
    for i in range(n):
        obj = _grid_object(scene, f"native {i}", a, i, n)
        obj.shape_key_add(name="Basis", from_mix=False)
        kb = obj.shape_key_add(name="B", from_mix=False)
        kb.data.foreach_set("co", b.astype(np.float32).ravel())
        kf, vals = _keys(rng, frames)
        for f, v in zip(kf, vals):
            kb.value = float(v)
            kb.keyframe_insert("value", frame=int(f))
        _ = _keys(rng, frames)     # same random stream as the GRC petal (time keys)
        objs.append(obj)
    return objs


def new_scene(name: str, frames: int):
    scene = bpy.data.scenes.new(name)
    scene.frame_start, scene.frame_end = 1, frames
    return scene


def ensure_depsgraph(scene):
    # A scene that is not shown in a window has no depsgraph until something asks for one
    # (frame_set allocates it); make sure every timed scene has one before timing, so the
    # first timed frame is not the allocation.
    scene.frame_set(scene.frame_current)
    dg = scene.view_layers[0].depsgraph
    assert dg is not None, scene.name
    return dg


def time_round_robin(scenes: dict, frames: int, rounds: int = 2) -> dict:
    """{key: (rounds * frames,) seconds of scene.frame_set(f)}, the scenes interleaved
    frame by frame (order rotated every frame): on a shared machine every scene sees the
    same background load, so their ratios hold even when absolute times drift."""
    keys = list(scenes)
    out = {k: np.empty(rounds * frames) for k in keys}
    for sc in scenes.values():
        sc.frame_set(1)
    i = 0
    for _ in range(rounds):
        for f in range(1, frames + 1):
            shift = i % len(keys)
            for k in keys[shift:] + keys[:shift]:
                sc = scenes[k]
                t0 = time.perf_counter()
                sc.frame_set(f)
                # what a viewport or render asks for: the evaluated scene (a data change
                # tagged after the frame's evaluation may otherwise wait for that request)
                sc.view_layers[0].depsgraph.update()
                out[k][i] = time.perf_counter() - t0
            i += 1
    return out


def summary(seconds: np.ndarray) -> dict:
    return dict(median_ms=1e3 * float(np.median(seconds)),
                p95_ms=1e3 * float(np.percentile(seconds, 95)))


# ---- write paths -------------------------------------------------------------------------

def _write_co_update(meshes, coords):
    for me, c in zip(meshes, coords):
        me.vertices.foreach_set("co", c)
        me.update()


def _write_co_tag(meshes, coords):
    for me, c in zip(meshes, coords):
        me.vertices.foreach_set("co", c)
        me.update_tag()


def _write_attr_tag(meshes, coords):
    for me, c in zip(meshes, coords):
        me.attributes["position"].data.foreach_set("vector", c)
        me.update_tag()


def _write_grc(meshes, coords):
    write_coords = sys.modules[PACKAGE + ".grc_blender.util.mesh_grid"].write_coords
    for me, c in zip(meshes, coords):
        write_coords(me, c)


def _write_shape_key(meshes, coords):
    for me, c in zip(meshes, coords):
        keys = me.shape_keys
        keys.key_blocks[0].data.foreach_set("co", c)
        keys.update_tag()


WRITE_PATHS = (
    ("a", 'vertices.foreach_set("co") + update()', _write_co_update),
    ("b", 'vertices.foreach_set("co") + update_tag()', _write_co_tag),
    ("c", 'attributes["position"] foreach_set + update_tag()', _write_attr_tag),
    ("c+", 'position foreach_set + one MeshVertex.co write [GRC]', _write_grc),
    ("d", 'shape key "Basis" data foreach_set("co") + tag', _write_shape_key),
)


def record_coords(scene, petals, frames: int) -> np.ndarray:
    """(frames + 1, N, V * 3) float32: what the GRC flower writes at each frame."""
    nv = len(petals[0].data.vertices)
    out = np.zeros((frames + 1, len(petals), nv * 3), np.float32)
    for f in range(1, frames + 1):
        scene.frame_set(f)
        for i, p in enumerate(petals):
            p.data.attributes["position"].data.foreach_get("vector", out[f, i])
    out[0] = out[1]
    return out


def _reference_normals(flat: np.ndarray, template_mesh) -> np.ndarray:
    """Vertex normals Blender computes for `flat` coordinates on a freshly built mesh."""
    me = template_mesh.copy()
    me.vertices.foreach_set("co", flat)
    me.update()
    nrm = np.empty(len(me.vertices) * 3, np.float32)
    me.vertex_normals.foreach_get("vector", nrm)
    bpy.data.meshes.remove(me)
    return nrm


def check_write_path(scene, objs, coords, frame: int) -> dict:
    """Is the evaluated mesh right after frame_set? Subdivision off: positions, normals and
    bounds of obj.evaluated_get(depsgraph).data; Subdivision on: the subdivided mesh."""
    dg = scene.view_layers[0].depsgraph
    probe = objs[: 3]
    for o in probe:
        o.modifiers[0].show_viewport = False
    scene.frame_set(frame - 1)
    for o in probe:               # fill the normals/bounds caches with the previous frame
        evaluated_arrays(o, dg)
    scene.frame_set(frame)
    ok = dict(positions=True, normals=True, bounds=True)
    for i, o in enumerate(probe):
        got = evaluated_arrays(o, dg)
        want = coords[frame, i]
        ok["positions"] &= bool(np.allclose(got["co"].ravel(), want, atol=1e-6))
        ok["normals"] &= bool(np.allclose(got["normals"].ravel(), _reference_normals(want, o.data),
                                          atol=1e-4))
        w = want.reshape(-1, 3)
        ok["bounds"] &= bool(np.allclose(got["box"].min(0), w.min(0), atol=1e-5)
                             and np.allclose(got["box"].max(0), w.max(0), atol=1e-5))
    for o in probe:
        o.modifiers[0].show_viewport = True
    scene.frame_set(frame)
    subdiv = []
    for o in probe:
        ev = o.evaluated_get(dg)
        me = ev.to_mesh()
        co = np.empty(len(me.vertices) * 3, np.float32)
        me.vertices.foreach_get("co", co)
        ev.to_mesh_clear()
        subdiv.append(co)
    ok["subdivided"] = np.concatenate(subdiv)
    return ok


class WritePaths:
    """One scene per write path (plus a no-write floor), written every frame by one
    frame_change_post handler from coordinates recorded from the GRC flower."""

    def __init__(self, grc_scene, grc_petals, frames: int, only: tuple[str, ...] | None = None):
        self.frames = frames
        self.coords = record_coords(grc_scene, grc_petals, frames)
        n = len(grc_petals)
        grids = self.coords[1].reshape(n, -1, grc_petals[0].grc.cols, 3)
        self.writers = {}
        self.scenes = {}
        for key, label, fn in WRITE_PATHS:
            if only is not None and key not in only:
                continue
            sc = new_scene(f"write {key}", frames)
            objs = [_grid_object(sc, f"{key} {i}", grids[i], i, n) for i in range(n)]
            if key == "d":
                for o in objs:
                    o.shape_key_add(name="Basis", from_mix=False)
            self.writers[sc.name] = (fn, [o.data for o in objs])
            self.scenes[key] = (sc, objs, label)
        self.floor = None
        if only is None:
            self.floor = new_scene("write floor", frames)
            for i in range(n):
                _grid_object(self.floor, f"floor {i}", grids[i], i, n)
        bpy.app.handlers.frame_change_post.append(self.dispatch)
        for sc, _objs, _label in self.scenes.values():
            ensure_depsgraph(sc)
        if self.floor is not None:
            ensure_depsgraph(self.floor)

    def remove(self) -> None:
        """Drop the handler and the scenes (so later phases are not taxed by them)."""
        if self.dispatch in bpy.app.handlers.frame_change_post:
            bpy.app.handlers.frame_change_post.remove(self.dispatch)
        for sc, objs, _label in self.scenes.values():
            for o in objs:
                bpy.data.meshes.remove(o.data)
            bpy.data.scenes.remove(sc)
        self.scenes.clear()

    def dispatch(self, scene, depsgraph=None):
        w = self.writers.get(scene.name)
        if w is not None:
            w[0](w[1], self.coords[min(scene.frame_current, self.frames)])

    def timed_scenes(self) -> dict:
        return {key: sc for key, (sc, _o, _l) in self.scenes.items()} | {"floor": self.floor}

    def results(self, timed: dict) -> dict:
        """Timings plus the evaluated-mesh checks of every path."""
        check_frame = max(2, self.frames // 2 + 7)
        checks = {key: check_write_path(sc, objs, self.coords, check_frame)
                  for key, (sc, objs, _label) in self.scenes.items()}
        bpy.app.handlers.frame_change_post.remove(self.dispatch)
        reference = checks["a"]["subdivided"]
        out = {}
        for key in list(self.scenes) + ["native", "floor"]:
            row = summary(timed[key])
            if key in checks:
                c = checks[key]
                c["subdivided"] = bool(c["subdivided"].shape == reference.shape
                                       and np.allclose(c["subdivided"], reference, atol=1e-5))
                row.update(label=self.scenes[key][2], correct=all(c.values()), checks=c)
            else:
                row["label"] = ("native shape keys (2 keys, keyed values)" if key == "native"
                                else "no writes (depsgraph floor, same meshes)")
            out[key] = row
        return out


def print_write_paths(rows: dict, petals: int, frames: int) -> None:
    print(f"\nwrite paths: {petals} petals 7x{ROWS}, Subdivision 1, {frames} frames x 2 rounds, "
          f"coordinates precomputed (write + depsgraph only)")
    print(f"  {'path':<56} {'median':>8} {'p95':>8}   evaluated mesh after frame_set")
    for key, row in rows.items():
        name = f"({key}) {row['label']}" if "checks" in row else row["label"]
        if "checks" in row:
            c = row["checks"]
            verdict = ("correct" if row["correct"] else "WRONG: " + ", ".join(
                k for k, v in c.items() if not v) + " stale")
        else:
            verdict = ""
        print(f"  {name:<56} {row['median_ms']:6.2f}ms {row['p95_ms']:6.2f}ms   {verdict}")
    ok = {k: r for k, r in rows.items() if r.get("correct")}
    if ok:
        best = min(ok, key=lambda k: ok[k]["median_ms"])
        print(f"  fastest correct: ({best}) {rows[best]['label']}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--changes", type=int, default=1000)
    ap.add_argument("--frames", type=int, default=250)
    ap.add_argument("--petals", type=int, default=100)
    ap.add_argument("--models", type=int, default=2, choices=(1, 2),
                    help="models generating the petals (2: every other petal from each)")
    ap.add_argument("--no-write-paths", dest="write_paths", action="store_false",
                    help="skip the write-path comparison")
    ap.add_argument("--json", action="store_true", help="print one JSON line instead of a table")
    args = ap.parse_args(argv)

    build_and_install()
    res = measure_enable()
    train_small()
    res.update(measure_slider(args.changes))

    scene = bpy.context.scene
    store = sys.modules[PACKAGE + ".grc_blender.store"]
    model = store.get_model(api().active_model(scene))
    models = second_model(scene) if args.models == 2 else ()
    grc_petals = build_grc_flower(scene, args.petals, args.frames, np.random.default_rng(1),
                                  models)
    native = new_scene("native", args.frames)
    build_native_flower(native, args.petals, args.frames, np.random.default_rng(1), model)
    ensure_depsgraph(scene)
    ensure_depsgraph(native)
    # The flower first, with only its two scenes in the file (every depsgraph tag visits
    # every depsgraph in the file, so the write-path scenes would tax both sides).
    timed = time_round_robin({"grc": scene, "native": native}, args.frames, rounds=2)
    grc_s, nat_s = summary(timed["grc"]), summary(timed["native"])
    res.update(frame_grc_ms=grc_s["median_ms"], frame_grc_p95_ms=grc_s["p95_ms"],
               frame_native_ms=nat_s["median_ms"], frame_native_p95_ms=nat_s["p95_ms"],
               petals=args.petals, frames=args.frames, models=args.models)
    res["frame_ratio"] = res["frame_grc_ms"] / res["frame_native_ms"]
    # The frame path against its floor: the same 100 meshes written from coordinates
    # precomputed from these petals by the same write path, the two scenes interleaved;
    # once for the petals each keyed on their own, once for a flower keyed on its root.
    floor = WritePaths(scene, grc_petals, args.frames, only=("c+",))
    sides = {"grc": scene, "floor": floor.scenes["c+"][0]}
    if models:     # the same petals from one model, beside: what the second model costs
        one = new_scene("one model", args.frames)
        share_models(scene, one)
        build_grc_flower(one, args.petals, args.frames, np.random.default_rng(1), models[:1])
        ensure_depsgraph(one)
        sides["one"] = one
    timed = time_round_robin(sides, args.frames, rounds=2)
    floor.remove()
    res.update(frame_vs_floor_grc_ms=summary(timed["grc"])["median_ms"],
               frame_floor_ms=summary(timed["floor"])["median_ms"])
    res["frame_floor_ratio"] = res["frame_vs_floor_grc_ms"] / res["frame_floor_ms"]
    if "one" in sides:
        res["frame_one_model_ms"] = summary(timed["one"])["median_ms"]
        res["one_model_floor_ratio"] = res["frame_one_model_ms"] / res["frame_floor_ms"]
        bpy.data.scenes.remove(sides["one"])
    flower_scene, flower_petals = build_flower_scene(scene, args.petals, args.frames)
    floor = WritePaths(flower_scene, flower_petals, args.frames, only=("c+",))
    timed = time_round_robin({"flower": flower_scene, "floor": floor.scenes["c+"][0]},
                             args.frames, rounds=2)
    floor.remove()
    res.update(flower_ms=summary(timed["flower"])["median_ms"],
               flower_floor_ms=summary(timed["floor"])["median_ms"])
    res["flower_floor_ratio"] = res["flower_ms"] / res["flower_floor_ms"]
    bpy.data.scenes.remove(flower_scene)
    if args.write_paths:
        paths = WritePaths(scene, grc_petals, args.frames)
        timed = time_round_robin({"native": native} | paths.timed_scenes(), args.frames, rounds=2)
        res["write_paths"] = paths.results(timed)

    if args.json:
        print(json.dumps(res))
        return 0
    print(f"enable            {res['enable_s'] * 1e3:8.1f} ms   torch imported: {res['torch_imported']}")
    print(f"slider latency    median {res['slider_median_ms']:.3f} ms   p95 {res['slider_p95_ms']:.3f} ms"
          f"   ({args.changes} changes, 7x7 model, {ROWS} rows)")
    print(f"models in the scene: {args.models} (petals alternate between them)")
    print(f"frame, {args.petals} GRC petals      median {res['frame_grc_ms']:.2f} ms   p95 "
          f"{res['frame_grc_p95_ms']:.2f} ms")
    print(f"frame, {args.petals} shape-key petals median {res['frame_native_ms']:.2f} ms   p95 "
          f"{res['frame_native_p95_ms']:.2f} ms")
    print(f"ratio GRC / shape keys: {res['frame_ratio']:.2f}x   ({args.frames} frames x 2 rounds, "
          f"scenes interleaved frame by frame)")
    print(f"frame path vs writing the same meshes from precomputed coordinates (c+): "
          f"{res['frame_vs_floor_grc_ms']:.2f} ms / {res['frame_floor_ms']:.2f} ms = "
          f"{res['frame_floor_ratio']:.2f}x (target <= 1.3x, interleaved)")
    if "one_model_floor_ratio" in res:
        print(f"  the same petals from one model, interleaved with them: "
              f"{res['frame_one_model_ms']:.2f} ms / {res['frame_floor_ms']:.2f} ms = "
              f"{res['one_model_floor_ratio']:.2f}x")
    print(f"flower of {args.petals} petals, Bloom and Context keyed on its root, vs its floor: "
          f"{res['flower_ms']:.2f} ms / {res['flower_floor_ms']:.2f} ms = "
          f"{res['flower_floor_ratio']:.2f}x (target <= 1.3x, interleaved)")
    if args.write_paths:
        print_write_paths(res["write_paths"], args.petals, args.frames)
    return 0


if __name__ == "__main__":
    finish(main())
