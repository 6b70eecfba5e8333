"""The training side of an export: what produces, in order, the payload of each frame.

`LabProducer` drives a `Lab` on a worker thread or in a child process (`train_frames`):
train the frame's generator steps, evaluate the metrics when the plan says so, and queue
(frame index, snapshot); a still (`only_last`) trains through every frame and queues only the
last. A child process keeps training off the drawing thread's interpreter lock; it takes a
second or two to start, so stills and short clips train on a thread. Headless on Linux, with no
other thread and no QApplication, the child is forked (milliseconds); otherwise it is spawned.
`GameProducer` needs no training: frame i shows the game's first i * steps_per_frame
iterations. Both ways of training give identical frames: the queue keeps the order and the
plan, not the clock, decides what is evaluated.

Torch-bound (the Lab), Qt-free.
"""
from __future__ import annotations

import multiprocessing as mp
import pickle
import queue
import os
import signal
import sys
import threading
import time
from typing import Optional, Union

import torch

from ganviz.core.scenario import Scenario
from ganviz.engine.api import PER_GAN_PARTS
from ganviz.engine.lab import Lab
from ganviz.engine.memory import keep_freed_memory
from ganviz.engine.process import main_module_hidden
from ganviz.engine.snapshot import Snapshot
from ganviz.export.options import POLL_S, Plan
from ganviz.export.writers import ExportError

__all__ = ["LabProducer", "GameProducer", "RecordingProducer", "TRAIN_STAGES", "PREFETCH"]

# Snapshots trained ahead of the drawing.
PREFETCH = 3
TRAIN_STAGES = ("train", "metrics", "snapshot")


class _Failure:
    """An error raised by the training worker, carried to the drawing thread."""

    def __init__(self, error: BaseException) -> None:
        try:
            pickle.loads(pickle.dumps(error))
        except Exception:  # it has to cross a process boundary
            error = ExportError(f"Training failed ({type(error).__name__}: {error}); nothing was written.")
        self.error = error


class _TrainState:
    """What the drawing thread may read of a training worker, in memory that processes share."""

    def __init__(self, ctx: mp.context.BaseContext) -> None:
        self.position = ctx.RawValue("q", 0)      # frames trained so far
        self.lab_built = ctx.RawValue("b", 0)
        self.seconds = ctx.RawArray("d", len(TRAIN_STAGES))



def _exit_with_parent() -> None:
    """A child whose parent dies without stopping it (SIGKILL) exits within a poll, instead of
    training for nobody; at once, as a normal exit would wait on queue threads nobody reads."""
    parent = mp.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()
        os._exit(0)

    threading.Thread(target=watch, name="ganviz-export-parent-watch", daemon=True).start()


def train_frames(scenario: Scenario, plan: Plan, only_last: bool, out: "queue.Queue", stop: threading.Event,
                  state: _TrainState, in_process: bool, gan: Optional[int] = None) -> None:
    """The training side of an export: train, evaluate and queue (frame index, snapshot) in order.

    Runs on a thread or in a child process (module-level, so that it can be spawned);
    `out` takes the snapshots and, on failure, one `_Failure`. gan: the one GAN of the set whose
    per-GAN parts are drawn (the others' are not computed); None: every GAN's.
    """
    if in_process:
        # Ctrl-C reaches the whole process group; the parent cancels the export itself.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _exit_with_parent()
        keep_freed_memory()      # a spawned child: the parent's setting is not inherited

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=POLL_S)
                return True
            except queue.Full:
                continue
        return False

    try:
        # One torch thread: the other core draws and encodes.
        torch.set_num_threads(1)
        lab = Lab(scenario)
        lab.set_grid_stride = 1    # no frame rate to keep: D on every point of the grid, whatever the view
        if gan is not None:
            lab.set_parts(lab.parts, {part: gan for part in PER_GAN_PARTS})
        state.lab_built.value = 1
        for i in range(plan.frames):
            if stop.is_set():
                return
            steps = plan.steps_before(i)
            t0 = time.perf_counter()
            if steps and not lab.train(steps):
                raise ExportError(f"Training diverged at step {lab.step_count:,} (a loss or gradient became "
                                  "NaN or infinite); the export stopped and nothing was written.")
            t1 = time.perf_counter()
            if plan.metrics_due(i):
                lab.evaluate_metrics()
            t2 = time.perf_counter()
            state.position.value = i + 1
            state.seconds[0] += t1 - t0
            state.seconds[1] += t2 - t1
            if not only_last or i == plan.frames - 1:
                snap = lab.snapshot()
                state.seconds[2] += time.perf_counter() - t2
                if not put((i, snap)):
                    return
    except BaseException as e:  # raised again by the drawing thread
        put(_Failure(e))


def process_context() -> mp.context.BaseContext:
    """fork where it is safe, spawn elsewhere.

    A forked child starts in milliseconds, where a spawned one imports torch again (one
    or two seconds). Forking is safe only while this process runs no other thread and no
    Qt application: a headless export forks before it builds its widgets; the app spawns.
    macOS system frameworks are not fork-safe at all.
    """
    qt = sys.modules.get("PySide6.QtCore")  # no QApplication without Qt loaded; this module loads no Qt
    if (sys.platform.startswith("linux") and threading.active_count() == 1
            and (qt is None or qt.QCoreApplication.instance() is None)):
        return mp.get_context("fork")
    return mp.get_context("spawn")


class LabProducer:
    """Trains on a worker thread or in a child process and hands over (frame index, snapshot) pairs.

    A child process keeps training off the drawing thread's interpreter lock: in one
    process, rendering at full speed slowed training two- to four-fold. It costs a second
    or two to start, so short exports train on a thread.
    """

    def __init__(self, scenario: Scenario, plan: Plan, only_last: bool, in_process: bool,
                 gan: Optional[int] = None) -> None:
        ctx = process_context() if in_process else mp.get_context()
        self.in_process = in_process
        self._state = _TrainState(ctx)
        if in_process:
            self._q: queue.Queue = ctx.Queue(maxsize=PREFETCH)  # type: ignore[assignment]
            self._stop = ctx.Event()
            self._worker: Union[threading.Thread, mp.process.BaseProcess] = ctx.Process(
                target=train_frames, args=(scenario, plan, only_last, self._q, self._stop, self._state, True, gan),
                name="ganviz-export-train", daemon=True)
        else:
            self._q = queue.Queue(maxsize=PREFETCH)
            self._stop = threading.Event()  # type: ignore[assignment]
            self._worker = threading.Thread(
                target=train_frames, args=(scenario, plan, only_last, self._q, self._stop, self._state, False, gan),
                name="ganviz-export-train", daemon=True)

    @property
    def position(self) -> int:
        return int(self._state.position.value)

    @property
    def lab_built(self) -> bool:
        return bool(self._state.lab_built.value)

    @property
    def seconds(self) -> dict[str, float]:
        return dict(zip(TRAIN_STAGES, self._state.seconds))

    def start(self) -> None:
        if isinstance(self._worker, mp.process.BaseProcess):
            # a spawned child must not run the parent's main script again (an unguarded script
            # of the lecturer's would open a second window): see engine.process
            with main_module_hidden():
                self._worker.start()
        else:
            self._worker.start()

    def get(self, timeout: Optional[float]) -> Optional[tuple[int, Snapshot]]:
        deadline = None if timeout is None else time.perf_counter() + timeout
        while True:
            wait = POLL_S if deadline is None else max(0.0, min(POLL_S, deadline - time.perf_counter()))
            try:
                item = self._q.get(timeout=wait) if wait > 0 else self._q.get_nowait()
                break
            except queue.Empty:
                if not self._worker.is_alive() and not self._stop.is_set():
                    try:
                        item = self._q.get_nowait()  # put just before it ended
                        break
                    except queue.Empty:
                        code = getattr(self._worker, "exitcode", None)
                        raise ExportError("The export's training worker ended unexpectedly"
                                          + (f" (exit code {code})" if code is not None else "")
                                          + "; nothing was written.") from None
                if deadline is not None and time.perf_counter() >= deadline:
                    return None
        if isinstance(item, _Failure):
            raise item.error
        return item

    def stop(self) -> None:
        self._stop.set()
        # Take what it queued, so that a worker blocked on a full queue (or a child's queue
        # feeder thread) can finish; a child that does not end in time is terminated.
        deadline = time.perf_counter() + 5.0
        while self._worker.is_alive() and time.perf_counter() < deadline:
            try:
                self._q.get(timeout=POLL_S)
            except queue.Empty:
                pass
            self._worker.join(0.0)
        if self._worker.is_alive() and isinstance(self._worker, mp.process.BaseProcess):
            self._worker.terminate()
        self._worker.join()
        if self.in_process:
            self._q.close()  # type: ignore[attr-defined]
            self._q.join_thread()  # type: ignore[attr-defined]


class RecordingProducer:
    """A recorded run needs no training: frame i of the export is recorded frame `indices[i]`."""

    def __init__(self, recording, indices: list[int], only_last: bool) -> None:
        self.recording, self.indices = recording, list(indices)
        self.position = 0
        self.lab_built = True
        self.seconds: dict[str, float] = {}
        self._next = len(self.indices) - 1 if only_last else 0

    def start(self) -> None:
        pass

    def get(self, timeout: Optional[float]) -> Optional[tuple[int, Snapshot]]:
        if self._next >= len(self.indices):
            return None
        i = self._next
        self._next += 1
        self.position = i + 1
        return i, self.recording.snapshot(self.indices[i])

    def stop(self) -> None:
        pass


class GameProducer:
    """The game's trajectories need no training: frame i shows i * steps_per_frame iterations."""

    def __init__(self, plan: Plan, only_last: bool) -> None:
        self.plan, self.only_last = plan, only_last
        self.position = 0
        self.lab_built = False
        self.seconds: dict[str, float] = {}
        self._next = plan.frames - 1 if only_last else 0

    def start(self) -> None:
        pass

    def get(self, timeout: Optional[float]) -> Optional[tuple[int, int]]:
        if self._next >= self.plan.frames:
            return None
        i = self._next
        self._next += 1
        self.position = i + 1
        return i, self.plan.step_at(i)

    def stop(self) -> None:
        pass
