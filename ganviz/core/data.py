"""Mixtures of Gaussians in 1D and 2D: exact densities, sampling, presets.

Everything here is exact (and torch-free: the ui reads presets and mixtures here; drawing
batches on a torch device is `ganviz.core.sampling`): p_data is never estimated, so D*(x), the divergences
and the mode metrics are only as approximate as p_g is.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import scipy.special

from ganviz.core.settings import DATA, MAX_COMPONENTS


class MixtureError(ValueError):
    """A mixture specification that cannot describe a distribution."""


@dataclass(frozen=True, eq=False)
class Mixture:
    """A mixture of K Gaussians in d = 1 or 2 dimensions.

    means (K, d), covs (K, d, d) symmetric positive definite, weights (K,) summing to 1.
    """

    means: np.ndarray
    covs: np.ndarray
    weights: np.ndarray
    _chol: np.ndarray = field(init=False, repr=False)
    _prec: np.ndarray = field(init=False, repr=False)
    _logdet: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        means = np.atleast_2d(np.asarray(self.means, dtype=np.float64))
        if means.ndim != 2 or means.shape[1] not in (1, 2):
            raise MixtureError(f"data.means: each mean must have 1 or 2 coordinates (got shape {means.shape})")
        k, d = means.shape
        covs = np.asarray(self.covs, dtype=np.float64)
        if covs.shape != (k, d, d):
            raise MixtureError(f"data.covs: expected {k} matrices of size {d}x{d} (got shape {covs.shape})")
        weights = np.asarray(self.weights, dtype=np.float64).reshape(-1)
        if weights.shape != (k,):
            raise MixtureError(f"data.weights: expected {k} weights, one per component (got {weights.shape[0]})")
        if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
            raise MixtureError("data.weights: weights must be finite, non-negative and not all zero")
        if not (np.all(np.isfinite(means)) and np.all(np.isfinite(covs))):
            raise MixtureError("data.means: means and covariances must be finite numbers")
        if not np.allclose(covs, np.swapaxes(covs, 1, 2)):
            raise MixtureError("data.covs: covariance matrices must be symmetric")
        try:
            chol = np.linalg.cholesky(covs)
        except np.linalg.LinAlgError:
            raise MixtureError("data.covs: covariance matrices must be positive definite") from None
        weights = weights / weights.sum()
        for name, value in (("means", means), ("covs", covs), ("weights", weights)):
            value.setflags(write=False)
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_chol", chol)
        object.__setattr__(self, "_prec", np.linalg.inv(covs))
        object.__setattr__(self, "_logdet", 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1))

    # -- construction ---------------------------------------------------------
    @classmethod
    def isotropic(cls, means, stds, weights=None) -> "Mixture":
        means = np.atleast_2d(np.asarray(means, dtype=np.float64))
        if means.shape[0] == 1 and means.shape[1] > 2:  # a flat list of 1D means
            means = means.reshape(-1, 1)
        k, d = means.shape
        stds = np.broadcast_to(np.asarray(stds, dtype=np.float64), (k,))
        if np.any(~np.isfinite(stds)) or np.any(stds <= 0):
            raise MixtureError("data.stds: standard deviations must be positive numbers")
        covs = (stds**2)[:, None, None] * np.eye(d)[None]
        w = np.ones(k) if weights is None else weights
        return cls(means, covs, w)

    # -- properties -----------------------------------------------------------
    @property
    def dim(self) -> int:
        return int(self.means.shape[1])

    @property
    def n_components(self) -> int:
        return int(self.means.shape[0])

    @property
    def stds(self) -> np.ndarray:
        """Per-component scale: the root of the largest covariance eigenvalue."""
        return np.sqrt(np.linalg.eigvalsh(self.covs)[:, -1])

    def bounds(self, margin: float = 4.0) -> np.ndarray:
        """(d, 2) box holding every component to `margin` standard deviations."""
        sd = np.sqrt(np.diagonal(self.covs, axis1=1, axis2=2))
        lo = (self.means - margin * sd).min(axis=0)
        hi = (self.means + margin * sd).max(axis=0)
        # A little room around the data so that a collapsing or wandering G stays in view.
        pad = 0.15 * (hi - lo).max() + 0.5
        return np.stack([lo - pad, hi + pad], axis=1)

    # -- densities ------------------------------------------------------------
    def component_log_densities(self, x: np.ndarray) -> np.ndarray:
        """(n, K) log N(x | mu_k, Sigma_k)."""
        x = np.asarray(x, dtype=np.float64).reshape(-1, self.dim)
        diff = x[:, None, :] - self.means[None]  # (n, K, d)
        maha = np.einsum("nki,kij,nkj->nk", diff, self._prec, diff)
        return -0.5 * (maha + self._logdet[None] + self.dim * math.log(2 * math.pi))

    def log_density(self, x: np.ndarray) -> np.ndarray:
        lp = self.component_log_densities(x) + np.log(np.maximum(self.weights, 1e-300))[None]
        m = lp.max(axis=1, keepdims=True)
        return (m + np.log(np.exp(lp - m).sum(axis=1, keepdims=True)))[:, 0]

    def density(self, x: np.ndarray) -> np.ndarray:
        return np.exp(self.log_density(x))

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """Exact CDF in 1D."""
        if self.dim != 1:
            raise ValueError("cdf is defined for 1D mixtures only")
        x = np.asarray(x, dtype=np.float64).reshape(-1, 1)
        sd = np.sqrt(self.covs[:, 0, 0])
        u = (x - self.means[None, :, 0]) / (sd[None] * math.sqrt(2.0))
        erf = scipy.special.erf(u)
        return (0.5 * (1.0 + erf) * self.weights[None]).sum(axis=1)

    def mahalanobis(self, x: np.ndarray) -> np.ndarray:
        """(n, K) Mahalanobis distance of each point to each component."""
        x = np.asarray(x, dtype=np.float64).reshape(-1, self.dim)
        diff = x[:, None, :] - self.means[None]
        return np.sqrt(np.maximum(np.einsum("nki,kij,nkj->nk", diff, self._prec, diff), 0.0))

    # -- sampling -------------------------------------------------------------
    def sample_numpy(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        labels = rng.choice(self.n_components, size=n, p=self.weights)
        eps = rng.standard_normal((n, self.dim))
        x = self.means[labels] + np.einsum("nij,nj->ni", self._chol[labels], eps)
        return x, labels

    def to_dict(self) -> dict:
        return {
            "means": self.means.tolist(),
            "covs": self.covs.tolist(),
            "weights": self.weights.tolist(),
        }


# -- presets ------------------------------------------------------------------
@dataclass(frozen=True)
class Preset:
    id: str
    name: str
    description: str
    dim: int
    build: Callable[[], Mixture]


def _ring(n: int = 8, radius: float = 2.0, std: float = 0.02) -> Mixture:
    # n distinct angles: linspace(0, 2pi, n) would repeat the first mode at 2pi.
    angles = 2 * np.pi * np.arange(n) / n
    means = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return Mixture.isotropic(means, std)


def reference_ring(n: int = 8, radius: float = 1.0, std: float = 0.01) -> Mixture:
    """The ring of the unrolled-GAN reference notebook (Poole & Metz), on which VEEGAN's 2D experiments build.

    Its sampler puts the n angles on np.linspace(0, 2 pi, n), x = r sin(t), y = r cos(t), and draws
    the n components with equal weights. The first and last angles (0 and 2 pi) coincide: n
    components but n - 1 distinct modes, the one at (0, r) drawn twice as often. `distinct_modes`
    gives the n - 1 modes to count against. (ganviz's own rings, `_ring`, have n distinct angles.)
    """
    angles = np.linspace(0.0, 2 * np.pi, n)
    means = radius * np.stack([np.sin(angles), np.cos(angles)], axis=1)
    return Mixture.isotropic(means, std)


def distinct_modes(mixture: Mixture, tol: float = 1e-9) -> Mixture:
    """The mixture with coinciding components merged: equal means and covariances (within `tol`), weights summed.

    The same distribution, with one component per distinct mode, for counting modes
    (`metrics.mode_coverage` assigns each sample to its nearest mean).
    """
    keep: list[int] = []
    weights: list[float] = []
    for k in range(mixture.n_components):
        for j, kk in enumerate(keep):
            if (np.abs(mixture.means[k] - mixture.means[kk]).max() <= tol
                    and np.abs(mixture.covs[k] - mixture.covs[kk]).max() <= tol):
                weights[j] += mixture.weights[k]
                break
        else:
            keep.append(k)
            weights.append(float(mixture.weights[k]))
    return Mixture(mixture.means[keep], mixture.covs[keep], np.asarray(weights))


def _grid(std: float = 0.05) -> Mixture:
    ticks = np.array([-4.0, -2.0, 0.0, 2.0, 4.0])
    means = np.array([[x, y] for x in ticks for y in ticks])
    return Mixture.isotropic(means, std)


def _blobs() -> Mixture:
    def rot(deg: float, sx: float, sy: float) -> np.ndarray:
        t = np.deg2rad(deg)
        r = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
        return r @ np.diag([sx**2, sy**2]) @ r.T

    means = np.array([[-2.0, 1.5], [1.5, 2.0], [0.5, -2.0]])
    covs = np.stack([rot(30, 0.8, 0.2), rot(-45, 0.5, 0.15), rot(90, 0.3, 0.3)])
    return Mixture(means, covs, np.array([0.5, 0.3, 0.2]))


PRESETS: dict[str, Preset] = {
    p.id: p
    for p in [
        Preset("gauss1d", "One Gaussian (1D)", "N(2, 0.5^2): Goodfellow et al. 2014, Figure 1", 1,
               lambda: Mixture.isotropic([[2.0]], 0.5)),
        Preset("bimodal1d", "Two modes (1D)", "Equal mixture of N(-2, 0.4^2) and N(2, 0.4^2)", 1,
               lambda: Mixture.isotropic([[-2.0], [2.0]], 0.4)),
        Preset("trimodal1d", "Three modes, unequal (1D)", "Weights 0.5/0.3/0.2 at -3, 0, 3", 1,
               lambda: Mixture.isotropic([[-3.0], [0.0], [3.0]], [0.5, 0.3, 0.4], [0.5, 0.3, 0.2])),
        Preset("ring8", "Ring of 8", "8 Gaussians on a circle of radius 2, std 0.02 (Metz et al. 2016)", 2,
               lambda: _ring(8, 2.0, 0.02)),
        Preset("grid25", "Grid of 25", "5x5 Gaussians at {-4,-2,0,2,4}^2, std 0.05", 2, lambda: _grid(0.05)),
        Preset("blobs2d", "Anisotropic blobs", "3 rotated elliptical Gaussians, weights 0.5/0.3/0.2", 2, _blobs),
        Preset("ring8-veegan", "Ring of 8 (VEEGAN)", "8 Gaussians on a circle of radius 1, std 0.01 "
               "(Srivastava et al. 2017)", 2, lambda: _ring(8, 1.0, 0.01)),
    ]
}


def preset(name: str) -> Mixture:
    try:
        return PRESETS[name].build()
    except KeyError:
        raise MixtureError(f"data.preset: unknown preset {name!r}; choose one of {', '.join(PRESETS)}") from None


def _numbers(field: str, value, what: str) -> np.ndarray:
    """`value` as a float array, or MixtureError naming the field: not numbers, nested too deep,
    not finite or outside the settings schema's range for the field."""
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError, RecursionError):
        raise MixtureError(f"data.{field}: must be {what}") from None
    lo, hi = DATA[field].lo, DATA[field].hi
    if a.size and (not np.all(np.isfinite(a)) or a.min() < lo or a.max() > hi):
        raise MixtureError(f"data.{field}: numbers must be finite and within [{lo:g}, {hi:g}]")
    return a


def mixture_from_spec(means, stds=None, covs=None, weights=None) -> Mixture:
    """A user mixture from lists, as written in a scenario file; shapes checked here, ranges from
    the settings schema (`ganviz.core.settings.DATA_SCHEMA`)."""
    pairs = "a list of numbers (1D) or of [x, y] pairs (2D)"
    m = _numbers("means", means, pairs)
    if m.ndim == 1:
        m = m.reshape(-1, 1)
    if m.ndim != 2 or m.shape[1] not in (1, 2) or m.shape[0] == 0:
        raise MixtureError(f"data.means: must be {pairs}")
    k, d = m.shape
    if k > MAX_COMPONENTS:
        raise MixtureError(f"data.means: at most {MAX_COMPONENTS} components (got {k})")
    w = np.ones(k) if weights is None else _numbers("weights", weights, "a list of numbers").reshape(-1)
    if w.shape[0] != k:
        raise MixtureError(f"data.weights: {k} components need {k} weights (got {w.shape[0]})")
    if not w.sum() > 0:
        raise MixtureError("data.weights: weights must not all be zero")
    if covs is not None:
        c = _numbers("covs", covs, f"one {d}x{d} matrix of numbers per component")
        if d == 1 and c.ndim == 1:
            c = c.reshape(-1, 1, 1)
        if c.shape != (k, d, d):
            raise MixtureError(f"data.covs: {k} components in {d}D need {k} matrices of size {d}x{d}")
        return Mixture(m, c, w)
    s = np.ones(k) if stds is None else _numbers("stds", stds, "a list of numbers").reshape(-1)
    if s.shape[0] == 1:
        s = np.repeat(s, k)
    if s.shape[0] != k:
        raise MixtureError(f"data.stds: {k} components need {k} standard deviations (got {s.shape[0]})")
    return Mixture(m, (s**2)[:, None, None] * np.eye(d)[None], w)
