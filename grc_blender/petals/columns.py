"""The per-petal values the frame path gathers: their column order, shared by live.py
(which reads them) and flower_rule.py (which turns a flower's Bloom into petal times)."""

FIELDS = ("is_petal", "rows", "cols", "time", "offset", "delay")   # then the slider fields
IS_PETAL, ROWS, COLS, TIME, OFFSET, DELAY = range(6)
CONTEXT = len(FIELDS)      # first slider field (model_core.context: one per dimension)

