"""Densities on grids for the pictures, W1 in 1D, mode counts and D's statistics.

p_data is exact (a `Mixture`); p_g is known only through samples, so every number
here is an estimate whose bias comes from estimating p_g, and each function says
which estimate it makes:

- 1D densities: a Gaussian kernel density estimate (`kde_1d`), linearly binned onto
  a grid finer than the evaluation grid and convolved by FFT, so n = 50k costs a few
  milliseconds. Its expectation is p_g convolved with N(0, h^2): for Gaussian p_g the
  variance grows by h^2. `data_density_1d` smooths p_data with the same kernel for a
  like-for-like comparison.
- 2D densities: the same binned estimate on a 2D grid (`hist_density_2d`), compared
  with p_data smoothed by the same kernel (`data_density_2d`), because components with
  std 0.02 are far narrower than any grid cell.
- These grid densities are pictures (the p_g curve and heatmap, D* on the grid). The
  numbers on the charts (divergences with their errors) come from the k-NN estimates of
  `ganviz.core.estimators`, not from them.
- W1 in 1D is the exact CDF integral against the mixture's exact CDF.
- Mode coverage follows VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al. 2018).

Pure numpy: no Qt, no torch tensors needed (CPU tensors are accepted through np.asarray).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from ganviz.core.data import Mixture

# Kernels are cut off where the Gaussian has fallen to exp(-18): the mass beyond is 2e-9.
_KERNEL_REACH = 6.0
# The binning grid is at least this many times finer than the bandwidth; linear binning
# then adds at most (h / 4)^2 / 4 to the kernel's variance (1.6 % of h^2).
_BINS_PER_BANDWIDTH = 4
# Where q = 0 but p > 0, log(p / q) is taken against this fraction of max(q).
_Q_FLOOR = 1e-12
# kde_bandwidth looks at samples within this fraction of the grid's span beyond its ends.
_BANDWIDTH_WINDOW = 0.25
# Botev et al. (2010): histogram size and the order l of the plug-in's fixed point.
_ISJ_BINS = 2**14
_ISJ_ORDER = 7


# -- grids ----------------------------------------------------------------------
def _grid_step(grid: np.ndarray, name: str) -> float:
    """The spacing of a uniform increasing grid; a clear error for anything else."""
    g = np.asarray(grid, dtype=np.float64)
    if g.ndim != 1 or g.size < 2 or not np.all(np.isfinite(g)):
        raise ValueError(f"{name}: must be a 1D array of at least 2 finite points")
    steps = np.diff(g)
    step = (g[-1] - g[0]) / (g.size - 1)
    if step <= 0 or not np.allclose(steps, step, rtol=1e-6, atol=0.0):
        raise ValueError(f"{name}: points must be evenly spaced and increasing")
    return float(step)


def _as_1d_samples(samples: np.ndarray) -> np.ndarray:
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1:
        raise ValueError(f"samples: expected shape (n,) or (n, 1) for 1D samples (got {x.shape})")
    return x


def _as_points(samples: np.ndarray, dim: int) -> np.ndarray:
    x = np.asarray(samples, dtype=np.float64)
    if dim == 1 and x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] != dim:
        raise ValueError(f"samples: expected shape (n, {dim}) to match the {dim}D data (got {x.shape})")
    return x


# -- binned kernel smoothing ------------------------------------------------------
@dataclass(frozen=True)
class _FineAxis:
    """A binning grid `sub` times finer than an evaluation grid, padded by the kernel's reach."""

    start: float  # first evaluation point
    step: float  # evaluation spacing
    size: int  # number of evaluation points
    sub: int
    pad: int

    @classmethod
    def for_grid(cls, grid: np.ndarray, step: float, bandwidth: float) -> "_FineAxis":
        sub = max(1, math.ceil(_BINS_PER_BANDWIDTH * step / bandwidth))
        pad = math.ceil(_KERNEL_REACH * bandwidth / (step / sub))
        return cls(float(grid[0]), step, len(grid), sub, pad)

    @property
    def delta(self) -> float:
        return self.step / self.sub

    @property
    def n_bins(self) -> int:
        return (self.size - 1) * self.sub + 1 + 2 * self.pad

    def positions(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Left bin index, fraction towards the right bin, and which x fall inside the bins."""
        s = (x - (self.start - self.pad * self.delta)) / self.delta
        inside = np.isfinite(s) & (s >= 0) & (s < self.n_bins - 1)
        s = np.where(inside, s, 0.0)
        left = np.floor(s).astype(np.int64)
        return left, s - left, inside

    def smooth(self, counts: np.ndarray, axis: int, bandwidth: float) -> np.ndarray:
        """Convolve binned counts with the Gaussian kernel along `axis`; keep the evaluation points."""
        offsets = np.arange(-self.pad, self.pad + 1) * self.delta
        kernel = np.exp(-0.5 * (offsets / bandwidth) ** 2) / (bandwidth * math.sqrt(2 * math.pi))
        n_full = self.n_bins + kernel.size - 1
        n_fft = 1 << (n_full - 1).bit_length()
        spectrum = np.fft.rfft(counts, n=n_fft, axis=axis)
        shape = [1] * counts.ndim
        shape[axis] = -1
        spectrum *= np.fft.rfft(kernel, n=n_fft).reshape(shape)
        full = np.fft.irfft(spectrum, n=n_fft, axis=axis)
        # Evaluation point g sits at bin pad + g*sub; the full convolution shifts it by pad more.
        keep = 2 * self.pad + self.sub * np.arange(self.size)
        return np.take(full, keep, axis=axis)


# -- 1D kernel density ------------------------------------------------------------
def _dct2(x: np.ndarray) -> np.ndarray:
    """Unnormalised DCT-II, y_k = 2 sum_j x_j cos(pi k (2j + 1) / 2N), via one FFT (Makhoul 1980)."""
    n = x.size
    v = np.concatenate([x[::2], x[1::2][::-1]])
    return 2.0 * np.real(np.exp(-0.5j * np.pi * np.arange(n) / n) * np.fft.fft(v))


def _isj_bandwidth(x: np.ndarray) -> float | None:
    """Botev, Grotowski & Kroese (2010) 'improved Sheather-Jones' plug-in bandwidth.

    Solves t = xi * gamma^[l](t) for t = (h / R)^2 on a 2^14-bin histogram of x over its
    range R; None when the fixed point does not exist (degenerate data), so the caller
    can fall back.
    """
    lo, hi = float(x.min()), float(x.max())
    if not hi > lo:
        return None
    span = 1.2 * (hi - lo)
    lo -= 0.1 * (hi - lo)
    hist = np.histogram(x, bins=_ISJ_BINS, range=(lo, lo + span))[0] / x.size
    a2 = (_dct2(hist)[1:] / 2.0) ** 2
    k2 = np.arange(1, _ISJ_BINS, dtype=np.float64) ** 2
    weighted = {s: k2**s * a2 for s in range(2, _ISJ_ORDER + 1)}
    n = x.size

    def functional(s: int, t: float) -> float:
        # Terms with k^2 pi^2 t > 745 underflow to 0; k2 is increasing, so sum only the rest.
        stop = _ISJ_BINS - 1 if t <= 0 else min(_ISJ_BINS - 1, int(math.sqrt(745.0 / (math.pi**2 * t))) + 1)
        terms = weighted[s][:stop] * np.exp(-k2[:stop] * (math.pi**2 * t))
        return 2.0 * math.pi ** (2 * s) * float(terms.sum())

    def excess(t: float) -> float:
        f = functional(_ISJ_ORDER, t)
        for s in range(_ISJ_ORDER - 1, 1, -1):
            k0 = math.prod(range(1, 2 * s, 2)) / math.sqrt(2 * math.pi)
            const = (1 + 0.5 ** (s + 0.5)) / 3
            time = (2 * const * k0 / (n * f)) ** (2.0 / (3 + 2 * s))
            f = functional(s, time)
        return t - (2 * n * math.sqrt(math.pi) * f) ** -0.4

    with np.errstate(all="ignore"):
        # The smallest root: scan upwards on a log scale, then bisect the first sign change.
        log_t = np.linspace(-13 * math.log(10), 0.0, 27)
        previous = math.nan
        for i, lt in enumerate(log_t):
            try:
                value = excess(math.exp(lt))
            except (ZeroDivisionError, OverflowError, ValueError):
                value = math.nan
            if previous < 0 <= value:
                a, b = log_t[i - 1], lt
                for _ in range(30):
                    mid = 0.5 * (a + b)
                    a, b = (mid, b) if excess(math.exp(mid)) < 0 else (a, mid)
                return math.exp(0.25 * (a + b)) * span
            previous = value
    return None


def _silverman_bandwidth(x: np.ndarray) -> float:
    """Silverman's robust rule 0.9 min(std, IQR / 1.34) n^(-1/5) (0 when the samples coincide)."""
    std = float(np.std(x))
    q75, q25 = np.percentile(x, [75, 25])
    spread = min(std, (q75 - q25) / 1.34) if q75 > q25 else std
    return 0.9 * spread * x.size ** -0.2


def kde_bandwidth(samples: np.ndarray, grid: np.ndarray) -> float:
    """The bandwidth `kde_1d` uses by default for these samples on this grid.

    Botev et al.'s (2010) plug-in ('improved Sheather-Jones'), which unlike Silverman's
    rule does not over-smooth multimodal data (Silverman's rule, fitted to one Gaussian,
    spreads the three modes of `trimodal1d` into one another); Silverman's robust rule
    where the plug-in has no solution. Never below the grid spacing: a narrower kernel
    falls between grid points, and a collapsed G (all samples equal) then still has a
    finite density that integrates to 1 on the grid. Samples further than a quarter of
    the grid's span outside it are left out of the choice.
    """
    step = _grid_step(grid, "grid")
    x = _as_1d_samples(samples)
    # Samples far off the grid do not shape the density on it, but one stray sample at 1e6
    # would stretch the plug-in's histogram until every mode fell into a single bin.
    g = np.asarray(grid, dtype=np.float64)
    reach = _BANDWIDTH_WINDOW * (g[-1] - g[0])
    x = x[(x >= g[0] - reach) & (x <= g[-1] + reach)]
    if x.size < 2:
        return step
    h = _isj_bandwidth(x)
    if h is None or not math.isfinite(h):
        h = _silverman_bandwidth(x)
    return max(h, step)


def kde_1d(samples: np.ndarray, grid: np.ndarray, bandwidth: float | None = None) -> np.ndarray:
    """Gaussian kernel density estimate of 1D samples, evaluated on a uniform grid (G,).

    Estimates p_g * N(0, h^2), not p_g: for Gaussian samples the variance is inflated
    by h^2, a bias that shrinks as n^(-2/5) with the default bandwidth (`kde_bandwidth`).
    A bandwidth below the grid spacing is raised to it (see `kde_bandwidth`).

    Samples are linearly binned onto a grid at least 4 bins per bandwidth fine and
    convolved with the kernel by FFT: O(n + G log G), exact in mass and mean, with
    the kernel's variance raised by under 2 %. Mass that lies outside the grid is absent,
    not renormalised onto it: the estimate integrates to the fraction of the kernel
    mixture inside the grid. Non-finite samples count in n but add no mass.
    """
    step = _grid_step(grid, "grid")
    x = _as_1d_samples(samples)
    n = x.size
    if n == 0:
        return np.zeros(len(grid))
    h = kde_bandwidth(x, grid) if bandwidth is None else float(bandwidth)
    if not (math.isfinite(h) and h > 0):
        raise ValueError(f"bandwidth: must be a positive number (got {bandwidth})")
    h = max(h, step)
    axis = _FineAxis.for_grid(np.asarray(grid, dtype=np.float64), step, h)
    left, frac, inside = axis.positions(x)
    left, frac = left[inside], frac[inside]
    counts = np.bincount(left, 1.0 - frac, axis.n_bins) + np.bincount(left + 1, frac, axis.n_bins)
    return np.maximum(axis.smooth(counts, 0, h) / n, 0.0)


def data_density_1d(mixture: Mixture, grid: np.ndarray, bandwidth: float) -> np.ndarray:
    """Exact p_data * N(0, h^2) on a 1D grid: each component's variance plus h^2.

    The like-for-like partner of `kde_1d(samples, grid, h)`: divergences between the two
    compare p_data and p_g after the same smoothing, so a perfect G scores 0 whatever h is.
    """
    return _smoothed_mixture(mixture, 1, bandwidth).density(np.asarray(grid, dtype=np.float64)[:, None])


# -- 2D density on a grid -------------------------------------------------------------
def default_bandwidth_2d(grid_x: np.ndarray, grid_y: np.ndarray) -> float:
    """1.5 grid cells (the larger spacing): the narrowest kernel the grid resolves, with room.

    It depends on the grid only, so p_g and p_data get the same kernel without the caller
    passing it around.
    """
    return 1.5 * max(_grid_step(grid_x, "grid_x"), _grid_step(grid_y, "grid_y"))


def _bandwidth_2d(grid_x: np.ndarray, grid_y: np.ndarray, bandwidth: float | None) -> float:
    floor = max(_grid_step(grid_x, "grid_x"), _grid_step(grid_y, "grid_y"))
    if bandwidth is None:
        return default_bandwidth_2d(grid_x, grid_y)
    h = float(bandwidth)
    if not (math.isfinite(h) and h > 0):
        raise ValueError(f"bandwidth: must be a positive number (got {bandwidth})")
    return max(h, floor)


def hist_density_2d(
    samples: np.ndarray, grid_x: np.ndarray, grid_y: np.ndarray, bandwidth: float | None = None
) -> np.ndarray:
    """Density of 2D samples on a regular grid, shape (Gy, Gx): p_g * N(0, h^2 I).

    Bilinear binning onto a grid at least 4 bins per bandwidth fine, then separable
    Gaussian smoothing (the 2D analogue of `kde_1d`). Its expectation is p_g smoothed by
    an isotropic Gaussian of std h (default `default_bandwidth_2d`; never below one grid
    cell). It integrates (sum * dx * dy) to the fraction of the smoothed mass inside the
    grid; nothing is renormalised. Compare it with `data_density_2d` at the same h.
    """
    x = _as_points(samples, 2)
    n = x.shape[0]
    gx = np.asarray(grid_x, dtype=np.float64)
    gy = np.asarray(grid_y, dtype=np.float64)
    h = _bandwidth_2d(gx, gy, bandwidth)
    if n == 0:
        return np.zeros((gy.size, gx.size))
    ax = _FineAxis.for_grid(gx, _grid_step(gx, "grid_x"), h)
    ay = _FineAxis.for_grid(gy, _grid_step(gy, "grid_y"), h)
    ix, fx, in_x = ax.positions(x[:, 0])
    iy, fy, in_y = ay.positions(x[:, 1])
    inside = in_x & in_y
    ix, fx, iy, fy = ix[inside], fx[inside], iy[inside], fy[inside]
    size = ay.n_bins * ax.n_bins
    counts = np.zeros(size)
    for dy, wy in ((0, 1.0 - fy), (1, fy)):
        for dx, wx in ((0, 1.0 - fx), (1, fx)):
            counts += np.bincount((iy + dy) * ax.n_bins + ix + dx, wy * wx, size)
    counts = counts.reshape(ay.n_bins, ax.n_bins)
    dens = ay.smooth(ax.smooth(counts, 1, h), 0, h) / n
    return np.maximum(dens, 0.0)


def data_density_2d(
    mixture: Mixture, grid_x: np.ndarray, grid_y: np.ndarray, bandwidth: float | None = None
) -> np.ndarray:
    """Exact p_data * N(0, h^2 I) on a 2D grid, shape (Gy, Gx).

    A convolution of Gaussians is Gaussian, so this is the mixture with each covariance
    plus h^2 I, evaluated at the grid points: no sampling error. Divergences between it and
    `hist_density_2d(samples, grid_x, grid_y, h)` measure the distance between the smoothed
    distributions, which by the data-processing inequality is a lower bound on the
    divergence between p_data and p_g themselves, and a consistent one (it goes to 0 only
    when p_g = p_data). It stays meaningful when components (std 0.02 in `ring8`) are far
    narrower than a grid cell, where the unsmoothed p_data could not be sampled on the grid.
    """
    gx = np.asarray(grid_x, dtype=np.float64)
    gy = np.asarray(grid_y, dtype=np.float64)
    h = _bandwidth_2d(gx, gy, bandwidth)
    mix = _smoothed_mixture(mixture, 2, h)
    xx, yy = np.meshgrid(gx, gy)
    return mix.density(np.stack([xx.ravel(), yy.ravel()], axis=1)).reshape(gy.size, gx.size)


def smoothed_mixture(mixture: Mixture, std: float) -> Mixture:
    """p_data convolved with N(0, std^2 I): the distribution of a data sample plus instance noise."""
    return _smoothed_mixture(mixture, mixture.dim, std)


def _smoothed_mixture(mixture: Mixture, dim: int, bandwidth: float) -> Mixture:
    if mixture.dim != dim:
        raise ValueError(f"mixture: expected {dim}D data (got {mixture.dim}D)")
    if not (math.isfinite(bandwidth) and bandwidth > 0):
        raise ValueError(f"bandwidth: must be a positive number (got {bandwidth})")
    return Mixture(mixture.means, mixture.covs + bandwidth**2 * np.eye(dim)[None], mixture.weights)


# -- Wasserstein-1 --------------------------------------------------------------------------
def w1_1d(samples: np.ndarray, mixture: Mixture, grid: np.ndarray | None = None) -> float:
    """W1 between the empirical distribution of 1D samples and the exact 1D mixture.

    W1 = integral |F_emp(x) - F_data(x)| dx, integrated interval by interval between the
    union of the sorted samples and a fine grid (`grid`, or 4001 points over the data's
    8-std bounds): F_emp is constant on each interval, F_data exact. The only error is the
    trapezoid rule on the smooth F_data; W1 itself carries the empirical sampling error,
    about 1 / sqrt(n). nan if any sample is not finite.
    """
    if mixture.dim != 1:
        raise ValueError(f"mixture: w1_1d needs 1D data (got {mixture.dim}D)")
    x = np.sort(_as_1d_samples(samples))
    if x.size == 0 or not np.all(np.isfinite(x)):
        return math.nan
    if grid is None:
        lo, hi = mixture.bounds(8.0)[0]
        grid = np.linspace(lo, hi, 4001)
    nodes = np.union1d(x, np.asarray(grid, dtype=np.float64))
    f_emp = np.searchsorted(x, nodes[:-1], side="right") / x.size  # its value on [node_i, node_i+1)
    f_data = mixture.cdf(nodes)
    gap = np.abs(f_emp - f_data[:-1]) + np.abs(f_emp - f_data[1:])
    return float(0.5 * np.sum(gap * np.diff(nodes)))


# -- modes ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModeCoverage:
    """Mode statistics of a sample set (VEEGAN / PacGAN protocol).

    modes_captured: components that are the nearest mean of at least `min_count` HQ samples.
    hq_frac: fraction of samples that are high quality.
    counts: (K,) high-quality samples per component.
    nearest: (n,) index of each sample's nearest component mean (Euclidean).
    """

    modes_captured: int
    hq_frac: float
    counts: np.ndarray
    nearest: np.ndarray


def mode_coverage(samples: np.ndarray, mixture: Mixture, n_std: float = 3.0, min_count: int = 1) -> ModeCoverage:
    """Which modes G covers, after Srivastava et al. 2017 (VEEGAN) and Lin et al. 2018 (PacGAN).

    Each sample is assigned to its nearest component mean (Euclidean). It is high quality
    (HQ) when its Mahalanobis distance to that component is at most n_std, which for
    isotropic components is the papers' 'within n_std standard deviations' rule and for
    elongated ones follows the ellipse. A mode is captured when at least `min_count` HQ
    samples are assigned to it (1 in VEEGAN; raise it to ignore stray samples).

    Note that even samples drawn from p_data are not all HQ: in 2D a 3-std disc holds
    1 - exp(-4.5) = 98.9 % of a Gaussian, in 1D 99.7 %. Non-finite samples are never HQ.
    """
    x = _as_points(samples, mixture.dim)
    k = mixture.n_components
    if x.shape[0] == 0:
        return ModeCoverage(0, 0.0, np.zeros(k, dtype=np.int64), np.zeros(0, dtype=np.int64))
    with np.errstate(invalid="ignore"):
        sq_dist = ((x[:, None, :] - mixture.means[None]) ** 2).sum(axis=2)
        nearest = np.argmin(np.nan_to_num(sq_dist, nan=np.inf), axis=1)
        maha = mixture.mahalanobis(x)[np.arange(x.shape[0]), nearest]
        hq = np.isfinite(maha) & (maha <= n_std)
    counts = np.bincount(nearest[hq], minlength=k)
    return ModeCoverage(
        modes_captured=int(np.sum(counts >= max(min_count, 1))),
        hq_frac=float(hq.mean()),
        counts=counts,
        nearest=nearest,
    )


def reverse_kl_modes(counts: np.ndarray, weights: np.ndarray) -> float:
    """KL(q || p) in nats between G's distribution of HQ samples over modes and the weights.

    q_k = counts_k / sum(counts) (the PacGAN / VEEGAN 'reverse KL' over modes); modes with
    no HQ sample add 0, so dropping modes shows up as q piling onto the others. Zero
    weights are floored at 1e-12. nan when there is no HQ sample at all (q is undefined).
    """
    c = np.asarray(counts, dtype=np.float64)
    p = np.asarray(weights, dtype=np.float64)
    if c.shape != p.shape or c.ndim != 1:
        raise ValueError(f"counts: need one count per mixture weight (shapes {c.shape} and {p.shape})")
    total = c.sum()
    if total <= 0:
        return math.nan
    q = c / total
    p = np.maximum(p / p.sum(), _Q_FLOOR)
    mask = q > 0
    return float(np.sum(q[mask] * np.log(q[mask] / p[mask])))


# -- discriminator ----------------------------------------------------------------------------
def discriminator_stats(
    real_logits: np.ndarray, fake_logits: np.ndarray, to_prob: Callable[[np.ndarray], np.ndarray],
    threshold: Optional[float] = 0.0, real_above: bool = True,
) -> dict[str, float]:
    """Mean D(x) on real and fake samples (through `to_prob`, e.g. `Loss.to_prob`) and D's accuracy.

    Accuracy reads the raw output at `threshold` (`Loss.accuracy_rule`: logit 0 = probability 1/2,
    LSGAN's score 0, the hinge critic's sign, an f-GAN's v where T = f'(1), an EBGAN energy's m/2):
    a real sample counts right on the real side (above the threshold, below it where `real_above` is
    False), a fake on the other, an output exactly at it half right. threshold None (a Wasserstein
    critic, whose constant is free): the midpoint of the mean real and mean fake outputs, which moves
    with that constant. The accuracy is the mean of the real and the fake accuracy, so chance stays
    0.5 when the two batches differ in size.
    """
    real = np.asarray(real_logits, dtype=np.float64).ravel()
    fake = np.asarray(fake_logits, dtype=np.float64).ravel()
    if real.size == 0 or fake.size == 0:
        raise ValueError("discriminator_stats: need at least one real and one fake output")
    with np.errstate(invalid="ignore", over="ignore"):
        t = 0.5 * (np.mean(real) + np.mean(fake)) if threshold is None else float(threshold)
    if np.isfinite(t):
        sign = 1.0 if real_above else -1.0
        r, f = sign * (real - t), sign * (fake - t)
        acc = 0.5 * (np.mean((r > 0) + 0.5 * (r == 0)) + np.mean((f < 0) + 0.5 * (f == 0)))
    else:       # a critic whose outputs blew up has no midpoint to read them at
        acc = math.nan
    return {
        "d_real": float(np.mean(to_prob(real))),
        "d_fake": float(np.mean(to_prob(fake))),
        "d_acc": float(acc),
    }
