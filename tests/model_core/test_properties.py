"""Property-based: random shapes, dtypes and values either load or raise GRCError."""
import io
import json

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from model_core import GRCError, TemplateSet, model_from_bytes
from model_core.store import model_to_arrays

dtypes = st.sampled_from([np.float64, np.float32, np.int32, np.uint8, np.bool_, np.complex64])


@settings(max_examples=150, deadline=None)
@given(hnp.arrays(dtypes, hnp.array_shapes(min_dims=0, max_dims=6, min_side=0, max_side=5)))
def test_template_validation_accepts_or_raises_own_error(coords):
    try:
        ts = TemplateSet(coords)
    except GRCError:
        return
    k, t, r, c = ts.shape
    assert k >= 2 and t >= 2 and r >= 2 and c >= 2
    assert np.all(np.isfinite(ts.coords))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_loader_accepts_or_raises_own_error(quick_model, data):
    arrays = model_to_arrays(quick_model)
    names = sorted(arrays)
    victim = data.draw(st.sampled_from(names))
    action = data.draw(st.sampled_from(["shape", "dtype", "values", "drop", "meta"]))
    if action == "shape":
        shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=8))
        arrays[victim] = np.zeros(shape, arrays[victim].dtype)
    elif action == "dtype":
        arrays[victim] = arrays[victim].astype(data.draw(dtypes))
    elif action == "values":
        value = data.draw(st.sampled_from([np.nan, np.inf, -np.inf, 1e30, 0.0, -1.0]))
        a = arrays[victim].astype(np.float64).copy()
        a.flat[data.draw(st.integers(0, max(a.size - 1, 0)))] = value
        arrays[victim] = a.astype(arrays[victim].dtype) if victim != "meta_json" else a.astype(np.uint8)
    elif action == "drop":
        del arrays[victim]
    else:
        header = json.loads(arrays["meta_json"].tobytes())
        key = data.draw(st.sampled_from(sorted(header)))
        header[key] = data.draw(st.one_of(st.none(), st.integers(-5, 10**9), st.text(max_size=5),
                                          st.lists(st.integers(0, 600), max_size=3)))
        arrays["meta_json"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    try:
        model = model_from_bytes(buf.getvalue())
    except GRCError:
        return
    out = model.generate(0.5, 0.5)
    assert out.shape == (model.n_rows, model.n_cols, 3) and np.all(np.isfinite(out))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_never_escape_as_other_errors(blob):
    try:
        model_from_bytes(blob)
    except GRCError:
        pass
