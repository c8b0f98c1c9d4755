"""The context dimension: auto choice, template_context, the blend, the offset's side."""
import numpy as np
import pytest

from model_core import AUTO, GRCError, TemplateSet, context_for, resolve_dims, train, train_config
from model_core.context import supported_dims


def test_auto_is_1d_for_two_templates_and_2d_for_more():
    assert train_config().context_dims == AUTO == 0
    assert resolve_dims(AUTO, 2) == 1
    assert resolve_dims(AUTO, 3) == 2 and resolve_dims(AUTO, 8) == 2
    assert resolve_dims(1, 4) == 1 and resolve_dims(2, 2) == 2   # "in a row" / a pad, as asked
    assert supported_dims() == (1, 2)


@pytest.mark.parametrize("dims", [3, -1, 1.5, "2", True, None])
def test_unsupported_dims_are_refused_in_one_place(dims):
    with pytest.raises(GRCError, match="context_dims must be one of"):
        context_for(dims, 3)
    with pytest.raises(GRCError, match="context_dims must be one of"):
        train_config(context_dims=dims).validate()


def test_auto_resolves_at_train_time(example_set, petal_sets):
    quick = train_config(template_steps=20, steps=20, check_every=0)
    assert train(example_set, quick).context_dims == 1
    k3 = petal_sets["K3 5x9"]
    model = train(k3, quick)
    assert model.context_dims == 2 and model.meta["config"]["context_dims"] == 2
    assert train(k3, train_config(template_steps=20, steps=20, check_every=0, context_dims=1)).context_dims == 1


@pytest.mark.parametrize("k", [2, 3, 4, 5, 8])
def test_2d_blend_reproduces_every_template_at_its_pad(k):
    ctx = context_for(2, k)
    pads = np.array([ctx.template_context(i) for i in range(k)])
    np.testing.assert_allclose(ctx.weights(pads), np.eye(k), atol=1e-9)
    rng = np.random.default_rng(k)
    anywhere = rng.uniform(-3, 4, (200, 2))
    np.testing.assert_allclose(ctx.weights(anywhere).sum(axis=1), 1.0, atol=1e-9)


def test_1d_blend_weights():
    ctx = context_for(1, 3)
    w = ctx.weights(np.array([[0.0], [0.5], [2.0], [2.5], [-1.0]]))
    np.testing.assert_allclose(w, [[1, 0, 0], [0.5, 0.5, 0], [0, 0, 1], [0, -0.5, 1.5], [2, -1, 0]])
    assert [ctx.template_context(i) for i in range(3)] == [(0.0,), (1.0,), (2.0,)]
    with pytest.raises(GRCError, match="template index"):
        ctx.template_context(3)


@pytest.mark.parametrize("name", ["example 2x7 7x7", "K4 7x7"])
def test_template_context_reproduces_each_template(name, petal_sets):
    """generate(template_context(k)) is gen(rel(template k)) for 1-D and 2-D models alike."""
    ts = petal_sets[name]
    model = train(ts, train_config(template_steps=200, steps=200, check_every=0), seed=1)
    assert model.context_dims == (1 if ts.shape[0] == 2 else 2)
    k, t = ts.shape[:2]
    for i in range(k):
        slider = model.template_context(i)
        assert len(slider) == model.context_dims == len(model.context.slider_fields)
        petal = model.generate(float(ts.times[-1]), slider if len(slider) > 1 else slider[0])
        # the exact relational point of template i, decoded
        from model_core.nets import forward
        from model_core.templates import grid_layout
        pts = model._exact_points(model._tn(ts.times[-1:]), model._morph_grid(None))[0, i]
        rows = forward(model.generative, pts.astype(np.float64))          # unfolded, float64
        direct = grid_layout(rows, model.n_cols) * model.scale + model.centre
        np.testing.assert_allclose(petal, direct, atol=1e-5 * ts.diagonals().max())
    errors = model.errors
    assert len(errors) == k


def _affine_net(matrix, bias):
    """An exact affine map as a two-layer ELU net: the hidden layer is shifted by +10 so
    the ELU stays in its identity region for inputs within +-10, then shifted back."""
    a = np.asarray(matrix, float)          # (n_in, n_out)
    n_in = a.shape[0]
    return [(np.eye(n_in), np.full(n_in, 10.0)), (a, np.asarray(bias, float) - 10.0 * a.sum(axis=0))]


@pytest.fixture(scope="module")
def crossing_model():
    """Two templates whose context traces cross at mid-petal by construction: template 0's
    trace is +m, template 1's is -m (rows hold t, m and +-m in their third value)."""
    from model_core import GRCModel
    rows = [np.zeros((2, 6)), np.zeros((2, 6))]
    for k, sign in enumerate((1.0, -1.0)):
        rows[k][0, 0] = 1.0                  # value 0 = t
        rows[k][1, 1] = 1.0                  # value 1 = m
        rows[k][1, 2] = sign                 # value 2 = +-m
    templates = [_affine_net(r, np.zeros(6)) for r in rows]
    pick = np.zeros((6, 3))
    pick[0, 0] = pick[1, 1] = pick[2, 2] = 1.0   # (t, m, context) = values 0, 1, 2
    relational = _affine_net(pick, np.zeros(3))
    generative = _affine_net(pick.T, np.zeros(6))
    return GRCModel(templates, relational, generative, np.linspace(0, 1, 5), np.linspace(0, 1, 9),
                    np.zeros(3), 1.0, 2, 1, ["a", "b"])


def test_offset_moves_beyond_the_last_template_on_every_row_where_traces_cross(crossing_model):
    m = crossing_model
    t = float(m.times[-1])
    traces = m.context_traces(times=[t])[:, 0]                 # (2, R)
    gap = traces[1] - traces[0]
    clear = np.abs(gap) > 0.1 * np.abs(gap).max()
    assert np.any(gap[clear] > 0) and np.any(gap[clear] < 0), "the set's traces must cross"
    base = m.context_path(t, 1.0)[:, 0]
    moved = m.context_path(t, 1.0, offset=0.2)[:, 0]
    # away from template 0's trace on every clearly separated row, whichever side it is on
    assert np.all(np.sign(moved - base)[clear] == np.sign(gap[clear]))
    assert np.all(np.abs(moved - traces[0])[clear] > np.abs(base - traces[0])[clear])
    back = m.context_path(t, 0.0, offset=-0.2)[:, 0]          # negative: beyond template 0
    assert np.all(np.sign(back - m.context_path(t, 0.0)[:, 0])[clear] == -np.sign(gap[clear]))


def test_offset_turns_smoothly_where_traces_cross(crossing_model):
    """No tear: at 200 rows neighbouring rows move by under a quarter of what a hard flip of
    the side (2 x offset) would tear open at the crossing."""
    m = crossing_model
    t = float(m.times[-1])
    step = np.diff(m.context_path(t, 1.0, offset=0.2, rows=200)[:, 0] - m.context_path(t, 1.0, rows=200)[:, 0])
    assert np.abs(step).max() < 0.25 * 2 * 0.2


def test_2d_offset_moves_away_from_the_pad_centre(petal_sets):
    ts = petal_sets["K3 5x9"]
    m = train(ts, train_config(template_steps=100, steps=100, check_every=0), seed=0)
    t = float(m.times[-1])
    pts = m.context_traces(times=[t])[:, 0]                   # (K, R, 2)
    centre = pts.mean(axis=0)
    for k in range(3):
        a = m.template_context(k)
        base, moved = m.context_path(t, a), m.context_path(t, a, offset=0.1)
        assert np.all(np.linalg.norm(moved - centre, axis=-1) > np.linalg.norm(base - centre, axis=-1))


def test_templates_round_trip_through_bytes(petal_sets):
    ts = petal_sets["K3 5x9"]
    back = TemplateSet.from_bytes(ts.to_bytes())
    np.testing.assert_array_equal(back.coords, ts.coords)
    np.testing.assert_array_equal(back.times, ts.times)
    assert back.names == ts.names
    with pytest.raises(GRCError, match="not a readable"):
        TemplateSet.from_bytes(b"PK\x03\x04garbage")
