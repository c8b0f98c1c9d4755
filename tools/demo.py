"""The main job on the bundled example, end to end in headless Blender (``make demo``).

    .venv/bin/python tools/demo.py [--zip dist/grc-0.1.0.zip] [--steps 9] [--out out]

1. Installs and enables the built extension zip (dist/) under a temporary
   BLENDER_USER_RESOURCES, so the developer's own Blender set-up is never touched.
2. Through the use-case API (grc_blender.api): the example templates, capture, training
   (synchronous; progress is printed) and one petal.
3. Sweeps the petal's context from -0.5 to 1.5 at time 1.0 (the open petal), renders each
   step with Workbench at 320x240, composes out/contact_sheet.png and animates the sweep
   with a Context slider drawn under it into out/context_sweep.png (an animated PNG, back
   and forth; both copied to docs/images/ for the README). Labels are set in Blender's own
   font (blf drawn into an ImBuf; tools/figure.py blends them).
4. Plots the model's context traces (seed figures 5 and 6) into out/context_traces.png
   with numpy only (tools/figure.py: anti-aliased lines on the panel's model_core/raster.py).
5. Trains a second model, "Sepals", on two sepal templates derived from the example's
   shapes, and renders a flower blooming (Bloom 0 -> 1) at two Contexts: 15 petals from
   the first model and a ring of 5 sepals from the second, into out/flower_bloom.png
   (also docs/images/).
6. Keyframes the petal's context over the timeline and saves out/demo.blend, reopens it
   and checks that scrubbing the timeline regenerates the petal.
"""
from __future__ import annotations

import argparse
import importlib
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

import numpy as np  # noqa: E402

# Anti-aliased figures and PNG files on the add-on's own numpy raster (tools/figure.py).
import figure as pngplot  # noqa: E402

PACKAGE = "bl_ext.user_default.grc"
WIDTH, HEIGHT = 320, 240
PETAL_COLOR = (0.93, 0.45, 0.62)
TEMPLATE_COLORS = [(0.16, 0.38, 0.78), (0.85, 0.33, 0.10), (0.20, 0.60, 0.30),
                   (0.55, 0.25, 0.70), (0.75, 0.60, 0.05)]


def log(msg: str) -> None:
    print(f"[demo] {msg}", flush=True)


def default_zip() -> Path:
    import build_extension as bx
    return bx.default_zip()


# --- Blender set-up -------------------------------------------------------------------------

def install_extension(bpy, zip_path: Path):
    t0 = time.perf_counter()
    result = bpy.ops.extensions.package_install_files(
        filepath=str(zip_path), repo="user_default", enable_on_install=True)
    if result != {"FINISHED"} or PACKAGE not in bpy.context.preferences.addons:
        raise SystemExit(f"installing {zip_path} failed: {result}")
    log(f"installed and enabled {zip_path.name} as {PACKAGE} ({time.perf_counter() - t0:.1f} s)")
    return importlib.import_module(PACKAGE)


class ProgressPrinter:
    """Prints training progress: wraps TrainingJob._progress (the model_core progress callback
    every training goes through, threaded or synchronous) for the length of a `with`."""

    def __init__(self, jobs_module, every_s: float = 1.0):
        self.jobs = jobs_module
        self.every_s = every_s
        self.original = None

    def __enter__(self):
        cls = getattr(self.jobs, "TrainingJob", None)
        if cls is None or not hasattr(cls, "_progress"):
            log("training (progress hook not available; timing only)")
            return self
        self.original = cls._progress
        original, every, t0 = self.original, self.every_s, time.perf_counter()
        state = {"last": -1e9}

        def _progress(job, step, total, losses):
            original(job, step, total, losses)
            now = time.perf_counter()
            if now - state["last"] >= every or step >= total:
                state["last"] = now
                loss = "  ".join(f"{k} {v:.3g}" for k, v in sorted(losses.items()))
                pct = 100.0 * step / max(total, 1)
                print(f"[demo]   train {step:>6}/{total} ({pct:5.1f}%)  {now - t0:5.1f} s  {loss}",
                      flush=True)

        cls._progress = _progress
        return self

    def __exit__(self, *exc):
        if self.original is not None:
            self.jobs.TrainingJob._progress = self.original
        return False


def look_at(obj, target) -> None:
    direction = target - obj.location
    obj.rotation_euler = direction.to_track_quat("-Z", "Y").to_euler()


def setup_render(bpy, scene, out_dir: Path) -> None:
    scene.render.engine = "BLENDER_WORKBENCH"
    scene.render.resolution_x, scene.render.resolution_y = WIDTH, HEIGHT
    scene.render.resolution_percentage = 100
    scene.render.film_transparent = False
    scene.render.image_settings.file_format = "PNG"
    scene.render.image_settings.color_mode = "RGB"
    shading = scene.display.shading
    shading.light = "STUDIO"
    shading.color_type = "OBJECT"
    shading.show_cavity = True
    shading.show_object_outline = True
    shading.show_specular_highlight = True
    scene.display.render_aa = "8"
    scene.view_settings.view_transform = "Standard"  # plain sRGB: light background, true colors
    if scene.world is None:
        scene.world = bpy.data.worlds.new("GRC Demo World")
    scene.world.color = (0.93, 0.94, 0.96)
    # Workbench ignores lights; the sun is for opening demo.blend in EEVEE or Cycles.
    if "GRC Demo Sun" not in bpy.data.objects:
        sun = bpy.data.objects.new("GRC Demo Sun", bpy.data.lights.new("GRC Demo Sun", "SUN"))
        sun.data.energy = 3.0
        sun.rotation_euler = (0.6, 0.2, 0.8)
        scene.collection.objects.link(sun)


def frame_camera(bpy, scene, points_world: np.ndarray):
    """An orthographic camera looking down at the petal from the front, framing every point."""
    from mathutils import Vector
    cam_data = bpy.data.cameras.new("GRC Demo Camera")
    cam = bpy.data.objects.new("GRC Demo Camera", cam_data)
    scene.collection.objects.link(cam)
    scene.camera = cam
    lo, hi = points_world.min(axis=0), points_world.max(axis=0)
    center = Vector(((lo + hi) / 2).tolist())
    radius = float(np.linalg.norm(hi - lo)) / 2 + 1e-6
    direction = Vector((0.35, -0.75, 1.0)).normalized()  # front-right, from above
    cam.location = center + direction * (radius * 4.0)
    look_at(cam, center)
    bpy.context.view_layer.update()
    cam_data.type = "ORTHO"
    cam_data.clip_start, cam_data.clip_end = radius * 0.05, radius * 20.0
    # fit: project every point into the camera's x/y plane
    inv = np.array(cam.matrix_world.inverted())
    local = points_world @ inv[:3, :3].T + inv[:3, 3]
    xmin, xmax = local[:, 0].min(), local[:, 0].max()
    ymin, ymax = local[:, 1].min(), local[:, 1].max()
    aspect = WIDTH / HEIGHT
    span = max(xmax - xmin, (ymax - ymin) * aspect) * 1.12
    cam_data.ortho_scale = span
    cam_data.shift_x = ((xmin + xmax) / 2) / span
    cam_data.shift_y = ((ymin + ymax) / 2) / span
    return cam


def world_points(obj) -> np.ndarray:
    co = np.empty(len(obj.data.vertices) * 3, dtype=np.float64)
    obj.data.vertices.foreach_get("co", co)
    co = co.reshape(-1, 3)
    m = np.array(obj.matrix_world)
    return co @ m[:3, :3].T + m[:3, 3]


def load_render(bpy, path: Path) -> np.ndarray:
    """A rendered PNG as (H, W, 3) float 0..1, top row first."""
    img = bpy.data.images.load(str(path), check_existing=False)
    try:
        w, h = img.size
        px = np.empty(w * h * 4, dtype=np.float32)
        img.pixels.foreach_get(px)
    finally:
        bpy.data.images.remove(img)
    return px.reshape(h, w, 4)[::-1, :, :3].astype(np.float64)


class BlenderFont:
    """A figure.TextMask in Blender's own interface font: blf draws the text into an ImBuf,
    saved as a PNG and read back for its alpha (coverage). No font library needed."""

    def __init__(self, bpy, folder: Path):
        import blf
        import imbuf
        self.bpy, self.blf, self.imbuf, self.folder = bpy, blf, imbuf, folder
        self.cache: dict[tuple[str, int], np.ndarray] = {}

    def __call__(self, text: str, size: int) -> np.ndarray:
        key = (text, size)
        if key not in self.cache:
            self.cache[key] = self._render(text, size)
        return self.cache[key]

    def _render(self, text: str, size: int) -> np.ndarray:
        blf, font = self.blf, 0
        blf.size(font, size)
        width = int(np.ceil(blf.dimensions(font, text)[0])) + 2
        height = int(np.ceil(size * 1.4))
        buf = self.imbuf.new((width, height))
        with blf.bind_imbuf(font, buf):
            blf.size(font, size)
            blf.color(font, 1.0, 1.0, 1.0, 1.0)
            blf.position(font, 1, round(size * 0.38), 0)     # baseline above the descenders
            blf.draw_buffer(font, text)
        path = self.folder / "label.png"
        self.imbuf.write(buf, filepath=str(path))
        img = self.bpy.data.images.load(str(path), check_existing=False)
        try:
            px = np.empty(width * height * 4, dtype=np.float32)
            img.pixels.foreach_get(px)
        finally:
            self.bpy.data.images.remove(img)
        return px.reshape(height, width, 4)[::-1, :, 3].astype(np.float64)   # top row first


def contact_sheet(tiles: list[np.ndarray], labels: list[str], font: pngplot.TextMask,
                  cols: int = 3, gap: int = 6) -> np.ndarray:
    h, w = tiles[0].shape[:2]
    rows = (len(tiles) + cols - 1) // cols
    canvas = pngplot.Figure(cols * w + (cols + 1) * gap, rows * h + (rows + 1) * gap,
                            background=(1.0, 1.0, 1.0))
    for i, (tile, label) in enumerate(zip(tiles, labels)):
        r, c = divmod(i, cols)
        x, y = gap + c * (w + gap), gap + r * (h + gap)
        canvas.paste(x, y, tile)
        canvas.label(x + 8, y + 6, label, font, size=15)
    return canvas.to_uint8()


SLIDER_TRACK, SLIDER_FILL = (0.33, 0.33, 0.33), (0.28, 0.45, 0.70)   # Blender's slider colours


def slider_frame(tile: np.ndarray, value: float, lo: float, hi: float,
                 font: pngplot.TextMask) -> np.ndarray:
    """One frame of the sweep animation: the render with a Context slider drawn under the
    petal (like the sidebar's), the templates' 0 and 1 marked, and the note the Petal panel
    shows beyond them."""
    h, w = tile.shape[:2]
    fig = pngplot.Figure(w, h + 44, background=(0.93, 0.94, 0.96))
    fig.paste(0, 0, tile)
    x0, x1, y0, y1 = 16, w - 16, h + 12, h + 36
    fig.fill_rect(x0, y0, x1, y1, SLIDER_TRACK)
    fx = x0 + (x1 - x0) * (value - lo) / (hi - lo)
    fig.fill_rect(x0, y0, int(round(fx)), y1, SLIDER_FILL)
    for mark in (0.0, 1.0):                               # the two templates
        mx = int(round(x0 + (x1 - x0) * (mark - lo) / (hi - lo)))
        fig.fill_rect(mx, y0 - 5, mx + 1, y0, (0.2, 0.2, 0.25))
    fig.label((x0 + x1) // 2, y0 + 3, f"Context {value:.2f}", font, size=14,
              color=(1.0, 1.0, 1.0), backing=None, anchor="center")
    if value < 0.0 or value > 1.0:
        fig.label(8, 6, "Beyond the templates: new shapes", font, size=13)
    return fig.to_uint8()


# --- context traces plot (seed figures 5 and 6) ----------------------------------------------

def plot_traces(model, demo_time: float, alphas: np.ndarray, path: Path) -> None:
    rows = 64
    morph = np.linspace(float(model.morphs[0]), float(model.morphs[-1]), rows)
    traces = np.asarray(model.context_traces(rows=rows))  # (K, T, R) or (K, T, R, 2)
    at_t = np.asarray(model.context_traces(times=[demo_time], rows=rows))[:, 0]
    paths = np.array([model.context_path(demo_time, float(a), rows=rows) for a in alphas])
    K, T = traces.shape[:2]
    dims = 1 if traces.ndim == 3 else 2
    canvas = pngplot.Figure(1120, 470)
    boxes = [(80, 50, 540, 410), (640, 50, 1100, 410)]

    if dims == 1:
        ys = np.concatenate([traces.ravel(), paths.ravel(), at_t.ravel()])
        xs_a = xs_b = morph
        xlabel = ("MORPHOLOGY (BASE TO TIP)", "MORPHOLOGY (BASE TO TIP)")
        ylabel = "CONTEXT"
    else:
        ys = np.concatenate([traces[..., 1].ravel(), paths[..., 1].ravel()])
        xlabel = ("CONTEXT A", "CONTEXT A")
        ylabel = "CONTEXT B"
    lo, hi = float(np.nanmin(ys)), float(np.nanmax(ys))
    pad = 0.06 * (hi - lo or 1.0)
    ylim = (lo - pad, hi + pad)
    if dims == 1:
        xlim = (float(morph[0]), float(morph[-1]))
    else:
        xa = np.concatenate([traces[..., 0].ravel(), paths[..., 0].ravel()])
        xpad = 0.06 * (float(np.nanmax(xa) - np.nanmin(xa)) or 1.0)
        xlim = (float(np.nanmin(xa)) - xpad, float(np.nanmax(xa)) + xpad)

    def curve(ax, data, color, width=1.6, dash=None):
        if dims == 1:
            ax.line(morph, data, color, width, dash)
        else:
            ax.line(data[:, 0], data[:, 1], color, width, dash)

    # (a) figure 5: every template's trace at every time index, darker = later
    ax = canvas.axes(boxes[0], xlim, ylim)
    ax.ticks(pngplot.nice_ticks(*xlim, 5), pngplot.nice_ticks(*ylim, 6))
    for k in range(K):
        base = TEMPLATE_COLORS[k % len(TEMPLATE_COLORS)]
        for t in range(T):
            f = 0.15 + 0.85 * t / max(T - 1, 1)
            curve(ax, traces[k, t], pngplot.lerp_color((0.92, 0.92, 0.92), base, f), 1.8)
    ax.frame()
    for k in range(K):  # legend: template names
        x, y = boxes[0][0] + 14, boxes[0][1] + 12 + 18 * k
        color = TEMPLATE_COLORS[k % len(TEMPLATE_COLORS)]
        canvas.segment(x, y + 5, x + 24, y + 5, color, 3.0)
        canvas.text(x + 32, y, str(model.names[k]) if k < len(model.names) else f"T{k}", scale=2)
    canvas.text((boxes[0][0] + boxes[0][2]) // 2, 16,
                "CONTEXT TRACES: TEMPLATES X TIMES (DARKER = LATER)", scale=2, anchor="center")

    # (b) figure 6: templates at the demo time (dashed) and the swept context paths
    ax = canvas.axes(boxes[1], xlim, ylim)
    ax.ticks(pngplot.nice_ticks(*xlim, 5), pngplot.nice_ticks(*ylim, 6))
    lo_a, hi_a = float(alphas.min()), float(alphas.max())
    for a, p in zip(alphas, paths):
        f = (float(a) - lo_a) / ((hi_a - lo_a) or 1.0)
        color = pngplot.lerp_color((0.10, 0.65, 0.75), (0.85, 0.20, 0.55), f)
        curve(ax, p, color, 1.4)
    for k in range(K):
        curve(ax, at_t[k], TEMPLATE_COLORS[k % len(TEMPLATE_COLORS)], 2.6, dash=(7.0, 5.0))
    ax.frame()
    x, y = boxes[1][0] + 14, boxes[1][1] + 12  # legend: sweep colours
    for i in range(24):
        f = i / 23
        canvas.segment(x + i * 2, y + 5, x + i * 2 + 2, y + 5,
                       pngplot.lerp_color((0.10, 0.65, 0.75), (0.85, 0.20, 0.55), f), 3.0)
    canvas.text(x + 56, y, f"CONTEXT {lo_a:g} TO {hi_a:g}", scale=2)
    canvas.text((boxes[1][0] + boxes[1][2]) // 2, 16,
                f"TIME {demo_time:g}: TEMPLATES (DASHED) AND SWEPT CONTEXT PATHS",
                scale=2, anchor="center")
    for box, xl in zip(boxes, xlabel):
        canvas.text((box[0] + box[2]) // 2, box[3] + 34, xl, scale=2, anchor="center")
        canvas.text(box[0] - 70, box[1] - 20, ylabel, scale=2)
    pngplot.write_png(path, canvas.to_uint8())


# --- main -------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--zip", type=Path, default=None, help="extension zip (default: dist/)")
    parser.add_argument("--out", type=Path, default=ROOT / "out")
    parser.add_argument("--steps", type=int, default=9, help="context sweep steps")
    parser.add_argument("--time", type=float, default=1.0, help="petal time (1 = open)")
    parser.add_argument("--no-docs-image", action="store_true",
                        help="do not copy the contact sheet and trace plot to docs/images/")
    args = parser.parse_args(argv)

    t_start = time.perf_counter()
    zip_path = (args.zip or default_zip()).resolve()
    if not zip_path.is_file():
        raise SystemExit(f"{zip_path} not found: run `make build` (or `make demo`) first")
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)

    user_dir = Path(tempfile.mkdtemp(prefix="grc-demo-user-"))
    os.environ["BLENDER_USER_RESOURCES"] = str(user_dir)  # before `import bpy`
    try:
        import bpy
        return run(bpy, zip_path, out, args, t_start)
    finally:
        shutil.rmtree(user_dir, ignore_errors=True)


SEPAL_COLOR = (0.30, 0.55, 0.22)


def sepal_grids(grids: np.ndarray) -> np.ndarray:
    """(T, R, C, 3) petal grids -> narrower, pointed sepals: each row's columns pulled toward
    its middle column, more toward the tip (no assumption about the template's axes)."""
    c = grids.shape[2] // 2
    mid = grids[:, :, c:c + 1, :]
    v = np.linspace(0.0, 1.0, grids.shape[1])[None, :, None, None]
    return mid + 0.5 * (1.0 - 0.7 * v) * (grids - mid)


def add_sepal_model(bpy, api, scene, log_to=print):
    """A second model, "Sepals", trained on two sepal templates derived from the example's
    shapes; the first model is made active again."""
    example = importlib.import_module(PACKAGE + ".grc_blender.templates.example")
    mesh_grid = importlib.import_module(PACKAGE + ".grc_blender.util.mesh_grid")
    core = importlib.import_module(PACKAGE + ".model_core")
    ts = core.example_templates()
    objs = []
    for k, name in enumerate(("Sepal Narrow", "Sepal Wide")):
        grids = sepal_grids(ts.coords[k]) * (1.0, 1.0 + 0.4 * k, 1.0)
        mesh = bpy.data.meshes.new(name)
        mesh_grid.build_grid_mesh(mesh, grids[0])
        obj = bpy.data.objects.new(name, mesh)
        scene.collection.objects.link(obj)
        example.animate_with_shape_keys(obj, grids, 1.0 + 8.0 * np.arange(len(grids)))
        obj.hide_render = True
        objs.append(obj)
    api.add_model(scene, "Sepals")
    api.capture_templates(bpy.context, objs)    # (a template hidden in the viewport would be
    for obj in objs:                            # off the depsgraph: captured unanimated)
        obj.hide_viewport = True
    ok, msg = api.train(scene)
    if not ok:
        raise SystemExit(f"training the sepals failed: {msg}")
    log_to(f"trained a second model, 'Sepals': {msg}")
    scene.grc.active_model_index = 0


def render_bloom(bpy, api, scene, petal, path: Path, font: pngplot.TextMask,
                 blooms=(0.0, 0.35, 0.65, 1.0), contexts=(0.0, 1.0)) -> None:
    """A flower at the cursor (one object), its Bloom swept 0 -> 1 at two Contexts: one
    contact sheet (a row per context). Its petals come from the first model, its sepals (a
    ring of five outside and under them) from the second; the petals layer like shingles.
    The single petal is hidden meanwhile and shown again."""
    petal.hide_render = True
    scene.grc.active_model_index = 0                        # the petals' model
    flower = api.add_flower(scene, layout=api.FlowerLayout(petals=15, seed=3))
    sepal_model = scene.grc.models[1].model                 # the sepals' model
    ring = api.add_ring(scene, flower, count=5, outside=True, model=sepal_model)
    ring.size = 1.3
    green = bpy.data.materials.new("Demo Sepal")
    green.diffuse_color = (*SEPAL_COLOR, 1.0)
    flower.data.materials[ring.material_index] = green
    n_petals = sum(r.count for r in flower.grc.rings) - ring.count
    pts = []
    for c in contexts:                         # frame the open flower at both contexts
        flower.grc.context, flower.grc.bloom = c, 1.0
        bpy.context.view_layer.update()
        pts.append(world_points(flower))
    old_cam = scene.camera
    frame_camera(bpy, scene, np.concatenate(pts))
    scene.display.shading.color_type = "MATERIAL"   # the petals' gradient material colour
    tiles, labels = [], []
    with tempfile.TemporaryDirectory(prefix="grc-demo-bloom-") as tmp:
        for c in contexts:
            for b in blooms:
                flower.grc.context, flower.grc.bloom = c, b
                scene.render.filepath = str(Path(tmp) / f"bloom_{c}_{b}.png")
                bpy.ops.render.render(write_still=True)
                tiles.append(load_render(bpy, Path(scene.render.filepath)))
                labels.append(f"Context {c:.1f} \u00b7 Bloom {b:.2f}")
    pngplot.write_png(path, contact_sheet(tiles, labels, font, cols=len(blooms)))
    log(f"rendered the blooming flower ({n_petals} petals from '{flower.grc.rings[1].model.name}', "
        f"{ring.count} sepals from '{sepal_model.name}', one object): {len(tiles)} frames")
    scene.display.shading.color_type = "OBJECT"
    scene.camera = old_cam
    bpy.data.objects.remove(flower)
    petal.hide_render = False


def render_field(bpy, api, scene, petal, path: Path) -> None:
    """Scatter Flowers: a flower scattered on a 12 x 12 ground (8 live variants, a bloom
    wave travelling from one corner), rendered mid-wave: the flowers near the corner are
    open, the far ones still closed. Everything it made is removed afterwards."""
    from mathutils import Vector
    petal.hide_render = True
    scene.grc.active_model_index = 0
    before_objects, before_colls = set(bpy.data.objects), set(bpy.data.collections)
    flower = api.add_flower(scene, layout=api.FlowerLayout(petals=10, seed=3))
    for f, b in ((1, 0.0), (24, 1.0)):
        flower.grc.bloom = b
        flower.keyframe_insert("grc.bloom", frame=f)
    flower.hide_render = True
    bpy.ops.mesh.primitive_plane_add(size=12.0, location=(0.0, 0.0, 0.0))
    ground = bpy.context.active_object
    grass = bpy.data.materials.new("Demo Ground")
    grass.diffuse_color = (0.36, 0.50, 0.26, 1.0)
    ground.data.materials.append(grass)
    start = bpy.data.objects.new("Wave Start", None)
    scene.collection.objects.link(start)
    start.location = (-6.0, -6.0, 0.0)
    api.scatter_flowers(scene, ground, flower, density=2.0, seed=2, spread=20.0,
                        scale_min=0.3, scale_max=0.45, wave='OBJECT', wave_object=start,
                        wave_length=17.0)
    old_cam, old_frame = scene.camera, scene.frame_current
    cam = bpy.data.objects.new("GRC Field Camera", bpy.data.cameras.new("GRC Field Camera"))
    scene.collection.objects.link(cam)
    cam.location = (0.0, -13.0, 8.5)
    look_at(cam, Vector((0.0, 0.5, 0.0)))
    scene.camera = cam
    scene.frame_set(22)
    scene.display.shading.color_type = "MATERIAL"   # the petals' gradient material colour
    scene.render.filepath = str(path)
    bpy.ops.render.render(write_still=True)
    scene.display.shading.color_type = "OBJECT"
    log(f"rendered a scattered field: {2.0 * 144:.0f} flowers (density 2 on 144 square "
        f"units), 8 live variants, a bloom wave from the near-left corner, frame 22")
    scene.camera = old_cam
    scene.frame_set(old_frame)
    for obj in set(bpy.data.objects) - before_objects:
        bpy.data.objects.remove(obj)
    for coll in set(bpy.data.collections) - before_colls:
        bpy.data.collections.remove(coll)
    for tree in [t for t in bpy.data.node_groups if t.name.startswith("GRC Scatter")]:
        bpy.data.node_groups.remove(tree)
    bpy.data.materials.remove(grass)
    petal.hide_render = False


def run(bpy, zip_path: Path, out: Path, args, t_start: float) -> int:
    bpy.ops.wm.read_homefile(use_empty=True)
    install_extension(bpy, zip_path)
    store = importlib.import_module(PACKAGE + ".grc_blender.store")
    jobs = importlib.import_module(PACKAGE + ".grc_blender.training.jobs")
    scene = bpy.context.scene

    # templates -> capture -> train -> petal, through the add-on's use-case API
    api = importlib.import_module(PACKAGE + ".grc_blender.api")
    templates = api.add_example_templates(bpy.context)
    cap = api.capture_templates(bpy.context, templates)
    log(f"captured {len(templates)} templates: {', '.join(cap.names)} ({api.active_model(scene).grc_model.captured_info})")

    log("training (synchronous)...")
    t0 = time.perf_counter()
    with ProgressPrinter(jobs):
        ok, msg = api.train(scene)
    if not ok:
        raise SystemExit(f"training failed: {msg}")
    train_seconds = time.perf_counter() - t0
    model = store.get_model(api.active_model(scene))
    log(f"trained in {train_seconds:.1f} s: {api.active_model(scene).grc_model.model_summary}")
    for err in model.errors:
        log(f"  fidelity {err.get('name')}: mean {err.get('mean_pct', 0):.2f}%  "
            f"max {err.get('max_pct', 0):.2f}% of template size")

    for o in templates:  # the contact sheet shows the generated petal only
        o.hide_render = True
    petal, _warning = api.add_petal(scene)
    petal.grc.time = args.time
    petal.color = (*PETAL_COLOR, 1.0)

    # sweep: generate every step first to frame the camera on all of them. The animation
    # renders twice as many steps; the contact sheet takes every other one.
    alphas = np.linspace(-0.5, 1.5, args.steps)
    sweep = np.linspace(-0.5, 1.5, 2 * (args.steps - 1) + 1)
    pts = []
    for a in alphas:
        petal.grc.context = float(a)
        pts.append(world_points(petal))
    setup_render(bpy, scene, out)
    frame_camera(bpy, scene, np.concatenate(pts))

    t0 = time.perf_counter()
    tiles = []
    font_dir = Path(tempfile.mkdtemp(prefix="grc-demo-font-"))
    font = BlenderFont(bpy, font_dir)
    with tempfile.TemporaryDirectory(prefix="grc-demo-render-") as tmp:
        for i, a in enumerate(sweep):
            petal.grc.context = float(a)
            scene.render.filepath = str(Path(tmp) / f"step_{i:02d}.png")
            bpy.ops.render.render(write_still=True)
            tiles.append(load_render(bpy, Path(scene.render.filepath)))
    render_seconds = time.perf_counter() - t0
    labels = [f"Context {a:+.2f}" for a in alphas]
    sheet_path = out / "contact_sheet.png"
    pngplot.write_png(sheet_path, contact_sheet(tiles[::2], labels, font))
    log(f"rendered {len(sweep)} Workbench frames at {WIDTH}x{HEIGHT} in {render_seconds:.1f} s")
    frames = [slider_frame(t, float(a), float(sweep[0]), float(sweep[-1]), font)
              for t, a in zip(tiles, sweep)]
    sweep_path = out / "context_sweep.png"
    pngplot.write_apng(sweep_path, frames + frames[-2:0:-1], delay_ms=90)   # there and back
    log(f"animated the Context sweep: {2 * len(frames) - 2} frames")

    traces_path = out / "context_traces.png"
    plot_traces(model, args.time, alphas, traces_path)
    bloom_path = out / "flower_bloom.png"
    add_sepal_model(bpy, api, scene, log)
    render_bloom(bpy, api, scene, petal, bloom_path, font)
    field_path = out / "flower_field.png"
    render_field(bpy, api, scene, petal, field_path)
    shutil.rmtree(font_dir, ignore_errors=True)

    written = [sheet_path, sweep_path, traces_path, bloom_path, field_path]
    if not args.no_docs_image:
        # The README shows these pictures; they are always the demo's own output.
        for image in (sheet_path, sweep_path, traces_path, bloom_path, field_path):
            docs_image = ROOT / "docs" / "images" / image.name
            docs_image.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(image, docs_image)
            written.append(docs_image)

    # keyframe the sweep over the timeline so the saved file scrubs
    first, last = 1, 97
    petal.grc.context = float(alphas[0])
    petal.keyframe_insert('grc.context', frame=first)
    petal.grc.context = float(alphas[-1])
    petal.keyframe_insert('grc.context', frame=last)
    scene.frame_start, scene.frame_end = first, last
    scene.render.filepath = "//render/"
    scene.frame_set(first)
    blend_path = out / "demo.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(blend_path), compress=True)
    written.append(blend_path)

    # reopen and scrub: the frame handler must regenerate the petal from the stored model
    bpy.ops.wm.open_mainfile(filepath=str(blend_path))
    scene = bpy.context.scene
    petal = next(o for o in scene.objects if o.type == "MESH" and o.grc.is_petal)
    scene.frame_set(first)
    a_first = world_points(petal)
    scene.frame_set((first + last) // 2)
    scene.frame_set(last)
    a_last = world_points(petal)
    moved = float(np.abs(a_last - a_first).max())
    if not moved > 1e-4:
        raise SystemExit("reopened demo.blend does not scrub: the petal did not change "
                         f"between frames {first} and {last}")
    log(f"reopened {blend_path.name}: scrubbing frames {first}..{last} moves the petal "
        f"(max vertex change {moved:.3f})")

    for path in written:
        rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        log(f"wrote {rel} ({path.stat().st_size / 1e3:.0f} kB)")
    log(f"training took {train_seconds:.1f} s; demo total {time.perf_counter() - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
