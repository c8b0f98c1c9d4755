"""Bake to Shape Keys as an artist expects it (issue 24): by default over the frames the
petals are animated over (their keys and their flower's, else the captured templates'
frames), not the scene's range; baking again replaces the previous bake of the same petals
(the objects, meshes and shape-key actions the bake made), never anything the artist made."""
from __future__ import annotations

import bpy
import pytest

from blender_helpers import active_model, add_example_and_capture, select_only, train_quick


def _trained():
    add_example_and_capture()
    train_quick()
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = 1, 250
    return scene


def _keys(obj) -> list[str]:
    return [k.name for k in obj.data.shape_keys.key_blocks[1:]]


def _bakes(scene) -> list:
    return sorted((o for o in scene.objects if o.name.endswith(" Baked")), key=lambda o: o.name)


def test_bake_covers_the_petals_keys_not_the_scene_range(grc):
    scene = _trained()
    assert bpy.ops.grc.add_petal() == {'FINISHED'}
    petal = bpy.context.active_object
    for frame, value in ((5, 0.0), (20, 1.0)):
        petal.grc.context = value
        petal.keyframe_insert("grc.context", frame=frame)
    assert bpy.ops.grc.bake_shape_keys() == {'FINISHED'}
    baked = scene.objects[petal.name + " Baked"]
    assert _keys(baked) == [f"frame {f}" for f in range(5, 21)]
    templates_panel = grc.pkg.panels.GRC_PT_template_info       # a bake is no template
    select_only(baked)
    assert not templates_panel.poll(bpy.context)
    # the scene's range, when asked
    select_only(petal)
    assert bpy.ops.grc.bake_shape_keys(frame_range='SCENE', step=50) == {'FINISHED'}
    assert _keys(scene.objects[petal.name + " Baked"]) == [f"frame {f}" for f in
                                                           (1, 51, 101, 151, 201, 250)]


def test_unkeyed_petal_bakes_the_captured_frames(grc):
    scene = _trained()
    cap = grc.store.get_captured(active_model(scene))
    assert bpy.ops.grc.add_petal() == {'FINISHED'}
    petal = bpy.context.active_object
    baked = grc.api.bake_petal(scene, petal)
    first, last = int(cap.frames[0]), int(cap.frames[-1])
    assert (first, last) != (scene.frame_start, scene.frame_end)
    assert _keys(baked) == [f"frame {f}" for f in range(first, last + 1)]


def test_flower_bake_follows_bloom_keys(grc):
    scene = _trained()
    root, _made = grc.api.add_petal_flower(scene, layout=grc.api.FlowerLayout(petals=3))
    select_only(root)
    for frame, bloom in ((3, 0.0), (12, 1.0)):
        root.grc.bloom = bloom
        root.keyframe_insert("grc.bloom", frame=frame)
    assert bpy.ops.grc.bake_shape_keys() == {'FINISHED'}
    bakes = _bakes(scene)
    assert len(bakes) == 3
    assert all(_keys(b) == [f"frame {f}" for f in range(3, 13)] for b in bakes)


def test_baking_again_replaces_the_previous_bake_only(grc):
    scene = _trained()
    root, _made = grc.api.add_petal_flower(scene, layout=grc.api.FlowerLayout(petals=3))
    select_only(root)
    petals = grc.api.flower_petals(root)
    assert bpy.ops.grc.bake_shape_keys(step=8) == {'FINISHED'}
    first = _bakes(scene)
    old_names = [o.name for o in first]
    for o in first:                      # tags that survive renames: what the first bake made
        o.data["first bake"] = True
        o.data.shape_keys.animation_data.action["first bake"] = True
    # the artist's own things: a copy of one bake (Shift+D), and a bake's mesh shared
    copy = first[0].copy()
    copy.data = first[0].data.copy()
    copy.name = "Artist Copy"
    scene.collection.objects.link(copy)
    keeper = bpy.data.objects.new("Artist Keeper", first[1].data)
    scene.collection.objects.link(keeper)
    select_only(root)
    assert bpy.ops.grc.bake_shape_keys(step=8) == {'FINISHED'}
    second = _bakes(scene)
    assert [o.name for o in second] == old_names, "the bakes keep their names"
    assert not any("first bake" in o.data for o in second)
    assert all(p.grc.bake in second and p.grc.bake.grc.baked_from == p for p in petals)
    # the old bake objects are gone, their meshes and actions too unless someone uses them
    assert len([o for o in bpy.data.objects if o.name.endswith(" Baked")]) == 3
    assert "Artist Copy" in scene.objects and "Artist Keeper" in scene.objects
    assert "first bake" in keeper.data and keeper.data.users == 1      # shared: kept
    kept = sorted(m.name for m in bpy.data.meshes if "first bake" in m)
    assert kept == sorted([keeper.data.name, copy.data.name]), kept   # the artist's: kept
    kept = [a for a in bpy.data.actions if "first bake" in a]
    assert len(kept) == 2 and all(a.users >= 1 for a in kept), kept   # theirs; no orphans
    # a duplicated petal (Shift+D copies its pointer to the bake): its own bake replaces
    # nothing of the original's
    twin = petals[0].copy()
    scene.collection.objects.link(twin)
    assert twin.grc.bake == petals[0].grc.bake
    mine = petals[0].grc.bake
    grc.api.bake_petals(scene, [twin], step=8)
    assert petals[0].grc.bake == mine and mine.name in scene.objects
    assert twin.grc.bake not in (None, mine) and twin.grc.bake.grc.baked_from == twin
    bpy.data.objects.remove(twin.grc.bake)
    bpy.data.objects.remove(twin)
    # selecting a bake and baking again re-bakes its petal (and replaces it again)
    select_only(second[0])
    assert bpy.ops.grc.bake_shape_keys(step=8) == {'FINISHED'}
    assert len(_bakes(scene)) == 3 and "Artist Copy" in scene.objects
    assert [o.name for o in _bakes(scene)] == old_names


def test_a_renamed_artist_object_is_never_removed(grc):
    scene = _trained()
    assert bpy.ops.grc.add_petal() == {'FINISHED'}
    petal = bpy.context.active_object
    baked = grc.api.bake_petal(scene, petal)
    baked.grc.baked_from = None          # no longer this petal's bake (e.g. made by hand)
    again = grc.api.bake_petal(scene, petal)
    assert baked.name in scene.objects and again != baked
    assert petal.grc.bake == again
    with pytest.raises(grc.model_core.GRCError, match="Select petals or a flower"):
        grc.api.bake_petals(scene, [baked])
