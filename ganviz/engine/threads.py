"""How many torch threads a training process uses: chosen by measurement, for this machine and this model.

One core is left to whoever draws (the app's GUI, an export's encoder), so on a 2-core machine training
keeps the one thread it always had: OpenMP's spinning threads collapse when the cores are shared
(measured: 310 vs 215 steps/s under load). With more cores, a short calibration at start trains a
throw-away copy of the scenario's networks with 1, 2, 4 ... threads and keeps the fewest threads within
`MARGIN` of the fastest: small networks are bound by per-operation overhead, where more threads only
cost, and wide ones gain from them. `ganviz bench` prints the choice and its measurements.

The app's training process also runs below the window's priority (`yield_to_window`): where training,
its metric worker and the window want more cores than there are, the window draws first and training
takes the rest. Measured with `python scripts/bench_gui.py` on 2 cores over the 21 training scenarios, one
run after the other: the frame interval's p95 16.7-25.6 ms (median 19.0) at equal priority, 16.6-17.7 ms
(median 16.7) so, with training at a median 88 % and 87 % of its headless speed (see the README).
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

from ganviz.core.budget import estimate
from ganviz.core.scenario import Scenario

BACKGROUND_NICE = 10  # the app's training process: a niceness the window's frames outweigh tenfold
MARGIN = 0.15          # more threads must be at least this much faster to be chosen
SMALL_FLOPS = 2e7      # a step below this (~0.3 ms on one core) is overhead-bound: one thread, no calibration
SLICE = 0.12           # seconds of training per candidate


@dataclass(frozen=True)
class ThreadChoice:
    threads: int
    why: str
    rates: dict = field(default_factory=dict)     # threads -> measured steps/s (empty when not measured)


def usable_cpus() -> int:
    """The cores this process may run on (a container or taskset may allow fewer than the machine has)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def yield_to_window(niceness: int = BACKGROUND_NICE) -> bool:
    """Lower this process's priority by `niceness` (POSIX; a no-op elsewhere). True if it was lowered.

    Linux shares a contended core by weight: at niceness 10 a thread weighs about a tenth of the
    window's, so a frame is not kept waiting behind training or the metric worker, while training still
    gets every cycle the window leaves."""
    if not hasattr(os, "nice") or niceness <= 0:
        return False
    try:
        os.nice(niceness)
    except OSError:      # not allowed here (some sandboxes): train at the priority we have
        return False
    return True


def candidates(cpus: int) -> list[int]:
    """1, 2, 4, ... up to the cores left after one for the GUI (and that count itself)."""
    top = max(1, cpus - 1)
    out, n = [], 1
    while n < top:
        out.append(n)
        n *= 2
    return out + [top]


def pick(rates: dict) -> int:
    """The fewest threads whose rate is within MARGIN of the best (ties to fewer threads: they share better)."""
    best = max(rates.values())
    return min(n for n, r in rates.items() if r >= best / (1 + MARGIN))


def choose_threads(scenario: Scenario, device: str = "cpu", cpus: Optional[int] = None,
                   measure: Optional[Callable[[Scenario, str, int], float]] = None) -> ThreadChoice:
    """The torch thread count to train `scenario` with on this machine (or on `cpus` cores)."""
    cpus = usable_cpus() if cpus is None else cpus
    if device not in ("cpu", "auto") and not device.startswith("cpu"):
        return ThreadChoice(1, f"device {device}: the CPU only feeds it")
    if cpus <= 2:
        return ThreadChoice(1, f"{cpus} core(s): one trains, one draws")
    cost = estimate(scenario.model, scenario.panel_settings(), scenario.dim).flops
    if cost < SMALL_FLOPS:
        return ThreadChoice(1, f"a step of {cost:.1e} operations is bound by per-operation overhead")
    measure = measure or _steps_per_second
    rates = {n: measure(scenario, "cpu", n) for n in candidates(cpus)}
    n = pick(rates)
    return ThreadChoice(n, f"measured on {cpus} cores", rates)


def _steps_per_second(scenario: Scenario, device: str, threads: int) -> float:
    """Steps/s of a throw-away trainer of the scenario with `threads` torch threads (wall clock)."""
    import torch

    from ganviz.core.train import Trainer
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        tr = Trainer(scenario.data.mixture(), scenario.model, scenario.panel_settings(), seed=scenario.seed,
                     device=device)
        tr.step(3)
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < SLICE:
            tr.step(1)
            n += 1
        return n / (time.perf_counter() - t0)
    finally:
        torch.set_num_threads(before)


def describe(choice: ThreadChoice) -> str:
    rates = ", ".join(f"{n}: {r:,.0f}" for n, r in sorted(choice.rates.items()))
    return f"{choice.threads} torch thread(s) ({choice.why}" + (f"; steps/s by threads {rates})" if rates else ")")


