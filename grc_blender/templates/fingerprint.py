"""A cheap fingerprint of what a capture reads from a template, to flag templates edited since.

CRC32 over the mesh's rest positions and topology sizes, every shape key's positions and
name, the modifier stack (name, type, shown) and every keyframe of the template and of the
objects deforming it. It is computed by the viewport overlay on each redraw of a selected
template, so it reads arrays with foreach_get and nothing else: through the fast attribute
paths (`position`, `ShapeKey.points`) about 0.1 ms for a 32 x 32 template with 7 keys
(measured; `vertices` and `ShapeKey.data` take 1.3 ms).
Edits it cannot see (a modifier's settings, an armature's rest pose) are not flagged.
"""
from __future__ import annotations

import zlib

import numpy as np

from ..util import anim
from . import capture_frames


def _crc_array(crc: int, collection, attr: str, width: int) -> int:
    buf = np.empty(len(collection) * width, dtype=np.float32)
    collection.foreach_get(attr, buf)
    return zlib.crc32(buf.tobytes(), crc)


def _crc_keyframes(crc: int, id_data) -> int:
    for fc in anim.fcurves(id_data):
        crc = zlib.crc32(f"{fc.data_path}[{fc.array_index}]".encode(), crc)
        crc = _crc_array(crc, fc.keyframe_points, "co", 2)
    return crc


def template_fingerprint(obj) -> str:
    """Hex CRC32 of the template's geometry, shape keys, modifiers and animation."""
    mesh = obj.data
    crc = zlib.crc32(f"{len(mesh.vertices)},{len(mesh.edges)},{len(mesh.polygons)}".encode())
    pos = mesh.attributes.get("position")
    crc = (_crc_array(crc, pos.data, "vector", 3) if pos is not None
           else _crc_array(crc, mesh.vertices, "co", 3))
    keys = mesh.shape_keys
    for kb in (keys.key_blocks if keys is not None else ()):
        crc = zlib.crc32(kb.name.encode(), crc)
        # ShapeKey.points (4.1+) is the fast path; .data is the same points, slowly
        crc = _crc_array(crc, getattr(kb, "points", None) or kb.data, "co", 3)
    for mod in obj.modifiers:
        crc = zlib.crc32(f"{mod.name}|{mod.type}|{mod.show_viewport}".encode(), crc)
    for o in [obj, *capture_frames.dependencies(obj)]:
        for id_data in anim.animated_ids(o):
            crc = _crc_keyframes(crc, id_data)
    return f"{crc:08x}"
