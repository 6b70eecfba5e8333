"""`ganviz game`: iterate a small game from the command line and print the trajectory.

    ganviz game --game bilinear --method sim_gda,alt_gda --lr 0.1 --steps 100
    ganviz game --game dirac --loss ns --reg r1 --method flow --method sim_gda --json

Each method comes with the spectral radius rho of its one-step map linearised at
the equilibrium, its verdict there (converges, circles, diverges; undecided where
the field jumps) and what the run measurably did.

`add_parser(subparsers)` registers the sub-command; `run_cli(args)` runs it and
returns the exit code (2 for a usage error, printed as one line on stderr).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Optional, Sequence

import numpy as np

from ganviz.core.games import (
    GAMES, INTEGRATORS, REGULARISERS, Game, Measured, Trajectory, Verdict, disagreement, format_eigenvalues,
    hyper, make_game, measure, run, verdict,
)
from ganviz.core.losses import LOSSES
from ganviz.core.settings import GAME, SettingsError

TABLE_ROWS = 10


class UsageError(ValueError):
    pass


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "game", help="iterate the bilinear game or the Dirac-GAN and print the trajectory",
        description="Iterate a two-player game with one or more integrators and print each trajectory "
                    "and its distance to the equilibrium.",
    )
    p.add_argument("--game", default="bilinear", help=f"{' | '.join(GAMES)} (default: bilinear)")
    p.add_argument("--loss", default="ns", help=f"Dirac-GAN loss: {', '.join(LOSSES)} (default: ns)")
    p.add_argument(
        "--reg", default=None,
        help=f"Dirac-GAN regulariser: {', '.join(REGULARISERS)} (default: gp for the wgan-gp loss, else none)",
    )
    p.add_argument(
        "--reg-weight", default=None, metavar="W",
        help="the regulariser's weight: gamma (r1), lambda (gp0, gp) or sigma (noise)",
    )
    p.add_argument(
        "--method", action="append", metavar="M",
        help=f"integrator(s), repeatable or comma-separated: {', '.join(INTEGRATORS)} (default: all)",
    )
    p.add_argument("--lr", default="0.1", help="learning rate; for the flow the time between samples (default 0.1)")
    p.add_argument("--gamma", default="1.0", help="consensus optimisation's gamma (default 1.0)")
    p.add_argument("--momentum", default="-0.5", help="momentum beta in (-1, 1), negative allowed (default -0.5)")
    p.add_argument("--k", default="1", help="discriminator (y) steps per generator (x) step (default 1)")
    p.add_argument("--steps", default="100", help="number of iterations (default 100)")
    p.add_argument("--start", default=None, metavar="X,Y", help="start point (default 1,1)")
    p.add_argument("--json", action="store_true", help="print one JSON object with every trajectory")
    p.set_defaults(func=run_cli)
    return p


def _number(option: str, text, *, whole: bool = False) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise UsageError(f"{option}: expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise UsageError(f"{option}: expected a finite number, got {text!r}")
    if whole and value != int(value):
        raise UsageError(f"{option}: expected a whole number, got {text!r}")
    return value


def _methods(values: Optional[Sequence[str]]) -> list[str]:
    names = [m.strip() for v in (values or [",".join(INTEGRATORS)]) for m in v.split(",") if m.strip()]
    for m in names:
        if m not in INTEGRATORS:
            raise UsageError(f"--method: unknown method {m!r}; choose from {', '.join(INTEGRATORS)}")
    if not names:
        raise UsageError("--method: give at least one method")
    return list(dict.fromkeys(names))


def _start(text: Optional[str], game: Game) -> tuple[float, float]:
    if text is None:
        return game.default_start
    parts = text.split(",")
    if len(parts) != 2:
        raise UsageError(f"--start: expected two numbers as X,Y, got {text!r}")
    x, y = (_number("--start", s) for s in parts)
    return x, y


def _checked(option: str, key: str, value):
    """`value` for the [game] field `key`, checked against the settings schema (one home of the ranges)."""
    try:
        GAME[key].check(value, "game")
    except SettingsError:
        raise UsageError(f"{option}: must be {GAME[key].describe_range()}, got {value!r}") from None
    return value


def _parse(args: argparse.Namespace) -> dict:
    _checked("--game", "game", args.game)
    _checked("--loss", "loss", args.loss)
    _checked("--reg", "reg", args.reg)
    weight = None if args.reg_weight is None else _checked("--reg-weight", "reg_weight",
                                                             _number("--reg-weight", args.reg_weight))
    steps = int(_checked("--steps", "steps", int(_number("--steps", args.steps, whole=True))))
    lr = _checked("--lr", "lr", _number("--lr", args.lr))
    gamma = _checked("--gamma", "gamma", _number("--gamma", args.gamma))
    beta = _checked("--momentum", "beta", _number("--momentum", args.momentum))
    k = int(_checked("--k", "k", int(_number("--k", args.k, whole=True))))
    methods = _methods(args.method)
    game = make_game(args.game, args.loss, args.reg, weight)
    start = _start(args.start, game)
    _checked("--start", "start", list(start))
    return dict(game=game, methods=methods, start=start, steps=steps, lr=lr,
                params=dict(gamma=gamma, beta=beta, k=k))


def _assess(game: Game, cfg: dict, tr: Trajectory) -> tuple[Verdict, Measured]:
    v = verdict(game, tr.method, hyper(tr.method, cfg["lr"], **cfg["params"]))
    return v, measure(tr.points, game.equilibrium, tr.diverged)


def _table(game: Game, cfg: dict, trajectories: list[Trajectory]) -> str:
    lines = [game.name]
    eq = ", ".join(f"{c:g}" for c in game.equilibrium)
    lines.append(f"equilibrium ({eq}); eigenvalues of the Jacobian there: "
                 + format_eigenvalues(game.eigenvalues()))
    if game.equilibrium_note:
        lines.append(f"note: {game.equilibrium_note}")
    ax, ay = game.axes
    width = max(14, len(ax), len(ay))
    for tr in trajectories:
        integ = INTEGRATORS[tr.method]
        params = ", ".join(f"{k}={v:g}" for k, v in tr.params.items())
        v, m = _assess(game, cfg, tr)
        lines += ["", f"{integ.name} [{tr.method}]  {integ.rule}  ({params})", f"  {v.text}"]
        if v.note:
            lines.append(f"  theory: {v.note}")
        other = disagreement(v, m)
        lines += [f"  this run (steps {m.first:,}–{m.last:,}): {m.text}" + (f" — {other}" if other else ""),
                  f"{'iter':>7}  {ax:>{width}}  {ay:>{width}}  {'distance':>12}"]
        n = len(tr.points)
        for i in np.unique(np.linspace(0, n - 1, TABLE_ROWS + 1).round().astype(int)):
            x, y = tr.points[i]
            lines.append(f"{i:>7}  {x:>{width}.6g}  {y:>{width}.6g}  {tr.distance[i]:>12.6g}")
        if tr.diverged:
            lines.append(f"  diverged: iterate {n} left |p| < 1e6; stopped there")
    return "\n".join(lines)


def _trajectory_dict(game: Game, cfg: dict, tr: Trajectory) -> dict:
    v, m = _assess(game, cfg, tr)
    return tr.to_dict() | v.to_dict() | {"measured": m.to_dict() | {"disagreement": disagreement(v, m)}}


def _json(game: Game, cfg: dict, trajectories: list[Trajectory]) -> str:
    dirac = game.id == "dirac"
    out = {
        "game": game.id,
        "name": game.name,
        "axes": list(game.axes),
        "loss": game.loss.id if dirac else None,
        "reg": game.reg.id if dirac else None,
        "reg_weight": game.weight if dirac else None,
        "equilibrium": game.equilibrium.tolist(),
        "eigenvalues": [[float(z.real), float(z.imag)] for z in game.eigenvalues()],
        "start": list(cfg["start"]),
        "steps": cfg["steps"],
        "note": game.equilibrium_note,
        "trajectories": {tr.method: _trajectory_dict(game, cfg, tr) for tr in trajectories},
    }
    return json.dumps(out)


def run_cli(args: argparse.Namespace) -> int:
    try:
        cfg = _parse(args)
        game = cfg["game"]
        trajectories = [run(game, m, cfg["start"], cfg["steps"], cfg["lr"], **cfg["params"]) for m in cfg["methods"]]
    except ValueError as e:  # UsageError, or a core check (e.g. an unknown loss) that names its field
        print(f"ganviz game: {e}", file=sys.stderr)
        return 2
    print(_json(game, cfg, trajectories) if args.json else _table(game, cfg, trajectories))
    return 0
