"""A saved file reopened in a fresh Blender (torch unimportable) regenerates and
animates its petals from the model stored in the .blend; the bake plays with the extension
disabled."""
from __future__ import annotations

import bpy
import numpy as np

from blender_helpers import PACKAGE, add_example_and_capture, coords_of, run_fresh_python, train_quick

# Prepended to the fresh-process scripts: any attempt to import torch fails loudly.
BLOCK_TORCH = """
import sys
class _BlockTorch:
    attempts = []
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            _BlockTorch.attempts.append(name)
            raise ImportError("torch is blocked in this test")
        return None
sys.meta_path.insert(0, _BlockTorch())
sys.modules.pop("torch", None)
"""


def _saved_flower(tmp_path):
    """Two petals sharing the model, keyframed context and time, plus a bake; saved."""
    scene = bpy.context.scene
    add_example_and_capture()
    train_quick()
    petals = []
    for i in range(2):
        assert bpy.ops.grc.add_petal() == {'FINISHED'}
        p = bpy.context.active_object
        p.grc.context, p.grc.time = 0.0, 0.2
        p.keyframe_insert("grc.context", frame=1)
        p.keyframe_insert("grc.time", frame=1)
        p.grc.context, p.grc.time = 1.0 - i, 1.0
        p.keyframe_insert("grc.context", frame=48)
        p.keyframe_insert("grc.time", frame=48)
        petals.append(p)
    scene.frame_start, scene.frame_end = 1, 48
    bpy.context.view_layer.objects.active = petals[0]
    assert bpy.ops.grc.bake_shape_keys() == {'FINISHED'}
    expected = {}
    for frame in (1, 24, 48):
        scene.frame_set(frame)
        for p in petals:
            expected[f"{p.name}@{frame}"] = coords_of(p)
    # The stored meshes hold frame 48 while the file is saved on frame 24 (setting the
    # property runs no frame handler): reopening must regenerate them (load_post).
    scene.frame_set(48)
    scene.frame_current = 24
    assert np.abs(coords_of(petals[0]) - expected[f"{petals[0].name}@24"]).max() > 1e-3
    path = tmp_path / "flower.blend"
    assert bpy.ops.wm.save_as_mainfile(filepath=str(path)) == {'FINISHED'}
    np.savez(tmp_path / "expected.npz", **expected)
    return path, tmp_path / "expected.npz", [p.name for p in petals]


def test_reopen_without_torch_regenerates_and_animates(tmp_path):
    path, expected_path, names = _saved_flower(tmp_path)
    result = run_fresh_python(BLOCK_TORCH + f"""
import json
import bpy, addon_utils, numpy as np
addon_utils.enable({PACKAGE!r}, default_set=True)
assert {PACKAGE!r} in bpy.context.preferences.addons
bpy.ops.wm.open_mainfile(filepath={str(path)!r})
expected = np.load({str(expected_path)!r})
def co(o):
    a = np.empty(len(o.data.vertices) * 3, np.float32); o.data.vertices.foreach_get("co", a)
    return a.reshape(-1, 3)
scene = bpy.context.scene
out = {{"frame_on_load": scene.frame_current, "diff": {{}}}}
for name in {names!r}:
    out["diff"][f"{{name}}@load"] = float(np.abs(co(bpy.data.objects[name]) - expected[f"{{name}}@24"]).max())
for frame in (1, 48, 24):
    scene.frame_set(frame)
    for name in {names!r}:
        out["diff"][f"{{name}}@{{frame}}"] = float(np.abs(co(bpy.data.objects[name]) - expected[f"{{name}}@{{frame}}"]).max())
p = bpy.data.objects[{names[0]!r}]
before = co(p).copy()
p.animation_data_clear()
p.grc.context = 0.37        # the slider still regenerates
out["slider_changed"] = float(np.abs(co(p) - before).max())
store = __import__({PACKAGE + ".grc_blender.store"!r}, fromlist=["x"])
model = store.get_model(p.grc.model)
out["slider_diff"] = float(np.abs(co(p) - model.generate(p.grc.time, 0.37, 0.0, rows=p.grc.rows).reshape(-1, 3)).max())
out["torch_imported"] = "torch" in sys.modules
out["torch_attempts"] = _BlockTorch.attempts
print("RESULT " + json.dumps(out))
""")
    assert result["frame_on_load"] == 24
    assert not result["torch_imported"] and result["torch_attempts"] == []
    for key, diff in result["diff"].items():
        assert diff < 1e-5, (key, diff)
    assert result["slider_changed"] > 1e-4
    assert result["slider_diff"] < 1e-5


def test_bake_plays_without_the_extension(tmp_path):
    path, expected_path, names = _saved_flower(tmp_path)
    result = run_fresh_python(f"""
import json
import bpy, numpy as np
assert {PACKAGE!r} not in bpy.context.preferences.addons
bpy.ops.wm.open_mainfile(filepath={str(path)!r})
expected = np.load({str(expected_path)!r})
baked = bpy.data.objects[{names[0] + " Baked"!r}]
baked.modifiers["GRC Subdivision"].show_viewport = False
out = {{}}
for frame in (1, 24, 48):
    bpy.context.scene.frame_set(frame)
    ev = baked.evaluated_get(bpy.context.evaluated_depsgraph_get())
    m = ev.to_mesh()
    a = np.empty(len(m.vertices) * 3, np.float32); m.vertices.foreach_get("co", a)
    ev.to_mesh_clear()
    out[str(frame)] = float(np.abs(a.reshape(-1, 3) - expected[f"{names[0]}@{{frame}}"]).max())
print("RESULT " + json.dumps(out))
""")
    for frame, diff in result.items():
        assert diff < 1e-5, (frame, diff)
