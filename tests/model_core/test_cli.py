"""python -m model_core: train / generate / info, and one-line errors with status 2."""
import pathlib
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def cli(*args, check=True):
    proc = subprocess.run([sys.executable, "-m", "model_core", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def templates_file(tmp_path_factory, ):
    from model_core import example_templates
    ts = example_templates()
    path = tmp_path_factory.mktemp("cli") / "templates.npz"
    np.savez(path, templates=ts.coords, times=ts.times, morphs=ts.morphs, names=np.array(ts.names))
    return path


@pytest.fixture(scope="module")
def model_file(templates_file):
    out = templates_file.parent / "model.npz"
    proc = cli("train", templates_file, "-o", out, "--steps", "200", "--seed", "2")
    assert "wrote" in proc.stdout and "%" in proc.stderr  # the progress bar
    return out


def test_train_generate_info(model_file, tmp_path):
    out = tmp_path / "petal.npy"
    proc = cli("generate", model_file, "--time", "0.8", "--alpha", "0.5", "--rows", "25", "-o", out)
    assert "(25, 7, 3)" in proc.stdout
    grid = np.load(out, allow_pickle=False)
    assert grid.shape == (25, 7, 3) and grid.dtype == np.float64 and np.all(np.isfinite(grid))
    info = cli("info", model_file).stdout
    assert "2 templates, grid 7 x 7" in info
    assert "Petal Open: mean vertex error" in info and "Petal Cup" in info
    assert "context range" in info


def _error(*args):
    proc = cli(*args, check=False)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    return lines[0]


def test_missing_files(tmp_path):
    assert "no such file" in _error("train", tmp_path / "none.npz", "-o", tmp_path / "m.npz")
    assert "cannot read" in _error("info", tmp_path / "none.npz")


def test_wrong_keys_and_shapes(tmp_path):
    bad = tmp_path / "bad.npz"
    np.savez(bad, coords=np.zeros((2, 3, 4, 5, 3)))
    assert "no 'templates' array" in _error("train", bad, "-o", tmp_path / "m.npz")
    np.savez(bad, templates=np.zeros((2, 3, 4, 5)))
    assert "(K, T, R, C, 3)" in _error("train", bad, "-o", tmp_path / "m.npz")
    np.savez(bad, templates=np.random.rand(2, 3, 4, 5, 3), times=np.array([0, 2, 1]))
    assert "strictly increasing" in _error("train", bad, "-o", tmp_path / "m.npz")
    bad.write_bytes(b"not a zip")
    assert "not a readable" in _error("train", bad, "-o", tmp_path / "m.npz")


def test_a_model_that_is_not_a_model(templates_file, model_file, tmp_path):
    assert "no metadata" in _error("info", templates_file)
    assert "rows must be between" in _error("generate", model_file, "--time", "0.5", "--alpha", "0",
                                            "--rows", "100000", "-o", tmp_path / "x.npy")


# ---- training flags and info --json ------------------------------------------------------------

def test_every_training_setting_is_a_flag():
    from dataclasses import fields
    from model_core import TrainConfig
    from model_core.__main__ import main
    import contextlib, io
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        main(["train", "--help"])
    text = out.getvalue()
    for f in fields(TrainConfig):
        assert "--" + f.name.replace("_", "-") in text, f.name
    for flag in ("--context-dims", "--sizes", "--template-steps", "--lr-r", "--lr-g", "--template-lr",
                 "--context-filter", "--literal", "--steps", "--seed"):
        assert flag in text


def test_flags_reach_the_config():
    import argparse
    from model_core.__main__ import config_from_args, main  # noqa: F401
    from model_core import SEED_SIZES, NetSizes

    def parse(*argv):
        import model_core.__main__ as cli_mod
        parser = argparse.ArgumentParser()
        parser.add_argument("--seed", type=int, default=0)
        cli_mod._add_train_flags(parser)
        return cli_mod.config_from_args(parser.parse_args(list(argv)))

    cfg = parse("--context-dims", "2", "--sizes", "8,8:9:10,11", "--template-steps", "7",
                "--lr-r", "0.001", "--lr-g", "0.002", "--template-lr", "0.003",
                "--context-filter", "0.2", "--steps", "9", "--no-lr-decay", "--batch", "5")
    assert (cfg.context_dims, cfg.template_steps, cfg.steps, cfg.batch) == (2, 7, 9, 5)
    assert (cfg.lr_r, cfg.lr_g, cfg.template_lr, cfg.context_filter) == (0.001, 0.002, 0.003, 0.2)
    assert cfg.sizes == NetSizes((8, 8), (9,), (10, 11)) and cfg.lr_decay is False
    literal = parse("--literal", "--steps", "50")
    assert literal.sizes == SEED_SIZES and literal.steps == 50 and literal.batch == 1
    assert parse("--sizes", "seed").sizes == SEED_SIZES
    pad = parse("--sizes", "8,8:9:10:11,12").sizes       # a fourth part: the 2-D generative model
    assert pad == NetSizes((8, 8), (9,), (10,), (11, 12))
    assert pad.generative_sizes(7, 1) == [3, 10, 21] and pad.generative_sizes(7, 2) == [4, 11, 12, 21]


def test_bad_flags_are_one_line_errors(templates_file, tmp_path):
    out = tmp_path / "m.npz"
    assert "--sizes must look like" in _error("train", templates_file, "-o", out, "--sizes", "4,x")
    assert "context_dims must be one of" in _error("train", templates_file, "-o", out, "--context-dims", "3")
    assert "learning rate" in _error("train", templates_file, "-o", out, "--lr-r", "2")
    assert "steps must be at least 1" in _error("train", templates_file, "-o", out, "--steps", "0")


def test_train_with_flags_and_info_json(templates_file, tmp_path):
    import json
    out = tmp_path / "m2.npz"
    cli("train", templates_file, "-o", out, "--context-dims", "2", "--sizes", "12,12:12,8:12,12",
        "--template-steps", "30", "--steps", "30", "--seed", "4", "--fixed-units", "1")
    info = json.loads(cli("info", out, "--json").stdout)
    assert info["context_dims"] == 2 and info["n_templates"] == 2
    # the generative model's last hidden layer carries as many fixed units again (--fixed-units 1)
    assert info["hidden"] == {"template": [12, 12], "relational": [12, 8], "generative": [12, 24]}
    assert info["meta"]["seed"] == 4 and info["meta"]["config"]["template_steps"] == 30
    assert len(info["template_context"]) == 2 and all(len(v) == 2 for v in info["template_context"])
    assert [e["name"] for e in info["meta"]["errors"]] == info["names"]


# ---- malformed model headers: one line, status 2, never a traceback ------------------------------

def _with_header(model_file, tmp_path, edit, raw=None):
    import io
    import json
    with np.load(model_file, allow_pickle=False) as npz:
        arrays = {n: npz[n] for n in npz.files}
    header = json.loads(arrays["meta_json"].tobytes())
    text = raw if raw is not None else json.dumps(edit(header))
    arrays["meta_json"] = np.frombuffer(text.encode(), dtype=np.uint8)
    path = tmp_path / "tampered.npz"
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    path.write_bytes(buf.getvalue())
    return path


def _nested(depth):
    value = [1]
    for _ in range(depth):
        value = [value]
    return value


def _set_meta(key, value):
    def edit(h):
        h["meta"][key] = value
        return h
    return edit


@pytest.mark.parametrize("edit, message", [
    (_set_meta("config", [1, 2, 3]), "meta.config' must be an object"),
    (_set_meta("errors", {"a": 1}), "meta.errors' must be a list"),
    (_set_meta("errors", [{"name": "x"}]), "meta.errors' must list"),
    (_set_meta("seed", "zero"), "meta.seed' must be an integer"),
    (_set_meta("train_seconds", [1]), "train_seconds' must be a number"),
    (_set_meta("config", {"a": _nested(40)}), "nested deeper than"),
    (lambda h: dict(h, meta=[]), "'meta' must be an object"),
    (lambda h: dict(h, context_dims=3), "context_dims"),
    (lambda h: [h], "does not describe a GRC model"),
])
def test_malformed_headers_are_one_line_errors(model_file, tmp_path, edit, message):
    path = _with_header(model_file, tmp_path, edit)
    for args in (("info", path), ("info", path, "--json")):
        assert message in _error(*args)


def test_very_deeply_nested_header_is_a_one_line_error(model_file, tmp_path):
    path = _with_header(model_file, tmp_path, None, raw="[" * 100_000 + "]" * 100_000)
    assert "nested deeper than" in _error("info", path)
