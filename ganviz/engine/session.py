"""A Session runs a Lab on a background thread: commands in, snapshots out.

Commands go through a thread-safe queue and are applied between training steps. A step that
takes longer than a few milliseconds can be abandoned between its pieces (each D or G step, each
unrolled step, a forward pass and its backward) and is rolled back, so that Pause, Reset, loading
another scenario and Close act within one piece of a step whatever k, g_steps or unroll are, and a
run paused and resumed gives the same numbers as one never paused.
Snapshots are published into a lock-protected slot at most `max_fps` times a
second; the GUI's timer takes the newest (latest wins). A plain thread with a
queue, not a QThread worker: a busy loop would starve a QThread's event loop,
and its queued slots (set k, set loss) would never run.
"""
from __future__ import annotations

import dataclasses
import queue
import threading
import time
from typing import Any, Callable, Optional

import torch

from ganviz.core.scenario import Scenario
from ganviz.core.settings import SettingsError
from ganviz.engine.checkpoints import to_arrays
from ganviz.engine.lab import Lab
from ganviz.engine.api import SessionAPI
from ganviz.engine.snapshot import Snapshot
from ganviz.logs import log_exception


# Commands that end the step in progress rather than wait for it: they stop training, or replace what it
# trains. Setting changes (a loss, k, a learning rate) wait for the step to end, so that dragging a slider
# never starves training of whole steps.
INTERRUPTING = frozenset({"pause", "reset", "load", "restore", "seed", "model", "data", "panels", "step_d",
                          "step_g", "call", "_stop"})
# Commands that replace the run: the pictures after them carry a new Snapshot.timeline (before they are
# applied, so that one that fails still ends the wait of a window that sent it).
NEW_TIMELINE = frozenset({"reset", "load", "restore", "seed"})
SLOW_STEP = 0.005      # seconds: steps slower than this are run interruptibly (the rollback copy is cheap then)
POLL_EVERY = 0.005     # seconds between looks at the command queue from inside a step


class Session(SessionAPI):
    def __init__(self, scenario: Scenario, device: Optional[str] = None, max_fps: float = 60.0,
                 metrics_hz: float = 4.0, eval_budget: float = 0.1, threads: Optional[int] = 1, slow_hz: float = 1.0,
                 train_fps: float = 30.0, frame_budget: float = 0.2, grid_budget: float = 0.08,
                 set_grid_budget: float = 0.03,
                 commands=None, on_publish: Optional[Callable[["Session", Snapshot], None]] = None,
                 checkpoint_every: float = 2.0):
        self.lab = Lab(scenario, device)           # built here, so that a bad scenario fails in the caller
        # Seconds of training between the checkpoints a snapshot carries (extra["checkpoint"]), and one
        # wherever the run stops; 0: none.
        self.checkpoint_every = checkpoint_every
        self._checkpoint_step, self._checkpoint_at = -1, float("-inf")
        self.max_fps = max_fps                      # pictures a second at most (a paused run's changes)
        self.train_fps = train_fps                  # pictures a second at most while training
        self.frame_budget = frame_budget            # share of the time the pictures (but D on the grid) may take
        self.grid_budget = grid_budget              # share of the time D on the grid may take
        # ... and D on the grid for every GAN of a set (Compare's heatmaps: many small pictures, read on a
        # coarser grid, which the eye does not follow all at once)
        self.set_grid_budget = set_grid_budget
        self.metrics_hz = metrics_hz
        self.slow_hz = slow_hz                      # at most this often for the k-NN divergences
        self.eval_budget = eval_budget              # at most this share of the time goes to metric evaluation
        # One intra-op thread: the GUI needs the other core, and OpenMP's spinning threads
        # collapse when the cores are shared (measured: 310 vs 215 steps/s under load).
        self.threads = threads
        # Any queue with put/get(timeout)/get_nowait: a multiprocessing queue when the session runs in a
        # child process (see ganviz.engine.process).
        self._cmds = queue.Queue() if commands is None else commands
        self._on_publish = on_publish
        self._lock = threading.Lock()
        self._latest: Optional[Snapshot] = None
        self._published = 0
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self.playing = False
        self.speed: Optional[float] = None          # steps per second cap; None: as fast as possible
        self.steps_per_sec = 0.0
        self.error: Optional[str] = None            # the last command error, for the status bar
        self._pending_steps = 0
        self._dirty = True
        self._backlog: list = []                    # commands read from inside a step, applied after it
        self._polled = 0.0
        self._step_time = float("inf")              # seconds per step, measured; unknown at first
        self._grid_due_at = 0.0                     # when D on the grid may be evaluated again
        self.scenario = self.lab.scenario
        self.m = self.lab.m
        self.dim = self.lab.dim

    # -- life cycle -------------------------------------------------------------
    def start(self) -> "Session":
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="ganviz-train", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> bool:
        """Stop the thread; True when it ended within the timeout."""
        self._stop.set()
        self._cmds.put(("_wake", (), {}))
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def step_count(self) -> int:
        return self.lab.step_count

    def call(self, fn: Callable[[Lab], Any]) -> None:
        """Run fn(lab) on the training thread, between steps."""
        self.send("call", fn)

    # -- the thread ----------------------------------------------------------------------
    def _publish(self, snap: Snapshot) -> None:
        with self._lock:
            self._latest = snap
            self._published += 1
        if self._on_publish is not None:
            self._on_publish(self, snap)

    def _apply(self, name: str, args: tuple, kw: dict) -> None:
        lab = self.lab
        if name in NEW_TIMELINE:
            lab.new_timeline()
        if name == "play":
            self.playing = not lab.paused_by_error
        elif name == "pause":
            self.playing = False
        elif name == "toggle":
            self.playing = not self.playing and not lab.paused_by_error
        elif name == "step":
            self._pending_steps += int(args[0])
        elif name == "step_d":
            lab.step_d()
        elif name == "step_g":
            lab.step_g()
        elif name == "reset":
            lab.rebuild()
            self._pending_steps = 0
        elif name == "speed":
            self.speed = args[0]
        elif name == "train":
            lab.set_train(args[0], **kw)
        elif name == "model":
            lab.set_model(**kw)
        elif name == "data":
            lab.set_data(args[0])
        elif name == "seed":
            lab.set_seed(args[0])
        elif name == "panels":
            lab.set_panels(args[0], args[1])
        elif name == "view_class":
            lab.set_view_class(args[0])
        elif name == "show":
            lab.set_parts(*args)
            self._grid_due_at = 0.0                 # a layer just shown is drawn in the next picture
        elif name == "load":
            lab.load(args[0])
            self.playing = False
        elif name == "restore":
            lab.restore(args[0])
            self.playing = False
            self._pending_steps = 0
            self._checkpoint_step = lab.step_count      # the recording holds this state already
        elif name == "call":
            args[0](lab)
        elif name in ("_wake", "_stop"):
            if name == "_stop":
                self._stop.set()
            return
        else:
            raise SettingsError(f"unknown command {name!r}")
        self.scenario = lab.scenario
        self.m, self.dim = lab.m, lab.dim
        self._dirty = True

    def _should_stop_step(self) -> bool:
        """Called from inside a step: whether a command waits that must end it (INTERRUPTING, or a toggle
        that pauses). Commands read here wait in the backlog and are applied, in order, after the step."""
        if self._stop.is_set():
            return True
        now = time.perf_counter()
        if now - self._polled >= POLL_EVERY:
            self._polled = now
            while True:
                try:
                    self._backlog.append(self._cmds.get_nowait())
                except (queue.Empty, EOFError, OSError):
                    break
        return any(name in INTERRUPTING or (name == "toggle" and self.playing) for name, _, _ in self._backlog)

    def _next_command(self, block: float):
        if self._backlog:
            return self._backlog.pop(0)
        return self._cmds.get(timeout=block) if block > 0 else self._cmds.get_nowait()

    def _drain(self, block: float = 0.0) -> None:
        try:
            item = self._next_command(block)
        except queue.Empty:
            return
        while True:
            name, args, kw = item
            try:
                self._apply(name, args, kw)
                if name not in ("_wake",):
                    self.error = None
            except (SettingsError, ValueError) as e:
                self.error = str(e)
                self._dirty = True
            except Exception as e:   # a bug or out of memory: said, logged, and the loop goes on
                where = log_exception(e, f"command {name}")
                self.error = f"{name} failed: {type(e).__name__}: {e}" + (f" (details: {where})" if where else "")
                self._dirty = True
            try:
                item = self._next_command(0.0)
            except queue.Empty:
                return

    def run_here(self) -> None:
        """Run the loop in the calling thread until stopped (a child process's main loop)."""
        self._run()

    def _run(self) -> None:
        if self.threads:
            torch.set_num_threads(self.threads)
        torch.set_flush_denormal(True)
        lab = self.lab
        last_frame = last_metrics = last_slow = 0.0
        frame_cost = metrics_cost = slow_cost = 0.0
        chunk = 1
        window_t0, window_steps = time.perf_counter(), 0
        while not self._stop.is_set():
            busy = (self.playing or self._pending_steps > 0) and not lab.paused_by_error
            self._drain(0.0 if busy or self._dirty else 0.05)
            if self._stop.is_set():
                break
            training = (self.playing or self._pending_steps > 0) and not lab.paused_by_error
            if training:
                n = 1 if self.speed else chunk
                if self._pending_steps:
                    n = min(n, self._pending_steps)
                t0 = time.perf_counter()
                before = lab.step_count
                slow = n == 1 and self._step_time > SLOW_STEP
                # Looked up at each poll, not bound once: whoever replaces it (a test counting polls) is asked.
                ok = lab.train(n, (lambda: self._should_stop_step()) if slow else None)
                dt = time.perf_counter() - t0
                n = lab.step_count - before           # fewer than asked when a command ended the step
                if n:
                    self._step_time = dt / n
                self._pending_steps = max(0, self._pending_steps - n)
                window_steps += n
                self._dirty = True
                if not ok:
                    self.playing = False
                    self._pending_steps = 0
                # Chunks of about 4 ms, so that commands are applied promptly.
                if n:
                    chunk = max(1, min(256, int(0.004 * n / max(dt, 1e-6))))
                if self.speed:
                    time.sleep(max(0.0, 1.0 / self.speed - dt))
            # Whether training goes on after this chunk: a snapshot taken after the last of n requested
            # steps must say "not running".
            still = (self.playing or self._pending_steps > 0) and not lab.paused_by_error
            now = time.perf_counter()
            if now - window_t0 >= 0.5:
                self.steps_per_sec = window_steps / (now - window_t0)
                window_t0, window_steps = now, 0
            # Metrics run on a worker thread on a frozen copy of the networks, so that a picture never waits
            # for them; a finished evaluation is recorded here and the next begins when its kind is due.
            # Each kind may keep the worker busy at most its share of the time (the worker's time is mostly
            # taken from training's core), and the k-NN divergences only while a panel shows them.
            done = lab.collect_metrics()
            if done is not None:
                _, was_slow, seconds = done
                if was_slow:
                    slow_cost = seconds
                else:
                    metrics_cost = seconds
                self._dirty = True
            if still and not lab.metrics_running:
                want_slow = "divergences" in lab.parts and now - last_slow >= max(
                    1.0 / self.slow_hz, slow_cost / (0.5 * self.eval_budget))
                if want_slow or now - last_metrics >= max(1.0 / self.metrics_hz, metrics_cost / self.eval_budget):
                    lab.start_metrics(slow=want_slow)
                    last_metrics = now
                    if want_slow:
                        last_slow = now
            elif (not still and not lab.metrics_running and lab.metrics_current(False)
                  and "divergences" in lab.parts and not lab.metrics_current(True)):
                # A paused run shows every metric at its step: the slow ones come from the worker a moment
                # after the picture (which has the rest), and are drawn when they come.
                lab.start_metrics(slow=True)
                last_metrics = last_slow = now
            # While training, pictures come at most train_fps a second within frame_budget of the time, and
            # D on the grid (the costly part) within a share of its own, reused in between (the snapshot says
            # from which step): the fakes move in every picture, the heatmap as often as it can afford.
            frame_gap = max(1.0 / (self.train_fps if training else self.max_fps),
                            frame_cost / self.frame_budget if training else 0.0)
            if self._dirty and now - last_frame >= frame_gap and not (still and self._should_stop_step()):
                # (a picture of a running step is not begun while a Pause or Reset waits: it goes first)
                # A paused run, or one that has just finished its steps, shows every metric at its step.
                settled = not still
                t0 = time.perf_counter()
                parts = lab.parts
                # A picture after a pause waits for no metric evaluation still running: it is drawn with the
                # last ones, and again with this step's when that evaluation has ended.
                if not lab.has_metrics or (settled and not lab.metrics_running and not lab.metrics_current(False)):
                    lab.evaluate_metrics(slow=False)
                    t1 = time.perf_counter()
                    last_metrics = t1
                    t0 = t1
                elif not settled and self._grid_due_at > now:
                    parts = parts - {"d_grid"}
                try:
                    snap = lab.snapshot(running=still, steps_per_sec=self.steps_per_sec if still else 0.0,
                                        parts=parts)
                except Exception as e:   # nothing to draw: pause, and say why through `error`
                    lab.fail("Drawing the picture", e)
                    self.playing, self._pending_steps, self._dirty = False, 0, False
                    self.error = lab.message
                    continue
                if self.error and not lab.paused_by_error:
                    snap = dataclasses.replace(snap, message=self.error)
                if self.checkpoint_every and lab.step_count != self._checkpoint_step and (
                        settled or now - self._checkpoint_at >= self.checkpoint_every):
                    # The state to continue from, for the app's recording (ganviz.engine.recording): every few
                    # seconds of training and wherever the run stops.
                    snap = dataclasses.replace(snap, extra={**snap.extra,
                                                            "checkpoint": to_arrays(lab.trainer.state_dict())})
                    self._checkpoint_step, self._checkpoint_at = lab.step_count, now
                self._publish(snap)
                end = time.perf_counter()
                grid = lab.grid_seconds if "d_grid" in parts else 0.0
                # Smoothed, and a picture that was held up (by the machine, the collector) counts for at most
                # 50 ms, so that one slow picture does not hold up the next ones for seconds.
                frame_cost = 0.7 * frame_cost + 0.3 * min(0.05, end - t0 - grid)
                if grid:
                    share = self.set_grid_budget if lab.grid_stride > 1 else self.grid_budget
                    self._grid_due_at = end + grid / share
                # Paced by when pictures were due, not when they came: a picture that came late (after a
                # training chunk) does not push the next one back, so the rate is the one asked for.
                last_frame = max(last_frame + frame_gap, now - 0.5 * frame_gap) if training else end
                self._dirty = still
