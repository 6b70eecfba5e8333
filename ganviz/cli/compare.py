"""`ganviz compare`: several losses trained side by side in lockstep, over several seeds.

    ganviz compare ring8 --losses ns,minimax,wgan-gp --seeds 3 --steps 5000 [--json]

For each seed, one lockstep set: every loss starts from the same initial weights
and sees the same data and noise batches, so the losses are the only
difference. The seeds themselves train side by side too, as one batched model in
which each seed has its own weights, batches and noise: the numbers are those of
each seed's set trained alone. The table gives modes captured, the high-quality fraction and the
reverse KL over modes (mean and standard deviation over seeds), measured on
2,500 generated samples by the VEEGAN / PacGAN rule: a sample is high-quality
within 3 standard deviations of its nearest mode, and a mode is captured when
it is the nearest mode of at least one high-quality sample.
"""
from __future__ import annotations

import dataclasses
import json
import math
import sys

import numpy as np

from ganviz.cli.options import checked
from ganviz.console import Progress, fail
from ganviz.core.settings import RUN


def add_parser(sub) -> None:
    p = sub.add_parser("compare", help="train several losses in lockstep over seeds; print mode coverage")
    p.add_argument("scenario", help="a scenario file (.toml) or the name of a built-in scenario")
    p.add_argument("--losses", help="comma-separated loss ids (default: the scenario's panels)")
    p.add_argument("--seeds", type=checked(RUN["seeds"]), default=1,
                   help="number of seeds (runs), from the scenario's seed on (default 1)")
    p.add_argument("--steps", type=checked(RUN["steps"]), help="generator steps (default: the scenario's)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a setting")
    p.add_argument("--device", help="auto, cpu, cuda or mps")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.set_defaults(func=cmd_compare)


def panels_for(sc, losses: list[str]) -> list[dict]:
    """One panel per loss, each with its registry defaults (except what lockstep GANs must share)."""
    from ganviz.core.settings import switch_loss

    current = dataclasses.asdict(sc.train)
    return [switch_loss(current, lid)[0] for lid in losses]


def cmd_compare(args) -> int:
    from ganviz.cli.run import load_scenario
    from ganviz.core import scenario as S
    from ganviz.core.losses import UnknownLoss, get_loss

    try:
        sc = load_scenario(args)
        if sc.view == "game":
            return fail(f"{args.scenario}: a game-lab scenario has no GAN to train; open it in the app, "
                        "export it, or use `ganviz game`", "compare")
        if sc.view == "exercise":
            return fail(f"{args.scenario}: an exercise scenario computes one step by hand; use "
                        f"`ganviz run {args.scenario} --explain` or open it in the app", "compare")
        if args.losses:
            losses = [l.strip() for l in args.losses.split(",") if l.strip()]
            if not losses:
                return fail("--losses: give at least one loss id", "compare")
            for lid in losses:
                get_loss(lid)
            if len(losses) > S.MAX_PANELS:
                return fail(f"--losses: at most {S.MAX_PANELS} losses side by side (got {len(losses)})", "compare")
            sc = dataclasses.replace(sc, panels=tuple(panels_for(sc, losses))).validate()
    except (S.ScenarioError, UnknownLoss) as e:
        return fail(f"--losses: {e}" if isinstance(e, UnknownLoss) else str(e), "compare")
    steps = sc.steps if args.steps is None else args.steps

    from ganviz.core.evaluate import Evaluator
    from ganviz.core.settings import SettingsError
    from ganviz.core.train import Trainer, TrainingDiverged, runs_per_lockstep

    labels = sc.panel_labels()
    m = len(labels)
    keys = ("modes", "hq_frac", "rev_kl", "js", "kl_g_data")
    results = {k: np.full((args.seeds, m), np.nan) for k in keys}
    diverged = np.zeros((args.seeds, m), dtype=bool)
    progress = Progress(steps * args.seeds)
    mixture = sc.data.mixture()
    # The seeds train in lockstep, as one batched model (each its own weights, batches and noise), as many
    # at a time as the memory budget allows; each seed's numbers are those of its set trained alone.
    per = runs_per_lockstep(sc.model, sc.panel_settings(), mixture.dim, mixture.n_components)
    for lo in range(0, args.seeds, per):
        seeds = [sc.seed + s for s in range(lo, min(args.seeds, lo + per))]
        try:
            tr = Trainer(mixture, sc.model, sc.panel_settings(), seed=seeds, device=sc.device)
        except SettingsError as e:
            return fail(str(e), "compare")
        done = 0
        try:
            while done < steps:
                n = min(50, steps - done)
                tr.step(n)
                done += n
                progress.update(lo * steps + done * len(seeds))
        except TrainingDiverged:
            pass
        for r in range(len(seeds)):
            s = lo + r
            run = tr.run_trainer(r)
            mt = Evaluator(run, bounds=sc.data.bounds).metrics()["metrics"]
            for i in range(m):
                results["modes"][s, i] = mt["modes"][i]
                results["hq_frac"][s, i] = mt["hq_frac"][i]
                results["rev_kl"][s, i] = mt["rkl_modes"][i]
                results["js"][s, i] = mt["js"][i]
                results["kl_g_data"][s, i] = mt["kl_g_data"][i]
            diverged[s] = run.diverged.view(-1).cpu().numpy()
    progress.close()

    k = sc.data.mixture().n_components
    summary = []
    for i, label in enumerate(labels):
        row = {"gan": label, "loss": sc.panel_settings()[i].loss, "diverged_runs": int(diverged[:, i].sum())}
        for key in keys:
            v = results[key][:, i]
            fin = v[np.isfinite(v)]
            row[key] = {"mean": float(fin.mean()) if fin.size else None,
                        "std": float(fin.std(ddof=1)) if fin.size > 1 else 0.0 if fin.size else None,
                        "runs": [float(x) if math.isfinite(x) else "inf" if x == math.inf else None for x in v]}
            if np.any(v == math.inf):
                # A divergence that is infinite in some run has an infinite mean, whatever the others read.
                row[key]["mean"], row[key]["std"] = "inf", None
        summary.append(row)
    meta = {"scenario": sc.name, "data": sc.data.label, "modes_total": k, "steps": steps,
            "seeds": [sc.seed + s for s in range(args.seeds)], "samples": 2500}
    if args.json:
        print(json.dumps({**meta, "results": summary}))
        return 0
    print(f"# {sc.name}: {sc.data.label} ({k} modes), {steps} steps, seeds {meta['seeds']}, "
          f"2,500 samples per GAN; mean \u00b1 std over seeds")
    print(f"{'GAN':<24}{'modes':>14}{'high quality':>18}{'rev KL (modes)':>18}")

    def ms(d, fmt):
        if d["mean"] is None:
            return "-"
        return f"{fmt.format(d['mean'])} \u00b1 {fmt.format(d['std'])}"

    for row in summary:
        note = f"  ({row['diverged_runs']} diverged)" if row["diverged_runs"] else ""
        print(f"{row['gan']:<24}{ms(row['modes'], '{:.1f}'):>14}{ms(row['hq_frac'], '{:.1%}'):>18}"
              f"{ms(row['rev_kl'], '{:.2f}'):>18}{note}")
    sys.stdout.flush()
    return 0
