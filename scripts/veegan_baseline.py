"""VEEGAN's vanilla-GAN baseline on the ring, with the unrolled-GAN reference code's initialisation and ring.

VEEGAN (Srivastava et al. 2017, Table 1) reports that a GAN captures 1 of the ring's 8 modes with
99.3 % high-quality samples; under the same protocol ganviz's GAN keeps 4 to 8 (README, "Reproducing
VEEGAN and PacGAN"). This script reruns that arm, `ganviz study veegan --arms gan` on the ring with
25,000 iterations, changing one thing at a time towards the unrolled-GAN reference notebook
(poolio/unrolled_gan) that VEEGAN's 2D experiments build on:

    xavier             G's and D's weights Glorot-uniform, biases 0 (TensorFlow's default for
                       tf.contrib.layers.fully_connected / slim) instead of PyTorch's default
    orthogonal         weights orthogonal times 1.4, biases 0: what the reference notebook itself
                       sets (slim.arg_scope(..., weights_initializer=tf.orthogonal_initializer(gain=1.4)))
    ring7              the reference sampler's ring: 8 equally likely components at the angles
                       np.linspace(0, 2 pi, 8), of which 0 and 2 pi coincide; modes and high quality are
                       counted against the 7 distinct means (`data.reference_ring`, `data.distinct_modes`)
    xavier+ring7, orthogonal+ring7   both changes
    default            neither (the study's own arm; a check that the script runs the same protocol)

Each run uses the study's trainer and metric (`studies.run_one`): same networks, optimizer, batch,
iterations, 2,500 evaluation samples and 3-std rule. A re-initialisation draws from a generator of its
own, so a variant's run with seed s sees the batches and latent vectors of the study's run with seed s
(on the same data).

    OMP_NUM_THREADS=1 python scripts/veegan_baseline.py                       # every variant, seeds 0, 1, 2
    python scripts/veegan_baseline.py --variants xavier --seeds 0 --steps 2000 --out /tmp/x.json

The JSON (default docs/studies/veegan-baseline-variants.json) is rewritten atomically after every run,
so an interrupted invocation loses only the run in progress; runs already in the file for other
(variant, seed) pairs are kept, a rerun pair is replaced. Its "runs" carry the fields of `ganviz study
--out` files (arm = variant, dataset) so that scripts/study_summary.py reads it too.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "docs" / "studies" / "veegan-baseline-variants.json"
STUDY_ID = "veegan-baseline-variants"
RING = "ring8-veegan"             # the study's ring
REFERENCE_RING = "ring7-reference"  # the reference sampler's ring (a label: it is no preset)
ORTHOGONAL_GAIN = 1.4             # the reference notebook's tf.orthogonal_initializer(gain=1.4)

# variant -> (initialisation scheme of nets.reinit_ or None, its gain, the reference ring?)
VARIANTS = {
    "xavier": ("xavier", 1.0, False),
    "ring7": (None, 1.0, True),
    "xavier+ring7": ("xavier", 1.0, True),
    "orthogonal": ("orthogonal", ORTHOGONAL_GAIN, False),
    "orthogonal+ring7": ("orthogonal", ORTHOGONAL_GAIN, True),
    "default": (None, 1.0, False),
}
DEFAULT_VARIANTS = ("xavier", "ring7", "xavier+ring7", "orthogonal", "orthogonal+ring7")
DESCRIPTIONS = {
    "xavier": "weights Glorot-uniform U(-a, a), a = sqrt(6 / (fan_in + fan_out)), biases 0; study's ring",
    "ring7": "PyTorch's default initialisation; 8 components at linspace(0, 2 pi, 8), 7 distinct modes",
    "xavier+ring7": "both",
    "orthogonal": "weights orthogonal x 1.4 (tf.orthogonal_initializer(gain=1.4)), biases 0; study's ring",
    "orthogonal+ring7": "both",
    "default": "the study's GAN arm unchanged",
}


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):          # one line, exit code 2 (argparse would add the usage)
        raise UsageError(message)


def _variants(text: str) -> list[str]:
    out = list(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    if not out:
        raise UsageError(f"--variants: give at least one of {', '.join(VARIANTS)}")
    for v in out:
        if v not in VARIANTS:
            raise UsageError(f"--variants: unknown variant {v!r}; choose from {', '.join(VARIANTS)}")
    return out


def _seeds(text: str) -> list[int]:
    try:
        out = list(dict.fromkeys(int(s) for s in text.split(",") if s.strip()))
    except ValueError:
        raise UsageError(f"--seeds: give comma-separated integers >= 0 (got {text!r})") from None
    if not out or min(out) < 0:
        raise UsageError(f"--seeds: give comma-separated integers >= 0 (got {text!r})")
    return out


def _old_runs(path: Path) -> list[dict]:
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise UsageError(f"--out: {path} exists but is not readable JSON ({e})") from None
    if not isinstance(data, dict) or data.get("study") != STUDY_ID:
        raise UsageError(f"--out: {path} holds something other than this script's runs; give a new file")
    return list(data.get("runs", []))


def parse(argv: Optional[list[str]]) -> argparse.Namespace:
    p = _Parser(description=__doc__.split("\n\n")[0])
    p.add_argument("--variants", default=",".join(DEFAULT_VARIANTS),
                   help=f"comma-separated, from {', '.join(VARIANTS)} (default: {','.join(DEFAULT_VARIANTS)})")
    p.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (default 0,1,2)")
    p.add_argument("--steps", type=int, default=None, help="iterations per run (default: the study's 25,000)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON file (default {DEFAULT_OUT.relative_to(ROOT)})")
    args = p.parse_args(argv)
    args.variants = _variants(args.variants)
    args.seeds = _seeds(args.seeds)
    if args.steps is not None and args.steps < 1:
        raise UsageError(f"--steps: must be an integer >= 1 (got {args.steps})")
    if not args.out.parent.is_dir():
        raise UsageError(f"--out: the folder {args.out.parent} does not exist")
    _old_runs(args.out)
    return args


def run_variant(variant: str, seed: int, steps: Optional[int] = None, study=None) -> dict:
    """One run of the VEEGAN study's GAN arm with `variant`'s changes, as a JSON-ready record."""
    from ganviz.core.data import distinct_modes, reference_ring
    from ganviz.core.studies import get_study, run_one

    study = get_study("veegan") if study is None else study
    init, gain, ring7 = VARIANTS[variant]
    steps = study.steps if steps is None else steps
    if ring7:
        train_data = reference_ring(8, 1.0, 0.01)
        r = run_one(study, study.arm("gan"), REFERENCE_RING, seed, steps, "cpu", mixture=train_data,
                    eval_mixture=distinct_modes(train_data), init=init, init_gain=gain)
    else:
        r = run_one(study, study.arm("gan"), RING, seed, steps, "cpu", init=init, init_gain=gain)
    rec = dataclasses.asdict(r)
    return {"variant": variant, "seed": seed, "steps": r.steps, "modes": r.modes, "hq": r.hq,
            "seconds": r.seconds, "rev_kl": rec["rev_kl"], "diverged": r.diverged,
            "arm": variant, "dataset": r.dataset,
            "modes_possible": 7 if ring7 else 8}


def _write(path: Path, runs: list[dict], meta: dict) -> None:
    from ganviz.export.writers import write_bytes_atomic

    order = {v: i for i, v in enumerate(VARIANTS)}
    runs = sorted(runs, key=lambda r: (order.get(r["variant"], len(order)), r["seed"]))
    write_bytes_atomic(path, json.dumps({**meta, "runs": runs}, indent=1) + "\n")


def main(argv: Optional[list[str]] = None) -> int:
    try:
        args = parse(argv)
    except UsageError as e:
        print(f"veegan_baseline: error: {e}", file=sys.stderr)
        return 2
    import torch

    from ganviz.core.studies import get_study

    torch.set_num_threads(1)
    study = get_study("veegan")
    meta = {"study": STUDY_ID,
            "name": "VEEGAN's GAN arm on the ring, with the unrolled-GAN reference code's initialisation and ring",
            "command": "OMP_NUM_THREADS=1 python scripts/veegan_baseline.py",
            "protocol": study.protocol, "variants": {v: DESCRIPTIONS[v] for v in VARIANTS},
            "device": "cpu", "torch": torch.__version__, "threads": torch.get_num_threads(),
            "samples": study.samples}
    runs = _old_runs(args.out)
    for variant in args.variants:
        for seed in args.seeds:
            rec = run_variant(variant, seed, args.steps, study)
            runs = [r for r in runs if (r["variant"], r["seed"]) != (variant, seed)] + [rec]
            _write(args.out, runs, meta)
            print(f"{variant:17s} seed {seed}: {rec['modes']:.0f} of {rec['modes_possible']} modes, "
                  f"{100 * rec['hq']:.1f} % high quality, {rec['steps']:,} iterations in {rec['seconds']:.1f} s"
                  + (" (diverged)" if rec["diverged"] else ""), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
