"""Lockstep costs, side by side in one process (a benchmark, not a test).

    OMP_NUM_THREADS=1 python scripts/bench_lockstep.py penalties [--seconds 4]
    OMP_NUM_THREADS=1 python scripts/bench_lockstep.py runs [--runs 10] [--steps 30] [--arms gan,pac4]
    python scripts/bench_lockstep.py runs --device cuda          # on a GPU (scripts/gpu_check.py runs it)
    OMP_NUM_THREADS=1 python scripts/bench_lockstep.py panels minibatch-features-ring8
    OMP_NUM_THREADS=1 python scripts/bench_lockstep.py faults
    OMP_NUM_THREADS=1 python scripts/bench_lockstep.py phases

penalties: steps/s of compare-losses-ring8's six panels as they are (one WGAN-GP panel), with that panel
plain (no gradient penalty), with its penalty swapped for R1, and with it unrolled, so that the cost of a
penalty or of unrolling can be read against the plain set (issue 14, point 2).

panels: steps/s of each panel of a Compare scenario alone and of all its panels in lockstep: which panel
bounds the scenario's speed (and so its pictures a second in the app).

faults: minor page faults and thread CPU time a step of six GANs of width 32 in lockstep (`ganviz bench`'s
model), each in a fresh process, with glibc's default malloc thresholds and with those that
`ganviz.engine.memory.keep_freed_memory` fixes.

phases: where a lockstep step of `ganviz bench`'s six GANs of width 32 goes: wall time per step in D's and
G's hand-written passes, the losses and their gradients, the optimizers and the finite check, the batches.

runs: the PacGAN protocol's iterations per second for R runs one after the other (one Trainer per seed)
and in lockstep (one Trainer, a seed per run), per arm, and the full protocol's hours extrapolated from
them (issue 14, point 5).
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import time

import torch


def _rate(trainer, seconds: float) -> float:
    trainer.step(3)                              # warm-up: allocations, first-call costs
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        trainer.step(5)
        n += 5
    return n / (time.perf_counter() - t0)


def penalties(seconds: float) -> None:
    from ganviz.core import scenario as S
    from ganviz.core.train import Trainer

    sc = S.load("compare-losses-ring8")
    base = sc.panel_settings()
    gp_i = next(i for i, s in enumerate(base) if s.gp > 0)
    variants = {
        "as shipped (one wgan-gp panel)": base,
        "that panel without its penalty": [dataclasses.replace(s, gp=0.0) if i == gp_i else s
                                           for i, s in enumerate(base)],
        "that panel with R1 (1.0) instead": [dataclasses.replace(s, gp=0.0, r1=1.0) if i == gp_i else s
                                             for i, s in enumerate(base)],
        "that panel plain but unrolled (3)": [dataclasses.replace(s, gp=0.0, unroll=3) if i == gp_i else s
                                              for i, s in enumerate(base)],
        "one panel alone, plain": [dataclasses.replace(base[gp_i], gp=0.0)],
        "one panel alone, wgan-gp": [base[gp_i]],
        "one panel alone, unrolled (3)": [dataclasses.replace(base[gp_i], gp=0.0, unroll=3)],
    }
    print(f"# compare-losses-ring8 (width {sc.model.g_width}, batch {base[0].batch_size}), "
          f"{torch.get_num_threads()} torch thread(s), load {os.getloadavg()[0]:.2f}; best of 3 interleaved rounds")
    trainers = {name: Trainer(sc.data.mixture(), sc.model, settings, seed=0) for name, settings in variants.items()}
    best = {name: 0.0 for name in variants}
    for _ in range(3):          # interleaved, so that a change of load hits every variant alike
        for name, tr in trainers.items():
            best[name] = max(best[name], _rate(tr, seconds / 3))
    for name, settings in variants.items():
        print(f"{name:<36} {best[name]:8.1f} steps/s  ({len(settings)} GANs)", flush=True)


def panels(name: str, seconds: float) -> None:
    from ganviz.core import scenario as S
    from ganviz.core.train import Trainer

    sc = S.load(name)
    settings = sc.panel_settings()
    labels = [p.get("label", str(i)) for i, p in enumerate(sc.panels)] or ["the GAN"]
    print(f"# {name}: {len(settings)} panel(s), {torch.get_num_threads()} torch thread(s), "
          f"load {os.getloadavg()[0]:.2f}")
    for label, one in zip(labels, settings):
        rate = _rate(Trainer(sc.data.mixture(), sc.model, [one], seed=sc.seed), seconds)
        print(f"{label:<36} {rate:8.1f} steps/s alone", flush=True)
    rate = _rate(Trainer(sc.data.mixture(), sc.model, settings, seed=sc.seed), seconds)
    print(f"{'all in lockstep':<36} {rate:8.1f} steps/s")


def faults(steps: int) -> None:
    import subprocess
    import sys

    print(f"# six GANs of width 32 in lockstep, {steps} steps after 200 of warm-up, each case in a fresh process, "
          f"load {os.getloadavg()[0]:.2f}")
    for keep in (False, True):
        out = subprocess.run([sys.executable, __file__, "_faults", "--steps", str(steps)] + (["--keep"] if keep else []),
                             capture_output=True, text=True, check=True).stdout.strip()
        print(f"{'thresholds fixed' if keep else 'glibc defaults':<18} {out}", flush=True)


def _faults_here(steps: int, keep: bool) -> None:
    import resource

    from ganviz.engine.bench import engine_trainer
    from ganviz.engine.memory import keep_freed_memory

    if keep:
        assert keep_freed_memory(), "mallopt is not available here"
    tr = engine_trainer(32, 6, torch.device("cpu"))
    tr.step(200)
    r0, t0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, time.thread_time()
    tr.step(steps)
    r1, t1 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, time.thread_time()
    print(f"{(r1 - r0) / steps:7.1f} minor faults a step, {(t1 - t0) / steps * 1e3:5.2f} ms a step (thread CPU time)")


def phases(steps: int) -> None:
    import collections

    from ganviz.engine.bench import engine_trainer

    tr = engine_trainer(32, 6, torch.device("cpu"))
    spent: dict = collections.defaultdict(float)

    def timed(owner, name: str, label: str) -> None:
        fn = getattr(owner, name)

        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - t0
        setattr(owner, name, wrapper)

    for net, who in ((tr.D, "D"), (tr.G, "G")):
        timed(net, "forward_cached", f"{who}'s passes")
        timed(net, "backward_cached", f"{who}'s passes")
    timed(tr, "_logit_grads", "losses and their gradients")
    for owner, name in ((tr, "_finite_mask"), (tr.opt_d, "step"), (tr.opt_g, "step")):
        timed(owner, name, "optimizers and the finite check")
    for name in ("_real", "_latent"):
        timed(tr, name, "batches (real and latent)")
    tr.step(100)
    spent.clear()
    t0 = time.perf_counter()
    tr.step(steps)
    total = (time.perf_counter() - t0) / steps * 1e3
    print(f"# six GANs of width 32 in lockstep, {steps} steps, load {os.getloadavg()[0]:.2f}: {total:.2f} ms a step "
          "(wall time, with the timers' own cost)")
    for label, s in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"{label:<34} {s / steps * 1e3:6.3f} ms a step")
    print(f"{'the rest (the step loop, Python)':<34} {total - sum(spent.values()) / steps * 1e3:6.3f} ms a step")


def _timed(trainer, steps: int, device: str) -> float:
    """Seconds per iteration of `trainer` over `steps` iterations (after two of warm-up)."""
    trainer.step(2)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    sync()
    t0 = time.perf_counter()
    trainer.step(steps)
    sync()
    return (time.perf_counter() - t0) / steps


def runs(n_runs: int, steps: int, arms: list[str], datasets: list[str], device: str = "cpu") -> None:
    from ganviz.core.data import preset
    from ganviz.core.studies import get_study
    from ganviz.core.train import Trainer

    st = get_study("pacgan")
    print(f"# PacGAN protocol on {device}, {n_runs} runs, {steps} iterations timed per case, "
          f"{torch.get_num_threads()} torch thread(s), load {os.getloadavg()[0]:.2f}")
    total_alone = total_lock = 0.0
    for arm_id in arms:
        model, train = st.settings(st.arm(arm_id))
        for ds in datasets:
            mix = preset(ds)
            alone = _timed(Trainer(mix, model, train, seed=0, device=device), steps, device)   # one run
            lock = _timed(Trainer(mix, model, train, seed=list(range(n_runs)), device=device), steps, device)
            total_alone += alone * n_runs
            total_lock += lock
            print(f"{arm_id:<5} {ds:<13} one run {alone * 1e3:7.1f} ms/it; {n_runs} runs in lockstep "
                  f"{lock * 1e3:7.1f} ms/it ({lock / n_runs * 1e3:5.1f} ms per run): {alone * n_runs / lock:4.2f}x",
                  flush=True)
    full = st.steps / 3600
    print(f"full protocol ({st.steps:,} iterations x {n_runs} runs x {len(arms)} arms x {len(datasets)} data): "
          f"{total_alone * full:.1f} h one after the other, {total_lock * full:.1f} h in lockstep "
          f"({total_alone / total_lock:.2f}x)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("what", choices=("penalties", "panels", "faults", "phases", "runs", "_faults"))
    p.add_argument("--keep", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("scenario", nargs="?", default="minibatch-features-ring8", help="panels: the scenario")
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--steps", type=int, default=None, help="runs: iterations timed per case (30); faults: steps (500)")
    p.add_argument("--arms", default="gan,pac2,pac3,pac4")
    p.add_argument("--data", default="ring8-veegan,grid25")
    p.add_argument("--device", default="cpu", help="runs: cpu or cuda")
    a = p.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    if a.what == "_faults":
        _faults_here(a.steps or 500, a.keep)
        return
    if a.what == "faults":
        faults(a.steps or 500)
        return
    from ganviz.engine.memory import keep_freed_memory
    keep_freed_memory()          # as every ganviz command that trains
    if a.what == "phases":
        phases(a.steps or 2000)
    elif a.what == "penalties":
        penalties(a.seconds)
    elif a.what == "panels":
        panels(a.scenario, a.seconds)
    else:
        runs(a.runs, a.steps or 30, a.arms.split(","), a.data.split(","), a.device)


if __name__ == "__main__":
    main()
