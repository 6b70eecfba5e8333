"""Metrics against closed forms: Gaussian KL, Jensen-Shannon bounds, W1 of shifts, mode counts."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ganviz.core import data
from ganviz.core import metrics as M
from ganviz.core.losses import get_loss

LOG2 = math.log(2.0)


def gauss_pdf(x: np.ndarray, mu: float, sd: float) -> np.ndarray:
    return np.exp(-0.5 * ((x - mu) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))


def kl_gauss(m1: float, s1: float, m2: float, s2: float) -> float:
    """KL(N(m1, s1^2) || N(m2, s2^2))."""
    return math.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5


def normal_quantiles(n: int, mu: float, sd: float) -> np.ndarray:
    """n evenly spread quantiles of N(mu, sd^2): a sample set free of sampling noise."""
    u = torch.from_numpy((np.arange(n) + 0.5) / n)
    return mu + sd * torch.special.ndtri(u).numpy()


GRID = np.linspace(-10.0, 10.0, 2001)
DX = GRID[1] - GRID[0]


# -- divergences from exact densities --------------------------------------------------------


# -- 1D kernel density --------------------------------------------------------------------------


@pytest.mark.parametrize("bandwidth", [None, 0.3])
def test_kde_integrates_to_one_with_the_sample_mean_and_variance_plus_h2(bandwidth):
    x = np.random.default_rng(1).normal(0.5, 1.3, 30_000)
    p = M.kde_1d(x, GRID, bandwidth)
    h = M.kde_bandwidth(x, GRID) if bandwidth is None else bandwidth
    mass = p.sum() * DX
    mean = (GRID * p).sum() * DX
    var = ((GRID - mean) ** 2 * p).sum() * DX
    assert mass == pytest.approx(1.0, abs=1e-6)
    assert mean == pytest.approx(x.mean(), abs=1e-4)
    assert var == pytest.approx(x.var() + h**2, abs=0.1 * h**2)


def test_kde_equals_the_direct_kernel_sum():
    x = np.random.default_rng(2).normal(0.5, 0.7, 300)
    h = 0.2
    direct = gauss_pdf(GRID[:, None], x[None], h).mean(axis=1)
    assert np.max(np.abs(M.kde_1d(x, GRID, h) - direct)) < 1e-3 * direct.max()


def test_kde_of_a_collapsed_generator_is_finite_and_normalised():
    for x in (np.full(5000, 0.3), 0.3 + 1e-9 * np.random.default_rng(0).standard_normal(5000)):
        p = M.kde_1d(x[:, None], GRID)
        assert np.all(np.isfinite(p))
        assert p.sum() * DX == pytest.approx(1.0, abs=1e-6)
        assert GRID[np.argmax(p)] == pytest.approx(0.3, abs=DX)


def test_kde_mass_outside_the_grid_is_absent_not_renormalised():
    x = np.concatenate([np.random.default_rng(4).normal(0.0, 1.0, 10_000), np.full(10_000, 100.0)])
    p = M.kde_1d(x, GRID)
    assert p.sum() * DX == pytest.approx(0.5, abs=1e-3)


def test_kde_rejects_an_uneven_grid():
    with pytest.raises(ValueError, match="evenly spaced"):
        M.kde_1d(np.zeros(10), np.array([0.0, 1.0, 3.0]))


def test_data_density_1d_is_the_mixture_widened_by_the_bandwidth():
    mix = data.Mixture.isotropic([[-1.0], [2.0]], [0.3, 0.5], [0.25, 0.75])
    h = 0.2
    expected = 0.25 * gauss_pdf(GRID, -1.0, math.hypot(0.3, h)) + 0.75 * gauss_pdf(GRID, 2.0, math.hypot(0.5, h))
    np.testing.assert_allclose(M.data_density_1d(mix, GRID, h), expected, rtol=1e-9, atol=1e-300)


# -- Wasserstein-1 --------------------------------------------------------------------------------
@pytest.mark.parametrize("mu", [0.7, -1.5])
def test_w1_1d_of_a_shifted_gaussian_is_the_shift(mu):
    mix = data.Mixture.isotropic([[0.0]], 1.0)
    x = np.random.default_rng(5).normal(mu, 1.0, 20_000)
    assert M.w1_1d(x, mix) == pytest.approx(abs(mu), abs=0.03)


def test_w1_1d_of_a_point_mass_is_the_mean_absolute_deviation():
    mix = data.Mixture.isotropic([[0.0]], 1.0)
    assert M.w1_1d(np.zeros(1000), mix) == pytest.approx(math.sqrt(2 / math.pi), rel=1e-4)
    assert M.w1_1d(normal_quantiles(20_000, 0.0, 1.0), mix) < 2e-3


# -- 2D densities --------------------------------------------------------------------------------
def ring_grid(n: int = 200) -> tuple[data.Mixture, np.ndarray, np.ndarray, float]:
    mix = data.preset("ring8")
    (x0, x1), (y0, y1) = mix.bounds()
    gx, gy = np.linspace(x0, x1, n), np.linspace(y0, y1, n + 20)
    return mix, gx, gy, (gx[1] - gx[0]) * (gy[1] - gy[0])


def test_data_density_2d_integrates_to_one_and_is_the_widened_gaussian():
    mix, gx, gy, cell = ring_grid()
    h = 0.05
    p = M.data_density_2d(mix, gx, gy, h)
    assert p.shape == (gy.size, gx.size)
    assert p.sum() * cell == pytest.approx(1.0, abs=1e-4)
    var = 0.02**2 + h**2
    xx, yy = np.meshgrid(gx, gy)
    expected = sum(
        np.exp(-0.5 * ((xx - mx) ** 2 + (yy - my) ** 2) / var) / (2 * math.pi * var) / 8 for mx, my in mix.means
    )
    np.testing.assert_allclose(p, expected, rtol=1e-9, atol=1e-12)


def test_hist_density_2d_puts_mass_where_the_samples_are():
    _, gx, gy, cell = ring_grid()
    point = np.array([[1.0, -2.0]])
    p = M.hist_density_2d(np.repeat(point, 100, axis=0), gx, gy)
    row, col = np.unravel_index(np.argmax(p), p.shape)
    assert gy[row] == pytest.approx(-2.0, abs=gy[1] - gy[0])
    assert gx[col] == pytest.approx(1.0, abs=gx[1] - gx[0])
    assert p.sum() * cell == pytest.approx(1.0, abs=1e-6)
    half_outside = np.array([[1.0, -2.0], [50.0, 0.0]])
    assert M.hist_density_2d(half_outside, gx, gy).sum() * cell == pytest.approx(0.5, abs=1e-6)


# -- modes ----------------------------------------------------------------------------------------
def test_samples_from_ring8_cover_all_modes():
    mix = data.preset("ring8")
    x, labels = mix.sample_numpy(2500, np.random.default_rng(14))
    cov = M.mode_coverage(x, mix)
    assert cov.modes_captured == 8
    # A 3-std disc holds 1 - exp(-9/2) of a 2D Gaussian; the binomial sd at n = 2500 is 0.002.
    assert cov.hq_frac == pytest.approx(1 - math.exp(-4.5), abs=0.007)
    np.testing.assert_array_equal(cov.nearest, labels)
    assert cov.counts.sum() == round(cov.hq_frac * 2500)


def test_samples_from_three_components_cover_three_modes():
    ring = data.preset("ring8")
    part = data.Mixture(ring.means[[0, 3, 5]], ring.covs[[0, 3, 5]], np.ones(3))
    x, _ = part.sample_numpy(2500, np.random.default_rng(15))
    cov = M.mode_coverage(x, ring)
    assert cov.modes_captured == 3
    assert set(np.flatnonzero(cov.counts)) == {0, 3, 5}


def test_collapsed_and_lost_generators():
    ring = data.preset("ring8")
    at_one = M.mode_coverage(np.repeat(ring.means[2:3], 500, axis=0), ring)
    assert (at_one.modes_captured, at_one.hq_frac) == (1, 1.0)
    assert at_one.counts[2] == 500
    far = M.mode_coverage(np.full((500, 2), 10.0), ring)
    assert (far.modes_captured, far.hq_frac) == (0, 0.0)
    assert far.counts.sum() == 0
    # Midway between two neighbouring modes: nearest to one of them, but 38 std away.
    between = M.mode_coverage(0.5 * (ring.means[:1] + ring.means[1:2]), ring)
    assert between.modes_captured == 0 and between.nearest[0] in (0, 1)


def test_min_count_ignores_modes_with_a_few_stray_samples():
    ring = data.preset("ring8")
    x = np.concatenate([np.repeat(ring.means[:1], 5, axis=0), np.repeat(ring.means[1:2], 100, axis=0)])
    assert M.mode_coverage(x, ring).modes_captured == 2
    assert M.mode_coverage(x, ring, min_count=10).modes_captured == 1


def test_high_quality_follows_the_ellipse_of_an_anisotropic_component():
    blobs = data.preset("blobs2d")
    eigval, eigvec = np.linalg.eigh(blobs.covs[0])
    short, long_ = eigvec[:, 0], eigvec[:, 1]
    r = 2.0 * math.sqrt(eigval[1])  # 2 std along the long axis
    along_long = blobs.means[0] + r * long_
    along_short = blobs.means[0] + r * short  # the same distance is r / short std = 8 std here
    assert r / math.sqrt(eigval[0]) > 3.0
    cov = M.mode_coverage(np.stack([along_long, along_short]), blobs)
    np.testing.assert_array_equal(cov.nearest, [0, 0])
    assert cov.hq_frac == 0.5
    assert cov.counts[0] == 1


def test_mode_coverage_rejects_samples_of_the_wrong_dimension():
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        M.mode_coverage(np.zeros((10, 3)), data.preset("ring8"))


def test_reverse_kl_over_modes():
    w = np.array([0.5, 0.3, 0.2])
    assert M.reverse_kl_modes(np.array([50, 30, 20]), w) == pytest.approx(0.0, abs=1e-12)
    assert M.reverse_kl_modes(np.array([0, 7, 0]), w) == pytest.approx(-math.log(0.3), rel=1e-12)
    # Half of eight equal modes, evenly: q = 1/4 on four of them.
    assert M.reverse_kl_modes(np.array([3, 3, 3, 3, 0, 0, 0, 0]), np.full(8, 1 / 8)) == pytest.approx(LOG2)
    assert math.isnan(M.reverse_kl_modes(np.zeros(3), w))


# -- discriminator --------------------------------------------------------------------------------
def test_discriminator_stats():
    real = np.array([2.0, -1.0, 0.0, 3.0])
    fake = np.array([-2.0, 1.0, -3.0])
    stats = M.discriminator_stats(real, fake, get_loss("ns").to_prob)
    sig = lambda v: 1.0 / (1.0 + math.exp(-v))  # noqa: E731
    assert stats["d_real"] == pytest.approx(np.mean([sig(v) for v in real]), rel=1e-12)
    assert stats["d_fake"] == pytest.approx(np.mean([sig(v) for v in fake]), rel=1e-12)
    assert stats["d_acc"] == pytest.approx(0.5 * (2.5 / 4 + 2 / 3), rel=1e-12)
    flat = M.discriminator_stats(np.zeros(8), np.zeros(8), get_loss("wgan").to_prob)
    assert flat == {"d_real": 0.0, "d_fake": 0.0, "d_acc": 0.5}


def test_a_critic_that_blew_up_has_no_accuracy_and_says_nothing_on_stderr():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # numpy's 'invalid value encountered in subtract' fails here
        stats = M.discriminator_stats(np.array([np.inf, 1.0]), np.array([-np.inf, 0.0]), get_loss("wgan").to_prob,
                                       threshold=None)
        assert math.isnan(stats["d_acc"])
        # at a fixed threshold the infinite outputs are still on a side
        ns = M.discriminator_stats(np.array([np.inf, 1.0]), np.array([-np.inf, -1.0]), get_loss("ns").to_prob)
        assert ns["d_acc"] == 1.0


def test_hist_density_2d_of_one_gaussian_matches_it_widened_by_the_kernel():
    mix = data.Mixture.isotropic([[0.4, -0.3]], 0.5)
    gx, gy = np.linspace(-4, 4, 161), np.linspace(-4, 4, 161)
    cell = (gx[1] - gx[0]) ** 2
    h = 0.15
    x, _ = mix.sample_numpy(50_000, np.random.default_rng(12))
    p = M.hist_density_2d(x, gx, gy, h)
    sd2 = 0.5**2 + h**2
    mean_x = (p.sum(axis=0) * gx).sum() * cell
    var_y = (p.sum(axis=1) * (gy - x[:, 1].mean()) ** 2).sum() * cell
    assert mean_x == pytest.approx(x[:, 0].mean(), abs=1e-3)
    assert var_y == pytest.approx(x[:, 1].var() + h**2, rel=0.01)
    xx, yy = np.meshgrid(gx, gy)
    exact = np.exp(-0.5 * ((xx - 0.4) ** 2 + (yy + 0.3) ** 2) / sd2) / (2 * math.pi * sd2)
    assert np.abs(exact - p).max() < 0.06 * exact.max()
