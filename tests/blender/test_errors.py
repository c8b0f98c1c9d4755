"""Bad input, faults and untrusted payloads give a clear message
(operators raise RuntimeError carrying the report when called from Python), and change
neither template objects nor the stored model nor any petal."""
from __future__ import annotations

import base64
import io
import threading
import time

import bpy
import numpy as np
import pytest

from blender_helpers import (model_of, active_model, add_example_and_capture, coords_of,
                             grid_coords, make_template, mesh_object, select_only,
                             train_quick)


def _state():
    g = model_of(bpy.context.scene)
    objs = {o.name: coords_of(o).tobytes() for o in bpy.data.objects if o.type == 'MESH'}
    return (g.captured, g.model_data) if g is not None else None, objs


def _refused(match, op=None, **kw):
    before = _state()
    with pytest.raises(RuntimeError, match=match):
        (op or bpy.ops.grc.capture_templates)(**kw)
    assert _state() == before


# ---- capture ------------------------------------------------------------------------------

def test_capture_nothing_selected():
    add_example_and_capture()
    select_only()
    _refused("Select the template meshes first")    # the poll says it (issue 14)


def test_capture_non_mesh():
    a = make_template("A", grid_coords(4, 4))
    cam = bpy.data.objects.new("Cam", bpy.data.cameras.new("Cam"))
    bpy.context.scene.collection.objects.link(cam)
    select_only(a, cam)
    _refused("'Cam' is a camera object, not a mesh")


@pytest.mark.parametrize("case", ["triangles", "hole", "loose"])
def test_capture_non_grid(case):
    g = grid_coords(4, 4)[-1].reshape(-1, 3)
    idx = np.arange(16).reshape(4, 4)
    faces = [[idx[r, c], idx[r, c + 1], idx[r + 1, c + 1], idx[r + 1, c]]
             for r in range(3) for c in range(3)]
    verts = list(map(tuple, g))
    if case == "triangles":
        a, b, c, d = faces.pop()
        faces += [[a, b, c], [a, c, d]]
    elif case == "hole":
        faces.pop(4)
    else:
        verts.append((3.0, 3.0, 3.0))
    bad = mesh_object("Bad Grid", verts, faces)
    good = make_template("Good", grid_coords(4, 4))
    select_only(good, bad)
    _refused("'Bad Grid' is not a quad grid")


def test_capture_mismatched_grids():
    select_only(make_template("A", grid_coords(5, 5)), make_template("B", grid_coords(7, 7)))
    _refused("'B' is a 7 x 7 grid but 'A' is 5 x 5")


def test_capture_too_few_keyframes():
    select_only(make_template("A", grid_coords(4, 4)), make_template("B", grid_coords(4, 4, times=1)))
    _refused("'B' has 1 keyframe")


def test_capture_different_keyframe_counts_and_times():
    a = make_template("A", grid_coords(4, 4, times=3))
    b = make_template("B", grid_coords(4, 4, times=4))
    select_only(a, b)
    _refused("'B' has 4 keyframes but 'A' has 3")
    bpy.data.objects.remove(b)
    c = make_template("C", grid_coords(4, 4, times=3), frames=[1, 3, 20])
    select_only(a, c)
    _refused("not spaced like")


def test_capture_non_finite_and_zero_size():
    grids = grid_coords(4, 4)
    grids[1, 2, 2, 0] = np.nan
    select_only(make_template("A", grid_coords(4, 4)), make_template("NaNny", grids))
    _refused("'NaNny' has non-finite")
    bpy.data.objects.remove(bpy.data.objects["NaNny"])
    select_only(bpy.data.objects["A"], make_template("Dot", np.zeros((3, 4, 4, 3))))
    _refused("'Dot' has zero size")


def test_capture_object_space_ignores_transforms(grc):
    grids = grid_coords(4, 5)
    a = make_template("A", grids)
    b = make_template("B", grids * (1, 1, 2))
    b.scale = (-1.0, 2.0, 1.0)
    b.rotation_euler = (0.3, 1.2, -0.4)
    select_only(a, b)
    assert bpy.ops.grc.capture_templates() == {'FINISHED'}
    cap = grc.store.get_captured(active_model(bpy.context.scene))
    np.testing.assert_allclose(cap.coords[1], grids * (1, 1, 2), atol=1e-6)
    np.testing.assert_allclose(cap.coords[0], grids, atol=1e-6)


def test_capture_reads_modifier_and_object_animation(grc):
    a = make_template("A", grid_coords(4, 4))            # shape keys, frames 1, 9, 17
    b = mesh_object("B", grid_coords(4, 4)[0].reshape(-1, 3),
                    [[r * 4 + c, r * 4 + c + 1, (r + 1) * 4 + c + 1, (r + 1) * 4 + c]
                     for r in range(3) for c in range(3)], animate=False)
    mod = b.modifiers.new("Push", 'DISPLACE')
    mod.strength = 0.0
    mod.keyframe_insert("strength", frame=1)
    mod.strength = 1.0
    mod.keyframe_insert("strength", frame=17)
    b.keyframe_insert("location", frame=9)               # object animation adds a keyframe
    select_only(a, b)
    assert bpy.ops.grc.capture_templates() == {'FINISHED'}
    cap = grc.store.get_captured(active_model(bpy.context.scene))
    assert cap.shape == (2, 3, 4, 4)
    moved = np.linalg.norm(cap.coords[1, -1] - cap.coords[1, 0], axis=-1)
    assert moved.min() > 0.1                             # displaced along the normal at frame 17
    # The template object is not changed and the scene is back on its frame.
    assert bpy.context.scene.frame_current == 1
    assert len(b.modifiers) == 1 and b.modifiers["Push"].strength == pytest.approx(0.0)


def test_one_template_captures_with_warning_then_train_refuses(capfd):
    select_only(make_template("A", grid_coords(4, 4)))
    assert bpy.ops.grc.capture_templates() == {'FINISHED'}
    assert "training needs at least 2" in capfd.readouterr().out
    _refused("Capture at least two templates first", bpy.ops.grc.train)


def test_train_without_capture():
    _refused("Capture at least two templates first", bpy.ops.grc.train)


def test_identical_templates_train_with_warning(capfd):
    grids = grid_coords(4, 4)
    select_only(make_template("A", grids), make_template("B", grids))
    assert bpy.ops.grc.capture_templates() == {'FINISHED'}
    train_quick(steps=20, template_steps=20)
    assert "identical" in capfd.readouterr().out
    assert model_of(bpy.context.scene).model_data


# ---- stored model ---------------------------------------------------------------------------

def _bad_payloads(grc, good: str) -> dict:
    raw = base64.b64decode(good)
    model = grc.model_core.model_from_bytes(raw)
    with np.load(io.BytesIO(raw), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}

    def npz(**changes):
        a = dict(arrays)
        a.update(changes)
        a = {k: v for k, v in a.items() if v is not None}
        buf = io.BytesIO()
        np.savez(buf, **a)
        return base64.b64encode(buf.getvalue()).decode()

    big = next(k for k, v in arrays.items() if v.dtype.kind == "f" and v.size > 10)
    hdr = next((k for k, v in arrays.items() if v.dtype.kind in "US"), None)
    cases = {
        "not base64": "this is not base64 !!!",
        "truncated": good[: len(good) // 2 // 4 * 4],
        "random bytes": base64.b64encode(np.random.default_rng(0).bytes(3000)).decode(),
        "wrong length array": npz(**{big: arrays[big].ravel()[:-1]}),
        "nan weights": npz(**{big: np.full_like(arrays[big], np.nan)}),
        "huge weights": npz(**{big: np.full_like(arrays[big], 1e30)}),
        "missing array": npz(**{big: None}),
        "pickled object": npz(**{big: np.array([{"a": 1}], dtype=object)}),
    }
    if hdr is not None:
        cases["bad json"] = npz(**{hdr: np.array("{not json")})
    assert model is not None
    return cases


def test_bad_stored_models_are_refused_and_petals_kept(grc):
    add_example_and_capture()
    train_quick(steps=30, template_steps=30)
    assert bpy.ops.grc.add_petal() == {'FINISHED'}
    petal = bpy.context.active_object
    scene = bpy.context.scene
    good = model_of(scene).model_data
    for name, payload in _bad_payloads(grc, good).items():
        kept = coords_of(petal)
        model_of(scene).model_data = payload
        assert model_of(scene).model_key == grc.store.payload_key(payload)
        with pytest.raises(grc.model_core.GRCError, match="refused"):
            grc.store.get_model(active_model(scene))
        petal.grc.context = petal.grc.context + 0.1       # slider: update callback
        scene.frame_set(scene.frame_current + 1)           # frame handler
        np.testing.assert_array_equal(coords_of(petal), kept, err_msg=name)
        assert "refused" in grc.petals.LIVE.last_error.get(scene.name, ""), name
        with pytest.raises(RuntimeError, match="refused"):
            bpy.ops.grc.add_petal()
        model_of(scene).model_data = good
    petal.grc.context = 1.0
    assert grc.petals.LIVE.last_error.get(scene.name, "") == ""


def test_oversized_payload_refused_without_decoding(grc, monkeypatch):
    monkeypatch.setattr(grc.store, "MAX_PAYLOAD_CHARS", 1000)
    grc.api.add_model(bpy.context.scene)
    model_of(bpy.context.scene).model_data = "A" * 2000
    with pytest.raises(grc.model_core.GRCError, match="far larger"):
        grc.store.get_model(active_model(bpy.context.scene))


def test_bad_captured_payload_refused_by_train(grc):
    add_example_and_capture()
    model_of(bpy.context.scene).captured = base64.b64encode(b"garbage").decode()
    _refused("damaged", bpy.ops.grc.train)


def test_model_for_another_grid_leaves_petal(grc):
    add_example_and_capture()
    train_quick(steps=30, template_steps=30)
    assert bpy.ops.grc.add_petal() == {'FINISHED'}
    petal = bpy.context.active_object
    kept = coords_of(petal)
    # Retrain the scene on 5 x 9 templates: the 7-column petal must be left as it is.
    for o in list(bpy.data.objects):
        if o is not petal:
            bpy.data.objects.remove(o)
    select_only(make_template("A", grid_coords(5, 9)), make_template("B", grid_coords(5, 9, seed=1)))
    assert bpy.ops.grc.capture_templates() == {'FINISHED'}
    train_quick(steps=20, template_steps=20)
    petal.grc.context = 0.5
    np.testing.assert_array_equal(coords_of(petal), kept)
    assert "7-column" in grc.petals.LIVE.last_error[bpy.context.scene.name]


# ---- generate extremes ---------------------------------------------------------------------

def test_extreme_slider_values_stay_finite(grc):
    add_example_and_capture()
    train_quick(steps=30, template_steps=30)
    assert bpy.ops.grc.add_petal() == {'FINISHED'}
    p = bpy.context.active_object
    for attr, value in (("context", 1e6), ("context", -1e6), ("time", 1e6), ("offset", -1e6)):
        setattr(p.grc, attr, value)
        assert np.all(np.isfinite(coords_of(p))), (attr, value)
    p.grc.rows = 0
    assert p.grc.rows == 2 and len(p.data.vertices) == 2 * 7
    p.grc.rows = 100000
    assert p.grc.rows == 256 and len(p.data.vertices) == 256 * 7
    assert np.all(np.isfinite(coords_of(p)))


# ---- training faults ------------------------------------------------------------------------

def _start_job(grc, steps=100000):
    import importlib
    job = grc.api.start_training(bpy.context.scene, steps=steps, template_steps=steps)
    deadline = time.time() + 60
    while job.snapshot()[0] == 0 and not job.finished.is_set() and time.time() < deadline:
        time.sleep(0.05)
    return grc.api, job


def test_cancel_keeps_previous_model(grc):
    add_example_and_capture()
    train_quick(steps=20, template_steps=20)
    scene = bpy.context.scene
    before = model_of(scene).model_data
    api, job = _start_job(grc)
    assert grc.jobs.is_running() and job.snapshot()[0] > 0
    assert bpy.ops.grc.cancel_training() == {'FINISHED'}
    assert job.finished.wait(30)
    grc.jobs.release(job)
    ok, msg = api.land(job)
    assert not ok and "cancelled" in msg
    assert model_of(scene).model_data == before and not model_of(scene).is_training
    job.thread.join(10)      # `finished` is set in the worker's finally: it may still be returning
    assert threading.active_count() >= 1 and not job.thread.is_alive()


def test_failed_training_keeps_previous_model(grc):
    import importlib
    add_example_and_capture()
    train_quick(steps=20, template_steps=20)
    before = model_of(bpy.context.scene).model_data
    g = model_of(bpy.context.scene)
    job = grc.jobs.TrainingJob(g.uid, active_model().name, None, None, 0, token=g.train_token)
    job.error = "loss became non-finite at step 12"
    job.finished.set()
    ok, msg = grc.api.land(job)
    assert not ok and "non-finite" in msg and "previous model is kept" in msg
    assert model_of(bpy.context.scene).model_data == before


def test_file_load_stops_training(grc):
    add_example_and_capture()
    _, job = _start_job(grc)
    assert job.thread.is_alive()
    bpy.ops.wm.read_homefile(use_empty=True)      # load_pre handler cancels and joins
    assert not job.thread.is_alive() and grc.jobs.current() is None
    assert job.cancelled


def test_disable_extension_stops_training(grc):
    import addon_utils
    add_example_and_capture()
    _, job = _start_job(grc)
    name = grc.pkg.__name__
    addon_utils.disable(name, default_set=True)
    try:
        assert not job.thread.is_alive() and job.cancelled
        assert not hasattr(bpy.types.Scene, "grc")
        assert not [h for h in bpy.app.handlers.frame_change_post if "grc" in h.__module__]
    finally:
        addon_utils.enable(name, default_set=True)
    assert hasattr(bpy.types.Scene, "grc")
