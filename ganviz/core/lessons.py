"""Lessons: what a scenario claims to show, as data, and a check that it does.

A scenario file may carry claims, each a [[claims]] table::

    [[claims]]
    text = "the plain GAN sits on at most 3 of the 8 modes at every evaluation after step 2,000"
    metric = "modes"       # a metric of the registry (ganviz.core.metric_info), or a derived one below
    panel = "ns"           # whose metric: a panel's label (default: the first GAN)
    at = "every"           # end | start | every | mean | max | min   (default end)
    after = 2000           # every/mean/max/min look at the evaluations from this step on (default 0)
    op = "<="              # <= | < | >= | >
    value = 3              # the threshold, or:
    # than = "k = 5"       # the same statistic of another panel,
    # factor = 2           # times this factor (default 1)

Derived metrics: `mode_hops` (how often the mode holding most of G's high-quality samples
changes), `d_center` (the largest |D - 1/2| over p_data's central 95 %, 1D only), `d_max`
(the largest D over the same interval: one-sided label smoothing caps it near 1 - s),
`batch_coupling` (how far one sample's G(z) moves when the other samples of its batch are
redrawn, relative to the data's spread: batch norm couples a batch, virtual batch norm does not), `v_gap`
(1D, a linear G of a Gaussian z, so that p_g is exactly a Gaussian: V(D, G) = E_data[ln D] + E_g[ln(1 - D)]
of the trained D minus its value at D*, -ln 4 + 2 JSD(p_data || p_g), both by quadrature; never above 0,
since D* maximises V, and 0 when D = D*: Goodfellow et al. 2014, Thm 1), `kl_gap` (the same setting: G's
log-ratio loss E_g[-ln(D / (1 - D))] at the trained D minus KL(p_g || p_data), both by quadrature; 0 at D*,
where D's logit is ln(p_data / p_g): the ETH Machine Perception sheet, exercise 2.3). A game
scenario's claims read `distance` (to the equilibrium) or `distance_ratio` (final over
initial) of a method: `method = "sim_gda"`.

A lesson holds on a seed when all its claims hold; it holds when it holds on at least
HOLD_FRACTION of the seeds tried (4 of 5).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from ganviz.core.claims import (AT, CLAIM_KEYS, DERIVED, GAME_METRICS, OPS, Claim,  # noqa: F401  (the lesson API)
                                 ClaimError, parse_claims)

HOLD_FRACTION = 0.8
# Evaluations per run when checking a lesson (the claims' "every" and "mean" look at these).
EVALUATIONS = 40
# A mode holds G when it has at least this share of G's high-quality samples (for mode_hops): a majority.
HOLD_SHARE = 0.5


# -- reading a claim off a run ------------------------------------------------------------------
@dataclass
class RunRecord:
    """What a check recorded of one run: per GAN (or method), each metric's series over the steps."""

    steps: np.ndarray
    series: dict            # metric -> (M, T) array
    names: list             # the panels' labels (or the game's methods)


def statistic(claim: Claim, record: RunRecord, who: Optional[str]) -> float:
    """The number a claim compares: the claim's statistic of its metric for panel `who`."""
    i = record.names.index(who) if who is not None else 0
    values = np.asarray(record.series[claim.metric][i], dtype=np.float64)
    steps = record.steps
    if claim.at == "end":
        return float(values[-1])
    if claim.at == "start":
        return float(values[0])
    window = values[steps >= claim.after]
    window = window[~np.isnan(window)]
    if window.size == 0:
        return math.nan
    return float({"every": np.max if claim.op in ("<=", "<") else np.min, "mean": np.mean,
                  "max": np.max, "min": np.min}[claim.at](window))


@dataclass(frozen=True)
class Verdict:
    claim: Claim
    measured: float
    threshold: float
    holds: bool


def judge(claim: Claim, record: RunRecord) -> Verdict:
    """Whether the claim holds on this run; for 'every', the worst evaluation decides."""
    measured = statistic(claim, record, claim.panel or claim.method)
    threshold = claim.value if claim.than is None else claim.factor * statistic(claim, record, claim.than)
    holds = bool(math.isfinite(measured) and math.isfinite(threshold) and OPS[claim.op](measured, threshold))
    return Verdict(claim, measured, threshold, holds)


def mode_hops(counts: np.ndarray) -> int:
    """How often the mode holding most of G's high-quality samples changes along a run (T, K) of counts.

    Evaluations where no mode holds HOLD_SHARE of the high-quality samples (G spread, or none
    high quality) do not count, so a G that wanders between modes is not mistaken for hopping.
    """
    held = []
    for row in np.asarray(counts):
        total = row.sum()
        if total > 0 and row.max() >= HOLD_SHARE * total:
            held.append(int(np.argmax(row)))
    return int(sum(a != b for a, b in zip(held, held[1:])))


# -- checking a lesson --------------------------------------------------------------------------
def needs_slow(claims) -> bool:
    return any(c.slow for c in claims)


def check_gan(scenario, seed: int, evaluations: Optional[int] = None,
              on_progress: Optional[Callable[[int], None]] = None) -> RunRecord:
    """Train the scenario on `seed` and record every metric its claims read at `evaluations` evenly spaced steps."""
    from ganviz.core.evaluate import Evaluator
    from ganviz.core.train import Trainer, TrainingDiverged

    sc = dataclasses.replace(scenario, seed=seed)
    evaluations = EVALUATIONS if evaluations is None else evaluations
    trainer = Trainer(sc.data.mixture(), sc.model, sc.panel_settings(), seed=seed, device=sc.device)
    ev = Evaluator(trainer, bounds=sc.data.bounds)
    slow = needs_slow(sc.claims)
    want = {c.metric for c in sc.claims}
    steps_at = np.unique(np.linspace(0, sc.steps, evaluations + 1).round().astype(int))
    steps, rows, counts, on_data, coupling = [], [], [], [], []
    exact = {name: [] for name in EXACT_GAPS if name in want}
    for target in steps_at:
        try:
            if target > trainer.step_count:
                trainer.step(int(target - trainer.step_count))
        except TrainingDiverged:
            break
        m = ev.metrics(slow=slow)
        steps.append(trainer.step_count)
        rows.append({k: np.asarray(v, dtype=np.float64) for k, v in m["metrics"].items()})
        counts.append(m["mode_counts"])
        if want & {"d_center", "d_max"}:
            on_data.append(_d_on_data(ev))
        if "batch_coupling" in want:
            coupling.append(batch_coupling(trainer, seed))
        for name, values in exact.items():
            values.append(EXACT_GAPS[name](trainer, ev))
        if on_progress:
            on_progress(trainer.step_count)
    series = {k: np.stack([r[k] for r in rows], axis=1) for k in rows[0]}
    if "mode_hops" in want:
        c = np.stack(counts, axis=1)                         # (M, T, K)
        hops = np.array([[mode_hops(c[i, :t + 1]) for t in range(c.shape[1])] for i in range(c.shape[0])])
        series["mode_hops"] = hops.astype(np.float64)
    if coupling:
        series["batch_coupling"] = np.stack(coupling, axis=1)     # (M, T)
    for name, values in exact.items():
        series[name] = np.stack(values, axis=1)                   # (M, T)
    if on_data:
        probs = np.stack(on_data, axis=1)                    # (M, T, points)
        series["d_center"] = np.abs(probs - 0.5).max(axis=2)
        series["d_max"] = probs.max(axis=2)
    return RunRecord(np.asarray(steps), series, sc.panel_labels())


COUPLING_BATCH = 64
COUPLING_PROBES = 8


def batch_coupling(trainer, seed: int) -> np.ndarray:
    """Per GAN: how far G moves one sample when the other samples of its training-size batch are redrawn,
    mean over COUPLING_PROBES probes, in units of the data's spread (the root of its total variance).

    Batch norm normalises a sample with its batch's statistics, so its output depends on the rest of the
    batch (Salimans et al. 2016, Sec. 3.4); virtual batch norm uses a fixed reference batch and the sample
    itself, and a plain G looks at the sample alone: 0 up to rounding."""
    import torch

    gen = torch.Generator(device=trainer.device)
    gen.manual_seed(seed * 7919 + 104729)
    n = min(COUPLING_BATCH, max(2, trainer.batch_size))
    moves = []
    with torch.no_grad():
        for _ in range(COUPLING_PROBES):
            a = trainer.sample_z(n, gen)
            b = trainer.sample_z(n, gen)
            b[0] = a[0]
            ga = trainer.generate(a)[:, 0]
            gb = trainer.generate(b)[:, 0]
            moves.append((ga - gb).norm(dim=-1).cpu().numpy())
    mix = trainer.mixture                 # its total variance, exactly: E|x|^2 - |E x|^2
    w, mu = mix.weights, mix.means
    second = float(np.sum(w * (np.trace(mix.covs, axis1=1, axis2=2) + (mu ** 2).sum(axis=1))))
    spread = math.sqrt(max(second - float(((w[:, None] * mu).sum(axis=0) ** 2).sum()), 0.0))
    return np.mean(moves, axis=0) / max(spread, 1e-12)


QUADRATURE_POINTS = 20001


def gaussian_g(trainer) -> tuple[np.ndarray, np.ndarray]:
    """Per GAN, the mean and std of p_g for a 1D linear G of a standard Gaussian z (G(z) = a z + c: p_g is
    N(c, a^2)); ClaimError unless the model is one."""
    import torch

    m = trainer.model
    if trainer.dim != 1 or m.latent_dim != 1 or m.prior != "gaussian" or m.conditional:
        raise ClaimError("v_gap and kl_gap need a 1D GAN with a 1D Gaussian z (model.latent_dim = 1, prior = \"gaussian\")")
    with torch.no_grad():
        z = torch.tensor([[-1.0], [0.0], [1.0]], dtype=torch.float32, device=trainer.device)
        g = trainer.generate(z)[..., 0].double().cpu().numpy()           # (M, 3)
    lo, mid, hi = g[:, 0], g[:, 1], g[:, 2]
    if not np.allclose(hi - mid, mid - lo, rtol=1e-4, atol=1e-5):
        raise ClaimError("v_gap and kl_gap need a linear G (model.g_layers = 0), whose p_g is exactly a Gaussian")
    return mid, np.abs(hi - mid)


def _exact_densities(trainer, ev):
    """The quadrature both gaps use: a fine grid xs (spacing dx) over p_data's and p_g's mass, p_data's exact
    density p on it, per GAN p_g's exact density q (a linear G of a Gaussian z: `gaussian_g`) and D's logit u.
    Yields (dx, p, q, u) per GAN."""
    mean, std = gaussian_g(trainer)
    mix = ev._class_mixture()
    lo = min(float(mix.bounds(10.0)[0][0]), float((mean - 10 * std).min()))
    hi = max(float(mix.bounds(10.0)[0][1]), float((mean + 10 * std).max()))
    xs = np.linspace(lo, hi, QUADRATURE_POINTS)
    dx = xs[1] - xs[0]
    p = mix.density(xs[:, None])
    logits = ev._d_on(xs[:, None], ev._cond(len(xs))).astype(np.float64)     # (M, n)
    for i in range(len(mean)):
        q = np.exp(-0.5 * ((xs - mean[i]) / std[i]) ** 2) / (std[i] * math.sqrt(2 * math.pi))
        yield dx, p, q, logits[i]


def _sum_plogr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a ln(a / b) pointwise, 0 where a is 0 (the integrand of KL(a || b))."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a > 0, a * np.log(a / b), 0.0)


def v_gap(trainer, ev) -> np.ndarray:
    """Per GAN: V(D, G) of its D minus V(D*, G) = -ln 4 + 2 JSD(p_data || p_g), both by quadrature on a fine grid
    with p_data and p_g exact (`_exact_densities`)."""
    out = []
    for dx, p, q, u in _exact_densities(trainer, ev):
        v = np.sum(p * -np.logaddexp(0.0, -u) + q * -np.logaddexp(0.0, u)) * dx
        mid = 0.5 * (p + q)
        js = 0.5 * np.sum(_sum_plogr(p, mid) + _sum_plogr(q, mid)) * dx
        out.append(v - (-math.log(4.0) + 2.0 * js))
    return np.array(out)


def kl_gap(trainer, ev) -> np.ndarray:
    """Per GAN: G's log-ratio loss at its D, E_g[-ln(D / (1 - D))] = E_g[-u], minus KL(p_g || p_data), both by
    quadrature with p_data and p_g exact (`_exact_densities`). At D*, u = ln(p_data / p_g), so the loss is
    E_g[ln(p_g / p_data)] = KL(p_g || p_data) and the gap 0 (the ETH sheet's exercise 2.3; Huszar 2016)."""
    out = []
    for dx, p, q, u in _exact_densities(trainer, ev):
        out.append(np.sum(q * -u) * dx - np.sum(_sum_plogr(q, p)) * dx)
    return np.array(out)


# The derived metrics read off D against an exact Gaussian p_g, by quadrature.
EXACT_GAPS: dict[str, Callable] = {"v_gap": v_gap, "kl_gap": kl_gap}


def _d_on_data(ev) -> np.ndarray:
    """Per GAN, D(x) at 200 points spanning p_data's central 95 % (1D: between its 2.5 % and 97.5 % quantiles)."""
    mix = ev._class_mixture()
    if mix.dim != 1:
        raise ClaimError("d_center and d_max are 1D metrics (D over p_data's central 95 %)")
    xs = np.linspace(*mix.bounds(6.0)[0], 4001)
    cdf = mix.cdf(xs)
    lo, hi = xs[np.searchsorted(cdf, 0.025)], xs[np.searchsorted(cdf, 0.975)]
    pts = np.linspace(lo, hi, 200)[:, None]
    d = ev._d_on(pts, ev._cond(len(pts)))                    # (M, 200) raw outputs
    return ev._to_display(d)


def check_game(scenario) -> RunRecord:
    """Run the game scenario's methods and record each one's distance to the equilibrium."""
    from ganviz.core.games import make_game, run

    g = scenario.game
    game = make_game(g.get("game", "bilinear"), g.get("loss", "ns"), g.get("reg"), g.get("reg_weight"))
    start = g.get("start", list(game.default_start))
    methods = list(g.get("methods", ["sim_gda"]))
    dist, ratio = [], []
    for m in methods:
        traj = run(game, m, start, g.get("steps", 300), g.get("lr", 0.1),
                   **{k: g[k] for k in ("gamma", "beta", "k") if k in g})
        d = np.asarray(traj.distance, dtype=np.float64)
        if traj.diverged:
            d = np.append(d, math.inf)
        dist.append([d[0], d[-1]])
        ratio.append([1.0, d[-1] / d[0] if d[0] > 0 else math.nan])
    return RunRecord(np.array([0, g.get("steps", 300)]), {"distance": np.array(dist), "distance_ratio": np.array(ratio)},
                     methods)


@dataclass(frozen=True)
class SeedResult:
    seed: int
    verdicts: tuple

    @property
    def holds(self) -> bool:
        return all(v.holds for v in self.verdicts)


def check(scenario, seeds: int = 5, on_progress: Optional[Callable[[int, int], None]] = None) -> list[SeedResult]:
    """Every claim of the scenario on `seeds` seeds (scenario.seed, +1, ...); one seed for a game (deterministic)."""
    out = []
    if scenario.view == "game":
        record = check_game(scenario)
        return [SeedResult(scenario.seed, tuple(judge(c, record) for c in scenario.claims))]
    for j in range(seeds):
        seed = scenario.seed + j
        record = check_gan(scenario, seed, on_progress=(lambda s, j=j: on_progress(j, s)) if on_progress else None)
        out.append(SeedResult(seed, tuple(judge(c, record) for c in scenario.claims)))
    return out


def holds(results: list[SeedResult]) -> bool:
    """A lesson holds when all its claims hold on at least HOLD_FRACTION of the seeds."""
    if not results:
        return False
    return sum(r.holds for r in results) >= math.ceil(HOLD_FRACTION * len(results) - 1e-9)
