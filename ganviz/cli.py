"""The `ganviz` command: the app, and headless runs, benchmarks and games.

    ganviz [SCENARIO]                 open the lab (optionally with a scenario; ganviz-gui does the same
                                      without a console window on Windows)
    ganviz --version                  print the installed version
    ganviz run SCENARIO [...]         train headless, print metrics
    ganviz scenarios                  list the built-in scenarios
    ganviz bench                      ganviz's trainer vs the tutorial loop
    ganviz game ...                   the bilinear game and the Dirac-GAN
    ganviz compare SCENARIO [...]     several losses in lockstep over seeds: mode coverage
    ganviz study [ID] [...]           the VEEGAN / PacGAN tables, rerun under their protocols
    ganviz measure SAMPLES --data D   every metric of the app for samples from any generator
    ganviz lessons [--check]          the built-in lessons, their claims, and whether they hold

Errors a user can cause print one line and exit with status 2.
"""
from __future__ import annotations

import argparse
import importlib
import json
import math
import sys
import time
from typing import Callable, Optional, Sequence

from ganviz.console import EXIT_USAGE, Progress  # noqa: F401  (re-exported for the subcommands)
from ganviz.console import fail as _fail

# Subcommands that live in their own modules: name -> module with add_parser(subparsers).
PLUGINS = {"game": "ganviz.game_cli", "compare": "ganviz.compare_cli", "export": "ganviz.export.cli",
           "study": "ganviz.study_cli", "measure": "ganviz.measure_cli", "lessons": "ganviz.lessons_cli"}


# -- ganviz run ------------------------------------------------------------------
# (key, width): the table's columns after the step; estimated metrics print 'value ± se'.
COLUMNS = (("d_loss", 8), ("g_loss", 8), ("js", 16), ("kl_data_g", 16), ("missed", 14), ("kl_g_data", 16),
           ("w1", 16), ("d_gap", 16), ("d_real", 8), ("d_fake", 8), ("modes", 9), ("hq_frac", 14))


def _cell(key: str, est) -> str:
    """One table cell: 'value ± se' for an estimate, '≥ v' for a bound, 'inf', or '–'."""
    from ganviz.core.metric_info import METRICS, format_value

    if est is None:
        return "\u2013"
    if not METRICS[key].estimated:
        return format_value(est.value, digits=4)
    if key == "modes":
        return format_value(est.value, est.se, digits=2)
    if key == "missed":
        # Beside KL(p_data || p_g): the share of p_data beyond G's samples, behind an inf or a bound.
        return "\u2013" if math.isnan(est.value) else f"{est.value:.1%}"
    return est.text(3)


def metric_record(estimates: dict, plain: dict, i: int) -> dict:
    """One GAN's metrics for JSON: numbers, "inf" or null; KEY_se; KEY_bound and KEY_note where they apply."""
    from ganviz.core.estimators import ESTIMATE, Estimate
    from ganviz.core.metric_info import METRICS

    rec = {}
    for key, info in METRICS.items():
        est = estimates.get(key)
        if est is None:
            est = Estimate(float(plain[key][i]) if key in plain else math.nan)
        rec[key] = est.json()
        if info.estimated:
            rec[key + "_se"] = est.se if math.isfinite(est.se) else None
            if est.kind != ESTIMATE:
                rec[key + "_bound"] = est.kind
            if est.note:
                rec[key + "_note"] = est.note
    return rec


def cmd_run(args) -> int:
    from ganviz.core import scenario as S
    from ganviz.core.settings import SettingsError

    try:
        sc = S.load(args.scenario)
        if args.set:
            sc = S.apply_overrides(sc, args.set)
        if args.seed is not None:
            sc = S.apply_overrides(sc, [f"seed={args.seed}"])
        if args.device:
            sc = S.apply_overrides(sc, [f'device="{args.device}"'])
    except S.ScenarioError as e:
        return _fail(str(e))
    if sc.view == "game":
        return _fail(f"{args.scenario}: a game-lab scenario has no GAN to train; open it in the app, "
                     f"export it, or use `ganviz game`")
    steps = sc.steps if args.steps is None else args.steps
    if steps < 0:
        return _fail(f"--steps: must be >= 0 (got {steps})")
    every = args.every or max(1, steps // 10)
    if every < 1:
        return _fail(f"--every: must be >= 1 (got {every})")

    import torch

    from ganviz.core.evaluate import Evaluator
    from ganviz.core.train import Trainer, TrainingDiverged

    torch.set_num_threads(max(1, torch.get_num_threads()))
    try:
        trainer = Trainer(sc.data.mixture(), sc.model, sc.panel_settings(), seed=sc.seed, device=sc.device)
    except SettingsError as e:
        return _fail(str(e))
    ev = Evaluator(trainer, bounds=sc.data.bounds)
    labels = sc.panel_labels()
    width = max(16, max(len(lab) for lab in labels) + 2)    # the GAN column fits the longest label
    from ganviz.core.metric_info import METRICS

    if not args.json:
        print(f"# {sc.name}: {sc.data.label}, {', '.join(labels)}, device {trainer.device.type}, seed {sc.seed}")
        print(f"# ± is a standard error; \u2265 a lower bound (p_data beyond G's samples); W1 is "
              f"{'sliced (a perfect G reads ' + format(ev.w1_floor(), '.3f') + ')' if trainer.dim == 2 else 'exact'}")
        header = f"{'step':>7}" + "".join(f" {METRICS[k].label_for(trainer.dim):>{w}}" for k, w in COLUMNS)
        if len(labels) > 1:
            header = f"{'GAN':<{width}}" + header
        print(header)
    progress = Progress(steps)

    def report() -> None:
        r = ev.metrics()
        for i, label in enumerate(labels):
            est = r["estimates"][i]
            if args.json:
                rec = {"step": trainer.step_count, **({"gan": label} if len(labels) > 1 else {}),
                       **metric_record(est, r["metrics"], i)}
                print(json.dumps(rec), flush=True)
            else:
                from ganviz.core.estimators import Estimate

                cells = []
                for key, w in COLUMNS:
                    e = est.get(key) or Estimate(float(r["metrics"][key][i]))
                    cells.append(f" {_cell(key, e):>{w}}")
                line = f"{trainer.step_count:>7d}" + "".join(cells)
                print((f"{label:<{width}}" if len(labels) > 1 else "") + line, flush=True)

    try:
        done = 0
        while done < steps:
            n = min(every, steps - done)
            chunk = max(1, min(n, 50))
            todo = n
            while todo > 0:
                c = min(chunk, todo)
                trainer.step(c)
                todo -= c
                done += c
                progress.update(done)
            report()
        progress.close()
    except TrainingDiverged as e:
        progress.close()
        return _fail(str(e))
    except KeyboardInterrupt:
        progress.close()
        print("interrupted", file=sys.stderr)
        return 130
    if steps == 0:
        report()
    return 0


def cmd_scenarios(args) -> int:
    from ganviz.core import scenario as S

    for name in S.builtin_names():
        sc = S.load(name)
        print(f"{name:<32} {sc.view or '-':<8} {sc.description or sc.name}")
    return 0


def cmd_bench(args) -> int:
    import torch

    from ganviz.bench import bench_clock, run_bench
    from ganviz.core.settings import SettingsError
    from ganviz.core.train import resolve_device

    try:
        device = resolve_device(args.device)
    except SettingsError as e:
        return _fail(str(e))
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
    return 0


def _load() -> float:
    import os

    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def cmd_app(args) -> int:
    from ganviz.ui.app import run_app

    return run_app(args.scenario, errors_in_window=getattr(args, "errors_in_window", False))


def version_text() -> str:
    from ganviz import __version__

    return f"ganviz {__version__}"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ganviz", description="A desktop lab for watching GANs learn.")
    p.add_argument("--version", action="version", version=version_text())
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    r = sub.add_parser("run", help="train a scenario headless and print metrics")
    r.add_argument("scenario", help="a scenario file (.toml) or the name of a built-in scenario")
    r.add_argument("--steps", type=int, help="generator steps (default: the scenario's)")
    r.add_argument("--every", type=int, default=0, help="print metrics every N steps (default: steps/10)")
    r.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a setting, e.g. --set train.k=5 --set data.preset=grid25")
    r.add_argument("--seed", type=int)
    r.add_argument("--device", help="auto, cpu, cuda or mps")
    r.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    r.set_defaults(func=cmd_run)

    s = sub.add_parser("scenarios", help="list the built-in scenarios")
    s.set_defaults(func=cmd_scenarios)

    b = sub.add_parser("bench", help="steps/s of ganviz's trainer vs the tutorial loop")
    b.add_argument("--device", default="auto")
    b.add_argument("--seconds", type=float, default=3.0, help="measuring time per case")
    b.add_argument("--threads", type=int, default=0,
                   help="torch CPU threads for both loops (default: ganviz as the app runs it, 1 thread; "
                        "the tutorial with torch's default); 1 measures thread CPU time")
    b.set_defaults(func=cmd_bench)

    for name, module in PLUGINS.items():
        try:
            importlib.import_module(module).add_parser(sub)
        except ModuleNotFoundError as e:
            if e.name != module:
                raise
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv == ["--version"]:
        # Answered before the parser is built: its sub-commands import torch, which takes seconds.
        print(version_text())
        return 0
    parser = build_parser()
    commands = set(parser._subparsers._group_actions[0].choices) if parser._subparsers else set()
    if not argv or (argv[0] not in commands and not argv[0].startswith("-")):
        return cmd_app(argparse.Namespace(scenario=argv[0] if argv else None))
    args = parser.parse_args(argv)
    func: Callable = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 0
    return func(args)


def gui_main(argv: Optional[Sequence[str]] = None) -> int:
    """`ganviz-gui [SCENARIO]`: the lab alone, as the gui-script that Windows starts without a console.

    With no console to print on, a scenario that cannot be loaded is reported in the window."""
    argv = list(sys.argv[1:] if argv is None else argv)
    return cmd_app(argparse.Namespace(scenario=argv[0] if argv else None, errors_in_window=True))


if __name__ == "__main__":
    raise SystemExit(main())
