"""Long messages wrapped to the sidebar's width (Blender cuts a label at the region edge).

`wrap_lines(text, width_px, ui_scale)` is pure (tested); `label(layout, context, text,
icon)` lays one label per line, the icon on the first line only.
"""
from __future__ import annotations

import textwrap
from typing import Any

CHAR_PX = 6.5        # average width of one character of Blender's UI font at 1x scale
MARGIN_PX = 40       # panel margins, the icon, and the scroll bar
MIN_CHARS = 16


def chars_per_line(width_px: float, ui_scale: float = 1.0) -> int:
    scale = ui_scale if ui_scale and ui_scale > 0 else 1.0
    return max(MIN_CHARS, int((width_px - MARGIN_PX * scale) / (CHAR_PX * scale)))


def wrap_lines(text: str, width_px: float, ui_scale: float = 1.0) -> list[str]:
    """`text` split into lines that fit `width_px` (paragraphs split at newlines)."""
    width = chars_per_line(width_px, ui_scale)
    out: list[str] = []
    for para in str(text).splitlines() or [""]:
        out.extend(textwrap.wrap(para, width, break_on_hyphens=False,
                                   break_long_words=False) or [""])
    return out


def region_width(context: Any) -> tuple[float, float]:
    """(width in pixels, UI scale) of the context's region (300 px, 1x when unknown)."""
    region = getattr(context, "region", None)
    prefs = getattr(context, "preferences", None)
    scale = getattr(getattr(prefs, "system", None), "ui_scale", 1.0) or 1.0
    width = getattr(region, "width", 0) or 300
    return float(width), float(scale)


def label(layout: Any, context: Any, text: str, icon: str = 'NONE') -> None:
    """One label per wrapped line (already-translated text: no second translation)."""
    width, scale = region_width(context)
    col = layout.column(align=True)
    for i, line in enumerate(wrap_lines(text, width, scale)):
        col.label(text=line, icon=icon if i == 0 else 'NONE', translate=False)
