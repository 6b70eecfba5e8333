"""`ganviz measure`: every metric of the app for samples from any generator, by the app's own code.

    ganviz measure SAMPLES --data PRESET_OR_SCENARIO [--json]
    ganviz measure --reference [--json]      the estimators against the known truth of reference cases

SAMPLES is an .npy file holding an (n, d) array, or a .csv file with one sample per row
(a header row is skipped). Errors a user can cause print one line and exit with status 2.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from ganviz.cli.options import checked
from ganviz.console import fail
from ganviz.core.settings import RUN

MIN_SAMPLES = 100
REF_SEED = 1_000_003
# The sample size behind the app's metrics; fewer samples give larger errors (shown) and more k-NN bias.
APP_SAMPLES = 20_000
ROWS = ("js", "kl_data_g", "kl_g_data", "missed", "w1", "modes", "hq_frac", "rkl_modes")


class MeasureError(ValueError):
    """A samples file or data name that cannot be measured: one sentence for the user."""


def load_samples(path: str) -> np.ndarray:
    """An (n, d) float array from .npy or .csv, or a MeasureError naming what is wrong with the file."""
    p = Path(path)
    if not p.is_file():
        raise MeasureError(f"{path}: no such file")
    suffix = p.suffix.lower()
    if suffix == ".npy":
        try:
            x = np.load(p, allow_pickle=False)
        except ValueError as e:
            raise MeasureError(f"{path}: not a numeric .npy array ({e})") from None
        except (OSError, EOFError) as e:
            raise MeasureError(f"{path}: cannot be read as an .npy array ({e})") from None
    elif suffix in (".csv", ".txt"):
        x = None
        for skip in (0, 1):
            try:
                x = np.loadtxt(p, delimiter=",", ndmin=2, skiprows=skip, dtype=np.float64)
                break
            except ValueError as e:
                err = e
            except (OSError, UnicodeDecodeError) as e:
                raise MeasureError(f"{path}: cannot be read as text ({e})") from None
        if x is None:
            raise MeasureError(f"{path}: not a table of numbers ({err})")
    else:
        raise MeasureError(f"{path}: expected an .npy or .csv file (got {suffix or 'no suffix'})")
    if not np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.complexfloating):
        raise MeasureError(f"{path}: expected real numbers (got an array of {x.dtype})")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise MeasureError(f"{path}: expected an (n, d) array of samples (got shape {x.shape})")
    if x.shape[0] == 0:
        raise MeasureError(f"{path}: holds no samples")
    if not np.all(np.isfinite(x)):
        bad = int(np.sum(~np.all(np.isfinite(x), axis=1)))
        raise MeasureError(f"{path}: {bad} sample(s) contain NaN or infinite values")
    if x.shape[0] < MIN_SAMPLES:
        raise MeasureError(f"{path}: need at least {MIN_SAMPLES} samples for the estimates (got {x.shape[0]})")
    return x


def load_data(name: str):
    """The exact p_data of a preset or a scenario (name or .toml file), and a label for it."""
    from ganviz.core import scenario as S
    from ganviz.core.data import PRESETS, MixtureError, preset

    if name in PRESETS:
        return preset(name), f"preset {name} ({PRESETS[name].description})"
    try:
        sc = S.load(name)
        return sc.data.mixture(), f"scenario {name} ({sc.data.label})"
    except (S.ScenarioError, MixtureError) as e:
        raise MeasureError(f"--data: {name!r} is neither a data preset ({', '.join(PRESETS)}) nor a usable "
                           f"scenario: {e}") from None


def cmd_measure(args) -> int:
    if args.reference:
        if args.samples:
            return fail("give either SAMPLES with --data, or --reference alone", "measure")
        return _reference(args.json)
    if not args.samples or not args.data:
        return fail("give a samples file and --data PRESET_OR_SCENARIO (or --reference)", "measure")
    try:
        x = load_samples(args.samples)
        mixture, label = load_data(args.data)
        if x.shape[1] != mixture.dim:
            raise MeasureError(f"{args.samples}: samples have {x.shape[1]} coordinate(s) but the data "
                               f"{args.data!r} is {mixture.dim}D")
    except MeasureError as e:
        return fail(str(e), "measure")

    from ganviz.core import estimators as E
    from ganviz.core.metric_info import METRICS

    # Offset so that samples a user drew from p_data with a small seed are not the reference sample itself.
    ref = E.DataReference.draw(mixture, APP_SAMPLES, seed=REF_SEED + args.seed)
    result = E.measure(x, ref)
    floor = E.perfect_g_w1(mixture, x.shape[0])
    n = x.shape[0]
    if args.json:
        out = {"samples": args.samples, "n": n, "data": label, "dim": mixture.dim,
               "w1_kind": "sliced" if mixture.dim == 2 else "exact", "w1_perfect_g": floor,
               "modes_total": mixture.n_components, "metrics": {}}
        for key in ROWS:
            est = result.values[key]
            out["metrics"][key] = {"value": est.json(), "se": est.se if math.isfinite(est.se) else None,
                                   "kind": est.kind, **({"note": est.note} if est.note else {})}
        print(json.dumps(out))
        return 0
    print(f"# {n:,} samples from {args.samples} against the exact p_data of {label}")
    if n < APP_SAMPLES:
        print(f"# fewer than the app's {APP_SAMPLES:,} samples: larger errors, and more bias in the k-NN estimates")
    print("# ± is a standard error; \u2265 a lower bound")
    for key in ROWS:
        est = result.values[key]
        name = METRICS[key].label_for(mixture.dim)
        text = est.text(4)
        if key == "modes":
            text = f"{est.value:.0f} / {mixture.n_components}" + (f" \u00b1 {est.se:.2g}" if math.isfinite(est.se) else "")
        if key == "w1" and mixture.dim == 2:
            text += f"   (a perfect G reads {floor:.3g} at n = {n:,})"
        print(f"{name:<18} {text}" + (f"   [{est.note}]" if est.note else ""))
    return 0


def _reference(as_json: bool) -> int:
    """Each reference case: the truth, the estimate at 20,000 samples and whether it is within 5 % or 0.01."""
    from ganviz.core import estimators as E
    from ganviz.core.reference_cases import CASES, truth, within

    rows = []
    for case in CASES:
        true = truth(case)
        x, _ = case.generator().sample_numpy(APP_SAMPLES, np.random.default_rng(1))
        got = E.measure(x, E.DataReference.draw(case.data(), APP_SAMPLES, seed=2)).values
        for key in ("js", "kl_data_g", "kl_g_data"):
            est = got[key]
            if est.kind == E.LOWER_BOUND:
                ok = est.value <= true[key] + 3 * est.se
            else:
                ok = within(est.value, true[key])
            rows.append({"case": case.id, "description": case.description, "metric": key, "truth": true[key],
                         "estimate": est.json(), "se": est.se if math.isfinite(est.se) else None,
                         "kind": est.kind, "ok": bool(ok)})
    if as_json:
        print(json.dumps(rows))
    else:
        print(f"# {APP_SAMPLES:,} G samples per case; truth by Monte Carlo on the exact densities (400,000 "
              f"samples) or closed form; ok: within 5 % or 0.01, or a lower bound below the truth")
        print(f"{'case':<16}{'metric':<12}{'truth':>12}{'estimate':>22}  ok")
        for r in rows:
            est = E.Estimate(math.inf if r["estimate"] == "inf" else r["estimate"],
                             math.nan if r["se"] is None else r["se"], r["kind"])
            print(f"{r['case']:<16}{r['metric']:<12}{r['truth']:>12.4f}{est.text(4):>22}  {'yes' if r['ok'] else 'NO'}")
    return 0 if all(r["ok"] for r in rows) else 1


def add_parser(sub) -> None:
    p = sub.add_parser("measure", help="every metric of the app for samples from any generator",
                       description="Measure samples (an .npy (n, d) array or a .csv, one sample per row) against "
                                   "the exact p_data of a preset or scenario, with the app's own estimators.")
    p.add_argument("samples", nargs="?", help="an .npy or .csv file of samples")
    p.add_argument("--data", help="a data preset (ring8, grid25, ...) or a scenario name or .toml file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--seed", type=checked(RUN["seed"]), default=0,
                   help="which p_data sample to compare with (default 0)")
    p.add_argument("--reference", action="store_true",
                   help="check the estimators on cases whose truth is known, and print the table")
    p.set_defaults(func=cmd_measure)
