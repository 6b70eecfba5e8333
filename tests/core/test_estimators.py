"""The metrics' estimators against truths computed independently: closed forms and Monte Carlo on exact densities."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree

from ganviz.core import estimators as E
from ganviz.core.data import Mixture, preset
from ganviz.core.losses import get_loss
from ganviz.core.reference_cases import CASES, get_case, truth, within

N = 20_000
LOG2 = math.log(2.0)


def samples(m: Mixture, n: int, seed: int) -> np.ndarray:
    return m.sample_numpy(n, np.random.default_rng(seed))[0]


def reference(m: Mixture, seed: int = 7) -> E.DataReference:
    return E.DataReference.draw(m, N, seed)


# -- the divergences on the reference cases --------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_divergences_at_20000_samples_are_within_5_percent_or_001_of_the_truth(case):
    # The truth here is computed from the exact densities of both mixtures (or a closed form),
    # never from the estimator.
    true = truth(case, n=300_000, seed=3)
    got = E.divergences(E.log_ratio(samples(case.generator(), N, 11), reference(case.data())))
    for key in ("js", "kl_g_data"):
        assert got[key].kind == E.ESTIMATE
        assert within(got[key].value, true[key]), (key, got[key].text(), true[key])
    kl = got["kl_data_g"]
    if case.misses_mass:
        # p_g misses p_data mass: the estimate cannot see it and is shown as a bound below the truth.
        assert kl.kind == E.LOWER_BOUND and kl.value < true["kl_data_g"]
        assert got["missed"].value > E.MISSED_LIMIT
        assert "beyond every G sample" in kl.note
    else:
        assert kl.kind == E.ESTIMATE and within(kl.value, true["kl_data_g"]), (kl.text(), true["kl_data_g"])
        assert got["missed"].value < E.MISSED_LIMIT


def test_missed_mass_is_the_mass_of_the_missing_modes():
    case = get_case("ring8-half")
    got = E.divergences(E.log_ratio(samples(case.generator(), N, 1), reference(case.data())))
    assert got["missed"].value == pytest.approx(0.5, abs=0.02)
    assert got["missed"].se == pytest.approx(math.sqrt(0.25 / N), rel=0.1)


def test_a_bounded_support_makes_kl_data_g_infinite_and_says_how_much_is_missed():
    # A uniform prior through a continuous G: p_g vanishes outside a bounded set, p_data does not.
    data = Mixture.isotropic([[0.0]], 1.0)
    x = np.random.default_rng(0).uniform(-1.5, 1.5, size=(N, 1))
    support = E.Support.of_generator(latent_dim=1, data_dim=1, prior="uniform")
    got = E.divergences(E.log_ratio(x, reference(data)), support)
    kl = got["kl_data_g"]
    assert kl.is_inf and kl.kind == E.EXACT and kl.text() == "inf" and kl.json() == "inf"
    outside = 2 * (1 - 0.5 * (1 + math.erf(1.5 / math.sqrt(2))))     # p_data mass beyond +-1.5
    assert got["missed"].value == pytest.approx(outside, abs=0.01)
    assert f"{got['missed'].value:.1%}" in kl.note
    # The other divergences stay finite estimates.
    assert got["js"].kind == E.ESTIMATE and 0 < got["js"].value < LOG2


def test_a_singular_generator_has_js_log2_and_infinite_kls():
    data = preset("ring8")
    support = E.Support.of_generator(latent_dim=1, data_dim=2, prior="gaussian")
    assert support.singular and not support.bounded
    x = samples(data, N, 0)     # whatever the samples: a curve in the plane has no density
    got = E.divergences(E.log_ratio(x, reference(data)), support)
    assert got["js"].value == LOG2 and got["js"].kind == E.EXACT
    assert got["kl_g_data"].is_inf and got["kl_data_g"].is_inf
    assert E.Support.of_generator(2, 2, "gaussian") == E.FULL


def test_atoms_of_g_make_the_reverse_kl_infinite():
    data = Mixture.isotropic([[0.0, 0.0]], 1.0)
    x = samples(data, N, 0)
    x[:500] = [0.3, -0.2]       # 2.5 % of G's mass on one point
    got = E.divergences(E.log_ratio(x, reference(data)))
    assert got["kl_g_data"].is_inf and "atoms" in got["kl_g_data"].note
    # JS stays finite: the atom adds log 2 per unit of its mass on G's side (closed form below).
    w = 0.025
    js = 0.5 * math.log(2 / (2 - w)) + 0.5 * (1 - w) * math.log(2 * (1 - w) / (2 - w)) + 0.5 * w * LOG2
    assert got["js"].value == pytest.approx(js, abs=0.004)


@pytest.mark.parametrize("case_id", ["ring8-wide", "grid25-exact"])
def test_standard_errors_match_the_spread_over_independent_draws(case_id):
    # At the app's sample size: with few samples per mode the k-NN terms of neighbours are correlated
    # and batch means see only part of the spread (grid25 at 4,000 samples: about half).
    case = get_case(case_id)
    data, gen = case.data(), case.generator()
    keys = ("js", "kl_data_g", "kl_g_data")
    values, ses = {k: [] for k in keys}, {k: [] for k in keys}
    for r in range(10):
        got = E.divergences(E.log_ratio(samples(gen, N, 200 + r), E.DataReference.draw(data, N, 100 + r)))
        for k in keys:
            values[k].append(got[k].value)
            ses[k].append(got[k].se)
    for k in keys:
        ratio = float(np.mean(ses[k])) / float(np.std(values[k], ddof=1))
        assert 0.55 < ratio < 1.8, (k, ratio)


# -- the exact p_data mass of a ball -----------------------------------------------------------------
def test_ball_mass_in_1d_is_the_cdf_difference():
    m = preset("trimodal1d")
    x = np.array([[-3.2], [0.1], [5.0]])
    r = np.array([0.3, 1.0, 0.05])
    sd = np.sqrt(m.covs[:, 0, 0])
    expect = [sum(w * (0.5 * math.erf((xi + ri - mu) / (s * math.sqrt(2))) - 0.5 * math.erf((xi - ri - mu) / (s * math.sqrt(2))))
                  for w, mu, s in zip(m.weights, m.means[:, 0], sd)) for (xi,), ri in zip(x, r)]
    np.testing.assert_allclose(np.exp(E.log_ball_mass(m, x, r)), expect, rtol=1e-8)


@pytest.mark.parametrize("name", ["grid25", "blobs2d"])
def test_ball_mass_in_2d_matches_a_monte_carlo_count(name):
    # grid25 is isotropic (non-central chi-square), blobs2d anisotropic (angle quadrature).
    m = preset(name)
    rng = np.random.default_rng(3)
    pts = samples(m, 40, 4) + rng.normal(scale=0.3, size=(40, 2))
    r = rng.uniform(0.05, 0.6, 40)
    y = samples(m, 1_000_000, 5)
    count = np.array([len(p) for p in cKDTree(y).query_ball_point(pts, r)]) / len(y)
    mass = np.exp(E.log_ball_mass(m, pts, r))
    se = np.sqrt(np.maximum(count, 1e-6) / len(y))
    assert np.all(np.abs(mass - count) <= 4 * se + 1e-5)


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(["ring8", "grid25", "blobs2d", "trimodal1d"]),
       x=st.floats(-6, 6), y=st.floats(-6, 6), r=st.floats(1e-4, 3.0), grow=st.floats(1.0, 4.0))
def test_ball_mass_is_a_probability_that_grows_with_the_radius(name, x, y, r, grow):
    m = preset(name)
    p = np.array([[x, y][:m.dim]])
    small, large = E.log_ball_mass(m, p, np.array([r]))[0], E.log_ball_mass(m, p, np.array([r * grow]))[0]
    assert small <= 1e-9 and large <= 1e-9
    assert large >= small - 1e-6


@pytest.mark.parametrize("x", [(1.5, 0.0), (-6.0, 6.0), (-3.0, 2.0), (0.5, -2.1)])
@pytest.mark.parametrize("r", [1e-3, 0.05, 0.3, 1.0])
def test_anisotropic_disc_mass_matches_a_fine_grid_even_deep_in_the_tail(x, r):
    """blobs2d's tilted components take the angle-quadrature path; log masses down to -280 must hold."""
    from scipy.special import logsumexp
    m = preset("blobs2d")
    g = np.linspace(-r, r, 1201)
    gx, gy = np.meshgrid(g, g)
    inside = gx**2 + gy**2 <= r * r
    pts = np.stack([gx[inside] + x[0], gy[inside] + x[1]], axis=1)
    grid = logsumexp(m.log_density(pts)) + 2 * np.log(g[1] - g[0])
    assert E.log_ball_mass(m, np.array([x]), np.array([r]))[0] == pytest.approx(grid, abs=5e-3)


def test_far_from_the_data_the_ball_mass_is_the_density_times_the_volume():
    m = preset("ring8")
    x = np.array([[40.0, 40.0]])
    r = np.array([0.01])
    assert E.log_ball_mass(m, x, r)[0] == pytest.approx(m.log_density(x)[0] + math.log(math.pi * 1e-4), rel=1e-6)


# -- W1 -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shift", [0.2, 1.0])
def test_w1_in_1d_of_shifted_data_is_the_shift(shift):
    m = Mixture.isotropic([[0.0]], 1.0)
    x = samples(m, N, 0) + shift
    got = E.w1(x, m)
    assert got.value == pytest.approx(shift, abs=3 * got.se + 0.005)
    assert 0 < got.se < 0.02


def test_sliced_w1_of_a_shift_is_two_over_pi_of_it_and_a_perfect_g_reads_its_stated_floor():
    m = preset("grid25")
    v = np.array([0.3, -0.4])          # |v| = 0.5
    got = E.w1(samples(m, N, 1) + v, m)
    assert got.value == pytest.approx(2 / math.pi * 0.5, abs=3 * got.se + 0.01)
    floor = E.perfect_g_w1(m, N)
    exact = E.w1(samples(m, N, 2), m)
    assert floor < 0.04 and exact.value < 0.04
    assert abs(exact.value - floor) < 4 * exact.se + 0.01


# -- D against D* --------------------------------------------------------------------------------------
@pytest.mark.parametrize("case_id", ["ring8-wide", "1d-shift", "bimodal1d-one"])
def test_d_gap_reads_near_zero_for_the_optimal_d_and_the_offset_of_a_shifted_one(case_id):
    case = get_case(case_id)
    data, gen = case.data(), case.generator()
    ref = reference(data)
    x = samples(gen, N, 3)
    lr = E.log_ratio(x, ref)
    loss = get_loss("minimax")

    def exact_d_star(pts):
        return 1.0 / (1.0 + np.exp(gen.log_density(pts) - data.log_density(pts)))

    n = 5_000
    part = E.LogRatio(lr.at_g[:n], lr.at_data[:n], lr.missed[:n], lr.k)
    dx, dy = exact_d_star(x[:n]), exact_d_star(ref.y[:n])
    optimum = lambda pd, pg: loss.optimal_d(pd, pg)     # noqa: E731
    assert E.d_gap(part, dx, dy, optimum).value < 0.025
    off = E.d_gap(part, np.clip(dx + 0.05, 0, 1), np.clip(dy + 0.05, 0, 1), optimum)
    rms = math.sqrt(0.5 * np.mean((np.clip(dx + 0.05, 0, 1) - dx) ** 2) + 0.5 * np.mean((np.clip(dy + 0.05, 0, 1) - dy) ** 2))
    assert off.value == pytest.approx(rms, abs=0.005)
    half = E.d_gap(part, np.full(n, 0.5), np.full(n, 0.5), optimum)
    rms_half = math.sqrt(0.5 * np.mean((0.5 - dx) ** 2) + 0.5 * np.mean((0.5 - dy) ** 2))
    assert half.value == pytest.approx(rms_half, abs=0.01)


def test_label_smoothing_moves_the_optimum_the_gap_is_measured_against():
    data, gen = get_case("1d-shift").data(), get_case("1d-shift").generator()
    ref = reference(data)
    x = samples(gen, N, 4)
    lr = E.log_ratio(x, ref)
    n = 5_000
    part = E.LogRatio(lr.at_g[:n], lr.at_data[:n], lr.missed[:n], lr.k)
    loss = get_loss("ns")
    d = lambda p: 0.9 / (1 + np.exp(gen.log_density(p) - data.log_density(p)))    # noqa: E731
    smoothed = E.d_gap(part, d(x[:n]), d(ref.y[:n]), lambda pd, pg: loss.optimal_d(pd, pg, 0.1))
    plain = E.d_gap(part, d(x[:n]), d(ref.y[:n]), lambda pd, pg: loss.optimal_d(pd, pg, 0.0))
    assert smoothed.value < 0.02 < plain.value


# -- modes and the whole measurement ------------------------------------------------------------------
def test_mode_statistics_are_the_first_2500_and_their_error_the_spread_over_the_other_sets():
    m = preset("ring8")
    x = samples(m, N, 5)
    stats, counts = E.mode_stats(x, m)
    assert stats["modes"].value == 8 and stats["modes"].se == 0.0
    assert counts.sum() <= E.MODE_SET
    assert 0.97 < stats["hq_frac"].value < 1.0
    # 98.9 % of an isotropic 2D Gaussian lies within 3 std: the binomial spread of 2,500 samples.
    assert stats["hq_frac"].se == pytest.approx(math.sqrt(0.989 * 0.011 / E.MODE_SET), rel=0.5)


def test_measure_rejects_samples_of_the_wrong_shape_or_with_nan():
    ref = reference(preset("ring8"))
    with pytest.raises(ValueError, match="shape"):
        E.measure(np.zeros((100, 3)), ref)
    bad = samples(preset("ring8"), 1000, 0)
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        E.measure(bad, ref)


def test_estimates_print_what_they_are():
    assert E.Estimate(0.1234, 0.0041).text() == "0.123 \u00b1 0.0041"
    assert E.Estimate(4.851, 0.1, E.LOWER_BOUND).text() == "\u2265 4.85"
    assert E.Estimate(math.inf, kind=E.EXACT).text() == "inf"
    assert E.Estimate(LOG2, kind=E.EXACT).text() == "0.693"
    assert E.NAN.text() == "\u2013" and E.NAN.json() is None
