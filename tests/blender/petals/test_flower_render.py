"""Motion blur (issue 19): a live flower blurs in Cycles as its bake does. The frame path
writes the flower's mesh at every motion step of the render's depsgraph; its "GRC Motion
Blur" modifier (a twist of 0) makes Cycles sample those steps."""
from __future__ import annotations

import bpy
import numpy as np

from blender_helpers import add_camera, add_example_and_capture, image_pixels, train_quick


def _setup():
    add_example_and_capture()
    train_quick()
    scene = bpy.context.scene
    assert bpy.ops.grc.add_flower(petals=8) == {'FINISHED'}
    flower = bpy.context.active_object
    for f, b in ((1, 0.0), (3, 1.0)):
        flower.grc.bloom = b
        flower.keyframe_insert("grc.bloom", frame=f)
    for o in list(scene.objects):
        if o != flower:
            o.hide_render = True
    add_camera(scene, (0.0, -2.5, 1.6), (1.0, 0.0, 0.0), (64, 48), 'CYCLES')
    sun = bpy.data.objects.new("Sun", bpy.data.lights.new("Sun", 'SUN'))
    scene.collection.objects.link(sun)
    scene.world = bpy.data.worlds.new("World")
    scene.world.color = (0.05, 0.05, 0.05)
    r = scene.render
    scene.cycles.samples, scene.cycles.seed, scene.cycles.device = 8, 1, 'CPU'
    r.motion_blur_shutter = 1.0
    return scene, flower


def _render(scene, path, blur: bool) -> np.ndarray:
    scene.render.use_motion_blur = blur
    scene.render.filepath = str(path)
    scene.frame_set(2)
    assert bpy.ops.render.render(write_still=True) == {'FINISHED'}
    return image_pixels(path)


def test_a_live_flower_blurs_as_its_bake_does(grc, tmp_path):
    scene, flower = _setup()
    assert "GRC Motion Blur" in flower.modifiers
    sharp = _render(scene, tmp_path / "live_sharp.png", False)
    blur = _render(scene, tmp_path / "live_blur.png", True)
    again = _render(scene, tmp_path / "live_sharp2.png", False)
    noise = np.abs(again - sharp).mean()               # the same render twice
    live = np.abs(blur - sharp).mean()
    baked = grc.api.bake_petals(scene, [flower], 1, 3, hide_live=True)[0]
    assert baked.hide_render is False and flower.hide_render
    bake_sharp = _render(scene, tmp_path / "bake_sharp.png", False)
    bake_blur = _render(scene, tmp_path / "bake_blur.png", True)
    bake = np.abs(bake_blur - bake_sharp).mean()
    print(f"\nblur vs sharp: live {live:.4f}, bake {bake:.4f}; noise {noise:.4f}; live blur vs "
          f"bake blur {np.abs(blur - bake_blur).mean():.4f}; sharp vs sharp "
          f"{np.abs(sharp - bake_sharp).mean():.4f}")
    assert bake > 0.005 and live > 0.5 * bake and live > 10 * noise + 1e-3
    assert np.abs(blur - bake_blur).mean() < live           # closer to the bake than sharp
    # without the modifier (the artist removed it) the flower renders sharp: why it is there
    flower.hide_render, baked.hide_render = False, True
    flower.modifiers.remove(flower.modifiers["GRC Motion Blur"])
    plain = _render(scene, tmp_path / "plain_blur.png", True)
    assert np.abs(plain - sharp).mean() < 0.2 * live
