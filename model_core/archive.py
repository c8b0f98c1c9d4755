"""The one safe reader and writer of .npz archives (models and template sets alike).

An archive may come from a stranger (a downloaded .blend carries one), so reading checks
the byte size, the member count and every member's .npy header (no Python objects, a
bounded total size) before any array is decoded, and np.load runs with allow_pickle=False.
Every failure is a GRCError that names `what` was being read.
"""
from __future__ import annotations

import io
import zipfile

import numpy as np

from .errors import GRCError
from .limits import MAX_ARRAY_BYTES, MAX_FILE_BYTES


def write_archive(arrays: dict[str, np.ndarray], compress: bool = True) -> bytes:
    """Plain arrays -> .npz bytes (no object arrays are written, so none need unpickling)."""
    for name, a in arrays.items():
        if np.asarray(a).dtype.hasobject:
            raise GRCError(f"array '{name}' holds Python objects: not written")
    buf = io.BytesIO()
    if compress:
        np.savez_compressed(buf, **arrays)
    else:
        np.savez(buf, **arrays)
    return buf.getvalue()


def _check_headers(data: bytes, what: str, max_arrays: int) -> None:
    """Read only each member's .npy header: a small compressed file must not be able to make
    us allocate gigabytes (a "zip bomb") before its shapes are checked."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = zf.infolist()
        if len(members) > max_arrays:
            raise GRCError(f"{what} file holds far more arrays than any GRC {what}")
        total = 0
        for info in members:
            with zf.open(info) as fh:
                version = np.lib.format.read_magic(fh)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
                elif version == (2, 0):
                    shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
                else:
                    raise GRCError(f"{what} array '{info.filename}' has an unsupported .npy version")
            if dtype.hasobject:
                raise GRCError(f"{what} array '{info.filename}' holds Python objects: refused")
            total += int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            if total > MAX_ARRAY_BYTES:
                raise GRCError(f"{what} file's arrays hold over {MAX_ARRAY_BYTES >> 20} MB: "
                               f"far larger than any GRC {what}")


def read_archive(data: bytes, what: str, max_arrays: int) -> dict[str, np.ndarray]:
    """Checked .npz bytes -> {name: array} (at most `max_arrays` of them)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise GRCError(f"{what} data must be bytes")
    if len(data) > MAX_FILE_BYTES:
        raise GRCError(f"{what} data is {len(data)} bytes, far larger than any GRC {what}")
    raw = bytes(data)
    try:
        _check_headers(raw, what, max_arrays)
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except GRCError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise GRCError(f"not a readable GRC {what} file ({type(exc).__name__}: {exc})") from None


def read_file(path: str, what: str) -> bytes:
    """A file's bytes, at most MAX_FILE_BYTES + 1 of them (read_archive refuses more)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise GRCError(f"cannot read {what} file {path!r}: no such file") from None
    except OSError as exc:
        raise GRCError(f"cannot read {what} file {path!r}: {exc.strerror or exc}") from None
