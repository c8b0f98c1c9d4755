"""A scattered field in real bpy (issue 20): 10,000 flowers scattered on a 100 x 100 plane
(Scatter Flowers: 8 live variants of one flower, Bloom keyed), timed frame by frame with
the evaluated scene, beside the same field of native shape-key flowers instanced the same
way (the same scatter, its variants baked to shape keys, the live ones removed), the two
scenes interleaved frame by frame (live.time_round_robin).

    .venv/bin/python bench/scatter.py [--frames 48] [--flowers 10000] [--petals 8] [--json]

Target: at most 42 ms a frame (24 fps) with the evaluated scene.
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import live  # noqa: E402  (sets BLENDER_USER_RESOURCES, imports bpy; shared set-up)

import bpy  # noqa: E402
import numpy as np  # noqa: E402

PACKAGE = live.PACKAGE
SIDE = 100.0


def field(scene, api, flowers: int, petals: int, frames: int, bake: bool):
    """A keyed flower scattered `flowers` times on a plane; baked (native) if `bake`."""
    with bpy.context.temp_override(scene=scene):
        flower = api.add_flower(scene, layout=api.FlowerLayout(petals=petals),
                                location=(0.0, 0.0, 0.0))
    for f, b in ((1, 0.0), (frames, 1.0)):
        flower.grc.bloom = b
        flower.keyframe_insert("grc.bloom", frame=f)
    flower.hide_viewport = flower.hide_render = True
    mesh = bpy.data.meshes.new("ground")
    mesh.from_pydata([(-SIDE / 2, -SIDE / 2, 0), (SIDE / 2, -SIDE / 2, 0),
                      (SIDE / 2, SIDE / 2, 0), (-SIDE / 2, SIDE / 2, 0)], [], [(0, 1, 2, 3)])
    ground = bpy.data.objects.new("ground", mesh)
    scene.collection.objects.link(ground)
    api.scatter_flowers(scene, ground, flower, count=flowers, seed=1)
    if bake:
        mod = api.scatter_modifier(ground)
        live_coll = next(mod[i.identifier] for i in mod.node_group.interface.items_tree
                         if i.item_type == 'SOCKET' and i.name == "Variants")
        with bpy.context.temp_override(scene=scene):
            api.bake_field(scene, ground, 1, frames)
        for o in [*live_coll.objects, flower]:
            bpy.data.objects.remove(o)
        bpy.data.collections.remove(live_coll)
    return ground


def count_instances(scene) -> int:
    dg = scene.view_layers[0].depsgraph
    return sum(1 for i in dg.object_instances if i.is_instance)


def instanced_geometry(scene) -> float:
    """The summed vertex positions of the distinct meshes the field instances: changes
    from frame to frame when the field animates (checked, so a frozen field cannot look
    fast)."""
    dg = scene.view_layers[0].depsgraph
    seen, total = set(), 0.0
    for inst in dg.object_instances:
        if not inst.is_instance or inst.object.type != 'MESH':
            continue
        me = inst.object.data
        if me.as_pointer() in seen:
            continue
        seen.add(me.as_pointer())
        co = np.empty(len(me.vertices) * 3, np.float32)
        me.vertices.foreach_get("co", co)
        total += float(np.abs(co).sum())
    return total


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=48)
    ap.add_argument("--flowers", type=int, default=10_000)
    ap.add_argument("--petals", type=int, default=8)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    live.build_and_install()
    live.measure_enable()
    live.train_small()
    api = importlib.import_module(PACKAGE + ".grc_blender.api")
    res: dict = {}
    grc = live.new_scene("grc field", args.frames)
    live.share_models(bpy.context.scene, grc)
    native = live.new_scene("native field", args.frames)
    live.share_models(bpy.context.scene, native)
    t0 = time.perf_counter()
    field(grc, api, args.flowers, args.petals, args.frames, bake=False)
    field(native, api, args.flowers, args.petals, args.frames, bake=True)
    res["build_s"] = time.perf_counter() - t0
    live.ensure_depsgraph(grc)
    live.ensure_depsgraph(native)
    for sc, key in ((grc, "grc"), (native, "native")):
        shapes = []
        for f in (args.frames // 4, args.frames // 2):
            sc.frame_set(f)
            sc.view_layers[0].depsgraph.update()
            shapes.append(instanced_geometry(sc))
        res[f"{key}_instances"] = count_instances(sc)
        res[f"{key}_animates"] = abs(shapes[1] - shapes[0]) > 1e-3
    timed = live.time_round_robin({"grc": grc, "native": native}, args.frames, rounds=2)
    for key in ("grc", "native"):
        res[f"{key}_ms"] = 1e3 * float(np.median(timed[key]))
        res[f"{key}_p95_ms"] = 1e3 * float(np.percentile(timed[key], 95))
    if args.json:
        print(json.dumps(res))
        return 0
    print(f"scatter: {args.flowers} flowers of {args.petals} petals on a {SIDE:.0f} x {SIDE:.0f} "
          f"plane, 8 variants, Bloom keyed; {args.frames} frames x 2 rounds, interleaved, "
          f"each frame_set + the evaluated scene")
    print(f"  instances: GRC {res['grc_instances']}, native {res['native_instances']}; "
          f"animates: GRC {res['grc_animates']}, native {res['native_animates']}")
    print(f"  {'':24} {'GRC':>10} {'native shape keys':>18}")
    print(f"  frame, median            {res['grc_ms']:8.1f} ms {res['native_ms']:15.1f} ms")
    print(f"  frame, 95th percentile   {res['grc_p95_ms']:8.1f} ms {res['native_p95_ms']:15.1f} ms")
    print(f"  target: <= 42 ms a frame (24 fps): {'met' if res['grc_ms'] <= 42 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    live.finish(main())
