"""A field of flowers in real bpy (issue 13): the frame cost of 1 flower of 100 petals and
of 10 flowers x 100 petals, every flower's Bloom and Context keyed, beside the same numbers
of native shape-key petal objects (Blender's own per-object cost). By default the flowers
are one-object flowers (issue 19: one mesh object a flower, its petals in its mesh);
--kind merged times the previous version's Merge Petals, --kind separate one object a petal.

    .venv/bin/python bench/field.py [--frames 60] [--flowers 10] [--petals 100]
                                    [--kind one|merged|separate] [--fixed-units X] [--json]

Each scene is timed on its own (frame_set over --frames frames, twice), the GRC and native
scenes of one size interleaved frame by frame. Prints the median frame, the per-petal cost,
and the per-petal cost at 1,000 petals over that at 100 (target: at most 1.2x; and at most
25 ms a frame at 1,000 petals, and no more than the native petals). For one-object
flowers it also prints the frame with their "GRC Motion Blur" modifier on in the viewport
over the frame as made (on in renders only), rounds alternating.
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


def grc_field(scene, api, flowers: int, petals: int, frames: int, rng, kind: str) -> None:
    for k in range(flowers):
        layout = api.FlowerLayout(petals=petals, seed=k, merge=kind == "merged")
        if kind == "one":
            root = api.add_flower(scene, layout=layout, location=(2.0 * k, 0.0, 0.0))
        else:
            root, _made = api.add_petal_flower(scene, layout=layout,
                                               location=(2.0 * k, 0.0, 0.0))
        for f in np.linspace(1, frames, 4).astype(int):
            root.grc.bloom, root.grc.context = float(rng.random()), float(rng.random())
            root.keyframe_insert("grc.bloom", frame=int(f))
            root.keyframe_insert("grc.context", frame=int(f))


def native_field(scene, model, flowers: int, petals: int, frames: int, rng) -> None:
    a = model.generate(1.0, 0.0, rows=live.ROWS)
    b = model.generate(1.0, 1.0, rows=live.ROWS)
    for k in range(flowers):
        root = bpy.data.objects.new(f"native root {k}", None)
        scene.collection.objects.link(root)
        for i in range(petals):
            obj = live._grid_object(scene, f"native {k}.{i}", a, i, petals)
            obj.parent = root
            obj.shape_key_add(name="Basis", from_mix=False)
            kb = obj.shape_key_add(name="B", from_mix=False)
            kb.data.foreach_set("co", b.astype(np.float32).ravel())
            for f in np.linspace(1, frames, 4).astype(int):
                kb.value = float(rng.random())
                kb.keyframe_insert("value", frame=int(f))


def motion_modifier_cost(scene, frames: int, rounds: int = 4) -> float:
    """Frame time with the flowers' "GRC Motion Blur" modifier on in the viewport over the
    same frames with it off (as made: on in renders only), rounds alternating."""
    mods = [o.modifiers[0] for o in scene.objects
            if o.type == 'MESH' and len(o.modifiers) and o.modifiers[0].name == "GRC Motion Blur"]
    made = [m.show_viewport for m in mods]
    times: dict[bool, list] = {True: [], False: []}
    for _ in range(rounds):
        for on in (True, False):
            for m in mods:
                m.show_viewport = on
            scene.frame_set(1)
            t0 = time.perf_counter()
            for f in range(1, frames + 1):
                scene.frame_set(f)
            times[on].append(time.perf_counter() - t0)
    for m, v in zip(mods, made):
        m.show_viewport = v
    return float(np.median(times[True]) / np.median(times[False]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--flowers", type=int, default=10)
    ap.add_argument("--petals", type=int, default=100)
    ap.add_argument("--kind", choices=("one", "merged", "separate"), default="one",
                    help="one-object flowers (default), the previous version's Merge Petals, "
                         "or one object a petal")
    ap.add_argument("--fixed-units", type=float, default=None,
                    help="the model's Detail Between Keyframes (fixed units; default: the scene's "
                         "default, 0; the Faithful preset's is 1)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    live.build_and_install()
    live.measure_enable()
    live.train_small(args.fixed_units)
    api = importlib.import_module(PACKAGE + ".grc_blender.api")
    store = sys.modules[PACKAGE + ".grc_blender.store"]
    model = store.get_model(api.active_model(bpy.context.scene))
    res: dict = {}
    for flowers in (1, args.flowers):
        n = flowers * args.petals
        grc = live.new_scene(f"grc {n}", args.frames)
        live.share_models(bpy.context.scene, grc)                        # the same model
        native = live.new_scene(f"native {n}", args.frames)
        t0 = time.perf_counter()
        grc_field(grc, api, flowers, args.petals, args.frames, np.random.default_rng(1),
                  args.kind)
        native_field(native, model, flowers, args.petals, args.frames, np.random.default_rng(1))
        build_s = time.perf_counter() - t0
        live.ensure_depsgraph(grc)
        live.ensure_depsgraph(native)
        timed = live.time_round_robin({"grc": grc, "native": native}, args.frames, rounds=2)
        if args.kind == "one":
            res[f"motion_modifier_viewport_{n}_ratio"] = motion_modifier_cost(grc, args.frames)
        for key in ("grc", "native"):
            med = 1e3 * float(np.median(timed[key]))
            res[f"{key}_{n}_ms"] = med
            res[f"{key}_{n}_per_petal_us"] = 1e3 * med / n
        res[f"build_{n}_s"] = build_s
        for sc in (grc, native):              # the next size is timed without these
            for o in list(sc.objects):
                data = o.data
                bpy.data.objects.remove(o)
                if data is not None and data.users == 0:
                    bpy.data.meshes.remove(data)
            bpy.data.scenes.remove(sc)
    small, big = args.petals, args.flowers * args.petals
    for key in ("grc", "native"):
        res[f"{key}_per_petal_ratio"] = res[f"{key}_{big}_per_petal_us"] / res[f"{key}_{small}_per_petal_us"]
    if args.json:
        print(json.dumps(res))
        return 0
    kind = {"one": "one-object flowers", "merged": "Merge Petals (one mesh a flower)",
            "separate": "separate petal objects"}[args.kind]
    print(f"field: flowers of {args.petals} petals (7x{live.ROWS}, Subdivision 1), {kind}, each "
          f"flower's Bloom and Context keyed; {args.frames} frames x 2 rounds, interleaved")
    print(f"  {'':34} {'GRC':>10} {'native shape keys':>18}")
    for n in (small, big):
        print(f"  frame, {n:>5} petals              {res[f'grc_{n}_ms']:8.1f} ms {res[f'native_{n}_ms']:15.1f} ms")
        print(f"  per petal, {n:>5} petals          {res[f'grc_{n}_per_petal_us']:8.1f} us "
              f"{res[f'native_{n}_per_petal_us']:15.1f} us")
    print(f"  per-petal cost at {big} / at {small}:   {res['grc_per_petal_ratio']:8.2f}x "
          f"{res['native_per_petal_ratio']:15.2f}x   (target <= 1.2x)")
    print(f"  frame at {big} petals: {res[f'grc_{big}_ms']:.1f} ms (target <= 25 ms, and <= native "
          f"{res[f'native_{big}_ms']:.1f} ms)")
    if f"motion_modifier_viewport_{big}_ratio" in res:
        print(f"  with the motion-blur modifier on in the viewport too: "
              f"{res[f'motion_modifier_viewport_{big}_ratio']:.2f}x the frame at {big} petals")
    return 0


if __name__ == "__main__":
    live.finish(main())
