"""What the step inspector's summary costs (a benchmark, not a test).

    OMP_NUM_THREADS=1 python scripts/bench_step_summary.py [SCENARIO] [--steps 300] [--rounds 7]

Steps/s of the scenario's trainer with `Trainer.inspect` off (nobody looks: nothing is kept) and on (the Step
inspector tab is shown, or `ganviz run --explain`'s last iteration), in interleaved rounds so that a change in
the machine's load hits both alike, and the median of each; then what one `step_summary()` (a snapshot's
worth) takes. Note the load average: other programs on the cores move both numbers.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import torch


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", nargs="?", default="ring8")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    torch.set_num_threads(1)
    from ganviz.core import scenario as S
    from ganviz.core.train import Trainer

    sc = S.load(args.scenario)
    trainers = {}
    for kind in ("off", "on"):
        t = Trainer(sc.data.mixture(), sc.model, sc.panel_settings(), seed=sc.seed)
        t.inspect = kind == "on"
        t.step(20)                                   # warm-up: allocations, first-call costs
        trainers[kind] = t
    rates: dict[str, list[float]] = {k: [] for k in trainers}
    for _ in range(args.rounds):
        for kind, t in trainers.items():
            t0 = time.perf_counter()
            t.step(args.steps)
            rates[kind].append(args.steps / (time.perf_counter() - t0))
    print(f"# {args.scenario}: {args.rounds} rounds of {args.steps} steps, load average "
          f"{os.getloadavg()[0]:.2f}")
    med = {k: statistics.median(v) for k, v in rates.items()}
    for kind, v in rates.items():
        print(f"inspect {kind:>3}: {med[kind]:7.1f} steps/s (rounds {', '.join(f'{x:.0f}' for x in v)})")
    print(f"with the summary kept: {med['on'] / med['off']:.1%} of the speed without")
    t = trainers["on"]
    t0 = time.perf_counter()
    for _ in range(100):
        t.step_summary()
    print(f"step_summary(), once a picture: {(time.perf_counter() - t0) * 10:.2f} ms")


if __name__ == "__main__":
    main()
