"""Background training: a worker thread that never touches bpy, polled from the main thread.

The worker gets a model_core.TemplateSet (numpy copies) and a TrainConfig, calls
model_core.train, and leaves the result on the job object; training.py, on the main
thread, copies progress into the scene and lands the result.

One training at a time (the machine has few cores and torch uses them). `stop()` cancels
and joins it; it runs on load_pre, on unregister and at interpreter exit.
"""
from __future__ import annotations

import atexit
import threading
import time
from typing import TYPE_CHECKING, Any

from ...model_core import GRCError, TrainingCancelled, train

if TYPE_CHECKING:
    from ...model_core import GRCModel

_job: "TrainingJob | None" = None


class TrainingJob:
    def __init__(self, model_uid: str, model_name: str, templates: Any, config: Any, seed: int,
                 token: str = "", captured_key: str = ""):
        # The result lands only in the model with this identity that holds this token, if
        # its captured templates still have this checksum.
        self.model_uid = model_uid
        self.model_name = model_name
        self.token = token
        self.captured_key = captured_key
        self.templates = templates
        self.config = config
        self.seed = seed
        self.cancel_event = threading.Event()
        self.finished = threading.Event()
        self._lock = threading.Lock()
        self._step, self._total = 0, 1
        self._losses: dict[str, float] = {}
        # The loss curve: (step, loss name, value), appended by the worker, read by index.
        self._history: list[tuple[int, str, float]] = []
        self.model: GRCModel | None = None
        self.error = ""
        self.cancelled = False
        self.started = time.perf_counter()
        self.thread = threading.Thread(target=self._run, name="GRC training", daemon=True)

    # -- worker thread (no bpy in here) --
    def _progress(self, step: int, total: int, losses: dict) -> None:
        with self._lock:
            self._step, self._total, self._losses = int(step), max(int(total), 1), dict(losses)
            self._history.extend((int(step), str(k), float(v)) for k, v in sorted(losses.items())
                                 if isinstance(v, (int, float)))

    def _run(self) -> None:
        try:
            self.model = train(self.templates, config=self.config, seed=self.seed,
                               progress=self._progress, cancel=self.cancel_event)
        except TrainingCancelled:
            self.cancelled = True
        except GRCError as exc:
            self.error = str(exc)
        except Exception as exc:  # report, never crash Blender from a thread
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.finished.set()

    # -- main thread --
    def start(self) -> None:
        self.thread.start()

    def run_here(self) -> None:
        """Train synchronously on the calling thread (scripts, background mode): the same
        code the worker thread runs."""
        self._run()

    def snapshot(self) -> tuple[int, int, dict]:
        with self._lock:
            return self._step, self._total, dict(self._losses)

    def history(self, start: int = 0) -> list[tuple[int, str, float]]:
        """Loss-curve points from index `start` on: (step, loss name, value)."""
        with self._lock:
            return self._history[start:]


def current() -> TrainingJob | None:
    return _job


def is_running() -> bool:
    return _job is not None and not _job.finished.is_set()


def start(job: TrainingJob) -> TrainingJob:
    """Make `job` the running training and start its thread."""
    global _job
    if is_running():
        raise RuntimeError("a GRC training is already running")
    _job = job
    job.start()
    return job


def cancel() -> bool:
    job = _job
    if job is not None and not job.finished.is_set():
        job.cancel_event.set()
        return True
    return False


def release(job: TrainingJob) -> None:
    """Forget a finished job (its result has been applied or dropped)."""
    global _job
    if _job is job:
        _job = None


def stop(timeout: float = 10.0) -> None:
    """Cancel and join the running training (load_pre, unregister, exit)."""
    global _job
    job = _job
    if job is None:
        return
    job.cancel_event.set()
    if job.thread.is_alive():
        job.thread.join(timeout)
    _job = None


atexit.register(stop, 5.0)
