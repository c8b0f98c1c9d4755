"""Design benchmark: the extension's frame handler (today's design) against the Geometry Nodes
alternative the project did not choose, side by side in one bpy process.

    .venv/bin/python bench/design_gn.py [--frames 150] [--petals 100] [--points 50]
                                        [--full-train] [--json]

Sets up like bench/live.py (imported from its path, so it measures the installed zip: build
with Blender's builder, install into a throwaway BLENDER_USER_RESOURCES, enable, train the
example templates with 50 + 50 steps), then builds two scenes of N petals, 7 columns x 25
rows, each with a Subdivision modifier (level 1), each petal with its own keyframed context
and time (the same keys in both scenes):

  A) today's design: GRC petals (bpy.ops.grc.add_petal, rows=25), Object.grc.context and
     Object.grc.time keyframed; the extension's frame_change_post handler (petals.sync)
     regenerates every changed petal in one generate_many call per frame.
  B) Geometry Nodes: a table of generated petals over a (context, time) grid (context -1..2
     in 61 steps, time 0..1 in 21 steps, one generate_many call at set-up) stored as the
     vertices of one mesh object (not linked to any scene; the depsgraph pulls it in through
     Object Info). Every petal is a plain 7x25 grid mesh with a Geometry Nodes modifier
     whose Context and Time inputs are keyframed modifier inputs; the node tree (one, shared)
     interpolates the table bilinearly: 4 Sample Index nodes per vertex at
     ((i_ctx * n_time + i_time) * verts_per_petal + vertex index), weights from the
     fractional parts (cell index clamped to the table, fraction not: outside the table
     the edge cell is extrapolated linearly), then Set Position.

Measured:
  - frame cost: scene.frame_set(f) of A and B interleaved frame by frame (bench/live.py's
    time_round_robin), median, p95 and the ratio B / A;
  - B's interpolation error against model.generate(time, context, rows=25): max and mean
    vertex distance of the GN-evaluated petal (Subdivision off) at random points inside the
    table and at a few outside it, in % of the generated petal's bounding-box diagonal;
  - B follows the same keys as A: A's and B's evaluated (subdivided) petals at one frame;
  - B renders its keyed animation: Workbench render(animation=True) of 3 frames equals
    stills of the same frames (and the frames differ from one another), with B's petals
    moved into the context scene (see render_check).

What B does not have, by construction: Offset, Rows and a 2-D context are baked into the
table (another value needs another table, one more table dimension, or another tree), the
shapes outside the table are the edge cells extrapolated linearly rather than the model's
own extrapolation, and a retrained model needs the table regenerated.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# bench/live.py sets BLENDER_USER_RESOURCES before it imports bpy: import it first.
_spec = importlib.util.spec_from_file_location("grc_bench_live", ROOT / "bench" / "live.py")
live = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(live)

import bpy  # noqa: E402
import numpy as np  # noqa: E402
from blender_helpers import image_pixels  # noqa: E402  (live.py put tests/blender on the path)

ROWS = live.ROWS
GN_NAME = "GRC GN"
SUBSURF = "Subdivision"
CTX_RANGE = (-1.0, 2.0, 61)
TIME_RANGE = (0.0, 1.0, 21)
OUTSIDE = ((2.5, 0.3), (2.5, 0.9), (-1.5, 0.3), (-1.5, 0.9), (0.5, 1.2))


# ---- B: the table and the node tree -------------------------------------------------------

def build_table(model, ctx_grid, time_grid):
    """One mesh object whose vertices are the generated petals over the grid, petal
    (i_ctx * n_time + i_time) at vertices [p * V, (p + 1) * V)."""
    c, t = np.meshgrid(ctx_grid, time_grid, indexing="ij")
    t0 = time.perf_counter()
    petals = model.generate_many(t.ravel(), c.ravel(), None, rows=ROWS)   # (P, R, C, 3)
    gen_s = time.perf_counter() - t0
    flat = np.ascontiguousarray(petals, dtype=np.float32).reshape(-1)
    mesh = bpy.data.meshes.new("GRC GN table")
    mesh.vertices.add(flat.size // 3)
    mesh.attributes["position"].data.foreach_set("vector", flat)
    mesh.update()
    obj = bpy.data.objects.new("GRC GN table", mesh)
    return obj, petals, gen_s


def _math(tree, op, a=None, b=None, c=None):
    n = tree.nodes.new("ShaderNodeMath")
    n.operation = op
    for sock, v in zip(n.inputs, (a, b, c)):
        if v is None:
            continue
        if isinstance(v, (int, float)):
            sock.default_value = float(v)
        else:
            tree.links.new(v, sock)
    return n.outputs[0]


def _cell(tree, value, start, step, n):
    """(cell index clamped to 0..n-2, unclamped fraction) of `value` on the grid."""
    u = _math(tree, 'MULTIPLY_ADD', value, 1.0 / step, -start / step)
    i = _math(tree, 'FLOOR', u)
    i = _math(tree, 'MAXIMUM', _math(tree, 'MINIMUM', i, float(n - 2)), 0.0)
    return i, _math(tree, 'SUBTRACT', u, i)


def _by_id(sockets, identifier):
    return next(s for s in sockets if s.identifier == identifier)


def _mix(tree, factor, a, b):
    n = tree.nodes.new("ShaderNodeMix")
    n.data_type = 'VECTOR'
    n.factor_mode = 'UNIFORM'
    n.clamp_factor = False
    tree.links.new(factor, _by_id(n.inputs, "Factor_Float"))
    tree.links.new(a, _by_id(n.inputs, "A_Vector"))
    tree.links.new(b, _by_id(n.inputs, "B_Vector"))
    return _by_id(n.outputs, "Result_Vector")


def build_tree(table_obj, ctx_grid, time_grid, verts: int):
    """The shared node group; returns (tree, context socket id, time socket id)."""
    tree = bpy.data.node_groups.new("GRC GN petal", 'GeometryNodeTree')
    tree.interface.new_socket(name="Geometry", in_out='INPUT', socket_type='NodeSocketGeometry')
    tree.interface.new_socket(name="Geometry", in_out='OUTPUT', socket_type='NodeSocketGeometry')
    s_ctx = tree.interface.new_socket(name="Context", in_out='INPUT', socket_type='NodeSocketFloat')
    s_time = tree.interface.new_socket(name="Time", in_out='INPUT', socket_type='NodeSocketFloat')
    gi = tree.nodes.new("NodeGroupInput")
    go = tree.nodes.new("NodeGroupOutput")
    n_ctx, n_time = len(ctx_grid), len(time_grid)
    ic, fc = _cell(tree, gi.outputs[s_ctx.identifier], ctx_grid[0],
                   ctx_grid[1] - ctx_grid[0], n_ctx)
    it, ft = _cell(tree, gi.outputs[s_time.identifier], time_grid[0],
                   time_grid[1] - time_grid[0], n_time)
    base = _math(tree, 'MULTIPLY', _math(tree, 'MULTIPLY_ADD', ic, float(n_time), it), float(verts))
    index = tree.nodes.new("GeometryNodeInputIndex").outputs[0]
    i00 = _math(tree, 'ADD', base, index)          # a field: one per petal vertex
    i01 = _math(tree, 'ADD', i00, float(verts))
    i10 = _math(tree, 'ADD', i00, float(n_time * verts))
    i11 = _math(tree, 'ADD', i10, float(verts))
    info = tree.nodes.new("GeometryNodeObjectInfo")
    info.transform_space = 'ORIGINAL'              # no transform: shares the table's arrays
    info.inputs["Object"].default_value = table_obj
    position = tree.nodes.new("GeometryNodeInputPosition").outputs[0]
    samples = []
    for idx in (i00, i01, i10, i11):
        s = tree.nodes.new("GeometryNodeSampleIndex")
        s.data_type = 'FLOAT_VECTOR'
        s.domain = 'POINT'
        tree.links.new(info.outputs["Geometry"], s.inputs["Geometry"])
        tree.links.new(position, s.inputs["Value"])
        tree.links.new(idx, s.inputs["Index"])     # exact integers in float: no rounding issue
        samples.append(s.outputs["Value"])
    p = _mix(tree, fc, _mix(tree, ft, samples[0], samples[1]),
             _mix(tree, ft, samples[2], samples[3]))
    setpos = tree.nodes.new("GeometryNodeSetPosition")
    tree.links.new(gi.outputs[0], setpos.inputs["Geometry"])
    tree.links.new(p, setpos.inputs["Position"])
    tree.links.new(setpos.outputs[0], go.inputs[0])
    return tree, s_ctx.identifier, s_time.identifier


def gn_petal(scene, name, grid, tree, i, n):
    mg = sys.modules[live.PACKAGE + ".grc_blender.util.mesh_grid"]
    mesh = bpy.data.meshes.new(name)
    mg.build_grid_mesh(mesh, grid)
    obj = bpy.data.objects.new(name, mesh)
    scene.collection.objects.link(obj)
    obj.rotation_euler.z = 2 * np.pi * i / n
    gn = obj.modifiers.new(GN_NAME, 'NODES')
    gn.node_group = tree
    sub = obj.modifiers.new(SUBSURF, 'SUBSURF')
    sub.levels = sub.render_levels = 1
    return obj


def build_gn_flower(scene, n, frames, rng, tree, ids, rest_grid) -> list:
    """Same keys as live.build_grc_flower with the same rng (context keys, then time keys)."""
    objs = []
    for i in range(n):
        obj = gn_petal(scene, f"gn {i}", rest_grid, tree, i, n)
        mod = obj.modifiers[GN_NAME]
        for ident in ids:
            kf, vals = live._keys(rng, frames)
            for f, v in zip(kf, vals):
                mod[ident] = float(v)
                obj.keyframe_insert(f'modifiers["{GN_NAME}"]["{ident}"]', frame=int(f))
        objs.append(obj)
    return objs


# ---- B: interpolation error ---------------------------------------------------------------

def _evaluated_co(obj, dg) -> np.ndarray:
    me = obj.evaluated_get(dg).data
    co = np.empty(len(me.vertices) * 3, np.float32)
    me.vertices.foreach_get("co", co)
    return co.reshape(-1, 3).astype(np.float64)


def interpolation_error(model, tree, ids, rest_grid, frames, points, rng) -> dict:
    scene = live.new_scene("gn probe", frames)
    obj = gn_petal(scene, "gn probe", rest_grid, tree, 0, 1)
    obj.modifiers[SUBSURF].show_viewport = False
    mod = obj.modifiers[GN_NAME]
    dg = live.ensure_depsgraph(scene)

    def err(c, t):
        mod[ids[0]], mod[ids[1]] = float(c), float(t)
        obj.update_tag()
        dg.update()
        got = _evaluated_co(obj, dg)
        want = model.generate(t, c, rows=ROWS).reshape(-1, 3).astype(np.float64)
        diag = float(np.linalg.norm(want.max(0) - want.min(0)))
        d = np.linalg.norm(got - want, axis=1) / diag * 100.0
        return float(d.max()), float(d.mean()), got

    inside = np.column_stack([rng.uniform(CTX_RANGE[0], CTX_RANGE[1], points),
                              rng.uniform(TIME_RANGE[0], TIME_RANGE[1], points)])
    res_in = [err(c, t) for c, t in inside]
    # The probe really follows its inputs (a stale evaluated mesh would fail here).
    moved = not np.allclose(res_in[0][2], res_in[1][2])
    res_out = [err(c, t) for c, t in OUTSIDE]
    # Grid nodes reproduce the table exactly (checks the index arithmetic).
    node_err = max(err(CTX_RANGE[0] + 3 * (CTX_RANGE[1] - CTX_RANGE[0]) / (CTX_RANGE[2] - 1),
                       0.5)[0], err(1.0, 1.0)[0])
    bpy.data.objects.remove(obj)
    bpy.data.scenes.remove(scene)
    return dict(
        err_in_max_pct=max(r[0] for r in res_in),
        err_in_mean_pct=float(np.mean([r[1] for r in res_in])),
        err_in_p95_of_max_pct=float(np.percentile([r[0] for r in res_in], 95)),
        err_grid_node_max_pct=node_err,
        err_out=[dict(context=c, time=t, max_pct=r[0], mean_pct=r[1])
                 for (c, t), r in zip(OUTSIDE, res_out)],
        probe_follows_inputs=bool(moved), points=points)


# ---- B: animation render vs stills --------------------------------------------------------

def same_keys_check(scene_a, petals_a, scene_b, petals_b, frame: int, k: int = 5) -> float:
    """Max distance (% of bounding-box diagonal) between A's and B's evaluated (subdivided)
    petals at `frame`: both follow the same keys, so only B's interpolation error remains."""
    worst = 0.0
    scene_a.frame_set(frame)
    scene_b.frame_set(frame)
    dg_a, dg_b = scene_a.view_layers[0].depsgraph, scene_b.view_layers[0].depsgraph
    for pa, pb in zip(petals_a[:k], petals_b[:k]):
        ca, cb = _evaluated_co(pa, dg_a), _evaluated_co(pb, dg_b)
        diag = float(np.linalg.norm(ca.max(0) - ca.min(0)))
        worst = max(worst, float(np.linalg.norm(ca - cb, axis=1).max()) / diag * 100.0)
    return worst


def render_check(scene_a, petals_a, scene_b, petals_b, table_petals, frames_to_render) -> dict:
    """B's petals, moved into the context scene (A's, whose petals are removed first): in bpy
    without a window, a still render of any other scene shows its frame 1 whatever frame_set
    said (plain keyed object locations too), so only the context scene can be compared."""
    for p in petals_a:
        bpy.data.objects.remove(p)
    for p in petals_b:
        scene_a.collection.objects.link(p)
        scene_b.collection.objects.unlink(p)
    scene = scene_a
    extent = float(np.linalg.norm(table_petals[..., :2], axis=-1).max())
    top = float(table_petals[..., 2].max())
    cam = bpy.data.objects.new("GN camera", bpy.data.cameras.new("GN camera"))
    scene.collection.objects.link(cam)
    cam.data.type = 'ORTHO'
    cam.data.ortho_scale = 2.2 * extent
    cam.location = (0.0, 0.0, top + 5.0)
    scene.camera = cam
    r = scene.render
    r.engine = 'BLENDER_WORKBENCH'
    scene.display.render_aa = 'OFF'    # no sample jitter: same geometry, same pixels
    r.resolution_x, r.resolution_y, r.resolution_percentage = 120, 120, 100
    r.image_settings.file_format = 'PNG'
    f0, f1, f2 = frames_to_render
    scene.frame_start, scene.frame_end, scene.frame_step = f0, f2, f1 - f0
    assert f2 - f1 == f1 - f0
    out = Path(tempfile.mkdtemp(prefix="grc-gn-render-"))
    scene.frame_set(1)                 # the scene shows frame 1: a static render would too
    # The first render of the process draws subdivided meshes slightly differently (~1e-4
    # mean pixel difference on its first frame, A's GRC petals too, none without
    # Subdivision): one warm-up still first, so the comparison sees only the animation.
    r.filepath = str(out / "warmup.png")
    assert bpy.ops.render.render(write_still=True) == {'FINISHED'}
    r.filepath = str(out / "anim_")
    t0 = time.perf_counter()
    assert bpy.ops.render.render(animation=True) == {'FINISHED'}
    anim_s = time.perf_counter() - t0
    diffs, stills = [], []
    for f in frames_to_render:
        scene.frame_set(f)
        r.filepath = str(out / f"still_{f}.png")
        assert bpy.ops.render.render(write_still=True) == {'FINISHED'}
        stills.append(image_pixels(out / f"still_{f}.png"))
        d = np.abs(image_pixels(out / f"anim_{f:04d}.png") - stills[-1])
        diffs.append((float(d.mean()), float(d.max())))
    between = min(float(np.abs(stills[i] - stills[j]).mean())
                  for i, j in ((0, 1), (1, 2), (0, 2)))
    # tests/blender/test_render.py's criterion (mean difference < 1e-4, and the frames really
    # differ, so a static petal could not pass)
    ok = max(m for m, _ in diffs) < 1e-4 and between > 1e-3
    return dict(render_ok=bool(ok), render_frames=list(frames_to_render),
                render_anim_vs_still_mean=max(m for m, _ in diffs),
                render_anim_vs_still_max=max(x for _, x in diffs),
                render_frames_min_mean_diff=between,
                render_anim_s=anim_s, render_dir=str(out))


# ---- main ---------------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=150)
    ap.add_argument("--petals", type=int, default=100)
    ap.add_argument("--points", type=int, default=50, help="random error points in the table")
    ap.add_argument("--full-train", action="store_true",
                    help="train with the extension's default settings instead of 50 + 50 steps "
                         "(the interpolation error depends on the model's curvature)")
    ap.add_argument("--json", action="store_true", help="print one JSON line instead of a table")
    args = ap.parse_args(argv)
    t_start = time.perf_counter()

    live.build_and_install()
    live.measure_enable()
    # 50 + 50 steps: a model short of the target, so the rescue's wider layer
    live.train_small(steps=None if args.full_train else 50)
    scene_a = bpy.context.scene
    model = sys.modules[live.PACKAGE + ".grc_blender.store"].get_model(
        live.api().active_model(scene_a))
    res = dict(petals=args.petals, frames=args.frames, rounds=2, rows=ROWS, cols=model.n_cols,
               training="default" if args.full_train else "50 + 50 steps")

    # A: GRC petals, keyed context and time.
    petals_a = live.build_grc_flower(scene_a, args.petals, args.frames, np.random.default_rng(1))

    # B: the table, the tree, N GN petals with the same keys.
    ctx_grid = np.linspace(*CTX_RANGE)
    time_grid = np.linspace(*TIME_RANGE)
    t0 = time.perf_counter()
    table_obj, table_petals, gen_s = build_table(model, ctx_grid, time_grid)
    verts = ROWS * model.n_cols
    tree, *ids = build_tree(table_obj, ctx_grid, time_grid, verts)
    table_s = time.perf_counter() - t0
    scene_b = live.new_scene("gn", args.frames)
    rest = model.generate(1.0, 0.0, rows=ROWS)
    petals_b = build_gn_flower(scene_b, args.petals, args.frames, np.random.default_rng(1),
                               tree, ids, rest)
    res.update(table_ctx=CTX_RANGE, table_time=TIME_RANGE, table_petals=int(len(table_petals)),
               table_vertices=int(table_petals.size // 3),
               table_mib=table_petals.size * 4 / 2**20, table_generate_s=gen_s,
               table_setup_s=table_s, tree_nodes=len(tree.nodes))

    live.ensure_depsgraph(scene_a)
    live.ensure_depsgraph(scene_b)
    timed = live.time_round_robin({"A": scene_a, "B": scene_b}, args.frames, rounds=2)
    a, b = live.summary(timed["A"]), live.summary(timed["B"])
    res.update(frame_A_ms=a["median_ms"], frame_A_p95_ms=a["p95_ms"],
               frame_B_ms=b["median_ms"], frame_B_p95_ms=b["p95_ms"],
               ratio_B_A=b["median_ms"] / a["median_ms"], ratio_B_A_p95=b["p95_ms"] / a["p95_ms"])

    res["same_keys_max_pct"] = same_keys_check(scene_a, petals_a, scene_b, petals_b,
                                               args.frames // 2 + 7)
    res.update(interpolation_error(model, tree, ids, rest, args.frames, args.points,
                                   np.random.default_rng(2)))
    step = max(1, args.frames // 3)
    assert bpy.context.scene == scene_a
    frames = (step // 2, step // 2 + step, step // 2 + 2 * step)
    res.update(render_check(scene_a, petals_a, scene_b, petals_b, table_petals, frames))
    res["total_s"] = time.perf_counter() - t_start

    if args.json:
        print(json.dumps(res))
        return 0
    n, f = args.petals, args.frames
    print(f"design: {n} petals 7x{ROWS}, Subdivision 1, keyed context + time, {f} frames x 2 "
          f"rounds, scenes interleaved frame by frame; model trained: {res['training']}")
    print(f"  {'design':<62} {'median':>9} {'p95':>9}")
    print(f"  {'A) frame handler, generate_many (today)':<62} {res['frame_A_ms']:7.2f}ms "
          f"{res['frame_A_p95_ms']:7.2f}ms")
    print(f"  {'B) Geometry Nodes, bilinear table (4 Sample Index per vertex)':<62} "
          f"{res['frame_B_ms']:7.2f}ms {res['frame_B_p95_ms']:7.2f}ms")
    print(f"  ratio B / A: median {res['ratio_B_A']:.2f}x   p95 {res['ratio_B_A_p95']:.2f}x")
    print(f"B table: context {CTX_RANGE[0]:g}..{CTX_RANGE[1]:g} x {CTX_RANGE[2]}, time "
          f"{TIME_RANGE[0]:g}..{TIME_RANGE[1]:g} x {TIME_RANGE[2]} = {res['table_petals']} petals, "
          f"{res['table_vertices']:,} vertices ({res['table_mib']:.2f} MiB float32), "
          f"generate_many {res['table_generate_s'] * 1e3:.0f} ms, table + tree set-up "
          f"{res['table_setup_s'] * 1e3:.0f} ms, {res['tree_nodes']} nodes")
    print("B error vs model.generate (% of the petal's bounding-box diagonal, Subdivision off):")
    print(f"  inside the table, {res['points']} random points: max {res['err_in_max_pct']:.3f} %  "
          f"mean {res['err_in_mean_pct']:.4f} %  (p95 of per-point max "
          f"{res['err_in_p95_of_max_pct']:.3f} %); at grid nodes max "
          f"{res['err_grid_node_max_pct']:.2e} %")
    for e in res["err_out"]:
        print(f"  outside: context {e['context']:+.1f} time {e['time']:.1f}: "
              f"max {e['max_pct']:.2f} %"
              f"  mean {e['mean_pct']:.2f} %   (edge cell extrapolated linearly)")
    print(f"B vs A at frame {args.frames // 2 + 7}, same keys, subdivided, first 5 petals: max "
          f"{res['same_keys_max_pct']:.3f} % of the diagonal")
    print(f"B render: Workbench render(animation=True) of frames {res['render_frames']} matches "
          f"stills: {res['render_ok']} (pixel diff mean {res['render_anim_vs_still_mean']:.1e} max "
          f"{res['render_anim_vs_still_max']:.3f}; frames differ by mean >= "
          f"{res['render_frames_min_mean_diff']:.4f}), {res['render_anim_s']:.1f} s")
    print()
    print(f"  {'':<27} {'A) frame handler':<24} B) Geometry Nodes table")
    print(f"  {'frame median / p95':<27} {res['frame_A_ms']:6.2f} / {res['frame_A_p95_ms']:5.2f} ms"
          f"{'':<7} {res['frame_B_ms']:6.2f} / {res['frame_B_p95_ms']:5.2f} ms   (B / A "
          f"{res['ratio_B_A']:.2f}x)")
    worst_out = max(e["max_pct"] for e in res["err_out"])
    print(f"  {'vs model.generate':<27} {'exact (it is the model)':<24} "
          f"max {res['err_in_max_pct']:.2f} "
          f"% / mean {res['err_in_mean_pct']:.3f} % inside; up to {worst_out:.1f} % outside")
    print(f"  {'animation render = stills':<27} {'(tests/blender)':<24} {res['render_ok']}")
    print(f"  {'Offset, Rows, 2-D context':<27} {'live inputs':<24} baked into the table")
    print(f"total {res['total_s']:.0f} s")
    return 0


if __name__ == "__main__":
    live.finish(main())
