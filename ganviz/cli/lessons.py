"""`ganviz lessons`: every built-in lesson with its claims, and a check that it shows them.

    ganviz lessons                          each lesson and its claims
    ganviz lessons --check [NAME] [--seeds N] [--json]
                                            train it on N seeds (default 5) and judge each claim

NAME is a built-in scenario or a scenario file carrying [[claims]]. A lesson holds when all
its claims hold on at least 4 of 5 seeds (80 %); --check exits 1 when one does not.
"""
from __future__ import annotations

import json
import math
import sys

from ganviz.cli.options import checked
from ganviz.console import Progress, fail
from ganviz.core.settings import RUN


def _lessons(name):
    from ganviz.core import scenario as S

    names = [name] if name else S.builtin_names()
    out = []
    for n in names:
        sc = S.load(n)
        if sc.claims or name:
            out.append((n, sc))
    return out


def cmd_lessons(args) -> int:
    from ganviz.core import scenario as S
    from ganviz.core.lessons import HOLD_FRACTION, check, holds

    try:
        lessons = _lessons(args.name)
    except S.ScenarioError as e:
        return fail(str(e), "lessons")
    if args.name and not lessons[0][1].claims:
        return fail(f"{args.name}: the scenario makes no claims ([[claims]] tables)", "lessons")
    if not args.check:
        for n, sc in lessons:
            print(f"{n}: {sc.description or sc.name}")
            for c in sc.claims:
                print(f"  - {c.text}   [{c.describe()}]")
        return 0
    report, all_hold = [], True
    for n, sc in lessons:
        seeds = 1 if sc.view == "game" else args.seeds
        progress = Progress(seeds * max(sc.steps, 1))
        results = check(sc, seeds, on_progress=lambda j, s: progress.update(j * sc.steps + s, n))
        progress.close()
        ok = holds(results)
        all_hold &= ok
        report.append((n, sc, results, ok))
        if args.json:
            continue
        print(f"{n}: {'holds' if ok else 'DOES NOT HOLD'} on {sum(r.holds for r in results)} of {len(results)} "
              f"seed(s) (needs {math.ceil(HOLD_FRACTION * len(results) - 1e-9)})")
        for r in results:
            for v in r.verdicts:
                print(f"  seed {r.seed:<4} {'yes' if v.holds else 'NO ':<4}{v.claim.describe()}: measured "
                      f"{v.measured:.4g} vs {v.threshold:.4g}")
        sys.stdout.flush()
    if args.json:
        print(json.dumps([{
            "lesson": n, "holds": ok, "seeds": [
                {"seed": r.seed, "holds": r.holds, "claims": [
                    {"text": v.claim.text, "claim": v.claim.describe(), "measured": _num(v.measured),
                     "threshold": _num(v.threshold), "holds": v.holds} for v in r.verdicts]} for r in results]}
            for n, sc, results, ok in report]))
    return 0 if all_hold else 1


def _num(v: float):
    return v if math.isfinite(v) else ("inf" if v == math.inf else None)


def add_parser(sub) -> None:
    p = sub.add_parser("lessons", help="the built-in lessons and their claims; --check trains and judges them",
                       description="List each lesson (a scenario with [[claims]]) with its claims, or train it on "
                                   "several seeds and judge every claim.")
    p.add_argument("name", nargs="?", help="a built-in scenario or a scenario file (default: every built-in lesson)")
    p.add_argument("--check", action="store_true", help="train and judge the claims")
    p.add_argument("--seeds", type=checked(RUN["seeds"]), default=5,
                   help="seeds to train on (default 5; a game needs one)")
    p.add_argument("--json", action="store_true", help="print the verdicts as JSON")
    p.set_defaults(func=cmd_lessons)
