"""The numbers on the metric charts, from samples of p_g and the exact p_data, each with its error.

p_data is a Gaussian mixture known in closed form; p_g is known only through n samples
X_1..X_n. Every estimate here is consistent (it converges to the true value as n grows)
and carries a standard error; where the true value is infinite or the samples cannot
see it, the result says so instead of printing a number (`Estimate.kind`).

Divergences (JS, KL(p_data || p_g), KL(p_g || p_data)) need log(p_g / p_data) at the
samples of both sides. It comes from the k nearest G samples of each point (k = 20),
in one of two forms:

- density form: log p_g(x) ~ psi(k) - psi(n) - log(V_d r^d), with r the distance to the
  k-th nearest G sample (Kozachenko & Leonenko 1987; Wang, Kulkarni & Verdu 2009), and the
  exact log p_data(x). Its bias comes from p_g's curvature across the ball, and for
  Gaussian tails it is 0.03-0.06 nats at ring8/grid25 sizes even when p_g = p_data.
- mass form: log(p_g / p_data)(x) ~ psi(k) - psi(n) - log P_data(B(x, r)), with the exact
  p_data mass of the same ball. The p_g mass of a k-NN ball is Beta(k, n - k)
  distributed whatever p_g is, so this form is unbiased wherever p_g / p_data is constant
  across the ball (p_g = p_data, or a mode with twice its weight); it is biased where the
  ratio varies fast (a G much wider than narrow data components).

Each point takes the mass form with weight exp(-l^2 - s^2 / 0.2^2) and the density form
with the rest, where l is its mass-form log-ratio and s^2 how much more the mass-form
values at its k nearest G samples spread than their own noise: where the ratio is near 1
and flat the unbiased form, elsewhere the one that ignores p_data's curvature. Both are
consistent, so the blend is. JS is nonlinear in the log-ratio, whose k-NN noise
(variance psi'(k)) would bias it low by about psi'(k) / 8; a second-order correction
removes that. On the reference cases of
tests/core/test_estimators.py (ring8 and grid25 exact, too wide, shifted, half the modes
missing; pairs of 1D Gaussians) every estimate at n = 20,000 lies within 5 % or 0.01 of
the Monte-Carlo truth, except KL(p_data || p_g) where G misses mass (below).

KL(p_data || p_g) cannot be estimated where p_data has mass that no G sample comes near:
the k-NN log-density there is bounded by the sample's reach, not by p_g. The fraction of
p_data samples farther from every G sample than that sample's own k-NN radius is
reported as `missed`; above MISSED_LIMIT the KL is shown as a lower bound. Where p_g's
support is known to be bounded (a uniform prior through a continuous G) KL(p_data || p_g)
is infinite outright; where G's latent space has fewer dimensions than the data, p_g is
singular: JS = log 2 and both KLs are infinite (Arjovsky & Bottou 2017).

W1 is exact in 1D (the integral of |F_emp - F_data| against the mixture's exact CDF). In
2D it is the *sliced* W1: the mean over directions u of the 1D W1 between the projected G
samples and the exactly projected mixture; it is at most W1 and equals 2/pi |v| for a
shift by v, where W1 is |v|. Its value for a perfect G at the same n is `perfect_g_w1`.

D against D* (`d_gap`) is the root-mean-square of D - D* over (p_data + p_g) / 2, D* the
loss's own optimum from the same log-ratio, with that estimate's noise subtracted from
the mean square (an RMS can be de-noised exactly; a mean |D - D*| would read 0.03-0.05
for an optimal D).

Standard errors are batch means: the per-point terms are split into BATCHES blocks and
the spread of the block means gives the error of their mean (KL(p_data || p_g) adds the
variance its G samples bring, through the influence function 1 - p_data / p_g). At the
app's 20,000 samples they match the spread over independent draws within a factor of
1.8 (tests); with a few hundred samples per mode they come out up to 2x too small,
because the k-NN terms of neighbours are correlated. Mode counts and the high-quality
fraction follow VEEGAN / PacGAN on 2,500 samples; their error is the spread of the same
count over disjoint sets of 2,500.

numpy and scipy; no Qt, and no torch of its own.

Why one long module: every estimator shares the k-NN machinery, the batch-means standard
errors and the `Estimate` record; `ganviz measure --reference` checks them together against
Monte-Carlo truth (ganviz.core.reference_cases).
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import chndtr, digamma, erfcx, ndtr, polygamma

from ganviz.core.data import Mixture
from ganviz.core.metric_info import format_value
from ganviz.core.metrics import mode_coverage, reverse_kl_modes, w1_1d

K_NEIGHBOURS = 20
BATCHES = 10
# Above this fraction of p_data beyond every G sample's reach, KL(p_data || p_g) is a lower bound.
MISSED_LIMIT = 0.005
# Directions of the sliced W1 (evenly spaced on the half circle; the angular mean converges fast).
SLICES = 16
# Samples per mode-coverage set: the VEEGAN / PacGAN protocol.
MODE_SET = 2_500
# A ball whose p_data mass is below this is treated as small: mass = density x volume.
_TINY_MASS = 1e-250
# |log(p_g / p_data)| beyond which a point takes the density form without computing its ball's mass.
_MASS_REACH = 12.0
# How far the log-ratio may vary across a k-NN ball (its spread beyond the k-NN noise) before the
# mass form gives way to the density form.
_FLAT = 0.2
# Angles of the quadrature for the p_data mass of a disc under an anisotropic component.
_DISC_ANGLES = 32

ESTIMATE, LOWER_BOUND, EXACT = "estimate", "lower bound", "exact"


@dataclass(frozen=True)
class Estimate:
    """One number on screen: its value, its standard error, and what kind of number it is.

    kind: ESTIMATE (value ± se), LOWER_BOUND (the truth is at least value; why in `note`)
    or EXACT (known without sampling error, e.g. inf or log 2; why in `note`).
    """

    value: float
    se: float = math.nan
    kind: str = ESTIMATE
    note: str = ""

    @property
    def is_inf(self) -> bool:
        return math.isinf(self.value) and self.value > 0

    def text(self, digits: int = 3) -> str:
        """As the info panel and the CLI table print it: '0.123 ± 0.004', '≥ 4.85', 'inf', '–'."""
        return format_value(self.value, self.se, self.kind == LOWER_BOUND, self.kind == EXACT, digits)

    def json(self):
        """The value for JSON: a number, the string "inf", or None where undefined."""
        if math.isnan(self.value):
            return None
        return "inf" if self.is_inf else float(self.value)


NAN = Estimate(math.nan)


# -- what is known about p_g without sampling ---------------------------------------------
@dataclass(frozen=True)
class Support:
    """What the generator's form says about p_g, whatever its weights.

    singular: G maps a latent space of lower dimension than the data (p_g lives on a curve).
    bounded: G is continuous on a bounded latent space (a uniform prior), so p_g has bounded
    support while p_data, a Gaussian mixture, has mass everywhere.
    """

    singular: bool = False
    bounded: bool = False
    why: str = ""

    @classmethod
    def of_generator(cls, latent_dim: int, data_dim: int, prior: str) -> "Support":
        if latent_dim < data_dim:
            return cls(singular=True, bounded=prior == "uniform",
                       why=f"G maps a {latent_dim}D latent space into {data_dim}D: p_g lies on a curve")
        if prior == "uniform":
            return cls(bounded=True, why="G is continuous on the bounded latent box [-1, 1]^d: p_g has bounded support")
        return cls()


FULL = Support()


# -- p_data's side ---------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class DataReference:
    """A fixed sample of p_data with its exact log-density, the other side of every estimate."""

    mixture: Mixture
    y: np.ndarray           # (m, d)
    log_p: np.ndarray       # (m,) exact log p_data(y)

    @classmethod
    def draw(cls, mixture: Mixture, m: int, seed: int) -> "DataReference":
        y, _ = mixture.sample_numpy(m, np.random.default_rng(seed))
        return cls(mixture, y, mixture.log_density(y))


def _log_unit_ball(d: int) -> float:
    return math.log(2.0) if d == 1 else math.log(math.pi)


def log_ball_mass(mixture: Mixture, points: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """log P_data(B(x, r)) for each point x and radius r: the exact p_data mass of each ball.

    1D: the mixture's CDF at both ends. 2D, isotropic components: the non-central chi-square
    CDF (|Z + delta|^2 <= (r / sigma)^2). 2D, anisotropic: along each direction the radial
    integral of the Gaussian has a closed form, and the angle is integrated by the periodic
    trapezoid rule. Where the mass underflows (far from every component) it is the density
    times the ball's volume, the small-ball limit.
    """
    x = np.asarray(points, dtype=np.float64)
    r = np.asarray(radii, dtype=np.float64)
    d = mixture.dim
    if d == 1:
        sd = np.sqrt(mixture.covs[:, 0, 0])
        mu = mixture.means[:, 0]
        hi = ndtr((x[:, :1] + r[:, None] - mu) / sd)
        lo = ndtr((x[:, :1] - r[:, None] - mu) / sd)
        mass = ((hi - lo) * mixture.weights).sum(axis=1)
    elif _isotropic(mixture):
        sd = np.sqrt(mixture.covs[:, 0, 0])
        delta2 = (((x[:, None, :] - mixture.means[None]) / sd[None, :, None]) ** 2).sum(axis=-1)
        reach = r[:, None] / sd[None]
        # A component whose nearest point of the ball is 38 std away adds less than e^-722: zero in
        # double precision. Most point-component pairs are that far apart on ring8 and grid25.
        near = np.sqrt(delta2) - reach < 38.0
        per = np.zeros_like(delta2)
        per[near] = chndtr(reach[near] ** 2, 2, delta2[near])
        mass = (per * mixture.weights).sum(axis=1)
    else:
        mass = _disc_mass_anisotropic(mixture, x, r)
    with np.errstate(divide="ignore"):
        out = np.log(mass)
    small = ~(mass > _TINY_MASS)
    if small.any():
        out[small] = mixture.log_density(x[small]) + _log_unit_ball(d) + d * np.log(np.maximum(r[small], 1e-300))
    return out


def _isotropic(mixture: Mixture) -> bool:
    c = mixture.covs
    return bool(np.allclose(c, c[:, :1, :1] * np.eye(mixture.dim)[None], rtol=1e-12, atol=0.0))


_SHORT_RAY = 0.1
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(10)


def _disc_mass_anisotropic(mixture: Mixture, x: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Mass of each 2D Gaussian component in discs B(x, r), by angle quadrature of a closed-form radial integral.

    Along u = (cos t, sin t): N(x + s u) = N(x) exp(-a s^2 / 2 - b s), a = u'P u, b = u'P(x - mu),
    P the precision. The integral of s N(x + s u) over s in [0, r] is done in closed form with
    erf, written around the ray's closest point to mu so that nothing overflows.
    """
    angles = 2 * np.pi * np.arange(_DISC_ANGLES) / _DISC_ANGLES
    u = np.stack([np.cos(angles), np.sin(angles)], axis=1)           # (A, 2)
    total = np.zeros(len(x))
    for k in range(mixture.n_components):
        prec, mu, w = mixture._prec[k], mixture.means[k], mixture.weights[k]
        diff = x - mu                                                 # (n, 2)
        a = np.einsum("ai,ij,aj->a", u, prec, u)[None, :]             # (1, A)
        b = (diff @ prec) @ u.T                                       # (n, A)
        c = np.sqrt(0.5 * a)
        t0 = b / (2 * c)
        t1 = c * r[:, None] + t0
        maha = np.einsum("ni,ij,nj->n", diff, prec, diff)
        log_n = (-0.5 * (maha + mixture._logdet[k] + 2 * math.log(2 * math.pi)))[:, None]
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            # a * integral / N(x) = e^{t0^2} [e^{-t0^2} - e^{-t1^2} - t0 sqrt(pi) (erf t1 - erf t0)].
            # Heading away from mu (t0 >= 0) the bracket cancels: use erfcx, which keeps it exact.
            e = np.exp(t0**2 - t1**2)
            away = (1.0 - e - t0 * math.sqrt(math.pi) * (erfcx(t0) - erfcx(t1) * e)) / a
            towards = (np.exp(-t0**2) - np.exp(-t1**2) - t0 * math.sqrt(math.pi) * (_erf(t1) - _erf(t0))) / a
            # Heading towards mu but stopping short of the closest point (t1 < 0), the erf terms
            # both sit near -1 and cancel: the same bracket in T = -t with erfcx stays exact.
            short_of = (1.0 - e - t0 * math.sqrt(math.pi) * (erfcx(-t1) * e - erfcx(-t0))) / a
            per_angle = np.where(t0 >= 0, np.exp(log_n) * away,
                                 np.where(t1 <= 0, np.exp(log_n) * short_of, np.exp(log_n + t0**2) * towards))
            # Both brackets equal 2 * int_0^h s exp(-s^2 - 2 t0 s) ds, h = c r, and both cancel to
            # nothing when h is small: there, integrate that form directly (Gauss-Legendre, exact
            # to ~1e-12 because the exponent varies by at most 2 |t0| h + h^2 over [0, h]).
            short = (t1 - t0) < _SHORT_RAY
            if short.any():
                h = (t1 - t0)[short][:, None]
                s = 0.5 * h * (1.0 + _GL_NODES)[None, :]
                bracket = (h * (_GL_WEIGHTS[None, :] * s * np.exp(-s**2 - 2 * t0[short][:, None] * s))).sum(axis=1)
                per_angle[short] = np.exp(np.broadcast_to(log_n, short.shape)[short]) * bracket / np.broadcast_to(a, short.shape)[short]
        per_angle = np.maximum(np.nan_to_num(per_angle, nan=0.0, posinf=0.0), 0.0)
        # The angle rule errs by ~1e-5 where the disc holds the whole component: no mass beyond 1.
        total += w * np.minimum(per_angle.mean(axis=1) * 2 * np.pi, 1.0)
    return total


def _erf(t: np.ndarray) -> np.ndarray:
    return 2.0 * ndtr(t * math.sqrt(2.0)) - 1.0


# -- the k-NN log-ratio at both sample sets ------------------------------------------------------
@dataclass(frozen=True, eq=False)
class LogRatio:
    """log(p_g / p_data) at the G samples (leave-one-out) and at the p_data samples, and the reach.

    at_g: (n,) with +inf where G puts an atom (k + 1 coinciding samples).
    at_data: (m,).
    missed: (m,) bool, p_data samples farther from every G sample than that sample's k-NN radius.
    """

    at_g: np.ndarray
    at_data: np.ndarray
    missed: np.ndarray
    k: int


def _forms(mixture: Mixture, points: np.ndarray, c0: float, r: np.ndarray, log_pd: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """Each point's log-ratio in the density form and in the mass form (see the module notes)."""
    d = mixture.dim
    density_form = c0 - _log_unit_ball(d) - d * np.log(r) - log_pd
    mass_form = density_form.copy()
    # Where the density form puts p_g / p_data beyond e^+-MASS_REACH, the ratio changes by orders of
    # magnitude across the ball and the mass form would get no weight: skip its (costly) ball masses.
    near = np.abs(density_form) < _MASS_REACH
    if near.any():
        mass_form[near] = c0 - log_ball_mass(mixture, points[near], r[near])
    return density_form, mass_form


def _blend(density_form: np.ndarray, mass_form: np.ndarray, neighbour_mass: np.ndarray, k: int) -> np.ndarray:
    """The mass form where the ratio is near 1 and flat across the ball, the density form elsewhere.

    Flat: the mass-form values at the point's k nearest G samples spread no more than their own
    noise (variance psi'(k)); a ratio that climbs across the ball (a G wider than narrow data
    components, near where the two cross) spreads them, and there the mass form is biased.
    """
    spread = np.maximum(neighbour_mass.var(axis=1) - float(polygamma(1, k)), 0.0)
    w = np.exp(-np.minimum(mass_form**2 + spread / _FLAT**2, 700.0))
    return w * mass_form + (1.0 - w) * density_form


def log_ratio(x: np.ndarray, ref: DataReference, k: int = K_NEIGHBOURS) -> LogRatio:
    """log(p_g / p_data) at both sample sets from the k nearest G samples (see the module notes)."""
    n, d = x.shape
    if n <= k + 1:
        raise ValueError(f"samples: need more than {k + 1} samples for a k-NN estimate (got {n})")
    tree = cKDTree(x)
    rx, ix = tree.query(x, k + 1, workers=1)
    rho = rx[:, k]
    ry, iy = tree.query(ref.y, k, workers=1)
    nu = np.maximum(ry[:, k - 1], 1e-300)    # a data point on an atom of G: p_g is huge there, not infinite
    atoms = rho <= 0.0
    safe_rho = np.where(atoms, 1.0, rho)
    dens_g, mass_g = _forms(ref.mixture, x, digamma(k) - digamma(n), safe_rho, ref.mixture.log_density(x))
    dens_d, mass_d = _forms(ref.mixture, ref.y, digamma(k) - digamma(n + 1), nu, ref.log_p)
    at_g = _blend(dens_g, mass_g, mass_g[ix[:, 1:]], k)
    at_g[atoms] = np.inf
    at_data = _blend(dens_d, mass_d, mass_g[iy], k)
    missed = ry[:, 0] > rho[iy[:, 0]]
    return LogRatio(at_g, at_data, missed, k)


def _batch_se(terms: np.ndarray) -> float:
    """Standard error of mean(terms) by batch means over BATCHES contiguous blocks."""
    t = np.asarray(terms, dtype=np.float64)
    b = min(BATCHES, t.size)
    if b < 2 or not np.all(np.isfinite(t)):
        return math.nan
    blocks = np.array([blk.mean() for blk in np.array_split(t, b)])
    return float(blocks.std(ddof=1) / math.sqrt(b))


def _sigmoid(t: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * t))


def divergences(lr: LogRatio, support: Support = FULL) -> dict[str, Estimate]:
    """JS, KL(p_data || p_g), KL(p_g || p_data) and the missed p_data mass, as Estimates."""
    log2 = math.log(2.0)
    with np.errstate(over="ignore"):
        js_g = log2 - np.logaddexp(0.0, -lr.at_g)
        js_d = log2 - np.logaddexp(0.0, lr.at_data)
        # Second-order correction for the k-NN noise in the log-ratio (variance psi'(k)).
        noise = 0.5 * float(polygamma(1, lr.k))
        sg, sd = _sigmoid(lr.at_g), _sigmoid(lr.at_data)
        js_g = js_g + noise * sg * (1 - sg)
        js_d = js_d + noise * sd * (1 - sd)
    js = Estimate(float(0.5 * js_g.mean() + 0.5 * js_d.mean()),
                  math.sqrt(0.25 * _batch_se(js_g) ** 2 + 0.25 * _batch_se(js_d) ** 2))
    atoms = np.isinf(lr.at_g)
    if atoms.any():
        kl_gd = Estimate(math.inf, kind=EXACT,
                         note=f"G puts {atoms.mean():.1%} of its samples on single points: p_g has atoms")
    else:
        kl_gd = Estimate(float(lr.at_g.mean()), _batch_se(lr.at_g))
    missed_frac = float(lr.missed.mean())
    missed = Estimate(missed_frac, math.sqrt(max(missed_frac * (1 - missed_frac), 0.0) / lr.missed.size))
    # KL(p_data || p_g) reads p_g through G's samples too: the influence of one G sample x on
    # -E_data[log p_g] is 1 - p_data(x) / p_g(x), so its variance adds to that of the data-side terms.
    with np.errstate(over="ignore"):
        inverse_ratio = np.exp(np.minimum(-lr.at_g, 700.0))
    kl_dg = Estimate(float(-lr.at_data.mean()),
                     math.sqrt(_batch_se(lr.at_data) ** 2 + _batch_se(inverse_ratio) ** 2))
    if missed_frac > MISSED_LIMIT:
        kl_dg = Estimate(kl_dg.value, kl_dg.se, LOWER_BOUND,
                         f"{missed_frac:.1%} of p_data lies beyond every G sample's reach; the truth may be "
                         f"far larger or infinite")
    if support.bounded or support.singular:
        kl_dg = Estimate(math.inf, kind=EXACT, note=support.why + f"; {missed_frac:.1%} of p_data lies beyond "
                                                                  f"G's samples")
    if support.singular:
        js = Estimate(log2, kind=EXACT, note=support.why + ": disjoint from p_data almost everywhere")
        kl_gd = Estimate(math.inf, kind=EXACT, note=support.why)
    return {"js": js, "kl_data_g": kl_dg, "kl_g_data": kl_gd, "missed": missed}


# -- D against its optimum ---------------------------------------------------------------------
def d_gap(lr: LogRatio, d_at_g: np.ndarray, d_at_data: np.ndarray,
          optimum: Callable[[np.ndarray, np.ndarray], np.ndarray], smooth_optimum: bool = True) -> Estimate:
    """Root-mean-square of D(x) - D*(x) over (p_data + p_g) / 2, D and D* in the loss's display units.

    optimum(p_data, p_g) gives D* from the two densities up to a common factor (the loss's
    `optimal_d` with its smoothing); they are passed as exp of the log-ratio's two sides,
    scaled so that the larger is 1, so nothing underflows far from the data.

    D* comes from the k-NN log-ratio l, whose noise (variance psi'(k) per point) would make even
    an optimal D read about 0.03-0.05: for a smooth optimum (smooth_optimum, the sigmoid-type
    c / (1 + e^l)) the mean square subtracts each point's noise variance, (dD*/dl)^2 psi'(k),
    which makes it unbiased; the hinge critic's sign(p_data - p_g) jumps, and keeps that floor.
    """
    def star(l: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):
            pg = np.exp(np.minimum(l, 0.0))
            pd = np.exp(np.minimum(-l, 0.0))
        return np.asarray(optimum(pd, pg), dtype=np.float64)

    var_l = float(polygamma(1, lr.k))
    terms = []
    for d, l in ((d_at_g, lr.at_g), (d_at_data, lr.at_data)):
        ds = star(l)
        sq = (np.asarray(d, dtype=np.float64) - ds) ** 2
        if smooth_optimum:
            # D* = c sigma(-l): dD*/dl = -D* (1 - D*/c) with c = D*'s value where p_g -> 0.
            c = float(np.asarray(optimum(np.ones(1), np.zeros(1)), dtype=np.float64)[0])
            slope = ds * (1.0 - ds / c) if c > 0 else np.zeros_like(ds)
            sq = sq - var_l * slope**2
        terms.append(sq)
    if not all(np.all(np.isfinite(t)) for t in terms):
        return NAN
    mean_sq = 0.5 * terms[0].mean() + 0.5 * terms[1].mean()
    se_sq = math.sqrt(0.25 * _batch_se(terms[0]) ** 2 + 0.25 * _batch_se(terms[1]) ** 2)
    rms = math.sqrt(max(mean_sq, 0.0))
    # The delta method for the square root, kept finite where the mean square is near 0.
    se = se_sq / (2.0 * max(rms, math.sqrt(se_sq))) if se_sq > 0 else 0.0
    return Estimate(rms, se)


# -- Wasserstein-1 -----------------------------------------------------------------------------------
# Points of the table from which the projected mixture's quantiles are interpolated, per direction.
_QUANTILE_TABLE = 20_001


@dataclass(frozen=True, eq=False)
class _Projections:
    """The mixture projected on SLICES directions: a table of each projection's exact CDF."""

    u: np.ndarray        # (P, 2) unit directions
    t: np.ndarray        # (P, T) increasing points
    cdf: np.ndarray      # (P, T) the projected mixture's CDF there

    def quantiles(self, levels: np.ndarray) -> np.ndarray:
        """(P, L) quantiles of each projection at the given levels in (0, 1)."""
        return np.stack([np.interp(levels, c, t) for c, t in zip(self.cdf, self.t)])


def _by_value(fn):
    """Cache fn(mixture, *args) by the mixture's numbers, not its identity.

    A Mixture hashes by identity, and callers build equal ones anew (a conditional GAN's class
    mixture, each time it is asked for): keyed on the object, the cache would miss every time.
    """
    cache: dict = {}
    lock = threading.Lock()      # the evaluation pool calls in from several threads

    def wrapper(mixture: Mixture, *args):
        key = (_mixture_key(mixture),) + args
        with lock:
            if key in cache:
                return cache[key]
        value = fn(mixture, *args)
        with lock:
            if len(cache) >= 32:
                cache.pop(next(iter(cache)))
            cache[key] = value
        return value

    return wrapper


@_by_value
def _projections(mixture: Mixture) -> _Projections:
    angles = np.pi * (np.arange(SLICES) + 0.5) / SLICES
    u = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    means = u @ mixture.means.T                                          # (P, K)
    sds = np.sqrt(np.einsum("pi,kij,pj->pk", u, mixture.covs, u))        # (P, K)
    lo = (means - 9 * sds).min(axis=1)
    hi = (means + 9 * sds).max(axis=1)
    t = lo[:, None] + (hi - lo)[:, None] * np.linspace(0.0, 1.0, _QUANTILE_TABLE)[None]
    cdf = np.zeros_like(t)
    for k in range(mixture.n_components):
        cdf += mixture.weights[k] * ndtr((t - means[:, k:k + 1]) / sds[:, k:k + 1])
    return _Projections(u, t, np.maximum.accumulate(cdf, axis=1))


def _mixture_key(mixture: Mixture) -> bytes:
    return np.concatenate([mixture.means.ravel(), mixture.covs.ravel(), mixture.weights]).tobytes()


def _sliced_w1_rows(proj: np.ndarray, table: _Projections) -> np.ndarray:
    """Per direction, W1 between the projected samples (P, n) and the projected mixture.

    The quantile form: the mean over i of |x_(i) - Q((i - 1/2) / n)|, Q the exact quantile
    function of the projection (interpolated from a 20,001-point table of its CDF).
    """
    xs = np.sort(proj, axis=1)
    n = xs.shape[1]
    q = table.quantiles((np.arange(n) + 0.5) / n)
    return np.abs(xs - q).mean(axis=1)


def w1(x: np.ndarray, mixture: Mixture) -> Estimate:
    """W1 in 1D (exact against the mixture's CDF) or sliced W1 in 2D, with a batch-means error."""
    blocks = np.array_split(np.arange(x.shape[0]), BATCHES)
    if mixture.dim == 1:
        value = w1_1d(x[:, 0], mixture)
        per_block = np.array([w1_1d(x[b, 0], mixture) for b in blocks])
    else:
        table = _projections(mixture)
        proj = table.u @ x.T                                       # (P, n)
        value = float(_sliced_w1_rows(proj, table).mean())
        per_block = np.array([_sliced_w1_rows(proj[:, b], table).mean() for b in blocks])
    # A block of n / B samples fluctuates sqrt(B) times more than all n together.
    return Estimate(value, float(per_block.std(ddof=1) / math.sqrt(BATCHES)))


@_by_value
def perfect_g_w1(mixture: Mixture, n: int) -> float:
    """What `w1` reads for n samples of p_data itself: its floor from sampling alone."""
    x, _ = mixture.sample_numpy(n, np.random.default_rng(20261130))
    return w1(x, mixture).value


# -- modes ----------------------------------------------------------------------------------------
def mode_stats(x: np.ndarray, mixture: Mixture) -> tuple[dict[str, Estimate], np.ndarray]:
    """Modes captured, high-quality fraction and reverse KL over modes on the first 2,500 samples.

    Each value is the protocol's (one set of MODE_SET samples); its error is the standard
    deviation of the same statistic over the other disjoint sets of MODE_SET in x. Returns
    the Estimates and the first set's per-mode counts.
    """
    sets = max(1, x.shape[0] // MODE_SET)
    rows = []
    counts0 = None
    for s in range(sets):
        cov = mode_coverage(x[s * MODE_SET:(s + 1) * MODE_SET], mixture)
        rows.append((cov.modes_captured, cov.hq_frac, reverse_kl_modes(cov.counts, mixture.weights)))
        if counts0 is None:
            counts0 = cov.counts
    arr = np.asarray(rows, dtype=np.float64)

    def est(j: int) -> Estimate:
        col = arr[:, j]
        ok = col[np.isfinite(col)]
        se = float(ok.std(ddof=1)) if ok.size >= 2 else math.nan
        return Estimate(float(col[0]), se)

    return {"modes": est(0), "hq_frac": est(1), "rkl_modes": est(2)}, counts0


# -- everything at once ------------------------------------------------------------------------
@dataclass
class Measurement:
    """Every metric of one sample set: Estimates by name, the per-mode counts, the log-ratio."""

    values: dict[str, Estimate] = field(default_factory=dict)
    mode_counts: Optional[np.ndarray] = None
    log_ratio: Optional[LogRatio] = None


def measure(x: np.ndarray, ref: DataReference, support: Support = FULL, divergences_too: bool = True) -> Measurement:
    """JS, both KLs, the missed mass, W1 (sliced in 2D), modes, HQ and reverse KL over modes.

    x: (n, d) samples of p_g, all finite. The one path behind the app's charts, `ganviz run`,
    `compare`, `export` and `ganviz measure`. divergences_too=False: the mode statistics only
    (milliseconds, where the k-NN estimates and W1 take a few hundred).
    """
    x = np.asarray(x, dtype=np.float64)
    mix = ref.mixture
    if x.ndim != 2 or x.shape[1] != mix.dim:
        raise ValueError(f"samples: expected shape (n, {mix.dim}) for {mix.dim}D data (got {x.shape})")
    if not np.all(np.isfinite(x)):
        raise ValueError("samples: contain NaN or infinite values")
    modes, counts = mode_stats(x, mix)
    if not divergences_too:
        return Measurement(dict(modes), counts, None)
    lr = log_ratio(x, ref)
    out = divergences(lr, support)
    out["w1"] = w1(x, mix)
    out.update(modes)
    return Measurement(out, counts, lr)
