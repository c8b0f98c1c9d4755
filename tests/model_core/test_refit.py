"""Closed-form refits of the output layers, and the error as the target defines it (each
template at each keyframe against that keyframe's own diagonal)."""
from __future__ import annotations

import numpy as np
import pytest

from model_core import TemplateSet, train, train_config
from model_core.fidelity import keyframe_errors, reconstruction_errors
from model_core.nets import forward
from model_core.training.refit import features, refit_last, ridge_fit, weighted_sse


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
                                          (1.0, (2500.0, -1800.0, 900.0)), (0.01, (25.0, -18.0, 9.0))])
def test_errors_do_not_depend_on_units_or_placement(example_set, scale, shift):
    """The same petals in other units or far from the origin train to errors within 10 %."""
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
