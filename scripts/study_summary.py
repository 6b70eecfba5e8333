"""Every number the README's "Reproducing VEEGAN and PacGAN" section quotes, recomputed from docs/studies/*.json.

    python scripts/study_summary.py                  # all studies
    python scripts/study_summary.py --dir some/dir   # another folder of `ganviz study --out` files

Per study, dataset and arm: the number of runs, iterations, and the mean ± spread of modes captured,
high-quality % and reverse KL over modes (spread as the README's table gives it: standard deviation for
VEEGAN, standard error for PacGAN; both use the sample standard deviation, ddof = 1), with each metric's
range over runs. Then the mean wall time per run (the JSON's "seconds") and its ratio to the GAN arm's,
then each method arm minus the GAN within ganviz (difference of means over their combined standard error),
and, for PacGAN, ganviz against the paper:

    z = (ganviz mean - paper mean) / sqrt(se_ganviz^2 + se_paper^2)

|z| <= 2 is reported as "agrees within 2 SE". With 3 runs a standard error is itself poorly known, and
a run set whose values are all equal has standard error 0, so treat 2 SE as a rough yardstick.

Last, the runs of scripts/veegan_baseline.py (VEEGAN's GAN arm with the unrolled-GAN reference code's
initialisation or ring) per variant, against ganviz's unchanged GAN arm and the paper's 1 mode.

numpy, json and the standard library only: no torch, no ganviz import.
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
STUDY_DIR = ROOT / "docs" / "studies"

# How the README reports ganviz's spread per study (the same convention as the `spread` field of
# ganviz/core/studies.py: VEEGAN's paper gives means only, PacGAN's gives mean and standard error).
SPREAD = {"veegan": "std", "pacgan": "se", "veegan-baseline-variants": "std"}

# scripts/veegan_baseline.py's runs: VEEGAN's GAN arm with the reference code's initialisation and ring.
VARIANTS_STUDY = "veegan-baseline-variants"

# The papers' numbers are not in the JSON files. Transcribed from the README's tables, which
# `python -m ganviz.docs` generates from ganviz/core/studies.py:
#   VEEGAN: Srivastava, Valkov, Russell, Gutmann, Sutton, "VEEGAN: Reducing mode collapse in GANs using
#           implicit variational learning", NeurIPS 2017, Table 1 (means over 5 runs, no spread given).
#   PacGAN: Lin, Khetan, Fanti, Oh, "PacGAN: The power of two samples in generative adversarial
#           networks", NeurIPS 2018, Table 1 (mean and standard error over 10 trials).
# (study, arm, dataset) -> metric -> (mean, standard error or None). HQ in percent.
PAPER_TABLE_1 = {
    ("veegan", "gan", "ring8-veegan"): {"modes": (1.0, None), "hq": (99.3, None), "rev_kl": (None, None)},
    ("veegan", "gan", "grid25"): {"modes": (3.3, None), "hq": (0.5, None), "rev_kl": (None, None)},
    ("veegan", "unrolled", "ring8-veegan"): {"modes": (7.6, None), "hq": (35.6, None), "rev_kl": (None, None)},
    ("veegan", "unrolled", "grid25"): {"modes": (23.6, None), "hq": (16.0, None), "rev_kl": (None, None)},
    ("pacgan", "gan", "ring8-veegan"): {"modes": (6.3, 0.5), "hq": (98.2, 0.2), "rev_kl": (0.45, 0.09)},
    ("pacgan", "gan", "grid25"): {"modes": (17.3, 0.8), "hq": (94.8, 0.7), "rev_kl": (0.70, 0.07)},
    ("pacgan", "pac2", "ring8-veegan"): {"modes": (7.9, 0.1), "hq": (95.6, 2.0), "rev_kl": (0.07, 0.03)},
    ("pacgan", "pac2", "grid25"): {"modes": (23.8, 0.7), "hq": (91.3, 0.8), "rev_kl": (0.13, 0.04)},
    ("pacgan", "pac3", "ring8-veegan"): {"modes": (7.8, 0.1), "hq": (97.7, 0.3), "rev_kl": (0.10, 0.02)},
    ("pacgan", "pac3", "grid25"): {"modes": (24.6, 0.4), "hq": (94.2, 0.4), "rev_kl": (0.06, 0.02)},
    ("pacgan", "pac4", "ring8-veegan"): {"modes": (7.8, 0.1), "hq": (95.9, 1.4), "rev_kl": (0.07, 0.02)},
    ("pacgan", "pac4", "grid25"): {"modes": (24.8, 0.2), "hq": (93.6, 0.6), "rev_kl": (0.04, 0.01)},
}

# Iterations of each paper's full protocol (README, "Protocol:"), to project a run's wall time onto it.
FULL_PROTOCOL_ITERATIONS = {"veegan": 25_000, "pacgan": 400_000, VARIANTS_STUDY: 25_000}

METRICS = (("modes", "modes", 1.0, 1), ("hq", "HQ %", 100.0, 1), ("rev_kl", "rev KL", 1.0, 2))
DATA_LABEL = {"ring8-veegan": "2D ring", "grid25": "2D grid",
              "ring7-reference": "2D ring of the reference code (linspace(0, 2 pi, 8): 7 distinct modes)"}


def load(folder: Path) -> dict:
    """study -> dataset -> arm -> list of runs, over every JSON file in `folder`."""
    out: dict = {}
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for r in data["runs"]:
            out.setdefault(data["study"], {}).setdefault(r["dataset"], {}).setdefault(r["arm"], []).append(r)
    return out


def stats(values: list[float]) -> dict:
    v = np.asarray(values, dtype=np.float64)
    sd = float(v.std(ddof=1)) if v.size > 1 else 0.0
    return {"n": int(v.size), "mean": float(v.mean()), "std": sd, "se": sd / math.sqrt(v.size),
            "min": float(v.min()), "max": float(v.max())}


def z(a: float, se_a: float, b: float, se_b: float) -> tuple[float, float]:
    """(a - b) / sqrt(se_a^2 + se_b^2), and the combined standard error."""
    se = math.hypot(se_a, se_b)
    d = a - b
    return (d / se if se > 0 else (0.0 if d == 0 else math.copysign(math.inf, d))), se


def verdict(zv: float) -> str:
    return "agrees within 2 SE" if abs(zv) <= 2 else "differs by more than 2 SE"


def report(folder: Path) -> None:
    studies = load(folder)
    for study in sorted(studies):
        spread = SPREAD.get(study, "std")
        print(f"== {study} (ganviz: mean ± {'standard error' if spread == 'se' else 'std'}, ddof 1)")
        for ds, arms in studies[study].items():
            label = DATA_LABEL.get(ds, ds)
            summary = {}
            for arm, runs in arms.items():
                steps = sorted({r["steps"] for r in runs})
                seeds = [r["seed"] for r in runs]
                s = {key: stats([r[key] * scale for r in runs]) for key, _, scale, _ in METRICS}
                s["seconds"] = stats([r["seconds"] for r in runs])
                s["per_iter"] = stats([r["seconds"] / r["steps"] for r in runs if r["steps"]])
                summary[arm] = s
                diverged = sum(bool(r["diverged"]) for r in runs)
                print(f"{label} | {arm}: {len(runs)} runs (seeds {seeds}) x {'/'.join(map(str, steps))} iterations"
                      + (f", {diverged} diverged" if diverged else ""))
                for key, name, _, nd in METRICS:
                    m = s[key]
                    print(f"    {name:7s} {m['mean']:.{nd}f} ± {m[spread]:.{nd}f}   "
                          f"(std {m['std']:.{nd}f}, se {m['se']:.{nd}f}, range {m['min']:.{nd}f} to {m['max']:.{nd}f})")
                w = s["seconds"]
                pi = s["per_iter"]
                full = FULL_PROTOCOL_ITERATIONS.get(study)
                print(f"    wall    {w['mean']:.1f} s per run (range {w['min']:.1f} to {w['max']:.1f}), "
                      f"{pi['mean'] * 1e3:.2f} ms per iteration (range {pi['min'] * 1e3:.2f} to {pi['max'] * 1e3:.2f})"
                      + (f"; {full:,} iterations at that range: {pi['min'] * full / 3600:.2f} to "
                         f"{pi['max'] * full / 3600:.2f} h" if full else ""))
            if "gan" in summary:
                base = summary["gan"]
                for arm, s in summary.items():
                    if arm == "gan":
                        continue
                    ratio = s["per_iter"]["mean"] / base["per_iter"]["mean"]
                    lo = s["per_iter"]["min"] / base["per_iter"]["max"]
                    hi = s["per_iter"]["max"] / base["per_iter"]["min"]
                    print(f"  wall time per iteration, {arm} / gan on {label}: {ratio:.2f}x "
                          f"(ratio of the mean seconds per iteration; run-by-run extremes {lo:.1f}x to {hi:.1f}x)")
                    for key, name, _, nd in METRICS:
                        zv, se = z(s[key]["mean"], s[key]["se"], base[key]["mean"], base[key]["se"])
                        line = (f"  {arm} - gan, {name:7s}: ganviz {s[key]['mean'] - base[key]['mean']:+.{nd}f} "
                                f"± {se:.{nd}f} (combined SE), z = {zv:+.2f}")
                        pa, pb = PAPER_TABLE_1.get((study, arm, ds)), PAPER_TABLE_1.get((study, "gan", ds))
                        if pa and pb and pa[key][0] is not None:
                            (ma, sa), (mb, sb) = pa[key], pb[key]
                            line += f"; paper {ma - mb:+.{nd}f}"
                            if sa is not None and sb is not None:
                                pz, pse = z(ma, sa, mb, sb)
                                line += f" ± {pse:.{nd}f}, z = {pz:+.2f}"
                        print(line)
            for arm, s in summary.items():
                pub = PAPER_TABLE_1.get((study, arm, ds))
                if not pub:
                    continue
                for key, name, _, nd in METRICS:
                    p_mean, p_se = pub[key]
                    if p_mean is None:
                        continue
                    m = s[key]
                    if p_se is None:   # the paper gives no spread: where its mean falls among ganviz's runs
                        print(f"  paper vs ganviz, {arm} {name:7s}: paper {p_mean:.{nd}f}, ganviz "
                              f"{m['mean']:.{nd}f} (runs {m['min']:.{nd}f} to {m['max']:.{nd}f}; paper "
                              f"{'inside' if m['min'] <= p_mean <= m['max'] else 'outside'} that range)")
                        continue
                    zv, se = z(m["mean"], m["se"], p_mean, p_se)
                    print(f"  paper vs ganviz, {arm} {name:7s}: paper {p_mean:.{nd}f} ± {p_se:.{nd}f}, ganviz "
                          f"{m['mean']:.{nd}f} ± {m['se']:.{nd}f}, combined SE {se:.{nd}f}, z = {zv:+.2f}: "
                          f"{verdict(zv)}")
        print()
    veegan_ring = studies.get("veegan", {}).get("ring8-veegan", {})
    pac_runs = [r for arms in studies.get("pacgan", {}).values() for r in arms.get("gan", [])]
    if veegan_ring.get("gan") and pac_runs:
        v = stats([r["modes"] for r in veegan_ring["gan"]])
        p = stats([r["modes"] for r in studies["pacgan"].get("ring8-veegan", {}).get("gan", [])] or [math.nan])
        print(f"GAN ring modes under each paper's protocol in ganviz: VEEGAN's {v['mean']:.1f} "
              f"(runs {v['min']:.0f} to {v['max']:.0f}), PacGAN's {p['mean']:.1f} (runs {p['min']:.0f} to {p['max']:.0f}); "
              f"papers: {PAPER_TABLE_1[('veegan', 'gan', 'ring8-veegan')]['modes'][0]} and "
              f"{PAPER_TABLE_1[('pacgan', 'gan', 'ring8-veegan')]['modes'][0]}")
    variants = studies.get(VARIANTS_STUDY, {})
    if variants and veegan_ring.get("gan"):
        base = {key: stats([r[key] * scale for r in veegan_ring["gan"]]) for key, _, scale, _ in METRICS[:2]}
        paper = PAPER_TABLE_1[("veegan", "gan", "ring8-veegan")]
        print(f"VEEGAN's GAN on the ring, one change at a time (scripts/veegan_baseline.py), against ganviz's "
              f"unchanged arm ({base['modes']['n']} runs: {base['modes']['mean']:.1f} modes, "
              f"{base['hq']['mean']:.1f} % HQ) and the paper ({paper['modes'][0]} modes, {paper['hq'][0]} % HQ):")
        for ds, arms in variants.items():
            for arm, runs in arms.items():
                possible = sorted({r.get("modes_possible", 8) for r in runs})
                parts = []
                for key, name, scale, nd in METRICS[:2]:
                    m = stats([r[key] * scale for r in runs])
                    zv, se = z(m["mean"], m["se"], base[key]["mean"], base[key]["se"])
                    p = paper[key][0]
                    parts.append(f"{name} {m['mean']:.{nd}f} (runs {m['min']:.{nd}f} to {m['max']:.{nd}f}; paper "
                                 f"{'inside' if m['min'] <= p <= m['max'] else 'outside'}; minus unchanged arm "
                                 f"{m['mean'] - base[key]['mean']:+.{nd}f} ± {se:.{nd}f}, z = {zv:+.2f})")
                one = sum(r["modes"] == 1 for r in runs)
                print(f"  {arm} ({len(runs)} runs, of {'/'.join(map(str, possible))} modes; "
                      f"{one} with one mode): " + "; ".join(parts))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", type=Path, default=STUDY_DIR, help="folder of `ganviz study --out` JSON files")
    args = ap.parse_args(argv)
    report(args.dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
