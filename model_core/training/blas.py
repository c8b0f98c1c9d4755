"""The numpy trainer's BLAS threads: `cfg.threads` (one by default) while it trains.

Its matrices are tiny (a batch of ~160 rows by 48-128 columns): more BLAS threads mostly
wait on each other and cost CPU time (docs/model.md, "The two trainers side by side").
numpy offers no switch, so this finds the OpenBLAS library numpy's wheels bundle and calls
its thread setter through ctypes (what threadpoolctl does), restoring the count after.
Where none is found (another BLAS, e.g. Accelerate), training runs unchanged.
"""
from __future__ import annotations

import contextlib
import ctypes
import functools
import glob
import os
from typing import Any, Iterator

import numpy as np

_SYMBOLS = [(f"{prefix}openblas_set_num_threads{suffix}", f"{prefix}openblas_get_num_threads{suffix}")
            for prefix in ("", "scipy_") for suffix in ("64_", "", "_64_")]


@functools.lru_cache(maxsize=None)
def _openblas() -> tuple[Any, Any] | None:
    """(set_num_threads, get_num_threads) of numpy's OpenBLAS, or None."""
    root = os.path.dirname(np.__file__)
    patterns = [os.path.join(root, "..", "numpy.libs", "*openblas*"), os.path.join(root, ".libs", "*openblas*"),
                os.path.join(root, ".dylibs", "*openblas*"),
                os.path.join(root, "..", "scipy_openblas*", "lib", "*openblas*")]
    for pattern in patterns:
        for path in sorted(glob.glob(pattern)):
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for set_name, get_name in _SYMBOLS:
                setter, getter = getattr(lib, set_name, None), getattr(lib, get_name, None)
                if setter is not None and getter is not None:
                    setter.argtypes, getter.restype = [ctypes.c_int], ctypes.c_int
                    return setter, getter
    return None


def blas_threads() -> int | None:
    """numpy's OpenBLAS thread count now (None when it cannot be read)."""
    found = _openblas()
    return None if found is None else int(found[1]())


@contextlib.contextmanager
def limited_blas_threads(threads: int) -> Iterator[None]:
    """At most `threads` BLAS threads inside the block; the previous count after it."""
    found = _openblas()
    if found is None:
        yield
        return
    setter, getter = found
    before = int(getter())
    setter(max(1, min(int(threads), before)))
    try:
        yield
    finally:
        setter(before)
