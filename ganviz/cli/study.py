"""`ganviz study`: the VEEGAN and PacGAN mode-collapse tables, rerun under their own protocols.

    ganviz study                                   list the studies and their protocols
    ganviz study veegan                            the full protocol: every arm, dataset and run
    ganviz study pacgan --arms gan,pac2 --data ring8-veegan --runs 3 --steps 15000 --out pacgan.json

Each run is an independent GAN (its own seed, initial weights and batches), as in
the papers; the runs of a cell train in lockstep, as one batched model, and give the
numbers they give trained one by one. The table puts the paper's numbers next to ganviz's. --out writes the
runs as JSON (cells already in the file for other arms or datasets are kept), which
`python -m ganviz.docs` turns into the README's reproduction tables.
"""
from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

from ganviz.cli.options import checked
from ganviz.console import Progress, fail
from ganviz.core.settings import RUN


def add_parser(sub) -> None:
    p = sub.add_parser("study", help="rerun the VEEGAN / PacGAN mode-collapse tables; print published vs ganviz")
    p.add_argument("study", nargs="?", help="study id (omit to list them)")
    p.add_argument("--arms", help="comma-separated arm ids (default: all)")
    p.add_argument("--data", help="comma-separated dataset ids (default: all of the study's)")
    p.add_argument("--runs", type=checked(RUN["seeds"]),
                   help="independent runs per arm and dataset (default: the paper's)")
    p.add_argument("--steps", type=checked(RUN["steps"]), help="generator iterations per run (default: the paper's)")
    p.add_argument("--seed", type=checked(RUN["seed"]), default=0,
                   help="seed of the first run; run i uses seed + i (default 0)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    p.add_argument("--json", action="store_true", help="print the results as one JSON object")
    p.add_argument("--out", help="also write the runs to this JSON file (merged with the cells already there)")
    p.set_defaults(func=cmd_study)


def _list() -> int:
    from ganviz.core.studies import STUDIES, get_study

    for sid in STUDIES:
        st = get_study(sid)
        arms = ", ".join(f"{a.id} ({a.label})" for a in st.arms)
        print(f"{sid}: {st.name}\n  {st.reference}\n  protocol: {st.protocol}\n  arms: {arms}\n"
              f"  datasets: {', '.join(st.datasets)}\n")
    return 0


def _pick(text, allowed: list[str], what: str) -> list[str]:
    if text is None:
        return list(allowed)
    out = [s.strip() for s in text.split(",") if s.strip()]
    if not out:
        raise ValueError(f"--{what}: give at least one of {', '.join(allowed)}")
    for s in out:
        if s not in allowed:
            raise ValueError(f"--{what}: unknown {what[:-1] if what.endswith('s') else what} {s!r}; choose from "
                             f"{', '.join(allowed)}")
    return out


def cells(study, runs: list[dict]) -> list[dict]:
    """Published and ganviz numbers per (arm, dataset), in the study's order."""
    from ganviz.core.studies import summarise

    out = []
    for arm in study.arms:
        for ds in study.datasets:
            mine = [r for r in runs if r["arm"] == arm.id and r["dataset"] == ds]
            if not mine:
                continue
            pub = arm.published.get(ds)
            row = {"arm": arm.id, "label": arm.label, "dataset": ds, "data_label": study.datasets[ds],
                   "runs": len(mine), "steps": sorted({r["steps"] for r in mine}),
                   "seeds": [r["seed"] for r in mine], "diverged": sum(bool(r["diverged"]) for r in mine),
                   "published": dataclasses.asdict(pub) if pub else None}
            for key, scale in (("modes", 1.0), ("hq", 100.0), ("rev_kl", 1.0)):
                mean, spread = summarise([r[key] * scale for r in mine], study.spread)
                row[key] = {"mean": mean, "spread": spread}
            out.append(row)
    return out


METRICS = (("modes", "{:.1f}"), ("hq", "{:.1f}"), ("rev_kl", "{:.2f}"))   # the table's columns, in order


def mean_pm(mean, err, fmt: str, missing: str = "-") -> str:
    """'mean ± err' (the ± part only when a spread is known); `missing` when there is no mean."""
    if mean is None:
        return missing
    return fmt.format(mean) + (f" ± {fmt.format(err)}" if err is not None else "")


def paper_and_ganviz(published: dict | None, row: dict | None, missing: str = "-",
                     not_run: str = "-") -> tuple[list[str], list[str]]:
    """The paper's and ganviz's cells, one per METRICS column."""
    p = published or {}
    paper = [mean_pm(p.get(k), p.get(f"{k}_err"), f, missing) for k, f in METRICS]
    mine = ([mean_pm(row[k]["mean"], row[k]["spread"], f, missing) for k, f in METRICS] if row
            else [not_run] * len(METRICS))
    return paper, mine


def format_table(study, rows: list[dict]) -> str:
    spread = {"se": "± standard error", "std": "± std"}.get(study.spread, "")
    ours_spread = "± standard error" if study.spread == "se" else "± std"
    lines = [f"# {study.name}: published ({spread or 'mean'}) vs ganviz (mean {ours_spread} over runs)",
             f"{'data':<9}{'method':<24}{'modes paper':>12}{'ganviz':>13}{'HQ % paper':>13}{'ganviz':>15}"
             f"{'rev KL paper':>14}{'ganviz':>14}  runs x steps"]

    for r in rows:
        paper, mine = paper_and_ganviz(r["published"], r)
        steps = "/".join(f"{s:,}" for s in r["steps"])
        note = f", {r['diverged']} diverged" if r["diverged"] else ""
        lines.append(f"{r['data_label']:<9}{r['label']:<24}{paper[0]:>12}{mine[0]:>13}{paper[1]:>13}{mine[1]:>15}"
                     f"{paper[2]:>14}{mine[2]:>14}  {r['runs']} x {steps}{note}")
    return "\n".join(lines)


def _merge(path: Path, study_id: str, new_runs: list[dict]) -> list[dict]:
    if not path.exists():
        return new_runs
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ValueError(f"--out: {path} exists but is not a study result file ({e})") from None
    if not isinstance(old, dict) or old.get("study") != study_id:
        raise ValueError(f"--out: {path} holds results of another study; give a new file")
    replaced = {(r["arm"], r["dataset"]) for r in new_runs}
    return [r for r in old.get("runs", []) if (r["arm"], r["dataset"]) not in replaced] + new_runs


def cmd_study(args) -> int:
    if not args.study:
        return _list()
    import torch

    from ganviz.core.studies import get_study, run_many
    from ganviz.core.settings import SettingsError
    from ganviz.core.train import resolve_device
    from ganviz.export.writers import ExportError, write_bytes_atomic

    try:
        study = get_study(args.study)
        arms = [study.arm(a) for a in _pick(args.arms, [a.id for a in study.arms], "arms")]
        datasets = _pick(args.data, list(study.datasets), "data")
        device = resolve_device(args.device)
    except SettingsError as e:
        return fail(f"--{e}" if str(e).startswith("device: ") else str(e), "study")
    except ValueError as e:
        return fail(str(e), "study")
    runs = study.runs if args.runs is None else args.runs
    steps = study.steps if args.steps is None else args.steps
    out_path = Path(args.out) if args.out else None
    if out_path is not None:
        if not out_path.parent.is_dir():
            return fail(f"--out: the folder {out_path.parent} does not exist", "study")
        try:
            _merge(out_path, study.id, [])
        except ValueError as e:
            return fail(str(e), "study")

    total = len(arms) * len(datasets) * runs * max(steps, 1)
    progress = Progress(total)
    results = []
    done_before = 0
    for arm in arms:
        for ds in datasets:
            # The runs of a cell train in lockstep, each with its own seed (see run_many).
            cell = run_many(study, arm, ds, [args.seed + i for i in range(runs)], steps, device,
                            on_progress=lambda d, base=done_before: progress.update(base + d, f"{arm.id} {ds}"))
            done_before += runs * max(steps, 1)
            results += [dataclasses.asdict(r) for r in cell]
    progress.close()
    meta = {"study": study.id, "name": study.name, "reference": study.reference, "protocol": study.protocol,
            "deviations": study.deviations, "device": str(device), "torch": torch.__version__,
            "threads": torch.get_num_threads(), "samples": study.samples}
    if out_path is not None:
        try:
            merged = _merge(out_path, study.id, results)
            write_bytes_atomic(out_path, json.dumps({**meta, "runs": merged}, indent=1) + "\n")
        except (OSError, ValueError, ExportError) as e:
            return fail(f"--out: {e}", "study")
    rows = cells(study, results)
    if args.json:
        print(json.dumps({**meta, "cells": rows, "runs": results}))
    else:
        print(format_table(study, rows))
    sys.stdout.flush()
    return 0
