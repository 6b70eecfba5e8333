"""How fast the timeline scrubs, and how long a run the recording holds (a benchmark, not a test).

    python scripts/bench_rewind.py [--scenario ring8] [--frames 600]

Trains the scenario headless for `--frames` pictures at the app's cadence and records them as the app
does; then, in the real window (offscreen unless a display is set), drags through the recording frame
by frame and reports the pictures drawn per second while scrubbing, with the recording's bytes per frame
and how many minutes of pictures at 30 a second the default budget holds before it thins.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY") else "xcb")
os.environ.setdefault("GANVIZ_SETTINGS_ORG", "ganviz-bench")
# the window's settings go to a folder of the benchmark's own, never the user's configuration
os.environ.setdefault("XDG_CONFIG_HOME", tempfile.mkdtemp(prefix="ganviz-bench-"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="ring8")
    ap.add_argument("--frames", type=int, default=600)
    ap.add_argument("--steps-per-frame", type=int, default=10)
    a = ap.parse_args(argv)

    import torch
    from PySide6 import QtCore

    from ganviz.core import scenario as S
    from ganviz.engine.lab import Lab
    from ganviz.engine.recording import DEFAULT_BUDGET, Recording
    from ganviz.engine.session import Session
    from ganviz.ui.app import application, teardown
    from ganviz.ui.main_window import MainWindow

    torch.set_num_threads(1)
    sc = S.load(a.scenario)
    lab = Lab(sc)
    rec = Recording(sc)
    t0 = time.perf_counter()
    adds = []
    for i in range(a.frames):
        if i:
            lab.train(a.steps_per_frame)
        if i % 4 == 0:
            lab.start_metrics(slow=i % 16 == 0) if hasattr(lab, "start_metrics") else lab.evaluate_metrics()
        snap = lab.snapshot()
        t = time.perf_counter()
        rec.add(snap)
        adds.append(time.perf_counter() - t)
    per_frame = rec.nbytes / len(rec)
    print(f"# {a.scenario}: {len(rec)} frames recorded in {time.perf_counter() - t0:.0f} s; "
          f"{per_frame / 1024:.1f} KiB a frame in memory; recording a frame {statistics.median(adds) * 1e3:.2f} ms "
          f"(median); the {DEFAULT_BUDGET / 1024**2:.0f} MB budget holds {DEFAULT_BUDGET / per_frame / 30 / 60:.1f} "
          "minutes at 30 pictures a second before thinning older frames")

    app = application()
    QtCore.QSettings(os.environ["GANVIZ_SETTINGS_ORG"], "ganviz").clear()
    w = MainWindow(sc, session_factory=Session)
    w.resize(1500, 920)
    w.show()
    for _ in range(20):
        app.processEvents()
    w.rewind.recording = rec
    w.rewind.attached = False
    w.pause_for_rewind()
    steps = [int(s) for s in rec.steps]
    times = []
    t_start = time.perf_counter()
    for s in steps:
        t = time.perf_counter()
        w.rewind.scrub(s)
        app.processEvents()            # the repaint, as a drag's mouse events come between paints
        times.append(time.perf_counter() - t)
    total = time.perf_counter() - t_start
    ms = sorted(x * 1e3 for x in times)
    print(f"scrubbing {a.scenario}: {len(steps) / total:.1f} pictures/s over {len(steps)} recorded frames; "
          f"per picture p50 {ms[len(ms) // 2]:.1f} ms, p95 {ms[int(0.95 * (len(ms) - 1))]:.1f} ms, max {ms[-1]:.1f} ms")
    w.session.stop(2.0)
    teardown(w)
    return 0


if __name__ == "__main__":
    sys.exit(main())
