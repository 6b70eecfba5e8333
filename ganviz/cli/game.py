"""`ganviz game`: iterate a small game from the command line and print the trajectory.

    ganviz game --game bilinear --method sim_gda,alt_gda --lr 0.1 --steps 100
    ganviz game --game dirac --loss ns --reg r1 --method flow --method sim_gda --json

Each method comes with the spectral radius rho of its one-step map linearised at
the equilibrium, its verdict there (converges, circles, diverges; undecided where
the field jumps) and what the run measurably did.

`add_parser(subparsers)` registers the sub-command; `cmd_game(args)` runs it and
returns the exit code (2 for a usage error, printed as one line on stderr).
"""
from __future__ import annotations

import argparse
import json
from typing import Optional, Sequence

import numpy as np

from ganviz.cli.options import checked, number_pair
from ganviz.console import fail
from ganviz.core.games import (
    GAMES, INTEGRATORS, REGULARISERS, Game, Measured, Trajectory, Verdict, disagreement, format_eigenvalues,
    hyper, make_game, measure, run, verdict,
)
from ganviz.core.losses import LOSSES
from ganviz.core.settings import GAME

TABLE_ROWS = 10


class UsageError(ValueError):
    pass


def add_parser(subparsers) -> argparse.ArgumentParser:
    # Every option that sets a [game] field is read with that field of the settings schema: the
    # scenario loader, an export's game frames and the game view's sliders allow the same values.
    p = subparsers.add_parser(
        "game", help="iterate the bilinear game or the Dirac-GAN and print the trajectory",
        description="Iterate a two-player game with one or more integrators and print each trajectory "
                    "and its distance to the equilibrium.",
    )
    p.add_argument("--game", default="bilinear", type=checked(GAME["game"]),
                   help=f"{' | '.join(GAMES)} (default: bilinear)")
    p.add_argument("--loss", default="ns", type=checked(GAME["loss"]),
                   help=f"Dirac-GAN loss: {', '.join(LOSSES)} (default: ns)")
    p.add_argument(
        "--reg", default=None, type=checked(GAME["reg"]),
        help=f"Dirac-GAN regulariser: {', '.join(REGULARISERS)} (default: gp for the wgan-gp loss, else none)",
    )
    p.add_argument(
        "--reg-weight", default=None, metavar="W", type=checked(GAME["reg_weight"]),
        help="the regulariser's weight: gamma (r1), lambda (gp0, gp) or sigma (noise)",
    )
    p.add_argument(
        "--method", action="append", metavar="M",
        help=f"integrator(s), repeatable or comma-separated: {', '.join(INTEGRATORS)} (default: all)",
    )
    p.add_argument("--lr", default=0.1, type=checked(GAME["lr"]),
                   help="learning rate; for the flow the time between samples (default 0.1)")
    p.add_argument("--gamma", default=1.0, type=checked(GAME["gamma"]),
                   help="consensus optimisation's gamma (default 1.0)")
    p.add_argument("--momentum", default=-0.5, type=checked(GAME["beta"]),
                   help="momentum beta, negative allowed (default -0.5)")
    p.add_argument("--k", default=1, type=checked(GAME["k"]),
                   help="discriminator (y) steps per generator (x) step (default 1)")
    p.add_argument("--steps", default=100, type=checked(GAME["steps"]), help="number of iterations (default 100)")
    p.add_argument("--start", default=None, metavar="X,Y", type=number_pair(GAME["start"]),
                   help="start point (default 1,1; a negative one as --start=-1,2)")
    p.add_argument("--json", action="store_true", help="print one JSON object with every trajectory")
    p.set_defaults(func=cmd_game)
    return p


def _methods(values: Optional[Sequence[str]]) -> list[str]:
    names = [m.strip() for v in (values or [",".join(INTEGRATORS)]) for m in v.split(",") if m.strip()]
    for m in names:
        if m not in INTEGRATORS:
            raise UsageError(f"--method: unknown method {m!r}; choose from {', '.join(INTEGRATORS)}")
    if not names:
        raise UsageError("--method: give at least one method")
    return list(dict.fromkeys(names))


def _parse(args: argparse.Namespace) -> dict:
    methods = _methods(args.method)
    game = make_game(args.game, args.loss, args.reg, args.reg_weight)
    start = game.default_start if args.start is None else args.start
    return dict(game=game, methods=methods, start=start, steps=args.steps, lr=args.lr,
                params=dict(gamma=args.gamma, beta=args.momentum, k=args.k))


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


def cmd_game(args: argparse.Namespace) -> int:
    try:
        cfg = _parse(args)
        game = cfg["game"]
        trajectories = [run(game, m, cfg["start"], cfg["steps"], cfg["lr"], **cfg["params"]) for m in cfg["methods"]]
    except ValueError as e:  # UsageError, or a core check (e.g. an unknown loss) that names its field
        return fail(str(e), "game")
    print(_json(game, cfg, trajectories) if args.json else _table(game, cfg, trajectories))
    return 0
