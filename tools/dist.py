"""Per-platform GRC extension zips with the torch CPU wheels bundled (``make dist``).

    .venv/bin/python tools/dist.py                  # dist/grc-<version>-<platform>.zip for each platform
    .venv/bin/python tools/dist.py --platform linux-x64
    .venv/bin/python tools/dist.py --check          # rebuild the linux-x64 zip, install + enable it in
                                                    # headless bpy under a temp BLENDER_USER_RESOURCES,
                                                    # then train once with the bundled torch

What it does (after MolecularNodes' build.py, minus its habit of editing the committed
manifest in place and ignoring pip's exit codes):

1. Builds the plain add-on zip with Blender's builder (so ``[build] paths_exclude_pattern``
   decides what ships) and unpacks it into a staging folder, ``build/dist-staging``.
2. Gathers the wheels pinned in ``requirements/bundle.txt`` for each platform into
   ``.cache/wheels/<platform>`` (reused by later runs):
   - linux-x64: torch from the local CPU wheel (``/opt/wheels/torch-2.13.0+cpu-...``, or
     ``$GRC_TORCH_WHEEL_LINUX_X64``); PyPI's linux-x64 torch is the multi-GB CUDA build.
   - others: ``pip download --no-deps --only-binary=:all: --platform ... --python-version 3.11``.
   Every wheel is checked: no numpy (Blender ships it), no nvidia-*/cuda-*/triton, and no
   torch wheel whose metadata requires CUDA packages on its own platform.
3. Writes a *generated* manifest into the staging copy: ``wheels = [...]``,
   ``platforms = [...]`` and ``blender_version_max = "5.1.0"`` (the wheels are cp311, the
   Python of Blender 4.2 - 5.0; Blender 5.1 moved to Python 3.13).
4. Runs Blender's builder with ``--split-platforms`` (one zip per platform, each holding only
   its platform's wheels), checks each zip's contents, validates it, and prints its size.

Platforms without a CPU torch 2.13.0 wheel on PyPI are not built: linux-arm64 (PyPI's
aarch64 wheel is a CUDA build needing cuda-toolkit / nvidia-* packages) and macos-x64
(torch publishes no Intel macOS wheels since 2.2).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_extension as bx  # noqa: E402

ROOT = bx.ROOT
DIST = bx.DIST
STAGING = ROOT / "build" / "dist-staging"
WHEEL_CACHE = ROOT / ".cache" / "wheels"
BUNDLE_REQUIREMENTS = ROOT / "requirements" / "bundle.txt"
PYTHON_VERSION = "3.11"
# cp311 wheels: Blender 4.2 - 5.0 run Python 3.11; 5.1 runs 3.13 (exclusive maximum).
BLENDER_VERSION_MAX = "5.1.0"
NEVER_BUNDLED = ("numpy",)
FORBIDDEN_PREFIXES = ("nvidia-", "nvidia_", "cuda-", "cuda_", "triton")
LOCAL_TORCH_LINUX_X64 = Path("/opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl")


@dataclass(frozen=True)
class Platform:
    blender: str                 # Blender's platform name, as in the manifest's `platforms`
    pip_platforms: tuple[str, ...]  # --platform values for pip download (most specific first)
    system: str                  # platform_system as in wheel markers
    local_torch: Path | None = None  # a torch wheel on disk to use instead of PyPI's


PLATFORMS = {
    "linux-x64": Platform("linux-x64",
                          ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"),
                          "Linux",
                          Path(os.environ.get("GRC_TORCH_WHEEL_LINUX_X64", LOCAL_TORCH_LINUX_X64))),
    "windows-x64": Platform("windows-x64", ("win_amd64",), "Windows"),
    "macos-arm64": Platform("macos-arm64", ("macosx_14_0_arm64", "macosx_11_0_arm64"), "Darwin"),
}


class DistError(RuntimeError):
    pass


def log(msg: str) -> None:
    print(msg, flush=True)


def read_pins(path: Path = BUNDLE_REQUIREMENTS) -> list[tuple[str, str]]:
    pins = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([A-Za-z0-9_.+\-]+)", line)
        if not m:
            raise DistError(f"{path.name}: only exact pins (name==version) allowed, got {line!r}")
        pins.append((m.group(1), m.group(2)))
    names = [canonical(n) for n, _ in pins]
    if "torch" not in names:
        raise DistError(f"{path.name} must pin torch")
    for bad in NEVER_BUNDLED:
        if bad in names:
            raise DistError(f"{path.name} pins {bad}, which Blender ships: remove it")
    return pins


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_name(filename: str) -> str:
    return canonical(filename.split("-", 1)[0])


def wheel_metadata(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.count("/") == 1 and name.endswith(".dist-info/METADATA"):
                return zf.read(name).decode("utf-8", "replace")
    raise DistError(f"{path.name}: no .dist-info/METADATA")


def cuda_requirements(metadata: str, system: str) -> list[str]:
    """Requires-Dist entries of CUDA packages that apply on ``system`` (a CUDA build)."""
    found = []
    for line in metadata.splitlines():
        if not line.startswith("Requires-Dist:"):
            continue
        req = line.split(":", 1)[1].strip()
        name = canonical(re.split(r"[\s;\[<>=!~(]", req, 1)[0])
        if not name.startswith(("nvidia-", "cuda-", "triton")):
            continue
        marker = req.split(";", 1)[1] if ";" in req else ""
        if "extra ==" in marker:
            continue
        systems = re.findall(r"platform_system\s*==\s*['\"](\w+)['\"]", marker)
        if not systems or system in systems:
            found.append(req)
    return found


def check_wheel(path: Path, platform: Platform) -> None:
    name = wheel_name(path.name)
    if name in NEVER_BUNDLED:
        raise DistError(f"{path.name}: {name} is never bundled (Blender ships it)")
    if name.startswith(FORBIDDEN_PREFIXES):
        raise DistError(f"{path.name}: CUDA packages are never bundled")
    if name == "torch":
        cuda = cuda_requirements(wheel_metadata(path), platform.system)
        if cuda:
            raise DistError(f"{path.name} is a CUDA build of torch for {platform.blender} "
                            f"(requires {', '.join(cuda[:3])} ...): refusing to bundle it")


def pip_download(requirement: str, platform: Platform, dest: Path) -> None:
    cmd = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "-q",
           "--no-deps", "--only-binary=:all:", "--python-version", PYTHON_VERSION,
           "--implementation", "cp", "--dest", str(dest)]
    for tag in platform.pip_platforms:
        cmd += ["--platform", tag]
    cmd.append(requirement)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        noise = "WARNING: Location 'file:"
        err = "\n".join(l for l in (proc.stdout + proc.stderr).splitlines() if noise not in l)
        raise DistError(f"pip download {requirement} for {platform.blender} failed:\n{err}")


def find_wheel(folder: Path, name: str, version: str) -> Path | None:
    for path in sorted(folder.glob("*.whl")):
        parts = path.name.split("-")
        if wheel_name(path.name) == canonical(name) and parts[1].split("+")[0] == version:
            return path
    return None


def gather_wheels(platform: Platform, pins: list[tuple[str, str]]) -> list[Path]:
    cache = WHEEL_CACHE / platform.blender
    cache.mkdir(parents=True, exist_ok=True)
    wheels = []
    for name, version in pins:
        if canonical(name) == "torch" and platform.local_torch is not None:
            local = platform.local_torch
            if not local.is_file():
                raise DistError(
                    f"the local torch CPU wheel {local} is missing; set GRC_TORCH_WHEEL_LINUX_X64 "
                    "to a torch==2.13.0+cpu manylinux x86_64 wheel (PyPI's is a CUDA build)")
            target = cache / local.name
            if not target.is_file() or target.stat().st_size != local.stat().st_size:
                shutil.copy2(local, target)
            wheel = target
        else:
            wheel = find_wheel(cache, name, version)
            if wheel is None:
                log(f"  downloading {name}=={version} for {platform.blender}")
                pip_download(f"{name}=={version}", platform, cache)
                wheel = find_wheel(cache, name, version)
                if wheel is None:
                    raise DistError(f"pip download left no {name}=={version} wheel in {cache}")
        check_wheel(wheel, platform)
        wheels.append(wheel)
    return wheels


def generated_manifest(base: str, wheels: list[str], platforms: list[str]) -> str:
    """The committed manifest plus wheels/platforms/blender_version_max (top-level keys,
    inserted before the first table so TOML keeps them at the top level)."""
    for key in ("wheels", "platforms", "blender_version_max"):
        if re.search(rf"(?m)^{key}\s*=", base):
            raise DistError(f"the committed manifest already sets {key}; dist.py generates it")
    extra = ["", "# --- generated by tools/dist.py for the per-platform dist zips ---",
             f'blender_version_max = "{BLENDER_VERSION_MAX}"',
             "platforms = [" + ", ".join(json.dumps(p) for p in platforms) + "]",
             "wheels = ["]
    extra += [f"  {json.dumps('./wheels/' + w)}," for w in wheels]
    extra += ["]", ""]
    m = re.search(r"(?m)^\[", base)
    cut = m.start() if m else len(base)
    return base[:cut].rstrip("\n") + "\n" + "\n".join(extra) + "\n" + base[cut:]


def stage(platforms: list[Platform], wheels_by_platform: dict[str, list[Path]]) -> Path:
    if STAGING.exists():
        shutil.rmtree(STAGING)
    STAGING.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        (plain,) = bx.build(ROOT, Path(tmp), quiet=True)
        with zipfile.ZipFile(plain) as zf:
            zf.extractall(STAGING)
    wheel_dir = STAGING / "wheels"
    wheel_dir.mkdir()
    names: list[str] = []
    for platform in platforms:
        for wheel in wheels_by_platform[platform.blender]:
            if wheel.name not in names:
                shutil.copy2(wheel, wheel_dir / wheel.name)
                names.append(wheel.name)
    base = (ROOT / "blender_manifest.toml").read_text()
    manifest = generated_manifest(base, sorted(names), [p.blender for p in platforms])
    (STAGING / "blender_manifest.toml").write_text(manifest)
    return STAGING


def check_dist_zip(zip_path: Path, platform: Platform, pins: list[tuple[str, str]]) -> list[str]:
    names = bx.check_zip(zip_path, bx.REQUIRED_ENTRIES + ("wheels/",))
    wheels = [n.split("/", 1)[1] for n in names if n.startswith("wheels/") and n.endswith(".whl")]
    bundled = sorted(wheel_name(w) for w in wheels)
    wanted = sorted(canonical(n) for n, _ in pins)
    if bundled != wanted:
        raise DistError(f"{zip_path.name}: wheels {bundled}, expected {wanted}")
    return wheels


def human(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"


def make_dist(platform_names: list[str]) -> list[tuple[str, Path, int]]:
    pins = read_pins()
    platforms = [PLATFORMS[n] for n in platform_names]
    t0 = time.perf_counter()
    wheels_by_platform = {}
    for platform in platforms:
        log(f"wheels for {platform.blender}:")
        wheels_by_platform[platform.blender] = gather_wheels(platform, pins)
        total = sum(w.stat().st_size for w in wheels_by_platform[platform.blender])
        torch_whl = next(w for w in wheels_by_platform[platform.blender]
                         if wheel_name(w.name) == "torch")
        log(f"  {len(pins)} wheels, {human(total)} (torch: {torch_whl.name})")
    staging = stage(platforms, wheels_by_platform)
    log(f"staged {staging.relative_to(ROOT)} with a generated manifest; building with "
        "--split-platforms")
    zips = bx.build(staging, DIST, split_platforms=True, quiet=True)
    results = []
    for platform, zip_path in zip(platforms, zips):
        wheels = check_dist_zip(zip_path, platform, pins)
        bx.validate(zip_path, quiet=True)
        size = zip_path.stat().st_size
        results.append((platform.blender, zip_path, size))
        log(f"built {zip_path.relative_to(ROOT)}: {human(size)} ({size} bytes), "
            f"{len(wheels)} wheels, validated")
    log(f"dist done in {time.perf_counter() - t0:.0f} s")
    log("\n| platform | zip | size |\n| --- | --- | --- |")
    for name, zip_path, size in results:
        log(f"| {name} | `{zip_path.name}` | {human(size)} |")
    return results


# --- dist-check: install + enable the linux-x64 zip in headless Blender ---------------------

CHECK_CHILD = r'''
import importlib.abc, importlib.machinery, os, sys, time
zip_path, resources = sys.argv[1], os.environ["BLENDER_USER_RESOURCES"]
BUNDLED = {"torch", "sympy", "mpmath", "networkx", "jinja2", "markupsafe", "filelock", "fsspec"}

class OnlyBundled(importlib.abc.MetaPathFinder):
    """Import the bundled packages only from the extension's wheel folder, never from .venv."""
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] not in BUNDLED or "." in name:
            return None
        dirs = [p for p in sys.path if p.startswith(resources)]
        spec = importlib.machinery.PathFinder.find_spec(name, dirs)
        if spec is None:
            raise ImportError(f"{name} is not in the extension's bundled wheels ({dirs})")
        return spec

sys.meta_path.insert(0, OnlyBundled())
import bpy, addon_utils
t0 = time.perf_counter()
result = bpy.ops.extensions.package_install_files(
    filepath=zip_path, repo="user_default", enable_on_install=True)
print("install:", result, f"{time.perf_counter() - t0:.1f} s")
assert result == {"FINISHED"}, result
module = "bl_ext.user_default.grc"
loaded_default, loaded_state = addon_utils.check(module)
print("enabled:", loaded_state)
assert loaded_state, "extension not enabled"
site = [p for p in sys.path if p.startswith(resources)]
print("extension site-packages:", site)
import torch
print("torch", torch.__version__, "from", torch.__file__)
assert torch.__file__.startswith(resources), torch.__file__
x = torch.ones(3, requires_grad=True); (x * 2).sum().backward()
assert x.grad.tolist() == [2.0, 2.0, 2.0]
for mod in ("sympy", "networkx", "jinja2", "filelock", "fsspec"):
    m = __import__(mod)
    assert m.__file__.startswith(resources), (mod, m.__file__)
print("bundled sympy/networkx/jinja2/filelock/fsspec import from the extension")
if hasattr(bpy.ops, "grc") and hasattr(bpy.ops.grc, "train"):
    t0 = time.perf_counter()
    bpy.ops.grc.add_example_templates()
    bpy.ops.grc.capture_templates()
    bpy.ops.grc.train()
    print(f"grc.train with the bundled torch: {time.perf_counter() - t0:.1f} s")
else:
    print("bpy.ops.grc.train not available: training not exercised")
print("DIST-CHECK OK")
'''


def dist_check(platform_name: str = "linux-x64", rebuild: bool = True) -> int:
    manifest = bx.read_manifest()
    zip_path = DIST / f"{manifest['id']}-{manifest['version']}-{platform_name.replace('-', '_')}.zip"
    if rebuild or not zip_path.is_file():
        log(f"building {zip_path.relative_to(ROOT)} from the current tree")
        make_dist([platform_name])
    with tempfile.TemporaryDirectory(prefix="grc-dist-check-") as tmp:
        env = dict(os.environ, BLENDER_USER_RESOURCES=tmp)
        log(f"installing {zip_path.name} ({human(zip_path.stat().st_size)}) into a temp "
            f"BLENDER_USER_RESOURCES with headless bpy")
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", CHECK_CHILD, str(zip_path)], env=env)
        log(f"dist-check {'passed' if proc.returncode == 0 else 'FAILED'} "
            f"in {time.perf_counter() - t0:.0f} s")
        return proc.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--platform", action="append", choices=sorted(PLATFORMS),
                        help="build only these platforms (repeatable; default: all)")
    parser.add_argument("--check", action="store_true",
                        help="rebuild the linux-x64 zip, install + enable it in headless bpy, train once")
    parser.add_argument("--no-build", action="store_true",
                        help="with --check: use the existing linux-x64 zip as it is")
    args = parser.parse_args(argv)
    try:
        if args.check:
            return dist_check(rebuild=not args.no_build)
        make_dist(args.platform or list(PLATFORMS))
    except (DistError, bx.BuildError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
