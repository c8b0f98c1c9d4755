"""The template fit's in-betweens: a not-a-knot cubic spline per vertex over the keyframes'
own times (model_core/training/inbetweens.py), and what they do to the template models
between keyframes."""
from __future__ import annotations

import numpy as np
import pytest

from model_core import TemplateSet, train, train_config
from model_core.petal_sets import SEED_TIMES, petal_set
from model_core.training.inbetweens import inbetween_times, spline_weights, template_fit_rows
from model_core.training.train_common import relational_data


@pytest.mark.parametrize("n", [4, 5, 9])
def test_spline_is_exact_on_cubics_and_passes_through_its_knots(n):
    rng = np.random.default_rng(n)
    x = np.sort(rng.uniform(-3.0, 5.0, n))
    cubic = np.poly1d(rng.normal(size=4))
    xq = np.linspace(x[0] - 0.5, x[-1] + 0.5, 41)
    w = spline_weights(x, xq)
    np.testing.assert_allclose(w @ cubic(x), cubic(xq), atol=1e-9 * np.abs(cubic(xq)).max())
    np.testing.assert_allclose(spline_weights(x, x), np.eye(n), atol=1e-12)


def test_two_and_three_keyframes_give_the_line_and_the_parabola():
    np.testing.assert_allclose(spline_weights(np.array([0.0, 2.0]), np.array([0.5])) @ [1.0, 5.0], [2.0])
    x = np.array([0.0, 1.0, 3.0])
    np.testing.assert_allclose(spline_weights(x, np.array([2.0])) @ (x ** 2), [4.0])


def test_spline_follows_uneven_time_steps():
    """The seed's keyframe times (0, 0.1, 0.3, ...): in-betweens sit inside each gap and the
    spline of a quantity linear in time is that line, whatever the spacing."""
    times = np.array(SEED_TIMES)
    tq = inbetween_times(times, 2)
    assert tq.shape == (2 * (len(times) - 1),)
    assert np.all((tq > np.repeat(times[:-1], 2)) & (tq < np.repeat(times[1:], 2)))
    np.testing.assert_allclose(spline_weights(times, tq) @ (3.0 * times - 1.0), 3.0 * tq - 1.0, atol=1e-12)


def test_template_fit_rows_add_weighted_inbetweens():
    ts = petal_set(2, SEED_TIMES, 5, 4, seed=3)
    _, _, norm_rows, rel_in = relational_data(ts)
    x, y, w = template_fit_rows(ts.times, ts.morphs, norm_rows, rel_in, 0, 0.3)
    assert x is rel_in and y is norm_rows and np.all(w == 1.0)
    x, y, w = template_fit_rows(ts.times, ts.morphs, norm_rows, rel_in, 1, 0.3)
    a, q = rel_in.shape[0], (len(SEED_TIMES) - 1) * 5
    assert x.shape == (a + q, 2) and y.shape == (2, a + q, norm_rows.shape[2])
    np.testing.assert_allclose(y[:, :a], norm_rows)                 # the captured rows come first, unchanged
    assert w.mean() == pytest.approx(1.0) and w[a] / w[0] == pytest.approx(0.3)
    # in-betweens lie inside the captured time range, on the captured morph rows
    assert np.all((x[a:, 0] > -1.0) & (x[a:, 0] < 1.0))
    np.testing.assert_allclose(np.unique(x[a:, 1]), np.unique(rel_in[:, 1]))


def _pct(gen: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Per-vertex error of gen against true (T, R, C, 3), in % of each keyframe's diagonal."""
    diag = np.linalg.norm(true.max(axis=(1, 2)) - true.min(axis=(1, 2)), axis=-1)
    return 100.0 * np.linalg.norm(gen - true, axis=-1) / diag[:, None, None]


def _template_only_error(ts: TemplateSet, full: TemplateSet, held: list[int], inbetweens: int) -> float:
    """Mean error (% of each keyframe's diagonal) of the template models trained on `ts` at
    the keyframes of `full` left out of it."""
    model = train(ts, train_config(steps=1, check_every=0, inbetweens=inbetweens), seed=0)
    errs = []
    for k in range(ts.shape[0]):
        errs.append(_pct(model.template_shapes(k, full.times[held]), full.coords[k][held]))
    return float(np.mean(errs))


def test_inbetweens_make_the_template_models_follow_the_opening_between_keyframes():
    """Trained on every other keyframe of a set with the seed's uneven times, the template
    models miss the keyframes left out by less with spline in-betweens than without."""
    full = petal_set(2, SEED_TIMES, 7, 7, seed=31, scale=0.01, shift=(25.0, -18.0, 9.0))
    keep, held = [0, 2, 4, 6], [1, 3, 5]
    sub = TemplateSet(full.coords[:, keep], full.times[keep], full.morphs, full.names)
    with_spline = _template_only_error(sub, full, held, 1)
    without = _template_only_error(sub, full, held, 0)
    assert with_spline < 0.6 * without, (with_spline, without)


def test_the_refit_holds_the_shapes_between_keyframes():
    """Holding the midpoints of the keyframe gaps in the generative refit (refit_between,
    at the spline through the captured shapes) keeps the shapes between keyframes closer
    to the true ones than the keyframes alone do (summed over three seeds: one seed's pair
    can land close), and the keyframes still meet the target. A set of the benchmark's
    size trained on every other keyframe and row of a denser draw (bench/heldout.py
    --between), judged against the true shapes halfway between its keyframes."""
    from model_core import TemplateSet
    from model_core.fidelity import meets
    from model_core.limits import TARGET_MAX_PCT, TARGET_MEAN_PCT
    from model_core.petal_sets import benchmark_sets

    name, dense = benchmark_sets(between=1)[2]
    assert name.startswith("seed times") and "x100" in name
    k, t, r, _ = dense.shape
    kt, kr = list(range(0, t, 2)), list(range(0, r, 2))
    mid = [i for i in range(t) if i not in kt]
    sub = TemplateSet(dense.coords[:, kt][:, :, kr], dense.times[kt], dense.morphs[kr], dense.names)
    true = dense.coords[:, mid][:, :, kr]                                   # (K, gaps, R, C, 3)
    diag = np.linalg.norm(true.max(axis=(2, 3)) - true.min(axis=(2, 3)), axis=-1)   # (K, gaps)

    def between_error(model):
        errs = []
        for i in range(k):
            gen = model.generate_many(dense.times[mid], np.repeat([model.template_context(i)], len(mid), axis=0))
            errs.append(np.linalg.norm(gen - true[i], axis=-1).mean(axis=(1, 2)) / diag[i])
        return 100.0 * float(np.mean(errs))

    held_sum = alone_sum = 0.0
    for seed in (0, 1, 2):
        held = train(sub, seed=seed)
        alone = train(sub, train_config(refit_between=0.0), seed=seed)
        held_sum += between_error(held)
        alone_sum += between_error(alone)
        assert meets(held.errors, TARGET_MEAN_PCT, TARGET_MAX_PCT)
    assert held_sum < 0.9 * alone_sum, (held_sum, alone_sum)


def test_row_inbetweens_sit_halfway_between_rows_on_the_spline_along_the_petal():
    from model_core.training.inbetweens import row_inbetweens, template_refit_rows
    ts = petal_set(2, 4, 6, 3, seed=5)
    _, _, norm_rows, rel_in = relational_data(ts)
    assert row_inbetweens(ts.times, ts.morphs, norm_rows, 0.0) is None
    x, y, w = row_inbetweens(ts.times, ts.morphs, norm_rows, 0.3)
    assert x.shape == (4 * 5, 2) and y.shape == (2, 4 * 5, norm_rows.shape[2]) and np.all(w == 0.3)
    rows_n = np.unique(rel_in[:, 1])
    np.testing.assert_allclose(np.unique(x[:, 1]), 0.5 * (rows_n[:-1] + rows_n[1:]), atol=1e-12)
    np.testing.assert_allclose(np.unique(x[:, 0]), np.unique(rel_in[:, 0]))      # at the keyframes
    # a quantity linear along the rows comes back linear halfway between them
    lin = np.broadcast_to(np.linspace(0, 1, 6)[None, None, :, None], (2, 4, 6, norm_rows.shape[2]))
    _, y_lin, _ = row_inbetweens(ts.times, ts.morphs, np.ascontiguousarray(lin).reshape(2, 24, -1), 0.3)
    np.testing.assert_allclose(y_lin[0, :5, 0], (np.arange(5) + 0.5) / 5)
    fit = template_fit_rows(ts.times, ts.morphs, norm_rows, rel_in, 1, 0.3)
    rx, ry, rw = template_refit_rows(ts.times, ts.morphs, norm_rows, fit, 0.3)
    n = fit[0].shape[0]
    np.testing.assert_allclose(rx[:n], fit[0])
    assert rx.shape[0] == n + 20 and rw[n] == pytest.approx(0.3 * fit[2][0])


def test_row_inbetweens_make_the_template_models_follow_the_petal_between_rows():
    """Trained on every other row, the template models miss the rows left out by less when
    their refit sees the rows' spline in-betweens."""
    full = petal_set(2, SEED_TIMES, 9, 7, seed=31)
    keep, held = [0, 2, 4, 6, 8], [1, 3, 5, 7]
    sub = TemplateSet(full.coords[:, :, keep], full.times, full.morphs[keep], full.names)

    def error(weight: float) -> float:
        model = train(sub, train_config(steps=1, check_every=0, row_inbetween_weight=weight), seed=0)
        errs = []
        for k in range(2):
            errs.append(_pct(model.template_shapes(k, full.times, full.morphs), full.coords[k])[:, held])
        return float(np.mean(errs))

    with_rows, without = error(0.3), error(0.0)
    assert with_rows < 0.7 * without, (with_rows, without)


def test_between_rows_group_the_midpoints_in_time_and_along_the_rows():
    """The generative refit's rows between: each template's rows halfway through each gap
    in time (R rows a group), then halfway between its captured rows at each keyframe (R-1
    rows a group), each group judged against its own diagonal x its part's slack; a slack
    of 0 leaves its part out."""
    from model_core.infer import relational_grid
    from model_core.training.train_common import between_rows
    ts = petal_set(2, 4, 5, 3, seed=2)
    k, t, r, c = ts.shape
    rng = np.random.default_rng(0)
    lift = rng.normal(size=(k, 2, 3 * c))

    def templates(x):                                  # (K, M, 2) -> (K, M, 3C): a stand-in, linear in x
        return np.einsum("kmi,kif->kmf", x, lift) + 1.0

    rows, targets, units, groups = between_rows(ts, templates, 1.0, 2.0, 3.0)
    np.testing.assert_array_equal(targets, rows)                 # no captured shapes: held to themselves
    n_time, n_rows = k * (t - 1) * r, k * t * (r - 1)
    assert rows.shape == (n_time + n_rows, 3 * c) and units.shape == (k * (t - 1) + k * t,)
    np.testing.assert_array_equal(np.bincount(groups), [r] * (k * (t - 1)) + [r - 1] * (k * t))
    grid = relational_grid(ts.times, 0.5 * (ts.morphs[:-1] + ts.morphs[1:]), ts.times, ts.morphs).reshape(-1, 2)
    np.testing.assert_allclose(rows[n_time:n_time + t * (r - 1)], templates(grid[None])[0])
    pts = rows[n_time:n_time + r - 1].reshape(r - 1, 3, c)
    diag = np.linalg.norm(pts.max(axis=(0, 2)) - pts.min(axis=(0, 2)))
    assert units[k * (t - 1)] == pytest.approx(max(diag, 0.1 * ts.diagonals()[0]) / 100.0 * 3.0)
    time_only = between_rows(ts, templates, 1.0, 2.0, 0.0)
    np.testing.assert_allclose(time_only[0], rows[:n_time])
    np.testing.assert_allclose(time_only[2], units[:k * (t - 1)])
    assert between_rows(ts, templates, 1.0, 0.0, 0.0)[0].shape == (0, 3 * c)


def test_between_rows_are_held_to_the_spline_through_the_captured_shapes():
    """Given the captured shapes, the rows between are held to the spline through them, not
    to the template models' own rows: on shapes cubic in time and along the petal (which
    the not-a-knot spline reproduces) the targets are the true shapes at the midpoints."""
    from model_core.templates import rows_layout
    from model_core.training.train_common import between_rows
    times, morphs = np.array([0.0, 0.1, 0.3, 0.55, 0.8]), np.array([0.0, 0.2, 0.5, 0.7, 1.0])
    rng = np.random.default_rng(3)
    coef = rng.normal(size=(2, 4, 4, 3, 3))         # (K, time power, morph power, C, xyz)

    def shapes(tq, mq):                              # (K, len(tq), len(mq), C, 3)
        tp, mp = np.vander(tq, 4, increasing=True), np.vander(mq, 4, increasing=True)
        return np.einsum("ta,rb,kabcd->ktrcd", tp, mp, coef)

    ts = TemplateSet(shapes(times, morphs), times, morphs)
    centre, scale, norm_rows, _ = relational_data(ts)

    def templates(x):                                # the template models' rows: off the truth on purpose
        return np.zeros((x.shape[0], x.shape[1], 9))

    rows, targets, units, groups = between_rows(ts, templates, scale, 1.0, 1.0, norm_rows, arcs=False)
    mid_t, mid_m = 0.5 * (times[:-1] + times[1:]), 0.5 * (morphs[:-1] + morphs[1:])
    true_t = rows_layout((shapes(mid_t, morphs) - centre) / scale).reshape(-1, 9)
    true_m = rows_layout((shapes(times, mid_m) - centre) / scale).reshape(-1, 9)
    np.testing.assert_allclose(targets, np.concatenate([true_t, true_m]), atol=1e-5)
    assert np.abs(rows).max() == 0.0                 # the rows the refit reads stay the template models'


def test_the_refit_holds_the_shapes_between_rows():
    """Trained on every other row, the model misses the rows left out by less when the
    generative refit holds the template models' rows halfway between captured rows
    (refit_row_between), summed over three seeds, and still meets the target."""
    from model_core.fidelity import meets
    from model_core.limits import TARGET_MAX_PCT, TARGET_MEAN_PCT
    full = petal_set(3, 6, 9, 5, seed=4)
    keep, held = [0, 2, 4, 6, 8], [1, 3, 5, 7]
    sub = TemplateSet(full.coords[:, :, keep], full.times, full.morphs[keep], full.names)

    def error(model) -> float:
        errs = []
        for k in range(3):
            gen = model.generate_many(full.times, np.repeat([model.template_context(k)], len(full.times), axis=0),
                                      rows=9)
            errs.append(_pct(gen, full.coords[k])[:, held])
        return float(np.mean(errs))

    held_sum = alone_sum = 0.0
    for seed in (0, 1, 2):
        held_rows = train(sub, seed=seed)
        assert meets(held_rows.errors, TARGET_MEAN_PCT, TARGET_MAX_PCT)
        held_sum += error(held_rows)
        alone_sum += error(train(sub, train_config(refit_row_between=0.0), seed=seed))
    assert held_sum < 0.85 * alone_sum, (held_sum, alone_sum)


def test_bunched_keyframes_get_straight_in_betweens_not_the_splines_overshoot():
    """Keyframes bunched beside a wide gap (frames 1, 2 and 50): the spline through them
    swings far out in the gap; those in-betweens fall back to the line between their two
    keyframes, and the others keep the spline."""
    from model_core.training.inbetweens import SPREAD_LIMIT, bounded_weights
    x = np.array([0.0, 1.0, 2.0, 2.1, 2.2, 5.0])
    tq = inbetween_times(x, 1)
    raw, safe = spline_weights(x, tq), bounded_weights(x, tq)
    assert np.abs(raw).sum(axis=1).max() > 10 * SPREAD_LIMIT            # the spline's own overshoot
    assert np.abs(safe).sum(axis=1).max() <= SPREAD_LIMIT
    y = np.array([0.0, 1.0, 2.0, 2.1, 2.2, 5.0]) ** 0.5
    assert np.all((safe @ y >= y.min()) & (safe @ y <= y.max()))
    # evenly spaced keyframes and the seed's times keep the spline everywhere
    for times in (np.linspace(0.0, 1.0, 7), np.array(SEED_TIMES)):
        q = inbetween_times(times, 1)
        np.testing.assert_array_equal(bounded_weights(times, q), spline_weights(times, q))
