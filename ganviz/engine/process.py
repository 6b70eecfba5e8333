"""A training session in a child process: the GUI and training never share Python's GIL.

On a 2-core machine a training thread inside the GUI process loses about half its
speed to the GUI thread's drawing, because both run Python. `ProcessSession`
runs the same `Session` loop in a child process (started with "spawn", safe with
CUDA) and mirrors its public interface: commands go through a multiprocessing
queue, snapshots come back pickled and are re-frozen here.

What the GUI cannot do through a process boundary: reach into the Lab (there is
no `lab` attribute) or send `call(fn)` commands.
"""
from __future__ import annotations

import contextlib
import importlib
import multiprocessing as mp
import queue
import sys
import threading
import time
from typing import Optional

from ganviz.core.scenario import Scenario
from ganviz.engine.api import SessionAPI
from ganviz.engine.snapshot import Snapshot, refreeze


@contextlib.contextmanager
def main_module_hidden():
    """Start a spawned child without re-importing the parent's main script.

    "spawn" runs the parent's __main__ again in the child unless the script guards itself with
    `if __name__ == "__main__"`; a lecturer's own script often does not, and would open a second
    window. The child needs nothing from __main__ (its entry point lives in this module), so the
    main module's file and spec are hidden from multiprocessing while the child starts.
    """
    main = sys.modules.get("__main__")
    saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if main is not None and k in main.__dict__}
    try:
        if main is not None:
            main.__dict__.pop("__file__", None)
            main.__spec__ = None
        yield
    finally:
        if main is not None:
            main.__dict__.update(saved)
            if "__spec__" not in saved:
                main.__dict__.pop("__spec__", None)


def _in_child(module: str, function: str, *args) -> None:
    """The child process's entry: `module.function(*args)`, imported there.

    The trainer (torch) is named here, not imported: it loads in the child process only,
    so the GUI process that holds a ProcessSession never imports torch (tests/test_layers.py)."""
    getattr(importlib.import_module(module), function)(*args)


CHILD = ("ganviz.engine.child", "serve")

class ProcessSession(SessionAPI):
    def __init__(self, scenario: Scenario, device: Optional[str] = None, **options):
        self.scenario = scenario.validate()
        self.m = len(scenario.panel_settings())
        self.dim = scenario.dim
        self.playing = False
        self.steps_per_sec = 0.0
        self.error: Optional[str] = None
        self.step_count = 0
        self.device = device or scenario.device
        self._device, self._options = device, options
        self._lock = threading.Lock()
        self._latest: Optional[Snapshot] = None
        self._published = 0
        self._closing = threading.Event()
        self._spawn(self.scenario)

    def _spawn(self, scenario: Scenario) -> None:
        ctx = mp.get_context("spawn")
        self._cmds = ctx.Queue()
        self._out = ctx.Queue()
        self._proc = ctx.Process(target=_in_child,
                                 args=(*CHILD, scenario, self._device, self._options, self._cmds, self._out),
                                 name="ganviz-train", daemon=True)
        self._reader = threading.Thread(target=self._read, name="ganviz-snapshots", daemon=True)

    def _restart_if_dead(self, scenario: Scenario) -> bool:
        """A child that died (killed for memory, say) is started again on `scenario`: Reset or opening
        a scenario recovers without restarting the app. True if it was restarted."""
        if self._closing.is_set() or self._proc.pid is None or self._proc.is_alive():
            return False
        for q in (self._cmds, self._out):
            q.cancel_join_thread()
            q.close()
        self.error = None
        self.playing = False
        self.scenario = scenario
        self._spawn(scenario)
        self.start()
        return True

    def reset(self) -> None:
        if not self._restart_if_dead(self.scenario):
            super().reset()

    def load(self, scenario: Scenario) -> None:
        if not self._restart_if_dead(scenario.validate()):
            super().load(scenario)

    # -- life cycle ----------------------------------------------------------------------
    def start(self) -> "ProcessSession":
        if not self._proc.is_alive() and self._proc.exitcode is None:
            with main_module_hidden():
                self._proc.start()
            self._reader.start()
        return self

    def stop(self, timeout: float = 2.0) -> bool:
        end = time.monotonic() + timeout
        if self._closing.is_set() or self._proc.pid is None:   # never started, or stopped already
            self._closing.set()
            return not self._proc.is_alive()
        self._closing.set()
        self._cmds.put(("_stop", (), {}))
        # The child leaves its step within one piece (see Session), but a Python process with torch takes
        # a few hundred ms more to exit; nothing it holds is needed any more, so after a short grace it is
        # terminated: Close acts within about 100 ms.
        self._proc.join(min(0.05, max(0.0, end - time.monotonic() - 0.3)))
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(0.3)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join(0.2)
        self._reader.join(max(0.05, end - time.monotonic()))
        for q in (self._cmds, self._out):
            q.cancel_join_thread()
            q.close()
        return not self._proc.is_alive()

    @property
    def alive(self) -> bool:
        return self._proc.is_alive()

    def _read(self) -> None:
        while not self._closing.is_set() or not self._out.empty():
            try:
                kind, snap, state = self._out.get(timeout=0.02)
            except (queue.Empty, EOFError, OSError):
                if not self._proc.is_alive() and self._out.empty():
                    if not self._closing.is_set():
                        code = self._proc.exitcode
                        why = "; killed, perhaps for lack of memory" if code in (-9, 137) else ""
                        self.error = (f"The training process ended unexpectedly (exit code {code}{why}); "
                                      "press Reset (R) to start it again.")
                        self.playing = False
                    return
                continue
            if kind == "error":
                self.error = snap
                return
            for k, v in (state or {}).items():
                setattr(self, k if k != "step" else "step_count", v)
            if kind == "snap":
                snap = refreeze(snap)
                with self._lock:
                    self._latest = snap
                    self._published += 1

