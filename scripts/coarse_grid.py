"""What Compare's coarser grid costs in truth (a measurement, not a test).

    python scripts/coarse_grid.py                        # compare-losses-ring8 at steps 300 and 1,500
    python scripts/coarse_grid.py minibatch-features-ring8 --steps 500 2000
    python scripts/coarse_grid.py --refresh              # how often Compare's heatmaps refresh while training

Compare's heatmaps of three GANs or more read D on a grid half as fine a side and interpolate it
(`ganviz.engine.lab.SET_GRID_STRIDE`). For each GAN of the scenario, at each step, this prints how far that
picture of D is from D read at every point of the grid: the mean, 99th percentile and largest absolute
difference in the heatmap's units, and D's range over the grid to read them against. With --refresh it
runs the app's training session instead (no window) with Compare's heatmaps shown, and prints how many
pictures a second have a newer D on the grid than the last.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario", nargs="?", default="compare-losses-ring8")
    ap.add_argument("--steps", type=int, nargs="+", default=[300, 1500])
    ap.add_argument("--refresh", action="store_true", help="heatmap refreshes a second in a training session")
    ap.add_argument("--seconds", type=float, default=8.0, help="measured seconds with --refresh")
    args = ap.parse_args()
    from ganviz.core import scenario as S
    if args.refresh:
        return refresh(args.scenario, S.load(args.scenario), args.seconds)
    from ganviz.engine.lab import SET_GRID_STRIDE, Lab

    torch.set_num_threads(1)
    lab = Lab(S.load(args.scenario))
    print(f"# {args.scenario}: D read every {SET_GRID_STRIDE} points a side and interpolated, against every point")
    print("| step | GAN | mean | p99 | max | D's range |")
    print("| --- | --- | --- | --- | --- | --- |")
    for step in sorted(args.steps):
        lab.train(max(0, step - lab.step_count))
        ev = lab.evaluator
        fine = ev.frame(("d_grid",))["d_grid"]
        coarse = ev.frame(("d_grid",), grid_stride=SET_GRID_STRIDE)["d_grid"]
        for i, label in enumerate(lab.scenario.panel_labels()):
            gap = np.abs(fine[i] - coarse[i])
            print(f"| {lab.step_count:,} | {label} | {gap.mean():.4f} | {np.percentile(gap, 99):.4f} "
                  f"| {gap.max():.4f} | {np.ptp(fine[i]):.3f} |")
    return 0


def refresh(name: str, sc, seconds: float) -> int:
    from ganviz.engine.memory import keep_freed_memory
    from ganviz.engine.session import Session

    keep_freed_memory()      # as the app's training process does
    grids: set = set()
    s = Session(sc, on_publish=lambda ses, snap: grids.add(snap.step_of("d_grid", 0)))
    s.show({"fake_d", "d_grid", "divergences"}, {"fake_d": 0})       # Compare's panels with their heatmaps
    s.start()
    s.play()
    time.sleep(3.0)
    n0, p0, t0 = len(grids), s.published, time.perf_counter()
    time.sleep(seconds)
    dt = time.perf_counter() - t0
    print(f"{name}: {(len(grids) - n0) / dt:.1f} heatmap refreshes a second, {(s.published - p0) / dt:.1f} "
          f"pictures, D read every {s.lab.grid_stride} points a side")
    s.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
