"""Enabling the extension is fast and imports no torch (fresh process)."""
from __future__ import annotations

from blender_helpers import PACKAGE, run_fresh_python

# CPU time of the enable call (time.process_time): on this shared 2-core machine the wall time
# grows with the other jobs' load (0.30 - 0.45 s seen at load 5 for 0.2 s of CPU). Measured
# on 2026-11-29 with the fields and models rooms: 0.17 - 0.20 s on Blender 5.0, 0.34 - 0.37 s
# on 4.2 (the least of three fresh processes, CI on a loaded machine): the limit leaves 4.2
# room and still fails an enable that imports torch (seconds) or builds anything heavy.
ENABLE_LIMIT_S = 0.5


def _enable_in_a_fresh_process() -> dict:
    return run_fresh_python(f"""
import json, sys, time
import bpy, addon_utils
assert "torch" not in sys.modules
t0, c0 = time.perf_counter(), time.process_time()
mod = addon_utils.enable({PACKAGE!r}, default_set=True)
seconds, wall = time.process_time() - c0, time.perf_counter() - t0
ok = mod is not None and {PACKAGE!r} in bpy.context.preferences.addons
t1 = time.perf_counter()
addon_utils.disable({PACKAGE!r}, default_set=True)
off = time.perf_counter() - t1
handlers = sum(1 for h in bpy.app.handlers.frame_change_post if "grc" in getattr(h, "__module__", ""))
print("RESULT " + json.dumps(dict(seconds=seconds, wall=wall, ok=ok, torch="torch" in sys.modules,
                                  disable_seconds=off, handlers_left=handlers,
                                  scene_prop=hasattr(bpy.types.Scene, "grc"))))
""")


def test_enable_is_fast_and_torch_free():
    # The least CPU time of up to three fresh processes: the enable's own cost, without
    # what other jobs on a shared machine add to one run (cache and frequency effects).
    runs = []
    for _ in range(3):
        runs.append(_enable_in_a_fresh_process())
        if runs[-1]["seconds"] < ENABLE_LIMIT_S:
            break
    result = min(runs, key=lambda r: r["seconds"])
    assert result["ok"]
    assert not result["torch"], "enabling the extension imported torch"
    assert result["seconds"] < ENABLE_LIMIT_S, result
    assert result["handlers_left"] == 0 and not result["scene_prop"], result
