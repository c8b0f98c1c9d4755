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
    assert grid.shape == (25, 7, 3) and np.all(np.isfinite(grid))
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
