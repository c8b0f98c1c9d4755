"""What both trainers share, in numpy only: the data, the schedule, the pool's batches,
progress and the finished model's record. The torch trainer (trainer.py, torch_nets.py)
and the numpy trainer (np_trainer.py) run the same math on these.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from threading import Event
from typing import Any, Callable

import numpy as np

from ..config import TrainConfig
from ..errors import GRCError, TrainingCancelled
from ..fidelity import meets, reconstruction_errors
from ..infer import GRCModel, relational_grid
from ..limits import KEYFRAME_DIAG_FLOOR, TARGET_MAX_PCT, TARGET_MEAN_PCT
from ..nets import Layers, float32_layers
from ..templates import TemplateSet, rows_layout
from .inbetweens import shapes_at_morphs, shapes_at_times

Progress = Callable[[int, int, dict[str, float]], None]
NORM_GRID = 2.0 ** 20     # relational_data rounds the normalised rows to multiples of 1 / NORM_GRID


def lr_factor(cfg: TrainConfig, step: int, total: int) -> float:
    """The rate's factor at `step` of `total`: cosine decay to 1 % (or 1 without decay)."""
    if not cfg.lr_decay:
        return 1.0
    return 0.01 + 0.99 * 0.5 * (1.0 + math.cos(math.pi * step / total))


class Reporter:
    """Throttles progress callbacks, checks cancellation and catches divergence.

    Losses are read (a tensor -> float conversion) only on reporting steps, about 200
    times a training, not every step."""

    def __init__(self, total: int, progress: Progress | None, cancel: Event | None):
        self.total, self.progress, self.cancel = total, progress, cancel
        self.every = max(1, total // 200)

    def due(self, step: int) -> bool:
        return step % self.every == 0

    def __call__(self, step: int, losses: dict[str, float]) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise TrainingCancelled("training was cancelled")
        if not all(math.isfinite(v) for v in losses.values()):
            raise GRCError(f"training diverged at step {step} (loss became non-finite); "
                           "lower the learning rates and train again")
        if self.progress is not None:
            self.progress(step, self.total, losses)


def relational_data(ts: TemplateSet) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """(centre, scale, normalised rows (K, T*R, 3C), relational inputs (T*R, 2) in [-1, 1]).

    The normalised rows are rounded to multiples of 2^-20 (1e-6 of the petal's half size,
    far below the 0.2 % target): the same petals in other units or placed elsewhere then
    normalise to the same bits, where the float64 division alone differs in the last bits
    and training, which amplifies rounding, would end elsewhere."""
    k, t, r, c = ts.shape
    centre, scale = ts.normalisation()
    norm = np.round((ts.coords - centre) / scale * NORM_GRID) / NORM_GRID
    norm_rows = rows_layout(norm).reshape(k, t * r, 3 * c)
    rel_in = relational_grid(ts.times, ts.morphs, ts.times, ts.morphs).reshape(t * r, 2)
    return centre, scale, norm_rows, rel_in


def keyframe_units(ts: TemplateSet, scale: float) -> np.ndarray:
    """1 % of each keyframe's diagonal in the normalised units the networks see, (K, T):
    the reconstruction target's yardstick for the generative refit."""
    return ts.keyframe_diagonals() / (100.0 * scale)


@dataclass(frozen=True)
class RefitPlan:
    """What one generative refit tries (refit.refit_to_target): how many of the pool
    weights, the slacks the rows between keyframes are held at in turn (0: the keyframes
    alone), and whether
    its rounds end early where the score stays far from the stop (a check's refit), and
    whether it solves over the rescue's fixed units (TrainConfig.rescue_fixed_units)."""
    scales: int
    rows: tuple[float, ...]
    check: bool = True
    rescue: bool = False

    def give_up(self, good: float) -> float:
        """The score past which the refit's rounds end early (refit._rounds)."""
        return GIVE_UP * good if self.check else math.inf


# Where the in-betweens cannot be held to the target with the keyframes, they are held
# this x more loosely before they are let go (a narrow layer on sparse keyframes of a
# petal that turns far between them; bench/heldout.py).
RELAXED = 2.0
CHECK_BALANCED = RefitPlan(1, (1.0,))            # a check: keyframes and in-betweens, the most pool weight
CHECK_KEYFRAMES = RefitPlan(1, (RELAXED, 0.0))   # a check near the stop: in-betweens loosely, then keyframes alone
FINAL = RefitPlan(3, (1.0, RELAXED, 0.0), check=False)  # after the last step: everything, in turn, every round
RESCUE = RefitPlan(3, (1.0, RELAXED, 0.0), check=False, rescue=True)   # as FINAL, where it ends short of the target
NEAR_STOP = 1.5     # a check tries the keyframes alone only within this x the stop
# A check's refit whose score is still above this x the stop after refit.GIVE_UP_ROUND rounds
# ends its rounds: meeting the stop would take the later rounds a 60 % drop (NEAR_STOP 40 %),
# and on the benchmark they lowered a score by at most about a quarter.
GIVE_UP = 2.5


def refit_pool_plan(cfg: TrainConfig) -> tuple[float, tuple[float, ...], float]:
    """The generative refit's pool weights: (the largest, the scales of it to try in turn,
    the target score that is good enough: the early stop's). The refit keeps the most pool
    weight, of refit_smooth_weight, the geometric mean and refit_pool_weight, that still
    meets the stop (refit.refit_to_target)."""
    low = float(cfg.refit_pool_weight)
    top = max(low, float(cfg.refit_smooth_weight))
    ratio = low / top if top > 0 else 1.0
    scales = (1.0,) if ratio >= 1.0 else (1.0, math.sqrt(ratio), ratio)
    good = min(cfg.stop_mean_pct / TARGET_MEAN_PCT, cfg.stop_max_pct / TARGET_MAX_PCT)
    return top, scales, good


def between_rows(ts: TemplateSet, templates: Callable[[np.ndarray], np.ndarray], scale: float,
                 slack: float, row_slack: float = 0.0, norm_rows: np.ndarray | None = None,
                 arcs: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The generative refit's rows between keyframes and between rows: the template models'
    rows halfway through each gap in time (at the captured rows, held at `slack`), then at
    each keyframe the rows halfway between captured rows (held at `row_slack`; 0 leaves a
    part out). Their targets are the in-betweens through the captured shapes there
    (`norm_rows` (K, T*R, 3C); inbetweens.shapes_at_times, along arcs unless `arcs` is
    False, and shapes_at_morphs: the truth's best estimate, where the template
    models' own rows carry their interpolation error), or the rows themselves without
    `norm_rows`. `templates`: relational inputs (K, M, 2) -> rows (K, M, 3C). Each group of
    rows (one template at one midpoint time, or at one keyframe's row midpoints) is judged
    against 1 % of its own diagonal (at least a tenth of its template's, as keyframes) x its
    slack, in the normalised units: (rows (N, 3C), targets (N, 3C), units (G,), each row's
    group (N,))."""
    k, t, r, c = ts.shape
    grids = []
    shapes = None if norm_rows is None else np.asarray(norm_rows, np.float64)
    if slack > 0 and t > 1:
        mid = 0.5 * (ts.times[:-1] + ts.times[1:])
        spline = None if shapes is None else shapes_at_times(ts.times, mid, shapes, r, arcs)
        grids.append((relational_grid(mid, ts.morphs, ts.times, ts.morphs), slack, spline))
    if row_slack > 0 and r > 1:
        mid = 0.5 * (ts.morphs[:-1] + ts.morphs[1:])
        spline = None if shapes is None else shapes_at_morphs(ts.morphs, mid, shapes, t)
        grids.append((relational_grid(ts.times, mid, ts.times, ts.morphs), row_slack, spline))
    floor = KEYFRAME_DIAG_FLOOR * ts.diagonals()[:, None] / scale
    rows_out: list[np.ndarray] = []
    targets: list[np.ndarray] = []
    units: list[np.ndarray] = []
    groups: list[np.ndarray] = []
    for grid, part_slack, spline in grids:
        q, m = grid.shape[:2]
        rel = np.ascontiguousarray(np.broadcast_to(grid.reshape(-1, 2), (k, q * m, 2)))
        rows = np.asarray(templates(rel), np.float64)
        pts = rows.reshape(k, q, m, 3, c)
        diag = np.linalg.norm(pts.max(axis=(2, 4)) - pts.min(axis=(2, 4)), axis=-1)
        groups.append(sum(u.size for u in units) + np.repeat(np.arange(k * q), m))
        units.append((np.maximum(diag, floor) / 100.0 * part_slack).reshape(-1))
        rows_out.append(rows.reshape(-1, 3 * c))
        targets.append(rows_out[-1] if spline is None else spline.reshape(-1, 3 * c))
    if not grids:
        empty = np.zeros((0, 3 * c))
        return empty, empty.copy(), np.zeros(0), np.zeros(0, np.int64)
    return np.concatenate(rows_out), np.concatenate(targets), np.concatenate(units), np.concatenate(groups)


def pool_inputs(k: int, rel_in: np.ndarray, rng: np.random.Generator, cfg: TrainConfig) -> np.ndarray:
    """The pool's relational inputs (K, P + A, 2): `pool` random points per template, then
    the A captured points (the anchors)."""
    pts = [rng.uniform(-1, 1, (k, cfg.pool, 2)), np.broadcast_to(rel_in, (k, *rel_in.shape))]
    return np.concatenate(pts, axis=1)


class PoolIndex:
    """Which pool rows each stage-2 batch takes. Row j of template i is i * n + j; the
    anchors (the captured points) are each template's last A rows and join every batch."""

    def __init__(self, k: int, n: int, rng: np.random.Generator, cfg: TrainConfig):
        self.k, self.n, self.rng, self.cfg = k, n, rng, cfg
        self.anchors = (np.arange(k)[:, None] * n + np.arange(cfg.pool, n)[None, :]).ravel()

    def rows(self, steps: int) -> np.ndarray:
        """(steps, batch + A) row indexes, drawn up front: one gather a step."""
        cfg, rng = self.cfg, self.rng
        rows = rng.integers(0, self.k, (steps, cfg.batch)) * self.n + rng.integers(0, cfg.pool, (steps, cfg.batch))
        return np.hstack([rows, np.broadcast_to(self.anchors, (steps, self.anchors.size))])

    def refit_pick(self) -> np.ndarray:
        """The `refit_pool` pool rows the generative refit uses beside the anchors."""
        n = self.cfg.refit_pool
        return self.rng.integers(0, self.k, n) * self.n + self.rng.integers(0, self.cfg.pool, n)


class FixedUnits:
    """Hidden units of the generative model that keep their random initial weights.

    Adam trains the generative model's `sizes`; its closed-form refit also solves over
    `TrainConfig.fixed_units` x the last hidden layer's width more units on that layer, drawn
    as that layer's initial weights are (numpy-seeded, so both trainers draw the same). The
    refit's basis is then wider than what Adam trains, at no cost to Adam's steps, and holds
    the keyframes and the shapes between them at once (docs/model.md, "Fixed units")."""

    def __init__(self, sizes: list[int], cfg: TrainConfig, seed: int):
        fan_in, width = sizes[-3], sizes[-2]
        bound = (cfg.generative_init_gain if len(sizes) == 3 else 1.0) / math.sqrt(fan_in)

        def draw(count: int) -> tuple[np.ndarray, np.ndarray]:
            rng = np.random.default_rng([seed, 2])
            return rng.uniform(-bound, bound, (fan_in, count)), rng.uniform(-bound, bound, count)

        self.w, self.b = draw(cfg.fixed_unit_count(width))
        # the rescue's (TrainConfig.rescue_fixed_units): the units fixed_units of its share would draw
        self.rescue = draw(cfg.fixed_unit_count(width, rescue=True)) if cfg.rescues() else (self.w, self.b)

    def widen(self, layers: Layers, rescue: bool = False) -> Layers:
        """`layers` (Adam's) with the fixed units (the rescue's for `rescue`) added to the
        last hidden layer, silent (zero weights out) until a refit gives them weights."""
        w_fix, b_fix = self.rescue if rescue else (self.w, self.b)
        if not b_fix.size:
            return layers
        (w, b), (w_out, b_out) = layers[-2], layers[-1]
        return [*layers[:-2], (np.concatenate([w, w_fix], axis=1), np.concatenate([b, b_fix])),
                (np.concatenate([w_out, np.zeros((b_fix.size, w_out.shape[1]))]), b_out)]


def stage_two_schedule(ts: TemplateSet, cfg: TrainConfig, report: Reporter,
                       step: Callable[[int, float], tuple[Any, Any]],
                       refitted: Callable[[RefitPlan], Layers | None],
                       build: Callable[[Layers | None], GRCModel],
                       snapshot: Callable[[], Callable[[], None]]) -> tuple[int, Layers | None]:
    """Stage 2's schedule, the same in both trainers -> (the steps run, the generative
    model's layers a refit chose; None: Adam's own).

    `step(i, factor)` runs Adam step i at `factor` x the rates and returns (loss_g, loss_r)
    (floats or 0-d tensors, read only when reported); `refitted(plan)` is a copy of the generative model's layers with
    its last layer solved in closed form as the RefitPlan says (with the fixed units; None:
    no refit); `build(layers)` the model to judge (the generative model's own layers for
    None); `snapshot()` saves both networks' weights and returns what restores them. Every
    `check_every` steps the model, refitted if `refit_checks`, is judged per keyframe; the
    training stops once it meets the stop and keeps that refit. Otherwise the last layer is
    refitted after the last step, and where that misses both the target (limits.TARGET_*) and the stop (a
    looser preset stop is its own), with checks on (check_every 0 asks for exactly `steps`),
    `restart` x `steps` more run as a second cycle from Adam's own weights, checked the same
    way (the rates back at their start); the better of the two models is kept."""
    first_met: tuple[Callable[[], None], Layers | None] | None = None   # (restore, layers)
    waited = 0
    kept: Layers | None = None

    def errors(layers: Layers | None) -> list[dict[str, Any]]:
        return reconstruction_errors(build(layers), ts)

    def meets_stop(errs: list[dict[str, Any]], slack: float = 1.0) -> bool:
        return meets(errs, slack * cfg.stop_mean_pct, slack * cfg.stop_max_pct)

    def save() -> Callable[[], None]:
        restore_nets, saved = snapshot(), kept

        def restore() -> None:
            nonlocal kept
            restore_nets()
            kept = saved
        return restore

    def good() -> bool:
        # The check judges the refitted model; Adam goes on from its own weights unless it
        # stops. A refit that holds the in-betweens too and meets the stop wins. Once the
        # keyframes alone meet it, the in-betweens get `between_patience` more checks;
        # then that first model is restored and kept. The keyframes alone are tried only
        # where the first refit came near the stop (their errors differ little).
        nonlocal first_met, waited, kept
        layers = refitted(CHECK_BALANCED) if cfg.refit_checks else None
        errs = errors(layers)
        if meets_stop(errs):
            kept = layers
            return True
        if not (cfg.refit_checks and cfg.holds_between()):
            return False
        if first_met is None:
            if not meets_stop(errs, NEAR_STOP):
                return False
            layers = refitted(CHECK_KEYFRAMES)
            if not meets_stop(errors(layers)):
                return False
            first_met = (save(), layers)
        else:
            waited += 1
        if waited < cfg.between_patience:
            return False
        keep_first_met()
        return True

    def keep_first_met() -> None:
        nonlocal kept
        assert first_met is not None
        restore, layers = first_met
        restore()
        kept = layers

    loss_g: Any = 0.0
    loss_r: Any = 0.0

    def run_cycle(n: int, offset: int) -> int | None:
        """One cosine cycle of n steps after `offset` others -> the step the stop was met at."""
        nonlocal loss_g, loss_r
        for i in range(n):
            loss_g, loss_r = step(offset + i, lr_factor(cfg, i, n))
            done = i + 1
            if report.due(offset + done) or done == n:
                report(cfg.template_steps + offset + done, {"gen": _scalar(loss_g), "rel": _scalar(loss_r)})
            if cfg.check_every and done % cfg.check_every == 0 and done < n and good():
                return done
        return None

    def final_refit() -> None:
        """The last layer refitted after a cycle's last step."""
        nonlocal kept
        layers = refitted(FINAL)
        if first_met is not None and not meets_stop(errors(layers)):
            keep_first_met()             # the last steps lost what an earlier check had met
        elif layers is not None:
            kept = layers

    def rescue_if_short() -> None:
        """A training that ends short of the target: its last refit again, over the
        rescue's fixed units too (a wider basis, the model then plays a wider layer), kept
        if it reads closer to the target."""
        nonlocal kept
        before = target_ratio(errors(kept))
        if before <= 1.0:
            return
        layers = refitted(RESCUE)
        if layers is not None and target_ratio(errors(layers)) < before:
            kept = layers

    stopped = run_cycle(cfg.steps, 0)
    steps_done = cfg.steps if stopped is None else stopped
    if stopped is None or not cfg.refit_checks:
        final_refit()
        more = int(round(cfg.restart * cfg.steps)) if stopped is None and cfg.check_every else 0
        errs = errors(kept) if more else []       # judged only where a second cycle may run
        if more and target_ratio(errs) > 1.0 and not meets_stop(errs):
            # A second, shorter cycle from where the first ended: a training caught in a poor
            # basin (the target missed by several times) climbs out; the better model is kept.
            before, restore = target_ratio(errs), save()
            kept = None          # the first cycle's refit belongs to its relational model, not the next's
            report.total += more
            stopped = run_cycle(more, cfg.steps)
            steps_done += more if stopped is None else stopped
            if stopped is None or not cfg.refit_checks:
                final_refit()
            if target_ratio(errors(kept)) > before:
                restore()
    if stopped is None and cfg.rescues():
        rescue_if_short()
    report(report.total, {"gen": _scalar(loss_g), "rel": _scalar(loss_r)})
    return steps_done, kept


def target_ratio(errs: list[dict[str, Any]]) -> float:
    """How far errors are from the reconstruction target: the larger of the worst mean and
    the worst vertex over their limits (<= 1: met)."""
    return max(max(e["mean_pct"] for e in errs) / TARGET_MEAN_PCT, max(e["max_pct"] for e in errs) / TARGET_MAX_PCT)


def _scalar(loss: Any) -> float:
    """A loss as a float: a 0-d tensor through .item() (no autograd warning), else float()."""
    return float(loss.item()) if hasattr(loss, "item") else float(loss)


def finished_model(ts: TemplateSet, templates: list[Layers], rel: Layers, gen: Layers,
                   centre: np.ndarray, scale: float, cfg: TrainConfig, seed: int, steps_done: int,
                   trainer: str) -> GRCModel:
    """The trained model with its record (config, errors, context range, trainer) in meta."""
    if not all(np.isfinite(w).all() and np.isfinite(b).all() for net in [*templates, rel, gen] for w, b in net):
        raise GRCError("training produced non-finite weights; lower the learning rates and train again")
    # The weights as the file keeps them (float32): the refitted last layers hold float64
    # solutions, and a model should generate the same petals before and after a save.
    model = GRCModel([float32_layers(t) for t in templates], float32_layers(rel), float32_layers(gen),
                     ts.times.copy(), ts.morphs.copy(), centre, scale, ts.shape[3], cfg.context_dims,
                     list(ts.names))
    traces = model.context_traces()
    trained = cfg.sizes.generative_sizes(ts.shape[3], cfg.context_dims)[-2]
    model.meta.update({
        "config": cfg.as_dict(), "seed": seed, "steps_done": steps_done, "trainer": trainer,
        # the rescue's layer was kept: wider than trained + fixed units (plays back at its width)
        "rescued": bool(gen[-1][0].shape[0] > trained + cfg.fixed_unit_count(trained)),
        "errors": reconstruction_errors(model, ts),
        "context_range": [float(traces.min()), float(traces.max())],
        "identical_templates": ts.identical_pairs(),
    })
    return model
