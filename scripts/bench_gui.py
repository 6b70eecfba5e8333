"""Smoothness of the app while it trains as fast as it can (a benchmark, not a test).

    python scripts/bench_gui.py                       # every built-in training scenario, 8 s each
    python scripts/bench_gui.py ring8 compare-losses-ring8 --seconds 10
    python scripts/bench_gui.py compare-losses-ring8 --heatmap     # Compare with its D heatmaps on
    python scripts/bench_gui.py ring8 --tab Compare                # another tab than the scenario's own

Each scenario runs in a fresh process: the app's window (offscreen unless a display is set; use
xvfb-run for a real X server) with its default training session (a child process), on the view the
scenario opens in (1D or 2D Lab, or Compare), from 2 s after its first picture of a running step. Printed per scenario, as a
Markdown table row:

- new pictures per second: snapshots the window drew (each a later training step than the last; one that
  a slow frame skipped for a newer one is not counted);
- the GUI frame interval (the window's 16 ms timer ticks) p50 / p95 / max, in the view the scenario opens in;
- the GUI thread's own CPU time per frame interval p50 / p95 (what drawing costs; the interval also has
  the time other processes took the core: with the training process and other work on 2 cores, the
  interval can be long while the GUI itself needs little);
- training steps per second in the app against the same trainer stepping headless on a thread of its
  own (no evaluation, no GUI), measured just before in the same process, and their ratio;
- the machine's load average at the end (other work on the machine skews every number).

With --no-window the app's training process runs alone (the parts the window would ask for): the
difference from the row with the window is what drawing costs on a machine whose cores it shares.

The game lab's scenarios have no training session: their rows measure the game lab growing its
trajectories, replayed each time they are complete (the Replay button), for the same seconds. A new
picture there is a frame whose trajectories grew; the interval and CPU columns are those between its
timer's ticks within one replay.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
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
        tr.step(5)
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            tr.step(10)            # in chunks, as the session trains (one step a call costs more)
            n += 10
        out["rate"] = n / (time.perf_counter() - t0)

    th = threading.Thread(target=work)
    th.start()
    th.join()
    return out["rate"]


def measure_session(name: str, seconds: float) -> dict:
    """The app's training process alone (no window): pictures published and steps, with the parts the
    window would ask for on the scenario's view (its docks shown)."""
    from ganviz.core import scenario as S
    from ganviz.engine.process import ProcessSession

    sc = S.load(name)
    base = headless_rate(sc, min(seconds, 5.0))
    s = ProcessSession(sc).start()
    compare = sc.view == "compare" or len(sc.panels) > 1
    parts = {"fake_d", "divergences"} | (set() if compare and sc.dim == 2 else {"d_grid"})
    if not compare and sc.dim == 2:
        parts |= {"grad", "manifold"}
    s.show(parts)
    s.play()
    s.wait_for(lambda snap: snap.running and snap.step > 0, 120)
    time.sleep(2.0)
    p0, st0, t0 = s.published, s.step_count, time.perf_counter()
    time.sleep(seconds)
    dt = time.perf_counter() - t0
    out = {"scenario": name, "view": ("Compare" if compare else f"{sc.dim}D") + ", no window",
           "gans": len(sc.panel_settings()), "pictures": (s.published - p0) / dt, "p50": float("nan"),
           "p95": float("nan"), "max": float("nan"), "cpu50": float("nan"), "cpu95": float("nan"),
           "app": (s.step_count - st0) / dt, "headless": base,
           "parts": sorted(parts), "load": os.getloadavg()[0]}
    s.stop(2.0)
    return out


def open_window(sc, setup=None):
    """The app's window on scenario `sc`, shown at the benchmark's size; `setup(window)` runs before it
    settles (half a second of events). Returns (application, window)."""
    from ganviz.ui.app import application
    from ganviz.ui.main_window import MainWindow

    app = application()
    w = MainWindow(sc)
    w.resize(1600, 960)
    w.show()
    if setup is not None:
        setup(w)
    for _ in range(50):
        app.processEvents()
        time.sleep(0.01)
    return app, w


def measure(name: str, seconds: float, heatmap: bool, tab: str = "") -> dict:
    """One scenario in this process: the numbers of one table row."""
    import numpy as np
    from PySide6 import QtCore

    from ganviz.core import scenario as S
    from ganviz.ui.app import teardown

    sc = S.load(name)
    base = headless_rate(sc, min(seconds, 5.0))

    def setup(w):
        if tab:
            tabs = [w.tabs.tabText(i) for i in range(w.tabs.count())]
            if tab not in tabs:
                raise SystemExit(f"--tab: one of {', '.join(tabs)} (got {tab!r})")
            w.tabs.setCurrentIndex(tabs.index(tab))
        if heatmap:
            w.compare_view.heat_check.setChecked(True)

    app, w = open_window(sc, setup)
    w.session.play()
    mark: dict = {}
    # Pictures drawn, not published: the session's count also has those that a slow frame skipped.
    drawn_count = [0]
    show = w.show_snapshot

    def counted(*args, **kwargs):
        drawn_count[0] += 1
        return show(*args, **kwargs)

    w.show_snapshot = counted
    # The GUI thread's own CPU time between ticks: what drawing costs, apart from what other processes
    # take from it (the frame interval has both; on a loaded machine mostly the second).
    cpu_marks: list = []
    w.timer.timeout.connect(lambda: cpu_marks.append(time.thread_time()))

    def start():
        w.frame_times.clear()
        cpu_marks.clear()
        mark.update(drawn=drawn_count[0], step=w.session.step_count, t=time.perf_counter())
        QtCore.QTimer.singleShot(int(seconds * 1000), app.quit)

    def warm_up():
        # The training process takes a few seconds to start (more on a busy machine): measure from 2 s
        # after the window has drawn a picture of a running step, so that starting is not counted.
        snap = w._last_snapshot
        if snap is not None and snap.running and snap.step > 0:
            QtCore.QTimer.singleShot(2000, start)
        else:
            QtCore.QTimer.singleShot(100, warm_up)

    warm_up()
    app.exec()
    dt = time.perf_counter() - mark["t"]
    steps = w.session.step_count - mark["step"]
    drawn = drawn_count[0] - mark["drawn"]
    iv = w.frame_intervals_ms()
    cpu = np.diff(cpu_marks) * 1000.0
    current = w.tabs.currentWidget()
    view = ("Compare" if current is w.compare_view else f"{sc.dim}D")
    if heatmap and current is w.compare_view:
        view += " + heatmaps"
    parts = sorted(w.needed_parts())
    w.session.stop(2.0)
    teardown(w)
    return {"scenario": name, "view": view, "gans": len(sc.panel_settings()), "pictures": drawn / dt,
            "p50": float(np.percentile(iv, 50)), "p95": float(np.percentile(iv, 95)), "max": float(iv.max()),
            "cpu50": float(np.percentile(cpu, 50)), "cpu95": float(np.percentile(cpu, 95)),
            "app": steps / dt, "headless": base, "parts": parts, "load": os.getloadavg()[0]}


def measure_game(name: str, seconds: float) -> dict:
    """A game-lab scenario: its trajectories grow, replayed whenever they are complete."""
    import numpy as np
    from PySide6 import QtCore

    from ganviz.core import scenario as S
    from ganviz.ui.app import teardown

    app, w = open_window(S.load(name))
    g = w.game_view
    assert w.tabs.currentWidget() is g, f"{name} did not open on the game lab"
    ticks: list = []            # (wall s, thread CPU s, replay index) after each frame that grew
    replay = [0]
    own_tick = g._tick

    def tick():
        own_tick()
        ticks.append((time.perf_counter(), time.thread_time(), replay[0]))
        if not g.animating():   # complete: replay, as a lecturer pressing Replay would
            replay[0] += 1
            g.controls.replayRequested.emit()

    g._timer.timeout.disconnect()
    g._timer.timeout.connect(tick)
    t0 = time.perf_counter()
    g.controls.replayRequested.emit()
    QtCore.QTimer.singleShot(int(seconds * 1000), app.quit)
    app.exec()
    dt = time.perf_counter() - t0
    t = np.array(ticks)
    same = t[1:, 2] == t[:-1, 2]
    iv = np.diff(t[:, 0])[same] * 1000.0
    cpu = np.diff(t[:, 1])[same] * 1000.0
    teardown(w)
    nan = float("nan")
    return {"scenario": name, "view": "game lab", "gans": 0, "pictures": len(ticks) / dt,
            "p50": float(np.percentile(iv, 50)), "p95": float(np.percentile(iv, 95)), "max": float(iv.max()),
            "cpu50": float(np.percentile(cpu, 50)), "cpu95": float(np.percentile(cpu, 95)),
            "app": nan, "headless": nan, "parts": [], "load": os.getloadavg()[0],
            "replays": replay[0]}


def is_game(name: str) -> bool:
    from ganviz.core import scenario as S

    return S.load(name).view == "game"


def builtin_scenarios(game: bool) -> list[str]:
    """The built-in scenarios of the game lab (game=True) or those that train."""
    from ganviz.core import scenario as S

    return [n for n in S.builtin_names() if is_game(n) == game]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenarios", nargs="*", help="built-in names or files (default: every training scenario)")
    ap.add_argument("--seconds", type=float, default=8.0, help="measured seconds per scenario (after the start and 2 s of warm-up)")
    ap.add_argument("--heatmap", action="store_true", help="Compare with its D heatmaps on")
    ap.add_argument("--tab", default="", help="measure on this tab (Lab, Compare) instead of the scenario's own view")
    ap.add_argument("--no-window", action="store_true",
                    help="the training process alone, without the window (what drawing costs, by difference)")
    ap.add_argument("--one", help=argparse.SUPPRESS)       # the child: measure one scenario, print JSON
    args = ap.parse_args()
    if args.one:
        from ganviz.engine.memory import keep_freed_memory
        keep_freed_memory()          # as `ganviz` sets it in the app's window process (and the training process)
        if is_game(args.one):
            print(json.dumps(measure_game(args.one, args.seconds)))
            return 0
        r = measure_session(args.one, args.seconds) if args.no_window else measure(args.one, args.seconds,
                                                                                    args.heatmap, args.tab)
        print(json.dumps(r))
        return 0
    names = args.scenarios or builtin_scenarios(game=False) + (
        [] if args.no_window or args.tab or args.heatmap else builtin_scenarios(game=True))
    print(f"# {len(names)} scenarios, {args.seconds:.0f} s each, platform {os.environ['QT_QPA_PLATFORM']}, "
          f"{os.cpu_count()} CPUs")
    print("| scenario | view | GANs | new pictures / s | GUI frame interval p50 / p95 / max (ms) "
          "| GUI thread CPU per frame p50 / p95 (ms) | steps / s in the app | headless | ratio | load |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in names:
        cmd = [sys.executable, __file__, "--one", name, "--seconds", str(args.seconds)]
        if args.heatmap:
            cmd.append("--heatmap")
        if args.tab:
            cmd += ["--tab", args.tab]
        if args.no_window:
            cmd.append("--no-window")
        out = subprocess.run(cmd, capture_output=True, text=True)
        lines = [l for l in out.stdout.splitlines() if l.startswith("{")]
        if out.returncode != 0 or not lines:
            print(f"| {name} | failed (exit {out.returncode}): {out.stderr.strip().splitlines()[-1:]} |")
            continue
        r = json.loads(lines[-1])
        training = ("| - | - | -" if r["view"] == "game lab" else
                    f"| {r['app']:,.0f} | {r['headless']:,.0f} | {100 * r['app'] / r['headless']:.0f}%")
        print(f"| {r['scenario']} | {r['view']} | {r['gans']} | {r['pictures']:.1f} "
              f"| {r['p50']:.1f} / {r['p95']:.1f} / {r['max']:.0f} | {r['cpu50']:.1f} / {r['cpu95']:.1f} "
              f"{training} | {r['load']:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
