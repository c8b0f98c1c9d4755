"""In-betweens along arcs (model_core/training/arcs.py): each quad turns and stretches
between keyframes; a hinge turning at an even pace is followed exactly where a spline
through the vertices cuts the arc short."""
from __future__ import annotations

import numpy as np
import pytest

from model_core.example import example_templates
from model_core.training import arcs as arcs_module
from model_core.training.arcs import AGREE, arc_grids
from model_core.training.inbetweens import bounded_weights, shapes_at_times
from model_core.training.train_common import relational_data


def _turned(grid: np.ndarray, axis: np.ndarray, angles: np.ndarray, pivot: np.ndarray,
            growth: np.ndarray) -> np.ndarray:
    """grid (R, C, 3) grown by `growth` and turned by `angles` about `axis` through `pivot`."""
    k = axis / np.linalg.norm(axis)
    cross = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    out = []
    for angle, g in zip(angles, growth):
        rot = np.eye(3) + np.sin(angle) * cross + (1 - np.cos(angle)) * cross @ cross
        out.append(pivot + g * (grid - pivot) @ rot.T)
    return np.stack(out)


def _read(grids: np.ndarray, times: np.ndarray, tq: np.ndarray) -> np.ndarray:
    return arc_grids(grids, times, tq, bounded_weights(times, tq))


def test_keyframes_come_back_as_captured():
    rng = np.random.default_rng(0)
    grids, times = rng.normal(size=(5, 4, 6, 3)), np.array([0.0, 0.1, 0.3, 0.55, 1.1])
    np.testing.assert_allclose(_read(grids, times, times), grids, atol=1e-12)


@pytest.mark.parametrize("keyframes", [2, 3, 5])
def test_a_hinge_turning_at_an_even_pace_is_followed_exactly(keyframes, monkeypatch):
    """A petal turning about an axis through its base (any axis, not across its edges) and
    growing evenly: the arcs hold it within 1e-4 of its size (the anchor's weights leave
    a trace of the other vertices' splines), the vertices' spline by 0.5 % (5 keyframes) to 75 % (2).
    The arcs alone: no pull toward the spline (AGREE 0)."""
    monkeypatch.setattr(arcs_module, "AGREE", 0.0)
    petal = example_templates(2, 7, 7).coords[0, 1]
    pivot = petal[0, 3]
    times = np.linspace(0.0, 1.0, keyframes)
    tq = np.linspace(0.0, 1.0, 17)
    axis = np.array([0.3, 1.0, 0.4])

    def truth(t):
        return _turned(petal, axis, 2.4 * t, pivot, 1.0 + 0.5 * t)

    size = np.ptp(petal.reshape(-1, 3), axis=0).max()
    arcs = np.abs(_read(truth(times), times, tq) - truth(tq)).max() / size
    spline = np.abs(np.einsum("qt,trcd->qrcd", bounded_weights(times, tq), truth(times)) - truth(tq)).max() / size
    assert arcs < 1e-4 and arcs < spline / 100


def test_the_spline_is_kept_where_the_arcs_agree_with_it(monkeypatch):
    """Within AGREE of the in-between's diagonal the spline, farther out the arc less that
    much: a slow hinge (the two within AGREE everywhere) reads as its spline, a fast one
    within AGREE x its diagonal of its arc (AGREE 0)."""
    petal = example_templates(2, 7, 7).coords[0, 1]
    times, tq = np.linspace(0.0, 1.0, 4), np.array([0.2, 0.5, 0.8])
    for turn, far in ((1e-3, False), (2.0, True)):
        grids = _turned(petal, np.array([0.0, 1.0, 0.0]), turn * times, petal[0, 3], np.ones(4))
        spline = np.einsum("qt,trcd->qrcd", bounded_weights(times, tq), grids)
        diag = np.linalg.norm(np.ptp(spline.reshape(3, -1, 3), axis=1), axis=-1)[:, None, None]
        got = _read(grids, times, tq)
        if not far:
            np.testing.assert_array_equal(got, spline)
            continue
        with monkeypatch.context() as patch:
            patch.setattr(arcs_module, "AGREE", 0.0)
            arc = _read(grids, times, tq)
        off = np.linalg.norm(got - arc, axis=-1)
        assert np.all(off <= AGREE * diag * (1 + 1e-9)) and np.abs(arc - spline).max() > 10 * AGREE * diag.max()


def test_units_and_placement_do_not_matter():
    grids = example_templates(5, 7, 7).coords[1]
    times, tq = np.linspace(0.0, 1.0, 5), np.array([0.1, 0.45, 0.9])
    moved = 37.0 * grids + np.array([120.0, -40.0, 8.0])
    want = 37.0 * _read(grids, times, tq) + np.array([120.0, -40.0, 8.0])
    np.testing.assert_allclose(_read(moved, times, tq), want, atol=1e-9 * 37.0 * 200.0)


def test_a_grid_that_only_slides_follows_its_spline():
    rng = np.random.default_rng(1)
    grid = rng.normal(size=(3, 4, 3))
    times, tq = np.array([0.0, 0.4, 1.0]), np.array([0.2, 0.7])
    path = np.stack([np.sin(times), times ** 2, np.zeros(3)], axis=1)
    grids = grid[None] + path[:, None, None]
    want = grid[None] + np.einsum("qt,tf->qf", bounded_weights(times, tq), path)[:, None, None]
    np.testing.assert_allclose(_read(grids, times, tq), want, atol=1e-12)


def test_collapsed_quads_and_half_turns_stay_finite_and_keep_their_keyframes():
    """A tip row collapsed to one point (quads of no area) and a grid that flips a half turn
    between keyframes: no NaN, the keyframes as captured, the flipped quads on the spline."""
    grids = example_templates(3, 5, 4).coords[0].copy()
    grids[:, -1] = grids[:, -1].mean(axis=1, keepdims=True)            # the tip: one point
    times = np.array([0.0, 0.5, 1.0])
    out = _read(grids, times, np.linspace(0.0, 1.0, 9))
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out[::4], grids, atol=1e-12)
    flipped = grids.copy()
    flipped[1] = -flipped[1]                                           # a half turn about every axis at once
    out = _read(flipped, times, np.array([0.25, 0.5]))
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out[1], flipped[1], atol=1e-12)


def test_the_example_read_from_every_other_keyframe():
    """The example drawn at 7 keyframes, read at the 3 left out from the other 4: the tip
    turns about 1.3 radians between them; the arcs miss by less than a quarter of the
    vertices' spline (measured 0.33 % against 3.19 % of the diagonal, bench/heldout.py)."""
    full = example_templates(7, 7, 7)
    keep, out = [0, 2, 4, 6], [1, 3, 5]
    err = {}
    for arcs in (True, False):
        _, _, norm_rows, _ = relational_data(full)
        sub_rows = norm_rows.reshape(2, 7, 7, -1)[:, keep].reshape(2, 4 * 7, -1)
        got = shapes_at_times(full.times[keep], full.times[out], sub_rows, 7, arcs).reshape(2, 3, 7, -1)
        want = norm_rows.reshape(2, 7, 7, -1)[:, out]
        err[arcs] = float(np.abs(got - want).mean())
    assert err[True] < 0.25 * err[False]


def test_a_quad_that_turns_a_half_turn_follows_its_spline():
    """A quad that turns exactly half a turn between keyframes has no axis to turn about:
    its vertices follow their spline (the rest of the grid, which does not turn, too)."""
    grids = np.zeros((2, 2, 2, 3))
    grids[0] = [[[0, 0, 0], [1, 0, 0]], [[0, 1, 0], [1, 1, 0]]]
    grids[1] = -grids[0] + np.array([1.0, 1.0, 0.0])                 # turned half a turn about its centre
    times, tq = np.array([0.0, 1.0]), np.array([0.5])
    np.testing.assert_allclose(_read(grids, times, tq), 0.5 * (grids[0] + grids[1])[None], atol=1e-12)


def test_large_grids_solve_row_block_by_row_block_as_the_pseudo_inverse_does():
    """Past DENSE_SOLVE vertices the grid is rebuilt by a block tridiagonal solve of the
    normal equations: on a grid small enough for both, the two agree."""
    rng = np.random.default_rng(5)
    rows, cols = 9, 13
    corners = rng.normal(size=(3, (rows - 1) * (cols - 1), 4, 3))
    corners -= corners.mean(axis=2, keepdims=True)
    dense = np.einsum("vk,qkf->qvf", arcs_module._grid_solver(rows, cols), corners.reshape(3, -1, 3))
    np.testing.assert_allclose(arcs_module._block_solve(corners, rows, cols), dense, atol=1e-10)


def test_a_dense_grid_over_many_keyframes_turns_as_a_small_one(monkeypatch):
    """A 30 x 30 petal (block solve) turning over 40 keyframes (rotations read WINDOW
    keyframes either side, in several batches): the hinge held as on a small grid, the
    keyframes as captured."""
    monkeypatch.setattr(arcs_module, "AGREE", 0.0)
    monkeypatch.setattr(arcs_module, "CHUNK", 20_000)
    petal = example_templates(2, 30, 30).coords[0, 1]
    pivot = petal[0, 15]
    times = np.linspace(0.0, 1.0, 40)
    tq = np.linspace(0.0, 1.0, 79)
    axis = np.array([0.3, 1.0, 0.4])
    grids = _turned(petal, axis, 2.4 * times, pivot, 1.0 + 0.5 * times)
    size = np.ptp(petal.reshape(-1, 3), axis=0).max()
    got = _read(grids, times, tq)
    assert np.abs(got - _turned(petal, axis, 2.4 * tq, pivot, 1.0 + 0.5 * tq)).max() < 1e-4 * size
    np.testing.assert_allclose(got[::2], grids, atol=1e-9 * size)
