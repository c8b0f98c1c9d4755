"""Is torch importable in this Blender? Answered without importing it (enable stays fast).

`importlib.util.find_spec` finds the package on sys.path (the per-platform zips bundle it
as a wheel Blender installs next to the extension); its version comes from the wheel's
metadata. The answer is cached: polls ask on every redraw. `refresh()` forgets it.
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform
import sys
import tomllib
from functools import lru_cache
from pathlib import Path

from ...model_core.config import TrainConfig
from ..util.i18n import tip

MANIFEST = Path(__file__).resolve().parents[2] / "blender_manifest.toml"
# The platform zips README "Install in Blender" lists (`make dist`), by (sys.platform, machine).
PLATFORMS = {("linux", "x86_64"): "linux_x64", ("win32", "amd64"): "windows_x64",
             ("darwin", "arm64"): "macos_arm64"}
# The zips that bundle torch, by the Python they were built for (tools/dist.py TARGETS; each
# zip's manifest takes only the Blender releases running that Python): name infix, platforms.
# Python 3.11 = Blender 4.2 - 5.0; 3.13 = Blender 5.1+, where PyPI has no CPU torch for Linux.
TORCH_ZIPS = {(3, 11): ("", ("linux_x64", "windows_x64", "macos_arm64")),
              (3, 13): ("blender5.1-", ("windows_x64", "macos_arm64"))}


def version() -> str:
    try:
        return str(tomllib.loads(MANIFEST.read_text(encoding="utf-8"))["version"])
    except (OSError, KeyError, ValueError):
        return "<version>"


def torch_zip_for(python: tuple[int, int], tag: str) -> str:
    """The zip bundling torch for this Python and platform tag, or '' when none is built."""
    infix, tags = TORCH_ZIPS.get((python[0], python[1]), ("", ()))
    return f"grc-{version()}-{infix}{tag}.zip" if tag in tags else ""


def torch_zip() -> str:
    """The zip that bundles torch for this Blender (its Python) and machine, or '' when none
    is built: never a zip this Blender refuses (the README's Install table)."""
    tag = PLATFORMS.get((sys.platform, platform.machine().lower()), "")
    return torch_zip_for((sys.version_info[0], sys.version_info[1]), tag)


def fix() -> str:
    """Why Train is unavailable without torch, and the fix."""
    zip_name = torch_zip()
    if not zip_name:
        return tip("Train needs PyTorch, which this install lacks, and no GRC zip bundles it for "
                   "this Blender on this platform (README, Blender versions). Petals and stored "
                   "models work without it")
    return tip("Train needs PyTorch, which this install lacks: install {zip} (torch bundled; "
               "README, Install) in place of grc-{version}.zip. Petals and stored models work "
               "without it").format(zip=zip_name, version=version())


def training_available() -> bool:
    """Can Train run here? model_core trains with its numpy trainer unless $GRC_TRAINER asks
    for torch (model_core/training/run.py): always, unless torch is asked for and missing.
    Answered without importing torch."""
    return torch_available() or os.environ.get("GRC_TRAINER", "").strip().lower() != "torch"


@lru_cache(maxsize=1)
def torch_available() -> bool:
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):   # a broken or blocked install counts as missing
        return False


@lru_cache(maxsize=1)
def torch_version() -> str:
    """torch's version from its metadata ('' when it is missing or has none)."""
    if not torch_available():
        return ""
    try:
        return importlib.metadata.version("torch")
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return "unknown version"


def training_threads() -> int:
    """CPU threads one training uses (TrainConfig.threads: small nets run fastest on one)."""
    return int(TrainConfig().threads)


def cpu_count() -> int:
    return int(os.cpu_count() or 1)


def refresh() -> None:
    torch_available.cache_clear()
    torch_version.cache_clear()
