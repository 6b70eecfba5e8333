"""How fast Pause and Close act on the heaviest settings the budget allows (a benchmark, not a test).

    OMP_NUM_THREADS=1 python scripts/pause_latency.py [--quick]

For each configuration (ring8 with large k, unroll, widths, batches, a gradient penalty, each just
under ganviz.core.budget's limits) it prints:
- the time of one whole step (what Pause had to wait for before steps became interruptible);
- the longest stretch between two yield points of a step (the worst case for Pause now);
- Pause: from `session.pause()` to training having stopped (the step in progress rolled back),
  median and max over several pauses sent at random moments of a step, and the max time until the
  session loop applied it (it may first finish the evaluation of a picture in progress);
- Close: from `stop()` to the training thread or process having ended, for the in-process session
  and for the app's child-process session.
Sessions run with one torch thread, as the app's do.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import random
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

from ganviz.core.budget import (MAX_BYTES, MAX_FLOPS_PER_PIECE, MAX_FLOPS_PER_STEP, check_cost,  # noqa: E402
                               estimate)
from ganviz.core.scenario import load                         # noqa: E402

CONFIGS = {
    # name: (model changes, train changes)
    "ring8 as built in": ({}, {}),
    "k=50, 3x256, batch 1024": ({"g_width": 256, "d_width": 256, "g_layers": 3, "d_layers": 3},
                               {"k": 50, "batch_size": 1024}),
    "unroll 20, 2x256, batch 1024": ({"g_width": 256, "d_width": 256, "g_layers": 2, "d_layers": 2},
                                    {"unroll": 20, "batch_size": 1024}),
    "2x1024, batch 8192": ({"g_width": 1024, "d_width": 1024, "g_layers": 2, "d_layers": 2},
                           {"batch_size": 8192}),
    "3x512, batch 8192, gp": ({"g_width": 512, "d_width": 512, "g_layers": 3, "d_layers": 3},
                              {"batch_size": 8192, "gp": 10.0, "loss": "wgan"}),
    "g_steps=50, 2x512, batch 8192": ({"g_width": 512, "d_width": 512, "g_layers": 2, "d_layers": 2},
                                      {"g_steps": 50, "batch_size": 8192}),
}


def scenario_for(model: dict, train: dict):
    """ring8 with these changes, the batch size scaled to the largest the budget allows."""
    sc = load("ring8")
    sc = dataclasses.replace(sc, model=dataclasses.replace(sc.model, **model),
                             train=dataclasses.replace(sc.train, **train))
    c = estimate(sc.model, sc.panel_settings(), sc.dim)
    for limit, kind in ((MAX_FLOPS_PER_STEP, "flops"), (MAX_BYTES, "bytes"), (MAX_FLOPS_PER_PIECE, "piece")):
        used = getattr(c, kind)
        if used > limit:
            b = int(sc.train.batch_size * limit / used * 0.99)
            sc = dataclasses.replace(sc, train=dataclasses.replace(sc.train, batch_size=b))
            c = estimate(sc.model, sc.panel_settings(), sc.dim)
    return sc.validate()


def longest_piece(sc) -> tuple[float, float]:
    """(one whole step, the longest gap between yield points) in seconds, from a bare trainer."""
    import torch

    from ganviz.core.train import Trainer
    torch.set_num_threads(1)
    tr = Trainer(sc.data.mixture(), sc.model, sc.panel_settings(), seed=sc.seed)
    tr.step(1)
    t0 = time.perf_counter()
    tr.step(1)
    whole = time.perf_counter() - t0
    marks = []
    tr.step_interruptible(lambda: marks.append(time.perf_counter()) or False)
    marks.append(time.perf_counter())
    return whole, max(b - a for a, b in zip(marks, marks[1:]))


def pause_latency(sc, tries: int, whole: float) -> tuple[list[float], list[float]]:
    """(training stopped, pause applied) after `pause()`, in seconds, for `tries` pauses at random moments.

    Training has stopped when the train call in progress returned (an interrupted step is rolled back);
    the pause is applied when the session loop reads it, which can wait for an evaluation in progress
    (the metrics of the picture being made; they cost the same whatever k, g_steps or unroll)."""
    from ganviz.engine.session import Session
    s = Session(sc)
    ends = []
    train = s.lab.train

    def timed_train(*a, **kw):
        try:
            return train(*a, **kw)
        finally:
            ends.append(time.perf_counter())

    s.lab.train = timed_train
    s.start()
    stopped, applied = [], []
    try:
        for _ in range(tries):
            s.play()
            if not s.lab.step_count:
                s.wait_for(lambda snap: snap.step >= 1, timeout=30)
            time.sleep(random.uniform(0.0, whole))
            t0 = time.perf_counter()
            s.pause()
            while s.playing:
                time.sleep(0.0005)
            applied.append(time.perf_counter() - t0)
            stopped.append(max(0.0, ends[-1] - t0))
    finally:
        s.stop()
    return stopped, applied


def close_latency(sc, process: bool, whole: float) -> float:
    if process:
        from ganviz.engine.process import ProcessSession as Kind
    else:
        from ganviz.engine.session import Session as Kind
    s = Kind(sc).start()
    s.play()
    s.wait_for(lambda snap: snap.step >= 1, timeout=60)
    time.sleep(random.uniform(0.0, whole))
    t0 = time.perf_counter()
    s.stop(2.0)
    return time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer pauses per configuration")
    a = ap.parse_args(argv)
    random.seed(0)
    tries = 3 if a.quick else 8
    print(f"{'configuration':32} {'budget':>7} {'step':>8} {'piece':>8} {'stop p50':>9} {'stop max':>9} "
          f"{'applied max':>11} {'close thr':>10} {'close proc':>10}")
    for name, (model, train) in CONFIGS.items():
        sc = scenario_for(model, train)
        c = check_cost(sc.model, sc.panel_settings(), sc.dim)
        whole, piece = longest_piece(sc)
        p, pa = pause_latency(sc, tries, whole)
        ct = close_latency(sc, False, whole)
        cp = close_latency(sc, True, whole)
        budget = c.flops / MAX_FLOPS_PER_STEP
        name = f"{name.rsplit(', batch', 1)[0]}, batch {sc.train.batch_size}"
        print(f"{name:32} {budget:7.0%} {whole * 1e3:6.0f}ms {piece * 1e3:6.0f}ms {statistics.median(p) * 1e3:7.0f}ms "
              f"{max(p) * 1e3:7.0f}ms {max(pa) * 1e3:9.0f}ms {ct * 1e3:8.0f}ms {cp * 1e3:8.0f}ms", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
