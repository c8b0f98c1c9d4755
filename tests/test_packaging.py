"""Packaging: the extension zip built by Blender's own builder holds the add-on and nothing else,
and Blender's own validator accepts the manifest, the source folder and the zip.

No bpy import here (Blender's builder is a plain-Python script inside the bpy wheel), so
these tests run in any order with the Blender tests. The per-platform dist zips (torch
wheels bundled) are checked by `make dist-check` instead (see README, "Distribution zips").
"""
from __future__ import annotations

import shutil
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import build_extension as bx  # noqa: E402
import dist  # noqa: E402

ADDON_DIRS = ("model_core", "grc_blender", "operators", "panels")
DEV_TOP_LEVEL = ("tests", "bench", "docs", ".ci", "tools", "requirements", "Makefile",
                 "out", "dist", "build", "README.md", "mypy.ini", "pyproject.toml",
                 ".venv", ".venv-typecheck", ".git", ".gitignore", ".hypothesis",
                 ".pytest_cache", ".mypy_cache", ".cache")


@pytest.fixture(scope="module")
def manifest() -> dict:
    with open(ROOT / "blender_manifest.toml", "rb") as fh:
        return tomllib.load(fh)


@pytest.fixture(scope="module")
def built_zip(tmp_path_factory) -> Path:
    (zip_path,) = bx.build(ROOT, tmp_path_factory.mktemp("dist"), quiet=True)
    return zip_path


def test_manifest_fields(manifest):
    assert manifest["schema_version"] == "1.0.0"
    assert manifest["id"] == "grc"  # the package becomes bl_ext.<repo>.grc
    assert manifest["type"] == "add-on"
    assert manifest["blender_version_min"] == "4.2.0"
    assert manifest["license"] == ["SPDX:GPL-3.0-or-later"]
    tagline = manifest["tagline"]
    assert len(tagline) < 64 and tagline[-1].isalnum()
    # The committed manifest bundles nothing and asks for no permissions; `make dist`
    # generates wheels/platforms into a staging copy.
    for key in ("wheels", "platforms", "permissions", "blender_version_max"):
        assert key not in manifest, key


def test_manifest_tags_are_blenders(manifest):
    namespace: dict = {}
    exec(bx.blender_valid_tags().read_text(), namespace)
    assert manifest["tags"] and set(manifest["tags"]) <= namespace["addons"]


def test_validate_source_folder():
    out = bx.validate(ROOT, quiet=True)
    assert "Success" in out


def test_validate_built_zip(built_zip):
    out = bx.validate(built_zip, quiet=True)
    assert "Success" in out


def test_zip_holds_the_addon(built_zip):
    with zipfile.ZipFile(built_zip) as zf:
        names = zf.namelist()
    assert "__init__.py" in names
    assert "blender_manifest.toml" in names
    for folder in ADDON_DIRS:
        assert f"{folder}/__init__.py" in names, folder
        # every Python module of the add-on ships
        for py in (ROOT / folder).rglob("*.py"):
            if "__pycache__" not in py.parts:
                assert py.relative_to(ROOT).as_posix() in names


def test_zip_holds_no_dev_files(built_zip):
    with zipfile.ZipFile(built_zip) as zf:
        names = zf.namelist()
    tops = {n.split("/", 1)[0] for n in names}
    assert not tops & set(DEV_TOP_LEVEL), sorted(tops & set(DEV_TOP_LEVEL))
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".md", ".zip"))]
    assert bx.check_zip(built_zip) == names


def test_exclude_patterns_on_a_tree_full_of_dev_files(tmp_path):
    """Every kind of dev file, present or not in this checkout, stays out of the zip."""
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy2(ROOT / "blender_manifest.toml", src)
    (src / "__init__.py").write_text("def register(): pass\ndef unregister(): pass\n")
    keep = ["model_core/__init__.py", "grc_blender/__init__.py", "operators/__init__.py",
            "panels/__init__.py", "model_core/sub/deep.py"]
    junk = ["tests/test_x.py", "tests/blender/conftest.py", "bench/bench_x.py",
            "docs/architecture.md", "docs/images/contact_sheet.png", ".ci/run",
            "tools/demo.py", "requirements/dev.txt", "Makefile", "README.md", "mypy.ini",
            "pyproject.toml", "out/demo.blend", "dist/grc-0.1.0.zip", "build/x/y.py",
            ".venv/bin/python", ".venv-typecheck/lib/x.py", ".git/HEAD", ".gitignore",
            ".hypothesis/examples/x", ".pytest_cache/v", ".mypy_cache/x.json",
            ".cache/wheels/x.whl", "model_core/__pycache__/nets.cpython-311.pyc",
            "operators/x.pyc", "grc.zip", "scene.blend1"]
    for rel in keep + junk:
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text("x\n")
    (zip_path,) = bx.build(src, tmp_path / "out", quiet=True)
    with zipfile.ZipFile(zip_path) as zf:
        names = set(zf.namelist())
    assert names == {"__init__.py", "blender_manifest.toml", *keep}


def test_dist_manifest_is_generated_not_edited(manifest):
    base = (ROOT / "blender_manifest.toml").read_text()
    wheels = ["torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl",
              "sympy-1.14.0-py3-none-any.whl"]
    text = dist.generated_manifest(base, wheels, ["linux-x64"])
    data = tomllib.loads(text)
    assert data["wheels"] == ["./wheels/" + w for w in wheels]
    assert data["platforms"] == ["linux-x64"]
    assert data["blender_version_max"] == dist.BLENDER_VERSION_MAX
    assert data["build"] == manifest["build"]
    assert (ROOT / "blender_manifest.toml").read_text() == base


def test_dist_pins_are_exact_and_never_numpy():
    pins = dict(dist.read_pins())
    assert pins["torch"] == "2.13.0"
    assert "numpy" not in {dist.canonical(n) for n in pins}


def _fake_wheel(path: Path, requires: list[str]) -> Path:
    name, version = path.name.split("-")[:2]
    with zipfile.ZipFile(path, "w") as zf:
        meta = [f"Name: {name}", f"Version: {version}"] + [f"Requires-Dist: {r}" for r in requires]
        zf.writestr(f"{name}-{version}.dist-info/METADATA", "\n".join(meta) + "\n")
    return path


def test_dist_refuses_cuda_torch(tmp_path):
    cuda_reqs = ["filelock", 'nvidia-cudnn-cu13==9.20.0.48; platform_system == "Linux"',
                 'triton==3.7.1; platform_system == "Linux" and python_version < "3.15"']
    linux = dist.PLATFORMS["linux-x64"]
    windows = dist.PLATFORMS["windows-x64"]
    cuda = _fake_wheel(tmp_path / "torch-2.13.0-cp311-cp311-manylinux_2_28_aarch64.whl", cuda_reqs)
    with pytest.raises(dist.DistError, match="CUDA build"):
        dist.check_wheel(cuda, linux)
    # PyPI's Windows wheel carries the same Linux-only CUDA markers and is a CPU build.
    win = _fake_wheel(tmp_path / "torch-2.13.0-cp311-cp311-win_amd64.whl", cuda_reqs)
    dist.check_wheel(win, windows)
    cpu = _fake_wheel(tmp_path / "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl",
                      ["filelock", "sympy>=1.13.3"])
    dist.check_wheel(cpu, linux)
    for bad in ("numpy-1.26.4-cp311-cp311-win_amd64.whl",
                "nvidia_cudnn_cu13-9.20.0.48-py3-none-manylinux_2_27_x86_64.whl"):
        with pytest.raises(dist.DistError):
            dist.check_wheel(_fake_wheel(tmp_path / bad, []), linux)


def test_dist_targets_take_the_local_torch_only_for_its_python(tmp_path, monkeypatch):
    """The cp311 linux-x64 zip takes the CPU wheel on disk (cached once); cp313 never does
    (it has no linux-x64 zip at all: PyPI's cp313 Linux torch is the CUDA build)."""
    local = _fake_wheel(tmp_path / "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl",
                        ["filelock"])
    linux = dist.Platform("linux-x64", ("manylinux_2_28_x86_64",), "Linux", local)
    monkeypatch.setattr(dist, "WHEEL_CACHE", tmp_path / "cache")
    (wheel,) = dist.gather_wheels(linux, [("torch", "2.13.0")], dist.TARGETS["cp311"])
    assert wheel == tmp_path / "cache" / "linux-x64" / local.name and wheel.read_bytes() == local.read_bytes()
    assert dist.TARGETS["cp311"].local_torch(linux) == local
    assert dist.TARGETS["cp313"].local_torch(linux) is None
    assert "linux-x64" not in dist.TARGETS["cp313"].platforms
    names = {t.zip_name("0.1.0", p) for t in dist.TARGETS.values() for p in t.platforms}
    assert names == {"grc-0.1.0-linux_x64.zip", "grc-0.1.0-windows_x64.zip",
                     "grc-0.1.0-macos_arm64.zip", "grc-0.1.0-blender5.1-windows_x64.zip",
                     "grc-0.1.0-blender5.1-macos_arm64.zip"}


def test_dist_cp313_manifest_starts_at_blender_5_1(manifest):
    base = (ROOT / "blender_manifest.toml").read_text()
    data = tomllib.loads(dist.generated_manifest(base, ["torch-2.13.0-cp313-cp313-win_amd64.whl"],
                                                 ["windows-x64"], dist.TARGETS["cp313"]))
    assert (data["blender_version_min"], data["blender_version_max"]) == ("5.1.0", "6.0.0")
    assert manifest["blender_version_min"] == "4.2.0" and "blender_version_max" not in manifest
    assert data["build"] == manifest["build"]
