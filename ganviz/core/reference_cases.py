"""Cases whose divergences are known, on which the estimators are checked.

Each case pairs a data mixture with a generator that is itself a mixture, so both
densities are exact and the truth is a Monte-Carlo average of exact log-densities (or a
closed form for two 1D Gaussians). The test suite, `ganviz measure --reference` and the
README's accuracy table all read this list.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from ganviz.core.data import Mixture, preset


@dataclass(frozen=True)
class Case:
    id: str
    description: str
    data: Callable[[], Mixture]
    generator: Callable[[], Mixture]
    # p_g misses p_data mass: KL(p_data || p_g) is beyond what samples can see (a lower bound).
    misses_mass: bool = False
    closed_form: Optional[Callable[[], dict]] = None


def _scaled(m: Mixture, var: float) -> Mixture:
    return Mixture(m.means, m.covs * var, m.weights)


def _shifted(m: Mixture, shift) -> Mixture:
    return Mixture(m.means + np.asarray(shift, dtype=np.float64), m.covs, m.weights)


def _subset(m: Mixture, idx) -> Mixture:
    return Mixture(m.means[idx], m.covs[idx], m.weights[idx])


def _gauss(mu: float, sd: float) -> Mixture:
    return Mixture.isotropic([[mu]], sd)


def _kl_gauss(m1: float, s1: float, m2: float, s2: float) -> float:
    return math.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5


def _gauss_pair(m1: float, s1: float, m2: float, s2: float) -> Callable[[], dict]:
    return lambda: {"kl_data_g": _kl_gauss(m1, s1, m2, s2), "kl_g_data": _kl_gauss(m2, s2, m1, s1)}


CASES: tuple[Case, ...] = (
    Case("ring8-exact", "ring8, G = p_data", lambda: preset("ring8"), lambda: preset("ring8")),
    Case("ring8-wide", "ring8, modes 2.5x too wide", lambda: preset("ring8"),
         lambda: _scaled(preset("ring8"), 2.5**2)),
    Case("ring8-out", "ring8, every mode 0.1 (5 std) further out", lambda: preset("ring8"),
         lambda: Mixture(preset("ring8").means * 2.1 / 2.0, preset("ring8").covs, preset("ring8").weights),
         misses_mass=True),
    Case("ring8-half", "ring8, every other mode missing", lambda: preset("ring8"),
         lambda: _subset(preset("ring8"), slice(0, 8, 2)), misses_mass=True),
    Case("grid25-exact", "grid25, G = p_data", lambda: preset("grid25"), lambda: preset("grid25")),
    Case("grid25-wide", "grid25, modes 2x too wide", lambda: preset("grid25"),
         lambda: _scaled(preset("grid25"), 4.0)),
    Case("grid25-shift", "grid25, shifted by (0.1, 0.1)", lambda: preset("grid25"),
         lambda: _shifted(preset("grid25"), [0.1, 0.1]), misses_mass=True),
    Case("grid25-half", "grid25, 12 of 25 modes missing", lambda: preset("grid25"),
         lambda: _subset(preset("grid25"), slice(0, 13)), misses_mass=True),
    Case("1d-shift", "N(0, 1) against N(0.5, 1)", lambda: _gauss(0, 1), lambda: _gauss(0.5, 1),
         closed_form=_gauss_pair(0, 1, 0.5, 1)),
    Case("1d-wide", "N(0, 1) against N(0, 2^2)", lambda: _gauss(0, 1), lambda: _gauss(0, 2),
         closed_form=_gauss_pair(0, 1, 0, 2)),
    Case("1d-narrow", "N(0, 1) against N(0, 0.5^2)", lambda: _gauss(0, 1), lambda: _gauss(0, 0.5),
         misses_mass=True, closed_form=_gauss_pair(0, 1, 0, 0.5)),
    Case("bimodal1d-one", "bimodal1d against N(0, 2^2)", lambda: preset("bimodal1d"), lambda: _gauss(0, 2)),
)


def get_case(case_id: str) -> Case:
    for c in CASES:
        if c.id == case_id:
            return c
    raise KeyError(f"unknown reference case {case_id!r}; choose one of {', '.join(c.id for c in CASES)}")


def truth(case: Case, n: int = 400_000, seed: int = 0) -> dict[str, float]:
    """JS and both KLs by Monte Carlo on the exact densities (closed forms where there are some)."""
    pd, pg = case.data(), case.generator()
    rng = np.random.default_rng(seed)
    y, _ = pd.sample_numpy(n, rng)
    x, _ = pg.sample_numpy(n, rng)
    ly_d, ly_g = pd.log_density(y), pg.log_density(y)
    lx_d, lx_g = pd.log_density(x), pg.log_density(x)
    log2 = math.log(2.0)
    out = {
        "js": float(0.5 * np.mean(log2 + ly_d - np.logaddexp(ly_d, ly_g))
                    + 0.5 * np.mean(log2 + lx_g - np.logaddexp(lx_d, lx_g))),
        "kl_data_g": float(np.mean(ly_d - ly_g)),
        "kl_g_data": float(np.mean(lx_g - lx_d)),
    }
    if case.closed_form is not None:
        out.update(case.closed_form())
    return out


def within(estimate: float, true: float, rel: float = 0.05, abs_: float = 0.01) -> bool:
    """The accuracy the metrics promise: within 5 % relative or 0.01 absolute."""
    return abs(estimate - true) <= max(rel * abs(true), abs_)
