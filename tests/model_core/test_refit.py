"""Closed-form refits of the output layers, and the error as the target defines it (each
template at each keyframe against that keyframe's own diagonal)."""
from __future__ import annotations

import numpy as np
import pytest

from model_core import TemplateSet, train, train_config
from model_core.fidelity import keyframe_errors, reconstruction_errors
from model_core.nets import forward
from model_core.training.refit import (RefitRows, features, generative_rows, refit_last, refit_to_target, ridge_fit,
                                      target_score, weighted_sse)


def _net(rng: np.random.Generator, sizes: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(rng.normal(0, 1 / np.sqrt(a), (a, b)), rng.normal(0, 0.1, b)) for a, b in zip(sizes[:-1], sizes[1:])]


@pytest.mark.parametrize("ridge", [0.0, 1e-6, 1e-4, 1e-2])
def test_refit_lowers_the_loss_it_solves(ridge):
    rng = np.random.default_rng(0)
    net = _net(rng, [3, 16, 12, 5])
    x = rng.uniform(-1, 1, (200, 3))
    y = np.sin(x @ rng.normal(size=(3, 5)))
    weights = rng.uniform(0.1, 2.0, 200)
    h = features(net, x)
    before = weighted_sse(h, y, *net[-1], weights)
    (w, b), kept = refit_last(net, x, y, ridge, weights)
    after = weighted_sse(h, y, w, b, weights)
    assert kept and after < 0.5 * before
    # the refitted layer is the network's output layer: the full forward pass agrees
    np.testing.assert_allclose(forward([*net[:-1], (w, b)], x), h @ w + b, atol=1e-12)


def test_refit_never_raises_the_loss():
    """A layer already at the least-squares optimum: a heavy ridge would move it away and
    raise the squared error, so the refit keeps the layer as it was."""
    rng = np.random.default_rng(1)
    net = _net(rng, [2, 10, 4])
    x = rng.uniform(-1, 1, (80, 2))
    y = rng.normal(size=(80, 4))
    best = ridge_fit(features(net, x), y, 0.0)
    net = [net[0], best]
    (w, b), kept = refit_last(net, x, y, ridge=10.0)
    assert not kept
    assert w is best[0] and b is best[1]


def test_ridge_fit_is_the_normal_equations_solution():
    rng = np.random.default_rng(2)
    h = rng.normal(size=(50, 6))
    y = rng.normal(size=(50, 2))
    w, b = ridge_fit(h, y, 0.0)
    ones = np.hstack([h, np.ones((50, 1))])
    ref = np.linalg.lstsq(ones, y, rcond=None)[0]
    np.testing.assert_allclose(w, ref[:-1], atol=1e-10)
    np.testing.assert_allclose(b, ref[-1], atol=1e-10)


def test_training_refits_lower_the_template_and_generative_losses(example_set):
    """The template models' last layers after stage 1 and the generative model's after
    stage 2: a training with refits ends with a lower reconstruction error than the same
    training without (same seed, same steps, no early stop)."""
    cfg = train_config(template_steps=300, steps=300, check_every=0)
    plain = train(example_set, train_config(template_steps=300, steps=300, check_every=0, refit=False), seed=0)
    refit = train(example_set, cfg, seed=0)
    worst = [max(e["mean_pct"] for e in m.errors) for m in (plain, refit)]
    assert worst[1] < worst[0], worst
    assert refit.meta["config"]["refit"] is True and plain.meta["config"]["refit"] is False


@pytest.mark.parametrize("scale, shift", [(0.01, (0.0, 0.0, 0.0)), (100.0, (0.0, 0.0, 0.0)),
                                          (1.0, (2500.0, -1800.0, 900.0)), (0.01, (25.0, -18.0, 9.0)),
                                          (0.01, (2000.0, -1500.0, 1000.0))])
def test_errors_do_not_depend_on_units_or_placement(example_set, scale, shift):
    """The same petals in other units or far from the origin train to errors within 10 %.
    The last set sits 2e5 times its size from the origin: float32 petals there would be
    rounded by about 1 % of their size (the centre is added in float64)."""
    cfg = train_config(template_steps=300, steps=300, check_every=0)
    base = train(example_set, cfg, seed=0)
    moved = TemplateSet(example_set.coords * scale + np.asarray(shift), example_set.times,
                        example_set.morphs, example_set.names)
    other = train(moved, cfg, seed=0)
    for a, b in zip(base.errors, other.errors):
        assert b["mean_pct"] == pytest.approx(a["mean_pct"], rel=0.1), (a, b)
        assert b["max_pct"] == pytest.approx(a["max_pct"], rel=0.1), (a, b)


def test_errors_are_judged_against_each_keyframes_own_diagonal(quick_model, example_set):
    pct = keyframe_errors(quick_model, example_set)                       # (K, T, R, C)
    kdiag = example_set.keyframe_diagonals()
    assert kdiag[0, 0] < 0.7 * kdiag[0, -1]                               # the bud is small
    for k, e in enumerate(reconstruction_errors(quick_model, example_set)):
        gen = quick_model.generate_many(example_set.times, [k] * len(example_set.times))
        dist = np.linalg.norm(gen - example_set.coords[k], axis=-1)
        per_key = dist.mean(axis=(1, 2)) / kdiag[k]
        assert e["mean_pct"] == pytest.approx(100 * per_key.max())
        assert e["max_pct"] == pytest.approx(100 * (dist / kdiag[k][:, None, None]).max())
        assert e["worst_keyframe"] == int(per_key.argmax())
        np.testing.assert_allclose(pct[k], 100 * dist / kdiag[k][:, None, None])
        # against the whole template's diagonal the same error would read smaller
        assert e["mean_pct"] >= 100 * dist.mean() / example_set.diagonals()[k]


def _captured_rows(rng: np.random.Generator, keyframes: int = 6, rows: int = 5, cols: int = 4,
                   pool: int = 120) -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray, RefitRows]:
    """A small net and refit data whose last keyframe is harder (a sharper target) than the others."""
    net = _net(rng, [3, 24, 3 * cols])
    a = keyframes * rows
    x = rng.uniform(-1, 1, (a + pool, 3))
    y = np.sin(x @ rng.normal(size=(3, 3 * cols)))
    y[(keyframes - 1) * rows:a] += 0.3 * np.sin(9 * x[(keyframes - 1) * rows:a, :1])
    units = np.full(keyframes, 0.01)
    data = RefitRows(x, y, np.concatenate([np.ones(a), np.full(pool, 0.1 * a / pool)]),
                     np.repeat(np.arange(keyframes), rows), units)
    return net, features(net, x), data


def test_generative_rows_name_each_captured_rows_keyframe():
    rng = np.random.default_rng(3)
    pool_x = rng.normal(size=(40, 6))
    anchors = np.arange(30, 40)                     # 2 templates x 1 keyframe x 5 rows
    units = np.array([[0.5], [2.0]])
    data = generative_rows(pool_x, anchors, pool_x[anchors] + 1, np.arange(8), 0.1, units)
    assert data.n_captured == 10
    np.testing.assert_array_equal(data.keyframe, np.repeat([0, 1], 5))
    np.testing.assert_array_equal(data.unit, [0.5, 2.0])
    np.testing.assert_allclose(data.y[:10], pool_x[anchors] + 1)       # captured rows: the exact shapes
    np.testing.assert_allclose(data.y[10:], pool_x[:8])                # pool rows: themselves
    assert data.w[10:].sum() == pytest.approx(0.1 * data.w[:10].sum())


@pytest.mark.parametrize("rounds", [0, 2, 6])
def test_target_refit_never_raises_the_target_score(rounds):
    rng = np.random.default_rng(4)
    net, h, data = _captured_rows(rng)
    before = target_score(h, data, *net[-1])[0]
    (w, b), kept = refit_to_target(net, h, data, 1e-6, rounds)
    after = target_score(h, data, w, b)[0]
    assert kept and after < before
    # a layer that already scores best is kept as it was
    (w2, b2), kept2 = refit_to_target([net[0], (w, b)], h, data, 1e-6, rounds)
    assert not kept2 and w2 is w and b2 is b


def test_reweighting_rounds_lower_the_worst_keyframe():
    """The plain solve spreads the error by squares; the rounds move it off the keyframe that
    binds the target, so the score (worst keyframe mean, worst vertex) drops."""
    rng = np.random.default_rng(5)
    net, h, data = _captured_rows(rng)
    plain = target_score(h, data, *refit_to_target(net, h, data, 1e-6, 0)[0])
    rounds = target_score(h, data, *refit_to_target(net, h, data, 1e-6, 6)[0])
    assert rounds[0] < 0.95 * plain[0], (plain[0], rounds[0])
    assert rounds[1].max() <= plain[1].max() or rounds[2].max() < plain[2].max()


def test_refit_pool_plan_tries_the_heaviest_pool_weight_first():
    from model_core.limits import TARGET_MEAN_PCT
    from model_core.training.train_common import refit_pool_plan
    top, scales, good = refit_pool_plan(train_config(refit_pool_weight=0.1, refit_smooth_weight=0.4))
    assert top == 0.4 and scales == pytest.approx((1.0, 0.5, 0.25))
    assert good == pytest.approx(min(train_config().stop_mean_pct / TARGET_MEAN_PCT, 0.9))
    assert refit_pool_plan(train_config(refit_pool_weight=0.5, refit_smooth_weight=0.2))[:2] == (0.5, (1.0,))


def _pool_error(h: np.ndarray, data: RefitRows, w: np.ndarray, b: np.ndarray) -> float:
    a = data.n_captured
    return float(np.abs(h[a:] @ w + b - data.y[a:]).mean())


def test_pool_scales_keep_the_most_pool_weight_that_meets_good():
    """The pool holds the shapes between keyframes: of the pool weights tried in turn, the
    first whose layer scores `good` wins, so a reachable `good` gives the layer with the
    pool rows fitted closest; an unreachable one the best score of all."""
    rng = np.random.default_rng(6)
    net, h, data = _captured_rows(rng)
    scales = (3.0, 1.0, 0.1)
    alone = {s: refit_to_target(net, h, data, 1e-6, 4, (s,))[0] for s in scales}
    score = {s: target_score(h, data, *alone[s])[0] for s in scales}
    assert score[3.0] > score[0.1] and _pool_error(h, data, *alone[3.0]) < _pool_error(h, data, *alone[0.1])
    # good between the scores: the heaviest pool weight that reaches it
    good = 0.5 * (score[3.0] + score[0.1])
    (w, b), kept = refit_to_target(net, h, data, 1e-6, 4, scales, good)
    first = next(s for s in scales if score[s] <= good)
    assert kept and target_score(h, data, w, b)[0] <= good
    np.testing.assert_allclose(w, alone[first][0])
    # unreachable: the best-scoring layer of every scale
    (w, b), _ = refit_to_target(net, h, data, 1e-6, 4, scales, 0.0)
    assert target_score(h, data, w, b)[0] == pytest.approx(min(score.values()))


def test_generative_rows_hold_the_rows_between_keyframes_after_the_captured_ones():
    rng = np.random.default_rng(7)
    pool_x = rng.normal(size=(40, 6))
    anchors = np.arange(30, 40)                     # 2 templates x 1 keyframe x 5 rows
    mid = rng.normal(size=(10, 6))                  # 2 templates x 1 midpoint x 5 rows
    data = generative_rows(pool_x, anchors, pool_x[anchors] + 1, np.arange(8), 0.1, np.array([[0.5], [2.0]]),
                           (mid, mid - 1, np.array([3.0, 4.0]), np.repeat([0, 1], 5)))
    assert data.n_captured == 20 and data.n_between == 10
    np.testing.assert_array_equal(data.keyframe, np.repeat([0, 1, 2, 3], 5))
    np.testing.assert_allclose(data.x[10:20], mid)
    np.testing.assert_allclose(data.y[10:20], mid - 1)                 # held to their targets
    assert data.w[20:].sum() == pytest.approx(0.1 * data.w[:20].sum())
    alone = data.keyframes_only()
    assert alone.n_captured == 10 and alone.n_between == 0 and alone.unit.tolist() == [0.5, 2.0]
    np.testing.assert_allclose(alone.x, np.concatenate([pool_x[anchors], pool_x[:8]]))
    assert alone.w[10:].sum() == pytest.approx(0.1 * alone.w[:10].sum())   # the pool keeps its share
    np.testing.assert_allclose(data.select_keyframes(np.arange(28)), np.r_[0:10, 20:28])
    loose = data.relaxed(2.0)                                          # the rows between held 2x as loosely
    assert loose.unit.tolist() == [0.5, 2.0, 6.0, 8.0] and data.unit.tolist() == [0.5, 2.0, 3.0, 4.0]
    assert loose.n_between == 10 and loose.x is data.x and loose.w is data.w and data.relaxed(1.0) is data


def test_rows_between_keyframes_pull_the_refit_toward_them():
    """Held rows between keyframes, held to themselves: the refit that holds them fits them
    closer than the keyframes-alone refit; with `good` out of reach the winner is judged at
    the keyframes, so it scores there no worse than the keyframes-alone plan."""
    rng = np.random.default_rng(8)
    net, h, data = _captured_rows(rng, pool=40)
    a = data.n_captured
    mid = rng.uniform(-1, 1, (10, 3))
    h_mid = features(net, mid)
    between = np.sin(3 * mid @ rng.normal(size=(3, data.y.shape[1])))
    rows = RefitRows(np.concatenate([data.x[:a], mid, data.x[a:]]), np.concatenate([data.y[:a], between, data.y[a:]]),
                     np.concatenate([data.w[:a], np.ones(10), data.w[a:]]),
                     np.concatenate([data.keyframe, np.repeat(data.unit.size + np.arange(2), 5)]),
                     np.concatenate([data.unit, [0.02, 0.02]]), 10)
    hh = np.concatenate([h[:a], h_mid, h[a:]])
    held, _ = refit_to_target(net, hh, rows, 1e-6, 4, plans=(1.0,))
    alone, _ = refit_to_target(net, hh, rows, 1e-6, 4, plans=(0.0,))
    def mid_err(layer):
        return float(np.abs(h_mid @ layer[0] + layer[1] - between).mean())
    assert mid_err(held) < 0.8 * mid_err(alone)
    best, _ = refit_to_target(net, hh, rows, 1e-6, 4, good=0.0)
    kf = rows.keyframes_only()
    assert target_score(h, kf, *best)[0] <= target_score(h, kf, *alone)[0] + 1e-12
    # held 2x as loosely, tried after the strict plan misses `good` and before the keyframes alone
    strict_score = target_score(hh, rows, *held)[0]
    loose, _ = refit_to_target(net, hh, rows, 1e-6, 4, plans=(2.0,))
    loose_score = target_score(hh, rows.relaxed(2.0), *loose)[0]
    assert loose_score < strict_score and mid_err(loose) < mid_err(alone)
    chosen, replaced = refit_to_target(net, hh, rows, 1e-6, 4, good=loose_score, plans=(1.0, 2.0, 0.0))
    assert replaced
    np.testing.assert_array_equal(chosen[0], loose[0])


def test_target_score_reads_vertices_in_the_rows_layout():
    """A row is C X-values, then C Y-values, then C Z-values: one vertex off by 3 units in
    Z is one vertex at 3 / unit %, not three vertices."""
    cols = 4
    h = np.zeros((2, 1))
    y = np.zeros((2, 3 * cols))
    data = RefitRows(h, y, np.ones(2), np.array([0, 1]), np.array([0.5, 1.0]))
    b = np.zeros(3 * cols)
    b[2 * cols + 1] = 3.0                      # vertex 1's Z in every row
    score, key_mean, row_max = target_score(h, data, np.zeros((1, 3 * cols)), b)
    np.testing.assert_allclose(row_max, [6.0, 3.0])
    np.testing.assert_allclose(key_mean, [6.0 / cols, 3.0 / cols])
    assert score == pytest.approx(max(6.0 / cols / 0.2, 6.0 / 1.0))


def test_a_petal_growing_from_a_point_is_judged_against_the_floor(example_set):
    """A first keyframe collapsed to a point has no diagonal of its own: it is judged against
    limits.KEYFRAME_DIAG_FLOOR of its template's diagonal, and training reads finite errors."""
    from model_core.limits import KEYFRAME_DIAG_FLOOR
    coords = example_set.coords.copy()
    coords[:, 0] = coords[:, 0].mean(axis=(1, 2), keepdims=True)
    ts = TemplateSet(coords, example_set.times, example_set.morphs, example_set.names)
    kdiag = ts.keyframe_diagonals()
    np.testing.assert_allclose(kdiag[:, 0], KEYFRAME_DIAG_FLOOR * ts.diagonals())
    np.testing.assert_allclose(kdiag[:, 1:], example_set.keyframe_diagonals()[:, 1:])
    model = train(ts, train_config(template_steps=100, steps=100, check_every=50), seed=0)
    assert all(np.isfinite([e["mean_pct"], e["max_pct"], e["mean"]]).all() for e in model.errors), model.errors


def test_a_checks_refit_gives_up_far_from_the_stop(monkeypatch):
    """A score still above `give_up` after refit.GIVE_UP_ROUND rounds ends the rounds (an
    early-stop check far from the stop); below it every round runs and the layer is the
    same as without a limit. The final refit (RefitPlan check=False) never gives up."""
    import model_core.training.refit as refit
    from model_core.training.train_common import CHECK_BALANCED, FINAL, GIVE_UP
    rng = np.random.default_rng(4)
    net, h, data = _captured_rows(rng)
    solves = []
    real_solve = refit._solve
    monkeypatch.setattr(refit, "_solve", lambda sums, ridge: solves.append(1) or real_solve(sums, ridge))
    full, _ = refit_to_target(net, h, data, 1e-6, 12)
    n_full = len(solves)
    solves.clear()
    score = target_score(h, data, *full)[0]
    quick, _ = refit_to_target(net, h, data, 1e-6, 12, give_up=0.5 * score)
    assert n_full == 13 and len(solves) == refit.GIVE_UP_ROUND + 1
    assert target_score(h, data, *quick)[0] >= score
    solves.clear()
    same, _ = refit_to_target(net, h, data, 1e-6, 12, give_up=10.0 * score)
    np.testing.assert_array_equal(same[0], full[0])
    assert CHECK_BALANCED.give_up(0.9) == pytest.approx(GIVE_UP * 0.9) and FINAL.give_up(0.9) == np.inf


def test_fixed_units_join_the_refit_silent_and_seeded():
    """FixedUnits adds round(fixed_units x width) units to the generative model's last
    hidden layer with zero weights out (the network's output is unchanged until a refit
    uses them), the same draw for the same seed whichever trainer asks, none without the
    refit or at 0."""
    from model_core.training.train_common import FixedUnits
    rng = np.random.default_rng(5)
    layers = _net(rng, [3, 16, 21])
    fixed = FixedUnits([3, 16, 21], train_config(fixed_units=0.5), seed=4)
    wide = fixed.widen(layers)
    assert wide[0][0].shape == (3, 24) and wide[1][0].shape == (24, 21)
    x = rng.uniform(-1, 1, (50, 3))
    np.testing.assert_allclose(forward(wide, x), forward(layers, x))
    again = FixedUnits([3, 16, 21], train_config(fixed_units=0.5), seed=4)
    np.testing.assert_array_equal(again.w, fixed.w)
    assert not np.array_equal(FixedUnits([3, 16, 21], train_config(fixed_units=0.5), seed=5).w, fixed.w)
    for cfg in (train_config(fixed_units=0.0), train_config(refit=False)):
        assert FixedUnits([3, 16, 21], cfg, seed=4).widen(layers) is layers


@pytest.mark.parametrize("trainer", ["numpy", "torch"])
def test_a_trained_generative_model_keeps_its_fixed_units_as_drawn(example_set, trainer):
    """Both trainers' refitted generative models carry the fixed units beside the trained
    ones, with their first-layer weights as drawn (Adam never moves them; float32, as
    every stored weight) and
    weights out from the refit; with fixed_units 0 the model is the trained width."""
    if trainer == "torch":
        pytest.importorskip("torch")
    from model_core.training.train_common import FixedUnits
    cfg = train_config(trainer=trainer, steps=300, fixed_units=1.0)
    model = train(example_set, cfg, seed=3)
    sizes = cfg.sizes.generative_sizes(example_set.shape[3], 1)
    width = sizes[-2]
    (w1, b1), (w2, _) = model.generative
    assert w1.shape[1] == 2 * width
    fixed = FixedUnits(sizes, cfg, seed=3)
    np.testing.assert_array_equal(w1[:, width:], fixed.w.astype(np.float32))     # as the file keeps them
    np.testing.assert_array_equal(b1[width:], fixed.b.astype(np.float32))
    assert np.abs(w2[width:]).max() > 0
    narrow = train(example_set, train_config(trainer=trainer, steps=300, fixed_units=0.0, rescue_fixed_units=0.0), seed=3)
    assert narrow.generative[0][0].shape[1] == width


def test_a_second_cycle_starts_from_adams_own_weights(monkeypatch, example_set):
    """A first cycle that misses the target by far runs a second cycle; that cycle's model
    is its own: where its last refit keeps nothing, the result is Adam's own generative
    layers (None), never the first cycle's refit, which belongs to the first cycle's
    relational model. And a second cycle that does worse restores the first's refit."""
    import model_core.training.train_common as tc
    from model_core.training.train_common import Reporter, stage_two_schedule

    def run(second_refit, second_error):
        cycle = {"n": 1}
        first = [(np.zeros((2, 2)), np.zeros(2))]           # the first cycle's refit, a token

        def mean_pct(layers):                               # a cycle's own weights: bad, then second_error
            if layers is not None:
                return 5.0
            return 5.0 if cycle["n"] == 1 else second_error

        def step(i, factor):
            cycle["n"] = 1 if i < cfg.steps else 2
            return 0.0, 0.0

        def refitted(plan):
            if plan is tc.FINAL:
                return first if cycle["n"] == 1 else second_refit
            return None                                      # the checks' refits: nothing

        monkeypatch.setattr(tc, "reconstruction_errors",
                            lambda layers, ts: [{"mean_pct": mean_pct(layers), "max_pct": 0.0}])
        return stage_two_schedule(example_set, cfg, Reporter(10, None, None), step, refitted,
                                  build=lambda layers: layers, snapshot=lambda: (lambda: None))

    cfg = train_config(steps=4, check_every=2, restart=0.5, refit_checks=True)
    steps, kept = run(second_refit=None, second_error=0.1)
    assert steps == 6 and kept is None
    steps, kept = run(second_refit=None, second_error=9.0)
    assert steps == 6 and kept is not None and kept[0][0].shape == (2, 2)   # the first cycle's refit


def test_a_training_that_ends_short_of_the_target_is_rescued_by_wider_refit(monkeypatch, example_set):
    """Where stage 2 ends short of the target (no check met the stop), one more refit over
    the rescue's fixed units runs and is kept only if it reads closer to the target; a
    training that met the stop never runs it."""
    import model_core.training.train_common as tc
    from model_core.training.train_common import Reporter, stage_two_schedule
    final, wide = [(np.zeros((2, 2)), np.zeros(2))], [(np.zeros((2, 4)), np.zeros(4))]   # tokens

    def run(wide_error, stop_at=None):
        plans = []

        def refitted(plan):
            plans.append(plan)
            return wide if plan.rescue else final if plan is tc.FINAL else None

        def mean_pct(layers):
            if layers is wide:
                return wide_error
            return 0.1 if stop_at is not None and len(plans) >= stop_at else 0.5

        monkeypatch.setattr(tc, "reconstruction_errors", lambda layers, ts: [{"mean_pct": mean_pct(layers),
                                                                               "max_pct": 0.0}])
        cfg = train_config(steps=4, check_every=2, restart=0.0)
        _, kept = stage_two_schedule(example_set, cfg, Reporter(10, None, None), lambda i, f: (0.0, 0.0),
                                     refitted, build=lambda layers: layers, snapshot=lambda: (lambda: None))
        return kept, [p.rescue for p in plans]

    kept, rescues = run(wide_error=0.3)
    assert kept is wide and rescues[-1]
    kept, rescues = run(wide_error=0.9)
    assert kept is final and rescues[-1]
    kept, rescues = run(wide_error=0.01, stop_at=1)           # the first check meets the stop
    assert kept is None and not any(rescues)


@pytest.mark.parametrize("trainer", ["numpy", "torch"])
def test_the_rescue_never_reads_worse_than_the_training_without_it(example_set, trainer):
    """The same short training with and without the rescue: the same up to its last refit,
    so the rescued model reads at least as close to the target, and it is the wider one
    only where it reads closer."""
    if trainer == "torch":
        pytest.importorskip("torch")
    from model_core.training.train_common import target_ratio
    cfg = dict(trainer=trainer, steps=200, restart=0.0, fixed_units=0.0)
    plain = train(example_set, train_config(**cfg, rescue_fixed_units=0.0), seed=3)
    rescued = train(example_set, train_config(**cfg), seed=3)
    before, after = target_ratio(reconstruction_errors(plain, example_set)), \
        target_ratio(reconstruction_errors(rescued, example_set))
    assert before > 1.0 and after <= before
    wider = rescued.generative[0][0].shape[1] > plain.generative[0][0].shape[1]
    assert wider == (after < before) == rescued.meta["rescued"] and not plain.meta["rescued"]
