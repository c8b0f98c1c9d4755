"""Training presets on the Blender side: Scene.grc.preset writes the Advanced settings.

The values come from model_core.presets (derived from TrainConfig's defaults and the
reconstruction target). Choosing a preset, or editing any setting, marks the scene's
settings as chosen; until then the add-on preferences' default preset applies to the scene
at its first capture (`apply_default`).
"""
from __future__ import annotations

from typing import Any

from ...model_core import presets as core
from .settings import uses_article_procedure

DEFAULT = core.DEFAULT
ENUM_ITEMS = [
    ("FAST", "Fast", "Half the steps at most, stopping at looser errors: a first look"),
    ("BALANCED", "Balanced", "The default training: meets the reconstruction target on "
                             "typical petals in seconds"),
    ("FAITHFUL", "Faithful", "Twice the steps, stopping only well inside the "
                             "reconstruction target, with more detail between keyframes: "
                             "closest to the templates, slowest to train and to play back"),
]
assert tuple(item[0] for item in ENUM_ITEMS) == core.NAMES


def values(name: str) -> dict[str, Any]:
    """The settings preset `name` writes (Scene.grc field -> value)."""
    return core.preset_values(name)


def apply(settings: Any, name: str) -> None:
    """Write preset `name` into a Scene.grc (the Advanced settings follow)."""
    for field, value in values(name).items():
        if getattr(settings, field) != value:
            setattr(settings, field, value)
    mark_chosen(settings)


def mark_chosen(settings: Any) -> None:
    if not settings.preset_chosen:
        settings.preset_chosen = True


def matches(settings: Any, name: str) -> bool:
    """The scene's settings are still the preset's (float settings to float32 precision)."""
    for field, value in values(name).items():
        have = getattr(settings, field)
        if isinstance(value, float):
            if abs(have - value) > 1e-6 * max(abs(value), 1e-12):
                return False
        elif have != value:
            return False
    return not uses_article_procedure(settings)


def apply_default(settings: Any, name: str) -> bool:
    """A scene whose settings were never chosen, and still are TrainConfig's defaults,
    takes the preferences' default preset (True if it did). Settings edited in a file made
    before presets existed (no "chosen" mark) differ from the defaults: they are kept."""
    if settings.preset_chosen or name not in core.NAMES or not matches(settings, DEFAULT):
        return False
    settings.preset = name      # its update callback writes the values
    apply(settings, name)       # also when the enum already held `name` (no update then)
    return True
