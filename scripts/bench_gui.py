"""Smoothness of the app while it trains as fast as it can (a benchmark, not a test).

    python scripts/bench_gui.py [--scenario ring8] [--seconds 10]

Prints the interval between GUI frames (the window's 16 ms timer ticks, each of
which draws the newest snapshot when there is one) as p50 / p95 / max, the frames
drawn per second, and the training steps per second in the app against the same
trainer stepping headless on a thread of its own (no evaluation, no GUI).
Runs offscreen unless a display is set (use xvfb-run for a real X server).
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY") else "xcb")
os.environ.setdefault("GANVIZ_SETTINGS_ORG", "ganviz-bench")


def headless_rate(scenario, seconds: float) -> float:
    """Steps/s of the bare trainer on a worker thread with one torch thread, as the app's session runs it."""
    import torch

    from ganviz.core.train import Trainer

    out = {}

    def work():
        torch.set_num_threads(1)
        torch.set_flush_denormal(True)
        tr = Trainer(scenario.data.mixture(), scenario.model, scenario.panel_settings(), seed=scenario.seed)
        tr.step(20)
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            tr.step(10)
            n += 10
        out["rate"] = n / (time.perf_counter() - t0)

    th = threading.Thread(target=work)
    th.start()
    th.join()
    return out["rate"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", default="ring8")
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()

    import numpy as np

    from ganviz.core import scenario as S
    from ganviz.ui.app import application, teardown
    from ganviz.ui.main_window import MainWindow

    sc = S.load(args.scenario)
    base = headless_rate(sc, args.seconds)
    app = application()
    w = MainWindow(sc)
    w.resize(1600, 960)
    w.show()
    for _ in range(50):
        app.processEvents()
        time.sleep(0.01)
    from PySide6 import QtCore

    w.session.play()
    mark = {}

    def start():            # after a 2 s warm-up in the real event loop
        w.frame_times.clear()
        mark.update(drawn=w._seen, step=w.session.step_count, t=time.perf_counter())

    QtCore.QTimer.singleShot(2000, start)
    QtCore.QTimer.singleShot(2000 + int(args.seconds * 1000), app.quit)
    app.exec()
    dt = time.perf_counter() - mark["t"]
    drawn0, step0 = mark["drawn"], mark["step"]
    steps = w.session.step_count - step0
    drawn = w._seen - drawn0
    iv = w.frame_intervals_ms()
    w.session.stop(2.0)
    teardown(w)
    print(f"# {sc.name}, {args.seconds:.0f} s, platform {os.environ['QT_QPA_PLATFORM']}, "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"GUI frame interval: p50 {np.percentile(iv, 50):.1f} ms, p95 {np.percentile(iv, 95):.1f} ms, "
          f"max {iv.max():.1f} ms over {len(iv)} frames")
    print(f"snapshots drawn: {drawn / dt:.1f} per second")
    print(f"training: {steps / dt:,.0f} steps/s in the app vs {base:,.0f} headless "
          f"({100 * steps / dt / base:.0f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
