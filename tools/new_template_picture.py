"""Render docs/images/new_template.png: a new GRC template (Add > Mesh > GRC Template) at its
open time, with the base row, the tip row and the R x C label where the viewport overlay
puts them (grc_blender.templates.overlay_geometry.template_marks), as tubes and text objects.

    .venv/bin/python tools/new_template_picture.py [--out docs/images/new_template.png]

Runs the add-on from this source tree in headless bpy (Workbench, no GPU needed).
"""
from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
WIDTH, HEIGHT = 640, 400
PETAL, GRID, BASE, TIP, TEXT = ((0.93, 0.55, 0.70, 1), (0.25, 0.15, 0.2, 1), (0.15, 0.7, 0.25, 1),
                                (0.95, 0.45, 0.1, 1), (0.1, 0.1, 0.12, 1))


def package():
    """This tree as the package `grc` (a symlink in a temp folder, like tools/typecheck.py)."""
    tmp = Path(tempfile.mkdtemp(prefix="grc-picture-"))
    (tmp / "grc").symlink_to(ROOT)
    sys.path.insert(0, str(tmp))
    return importlib.import_module("grc")


def tube(bpy, name, points, color, radius=0.012):
    curve = bpy.data.curves.new(name, 'CURVE')
    curve.dimensions, curve.bevel_depth = '3D', radius
    spline = curve.splines.new('POLY')
    spline.points.add(len(points) - 1)
    spline.points.foreach_set("co", np.hstack([points, np.ones((len(points), 1))]).ravel())
    obj = bpy.data.objects.new(name, curve)
    obj.color = color
    bpy.context.scene.collection.objects.link(obj)
    return obj


def label(bpy, text, at, cam, color, size=0.07):
    curve = bpy.data.curves.new(text, 'FONT')
    curve.body, curve.size, curve.align_x, curve.align_y = text, size, 'CENTER', 'CENTER'
    obj = bpy.data.objects.new(text, curve)
    obj.location = at
    obj.rotation_euler = cam.rotation_euler      # faces the camera
    obj.color = color
    bpy.context.scene.collection.objects.link(obj)
    return obj


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "docs" / "images" / "new_template.png"))
    args = ap.parse_args()
    import bpy
    from mathutils import Vector
    grc = package()
    grc.register()
    bpy.ops.wm.read_homefile(use_empty=True)
    api = importlib.import_module("grc.grc_blender.api")
    og = importlib.import_module("grc.grc_blender.templates.overlay_geometry")
    mesh_grid = importlib.import_module("grc.grc_blender.util.mesh_grid")
    scene = bpy.context.scene
    obj = api.new_template(bpy.context)                   # 7 x 7, 7 times, keys at 1..49
    scene.frame_set(49)                                   # the open time
    obj.color = PETAL
    wire = obj.modifiers.new("Grid Lines", 'WIREFRAME')   # show the quads on a copy
    wire_obj = bpy.data.objects.new("Grid Lines", obj.data)
    scene.collection.objects.link(wire_obj)
    obj.modifiers.remove(wire)
    w = wire_obj.modifiers.new("Grid Lines", 'WIREFRAME')
    w.thickness, w.use_even_offset = 0.006, True
    wire_obj.color = GRID
    depsgraph = bpy.context.evaluated_depsgraph_get()
    ev = obj.evaluated_get(depsgraph).data
    coords = mesh_grid.mesh_coords(ev)
    grid = coords[mesh_grid.grid_order(mesh_grid.mesh_topology(obj.data), coords)]
    marks = og.template_marks(og.to_world(np.array(obj.matrix_world), grid), obj.name, False)

    cam = bpy.data.objects.new("Camera", bpy.data.cameras.new("Camera"))
    scene.collection.objects.link(cam)
    scene.camera = cam
    centre = Vector(grid.reshape(-1, 3).mean(axis=0).tolist())
    cam.location = centre + Vector((0.2, -0.55, 1.3)).normalized() * 4.0
    cam.rotation_euler = (centre - cam.location).to_track_quat("-Z", "Y").to_euler()
    cam.data.type, cam.data.ortho_scale = 'ORTHO', 1.45
    tube(bpy, "Base Row", marks.base, BASE)
    tube(bpy, "Tip Row", marks.tip, TIP)
    colors = (BASE, TIP, TEXT)
    for (anchor, text), color in zip(marks.labels, colors):
        at = Vector(anchor.tolist())
        if text not in ("base", "tip"):
            at = at + Vector((0.0, -0.4, 0.0))          # the size label below the petal
        label(bpy, text, at, cam, color)

    r = scene.render
    r.engine = "BLENDER_WORKBENCH"
    r.resolution_x, r.resolution_y, r.resolution_percentage = WIDTH, HEIGHT, 100
    r.image_settings.file_format, r.image_settings.color_mode = "PNG", "RGB"
    shading = scene.display.shading
    shading.light, shading.color_type = "STUDIO", "OBJECT"
    shading.show_cavity = shading.show_object_outline = True
    scene.display.render_aa = "8"
    scene.view_settings.view_transform = "Standard"
    scene.world = bpy.data.worlds.new("World")
    scene.world.color = (0.93, 0.94, 0.96)
    r.filepath = str(Path(args.out).resolve())
    bpy.ops.render.render(write_still=True)
    print(f"wrote {r.filepath}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
