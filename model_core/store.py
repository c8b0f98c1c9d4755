"""GRCModel <-> plain float32 arrays + JSON metadata in an .npz. No pickle, ever.

A model file may come from a stranger (a downloaded .blend carries one), so loading
checks the format version, every array's name, shape, dtype and values, and refuses
anything else with a GRCError. np.load runs with allow_pickle=False.
"""
from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from .archive import read_archive, read_file, write_archive
from .context import check_dims
from .errors import GRCError
from .infer import GRCModel
from .limits import (MAX_DEPTH, MAX_FILE_BYTES, MAX_GRID, MAX_JSON_DEPTH, MAX_TEMPLATES,
                     MAX_TIMES, MAX_WEIGHT, MAX_WIDTH)
from .nets import Layers, NetSizes, layer_shapes

FORMAT = "grc-model"
FORMAT_VERSION = 1
MAX_ARRAYS = 4 * (MAX_TEMPLATES + 2) * (MAX_DEPTH + 1) + 8

__all__ = ["model_to_arrays", "model_to_bytes", "model_from_bytes", "save_model", "load_model",
           "MAX_FILE_BYTES", "FORMAT", "FORMAT_VERSION"]


def _net_arrays(prefix: str, layers: Layers) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for i, (w, b) in enumerate(layers):
        out[f"{prefix}.w{i}"] = np.asarray(w, dtype=np.float32)
        out[f"{prefix}.b{i}"] = np.asarray(b, dtype=np.float32)
    return out


def model_to_arrays(model: GRCModel) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    for k, net in enumerate(model.template_nets):
        arrays.update(_net_arrays(f"template{k}", net))
    arrays.update(_net_arrays("relational", model.relational))
    arrays.update(_net_arrays("generative", model.generative))
    arrays["times"] = np.asarray(model.times, dtype=np.float64)
    arrays["morphs"] = np.asarray(model.morphs, dtype=np.float64)
    arrays["centre"] = np.asarray(model.centre, dtype=np.float64)
    header = {"format": FORMAT, "format_version": FORMAT_VERSION, "n_templates": model.n_templates,
              "n_rows": model.n_rows, "n_cols": model.n_cols, "context_dims": model.context_dims,
              "scale": float(model.scale), "names": list(model.names),
              "hidden": {"template": _hidden(model.template_nets[0]),
                         "relational": _hidden(model.relational),
                         "generative": _hidden(model.generative)},
              "meta": model.meta}
    arrays["meta_json"] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    return arrays


def _hidden(layers: Layers) -> list[int]:
    return [int(w.shape[1]) for w, _ in layers[:-1]]


def model_to_bytes(model: GRCModel) -> bytes:
    return write_archive(model_to_arrays(model))


def save_model(model: GRCModel, path: str) -> None:
    data = model_to_bytes(model)
    # Write then rename: a crash mid-write never leaves a half-written model behind.
    tmp = f"{path}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


# ---- loading ---------------------------------------------------------------------------

def _int(header: dict[str, Any], key: str, lo: int, hi: int) -> int:
    v = header.get(key)
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise GRCError(f"model metadata '{key}' must be an integer in [{lo}, {hi}], got {v!r}")
    return v


def _widths(header: dict[str, Any], name: str) -> list[int]:
    hidden = header.get("hidden")
    widths = hidden.get(name) if isinstance(hidden, dict) else None
    if (not isinstance(widths, list) or not 1 <= len(widths) <= MAX_DEPTH
            or not all(isinstance(w, int) and not isinstance(w, bool) and 1 <= w <= MAX_WIDTH
                       for w in widths)):
        raise GRCError(f"model metadata gives invalid hidden sizes for the {name} network")
    return widths


def _take(arrays: dict[str, np.ndarray], key: str, shape: tuple[int, ...],
          dtype: Any = np.float32) -> np.ndarray:
    if key not in arrays:
        raise GRCError(f"model file is missing array '{key}'")
    a = arrays.pop(key)
    if a.dtype != np.dtype(dtype):
        raise GRCError(f"model array '{key}' has dtype {a.dtype}, expected {np.dtype(dtype)}")
    if a.shape != shape:
        raise GRCError(f"model array '{key}' has shape {a.shape}, expected {shape}")
    if not np.all(np.isfinite(a)):
        raise GRCError(f"model array '{key}' contains NaN or infinite values")
    return a


def _take_net(arrays: dict[str, np.ndarray], prefix: str, sizes: list[int]) -> Layers:
    layers: Layers = []
    for i, (wshape, bshape) in enumerate(layer_shapes(sizes)):
        w = _take(arrays, f"{prefix}.w{i}", wshape).astype(np.float64)
        b = _take(arrays, f"{prefix}.b{i}", bshape).astype(np.float64)
        if np.abs(w).max(initial=0) > MAX_WEIGHT or np.abs(b).max(initial=0) > MAX_WEIGHT:
            raise GRCError(f"model network '{prefix}' has weights beyond {MAX_WEIGHT:g}: not a trained model")
        layers.append((w, b))
    return layers


def _increasing(a: np.ndarray, what: str) -> np.ndarray:
    if np.any(np.diff(a) <= 0) or np.abs(a).max() > 1e9:
        raise GRCError(f"model {what} must be strictly increasing and of sensible size")
    return a


def model_from_bytes(data: bytes) -> GRCModel:
    """Decode and validate a model; GRCError for anything that is not one of ours."""
    return _model_from_arrays(read_archive(data, "model", MAX_ARRAYS))


def _depth(obj: Any) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(obj, 1)]
    while stack:
        node, d = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, d)
            if d > MAX_JSON_DEPTH:
                break
            stack.extend((v, d + 1) for v in (node.values() if isinstance(node, dict) else node))
    return deepest


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _check_meta(meta: Any) -> dict[str, Any]:
    """The training record: free-form for the future, but the fields readers use are typed."""
    if not isinstance(meta, dict):
        raise GRCError("model metadata 'meta' must be an object")
    kinds = {"config": dict, "errors": list, "context_range": list, "identical_templates": list}
    for key, kind in kinds.items():
        if key in meta and not isinstance(meta[key], kind):
            raise GRCError(f"model metadata 'meta.{key}' must be a{'n object' if kind is dict else ' list'}")
    for key in ("seed", "steps_done"):
        if key in meta and not (isinstance(meta[key], int) and not isinstance(meta[key], bool)):
            raise GRCError(f"model metadata 'meta.{key}' must be an integer")
    if "train_seconds" in meta and not _number(meta["train_seconds"]):
        raise GRCError("model metadata 'meta.train_seconds' must be a number")
    for e in meta.get("errors", []):
        if not (isinstance(e, dict) and isinstance(e.get("name"), str)
                and all(_number(e.get(f)) for f in ("mean", "max", "mean_pct", "max_pct"))):
            raise GRCError("model metadata 'meta.errors' must list one error record per template")
    return meta


def _model_from_arrays(arrays: dict[str, np.ndarray]) -> GRCModel:
    raw = arrays.pop("meta_json", None)
    if raw is None or raw.dtype != np.uint8 or raw.ndim != 1:
        raise GRCError("model file has no metadata: not a GRC model")
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GRCError(f"model metadata is not valid JSON: {exc}") from None
    except RecursionError:
        raise GRCError(f"model metadata is nested deeper than {MAX_JSON_DEPTH} levels") from None
    if _depth(header) > MAX_JSON_DEPTH:
        raise GRCError(f"model metadata is nested deeper than {MAX_JSON_DEPTH} levels")
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise GRCError("metadata does not describe a GRC model")
    if header.get("format_version") != FORMAT_VERSION:
        raise GRCError(f"unknown model format version {header.get('format_version')!r}; "
                       f"this extension reads version {FORMAT_VERSION}: update the extension or retrain")
    k = _int(header, "n_templates", 2, MAX_TEMPLATES)
    r = _int(header, "n_rows", 2, MAX_GRID)
    c = _int(header, "n_cols", 2, MAX_GRID)
    try:
        d = check_dims(header.get("context_dims"))
    except GRCError as exc:
        raise GRCError(f"model metadata 'context_dims': {exc}") from None
    scale = header.get("scale")
    if not isinstance(scale, (int, float)) or isinstance(scale, bool) or not 0 < scale < 1e9:
        raise GRCError(f"model metadata 'scale' must be a positive number, got {scale!r}")
    names = header.get("names")
    if not isinstance(names, list) or len(names) != k or not all(isinstance(n, str) for n in names):
        raise GRCError("model metadata 'names' must list one name per template")
    meta = _check_meta(header.get("meta", {}))
    times = arrays.get("times")
    if times is None or times.ndim != 1 or not 2 <= times.shape[0] <= MAX_TIMES:
        raise GRCError("model file has no valid 'times' array")
    times = _increasing(_take(arrays, "times", times.shape, np.float64), "times")
    morphs = _increasing(_take(arrays, "morphs", (r,), np.float64), "morphs")
    centre = _take(arrays, "centre", (3,), np.float64)
    sizes = NetSizes(tuple(_widths(header, "template")), tuple(_widths(header, "relational")),
                     tuple(_widths(header, "generative")))
    templates = [_take_net(arrays, f"template{i}", sizes.template_sizes(c)) for i in range(k)]
    relational = _take_net(arrays, "relational", sizes.relational_sizes(c, d))
    generative = _take_net(arrays, "generative", sizes.generative_sizes(c, d))
    if arrays:
        raise GRCError(f"model file holds unexpected arrays: {sorted(arrays)[:5]}")
    if np.abs(centre).max() > 1e9:
        raise GRCError("model normalisation centre is out of range")
    return GRCModel(templates, relational, generative, times, morphs, centre, float(scale),
                    c, d, names, meta)


def load_model(path: str) -> GRCModel:
    return model_from_bytes(read_file(path, "model"))
