"""numpy inference: shapes, paths, numpy/torch agreement, no torch on import."""
import subprocess
import sys

import numpy as np
import pytest

from model_core import MAX_ROWS, GRCError
from torch_mark import needs_torch


def test_importing_inference_does_not_import_torch():
    code = ("import sys, model_core, model_core.infer, model_core.store; "
            "m = model_core.example_templates(); "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=_root())


def _root():
    import pathlib
    return str(pathlib.Path(__file__).resolve().parents[2])


def test_generate_shapes(quick_model):
    m = quick_model
    assert m.generate(0.5, 0.5).shape == (7, 7, 3)
    assert m.generate(0.5, 0.5, rows=25).shape == (25, 7, 3)
    assert m.generate_many([0.0, 0.5, 1.0], [0, 0.5, 1], [0, 0, 0.2], rows=9).shape == (3, 9, 7, 3)
    assert m.context_traces().shape == (2, 7, 7)
    assert m.context_traces(times=[0.3], rows=11).shape == (2, 1, 11)
    assert m.context_path(0.5, 0.25).shape == (7, 1)


def test_generate_many_matches_generate(quick_model):
    m = quick_model
    many = m.generate_many([0.2, 0.9], [0.3, 1.4], [0.0, -0.1], rows=12)
    np.testing.assert_array_equal(many[0], m.generate(0.2, 0.3, 0.0, rows=12))
    np.testing.assert_array_equal(many[1], m.generate(0.9, 1.4, -0.1, rows=12))


def test_petals_are_float64_unless_a_mesh_writer_asks_for_float32(quick_model):
    """float64 by default; float32 on request is the same petal rounded once."""
    m = quick_model
    wide = m.generate_many([0.2, 0.9], [0.3, 1.4], rows=9)
    narrow = m.generate_many([0.2, 0.9], [0.3, 1.4], rows=9, dtype=np.float32)
    assert wide.dtype == np.float64 and narrow.dtype == np.float32
    assert m.generate(0.2, 0.3, dtype="float32").dtype == np.float32
    np.testing.assert_allclose(narrow, wide, rtol=0, atol=4 * np.spacing(np.float32(np.abs(wide).max())))
    with pytest.raises(GRCError, match="dtype must be float32 or float64"):
        m.generate(0.2, 0.3, dtype=np.int32)


def test_a_model_far_from_the_origin_keeps_its_precision(quick_model):
    """The same model moved 1e6 times its size away gives the same petals, moved, to
    float64 rounding: the centre is added after the float32 product."""
    import copy
    shift = np.array([1e6, -2e6, 5e5]) * quick_model.scale
    far = copy.copy(quick_model)
    far.centre = quick_model.centre + shift
    far.__post_init__()
    near = quick_model.generate_many([0.2, 0.9], [0.3, 1.4], rows=9)
    moved = far.generate_many([0.2, 0.9], [0.3, 1.4], rows=9)
    size = np.ptp(near.reshape(-1, 3), axis=0).max()
    assert np.abs((moved - shift) - near).max() < 1e-7 * size


def test_path_blends_traces_row_by_row(quick_model):
    m = quick_model
    traces = m.context_traces(times=[0.7])[:, 0]           # (K, R)
    for alpha in (0.0, 1.0, 0.25, -0.5, 1.5):
        expected = traces[0] + alpha * (traces[1] - traces[0])
        np.testing.assert_allclose(m.context_path(0.7, alpha)[:, 0], expected, atol=1e-6)


def test_offset_moves_the_path_outward(quick_model):
    """Beyond the last template, row by row (where the traces cross, the side turns with
    them): judged on the rows whose traces stand clearly apart."""
    m = quick_model
    traces = m.context_traces(times=[0.9])[:, 0]
    gap = traces[1] - traces[0]
    clear = np.abs(gap) > 0.2 * np.abs(gap).max()
    base = m.context_path(0.9, 1.0)[:, 0]
    moved = m.context_path(0.9, 1.0, offset=0.3)[:, 0]
    assert clear.sum() >= 3 and np.all(np.sign(gap[clear]) * (moved - base)[clear] > 0)
    assert not np.allclose(m.generate(0.9, 1.0, 0.3), m.generate(0.9, 1.0))


def test_dense_rows_follow_the_captured_rows(trained):
    """Sampling the morphology axis densely passes through the captured rows."""
    coarse = trained.generate(1.0, 0.0)
    dense = trained.generate(1.0, 0.0, rows=13)               # rows 0, 2, 4 .. are captured ones
    np.testing.assert_allclose(dense[::2], coarse, atol=1e-5)


def test_time_table_matches_the_exact_pass(trained, example_set):
    """Batches read tabulated relational points: within 3e-4 of the networks' own pass,
    and a flower's petals within 0.01% of their size of the exactly computed petal."""
    rng = np.random.default_rng(0)
    tn = rng.uniform(-1.9, 1.9, 200)
    for rows in (None, 25):
        exact = trained._exact_points(tn, trained._morph_grid(rows))
        np.testing.assert_allclose(trained._points(tn, rows), exact, atol=3e-4)
    times = rng.uniform(-0.4, 1.4, 50)
    alphas = rng.uniform(-0.5, 1.5, 50)
    flower = trained.generate_many(times, alphas, np.zeros(50), rows=25)
    single = np.stack([trained.generate(t, a, rows=25) for t, a in zip(times, alphas)])
    assert np.abs(flower - single).max() < 1e-4 * example_set.diagonals().min()
    far = np.full(10, 5.0)                       # outside the table: computed exactly
    np.testing.assert_array_equal(trained._points(far, None),
                                  trained._exact_points(far, trained._morph_grid(None)))


@pytest.mark.parametrize("kwargs, message", [
    (dict(time=0.5, alpha=0.5, rows=0), "rows must be between 2"),
    (dict(time=0.5, alpha=0.5, rows=MAX_ROWS + 1), "rows must be between 2"),
    (dict(time=0.5, alpha=0.5, rows=2.5), "rows must be an integer"),
    (dict(time=float("nan"), alpha=0.5), "time must be finite"),
    (dict(time=0.5, alpha=1e6), "alpha must be finite and within"),
    (dict(time=0.5, alpha=0.5, offset=float("inf")), "offset must be finite"),
])
def test_out_of_range_requests_are_refused(quick_model, kwargs, message):
    with pytest.raises(GRCError, match=message):
        quick_model.generate(**kwargs)


def test_far_but_allowed_requests_stay_finite(quick_model):
    for args in [(50.0, 0.5), (0.5, 9000.0), (-3.0, -40.0, 100.0)]:
        out = quick_model.generate(*args, rows=MAX_ROWS)
        assert out.shape == (MAX_ROWS, 7, 3)
        assert np.all(np.isfinite(out))


@needs_torch
def test_numpy_forward_matches_torch(example_set):
    """The numpy nets reproduce the torch nets' outputs to 1e-5."""
    import torch
    from model_core.nets import forward
    from model_core.training.trainer import MLP, BatchedMLP
    torch.manual_seed(1)
    rng = np.random.default_rng(0)
    mlp = MLP([21, 48, 32, 3])
    x = rng.normal(size=(64, 21)).astype(np.float32)
    with torch.no_grad():
        ref = mlp(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(forward(mlp.layers(), x.astype(np.float64)), ref, atol=1e-5)
    batched = BatchedMLP(3, [2, 16, 16, 21])
    xb = rng.random(size=(3, 10, 2)).astype(np.float32)
    with torch.no_grad():
        refb = batched(torch.from_numpy(xb)).numpy()
    for k in range(3):
        np.testing.assert_allclose(forward(batched.layers(k), xb[k].astype(np.float64)), refb[k], atol=1e-5)


@pytest.mark.parametrize("hidden", [(160,), (48, 128), (7, 9, 5)])
@pytest.mark.parametrize("rows", [1, 255, 256, 513, 2 * 512 + 77])
def test_forward_blocks_match_the_row_by_row_sum(hidden, rows):
    """nets.forward's transposed blocks (and its plain path under SMALL_ROWS) compute
    every row as the textbook Linear -> ELU -> ... -> Linear does, for any depth and any
    row count around the block edges, in float64 and in float32."""
    from model_core.nets import forward
    rng = np.random.default_rng(rows)
    sizes = [3, *hidden, 21]
    layers = [(rng.normal(size=(a, b)) / np.sqrt(a), rng.normal(size=b)) for a, b in zip(sizes[:-1], sizes[1:])]
    x = rng.normal(size=(rows, 3)) * 2.0

    def textbook(v):
        for i, (w, b) in enumerate(layers):
            v = v @ w + b
            if i < len(layers) - 1:
                v = np.where(v > 0, v, np.expm1(np.minimum(v, 0)))
        return v

    want = textbook(x)
    np.testing.assert_allclose(forward(layers, x), want, rtol=0, atol=1e-12)
    f32 = [(w.astype(np.float32), b.astype(np.float32)) for w, b in layers]
    got32 = forward(f32, x.astype(np.float32).reshape(1, rows, 3))      # leading axes kept
    assert got32.dtype == np.float32 and got32.shape == (1, rows, 21)
    np.testing.assert_allclose(got32[0], want, rtol=0, atol=1e-4 * np.abs(want).max())


def test_non_finite_or_huge_outputs_are_cleaned(quick_model):
    """A NaN leaves as the centre and a huge or infinite coordinate as the centre +-1e6
    (infer.CLIP), on the batched path and the single one; a normal output is left exactly
    as decoded."""
    import copy
    from model_core.infer import CLIP
    m = copy.copy(quick_model)
    w, b = m._gen_out32[-1]
    b = b.copy()
    b[0], b[1], b[2] = np.nan, 1e30, -np.inf
    m._gen_out32 = [*m._gen_out32[:-1], (w, b)]
    many = m.generate_many(np.linspace(0.0, 1.0, 12), np.linspace(0.0, 1.0, 12), rows=9)
    one = m.generate(0.5, 0.5, rows=9)
    c = np.asarray(m.centre, np.float64)
    for out in (many, one.reshape(1, *one.shape)):
        assert np.isfinite(out).all() and np.abs(out - c).max() <= CLIP
        first = out[..., 0, :].reshape(-1, 3)                  # vertex 0: x NaN, y 1e30, z -inf
        assert (first[:, 0] == c[0]).all() and (first[:, 1] == c[1] + CLIP).all()
        assert (first[:, 2] == c[2] - CLIP).all()
    clean = quick_model.generate_many(np.linspace(0.0, 1.0, 12), np.linspace(0.0, 1.0, 12), rows=9)
    assert np.abs(clean - c).max() < CLIP
