"""`ganviz run`: train a scenario headless and print its metrics as a table or JSON lines.

    ganviz run ring8 --steps 5000 --every 500 --set train.k=5 [--json]
    ganviz run kcl-q3-one-step --explain [--steps N] [--json]
    ganviz run ring8 --steps 200 --explain [--json]

The metrics are the app's (core.evaluate.Evaluator), each estimate with its standard error. An exercise
scenario (`view = "exercise"`, core.exercise) has no networks: it prints V and D's parameters per step,
and with --explain each step as a hand computation (every sample's D(x) and log-term, V, the gradient
formula with the numbers put in, each parameter before and after). Any other scenario with --explain
trains as usual and then prints the step inspector's summary of the last D step and the last G step of
each GAN (core.step_summary): D's outputs on the batch, V(D, G) or the loss's own D objective, each
player's loss, and per layer the gradient norm and the update the optimizer made.
"""
from __future__ import annotations

import json
import math
import sys

from ganviz.cli.options import checked, cli_field
from ganviz.console import EXIT_INTERRUPTED, EXIT_PARTIAL, Progress, fail
from ganviz.core.settings import MAX_STEPS, RUN

# (key, width): the table's columns after the step; estimated metrics print 'value ± se'.
COLUMNS = (("d_loss", 8), ("g_loss", 8), ("js", 16), ("kl_data_g", 16), ("missed", 14), ("kl_g_data", 16),
           ("w1", 16), ("d_gap", 16), ("d_real", 8), ("d_fake", 8), ("modes", 9), ("hq_frac", 14))
EVERY = cli_field("every", int, 1, MAX_STEPS)
SPF = cli_field("steps-per-frame", int, 1, MAX_STEPS)


def add_parser(sub) -> None:
    r = sub.add_parser("run", help="train a scenario headless and print metrics",
                       epilog="Exit status: 0 trained; 2 a bad option or scenario, or training diverged; 3 some "
                              "panels of a multi-panel scenario diverged (named on stderr), the others trained "
                              "to the end; 130 interrupted.")
    r.add_argument("scenario", help="a scenario file (.toml) or the name of a built-in scenario")
    r.add_argument("--steps", type=checked(RUN["steps"]), help="generator steps (default: the scenario's)")
    r.add_argument("--every", type=checked(EVERY), help="print metrics every N steps (default: steps/10)")
    r.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a setting, e.g. --set train.k=5 --set data.preset=grid25")
    r.add_argument("--seed", type=checked(RUN["seed"]), help="random seed (default: the scenario's)")
    r.add_argument("--device", help="auto, cpu, cuda or mps")
    r.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    r.add_argument("--explain", action="store_true",
                   help="an exercise scenario (view = \"exercise\"): print each step as a hand computation: "
                        "each sample's D(x) and log-term, V(D, G), the gradient of the objective for every "
                        "parameter with the numbers put in, each parameter before and after (--steps N: N "
                        "iterations of k D steps and a G step; with --json one JSON line a step). Any other "
                        "scenario: train as usual, then print the last D step and the last G step of each "
                        "GAN: D(x) on the batch's real and fake samples, V(D, G) (or the loss's own D "
                        "objective), each player's loss, and per layer the gradient norm ||grad||, the "
                        "update ||delta theta|| and ||delta theta|| / ||theta|| (with --json one JSON line "
                        "a GAN and player, \"explain\": \"D\" or \"G\")")
    r.add_argument("--save-run", metavar="RUN.ganviz",
                   help="also record the run, frame by frame as an export draws it, with checkpoints, to RUN.ganviz "
                        "(then: ganviz export RUN.ganviz -o clip.mp4 --from-step A --to-step B)")
    r.add_argument("--steps-per-frame", type=checked(SPF), default=None,
                   help="with --save-run: generator steps between recorded frames (default 10, as an export)")
    r.set_defaults(func=cmd_run)


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


def load_scenario(args):
    """The scenario of `args.scenario` with --set, --seed and --device applied; ScenarioError otherwise
    (for --device, naming the option)."""
    from ganviz.core import scenario as S

    sc = S.load(args.scenario)
    if args.set:
        sc = S.apply_overrides(sc, args.set)
    if getattr(args, "seed", None) is not None:
        sc = S.apply_overrides(sc, [f"seed={args.seed}"])
    if args.device:
        try:
            sc = S.apply_overrides(sc, [f"device={json.dumps(args.device)}"])
        except S.ScenarioError as e:
            raise S.ScenarioError(f"--{e}") from None        # "device: must be ..." -> "--device: must be ..."
    return sc


def cmd_run(args) -> int:
    from ganviz.core import scenario as S
    from ganviz.core.settings import SettingsError

    try:
        sc = load_scenario(args)
    except S.ScenarioError as e:
        return fail(str(e), "run")
    if sc.view == "game":
        return fail(f"{args.scenario}: a game-lab scenario has no GAN to train; open it in the app, "
                    f"export it, or use `ganviz game`", "run")
    steps = sc.steps if args.steps is None else args.steps
    if sc.view == "exercise":
        return _run_exercise(args, sc, steps)
    explain = bool(getattr(args, "explain", False))
    every = args.every or max(1, steps // 10)

    import torch

    from ganviz.core.evaluate import Evaluator
    from ganviz.core.train import Trainer, TrainingDiverged

    torch.set_num_threads(max(1, torch.get_num_threads()))
    save = None
    if args.save_run:
        from ganviz.engine.recording import Recording, RunFileError

        save = args.save_run
        try:
            Recording.check_target(save)
        except RunFileError as e:
            return fail(f"--save-run: {e}", "run")
    elif args.steps_per_frame is not None:
        return fail("--steps-per-frame: it sets the cadence of a recording; give --save-run RUN.ganviz too", "run")
    lab = None
    try:
        if save:
            from ganviz.engine.lab import Lab

            lab = Lab(sc)
            trainer = lab.trainer
        else:
            trainer = Trainer(sc.data.mixture(), sc.model, sc.panel_settings(), seed=sc.seed, device=sc.device)
    except SettingsError as e:
        return fail(str(e), "run")
    ev = lab.evaluator if lab is not None else Evaluator(trainer, bounds=sc.data.bounds)
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

    diverged_at: dict[str, int] = {}

    def report() -> None:
        r = ev.metrics()
        gone = trainer.diverged.view(-1).tolist()
        for i, label in enumerate(labels):
            if gone[i]:
                diverged_at.setdefault(label, trainer.step_count)
            est = r["estimates"][i]
            if args.json:
                rec = {"step": trainer.step_count, **({"gan": label} if len(labels) > 1 else {}),
                       **({"diverged": True} if gone[i] else metric_record(est, r["metrics"], i))}
                print(json.dumps(rec), flush=True)
            else:
                from ganviz.core.estimators import Estimate

                if gone[i]:
                    # no numbers for a diverged GAN: its row says so, in the columns' widths
                    cells = [f" {('diverged' if j == 0 else chr(0x2013)):>{w}}" for j, (_, w) in enumerate(COLUMNS)]
                else:
                    cells = []
                    for key, w in COLUMNS:
                        e = est.get(key) or Estimate(float(r["metrics"][key][i]))
                        cells.append(f" {_cell(key, e):>{w}}")
                line = f"{trainer.step_count:>7d}" + "".join(cells)
                print((f"{label:<{width}}" if len(labels) > 1 else "") + line, flush=True)

    if lab is not None:
        if explain:
            lab.set_parts(lab.parts | {"step_summary"})
        code = _run_recorded(args, lab, steps, every, report, progress, diverged_at, labels, save)
        return _explain(args, trainer, labels, code) if explain and code in (0, EXIT_PARTIAL) else code
    try:
        done = 0
        while done < steps:
            n = min(every, steps - done)
            chunk = max(1, min(n, 50))
            todo = n
            while todo > 0:
                c = min(chunk, todo)
                if explain and done + c == steps:
                    # The summary is kept for the last iteration only: the run costs what it costs without.
                    trainer.step(c - 1)
                    trainer.inspect = True
                    trainer.step(1)
                else:
                    trainer.step(c)
                todo -= c
                done += c
                progress.update(done)
            report()
        progress.close()
    except TrainingDiverged as e:
        progress.close()
        return fail(str(e), "run")
    except KeyboardInterrupt:
        progress.close()
        print("ganviz run: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    if steps == 0:
        report()
    code = _partial(diverged_at, labels, trainer.step_count)
    return _explain(args, trainer, labels, code) if explain else code


def _explain(args, trainer, labels: list, code: int) -> int:
    """`run --explain` for a scenario that trains networks: the step inspector's summary of the last D step
    and the last G step of each GAN, as tables (or JSON lines with --json)."""
    from ganviz.core.step_summary import format_table

    summaries = trainer.step_summary()
    if not args.json:
        print(f"\n# The last steps (--explain): D's outputs in display units, then per parameter block the "
              f"gradient norm, the update the optimizer made and its size relative to the weights")
    for label, per in zip(labels, summaries):
        for player in ("D", "G"):
            s = per[player]
            if args.json:
                print(json.dumps({"explain": player, **({"gan": label} if len(labels) > 1 else {}),
                                  **(s or {"step": None})}), flush=True)
            elif s is None:
                print(f"\n{label}: no {player} step was taken" if len(labels) > 1 else f"\nno {player} step "
                      f"was taken", flush=True)
            else:
                print(("\n" + label + ": " if len(labels) > 1 else "\n") + format_table(s), flush=True)
    return code


def _partial(diverged_at: dict, labels: list, step: int) -> int:
    if diverged_at:
        which = ", ".join(f"{label} (by step {step:,})" for label, step in diverged_at.items())
        print(f"ganviz run: {len(diverged_at)} of {len(labels)} GANs diverged: {which}; the others trained to "
              f"step {step:,}", file=sys.stderr)
        return EXIT_PARTIAL
    return 0


def _run_recorded(args, lab, steps: int, every: int, report, progress, diverged_at: dict, labels: list,
                  save: str) -> int:
    """`run --save-run`: train frame by frame as an export does, record, report every `every` steps, save."""
    from ganviz.core.train import TrainingDiverged
    from ganviz.engine.record_run import metrics_every_for, record
    from ganviz.export.options import DEFAULT_STEPS_PER_FRAME, METRICS_STEPS

    spf = args.steps_per_frame or DEFAULT_STEPS_PER_FRAME
    next_report = [min(every, steps)]

    def on_frame(lab, i: int) -> None:
        progress.update(lab.step_count)
        if lab.step_count >= next_report[0]:
            report()
            next_report[0] = min(steps, lab.step_count + every) if lab.step_count < steps else steps + 1

    try:
        rec = record(lab, steps, spf, metrics_every_for(lab.scenario, spf, METRICS_STEPS), on_frame=on_frame)
        if steps == 0:
            report()
        progress.close()
    except TrainingDiverged as e:
        progress.close()
        return fail(f"{e}; nothing was saved", "run")
    except KeyboardInterrupt:
        progress.close()
        print("ganviz run: interrupted; nothing was saved", file=sys.stderr)
        return EXIT_INTERRUPTED
    try:
        path = rec.save(save)
    except OSError as e:
        return fail(f"--save-run: cannot write {save} ({e.strerror or e})", "run")
    print(f"# recorded {len(rec)} frames (steps 0 to {lab.step_count:,}, every {spf}) and {len(rec.checkpoints)} "
          f"checkpoints to {path}", file=sys.stderr)
    return _partial(diverged_at, labels, lab.step_count)


def _run_exercise(args, sc, steps: int) -> int:
    """An exercise scenario: `steps` iterations of k D steps and a G step of the exercise model, printed as
    a line each (step, V, D's parameters), or with --explain as hand computations."""
    from ganviz.core.exercise import Exercise, num

    if args.save_run or args.steps_per_frame is not None:
        return fail("--save-run: an exercise scenario has no frames to record; use --explain to see its steps", "run")
    ex = Exercise.from_table(sc.exercise)
    names = [f"theta_{j + 1}" for j in range(ex.dim)] + (["b"] if ex.spec["learn_bias"] else [])

    def params() -> list[float]:
        return [float(t) for t in ex.theta] + ([ex.bias] if ex.spec["learn_bias"] else [])

    if not args.json:
        print(f"# {sc.name}")
        print(f"# {ex.describe()}")
        if not args.explain:
            print(f"{'step':>7} {'V(D, G)':>10} {'G loss':>10}" + "".join(f" {n:>10}" for n in names))
            print(f"{0:>7d} {num(ex.value()):>10} {num(ex.g_loss()):>10}" + "".join(f" {num(p):>10}" for p in params()))
    try:
        return _exercise_steps(args, ex, steps, names, params)
    except KeyboardInterrupt:
        print("ganviz run: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _exercise_steps(args, ex, steps: int, names: list, params) -> int:
    from ganviz.core.exercise import format_report, is_finite, num

    for _ in range(steps):
        reports = ex.iterate()
        if not is_finite(ex):
            return fail(f"exercise: the parameters left the finite numbers at step {ex.iteration}; lower "
                        f"train.lr_d or train.lr_g", "run")
        if args.explain:
            for r in reports:
                print(json.dumps(r.to_dict()) if args.json else format_report(r), flush=True)
        elif args.json:
            print(json.dumps({"step": ex.iteration, "V": ex.value(), "g_loss": ex.g_loss(),
                              **dict(zip(names, params()))}), flush=True)
        else:
            print(f"{ex.iteration:>7d} {num(ex.value()):>10} {num(ex.g_loss()):>10}"
                  + "".join(f" {num(p):>10}" for p in params()), flush=True)
    return 0
