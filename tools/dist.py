"""Per-platform GRC extension zips with the torch CPU wheels bundled (``make dist``).

    .venv/bin/python tools/dist.py                  # every zip of every target (below)
    .venv/bin/python tools/dist.py --target cp311   # only Blender 4.2 - 5.0's zips
    .venv/bin/python tools/dist.py --platform linux-x64
    .venv/bin/python tools/dist.py --plan           # print the zips, their Blender ranges and
                                                    # manifests' generated keys; build nothing
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
   ``platforms = [...]`` and the target's Blender range (``blender_version_min`` /
   ``blender_version_max``): wheels are built for one CPython, so each zip says which
   Blender releases run that Python.
4. Runs Blender's builder with ``--split-platforms`` (one zip per platform, each holding only
   its platform's wheels), checks each zip's contents, validates it, and prints its size.

Targets (TARGETS), one per Python Blender uses:
- cp311: Blender 4.2 - 5.0 (Python 3.11), ``blender_version_max = "5.1.0"`` (exclusive):
  ``grc-<v>-linux_x64.zip``, ``grc-<v>-windows_x64.zip``, ``grc-<v>-macos_arm64.zip``.
- cp313: Blender 5.1 and later 5.x (Python 3.13), ``blender_version_min = "5.1.0"``,
  ``blender_version_max = "6.0.0"`` (a new major may change Python):
  ``grc-<v>-blender5.1-windows_x64.zip``, ``grc-<v>-blender5.1-macos_arm64.zip``. No Linux
  zip: PyPI's only cp313 Linux x86_64 torch 2.13.0 is the CUDA build.
The small zip (``make build``, no wheels) keeps the committed manifest: no maximum.

Platforms without a CPU torch 2.13.0 wheel on PyPI are not built: linux-arm64 (PyPI's
aarch64 wheel is a CUDA build needing cuda-toolkit / nvidia-* packages) and macos-x64
(torch publishes no Intel macOS wheels since 2.2).
grc_blender/training/torch_check.py names the same zips in Blender's Train message
(tests/blender/test_versions.py checks the two agree).
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


@dataclass(frozen=True)
class Target:
    """The zips for one CPython that Blender releases use: a Blender range, the platforms
    where PyPI (or this disk) has a CPU torch wheel for it, and how the zips are named."""
    name: str                    # cp311, cp313
    python: str                  # "3.11": pip download --python-version
    blender_min: str             # the manifest's blender_version_min
    blender_max: str             # the manifest's blender_version_max (exclusive)
    platforms: tuple[str, ...]   # keys of PLATFORMS
    infix: str = ""              # zip name: grc-<version>[-<infix>]-<platform>.zip

    def zip_name(self, version: str, platform: str) -> str:
        mid = f"-{self.infix}" if self.infix else ""
        return f"grc-{version}{mid}-{platform.replace('-', '_')}.zip"

    def local_torch(self, platform: "Platform") -> Path | None:
        """A torch wheel on this disk to use instead of PyPI's (only cp311 linux-x64)."""
        return platform.local_torch if self.python == PYTHON_VERSION else None


TARGETS = {
    "cp311": Target("cp311", "3.11", "4.2.0", BLENDER_VERSION_MAX,
                    ("linux-x64", "windows-x64", "macos-arm64")),
    "cp313": Target("cp313", "3.13", "5.1.0", "6.0.0", ("windows-x64", "macos-arm64"),
                    infix="blender5.1"),
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


def pip_download(requirement: str, platform: Platform, dest: Path,
                 python: str = PYTHON_VERSION) -> None:
    cmd = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "-q",
           "--no-deps", "--only-binary=:all:", "--python-version", python,
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


def gather_wheels(platform: Platform, pins: list[tuple[str, str]],
                  target: Target | None = None) -> list[Path]:
    target = target or TARGETS["cp311"]
    # cp311 keeps the cache folder it always had (.cache/wheels/<platform>).
    cache = WHEEL_CACHE / platform.blender if target.name == "cp311" else \
        WHEEL_CACHE / target.name / platform.blender
    cache.mkdir(parents=True, exist_ok=True)
    wheels = []
    local = target.local_torch(platform)
    for name, version in pins:
        if canonical(name) == "torch" and local is not None:
            if not local.is_file():
                raise DistError(
                    f"the local torch CPU wheel {local} is missing; set GRC_TORCH_WHEEL_LINUX_X64 "
                    "to a torch==2.13.0+cpu manylinux x86_64 wheel (PyPI's is a CUDA build)")
            copy = cache / local.name
            if not copy.is_file() or copy.stat().st_size != local.stat().st_size:
                shutil.copy2(local, copy)
            wheel = copy
        else:
            wheel = find_wheel(cache, name, version)
            if wheel is None:
                log(f"  downloading {name}=={version} for {platform.blender}, Python {target.python}")
                pip_download(f"{name}=={version}", platform, cache, target.python)
                wheel = find_wheel(cache, name, version)
                if wheel is None:
                    raise DistError(f"pip download left no {name}=={version} wheel in {cache}")
        check_wheel(wheel, platform)
        wheels.append(wheel)
    return wheels


def generated_manifest(base: str, wheels: list[str], platforms: list[str],
                       target: Target | None = None) -> str:
    """The committed manifest plus wheels/platforms and the target's Blender range (top-level
    keys, inserted before the first table so TOML keeps them at the top level; the committed
    blender_version_min is replaced when the target starts later)."""
    target = target or TARGETS["cp311"]
    for key in ("wheels", "platforms", "blender_version_max"):
        if re.search(rf"(?m)^{key}\s*=", base):
            raise DistError(f"the committed manifest already sets {key}; dist.py generates it")
    min_line = re.compile(r'(?m)^blender_version_min\s*=\s*"([^"]*)"\s*$')
    found = min_line.search(base)
    if found is None:
        raise DistError("the committed manifest has no blender_version_min line")
    if _version(found.group(1)) > _version(target.blender_min):
        raise DistError(f"the committed blender_version_min {found.group(1)} is above "
                        f"{target.name}'s {target.blender_min}")
    base = min_line.sub(f'blender_version_min = "{target.blender_min}"', base, count=1)
    extra = ["", f"# --- generated by tools/dist.py for the {target.name} dist zips "
                 f"(Python {target.python}: Blender {target.blender_min} to below "
                 f"{target.blender_max}) ---",
             f'blender_version_max = "{target.blender_max}"',
             "platforms = [" + ", ".join(json.dumps(p) for p in platforms) + "]",
             "wheels = ["]
    extra += [f"  {json.dumps('./wheels/' + w)}," for w in wheels]
    extra += ["]", ""]
    m = re.search(r"(?m)^\[", base)
    cut = m.start() if m else len(base)
    return base[:cut].rstrip("\n") + "\n" + "\n".join(extra) + "\n" + base[cut:]


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split("."))


def stage(platforms: list[Platform], wheels_by_platform: dict[str, list[Path]],
          target: Target | None = None) -> Path:
    staging = STAGING / (target or TARGETS["cp311"]).name
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        (plain,) = bx.build(ROOT, Path(tmp), quiet=True)
        with zipfile.ZipFile(plain) as zf:
            zf.extractall(staging)
    wheel_dir = staging / "wheels"
    wheel_dir.mkdir()
    names: list[str] = []
    for platform in platforms:
        for wheel in wheels_by_platform[platform.blender]:
            if wheel.name not in names:
                shutil.copy2(wheel, wheel_dir / wheel.name)
                names.append(wheel.name)
    base = (ROOT / "blender_manifest.toml").read_text()
    manifest = generated_manifest(base, sorted(names), [p.blender for p in platforms], target)
    (staging / "blender_manifest.toml").write_text(manifest)
    return staging


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


def plan(target_names: list[str], platform_names: list[str] | None = None) -> list[tuple[Target, list[str]]]:
    """(target, its platforms to build) for the chosen targets, skipping empty ones."""
    out = []
    for name in target_names:
        target = TARGETS[name]
        chosen = [p for p in target.platforms if platform_names is None or p in platform_names]
        if chosen:
            out.append((target, chosen))
    return out


def print_plan(target_names: list[str], platform_names: list[str] | None = None) -> None:
    version = bx.read_manifest()["version"]
    log("| zip | Blender | Python | platform |\n| --- | --- | --- | --- |")
    log(f"| `grc-{version}.zip` (make build, no wheels) | {bx.read_manifest()['blender_version_min']} "
        "and later | any | any |")
    for target, platforms in plan(target_names, platform_names):
        for p in platforms:
            log(f"| `{target.zip_name(version, p)}` | {target.blender_min} to below "
                f"{target.blender_max} | {target.python} | {p} |")


def make_target(target: Target, platform_names: list[str],
                pins: list[tuple[str, str]]) -> list[tuple[str, Path, int]]:
    platforms = [PLATFORMS[n] for n in platform_names]
    wheels_by_platform = {}
    for platform in platforms:
        log(f"wheels for {platform.blender}, Python {target.python} ({target.name}):")
        wheels_by_platform[platform.blender] = gather_wheels(platform, pins, target)
        total = sum(w.stat().st_size for w in wheels_by_platform[platform.blender])
        torch_whl = next(w for w in wheels_by_platform[platform.blender]
                         if wheel_name(w.name) == "torch")
        log(f"  {len(pins)} wheels, {human(total)} (torch: {torch_whl.name})")
    staging = stage(platforms, wheels_by_platform, target)
    log(f"staged {staging.relative_to(ROOT)} with a generated manifest (Blender "
        f"{target.blender_min} to below {target.blender_max}); building with --split-platforms")
    version = bx.read_manifest()["version"]
    results = []
    with tempfile.TemporaryDirectory(prefix="grc-dist-") as tmp:
        zips = bx.build(staging, Path(tmp), split_platforms=True, quiet=True)
        for platform, built in zip(platforms, zips):
            wheels = check_dist_zip(built, platform, pins)
            bx.validate(built, quiet=True)
            DIST.mkdir(parents=True, exist_ok=True)
            zip_path = DIST / target.zip_name(version, platform.blender)
            shutil.move(str(built), zip_path)
            size = zip_path.stat().st_size
            results.append((platform.blender, zip_path, size))
            log(f"built {zip_path.relative_to(ROOT)}: {human(size)} ({size} bytes), "
                f"{len(wheels)} wheels, validated")
    return results


def make_dist(platform_names: list[str] | None = None,
              target_names: list[str] | None = None) -> list[tuple[str, Path, int]]:
    pins = read_pins()
    t0 = time.perf_counter()
    results = []
    for target, platforms in plan(target_names or list(TARGETS), platform_names):
        results += make_target(target, platforms, pins)
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
    os.environ["GRC_TRAINER"] = "torch"      # Train runs numpy unless torch is asked for
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
        make_dist([platform_name], ["cp311"])
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
    parser.add_argument("--target", action="append", choices=sorted(TARGETS),
                        help="build only these Python targets (repeatable; default: all)")
    parser.add_argument("--plan", action="store_true",
                        help="print the zips each target makes and their Blender ranges; build nothing")
    parser.add_argument("--check", action="store_true",
                        help="rebuild the linux-x64 zip, install + enable it in headless bpy, train once")
    parser.add_argument("--no-build", action="store_true",
                        help="with --check: use the existing linux-x64 zip as it is")
    args = parser.parse_args(argv)
    try:
        if args.check:
            return dist_check(rebuild=not args.no_build)
        if args.plan:
            print_plan(args.target or list(TARGETS), args.platform)
            return 0
        make_dist(args.platform, args.target)
    except (DistError, bx.BuildError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
