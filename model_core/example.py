"""The bundled example: two petals opening from one shared closed bloom (seed, figure 3).

Both templates start from the same bud at time 0 and open two different ways: template 0
("Petal Open") flattens out wide with its tip turning down, template 1 ("Petal Cup") stays
cupped, narrower and longer, its tip curling up. Rows run base -> tip along +X, columns
across the petal along Y, Z is up (the seed's figure 2 layout, about 1 unit long).
"""
from __future__ import annotations

import numpy as np

from .templates import TemplateSet

# Shape parameters: closed bud, then each template's open shape.
_BUD = dict(length=0.55, width=0.07, tilt=1.35, curl=0.6, cup=2.2)
_OPEN = (
    dict(length=1.05, width=0.16, tilt=0.10, curl=-0.9, cup=0.35),   # "Petal Open"
    dict(length=1.20, width=0.10, tilt=0.55, curl=1.10, cup=1.60),   # "Petal Cup"
)
NAMES = ("Petal Open", "Petal Cup")


def _petal(params: dict[str, float], rows: int, cols: int) -> np.ndarray:
    """One petal grid (rows, cols, 3) from its shape parameters."""
    m = np.linspace(0.0, 1.0, rows)
    u = np.linspace(-1.0, 1.0, cols)
    # Centre line in the XZ plane: tangent angle starts at `tilt` and bends by `curl`.
    angle = params["tilt"] + params["curl"] * m
    ds = params["length"] / (rows - 1)
    step = np.stack([np.cos(angle), np.sin(angle)], axis=1) * ds
    centre = np.vstack([[0.0, 0.0], np.cumsum(step[:-1], axis=0)])
    # Half width: narrow base, widest past the middle, rounded tip.
    half = params["width"] * (0.35 + 1.6 * np.sin(np.pi * (0.08 + 0.8 * m)) * (0.4 + 0.6 * m))
    y = half[:, None] * u[None, :]
    # Cup: the edges rise along the local normal of the centre line.
    lift = params["cup"] * half[:, None] * u[None, :] ** 2
    nx, nz = -np.sin(angle), np.cos(angle)
    x = centre[:, 0:1] + lift * nx[:, None]
    z = centre[:, 1:2] + lift * nz[:, None]
    return np.stack([x, y, z], axis=-1)


def example_templates(times: int = 7, rows: int = 7, cols: int = 7) -> TemplateSet:
    """The example set: K=2 templates, `times` time indexes, rows x cols grids."""
    opening = np.linspace(0.0, 1.0, times)
    opening = opening * opening * (3.0 - 2.0 * opening)  # smoothstep: slow start, slow end
    coords = np.empty((2, times, rows, cols, 3))
    for k, target in enumerate(_OPEN):
        for t, s in enumerate(opening):
            params = {key: (1.0 - s) * _BUD[key] + s * target[key] for key in _BUD}
            coords[k, t] = _petal(params, rows, cols)
    return TemplateSet(coords, names=list(NAMES))
