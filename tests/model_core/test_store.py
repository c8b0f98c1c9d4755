"""Storage: plain arrays + JSON, round trip, and refusal of anything else."""
import io
import json
import zipfile

import numpy as np
import pytest

from model_core import GRCError, TrainConfig, load_model, model_from_bytes, model_to_bytes, save_model
from model_core.store import MAX_FILE_BYTES, model_to_arrays


def _npz(arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def test_round_trip_through_file(quick_model, tmp_path):
    path = tmp_path / "m.npz"
    save_model(quick_model, str(path))
    loaded = load_model(str(path))
    # a trained model holds its weights as the file keeps them (float32): the same petals
    for args in [(0.0, 0.0), (0.6, 0.4, 0.1, 15), (1.0, 1.3)]:
        np.testing.assert_array_equal(loaded.generate(*args), quick_model.generate(*args))
    assert loaded.names == quick_model.names
    assert loaded.meta["errors"] == quick_model.meta["errors"]
    assert not (tmp_path / "m.npz.tmp").exists()


def test_bytes_hold_only_plain_arrays(quick_model):
    with np.load(io.BytesIO(model_to_bytes(quick_model)), allow_pickle=False) as npz:
        for name in npz.files:
            assert npz[name].dtype.kind in "fu", name   # float weights, uint8 JSON
    json.loads(model_to_arrays(quick_model)["meta_json"].tobytes())


def _tampered(model, **changes):
    arrays = model_to_arrays(model)
    header = json.loads(arrays["meta_json"].tobytes())
    for key, value in changes.items():
        if key.startswith("header."):
            header[key[7:]] = value
        elif value is None:
            del arrays[key]
        else:
            arrays[key] = value
    arrays["meta_json"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    return _npz(arrays)


REL0 = TrainConfig().sizes.relational[0]   # the quick model's first relational width


@pytest.mark.parametrize("changes, message", [
    ({"relational.w0": None}, "missing array 'relational.w0'"),
    ({"relational.w0": np.zeros((5, 5), np.float32)}, "has shape"),
    ({"relational.b0": np.full(REL0, np.nan, np.float32)}, "NaN or infinite"),
    ({"relational.b0": np.full(REL0, 1e30, np.float32)}, "weights beyond"),
    ({"relational.b0": np.zeros(REL0, np.float64)}, "dtype"),
    ({"extra": np.zeros(3, np.float32)}, "unexpected arrays"),
    ({"header.format_version": 99}, "unknown model format version 99"),
    ({"header.format": "something"}, "does not describe a GRC model"),
    ({"header.n_cols": 9}, "shape"),
    ({"header.n_templates": 1}, "n_templates"),
    ({"header.scale": -1}, "scale"),
    ({"header.hidden": {"template": [10**6]}}, "hidden sizes"),
    ({"times": np.array([0.0, 0.0, 1.0])}, "strictly increasing"),
])
def test_tampered_models_are_refused(quick_model, changes, message):
    with pytest.raises(GRCError, match=message):
        model_from_bytes(_tampered(quick_model, **changes))


def test_invalid_json_metadata_is_refused(quick_model):
    arrays = model_to_arrays(quick_model)
    arrays["meta_json"] = np.frombuffer(b"{not json", dtype=np.uint8)
    with pytest.raises(GRCError, match="not valid JSON"):
        model_from_bytes(_npz(arrays))


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04garbage", b"\x93NUMPY" + b"x" * 100,
                                  b"x" * 1000])
def test_garbage_is_refused(data):
    with pytest.raises(GRCError):
        model_from_bytes(data)


def test_truncated_model_is_refused(quick_model):
    data = model_to_bytes(quick_model)
    for cut in (len(data) // 3, len(data) - 10):
        with pytest.raises(GRCError):
            model_from_bytes(data[:cut])


def test_pickled_arrays_are_never_loaded(quick_model):
    arrays = model_to_arrays(quick_model)
    arrays["relational.w0"] = np.array([object()], dtype=object)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    with pytest.raises(GRCError, match="holds Python objects"):
        model_from_bytes(buf.getvalue())


def test_oversized_data_is_refused_before_parsing():
    with pytest.raises(GRCError, match="far larger"):
        model_from_bytes(b"\0" * (MAX_FILE_BYTES + 1))


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(GRCError, match="cannot read model file"):
        load_model(str(tmp_path / "nope.npz"))


def test_zip_bomb_like_array_count_is_refused(quick_model):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(400):
            with zf.open(f"a{i}.npy", "w") as fh:
                np.lib.format.write_array(fh, np.zeros(1, np.float32))
    with pytest.raises(GRCError, match="far more arrays"):
        model_from_bytes(buf.getvalue())


def test_huge_compressed_array_is_refused_before_allocation():
    """A few kB of zeros that would unpack to 4 GB: refused from the .npy header alone."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("relational.w0.npy", "w") as fh:
            header = {"descr": "<f4", "fortran_order": False, "shape": (1 << 30,)}
            np.lib.format.write_array_header_1_0(fh, header)
            fh.write(b"\0" * (1 << 20))   # the rest never needs to exist
    with pytest.raises(GRCError, match="far larger than any GRC model"):
        model_from_bytes(buf.getvalue())


def test_a_model_saved_by_the_previous_version_still_loads():
    """data/model_v1_6cbb756.npz was saved by commit 6cbb756 (format version 1, before the
    refits and the folded inference; a 60-step training of a 5x5x5 example), and the petals
    it generated then are beside it: this version reads it and generates the same petals."""
    from pathlib import Path
    data = Path(__file__).resolve().parent / "data"
    model = load_model(str(data / "model_v1_6cbb756.npz"))
    then = np.load(data / "model_v1_6cbb756_generated.npy", allow_pickle=False)
    now = model.generate_many([0.0, 0.5, 1.0], [0, 0.5, 1], [0, 0, 0.1], rows=9)
    size = float(np.linalg.norm(then.max(axis=(0, 1, 2)) - then.min(axis=(0, 1, 2))))
    assert now.shape == then.shape
    assert np.abs(now - then).max() <= 1e-5 * size
    assert model.errors and model.names == ["Petal Open", "Petal Cup"]


def test_a_pad_model_with_its_fixed_units_round_trips(tmp_path):
    """Three templates train a 2-D pad whose generative layer, fixed units included, is 640
    wide: the file holds it and gives the same petals back; a config whose widths a file
    could not hold is refused before training."""
    from model_core import train, train_config
    from model_core.limits import MAX_WIDTH
    from model_core.petal_sets import petal_set
    model = train(petal_set(3, 3, 5, 4, seed=1), train_config(template_steps=50, steps=100, check_every=0, fixed_units=1.0),
                  seed=0)
    assert model.generative[0][0].shape[1] == 2 * TrainConfig().sizes.generative_pad[-1]
    path = tmp_path / "pad.npz"
    save_model(model, str(path))
    loaded = load_model(str(path))
    np.testing.assert_array_equal(loaded.generate(0.5, [0.3, 0.6]), model.generate(0.5, [0.3, 0.6]))
    wide = train_config(sizes=[[48, 48], [96, 48], [160], [MAX_WIDTH // 2 + 1]], fixed_units=1.0)
    with pytest.raises(GRCError, match="the widest a model file holds"):
        wide.validate()
