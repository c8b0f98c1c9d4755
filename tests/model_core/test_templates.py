"""TemplateSet: refusal of bad input, the seed's row layout, the bundled example, normalisation, limits."""
import numpy as np
import pytest

from model_core import GRCError, TemplateSet, example_templates
from model_core.templates import grid_layout, rows_layout


def _coords(k=2, t=3, r=4, c=5, seed=0):
    return np.random.default_rng(seed).normal(size=(k, t, r, c, 3))


def test_defaults_are_even_indexes():
    ts = TemplateSet(_coords())
    assert ts.shape == (2, 3, 4, 5)
    np.testing.assert_allclose(ts.times, [0, 0.5, 1])
    np.testing.assert_allclose(ts.morphs, np.linspace(0, 1, 4))
    assert ts.names == ["template 0", "template 1"]


@pytest.mark.parametrize("shape, message", [
    ((1, 3, 4, 5, 3), "at least 2 templates"),
    ((2, 1, 4, 5, 3), "at least 2 time"),
    ((2, 3, 1, 5, 3), "at least 2 rows"),
    ((2, 3, 4, 1, 3), "at least 2 rows and 2 columns"),
    ((2, 3, 4, 5, 2), "shape (K, T, R, C, 3)"),
    ((2, 3, 4, 5), "shape (K, T, R, C, 3)"),
])
def test_bad_shapes_are_refused(shape, message):
    with pytest.raises(GRCError, match=message.replace("(", r"\(").replace(")", r"\)")):
        TemplateSet(np.ones(shape))


def test_non_finite_names_the_template():
    c = _coords()
    c[1, 0, 0, 0, 0] = np.nan
    with pytest.raises(GRCError, match=r"template\(s\) \[1\].*non-finite"):
        TemplateSet(c)


def test_zero_size_template_is_refused():
    c = _coords()
    c[0] = 2.0
    with pytest.raises(GRCError, match="template 0 has zero size"):
        TemplateSet(c)


@pytest.mark.parametrize("field, values, message", [
    ("times", [0, 0.5, 0.5], "strictly increasing"),
    ("times", [0, 1], "3 values"),
    ("morphs", [0, 1, 2, np.inf], "non-finite"),
])
def test_bad_indexes_are_refused(field, values, message):
    with pytest.raises(GRCError, match=message):
        TemplateSet(_coords(), **{field: values})


def test_wrong_name_count_is_refused():
    with pytest.raises(GRCError, match="3 names for 2 templates"):
        TemplateSet(_coords(), names=["a", "b", "c"])


def test_row_layout_is_the_seeds_and_round_trips():
    grid = _coords()[0, 0]                       # (R, C, 3)
    rows = rows_layout(grid)
    assert rows.shape == (4, 15)
    np.testing.assert_array_equal(rows[:, :5], grid[:, :, 0])    # C X-values first
    np.testing.assert_array_equal(rows[:, 5:10], grid[:, :, 1])  # then C Y-values
    np.testing.assert_array_equal(rows[:, 10:], grid[:, :, 2])   # then C Z-values
    np.testing.assert_array_equal(grid_layout(rows, 5), grid)


def test_example_shares_the_bud_and_opens_two_ways():
    ts = example_templates()
    assert ts.shape == (2, 7, 7, 7)
    np.testing.assert_array_equal(ts.coords[0, 0], ts.coords[1, 0])
    assert np.abs(ts.coords[0, -1] - ts.coords[1, -1]).max() > 0.3 * ts.diagonals().min()
    # rows run base -> tip: the base row sits at the origin end
    assert np.linalg.norm(ts.coords[:, :, 0].mean(axis=2), axis=-1).max() < 0.05
    assert ts.identical_pairs() == []
    same = TemplateSet(np.stack([ts.coords[0], ts.coords[0]]))
    assert same.identical_pairs() == [(0, 1)]


def test_identical_scale_invariance_of_normalisation():
    ts = example_templates()
    big = TemplateSet(ts.coords * 1000 + 50)
    c1, s1 = ts.normalisation()
    c2, s2 = big.normalisation()
    np.testing.assert_allclose(s2, s1 * 1000)
    np.testing.assert_allclose(c2, c1 * 1000 + 50)


def test_limits_agree_with_each_other():
    from model_core import limits
    assert limits.CONTEXT_LIMIT < limits.MAX_ABS_INPUT          # a slider never gets refused
    assert 2 <= limits.GRID_MIN <= limits.GRID_MAX <= limits.MAX_GRID
    assert limits.DEFAULT_ROWS <= limits.MAX_ROWS
    assert limits.MIN_TEMPLATES == 2 and limits.MAX_TEMPLATES >= 4
    assert 0 < limits.TARGET_MEAN_PCT < limits.TARGET_MAX_PCT
    with pytest.raises(GRCError, match=f"at least {limits.MIN_TEMPLATES} templates"):
        TemplateSet(np.ones((limits.MIN_TEMPLATES - 1, 3, 4, 5, 3)))
    with pytest.raises(GRCError, match=f"at most {limits.MAX_TEMPLATES} templates"):
        TemplateSet(_coords(k=limits.MAX_TEMPLATES + 1))
