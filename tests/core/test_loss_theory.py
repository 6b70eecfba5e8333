"""The registry's claims about D* (`value_at_d_star`, `gradient_follows`), checked by quadrature.

Setting: 1D densities on a fine grid. p_data is a two-Gaussian mixture (so nothing is symmetric by
accident) and p_g = N(theta, 1). For each loss, D* comes from the registry (`optimal_d`, read back
into raw outputs by `from_prob`) and G's loss from the registry's torch twin `g_loss_elem` (ganviz.core.loss_fns), so what is
checked is ganviz's loss, not a formula copied into the test.

- Value: E_{p_g}[g_loss(D*(x))] against the closed form the text states, each divergence computed
  from its definition.
- Gradient: "G's gradient at D*" is d/dtheta E_{p_g_theta}[g_loss(D*_theta0(x))] at theta0 with D
  held at theta0's optimum (what a G step sees). It is computed exactly by the score function,
  d p_g / d theta = (x - theta) p_g, and compared with a central difference of the stated divergence.
Every check also asserts that the registry's text names what it verifies, so the text and the
check cannot drift apart.
"""
import math

import numpy as np
import pytest
import torch

from ganviz.core.loss_fns import TORCH_LOSSES
from ganviz.core.losses import LOSSES

X = np.linspace(-10.0, 10.0, 40001)
DX = float(X[1] - X[0])
THETA0 = 0.8          # p_g's mean: off the data's, so every gradient below is far from 0
H = 1e-4              # central-difference step in theta


def normal(x, mean, sd):
    return np.exp(-0.5 * ((x - mean) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))


P_DATA = 0.6 * normal(X, -1.0, 1.0) + 0.4 * normal(X, 1.5, 0.8)


def p_g(theta):
    return normal(X, theta, 1.0)


def integral(f):
    return float(np.sum(f) * DX)


def kl(p, q):
    return integral(p * np.log(p / q))


def jsd(p, q):
    m = 0.5 * (p + q)
    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


def tv(p, q):
    return 0.5 * integral(np.abs(p - q))


def w1(p, q):
    # In 1D, W_1 is the area between the two CDFs.
    return integral(np.abs(np.cumsum(p) * DX - np.cumsum(q) * DX))


def d_star_outputs(lid, pg, pd=P_DATA):
    """D* of the loss's own D objective, as the raw outputs G's loss reads."""
    loss = LOSSES[lid]
    return loss.raw_from_display(loss.optimal_d(pd, pg))


def g_loss_at(lid, outputs):
    return TORCH_LOSSES[lid].g_loss_elem(torch.from_numpy(np.asarray(outputs, dtype=np.float64))).numpy()


def value_at_d_star(lid, theta):
    pg = p_g(theta)
    return integral(pg * g_loss_at(lid, d_star_outputs(lid, pg)))


def g_step_gradient(lid, theta0, outputs=None):
    """d/dtheta of G's loss at theta0 with D fixed at theta0's D* (the score-function identity)."""
    pg = p_g(theta0)
    if outputs is None:
        outputs = d_star_outputs(lid, pg)
    return integral((X - theta0) * pg * g_loss_at(lid, outputs))


def derivative(f, theta0=THETA0):
    return (f(theta0 + H) - f(theta0 - H)) / (2 * H)


def test_the_grid_resolves_the_densities():
    # Guards the quadrature itself: both densities integrate to 1 and vanish at the grid's ends,
    # and D* stays inside the range where the ML loss is still exp(logit) (no linear continuation).
    assert integral(P_DATA) == pytest.approx(1.0, abs=1e-9)
    assert integral(p_g(THETA0)) == pytest.approx(1.0, abs=1e-9)
    assert max(P_DATA[0], P_DATA[-1], p_g(THETA0)[-1]) < 1e-12
    assert np.abs(d_star_outputs("ml", p_g(THETA0))).max() < 30


# -- value of G's loss at D* ----------------------------------------------------------------------

@pytest.mark.parametrize("theta", [-1.0, 0.3, THETA0])
def test_minimax_value_is_g_term_of_the_jensen_shannon_game(theta):
    pg = p_g(theta)
    m = 0.5 * (P_DATA + pg)
    assert value_at_d_star("minimax", theta) == pytest.approx(kl(pg, m) - math.log(2), abs=1e-8)
    # With D's term E_x[log D*(x)] added, the game's value is C(G) = -log 4 + 2 JSD.
    d_term = integral(P_DATA * np.log(LOSSES["minimax"].optimal_d(P_DATA, pg)))
    assert d_term + value_at_d_star("minimax", theta) == pytest.approx(-math.log(4) + 2 * jsd(P_DATA, pg), abs=1e-8)
    text = LOSSES["minimax"].value_at_d_star
    assert "KL(p_g || m) - log 2" in text and "-log 4 + 2 JSD(p_data || p_g)" in text


@pytest.mark.parametrize("theta", [-1.0, 0.3, THETA0])
def test_ns_value_is_not_kl_minus_two_jsd(theta):
    pg = p_g(theta)
    m = 0.5 * (P_DATA + pg)
    value = value_at_d_star("ns", theta)
    assert value == pytest.approx(kl(pg, P_DATA) - kl(pg, m) + math.log(2), abs=1e-8)
    # The quantity the old table gave as the value is off by far more than the quadrature error.
    assert abs(value - (kl(pg, P_DATA) - 2 * jsd(P_DATA, pg))) > 0.1
    assert "KL(p_g || p_data) - KL(p_g || m) + log 2" in LOSSES["ns"].value_at_d_star


@pytest.mark.parametrize("theta", [-1.0, 0.3, THETA0])
def test_logratio_value_is_reverse_kl(theta):
    assert value_at_d_star("logratio", theta) == pytest.approx(kl(p_g(theta), P_DATA), abs=1e-8)
    assert "KL(p_g || p_data)" in LOSSES["logratio"].value_at_d_star


@pytest.mark.parametrize("theta", [-1.0, 0.3, THETA0, 2.0])
def test_ml_value_is_the_constant_minus_one(theta):
    assert value_at_d_star("ml", theta) == pytest.approx(-1.0, abs=1e-8)
    assert "-1 for every G" in LOSSES["ml"].value_at_d_star


@pytest.mark.parametrize("theta", [-1.0, 0.3, THETA0])
def test_lsgan_value_with_and_without_maos_data_term(theta):
    pg = p_g(theta)
    score = (P_DATA - pg) / (P_DATA + pg)          # D* in LSGAN's score units (a = -1, b = 1)
    np.testing.assert_allclose(d_star_outputs("lsgan", pg), score, atol=1e-12)
    assert value_at_d_star("lsgan", theta) == pytest.approx(0.5 * integral(pg * score**2), abs=1e-10)
    # Mao et al.'s G loss adds 1/2 E_x[(D(x) - c)^2] with c = 0; then the value is the chi^2 form.
    mao = value_at_d_star("lsgan", theta) + 0.5 * integral(P_DATA * score**2)
    assert mao == pytest.approx(0.5 * integral((P_DATA - pg) ** 2 / (P_DATA + pg)), abs=1e-10)
    text = LOSSES["lsgan"].value_at_d_star
    assert "1/2 E_{p_g}[(D*)^2]" in text and "1/2 ∫(p_data - p_g)^2/(p_data + p_g)" in text


@pytest.mark.parametrize("theta", [-1.0, 0.3, THETA0])
def test_hinge_value_and_d_objective_at_d_star(theta):
    pg = p_g(theta)
    value = value_at_d_star("hinge", theta)
    assert value == pytest.approx(integral(pg * (pg > P_DATA)) - integral(pg * (P_DATA > pg)), abs=1e-8)
    d_star = LOSSES["hinge"].optimal_d(P_DATA, pg)
    d_objective = integral(P_DATA * np.maximum(0, 1 - d_star) + pg * np.maximum(0, 1 + d_star))
    assert d_objective == pytest.approx(2 - 2 * tv(P_DATA, pg), abs=1e-8)
    text = LOSSES["hinge"].value_at_d_star
    assert "P_g(p_g > p_data) - P_g(p_data > p_g)" in text and "2 - 2 TV(p_data, p_g)" in text


@pytest.mark.parametrize("theta", [-1.0, 0.3, THETA0])
@pytest.mark.parametrize("margin", [1.0, 2.5])
def test_ebgan_value_and_d_objective_at_the_optimal_energy(theta, margin):
    pg = p_g(theta)
    e_star = LOSSES["ebgan"].optimal_d(P_DATA, pg, margin=margin)
    value = integral(pg * g_loss_at("ebgan", e_star))
    assert value == pytest.approx(margin * integral(pg * (pg > P_DATA)), abs=1e-8)
    d_objective = integral(P_DATA * e_star + pg * np.maximum(margin - e_star, 0.0))
    assert d_objective == pytest.approx(margin * (1 - tv(P_DATA, pg)), abs=1e-8)
    assert d_objective < margin - 1e-3          # below m while p_g differs from p_data
    text = LOSSES["ebgan"].value_at_d_star
    assert "m P_g(p_g > p_data)" in text and "m (1 - TV(p_data, p_g))" in text


@pytest.mark.parametrize("gamma", [0.0, 0.4, 1.0])
def test_ebgan_at_p_g_equal_p_data_any_constant_energy_up_to_m_is_optimal_with_value_m(gamma):
    # Zhao et al. 2017, Thm 1-2: at the equilibrium p_g = p_data, D's objective is m, reached by any constant
    # energy gamma in [0, m], and no D does better (pointwise, p (E + max(m - E, 0)) >= p m).
    m, pg = 1.0, P_DATA
    constant = integral(P_DATA * gamma + pg * max(m - gamma, 0.0))
    assert constant == pytest.approx(m, abs=1e-9)
    rng = np.random.default_rng(0)
    for _ in range(5):
        e = rng.uniform(0.0, 3.0, size=X.shape)
        assert integral(P_DATA * e + pg * np.maximum(m - e, 0.0)) >= m - 1e-9
    assert "γ in [0, m]" in LOSSES["ebgan"].value_at_d_star


# -- G's gradient at D* ---------------------------------------------------------------------------

# loss id -> (the divergence its G step at D* follows, as a function of theta; the text naming it)
GRADIENT_FOLLOWS = {
    "minimax": (lambda t: 2 * jsd(P_DATA, p_g(t)), "2 JSD(p_data || p_g)"),
    "ns": (lambda t: kl(p_g(t), P_DATA) - 2 * jsd(P_DATA, p_g(t)), "KL(p_g || p_data) - 2 JSD(p_data || p_g)"),
    "logratio": (lambda t: kl(p_g(t), P_DATA), "KL(p_g || p_data)"),
    "ml": (lambda t: kl(P_DATA, p_g(t)), "KL(p_data || p_g)"),
    "hinge": (lambda t: 2 * tv(P_DATA, p_g(t)), "2 TV(p_data, p_g)"),
    # with the default margin m = 1 (optimal_d's)
    "ebgan": (lambda t: tv(P_DATA, p_g(t)), "m TV(p_data, p_g)"),
    # The f-GAN family's saddle objective: at T*, G's step follows D_f(p_data || p_g) itself.
    "fgan-kl": (lambda t: kl(P_DATA, p_g(t)), "KL(p_data || p_g)"),
    "fgan-rkl": (lambda t: kl(p_g(t), P_DATA), "KL(p_g || p_data)"),
    "fgan-pearson": (lambda t: pearson(P_DATA, p_g(t)), "chi^2(p_data || p_g) = ∫(p_data - p_g)^2 / p_g"),
    "fgan-hellinger": (lambda t: hellinger2(P_DATA, p_g(t)), "∫(√p_data - √p_g)^2"),
    "fgan-js": (lambda t: 2 * jsd(P_DATA, p_g(t)), "2 JSD(p_data || p_g)"),
    "fgan-gan": (lambda t: 2 * jsd(P_DATA, p_g(t)) - math.log(4), "2 JSD(p_data || p_g) - log 4"),
}

# The f-GAN family's value at T*: D_f(p_data || p_g) - E_{p_data}[T*], D_f from its definition.
F_DIVERGENCE = {
    "fgan-kl": (lambda pg: kl(P_DATA, pg), "KL(p_data || p_g) - E_{p_data}[T*]"),
    "fgan-rkl": (lambda pg: kl(pg, P_DATA), "KL(p_g || p_data) - E_{p_data}[T*]"),
    "fgan-pearson": (lambda pg: pearson(P_DATA, pg), "chi^2(p_data || p_g) - E_{p_data}[T*]"),
    "fgan-hellinger": (lambda pg: hellinger2(P_DATA, pg), "∫(√p_data - √p_g)^2 - E_{p_data}[T*]"),
    "fgan-js": (lambda pg: 2 * jsd(P_DATA, pg), "2 JSD(p_data || p_g) - E_{p_data}[T*]"),
    "fgan-gan": (lambda pg: 2 * jsd(P_DATA, pg) - math.log(4), "2 JSD(p_data || p_g) - log 4 - E_{p_data}[T*]"),
}


def pearson(p, q):
    return integral((p - q) ** 2 / q)


def hellinger2(p, q):
    return integral((np.sqrt(p) - np.sqrt(q)) ** 2)


@pytest.mark.parametrize("lid", list(F_DIVERGENCE))
@pytest.mark.parametrize("theta", [-1.0, 0.3, THETA0])
def test_f_gan_value_at_the_optimal_critic(lid, theta):
    pg = p_g(theta)
    divergence, text = F_DIVERGENCE[lid]
    t_star = LOSSES[lid].optimal_d(P_DATA, pg)
    assert value_at_d_star(lid, theta) == pytest.approx(divergence(pg) - integral(P_DATA * t_star), abs=1e-7)
    assert text in LOSSES[lid].value_at_d_star
    # and D's objective at T* is the divergence (the variational bound is tight there)
    assert integral(P_DATA * t_star) + value_at_d_star(lid, theta) == pytest.approx(divergence(pg), abs=1e-7)


@pytest.mark.parametrize("lid", list(GRADIENT_FOLLOWS))
def test_g_step_at_d_star_follows_the_stated_divergence(lid):
    divergence, text = GRADIENT_FOLLOWS[lid]
    step, expect = g_step_gradient(lid, THETA0), derivative(divergence)
    assert abs(expect) > 0.05, "the check needs a gradient well away from 0"
    # TV has kinks where the densities cross, so its central difference is the least exact.
    assert step == pytest.approx(expect, rel=1e-3)
    assert LOSSES[lid].gradient_follows.startswith(text)


def test_ml_gradient_is_not_the_gradient_of_its_value():
    # The value is constant (-1), yet G's step at D* is forward KL's gradient, far from 0.
    assert derivative(lambda t: value_at_d_star("ml", t)) == pytest.approx(0.0, abs=1e-6)
    assert abs(g_step_gradient("ml", THETA0)) > 0.1


def test_lsgan_g_step_is_not_the_chi_square_gradient():
    chi2 = lambda t: 0.5 * integral((P_DATA - p_g(t)) ** 2 / (P_DATA + p_g(t)))   # Mao's C(G)
    # With D fixed, Mao's E_x[D(x)^2] term does not depend on theta, so this step is also the step of
    # Mao's G loss; the torch `g_loss_elem` is all there is to differentiate.
    step = g_step_gradient("lsgan", THETA0)
    assert abs(derivative(chi2)) > 0.05
    # The step is nowhere near chi^2's gradient; in this setting it even points the other way.
    assert abs(step - derivative(chi2)) > 0.5 * abs(derivative(chi2))
    assert step * derivative(chi2) < 0
    # Nor is it the gradient of ganviz's own value at D* (D and G minimise different objectives).
    own = derivative(lambda t: value_at_d_star("lsgan", t))
    assert abs(step - own) > 0.5 * abs(step)
    text = LOSSES["lsgan"].gradient_follows
    assert text.startswith("no divergence") and "not that chi^2's gradient" in text


def test_lsgan_g_step_at_d_star_can_leave_p_data():
    # Two atoms, p_data = (0.3, 0.7), p_g = (0.3 + e, 0.7 - e). With D re-optimised at every step,
    # G's gradient in e is 1/2 (D*_1^2 - D*_2^2), and D*_1^2 outweighs D*_2^2 on both sides of
    # e = 0: from e < 0 a descent step moves p_g further from p_data. p_g = p_data is a stationary
    # point but a saddle, which no divergence has. Minimax, for contrast, pulls back from both sides.
    pd = np.array([0.3, 0.7])

    def g_grad(lid, e):
        pg = pd + np.array([e, -e])
        per_atom = g_loss_at(lid, d_star_outputs(lid, pg, pd))
        return float(per_atom[0] - per_atom[1])       # d/de of sum_i p_g,i * g_loss(D*_i)

    for e in (-0.05, -0.01, 0.01, 0.05):
        assert g_grad("lsgan", e) > 0                 # descent lowers e on both sides of 0
        assert math.copysign(1, g_grad("minimax", e)) == math.copysign(1, e)
    assert g_grad("lsgan", 0.0) == pytest.approx(0.0, abs=1e-15)
    assert "can be a saddle" in LOSSES["lsgan"].gradient_follows


@pytest.mark.parametrize("lid", ["wgan", "wgan-gp"])
def test_wasserstein_g_step_at_the_optimal_critic_follows_w1(lid):
    # In 1D an optimal 1-Lipschitz critic is f*(x) = integral of sign(F_g - F_data) up to x, plus any
    # constant (the registry has no pointwise D* for it, precisely because of that constant).
    pg = p_g(THETA0)
    cdf_gap = np.cumsum(pg - P_DATA) * DX
    critic = np.cumsum(np.sign(cdf_gap)) * DX
    critic -= critic[len(critic) // 2]
    # Kantorovich duality: the critic's objective at its optimum is W_1.
    assert integral(P_DATA * critic) - integral(pg * critic) == pytest.approx(w1(P_DATA, pg), abs=1e-6)
    # G's own term is W_1 only up to the free constant: shifting the critic shifts it, ...
    value = integral(pg * g_loss_at(lid, critic))
    shifted = integral(pg * g_loss_at(lid, critic + 3.0))
    assert shifted == pytest.approx(value - 3.0, abs=1e-9)
    # ... but not its gradient, which is W_1's (envelope theorem: D and G share one objective).
    step = g_step_gradient(lid, THETA0, outputs=critic)
    assert step == pytest.approx(derivative(lambda t: w1(P_DATA, p_g(t))), rel=1e-3)
    assert g_step_gradient(lid, THETA0, outputs=critic + 3.0) == pytest.approx(step, abs=1e-9)
    assert "W_1(p_data, p_g)" in LOSSES[lid].gradient_follows


def test_the_log_d_trick_would_make_the_kl_f_gan_follow_reverse_kl():
    # Nowozin et al.'s alternative G objective, max E_z[T(G(z))] (here -E[T] minimised), with T at the KL
    # critic's optimum T* = 1 + log(p_data / p_g): G's step follows KL(p_g || p_data), not KL(p_data || p_g).
    # (README, Losses: why ganviz's f-GAN losses use the saddle objective.)
    pg = p_g(THETA0)
    t_star = LOSSES["fgan-kl"].optimal_d(P_DATA, pg)
    step = integral((X - THETA0) * pg * -t_star)
    assert step == pytest.approx(derivative(lambda t: kl(p_g(t), P_DATA)), rel=1e-3)
    assert abs(step - derivative(lambda t: kl(P_DATA, p_g(t)))) > 0.1
