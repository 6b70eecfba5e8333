"""A Lab: one scenario's trainer, evaluator and metric history, driven step by step.

The Lab is driven by one thread: the app's `Session` runs one on a background thread, and the
exporter drives one directly with a fixed number of steps per frame, so that an export shows
exactly what the app shows (but for D on the grid, read at every point in an export: the app reads
Compare's heatmaps of three GANs or more on a coarser grid, `SET_GRID_STRIDE`). A picture
(`snapshot`) holds only the parts asked for (`set_parts`: what the views show), each for all GANs
or for the one a view draws; a part not computed in a picture is that of the last one that had it
(D on the grid, the costly part, may be reused from an earlier step), and the snapshot says from
which step each GAN's is (`Snapshot.d_grid_steps` and the like). Metrics are evaluated either at
once (`evaluate_metrics`) or on a worker thread on a frozen copy of the networks (`start_metrics`,
then `collect_metrics`), so that the training thread goes on stepping and drawing while they are
computed; both give the same numbers for the same step.
"""
from __future__ import annotations

import dataclasses
import itertools
import os
import time
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Callable, Iterable, Mapping, Optional

import numpy as np
import torch

from ganviz.core.data import MixtureError
from ganviz.core.evaluate import FRAME_PARTS, Evaluator
from ganviz.core.losses import get_loss
from ganviz.core.scenario import DataSpec, Scenario, ScenarioError, check_bounds
from ganviz.core.settings import (SHARED_FIELDS, SettingsError, TrainSettings, model_with_changes,
                                  validate_train)
from ganviz.core.train import Trainer, TrainingDiverged
from ganviz.core.metric_info import FAST_KEYS, SLOW_KEYS
from ganviz.engine.api import DEFAULT_PARTS, check_only, check_parts
from ganviz.engine.snapshot import METRIC_KEYS, Snapshot, frozen
from ganviz.logs import log_exception

SET_GRID_FROM = 3     # D on the grid for every GAN of a set of this many or more (Compare's small panels) ...
SET_GRID_STRIDE = 2   # ... is read on a grid this much coarser a side, and interpolated

HISTORY = 4000   # metric evaluations kept (a ring buffer)
HISTORY_SHOWN = 512   # of which a snapshot carries at most about this many (see History.arrays)
# Snapshot.timeline numbers: one count per process, started from the process id, so that the labs of one
# process, and a training process started again after one died, do not share numbers.
_TIMELINES = itertools.count((os.getpid() % 65536) << 24)


@lru_cache(maxsize=1)
def _metrics_worker() -> ThreadPoolExecutor:
    """One thread for metric evaluations off the training thread (they run one at a time)."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="ganviz-metrics")


def _timed_metrics(evaluator: Evaluator, slow: bool, state) -> tuple[dict, float]:
    torch.set_flush_denormal(True)      # per thread, as on the training thread
    t0 = time.perf_counter()
    return evaluator.metrics(slow, state), time.perf_counter() - t0


class History:
    """Metric history: a ring buffer of (step, value per GAN) for every metric key."""

    def __init__(self, m: int, size: int = HISTORY, keys: tuple = METRIC_KEYS):
        self.m, self.size, self.keys = m, size, tuple(keys)
        self.steps = np.zeros(size, dtype=np.int64)
        self.values = {k: np.full((m, size), np.nan) for k in self.keys}
        self.n = 0
        self._cached: Optional[tuple] = None

    def append(self, step: int, metrics: dict) -> None:
        i = self.n % self.size
        self.steps[i] = step
        for k in self.keys:
            v = np.asarray(metrics.get(k, np.full(self.m, np.nan)), dtype=np.float64)
            # +inf is a value (KL where p_g misses p_data's support), not a gap.
            self.values[k][:, i] = np.where(np.isnan(v), np.nan, v)
        self.n += 1

    def arrays(self, shown: Optional[int] = None) -> tuple[np.ndarray, dict]:
        """(steps, metric -> (M, T)) in order; with `shown`, at most about that many evaluations: every one
        while they fit, then every 2nd, 4th, ... (counted from the run's first, so that the points kept stay
        the same as the run goes on and a chart does not flicker), and always the newest. Read-only copies,
        made again only when the history moved on."""
        key = (self.n, shown)
        if self._cached is not None and self._cached[0] == key:
            return self._cached[1]
        if self.n <= self.size:
            idx = np.arange(self.n)
        else:
            idx = (np.arange(self.size) + self.n) % self.size
        if shown is not None and len(idx) > shown:
            number = self.n - len(idx) + np.arange(len(idx))     # each kept evaluation's place in the run
            stride = 1
            while len(idx) / stride > shown:
                stride *= 2
            keep = number % stride == 0
            keep[-1] = True
            idx = idx[keep]
        out = frozen(self.steps[idx], np.int64), {k: frozen(v[:, idx]) for k, v in self.values.items()}
        self._cached = (key, out)
        return out

    def until(self, step: int) -> "History":
        """A copy holding the evaluations at or before `step` (a run taken back to a checkpoint)."""
        steps, values = self.arrays()
        keep = np.asarray(steps) <= step
        new = History(self.m, self.size, self.keys)
        for st, row in zip(np.asarray(steps)[keep], zip(*(np.asarray(values[k])[:, keep].T for k in self.keys))):
            new.append(int(st), dict(zip(self.keys, row)))
        return new

    def carried(self, m: int, keep: list) -> "History":
        """A history for a new set of m GANs: new GAN i continues old GAN keep[i]'s rows (None: no past)."""
        new = History(m, self.size, self.keys)
        new.steps[:] = self.steps
        new.n = self.n
        for i, j in enumerate(keep):
            if j is not None and 0 <= j < self.m:
                for k in self.keys:
                    new.values[k][i] = self.values[k][j]
        return new

    def latest(self) -> dict:
        if self.n == 0:
            return {k: frozen(np.full(self.m, np.nan)) for k in self.keys}
        i = (self.n - 1) % self.size
        return {k: frozen(v[:, i]) for k, v in self.values.items()}


class Lab:
    def __init__(self, scenario: Scenario, device: Optional[str] = None):
        self.scenario = scenario.validate()
        self.device_name = device or scenario.device
        self.message = ""
        self.paused_by_error = False
        self._last: Optional[Snapshot] = None
        self._metrics: Optional[dict] = None
        self.parts: frozenset = frozenset(DEFAULT_PARTS)
        self.only: dict[str, int] = {}      # part -> the one GAN shown (see set_parts)
        self._changes = 0                   # settings changes so far (see metrics_current)
        self._recorded_changes = -1
        self.grid_seconds = 0.0             # what D on the grid took in the last picture that had it
        self.grid_stride = 1                # how much coarser than the grid D is read (see snapshot)
        self.set_grid_stride = SET_GRID_STRIDE   # that for a set's small panels (an export: 1, every point)
        self._grid_stride_shown = 1         # that of the last picture that read D on the grid
        self.timeline = next(_TIMELINES)    # see new_timeline
        self.rebuild()

    def new_timeline(self) -> None:
        """A new number for the pictures (Snapshot.timeline): called when the run is told to be replaced, so
        that the window can tell a late picture of the run before from the first of the new one."""
        self.timeline = next(_TIMELINES)

    # -- construction -------------------------------------------------------------
    def rebuild(self) -> None:
        """New networks from the scenario (a reset): same seed, same numbers."""
        sc = self.scenario
        self.trainer = Trainer(sc.data.mixture(), sc.model, sc.panel_settings(), seed=sc.seed,
                               device=self.device_name)
        self.trainer.inspect = "step_summary" in self.parts
        view_class = getattr(self, "evaluator", None) and self.evaluator.view_class
        self.evaluator = Evaluator(self.trainer, bounds=sc.data.bounds)
        if view_class and self.trainer.n_classes and view_class < self.trainer.n_classes:
            self.evaluator.view_class = view_class
        self.history = History(self.trainer.m, keys=FAST_KEYS)
        self.slow_history = History(self.trainer.m, keys=SLOW_KEYS)
        self._notes: tuple = ()
        self.message = ""
        self.paused_by_error = False
        self._metrics = None
        self._last = None
        self._parts_cache: dict = {}        # frame part -> (steps (M,), array (M, ...)): the last computed
        self._z_frozen: Optional[tuple] = None
        self._settings_seen: Optional[tuple] = None     # (the settings, their dicts): see _settings_dicts
        self._job: Optional[tuple] = None   # a metric evaluation on the worker: (future, evaluator, slow)

    @property
    def m(self) -> int:
        return self.trainer.m

    @property
    def dim(self) -> int:
        return self.trainer.dim

    @property
    def step_count(self) -> int:
        return self.trainer.step_count

    # -- settings -----------------------------------------------------------------
    def panel_settings(self) -> list[TrainSettings]:
        return list(self.trainer.settings)

    def set_train(self, index: Optional[int] = None, **changes) -> None:
        """Change training settings of one GAN (index) or of all; weights are kept."""
        current = self.trainer.settings
        new = []
        for i, s in enumerate(current):
            if index is None or i == index:
                s = dataclasses.replace(s, **changes)
            new.append(s)
        # Lockstep GANs share these; change them for all.
        shared = {k: v for k, v in changes.items() if k in SHARED_FIELDS}
        if shared:
            new = [dataclasses.replace(s, **shared) for s in new]
        for i, s in enumerate(new):
            validate_train(s, "train" if self.m == 1 else f"panels[{i}]")
        self.trainer.apply_settings(new)
        self._store_settings(new)
        self._parts_cache.clear()      # D's display units may have changed with the loss
        self._changes += 1             # and D* with it: the metrics of this step are to be redone

    def _store_settings(self, new: list[TrainSettings]) -> None:
        sc = self.scenario
        if not sc.panels:
            self.scenario = dataclasses.replace(sc, train=new[0])
        else:
            base = dataclasses.asdict(sc.train)
            panels = []
            for p, s in zip(sc.panels, new):
                d = {k: v for k, v in dataclasses.asdict(s).items() if v != base[k]}
                if "label" in p:
                    d["label"] = p["label"]
                panels.append(d)
            self.scenario = dataclasses.replace(sc, panels=tuple(panels))

    def set_panels(self, panels: list[dict], keep: Optional[list[Optional[int]]] = None) -> None:
        """Replace the set of GANs trained in lockstep (the Compare view's panels).

        panels: overrides of the scenario's [train], one dict per GAN (may hold a "label").
        keep[i] = j carries GAN j's weights and optimizer state into new GAN i (None: fresh
        weights, the shared initial weights of the seed), so that adding or removing a panel
        does not restart the others.
        """
        old, old_history, old_slow = self.trainer, self.history, self.slow_history
        sc = dataclasses.replace(self.scenario, panels=tuple(dict(p) for p in panels))
        try:
            sc = sc.validate()
        except ValueError as e:
            raise SettingsError(str(e)) from None
        self.scenario = sc
        self.rebuild()
        if keep is None:
            return
        new = self.trainer
        if new.opt_d.kind.id != old.opt_d.kind.id:
            return
        with torch.no_grad():
            for i, j in enumerate(keep):
                if j is None or not 0 <= j < old.m:
                    continue
                new.G.flat[i].copy_(old.G.flat[j])
                new.D.flat[i].copy_(old.D.flat[j])
                for mine, theirs in ((new.opt_d, old.opt_d), (new.opt_g, old.opt_g)):
                    for k in mine.state:
                        if k in theirs.state:
                            mine.state[k][i].copy_(theirs.state[k][j])
        for opt in (new.opt_d, new.opt_g):
            opt.state_changed()
        new.step_count = old.step_count
        new.gen.set_state(old.gen.get_state())
        new.noise_gen.set_state(old.noise_gen.get_state())
        # The kept panels keep their curves in the modes-vs-step chart; new panels start from here.
        self.history = old_history.carried(new.m, keep)
        self.slow_history = old_slow.carried(new.m, keep)

    def set_model(self, **changes) -> None:
        """Change the networks' layout: new networks (the weights cannot be kept)."""
        model = model_with_changes(self.scenario.model, **changes)
        self._rebuild_with(dataclasses.replace(self.scenario, model=model))

    def _rebuild_with(self, scenario: Scenario) -> None:
        """Rebuild from `scenario`; if its networks cannot be built (a SettingsError naming the field),
        the scenario stays as it was, so what the lab reports is what still trains."""
        old, self.scenario = self.scenario, scenario
        try:
            self.rebuild()
        except Exception:
            self.scenario = old
            raise

    def set_data(self, spec: DataSpec | str) -> None:
        """Change the data; same dimension keeps the weights, another dimension starts anew."""
        if isinstance(spec, str):
            spec = DataSpec(spec)
        try:
            mix = spec.mixture()
            check_bounds(spec.bounds, mix.dim)
        except (MixtureError, ScenarioError) as e:
            raise SettingsError(str(e)) from None
        if mix.dim != self.dim or (self.trainer.n_classes and mix.n_components != self.trainer.n_classes):
            self._rebuild_with(dataclasses.replace(self.scenario, data=spec))
            return
        self.scenario = dataclasses.replace(self.scenario, data=spec)
        self.trainer.set_mixture(mix)
        self.evaluator.set_mixture(mix, spec.bounds)
        self._metrics = None
        self._parts_cache.clear()

    def set_seed(self, seed: int) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise SettingsError(f"seed: must be an integer >= 0 (got {seed!r})")
        self._rebuild_with(dataclasses.replace(self.scenario, seed=seed))

    def set_view_class(self, c: int) -> None:
        if not self.trainer.n_classes:
            return
        if not 0 <= c < self.trainer.n_classes:
            raise SettingsError(f"class: must be between 0 and {self.trainer.n_classes - 1} (got {c})")
        self.evaluator.view_class = c
        self._metrics = None
        self._parts_cache.clear()

    def load(self, scenario: Scenario) -> None:
        self.scenario = scenario.validate()
        self.rebuild()

    def restore(self, arrays: dict) -> None:
        """Take the run back to a checkpoint (`engine.checkpoints.to_arrays` of the trainer's state): weights,
        optimiser state, random streams and step as they were then; the metrics evaluated after it are let
        go. The settings stay those chosen now, so that a branch can try another loss from there."""
        from ganviz.engine.checkpoints import from_arrays
        before = self.trainer.state_dict()
        try:
            self.trainer.load_state(from_arrays(arrays, self.trainer.device))
        except (RuntimeError, KeyError, ValueError, SettingsError) as e:
            self.trainer.load_state(before)
            raise SettingsError(f"restore: the checkpoint does not fit this run's networks ({e})") from None
        step = self.trainer.step_count
        self.history = self.history.until(step)
        self.slow_history = self.slow_history.until(step)
        self._job = None
        self._metrics = None
        self._last = None
        self._parts_cache.clear()
        self.message = ""
        self.paused_by_error = False
        self._changes += 1

    def set_parts(self, parts: Iterable[str], only: Optional[Mapping[str, int]] = None) -> None:
        """What the views show (engine.api.PARTS): the frame parts the pictures compute, and whether the
        slow metrics (the k-NN divergences, W1, D vs D*) are wanted, and whether the trainer keeps the step
        inspector's summary of each D and G step ("step_summary").

        only: part -> the one GAN of the set whose part is shown (the Lab's views draw one GAN of a
        Compare scenario, the loss panel one): that part is computed for it alone (engine.api.check_only)."""
        self.parts = check_parts(parts)
        self.only = check_only(only)
        self.trainer.inspect = "step_summary" in self.parts

    # -- training -------------------------------------------------------------------
    def train(self, n: int = 1, should_stop: Optional[Callable[[], bool]] = None) -> bool:
        """n generator iterations; False (and a message) when training diverged.

        With `should_stop`, each iteration may be abandoned between its pieces and rolled back (see
        Trainer.step_interruptible): the remaining iterations are skipped and the step count tells how
        many ran. Pause and Close then act within one piece of a step, whatever k, g_steps or unroll.
        """
        if self.paused_by_error:
            return False
        try:
            if should_stop is None:
                self.trainer.step(n)
            else:
                for _ in range(n):
                    if not self.trainer.step_interruptible(should_stop):
                        break
        except TrainingDiverged as e:
            self._diverged(str(e))
            return False
        except Exception as e:   # out of memory, a scenario that validates but cannot train, a bug
            self.fail("Training", e)
            return False
        return True

    def step_d(self) -> bool:
        return self._single(self.trainer.d_step)

    def step_g(self) -> bool:
        return self._single(self.trainer.g_step)

    def _single(self, fn) -> bool:
        if self.paused_by_error:
            return False
        try:
            fn()
            self.trainer.check_diverged()
        except TrainingDiverged as e:
            self._diverged(str(e))
            return False
        except Exception as e:
            self.fail("Training", e)
            return False
        return True

    def _diverged(self, msg: str) -> None:
        self.message = msg + " Press Reset (R) to start again, perhaps with a smaller learning rate."
        self.paused_by_error = True

    def fail(self, what: str, error: BaseException) -> None:
        """Pause on the last good picture with a message that says what failed and where the details are."""
        where = log_exception(error, f"{what}, scenario {self.scenario.name!r}, step {self.step_count}")
        self.message = (f"{what} stopped at step {self.step_count:,}: {type(error).__name__}: {error}. "
                        "Training is paused on the last good picture; press Reset (R) or open another scenario."
                        + (f" Details: {where}" if where else ""))
        self.paused_by_error = True

    # -- evaluation -----------------------------------------------------------------
    def evaluate_metrics(self, slow: bool = True) -> None:
        """Evaluate at the current step; `slow` adds the k-NN divergences, W1 and D vs D* (SLOW_KEYS).
        An evaluation still running on the worker is finished (and recorded) first."""
        self.collect_metrics(wait=True)
        if self.paused_by_error:
            return
        try:
            result = self.evaluator.metrics(slow)
        except Exception as e:
            self.fail("Evaluating the metrics", e)
            return
        self._record(result, slow)

    def start_metrics(self, slow: bool = True) -> bool:
        """Begin an evaluation of this step's networks on the worker thread; False while one runs."""
        if self._job is not None or self.paused_by_error:
            return False
        ev = self.evaluator
        self._job = (_metrics_worker().submit(_timed_metrics, ev, slow, ev.freeze()), ev, slow)
        return True

    @property
    def has_metrics(self) -> bool:
        """Whether any metrics were evaluated yet (a picture needs the pictures of p_g and D*)."""
        return self._metrics is not None

    @property
    def metrics_running(self) -> bool:
        return self._job is not None

    def collect_metrics(self, wait: bool = False) -> Optional[tuple[int, bool, float]]:
        """Record the worker's evaluation if it has finished (or, with `wait`, when it has): its step,
        whether it held the slow metrics, and the seconds it took; None while it runs or when none was
        started. A result for data, a class or networks that have since been replaced is dropped."""
        if self._job is None:
            return None
        fut, ev, slow = self._job
        if not wait and not fut.done():
            return None
        self._job = None
        current = ev is self.evaluator
        try:
            result, seconds = fut.result()
        except Exception as e:
            if current and not self.paused_by_error:
                self.fail("Evaluating the metrics", e)
            return None
        if current and result["version"] == ev.version and not self.paused_by_error:
            self._record(result, slow)
            return result["step"], slow, seconds
        return None

    def metrics_current(self, slow: bool) -> bool:
        """Whether the metrics recorded last (and, with `slow`, the slow ones) are of this step."""
        step = self.trainer.step_count
        if self._metrics is None or self._metrics["step"] != step or self._recorded_changes != self._changes:
            return False
        h = self.slow_history
        return not slow or (h.n > 0 and int(h.steps[(h.n - 1) % h.size]) == step)

    def _record(self, result: dict, slow: bool) -> None:
        self._metrics = result
        self._recorded_changes = self._changes
        self.history.append(result["step"], result["metrics"])
        if slow:
            self.slow_history.append(result["step"], result["metrics"])
            self._notes = tuple(dict(n) for n in result["notes"])

    def snapshot(self, running: bool = False, steps_per_sec: float = 0.0,
                 parts: Optional[Iterable[str]] = None) -> Snapshot:
        """A new immutable snapshot (the last good one, with the message, after a blow-up).

        parts: the frame parts to compute now (default: `self.parts`); the others are taken from the
        last picture that had them (`Snapshot.d_grid_steps` and the like say from which step)."""
        if self.paused_by_error and self._last is not None:
            snap = dataclasses.replace(self._last, message=self.message, running=False, steps_per_sec=0.0,
                                       timeline=self.timeline)
            self._last = snap
            return snap
        if self._metrics is None:
            self.evaluate_metrics()
        todo = self.parts if parts is None else frozenset(parts)
        if "d_grid" not in self._parts_cache:
            todo = todo | {"d_grid"}          # the first picture has one, so that every snapshot does
        # D on the grid for every GAN of a set of three or more is for Compare's panels, each a third of the
        # view's width or less: read on a grid half as fine (a quarter of the points) and interpolated.
        self.grid_stride = (self.set_grid_stride if self.dim == 2 and self.m >= SET_GRID_FROM
                            and "d_grid" not in self.only else 1)
        fr = self.evaluator.frame(todo & set(FRAME_PARTS), {p: min(i, self.m - 1) for p, i in self.only.items()},
                                  grid_stride=self.grid_stride)
        self.grid_seconds = fr["grid_seconds"]
        if fr["d_grid"] is not None:
            self._grid_stride_shown = self.grid_stride
        snap = self._build(fr, running, steps_per_sec)
        self._last = snap
        return snap

    def _settings_dicts(self) -> list[dict]:
        """Each GAN's settings as dicts, for the snapshot (made again only when the settings change: dataclasses'
        asdict took a sixth of a picture's time for six GANs)."""
        settings = tuple(self.trainer.settings)
        if self._settings_seen is None or self._settings_seen[0] != settings:
            self._settings_seen = (settings, [dataclasses.asdict(s) for s in settings])
        return self._settings_seen[1]

    def _z_shown(self) -> np.ndarray:
        z = self.evaluator.z_fixed
        if self._z_frozen is None or self._z_frozen[0] is not z:
            self._z_frozen = (z, frozen(z.cpu().numpy()))     # fixed: copied once, not every picture
        return self._z_frozen[1]

    def _part(self, fr: dict, key: str, like: Optional[np.ndarray]) -> tuple[np.ndarray, Optional[np.ndarray]]:
        """Each GAN's `key`: this frame's rows where it computed them, the last computed elsewhere (if it
        still fits), zeros like `like` where none was (None when `like` is None and none was): with the
        step each GAN's row is from, (M,) (-1: none)."""
        m, new = self.m, fr[key]
        cached = self._parts_cache.get(key)
        if cached is not None and (len(cached[1]) != m or new is not None and cached[1].shape[1:] != new.shape[1:]):
            cached = None
        if new is not None:
            gans = fr["gans"][key]
            if len(gans) == m:
                cached = (np.full(m, fr["step"], np.int64), new)
            else:
                steps = np.full(m, -1, np.int64) if cached is None else cached[0].copy()
                full = np.zeros((m,) + new.shape[1:], new.dtype) if cached is None else cached[1].copy()
                full[gans], steps[gans] = new, fr["step"]
                cached = (steps, full)
            self._parts_cache[key] = cached
        if cached is not None and (like is None or np.shape(cached[1]) == np.shape(like)):
            return cached
        return np.full(m, -1, np.int64), None if like is None else np.zeros(np.shape(like))

    def _build(self, fr: dict, running: bool, sps: float) -> Snapshot:
        t, ev, mt = self.trainer, self.evaluator, self._metrics
        m = t.m
        prev = self._last
        bad = fr["diverged"].astype(bool)

        def keep_finite(key: str, a: np.ndarray, prev_arr: Optional[np.ndarray]) -> np.ndarray:
            # A GAN that blew up keeps its last finite picture; nothing non-finite is ever drawn.
            a = np.asarray(a, dtype=np.float64)
            rows = bad | ~np.isfinite(a.reshape(m, -1)).all(axis=1)
            if rows.any():
                a = a.copy()
                for i in np.flatnonzero(rows):
                    if prev_arr is not None and prev_arr.shape == a.shape:
                        a[i] = prev_arr[i]
                    else:
                        a[i] = np.nan_to_num(a[i], nan=0.0, posinf=0.0, neginf=0.0)
            return frozen(a)

        p_g = keep_finite("p_g", mt["p_g"], prev.p_g if prev else None)
        d_grid_steps, d_raw = self._part(fr, "d_grid", None)
        d_grid = keep_finite("d_grid", d_raw, prev.d_grid if prev else None)
        # Every GAN's fakes (those of GANs no view draws are from the last picture that drew them)
        like = np.zeros((m,) + fr["fake"].shape[1:], np.float32)
        fake_steps, fake_raw = self._part(fr, "fake", like)
        grad_steps, grad_raw = self._part(fr, "fake_grad", fake_raw)
        fake_d_steps, fake_d_raw = self._part(fr, "fake_d", fake_raw[..., 0])
        manifold_steps, manifold_raw = self._part(fr, "manifold", None)
        d_star = None
        if all(ds is not None for ds in mt["d_star"]):
            d_star = keep_finite("d_star", np.stack(mt["d_star"]), prev.d_star if prev else None)
        fake = keep_finite("fake", fake_raw, prev.fake if prev else None)
        grad = keep_finite("grad", grad_raw, prev.fake_grad if prev else None)
        fake_d = keep_finite("fake_d", fake_d_raw, prev.fake_d if prev else None)
        manifold = None
        if manifold_raw is not None:
            manifold = keep_finite("manifold", manifold_raw, prev.manifold if prev and prev.manifold is not None
                                   else None)
        # A chart is a few hundred pixels wide: a picture carries at most HISTORY_SHOWN evaluations of each
        # metric (a full history of six GANs would be megabytes a picture, through the pipe to the window).
        hs, hv = self.history.arrays(HISTORY_SHOWN)
        slow_steps, slow_values = self.slow_history.arrays(HISTORY_SHOWN)
        hv = {**hv, **slow_values}
        labels = self.scenario.panel_labels()
        losses = tuple(s.loss for s in t.settings)
        g = ev.grid
        return Snapshot(
            step=t.step_count, dim=t.dim, loss_ids=losses, labels=tuple(labels), timeline=self.timeline,
            grid_x=frozen(g.x), grid_y=None if g.y is None else frozen(g.y),
            p_data=frozen(mt["p_data"]), p_g=p_g, d_grid=d_grid, d_star=d_star,
            d_grid_steps=frozen(d_grid_steps, np.int64), d_grid_stride=self._grid_stride_shown,
            metrics_step=int(mt["step"]),
            d_is_prob=tuple(get_loss(l).has_probability for l in losses),
            real=frozen(ev.real), real_labels=frozen(ev.real_labels, np.int64),
            fake=fake, fake_labels=frozen(np.full(len(ev.z_fixed), ev.view_class), np.int64) if t.n_classes else None,
            fake_grad=grad, fake_d=fake_d, z=self._z_shown(), manifold=manifold,
            fake_steps=frozen(fake_steps, np.int64),
            fake_grad_steps=frozen(grad_steps, np.int64), fake_d_steps=frozen(fake_d_steps, np.int64),
            manifold_steps=None if manifold is None else frozen(manifold_steps, np.int64),
            means=frozen(ev.mixture.means), mode_counts=frozen(mt["mode_counts"], np.int64),
            latest={**self.history.latest(), **self.slow_history.latest()}, history_steps=hs, history=hv,
            slow_steps=slow_steps,
            diverged=frozen(bad, bool), message=self.message, running=running, steps_per_sec=sps,
            notes=self._notes, w1_floor=ev.w1_floor(),
            step_summary=t.step_summary() if t.inspect else (),
            d_star_labels=tuple(ev.d_star_label(i) for i in range(m)),
            device=str(t.device), extra={"settings": self._settings_dicts(),
                                         "scenario": self.scenario.name, "view_class": ev.view_class,
                                         "n_classes": t.n_classes},
        )
