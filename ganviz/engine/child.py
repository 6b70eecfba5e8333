"""The child process of a `ganviz.engine.process.ProcessSession`: a Session that trains here and
publishes its snapshots to the parent through a queue."""
from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
from typing import Optional

from ganviz.core.scenario import Scenario
from ganviz.engine.memory import keep_freed_memory
from ganviz.engine.session import Session
from ganviz.engine.threads import choose_threads, yield_to_window
from ganviz.logs import log_exception


def _state(s) -> dict:
    return {"scenario": s.scenario, "m": s.m, "dim": s.dim, "playing": s.playing, "error": s.error,
            "steps_per_sec": s.steps_per_sec, "step": s.lab.step_count, "device": str(s.lab.trainer.device)}


def serve(scenario: Scenario, device: Optional[str], options: dict, cmds, out) -> None:
    # Ctrl+C in a terminal reaches the whole process group: the parent closes the window and stops us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The window must not wait for a core behind training: it draws first, training takes the rest.
    yield_to_window()
    keep_freed_memory()

    try:
        if options.get("threads", "auto") == "auto":
            options = {**options, "threads": choose_threads(scenario, device or scenario.device).threads}
        s = Session(scenario, device, commands=cmds, on_publish=lambda ses, snap: out.put(("snap", snap, _state(ses))),
                    **options)
    except Exception as e:  # a scenario that fails on this device: say so in the parent
        out.put(("error", f"{type(e).__name__}: {e}", None))
        return
    out.put(("ready", None, _state(s)))

    def orphaned() -> None:
        # A parent that dies without stopping us (killed, crashed) must not leave us training forever.
        # Exit at once: a normal exit would wait on queue feeder threads that nobody reads any more.
        mp.parent_process().join()
        os._exit(0)

    threading.Thread(target=orphaned, name="ganviz-parent-watch", daemon=True).start()
    try:
        s.run_here()
    except Exception as e:   # what the loop's own guards did not catch: said in the parent, logged here
        where = log_exception(e, "the training process")
        out.put(("error", f"The training process stopped: {type(e).__name__}: {e}"
                          + (f" (details: {where})" if where else ""), None))
        return
    out.put(("stopped", None, _state(s)))

