"""Take the README's screenshots of the real window.

    xvfb-run -a -s "-screen 0 1600x1000x24" python scripts/screenshots.py [--out docs]

Each shot opens the app on a built-in scenario, trains a fixed number of steps
(seeded, so the pictures are reproducible on the CPU), then grabs the window.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("GANVIZ_SETTINGS_ORG", "ganviz-screenshots")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="docs")
    ap.add_argument("--size", default="1600x960")
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    width, height = (int(v) for v in args.size.split("x"))

    from PySide6 import QtCore

    from ganviz.core import scenario as S
    from ganviz.ui.app import application, teardown
    from ganviz.ui.main_window import MainWindow

    app = application()
    QtCore.QSettings(os.environ["GANVIZ_SETTINGS_ORG"], "ganviz").clear()
    shots = [
        # (file, scenario, steps, tab, setup)
        ("app-1d.png", "goodfellow-fig1", 600, "Lab", None),
        ("app-2d.png", "ring8", 1500, "Lab", None),
        ("app-compare.png", "compare-losses-ring8", 1500, "Compare", None),
        ("app-game.png", "ring8", 0, "Game dynamics", "game"),
    ]
    for fname, name, steps, tab, setup in shots:
        if args.only and args.only not in fname:
            continue
        w = MainWindow(S.load(name))
        w.resize(width, height)
        w.show()
        for i in range(w.tabs.count()):
            if w.tabs.tabText(i) == tab:
                w.tabs.setCurrentIndex(i)
        if setup == "game" and w.game_view is not None:
            w.game_view.set_start(1.0, 0.5)
            w.game_view.finish_animation()
        if steps:
            w.session.step(steps)
            end = time.monotonic() + 600
            while time.monotonic() < end:
                app.processEvents()
                snap = w.session.latest()
                if snap is not None and snap.step >= steps and w._seen == w.session.published:
                    break
                time.sleep(0.01)
            # the slow metrics (divergences) of the last step come from a worker a moment after its picture
            end = time.monotonic() + 30
            while time.monotonic() < end and "divergences" in w.needed_parts():
                app.processEvents()
                snap = w.session.latest()
                if snap is not None and "js" in snap.history and len(snap.steps_of("js")) \
                        and snap.steps_of("js")[-1] >= steps:
                    break
                time.sleep(0.02)
        for _ in range(30):
            app.processEvents()
            time.sleep(0.02)
        path = out / fname
        w.grab().save(str(path))
        print(f"wrote {path} (step {w.session.step_count})")
        w.session.stop(2.0)
        teardown(w)
    return 0


if __name__ == "__main__":
    sys.exit(main())
