"""What each integrator does near a game's equilibrium (the spectral radius of its linearised
one-step map, and a verdict in words), and what a run measurably did (a fitted rate, a cycle,
a stall, a blow-up); `disagreement` says where the two differ."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np
import scipy.linalg

from ganviz.core.game_fields import DIVERGED_AT, DiracGAN, Game
from ganviz.core.integrators import INTEGRATORS, Hyper

# -- verdicts: the linearised one-step map of each method, and what a run measurably did ------------

# rho within this of 1 counts as 1. An eigenvalue of a Jordan block (the LSGAN's line of rest points,
# alternating GDA at eta = 2 / f'(0)) is computed only to ~sqrt(machine epsilon) ~ 1e-8; the smallest
# rho the lab can show, simultaneous GDA at eta = 0.001 on the bilinear game, is 1 + 5e-7.
RHO_TOL = 1e-7

# rho < 1, rho = 1, rho > 1, and no rho where v jumps at the equilibrium. "circles" covers an eigenvalue 1
# too (the LSGAN's): the linear terms neither pull in nor push out, and the verdict's text says which.
VERDICTS = ("converges", "circles", "diverges", "undecided")


def _half_steps(jac: np.ndarray, h: Hyper) -> tuple[np.ndarray, np.ndarray]:
    """The linearised y (discriminator) and x (generator) half-steps of the alternating methods."""
    ay, ax = np.eye(2), np.eye(2)
    ay[1] += h.lr * jac[1]
    ax[0] += h.lr * jac[0]
    return ay, ax


def step_matrix(jac, method: str, h: Hyper) -> np.ndarray:
    """The one-step map of `method` linearised at a rest point where v has the Jacobian `jac`.

    On the state the method carries: (x, y) for most, (p_t, p_{t-1}) for optimistic GD and
    (x, y, m_x, m_y) for momentum. For the flow it is exp(eta J), the flow over one sample.
    """
    jac = np.asarray(jac, dtype=np.float64).reshape(2, 2)
    eye, eta = np.eye(2), h.lr
    if method == "flow":
        return scipy.linalg.expm(eta * jac)
    if method == "sim_gda":
        return eye + eta * jac
    if method == "alt_gda":
        ay, ax = _half_steps(jac, h)
        return ax @ np.linalg.matrix_power(ay, h.k)
    if method == "extragradient":
        # p + eta J (p + eta J p)
        return eye + eta * jac + eta**2 * jac @ jac
    if method == "optimistic":
        return np.block([[eye + 2 * eta * jac, -eta * jac], [eye, np.zeros((2, 2))]])
    if method == "consensus":
        # d(J(p)^T v(p))/dp = sum_i v_i d(row i of J)/dp + J^T J, and v = 0 at a rest point.
        return eye + eta * (jac - h.gamma * jac.T @ jac)
    if method == "momentum":
        # state (x, y, m_x, m_y); each half-step updates a momentum, then moves its player by it
        def half(i: int) -> np.ndarray:
            m = np.eye(4)
            m[2 + i] = 0.0
            m[2 + i, 2 + i] = h.beta
            m[2 + i, :2] = eta * jac[i]
            move = np.eye(4)
            move[i, 2 + i] = 1.0
            return move @ m
        return half(0) @ np.linalg.matrix_power(half(1), h.k)
    raise ValueError(f"unknown method {method!r}; choose one of {', '.join(INTEGRATORS)}")


def linear_map(game: Game, method: str, h: Hyper) -> np.ndarray:
    """`step_matrix` at the game's equilibrium (only one-sided where v jumps there)."""
    jac = game.jacobian(game.equilibrium) if game.smooth_at_equilibrium else \
        game.jacobian(game.equilibrium + [0.0, 1e-12])
    return step_matrix(jac, method, h)


def spectral_radius(game: Game, method: str, h: Hyper) -> float:
    """The largest |eigenvalue| of the method's linearised one-step map at the equilibrium."""
    if method == "flow":
        # exact where the matrix exponential's eigenvalues would carry its rounding
        return math.exp(h.lr * float(game.eigenvalues().real.max()))
    return float(np.abs(np.linalg.eigvals(linear_map(game, method, h))).max())


def format_rho(rho: float) -> str:
    """rho with as many digits as it takes to tell it from 1 when it is not 1."""
    if abs(rho - 1.0) <= RHO_TOL:
        return "1"
    return _factor_text(rho)


def _factor_text(q: float) -> str:
    text = f"{q:.4f}"
    if float(text) == 1.0:
        return f"1 {'+' if q > 1 else '−'} {abs(q - 1.0):.1e}"
    return text


@dataclass(frozen=True)
class Verdict:
    """What the linearisation at the equilibrium says about one method with its hyper-parameters."""

    method: str
    rho: Optional[float]    # None where v is not differentiable at the equilibrium
    verdict: str            # one of VERDICTS
    text: str               # the verdict as a sentence about the equilibrium, not about a run
    note: str               # what the nonlinear terms do here, where theory knows; else ""

    def to_dict(self) -> dict:
        return {"rho": self.rho, "verdict": self.verdict, "verdict_text": self.text, "note": self.note}


def _nonlinear_note(game: Game, method: str, h: Hyper, verdict: str, rho: float) -> str:
    """The non-saturating Dirac-GAN's fourth-order term, for the methods where theory says what it does."""
    if not (isinstance(game, DiracGAN) and game.loss.id == "ns" and game.reg.id == "none"):
        return ""
    # d|p|^2/dt = -2 t tanh(t/2) ~ -t^2 with t = psi theta: on average -|p|^4 / 8 per unit time, which
    # integrates to |p|^2 ~ 8 / time, and time is eta per step
    if verdict == "circles" and method in ("flow", "alt_gda"):
        return ("the NS loss's 4th-order term, d|p|²/dt = −2ψθ·tanh(ψθ/2), tightens the circles: "
                f"|p| ≈ √(8/(ηt)), sublinearly ({math.sqrt(8 / (h.lr * 1000)):.2g} at t = 1,000)")
    if verdict == "diverges" and method == "sim_gda":
        # the push out, |p|^2 (rho^2 - 1) per step, balances the pull in, eta |p|^4 / 8 per step
        radius = math.sqrt(8 * (rho**2 - 1) / h.lr)
        return ("pushed out ×ρ per step, pulled in by the NS loss's 4th-order term: "
                f"a cycle of radius ≈ √(2η) = {radius:.2g} (small η)")
    return ""


def verdict(game: Game, method: str, h: Hyper) -> Verdict:
    """The spectral radius of `method`'s linearised one-step map and what it says (see `VERDICTS`).

    The verdict is about the equilibrium: a run that starts far from it can do otherwise, and
    where rho = 1 (or v is not smooth there) the nonlinear terms decide; `measure` says what a run did.
    """
    if not game.smooth_at_equilibrium:
        return Verdict(method, None, "undecided",
                       "no ρ: the field jumps at the equilibrium, so no linearisation decides", "")
    rho = spectral_radius(game, method, h)
    if rho < 1.0 - RHO_TOL:
        v, text = "converges", f"ρ = {format_rho(rho)} < 1: converges near the equilibrium"
    elif rho > 1.0 + RHO_TOL:
        v, text = "diverges", f"ρ = {format_rho(rho)} > 1: diverges near the equilibrium, which repels"
    else:
        ev = np.exp(h.lr * game.eigenvalues()) if method == "flow" else np.linalg.eigvals(linear_map(game, method, h))
        unit = ev[np.abs(np.abs(ev) - 1.0) <= RHO_TOL]
        turning = bool(np.any(np.abs(unit.imag) > RHO_TOL) or np.any(unit.real < 0))
        v = "circles"
        text = ("ρ = 1: circles near the equilibrium; the nonlinear terms decide" if turning else
                "ρ = 1, an eigenvalue 1 (along it the linear terms do not move p): the nonlinear terms decide")
    return Verdict(method, rho, v, text, _nonlinear_note(game, method, h, v, rho))


# A run shorter than this says nothing about where it is heading.
MEASURE_MIN_STEPS = 20
# |p| changing by less than this fraction over the later half of a run is no trend.
STEADY_CHANGE = 0.03
# ... and by less than this fraction too little to tell a linear rate from a power law.
MODEL_CHANGE = 0.25
# Closer than this a run has reached the equilibrium: rounding (the instance-noise quadrature's above
# all) moves the computed field's rest point by ~1e-17, and below that |p| is noise, not a trend.
AT_EQUILIBRIUM = 1e-12


@dataclass(frozen=True)
class Measured:
    """What a run did, read off its iterates over the later half of the run."""

    kind: str                  # converges shrinks cycle rests steady unclear grows diverges too_short stays
    text: str                  # what it did over iterations first ... last
    first: int
    last: int
    factor: Optional[float]    # fitted change of |p| per step (kind converges or grows, linear rate)
    exponent: Optional[float]  # fitted b in |p| ~ t^b (kind shrinks or grows, a power law)
    radius: Optional[float]    # typical |p| at the end (cycle, rests, steady)

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("kind", "text", "first", "last", "factor", "exponent", "radius")}


def _fit(cols: list[np.ndarray], logd: np.ndarray) -> tuple[float, float]:
    """Least squares of log|p| on cols; returns (coefficient of cols[1], residual sum of squares)."""
    a = np.stack(cols, -1)
    coef, *_ = np.linalg.lstsq(a, logd, rcond=None)
    return float(coef[1]), float(np.sum((a @ coef - logd) ** 2))


def _steps_text(n: float) -> str:
    return f"{n:,.0f}" if n >= 10 else f"{n:.2g}"


def measure(points, equilibrium=(0.0, 0.0), diverged: bool = False) -> Measured:
    """Describe a run from its iterates: converges linearly, shrinks like a power of t, settles on a
    cycle, comes to rest elsewhere, grows or diverges.

    The later half of the run is fitted twice, log|p| against t (a linear rate) and against log t (a
    power law), and the better fit wins. A trajectory that turns around the equilibrium has |p|
    wobble with its angle phi (an elliptic orbit); regressing on cos/sin of phi and 2 phi as well
    takes that wobble out of the trend.
    """
    rel = np.asarray(points, dtype=np.float64).reshape(-1, 2) - np.asarray(equilibrium, dtype=np.float64)
    d = np.hypot(rel[:, 0], rel[:, 1])
    n = len(d) - 1

    def out(kind, text, first=0, last=n, factor=None, exponent=None, radius=None) -> Measured:
        return Measured(kind, text, int(first), int(last), factor, exponent, radius)

    if diverged:
        return out("diverges", f"diverges: |p| passed {DIVERGED_AT:g} at step {n + 1:,}")
    if n < MEASURE_MIN_STEPS:
        return out("too_short", f"too few steps ({n}) to tell where it is heading")
    near = d < AT_EQUILIBRIUM
    if near.all():
        return out("stays", "stays at the equilibrium")
    # the first step from which the run stays at the equilibrium, if it gets there
    end = n + 1
    while end > 1 and near[end - 1]:
        end -= 1
    reached = end <= n
    if reached and end <= MEASURE_MIN_STEPS:
        return out("converges", f"reaches the equilibrium (|p| < {AT_EQUILIBRIUM:g}) at step {end:,}", 0, end)
    lo = max(1, end // 2)
    t = np.arange(lo, end, dtype=np.float64)
    seg = rel[lo:end]
    keep = d[lo:end] >= AT_EQUILIBRIUM
    phi = np.unwrap(np.arctan2(seg[:, 1], seg[:, 0]))
    turns = abs(phi[-1] - phi[0]) / (2 * math.pi)
    logd = np.log(np.where(keep, d[lo:end], 1.0))
    # over less than a turn the harmonics of phi are nearly collinear with the trend
    harm = [f(m * phi) for m in (1, 2) for f in (np.cos, np.sin)] if turns >= 1 else []
    ones = np.ones_like(t)
    b_lin, rss_lin = _fit([c[keep] for c in [ones, t - t[0], *harm]], logd[keep])
    b_pow, rss_pow = _fit([c[keep] for c in [ones, np.log(t), *harm]], logd[keep])
    linear = rss_lin <= rss_pow
    change = b_lin * (t[-1] - t[0]) if linear else b_pow * math.log(t[-1] / t[0])
    # the last turn, or the last quarter of the half read where it turns less than once
    tail = d[max(lo, end - max(2, int((end - lo) / turns) if turns >= 1 else (end - lo) // 4)):end]
    radius = float(np.mean(tail))
    if reached:
        return out("converges", f"converges: |p| < {AT_EQUILIBRIUM:g} from step {end:,} "
                   f"(×{_factor_text(math.exp(b_lin))} per step before)", lo, end - 1, factor=math.exp(b_lin))
    # A fit finds some trend in any irregular orbit (the WGAN-GP penalty's jumps across psi = 0): it is
    # one only if it exceeds the scatter about the fit, and the raw means of the two halves agree.
    kept = logd[keep]
    half = len(kept) // 2
    raw = float(np.mean(kept[half:]) - np.mean(kept[:half]))
    scatter = math.sqrt(min(rss_lin, rss_pow) / len(kept))
    if abs(change) < max(math.log1p(STEADY_CHANGE), scatter) or raw * change <= 0:
        step = np.hypot(*np.diff(rel[lo:end], axis=0).T)
        k = max(1, len(step) // 10)
        late, early = float(np.mean(step[-k:])), float(np.mean(step[:k]))
        x, y = np.asarray(points, dtype=np.float64).reshape(-1, 2)[end - 1]
        if late < 1e-6 * radius or (turns < 1 and late < 0.1 * early):
            return out("rests", f"stalls at ({x:.3g}, {y:.3g}), |p| = {radius:.3g} from the equilibrium",
                       lo, end - 1, radius=radius)
        if turns >= 1:
            lo_r, hi_r = float(tail.min()), float(tail.max())
            size = f"|p| ≈ {radius:.3g}" if hi_r - lo_r < 0.1 * radius else f"|p| from {lo_r:.3g} to {hi_r:.3g}"
            how = "irregularly" if hi_r > 1.5 * lo_r else "on a cycle"
            return out("cycle", f"circles the equilibrium {how}, {size} ({turns:.1f} turns)",
                       lo, end - 1, radius=radius)
        seg_d = d[lo:end]
        if seg_d.max() > 1.5 * seg_d.min():
            return out("steady", f"|p| swings between {seg_d.min():.3g} and {seg_d.max():.3g} without a trend "
                       "(less than a turn around the equilibrium)", lo, end - 1, radius=radius)
        return out("steady", f"keeps |p| ≈ {radius:.3g} (less than a turn around the equilibrium)",
                   lo, end - 1, radius=radius)
    seg_d = d[lo:end]
    if 0.1 <= turns < 1 and abs(seg_d[-1] - seg_d[0]) < 0.8 * (seg_d.max() - seg_d.min()):
        # an orbit's |p| wobbles within each turn (an ellipse, an off-centre cycle): over part of one
        # turn, and unless |p| moved one way all along, that wobble cannot be told from a trend
        return out("unclear", f"|p| between {seg_d.min():.3g} and {seg_d.max():.3g} in {turns:.1f} of a turn: "
                   "too little to tell a trend from the orbit's wobble", lo, end - 1)
    if abs(change) < math.log1p(MODEL_CHANGE):
        # both fits are near-perfect over so small a change: no rate can be told from a power law
        pct = 100 * math.expm1(change)
        return out("shrinks" if change < 0 else "grows",
                   f"{'shrinks' if change < 0 else 'grows'} by {abs(pct):.0f}% (too little to fit a rate)",
                   lo, end - 1)
    if linear:
        q = math.exp(b_lin)
        every = _steps_text(math.log(2) / abs(b_lin))
        if change < 0:
            return out("converges", f"converges linearly: |p| ×{_factor_text(q)} per step, halving every "
                       f"{every} steps", lo, end - 1, factor=q)
        return out("grows", f"grows exponentially: |p| ×{_factor_text(q)} per step, doubling every {every} steps",
                   lo, end - 1, factor=q)
    if change < 0:
        return out("shrinks", f"shrinks sublinearly, like t^{b_pow:.2f}", lo, end - 1, exponent=b_pow)
    return out("grows", f"grows like t^{b_pow:.2f}", lo, end - 1, exponent=b_pow)


# What a verdict about the equilibrium leads one to expect of a run; circles and undecided expect nothing.
_EXPECTED = {"converges": ("converges", "shrinks"), "diverges": ("grows", "diverges")}


def disagreement(v: Verdict, m: Measured) -> str:
    """"" where the run did what rho says, else why a run may do otherwise, to show beside it."""
    expected = _EXPECTED.get(v.verdict)
    if expected is None or m.kind in expected or m.kind in ("too_short", "unclear", "stays"):
        return ""
    return "unlike ρ: away from the equilibrium the nonlinear terms rule"
