"""Models as Blender data: several per scene, each on its own data-block that petals and
flowers point to. Two models side by side (same grid and different grids), retraining one,
save and reload, append, link, an asset library, removal, undo during a training, and
files of the previous version (one model in Scene.grc)."""
from __future__ import annotations

import bpy
import numpy as np
import pytest

from blender_helpers import (active_model, add_example_and_capture, coords_of, grid_coords,
                             make_template, model_of, select_only, train_quick)

FRAMES = (1, 5, 9)


def _keyed_petal(grc, name: str):
    petal, _msg = grc.api.add_petal(bpy.context.scene, context_value=0.0, rows=9)
    petal.name = name
    for f, ctx in ((1, 0.0), (9, 1.0)):
        petal.grc.context = ctx
        petal.keyframe_insert("grc.context", frame=f)
    return petal


def _shapes(petal) -> list[np.ndarray]:
    out = []
    for f in FRAMES:
        bpy.context.scene.frame_set(f)
        out.append(coords_of(petal).copy())
    return out


def _second_model(grc, rows: int, cols: int, name: str = "Leaves"):
    """A second model trained on two templates of a `rows` x `cols` grid."""
    model = grc.api.add_model(bpy.context.scene, name)
    a = make_template(f"{name} A", grid_coords(rows, cols, times=3, bend=0.3))
    b = make_template(f"{name} B", grid_coords(rows, cols, times=3, bend=0.3, seed=2))
    select_only(a, b)
    assert bpy.ops.grc.capture_templates() == {'FINISHED'}
    train_quick(steps=40, template_steps=40)
    assert active_model() == model and model_of().model_key
    return model


def test_add_model_names_and_python_api(grc):
    assert bpy.ops.grc.add_model() == {'FINISHED'}
    assert bpy.ops.grc.add_model() == {'FINISHED'}
    g = bpy.context.scene.grc
    assert [s.model.name for s in g.models] == ["Model", "Model.001"]
    assert g.active_model_index == 1 and active_model().name == "Model.001"
    uids = {s.model.grc_model.uid for s in g.models}
    assert len(uids) == 2 and "" not in uids
    assert bpy.ops.grc.duplicate_model() == {'FINISHED'}
    assert len(g.models) == 3 and g.active_model_index == 2
    assert active_model().grc_model.uid not in uids


@pytest.mark.parametrize("grid", [(7, 7), (5, 9)], ids=["same grid", "other grid"])
def test_training_one_model_leaves_the_others_petals_bit_identical(grc, grid):
    add_example_and_capture()
    train_quick(steps=40, template_steps=40)
    petals_model = active_model()
    petal = _keyed_petal(grc, "Petal")
    before = _shapes(petal)
    leaves = _second_model(grc, *grid)
    leaf = _keyed_petal(grc, "Leaf")
    assert petal.grc.model == petals_model and leaf.grc.model == leaves
    leaf_before = _shapes(leaf)
    for got, want in zip(_shapes(petal), before):
        np.testing.assert_array_equal(got, want)
    # Retrain the leaves: only the leaf changes, when the training lands.
    model_of().seed = 7
    train_quick(steps=30, template_steps=30)
    for got, want in zip(_shapes(petal), before):
        np.testing.assert_array_equal(got, want)
    assert any(not np.array_equal(a, b) for a, b in zip(_shapes(leaf), leaf_before))
    assert grc.petals.LIVE.last_error.get(bpy.context.scene.name, "") == ""


def test_models_and_their_petals_survive_save_and_reload(grc, tmp_path):
    add_example_and_capture()
    train_quick(steps=40, template_steps=40)
    petal = _keyed_petal(grc, "Petal")
    leaves = _second_model(grc, 5, 9)
    leaf = _keyed_petal(grc, "Leaf")
    uids = {o.name: o.grc.model.grc_model.uid for o in (petal, leaf)}
    leaves.name = "Renamed Leaves"                       # identity is not the name
    shapes = {o.name: _shapes(o) for o in (petal, leaf)}
    path = str(tmp_path / "two models.blend")
    bpy.ops.wm.save_as_mainfile(filepath=path)
    bpy.ops.wm.open_mainfile(filepath=path)
    g = bpy.context.scene.grc
    assert [s.model.name for s in g.models] == ["Model", "Renamed Leaves"]
    for name, want in shapes.items():
        obj = bpy.data.objects[name]
        assert obj.grc.model.grc_model.uid == uids[name]
        for got, w in zip(_shapes(obj), want):
            np.testing.assert_allclose(got, w, atol=1e-6)


def _library(tmp_path, grc, as_asset: bool = False) -> str:
    """A file with a trained model "Model" and a "Flower" collection holding a keyed petal."""
    add_example_and_capture()
    train_quick(steps=40, template_steps=40)
    petal = _keyed_petal(grc, "Library Petal")
    coll = bpy.data.collections.new("Flower")
    bpy.context.scene.collection.children.link(coll)
    for c in list(petal.users_collection):
        c.objects.unlink(petal)
    coll.objects.link(petal)
    if as_asset:
        coll.asset_mark()
    path = str(tmp_path / "library.blend")
    bpy.ops.wm.save_as_mainfile(filepath=path)
    bpy.ops.wm.read_homefile(use_empty=True)
    return path


def _this_files_model(grc):
    """This file's own model: trained on other templates, also named "Model"."""
    a = make_template("Here A", grid_coords(7, 7, times=3, bend=0.5))
    b = make_template("Here B", grid_coords(7, 7, times=3, bend=0.5, seed=3))
    select_only(a, b)
    assert bpy.ops.grc.capture_templates() == {'FINISHED'}
    train_quick(steps=30, template_steps=30)
    return active_model()


def _plays_from(grc, petal, model) -> None:
    for f in (2, 8):
        bpy.context.scene.frame_set(f)
        g = petal.grc
        want = grc.store.get_model(model).generate(g.time, g.context, g.offset, rows=g.rows)
        np.testing.assert_allclose(coords_of(petal), want.reshape(-1, 3), atol=1e-5)


def test_append_brings_exactly_the_models_used_and_names_do_not_collide(grc, tmp_path):
    path = _library(tmp_path, grc)
    here = _this_files_model(grc)
    key_here = here.grc_model.model_key
    with bpy.data.libraries.load(path, link=False) as (src, dst):
        dst.collections = ["Flower"]
    bpy.context.scene.collection.children.link(dst.collections[0])
    petal = dst.collections[0].objects[0]
    theirs = petal.grc.model
    assert theirs is not None and theirs != here and theirs.name == "Model.001"
    assert len([t for t in bpy.data.texts if t.grc_model.uid]) == 2   # exactly the one used
    _plays_from(grc, petal, theirs)
    assert here.grc_model.model_key == key_here
    # the appended model joins the scene's list at the next load
    path2 = str(tmp_path / "with appended.blend")
    bpy.ops.wm.save_as_mainfile(filepath=path2)
    bpy.ops.wm.open_mainfile(filepath=path2)
    assert sorted(s.model.name for s in bpy.context.scene.grc.models) == ["Model", "Model.001"]
    assert bpy.context.scene.grc.models[0].model.name == "Model"     # the active one stays


def test_link_brings_the_model_as_library_data(grc, tmp_path):
    path = _library(tmp_path, grc)
    with bpy.data.libraries.load(path, link=True) as (src, dst):
        dst.collections = ["Flower"]
    bpy.context.scene.collection.children.link(dst.collections[0])
    petal = dst.collections[0].objects[0]
    model = petal.grc.model
    assert model is not None and model.library is not None
    assert grc.store.get_model(model) is not None                 # decodes, no torch needed
    bpy.context.scene.frame_set(4)                                # linked: read, never written
    assert "linked from" in grc.petals.LIVE.last_error.get(bpy.context.scene.name, "")


def test_an_asset_from_a_library_file_plays_at_once(grc, tmp_path):
    path = _library(tmp_path, grc, as_asset=True)
    # What dragging from the Asset Browser does: append the asset and what it uses.
    with bpy.data.libraries.load(path, link=False, assets_only=True) as (src, dst):
        assert "Flower" in src.collections
        dst.collections = ["Flower"]
    bpy.context.scene.collection.children.link(dst.collections[0])
    petal = dst.collections[0].objects[0]
    assert petal.grc.model is not None and petal.grc.model.library is None
    _plays_from(grc, petal, petal.grc.model)
    assert bpy.context.scene.grc.models.__len__() == 0    # not in the list until a load


def test_removing_a_model_leaves_its_petals_and_offers_another(grc):
    add_example_and_capture()
    train_quick(steps=40, template_steps=40)
    petal = _keyed_petal(grc, "Petal")
    before = _shapes(petal)
    other = _second_model(grc, 7, 7)
    bpy.context.scene.grc.active_model_index = 0
    assert bpy.ops.grc.remove_model() == {'FINISHED'}
    assert petal.grc.model is None and active_model() == other
    still = _shapes(petal)                      # the shape it had at the last frame shown
    assert all(np.array_equal(s, still[0]) for s in still)
    assert np.array_equal(still[0], before[-1])
    panel_msg = grc.petals.refusal_of(bpy.context.scene, petal)
    assert "has no model" in panel_msg
    select_only(petal)
    assert bpy.ops.grc.use_active_model() == {'FINISHED'}
    assert petal.grc.model == other
    _plays_from(grc, petal, other)


def test_undo_during_a_training_still_lands_in_the_model(grc):
    add_example_and_capture()
    train_quick(steps=20, template_steps=20)
    model = active_model()
    uid = model.grc_model.uid
    old_key = model.grc_model.model_key
    job = grc.api.start_training(bpy.context.scene, steps=60, template_steps=60)
    bpy.ops.ed.undo_push(message="training")
    bpy.context.scene.name = "Renamed"
    bpy.ops.ed.undo_push(message="rename")
    assert bpy.ops.ed.undo() == {'FINISHED'}          # undo swaps the data under the job
    assert job.finished.wait(120)
    grc.jobs.release(job)
    ok, msg = grc.api.land(job)
    assert ok, msg
    model = active_model()
    assert model.grc_model.uid == uid and model.grc_model.model_key != old_key
    assert not model.grc_model.is_training


def test_a_file_of_the_previous_version_opens_with_its_model_in_the_list(grc, tmp_path):
    """Previous version: the model in Scene.grc, petals found it through the scene."""
    add_example_and_capture()
    train_quick(steps=40, template_steps=40)
    petal = _keyed_petal(grc, "Old Petal")
    shapes = _shapes(petal)
    model = active_model()
    datablock = __import__(grc.pkg.__name__ + ".grc_blender.models.datablock",
                           fromlist=["x"])
    scene = bpy.context.scene
    datablock.copy_group(model.grc_model, scene.grc)          # the old layout ...
    petal.grc.model_key = scene.grc.model_key
    scene.grc.models.clear()
    bpy.data.texts.remove(model)                               # ... and no model data-block
    assert petal.grc.model is None
    path = str(tmp_path / "old.blend")
    bpy.ops.wm.save_as_mainfile(filepath=path)
    bpy.ops.wm.open_mainfile(filepath=path)
    scene = bpy.context.scene
    assert len(scene.grc.models) == 1
    g = model_of(scene)
    assert g.model_key and len(g.templates) == 2 and g.captured
    assert scene.grc.model_data == "" and scene.grc.captured == ""   # moved, not copied
    petal = bpy.data.objects["Old Petal"]
    assert petal.grc.model == active_model()
    for got, want in zip(_shapes(petal), shapes):
        np.testing.assert_allclose(got, want, atol=1e-6)
