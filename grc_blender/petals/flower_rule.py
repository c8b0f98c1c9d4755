"""How a flower root's Bloom and Context become its petals' time and context.

A petal parented to a flower root takes its time from the root's Bloom after its own
delay, clamped to 0..1: time = clamp((bloom - delay) / (1 - delay)), so Bloom 0 is the
closed bud and Bloom 1 the open flower for every petal; the root's context values are added
to the petal's own. petals.py applies it to the values it gathered, in whichever depsgraph.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .columns import CONTEXT, DELAY, TIME


def apply(values: np.ndarray, parents: list, evaluated: Callable, depsgraph,
          fields: tuple[str, ...]) -> tuple[list, np.ndarray]:
    """Petals parented to a flower root take their time from its Bloom (after their own
    delay, clamped to 0..1) and add its Context to theirs, in place. Returns the roots
    found and, per petal, the index of its root among them (-1: not in a flower)."""
    root_of = np.full(len(parents), -1, dtype=np.int64)
    at: dict[int, int] = {}
    rows: list[int] = []
    index: list[int] = []
    found: list = []
    for i, parent in enumerate(parents):
        if parent is None:
            continue
        ptr = parent.as_pointer()
        j = at.get(ptr)
        if j is None:
            if not parent.grc.is_flower:
                at[ptr] = -1
                continue
            j = at[ptr] = len(found)
            found.append(parent)
        if j >= 0:
            rows.append(i)
            index.append(j)
    if not found:
        return found, root_of
    ev = evaluated(found, depsgraph)
    root = np.array([(g.bloom, *(getattr(g, f) for f in fields)) for g in (r.grc for r in ev)],
                    dtype=np.float64)[index]
    sel = np.array(rows)
    delay = values[sel, DELAY]
    values[sel, TIME] = np.clip((root[:, 0] - delay) / (1.0 - delay), 0.0, 1.0)
    values[sel, CONTEXT:] += root[:, 1:]
    root_of[sel] = index
    return found, root_of
