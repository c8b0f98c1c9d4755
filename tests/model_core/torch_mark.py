"""Test helper: `needs_torch`, the mark that skips (with a reason) a test needing torch."""
from __future__ import annotations

import importlib

import pytest


def _torch_importable() -> bool:
    try:
        importlib.import_module("torch")
    except ImportError:
        return False
    return True


HAS_TORCH = _torch_importable()
needs_torch = pytest.mark.skipif(not HAS_TORCH, reason="torch is not importable: this checks the torch trainer")
