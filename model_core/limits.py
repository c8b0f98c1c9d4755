"""Every limit model_core enforces, in one place (the Blender side imports these too).

Inputs beyond these are refused with a GRCError, never computed: they keep every later
product finite and a hostile file from making us allocate gigabytes.
"""
from __future__ import annotations

# ---- templates ---------------------------------------------------------------------------
MIN_TEMPLATES = 2          # a context needs two shapes to lie between
MAX_TEMPLATES = 8
MIN_TIMES = 2              # keyframes per template
MAX_TIMES = 256
MAX_GRID = 64              # rows or columns a TemplateSet accepts
GRID_MIN, GRID_MAX = 3, 32  # the grid sizes the add-on supports and documents
MAX_COORD = 1e9            # scene units; far beyond any petal

# ---- inference ---------------------------------------------------------------------------
MAX_ROWS = 256             # dense output rows per petal
DEFAULT_ROWS = 25          # rows a new petal is generated with
MAX_BATCH = 4096           # petals in one generate_many call
MAX_ABS_INPUT = 1e4        # |time|, |alpha|, |offset| beyond this are refused
CONTEXT_LIMIT = 1000.0     # the sliders' hard range (inside MAX_ABS_INPUT, so never refused)

# ---- the reconstruction target (percent of each template's bounding-box diagonal) ----------
TARGET_MEAN_PCT = 0.2      # mean vertex error of each generated template at each keyframe (its own diagonal)
TARGET_MAX_PCT = 1.0       # worst vertex (same)
# A keyframe smaller than this fraction of its template's overall diagonal (a petal that grows
# from a point) is judged against that fraction: its own diagonal may be zero.
KEYFRAME_DIAG_FLOOR = 0.1

# ---- stored payloads ---------------------------------------------------------------------
MAX_FILE_BYTES = 64 << 20      # a model or template archive; a real one is well under 1 MB
MAX_ARRAY_BYTES = 64 << 20     # all arrays of one archive together, uncompressed
MAX_WIDTH = 4096               # hidden layer width of a stored net (a trained one: TrainConfig.validate)
MAX_DEPTH = 8                  # hidden layers per stored net
MAX_WEIGHT = 1e6               # |weight| beyond this is not a trained model
MAX_JSON_DEPTH = 32            # nesting of a model's JSON header
