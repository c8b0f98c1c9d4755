"""The live path's state: one slider change is one mesh write, and file load, undo and a
new file all leave the one owner of its caches empty."""
from __future__ import annotations

import bpy

from blender_helpers import add_example_and_capture, train_quick


def _petal(grc):
    petal, _msg = grc.api.add_petal(bpy.context.scene, context_value=0.2)
    bpy.context.view_layer.update()
    return petal


def test_one_slider_change_is_one_write(grc):
    add_example_and_capture()
    train_quick()
    petal = _petal(grc)
    live = grc.petals.LIVE
    for value in (0.4, 0.7, 1.3):
        before = live.writes
        petal.grc.context = value            # the update callback writes the mesh ...
        bpy.context.view_layer.update()      # ... and the depsgraph update finds it current
        assert live.writes - before == 1, (value, live.writes - before)
    before = live.writes
    bpy.context.view_layer.update()          # nothing changed: nothing written
    assert live.writes == before


def test_load_and_undo_clear_every_cache(grc, tmp_path):
    add_example_and_capture()
    train_quick()
    _petal(grc)
    bpy.context.scene.frame_set(3)
    live = grc.petals.LIVE
    assert live.scenes and live.verdicts and live.written
    path = str(tmp_path / "live.blend")
    bpy.ops.wm.save_as_mainfile(filepath=path)
    bpy.ops.wm.open_mainfile(filepath=path)
    # load_post regenerates the file's petals, so only what that pass built is there:
    # references to the previous file's objects are gone.
    scenes = {s.as_pointer() for s in bpy.data.scenes}
    assert set(live.scenes) <= scenes
    assert all(ptr in {o.as_pointer() for o in bpy.data.objects} for ptr in live.verdicts)
    bpy.ops.wm.read_homefile(use_empty=True)
    assert not live.scenes and not live.verdicts and not live.written and not live.pending
