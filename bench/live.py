"""Live-speed benchmark in real bpy (issue 6): slider latency, 100-petal frame cost beside
native shape keys, and enable time.

    .venv/bin/python bench/live.py [--changes 1000] [--frames 250] [--petals 100] [--json]

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
    vertex count and Subdivision modifier, in the same process; and their ratio.
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

PACKAGE = "bl_ext.user_default.grc"


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


def train_small() -> None:
    bpy.ops.wm.read_homefile(use_empty=True)
    assert bpy.ops.grc.add_example_templates() == {'FINISHED'}
    assert bpy.ops.grc.capture_templates() == {'FINISHED'}
    g = bpy.context.scene.grc
    g.steps, g.template_steps = 50, 50
    assert bpy.ops.grc.train() == {'FINISHED'}
    for coll in list(bpy.data.collections):   # templates out of the timed scenes
        for obj in list(coll.objects):
            bpy.data.objects.remove(obj)
    bpy.context.view_layer.update()


def measure_slider(n: int) -> dict:
    assert bpy.ops.grc.add_petal(rows=25) == {'FINISHED'}
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


def build_grc_flower(scene, n, frames, rng) -> None:
    for i in range(n):
        assert bpy.ops.grc.add_petal(rows=25) == {'FINISHED'}
        p = bpy.context.active_object
        p.rotation_euler.z = 2 * np.pi * i / n
        for attr in ("context", "time"):
            kf, vals = _keys(rng, frames)
            for f, v in zip(kf, vals):
                setattr(p.grc, attr, float(v))
                p.keyframe_insert(f"grc.{attr}", frame=int(f))


def build_native_flower(scene, n, frames, rng, model) -> None:
    a = model.generate(1.0, 0.0, rows=25)
    b = model.generate(1.0, 1.0, rows=25)
    mg = sys.modules[PACKAGE + ".grc_blender.mesh_grid"]
    for i in range(n):
        mesh = bpy.data.meshes.new(f"native {i}")
        mg.build_grid_mesh(mesh, a)
        obj = bpy.data.objects.new(f"native {i}", mesh)
        scene.collection.objects.link(obj)
        obj.rotation_euler.z = 2 * np.pi * i / n
        obj.shape_key_add(name="Basis", from_mix=False)
        kb = obj.shape_key_add(name="B", from_mix=False)
        kb.data.foreach_set("co", b.astype(np.float32).ravel())
        kf, vals = _keys(rng, frames)
        for f, v in zip(kf, vals):
            kb.value = float(v)
            kb.keyframe_insert("value", frame=int(f))
        _ = _keys(rng, frames)     # same random stream as the GRC petal (time keys)
        mod = obj.modifiers.new("GRC Subdivision", 'SUBSURF')
        mod.levels = mod.render_levels = 1


def time_frames(scene, frames: int) -> np.ndarray:
    window_scene = bpy.context.window.scene if bpy.context.window else None
    if bpy.context.window:
        bpy.context.window.scene = scene
    out = np.empty(frames)
    scene.frame_set(1)
    for i, f in enumerate(range(1, frames + 1)):
        t0 = time.perf_counter()
        scene.frame_set(f)
        out[i] = time.perf_counter() - t0
    if window_scene is not None:
        bpy.context.window.scene = window_scene
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--changes", type=int, default=1000)
    ap.add_argument("--frames", type=int, default=250)
    ap.add_argument("--petals", type=int, default=100)
    ap.add_argument("--json", action="store_true", help="print one JSON line instead of a table")
    args = ap.parse_args(argv)

    build_and_install()
    res = measure_enable()
    train_small()
    res.update(measure_slider(args.changes))

    scene = bpy.context.scene
    store = sys.modules[PACKAGE + ".grc_blender.store"]
    model = store.get_model(scene)
    build_grc_flower(scene, args.petals, args.frames, np.random.default_rng(1))
    native = bpy.data.scenes.new("native")
    native.frame_start, native.frame_end = 1, args.frames
    build_native_flower(native, args.petals, args.frames, np.random.default_rng(1), model)
    # Interleave two rounds each so neither side gets the warm caches.
    grc_t = np.concatenate([time_frames(scene, args.frames) for _ in range(2)])
    nat_t = np.concatenate([time_frames(native, args.frames) for _ in range(2)])
    res.update(frame_grc_ms=1e3 * float(np.median(grc_t)),
               frame_grc_p95_ms=1e3 * float(np.percentile(grc_t, 95)),
               frame_native_ms=1e3 * float(np.median(nat_t)),
               frame_native_p95_ms=1e3 * float(np.percentile(nat_t, 95)),
               petals=args.petals, frames=args.frames)
    res["frame_ratio"] = res["frame_grc_ms"] / res["frame_native_ms"]

    if args.json:
        print(json.dumps(res))
        return 0
    print(f"enable            {res['enable_s'] * 1e3:8.1f} ms   torch imported: {res['torch_imported']}")
    print(f"slider latency    median {res['slider_median_ms']:.3f} ms   p95 {res['slider_p95_ms']:.3f} ms"
          f"   ({args.changes} changes, 7x7 model, 25 rows)")
    print(f"frame, {args.petals} GRC petals      median {res['frame_grc_ms']:.2f} ms   p95 "
          f"{res['frame_grc_p95_ms']:.2f} ms")
    print(f"frame, {args.petals} shape-key petals median {res['frame_native_ms']:.2f} ms   p95 "
          f"{res['frame_native_p95_ms']:.2f} ms")
    print(f"ratio GRC / shape keys: {res['frame_ratio']:.2f}x   ({args.frames} frames x 2 rounds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
