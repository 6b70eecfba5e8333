"""`ganviz bench`: steps per second of ganviz's trainer against the plain tutorial loop, side by side.

    ganviz bench [--device cuda] [--seconds 3] [--threads 1]

The measuring is ganviz.engine.bench; this module declares the options and prints the table.
"""
from __future__ import annotations

import time

from ganviz.cli.options import checked, cli_field
from ganviz.console import fail

# Measuring time per case (each side is timed in slices of about 0.2 s) and torch's CPU threads.
SECONDS = cli_field("seconds", float, 0.2, 600.0)
THREADS = cli_field("threads", int, 1, 256)


def add_parser(sub) -> None:
    b = sub.add_parser("bench", help="steps/s of ganviz's trainer vs the tutorial loop")
    b.add_argument("--device", default="auto", help="auto, cpu, cuda or mps (default auto)")
    b.add_argument("--seconds", type=checked(SECONDS), default=3.0,
                   help=f"measuring time per case, {SECONDS.lo:g} to {SECONDS.hi:g} (default 3)")
    b.add_argument("--threads", type=checked(THREADS),
                   help="torch CPU threads for both loops (default: ganviz as the app runs it, 1 thread; "
                        "the tutorial with torch's default); 1 measures thread CPU time")
    b.set_defaults(func=cmd_bench)


def cmd_bench(args) -> int:
    import torch

    from ganviz.core.settings import SettingsError
    from ganviz.core.train import resolve_device
    from ganviz.engine.bench import bench_clock, run_bench

    try:
        device = resolve_device(args.device)
    except SettingsError as e:
        return fail(f"--{e}", "bench")                  # "device: ..." -> "--device: ..."
    default = torch.get_num_threads()
    if args.threads:
        # Both sides with the same thread count; one thread counts thread CPU time (robust to other load).
        threads = (args.threads, args.threads)
        torch.set_num_threads(args.threads)
        setup = f"both with {args.threads} CPU thread(s)"
    else:
        # As shipped: the app's training process uses one intra-op thread; the tutorial loop runs
        # with torch's default, as its author would run it.
        threads = (1, default)
        setup = f"ganviz with 1 CPU thread (as the app trains), the tutorial with torch's default {default}"
    clock = "thread CPU time" if bench_clock(device, threads) is time.thread_time else "wall-clock time"
    print(f"# ganviz bench: device {device}, torch {torch.__version__}, {setup}; batch 256, Adam, "
          f"non-saturating loss, k = 1; GAN-steps per second of {clock}; load average {_load():.2f}")
    print(f"{'case':<40}{'ganviz':>10}{'tutorial':>10}{'ratio':>8}")
    run_bench(device, args.seconds, threads=threads,
              report=lambda r: print(f"{r.case:<40}{r.ganviz:>10.0f}{r.tutorial:>10.0f}{r.ratio:>7.2f}x", flush=True))
    from ganviz.core.scenario import load
    from ganviz.engine.threads import choose_threads, describe, usable_cpus
    print(f"# the app's training process on this machine ({usable_cpus()} usable cores), as it would choose:")
    for name in THREAD_SCENARIOS:
        torch.set_num_threads(default)
        print(f"{name:<40}{describe(choose_threads(load(name), str(device)))}", flush=True)
    return 0


# Scenarios whose thread choice `ganviz bench` prints: the default lesson and the widest built-in one.
THREAD_SCENARIOS = ("ring8", "compare-losses-ring8")


def _load() -> float:
    import os

    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")
