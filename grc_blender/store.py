"""Captured templates and the trained model, kept inside the .blend as base64 .npz strings.

Safety: a .blend may come from a stranger. Payloads are decoded with base64 + np.load
(allow_pickle=False) and validated by model_core (TemplateSet, model_from_bytes); nothing
is unpickled or evaluated. Every failure becomes a GRCError with a message for the panel.

Each model lives on its own data-block (a Text, see models/); the functions here take that
data-block (None: no model). Caching: decoding a model on every frame would be wasteful, so
decoded models live in a module dict keyed by `grc_model.model_key` (sha1 of the payload
string, kept in step by the model_data update callback). The frame path reads only that short key. The cache holds
model_core objects only (never bpy data) and is dropped on load_post and undo/redo.
"""
from __future__ import annotations

import base64
import binascii
import hashlib

import numpy as np

from ..model_core import GRCError, GRCModel, TemplateSet, model_from_bytes, model_to_bytes
from ..model_core.archive import read_archive, write_archive
from ..model_core.limits import MAX_FILE_BYTES
from .access import model_settings
from .util.i18n import tip

# base64 of the largest archive model_core reads: refused before decoding, so a hostile
# file cannot make Blender allocate gigabytes.
MAX_PAYLOAD_CHARS = (MAX_FILE_BYTES * 4) // 3 + 4
_CAPTURED = ("coords", "times", "frames", "names")

_models: dict[str, GRCModel] = {}
_failures: dict[str, str] = {}


def payload_key(payload: str) -> str:
    return hashlib.sha1(payload.encode("ascii", "replace")).hexdigest() if payload else ""


def drop_caches() -> None:
    """Forget every decoded model (file load, undo, redo)."""
    _models.clear()
    _failures.clear()


def _decode_b64(payload: str, what: str) -> bytes:
    if len(payload) > MAX_PAYLOAD_CHARS:
        raise GRCError(f"the stored {what} is {len(payload):,} characters, far larger than any "
                       f"{what} this add-on writes; refusing to decode it")
    try:
        return base64.b64decode(payload.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise GRCError(f"the stored {what} is damaged (not valid base64)") from None


def encode_bytes(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# ---- model -------------------------------------------------------------------------------

def on_model_data_changed(settings) -> None:
    settings.model_key = payload_key(settings.model_data)


def set_model(datablock, model: GRCModel) -> None:
    """Store `model` in the model data-block (payload, key, summary, fidelity)."""
    g = model_settings(datablock)
    payload = encode_bytes(model_to_bytes(model))
    g.model_data = payload          # update callback sets model_key
    if g.model_key != payload_key(payload):  # e.g. callbacks suppressed
        g.model_key = payload_key(payload)
    _models[g.model_key] = model
    write_summary(g, model)


def write_summary(g, model: GRCModel) -> None:
    secs = model.meta.get("train_seconds")
    secs_txt = f" in {secs:.1f} s" if isinstance(secs, (int, float)) else ""
    layout = "Context in a row" if model.context_dims == 1 else f"{model.context_dims}-D Context"
    g.model_summary = (f"Trained on {model.n_templates} templates ({len(model.times)} "
                       f"keyframes, {model.n_rows} x {model.n_cols} grid, {layout}){secs_txt}")
    g.model_context_dims = model.context_dims
    g.fidelity.clear()
    for err in model.errors:
        item = g.fidelity.add()
        item.name = str(err.get("name", ""))
        for key in ("mean", "max", "mean_pct", "max_pct"):
            try:
                setattr(item, key, float(err.get(key, 0.0)))
            except (TypeError, ValueError):
                pass


def key_of(datablock) -> str:
    return "" if datablock is None else model_settings(datablock).model_key


def has_model(datablock) -> bool:
    """A model is stored and was not refused: reads only the short key (polls, redraws)."""
    key = key_of(datablock)
    return bool(key) and key not in _failures


def model_refusal(datablock) -> str:
    """The cached refusal of the model ('' if none or not decoded yet)."""
    return _failures.get(key_of(datablock), "")


def ensure_key(g) -> None:
    """Files written before the key existed: compute it once (load_post), never per frame."""
    if not g.model_key and g.model_data:
        g.model_key = payload_key(g.model_data)


NO_MODEL = "No trained model in this scene: capture templates and press Train first"


def require_model(datablock) -> GRCModel:
    """The model stored on `datablock`; GRCError with the artist's next step if there is
    none (or the stored one was refused)."""
    model = get_model(datablock)
    if model is None:
        raise GRCError(tip(NO_MODEL))
    return model


def get_model(datablock) -> GRCModel | None:
    """The model's decoded weights, None if there are none; GRCError if the payload is bad.
    Looks at the short key first: the payload string is read once per key only."""
    if datablock is None:
        return None
    g = model_settings(datablock)
    key = g.model_key
    if not key:
        return None
    model = _models.get(key)
    if model is not None:
        return model
    if key in _failures:
        raise GRCError(_failures[key])
    payload = g.model_data
    try:
        if payload_key(payload) != key:
            raise GRCError("the stored model does not match its checksum (damaged file)")
        model = model_from_bytes(_decode_b64(payload, "model"))
    except GRCError as exc:
        msg = f"Model '{datablock.name}': the stored model was refused: {exc}. Retrain to fix."
        _failures[key] = msg
        raise GRCError(msg) from None
    except Exception as exc:  # model_core should only raise GRCError; never crash the caller
        msg = (f"Model '{datablock.name}': the stored model was refused "
               f"({type(exc).__name__}: {exc}). Retrain to fix.")
        _failures[key] = msg
        raise GRCError(msg) from None
    _models[key] = model
    return model


# ---- captured templates ---------------------------------------------------------------------

class Captured:
    """Captured arrays as plain numpy: coords (K, T, R, C, 3), times (T,), frames (T,), names."""

    def __init__(self, coords: np.ndarray, times: np.ndarray, frames: np.ndarray, names: list[str]):
        self.coords, self.times, self.frames, self.names = coords, times, frames, names

    @property
    def shape(self) -> tuple[int, int, int, int]:
        k, t, r, c, _ = self.coords.shape
        return k, t, r, c

    def template_set(self, order: list[int] | None = None) -> TemplateSet:
        """Validated model_core.TemplateSet (GRCError on anything wrong, e.g. K < 2)."""
        idx = list(range(len(self.names))) if order is None else order
        return TemplateSet(self.coords[idx], times=self.times,
                           names=[self.names[i] for i in idx])

    def permuted(self, order: list[int]) -> "Captured":
        return Captured(self.coords[order], self.times, self.frames, [self.names[i] for i in order])


def encode_captured(cap: Captured) -> str:
    return encode_bytes(write_archive({
        "coords": np.asarray(cap.coords, dtype=np.float64),
        "times": np.asarray(cap.times, dtype=np.float64),
        "frames": np.asarray(cap.frames, dtype=np.float64),
        "names": np.array(cap.names, dtype=np.str_)}, compress=False))


def decode_captured(payload: str) -> Captured:
    """Decode and validate captured arrays (any K >= 1; training checks K >= 2)."""
    data = _decode_b64(payload, "templates")
    try:
        arrays = read_archive(data, "templates", len(_CAPTURED))
    except GRCError as exc:
        raise GRCError(f"the stored templates are damaged: {exc}") from None
    unknown = sorted(set(arrays) - set(_CAPTURED))
    if unknown:
        raise GRCError(f"the stored templates hold unexpected arrays {unknown[:5]}")
    missing = [k for k in _CAPTURED if k not in arrays]
    if missing:
        raise GRCError(f"the stored templates lack the '{missing[0]}' array")
    coords, times, frames, names = (arrays[k] for k in _CAPTURED)
    if coords.dtype.kind != "f" or coords.ndim != 5 or coords.shape[-1] != 3 or coords.shape[0] < 1:
        raise GRCError(f"the stored templates have a bad shape {coords.shape} ({coords.dtype})")
    k, t = coords.shape[:2]
    if names.dtype.kind != "U" or names.shape != (k,):
        raise GRCError("the stored template names are malformed")
    for arr, what in ((times, "times"), (frames, "frames")):
        if arr.dtype.kind != "f" or arr.shape != (t,) or not np.all(np.isfinite(arr)):
            raise GRCError(f"the stored template {what} are malformed")
    if not np.all(np.isfinite(coords)):
        raise GRCError("the stored templates contain non-finite coordinates")
    cap = Captured(coords.astype(np.float64), times.astype(np.float64),
                   frames.astype(np.float64), [str(n) for n in names])
    if k >= 2:
        cap.template_set()  # full model_core validation (shapes, sizes, increasing times)
    return cap


def get_captured(datablock) -> Captured | None:
    if datablock is None:
        return None
    payload = model_settings(datablock).captured
    return decode_captured(payload) if payload else None
