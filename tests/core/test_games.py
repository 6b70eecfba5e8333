"""The game-dynamics lab's maths: integrators against their textbook rules, and the
behaviour that theory predicts (Mescheder et al. 2017 and 2018, Gidel et al. 2019)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from ganviz.core import games as G
from ganviz.core.games import INTEGRATORS, Bilinear, DiracGAN, Game, run
from ganviz.core.losses import LOSSES


def sig(t):
    return 1.0 / (1.0 + np.exp(-t))


# -- the bilinear game ----------------------------------------------------------------------------

def test_bilinear_field_is_each_players_descent_direction():
    g = Bilinear()
    # V = x y: x descends -dV/dx = -y, y ascends dV/dy = x.
    np.testing.assert_allclose(g.vector_field([2.0, 3.0]), [-3.0, 2.0])
    grid = np.random.default_rng(0).normal(size=(4, 5, 2))
    np.testing.assert_allclose(g.vector_field(grid), np.stack([-grid[..., 1], grid[..., 0]], -1))
    np.testing.assert_allclose(Game.jacobian(g, [0.3, -0.7]), g.jacobian([0.3, -0.7]), atol=1e-8)
    np.testing.assert_allclose(g.eigenvalues(), [-1j, 1j])


# First steps worked out by hand from p0 = (1, 2), v(p0) = (-2, 1), lr = 0.1.
HAND_STEPS = {
    "sim_gda": ({}, [(1 - 0.1 * 2, 2 + 0.1 * 1)]),
    # y first (k times, x fixed), then x with the new y.
    "alt_gda": ({"k": 1}, [(1 - 0.1 * 2.1, 2.1)]),
    # extrapolate to (0.8, 2.1), then step from p0 with the field there, (-2.1, 0.8).
    "extragradient": ({}, [(1 - 0.1 * 2.1, 2 + 0.1 * 0.8)]),
    # step 1 is a plain step to (0.8, 2.1); step 2: p1 + 0.2 v(p1) - 0.1 v(p0).
    "optimistic": ({}, [(0.8, 2.1), (0.8 - 0.2 * 2.1 + 0.1 * 2, 2.1 + 0.2 * 0.8 - 0.1 * 1)]),
    # J = [[0, -1], [1, 0]], J^T v(p) = p: p + 0.1 (v - 0.5 p).
    "consensus": ({"gamma": 0.5}, [(1 + 0.1 * (-2 - 0.5 * 1), 2 + 0.1 * (1 - 0.5 * 2))]),
    # heavy ball, y first: m_y = 0.1, y = 2.1; m_x = 0.1 * -2.1, x = 0.79; then
    # m_y = -0.5 * 0.1 + 0.1 * 0.79 = 0.029; m_x = -0.5 * -0.21 + 0.1 * -2.129 = -0.1079.
    "momentum": ({"beta": -0.5, "k": 1}, [(0.79, 2.1), (0.79 - 0.1079, 2.1 + 0.029)]),
    # exact solution of dx/dt = -y, dy/dt = x: a rotation by t = 0.1.
    "flow": ({}, [(math.cos(0.1) - 2 * math.sin(0.1), math.sin(0.1) + 2 * math.cos(0.1))]),
}


def test_every_integrator_has_a_hand_computed_check():
    assert set(HAND_STEPS) == set(INTEGRATORS)


@pytest.mark.parametrize("method", list(HAND_STEPS))
def test_first_steps_match_the_textbook_rule(method):
    params, expected = HAND_STEPS[method]
    tr = run(Bilinear(), method, (1.0, 2.0), len(expected), 0.1, **params)
    assert tr.points.shape == (len(expected) + 1, 2)
    np.testing.assert_allclose(tr.points[0], [1.0, 2.0])
    # the flow is an RK4 integration, exact to its truncation error (~h^5 / 120 per substep)
    np.testing.assert_allclose(tr.points[1:], expected, rtol=0, atol=1e-7 if method == "flow" else 1e-12)
    np.testing.assert_allclose(tr.distance, np.hypot(*tr.points.T))


def test_alternating_gda_runs_k_discriminator_steps_per_generator_step():
    tr = run(Bilinear(), "alt_gda", (1.0, 2.0), 1, 0.1, k=3)
    # y: 2 -> 2.1 -> 2.2 -> 2.3 with x = 1 fixed; then x = 1 - 0.1 * 2.3.
    np.testing.assert_allclose(tr.points[1], [0.77, 2.3], atol=1e-12)


@pytest.mark.parametrize("lr", [0.05, 0.3, 1.0])
def test_simultaneous_gda_spirals_out_by_sqrt_1_plus_lr2_per_step(lr):
    tr = run(Bilinear(), "sim_gda", (0.6, -0.2), 200, lr)
    ratios = tr.distance[1:] / tr.distance[:-1]
    np.testing.assert_allclose(ratios, math.sqrt(1 + lr**2), rtol=1e-12)


@pytest.mark.parametrize("lr,k", [(0.1, 1), (0.5, 1), (0.3, 3)])
def test_alternating_gda_is_bounded_by_its_conserved_quadratic_form(lr, k):
    # y' = y + k lr x, x' = x - lr y' conserves Q = k x^2 + y^2 + k lr x y (positive definite for
    # k lr^2 < 4), so |p| can never exceed sqrt(Q0 / smallest eigenvalue of Q).
    tr = run(Bilinear(), "alt_gda", (1.0, 0.5), 3000, lr, k=k)
    x, y = tr.points.T
    q = k * x**2 + y**2 + k * lr * x * y
    np.testing.assert_allclose(q, q[0], rtol=1e-10)
    qmin = np.linalg.eigvalsh([[k, k * lr / 2], [k * lr / 2, 1.0]])[0]
    assert tr.distance.max() <= math.sqrt(q[0] / qmin) + 1e-12
    assert not tr.diverged


def test_continuous_flow_keeps_the_radius_and_is_the_exact_rotation():
    tr = run(Bilinear(), "flow", (1.0, 0.0), 500, 0.1)
    np.testing.assert_allclose(tr.distance, 1.0, rtol=1e-6)
    t = 0.1 * np.arange(501)
    np.testing.assert_allclose(tr.points, np.stack([np.cos(t), np.sin(t)], -1), atol=1e-5)


@pytest.mark.parametrize("method,params,factor", [
    # one step is a scaled rotation whose modulus is worked out by hand
    ("extragradient", {}, lambda lr: math.sqrt((1 - lr**2) ** 2 + lr**2)),
    ("consensus", {"gamma": 0.5}, lambda lr: math.sqrt((1 - 0.5 * lr) ** 2 + lr**2)),
])
def test_extragradient_and_consensus_contract_by_their_exact_factor(method, params, factor):
    lr = 0.1
    tr = run(Bilinear(), method, (1.0, 1.0), 100, lr, **params)
    np.testing.assert_allclose(tr.distance[1:] / tr.distance[:-1], factor(lr), rtol=1e-12)
    assert factor(lr) < 1


@pytest.mark.parametrize("method,params", [
    ("extragradient", {}), ("optimistic", {}), ("consensus", {"gamma": 1.0}),
])
def test_stabilised_methods_converge_on_the_bilinear_game_for_small_lr(method, params):
    tr = run(Bilinear(), method, (1.0, 1.0), 1500, 0.1, **params)
    assert tr.distance[-1] < 1e-2 * tr.distance[0]
    # and keep converging: the last stretch is far below the first
    assert tr.distance[-300:].max() < 0.1 * tr.distance[:300].max()


def test_momentum_sign_decides_alternating_gda():
    g = Bilinear()
    plain = run(g, "alt_gda", (1.0, 1.0), 400, 0.1)
    zero = run(g, "momentum", (1.0, 1.0), 400, 0.1, beta=0.0)
    np.testing.assert_allclose(zero.points, plain.points, atol=1e-12)
    assert run(g, "momentum", (1.0, 1.0), 400, 0.1, beta=-0.3).distance[-1] < 0.8 * plain.distance[-1]
    # positive momentum overshoots: the rotation speeds up and the iterates fly out
    assert run(g, "momentum", (1.0, 1.0), 400, 0.1, beta=0.3).distance[-1] > 10 * plain.distance[0]


def test_a_diverging_run_stops_before_overflow():
    tr = run(Bilinear(), "sim_gda", (1.0, 1.0), 10_000, 1.0)
    assert tr.diverged
    assert len(tr.points) < 10_001
    assert np.all(np.isfinite(tr.points)) and np.abs(tr.points).max() <= G.DIVERGED_AT


@pytest.mark.parametrize("bad,match", [
    ({"steps": -1}, "steps"), ({"lr": 0.0}, "learning rate"), ({"lr": float("nan")}, "learning rate"),
    ({"beta": 1.0}, "beta"), ({"k": 0}, "k must"), ({"k": 1.5}, "k must"), ({"gamma": -1.0}, "gamma"),
    ({"method": "adam"}, "unknown method"),
])
def test_bad_hyperparameters_are_named(bad, match):
    args = {"method": "alt_gda", "steps": 3, "lr": 0.1} | bad
    method, steps, lr = args.pop("method"), args.pop("steps"), args.pop("lr")
    with pytest.raises(ValueError, match=match):
        run(Bilinear(), method, (1.0, 1.0), steps, lr, **args)


def test_trajectory_serialises_to_plain_json_types():
    import json

    d = run(Bilinear(), "consensus", (1.0, 0.0), 3, 0.1, gamma=0.5, beta=0.2).to_dict()
    assert d["params"] == {"lr": 0.1, "gamma": 0.5}
    back = json.loads(json.dumps(d))
    assert len(back["points"]) == 4 and len(back["distance"]) == 4


# -- the Dirac-GAN --------------------------------------------------------------------------------

PTS = np.random.default_rng(1).uniform(-2, 2, size=(9, 2))

# Mescheder et al. 2018's fields written by hand for D(x) = psi x, real at 0, fake at theta.
HAND_FIELDS = {
    "ns": lambda th, ps: (ps * sig(-ps * th), -th * sig(ps * th)),
    "minimax": lambda th, ps: (ps * sig(ps * th), -th * sig(ps * th)),
    "wgan": lambda th, ps: (ps, -th),
    "logratio": lambda th, ps: (ps, -th * sig(ps * th)),
    "lsgan": lambda th, ps: (-ps**2 * th, -(ps * th + 1) * th),
    # EBGAN with the energy softplus(psi x) and m = 1: G descends softplus(psi theta), D descends
    # softplus(0) + max(1 - softplus(psi theta), 0).
    "ebgan": lambda th, ps: (-ps * sig(ps * th), th * sig(ps * th) * (np.logaddexp(0, ps * th) < 1)),
}


@pytest.mark.parametrize("loss", list(HAND_FIELDS))
def test_dirac_field_from_the_registry_matches_the_hand_derived_one(loss):
    v = DiracGAN(loss).vector_field(PTS)
    np.testing.assert_allclose(v, np.stack(HAND_FIELDS[loss](*PTS.T), -1), atol=1e-12)


@pytest.mark.parametrize("reg,weight,extra", [
    ("r1", 0.7, lambda ps: -0.7 * ps),
    ("gp0", 0.7, lambda ps: -1.4 * ps),
    ("gp", 0.7, lambda ps: -1.4 * (abs(ps) - 1) * np.sign(ps)),
])
def test_dirac_penalties_act_on_the_discriminator_only(reg, weight, extra):
    plain = DiracGAN("ns").vector_field(PTS)
    v = DiracGAN("ns", reg, weight).vector_field(PTS)
    np.testing.assert_allclose(v[:, 0], plain[:, 0], atol=1e-12)
    np.testing.assert_allclose(v[:, 1], plain[:, 1] + extra(PTS[:, 1]), atol=1e-12)


def test_instance_noise_field_is_the_expectation_over_noisy_samples():
    sigma = 0.8
    e = np.linspace(-8 * sigma, 8 * sigma, 4001)
    w = np.exp(-0.5 * (e / sigma) ** 2)
    w /= np.trapezoid(w, e)

    def expect(f):
        return np.trapezoid(f * w, e)

    v = DiracGAN("ns", "noise", sigma).vector_field(PTS)
    for (th, ps), (vt, vp) in zip(PTS, v):
        # G: -d/dtheta E softplus(-psi (theta + e)); D: -d/dpsi E[softplus(-psi e1) + softplus(psi (theta + e2))]
        assert vt == pytest.approx(expect(ps * sig(-ps * (th + e))), abs=1e-8)
        assert vp == pytest.approx(-expect(-e * sig(-ps * e)) - expect((th + e) * sig(ps * (th + e))), abs=1e-8)


def test_dirac_field_on_a_grid_equals_the_field_at_each_point():
    g = DiracGAN("minimax", "noise", 0.5)
    grid = np.stack(np.meshgrid(np.linspace(-2, 2, 5), np.linspace(-1, 1, 3)), -1)
    v = g.vector_field(grid)
    assert v.shape == grid.shape
    for idx in np.ndindex(grid.shape[:2]):
        np.testing.assert_allclose(v[idx], g.vector_field(grid[idx]), atol=1e-13)


@pytest.mark.parametrize("loss,reg", [("ns", "none"), ("minimax", "r1"), ("ns", "noise"), ("lsgan", "gp0"), ("hinge", "none")])
def test_dirac_autograd_jacobian_matches_finite_differences(loss, reg):
    g = DiracGAN(loss, reg)
    for p in PTS[:4]:
        np.testing.assert_allclose(g.jacobian(p), Game.jacobian(g, p), atol=1e-6)


@pytest.mark.parametrize("loss,reg,freq", [
    ("ns", "none", 0.5), ("minimax", "none", 0.5), ("wgan", "none", 1.0), ("wgan-gp", "none", 1.0),
    ("hinge", "none", 1.0), ("logratio", "none", math.sqrt(0.5)), ("ebgan", "none", 0.5),
    # f is linear for WGAN, so instance noise leaves its field unchanged
    ("wgan", "noise", 1.0),
])
def test_unregularised_dirac_gans_have_purely_imaginary_eigenvalues(loss, reg, freq):
    ev = DiracGAN(loss, reg).eigenvalues()
    np.testing.assert_allclose(ev.real, 0.0, atol=1e-12)
    np.testing.assert_allclose(ev.imag, [-freq, freq], atol=1e-12)


@pytest.mark.parametrize("loss,reg,weight,expected", [
    # J = [[0, f'(0)], [-f'(0), -gamma]]: lambda^2 + gamma lambda + f'(0)^2 = 0
    ("ns", "r1", 1.0, np.roots([1, 1.0, 0.25])),
    ("wgan", "r1", 0.5, np.roots([1, 0.5, 1.0])),
    ("minimax", "gp0", 0.3, np.roots([1, 0.6, 0.25])),
    # Mescheder et al. 2018: f''(0) sigma^2 +- sqrt(f''(0)^2 sigma^4 - f'(0)^2), f'(0) = 1/2, f''(0) = -1/4
    ("ns", "noise", 1.0, -0.25 + np.array([-1, 1]) * np.sqrt(complex(0.25**2 - 0.25))),
    ("minimax", "noise", 2.0, -1.0 + np.array([-1, 1]) * np.sqrt(complex(1.0 - 0.25))),
])
def test_regularised_dirac_gans_have_eigenvalues_with_negative_real_parts(loss, reg, weight, expected):
    ev = DiracGAN(loss, reg, weight).eigenvalues()
    assert np.all(ev.real < 0)
    np.testing.assert_allclose(np.sort_complex(ev), np.sort_complex(expected), atol=1e-9)


def test_wgan_gp_loss_brings_its_own_penalty():
    g = DiracGAN("wgan-gp")
    assert g.reg.id == "gp" and g.weight == 10.0
    assert DiracGAN("wgan-gp", "none").reg.id == "none"


def test_unregularised_minimax_and_wgan_circle_and_never_converge():
    for loss in ("minimax", "wgan"):
        g = DiracGAN(loss)
        flow = run(g, "flow", (1.0, 0.5), 150, 0.1)
        np.testing.assert_allclose(flow.distance, flow.distance[0], rtol=1e-6)
        sim = run(g, "sim_gda", (1.0, 0.5), 300, 0.1)
        assert np.all(np.diff(sim.distance) > 0)
        alt = run(g, "alt_gda", (1.0, 0.5), 300, 0.1)
        assert 0.8 * alt.distance[0] < alt.distance.min() and alt.distance.max() < 1.25 * alt.distance[0]


def test_unregularised_non_saturating_gan_creeps_in_sublinearly_at_best():
    g = DiracGAN("ns")
    for method in ("sim_gda", "alt_gda"):
        tr = run(g, method, (1.0, 1.0), 500, 0.1)
        assert tr.distance[-1] > 0.2 * tr.distance[0]


@pytest.mark.parametrize("reg,weight", [("r1", 1.0), ("noise", 1.0), ("gp0", 0.5)])
@pytest.mark.parametrize("method", ["sim_gda", "alt_gda"])
def test_r1_instance_noise_and_zero_centred_penalty_converge(reg, weight, method):
    tr = run(DiracGAN("ns", reg, weight), method, (1.0, 1.0), 300, 0.1)
    assert tr.distance[-1] < 1e-3 * tr.distance[0]


def test_regularised_continuous_system_converges():
    # eigenvalues -1/2 (double): the distance falls like t e^{-t/2}, ~1e-4 of the start at t = 25
    tr = run(DiracGAN("minimax", "r1", 1.0), "flow", (1.0, 1.0), 250, 0.1)
    assert tr.distance[-1] < 1e-3 * tr.distance[0]


@pytest.mark.parametrize("loss,weight", [("wgan", 1.0), ("ns", 0.3)])
def test_wgan_gp_penalty_does_not_converge_to_the_equilibrium(loss, weight):
    g = DiracGAN(loss, "gp", weight)
    # its one-sided eigenvalues look stable, but the penalty's jump at psi = 0 drives the
    # iterates away from a start right next to the equilibrium
    assert np.all(g.eigenvalues().real < 0)
    assert g.equilibrium_note
    tr = run(g, "sim_gda", (0.05, -0.05), 300, 0.1)
    assert tr.distance[-100:].min() > 10 * tr.distance[0]


def test_unknown_regulariser_and_negative_weight_are_named():
    with pytest.raises(ValueError, match="regulariser"):
        DiracGAN("ns", "dropout")
    with pytest.raises(ValueError, match="weight"):
        DiracGAN("ns", "r1", -1.0)
    with pytest.raises(ValueError, match="loss"):
        DiracGAN("nope")
    with pytest.raises(ValueError, match="game"):
        G.make_game("chess")


# -- verdicts: the spectral radius of each method's linearised one-step map --------------------------

def rho(game, method, lr, **params):
    return G.verdict(game, method, G.hyper(method, lr, **params)).rho


@pytest.mark.parametrize("lr", [0.001, 0.1, 0.5, 1.5])
def test_bilinear_closed_forms_for_simultaneous_and_extragradient(lr):
    g = Bilinear()
    # I + eta J has eigenvalues 1 +- i eta; extragradient 1 + i eta - eta^2
    assert rho(g, "sim_gda", lr) == pytest.approx(math.sqrt(1 + lr**2), rel=1e-12)
    assert rho(g, "extragradient", lr) == pytest.approx(math.sqrt(1 - lr**2 + lr**4), rel=1e-12)
    assert G.verdict(g, "sim_gda", G.hyper("sim_gda", lr)).verdict == "diverges"
    assert G.verdict(g, "extragradient", G.hyper("extragradient", lr)).verdict == (
        "converges" if lr < 1 else "diverges")


@pytest.mark.parametrize("gamma", [0.2, 0.5, 1.0, 2.0])
@pytest.mark.parametrize("lr", [0.05, 0.3, 0.9, 1.6])
def test_consensus_on_the_bilinear_game_converges_iff_lr_below_2_gamma_over_1_plus_gamma2(lr, gamma):
    # J^T J = I: the map is (1 - eta gamma) I + eta J, eigenvalues 1 - eta gamma +- i eta
    v = G.verdict(Bilinear(), "consensus", G.hyper("consensus", lr, gamma=gamma))
    assert v.rho == pytest.approx(math.hypot(1 - lr * gamma, lr), rel=1e-12)
    assert (v.verdict == "converges") == (lr < 2 * gamma / (1 + gamma**2))


@pytest.mark.parametrize("lr,k", [(0.1, 1), (1.9, 1), (0.5, 3), (0.3, 10), (2.5, 1), (1.2, 3)])
def test_alternating_gda_circles_on_the_bilinear_game_while_k_lr2_below_4(lr, k):
    # k y-steps then an x-step: [[1 - k eta^2, -eta], [k eta, 1]], det 1, trace 2 - k eta^2
    v = G.verdict(Bilinear(), "alt_gda", G.hyper("alt_gda", lr, k=k))
    tr = 2 - k * lr**2
    expected = 1.0 if abs(tr) < 2 else max(abs(np.roots([1, -tr, 1])))
    assert v.rho == pytest.approx(expected, rel=1e-9)
    assert v.verdict == ("circles" if k * lr**2 < 4 else "diverges")


@pytest.mark.parametrize("lr", [0.05, 0.4])
def test_optimistic_rho_solves_its_characteristic_equation(lr):
    # p_{t+1} = (1 + 2 eta lam) p_t - eta lam p_{t-1} along an eigenvector: mu^2 - (1 + 2 eta lam) mu + eta lam = 0
    mus = [m for lam in (1j, -1j) for m in np.roots([1, -(1 + 2 * lr * lam), lr * lam])]
    assert rho(Bilinear(), "optimistic", lr) == pytest.approx(max(abs(m) for m in mus), rel=1e-12)


def test_momentum_without_momentum_is_alternating_gda_and_the_flow_reads_re_lambda():
    g = DiracGAN("ns", "r1", 0.7)
    for lr, k in [(0.1, 1), (0.4, 3)]:
        assert rho(g, "momentum", lr, beta=0.0, k=k) == pytest.approx(rho(g, "alt_gda", lr, k=k), rel=1e-12)
    # J = [[0, 1/2], [-1/2, -0.7]]: lambda^2 + 0.7 lambda + 1/4 = 0
    top = max(np.roots([1, 0.7, 0.25]).real)
    assert rho(g, "flow", 0.3) == pytest.approx(math.exp(0.3 * top), rel=1e-9)


@pytest.mark.parametrize("method,params", [
    ("flow", {}), ("sim_gda", {}), ("alt_gda", {"k": 2}), ("extragradient", {}), ("optimistic", {}),
    ("consensus", {"gamma": 0.7}), ("momentum", {"beta": -0.3, "k": 2}),
])
@pytest.mark.parametrize("game", [Bilinear(), DiracGAN("ns", "r1", 0.7), DiracGAN("ml")], ids=["xy", "ns-r1", "ml"])
def test_linear_map_is_the_integrator_linearised(method, params, game):
    # From 1e-7 away the nonlinear terms are ~1e-7 of the linear ones: the integrator and its
    # linearisation, iterated on the state it carries, agree to that.
    lr, n = 0.2, 25
    p0 = 1e-7 * np.array([1.0, 0.6])
    m = G.linear_map(game, method, G.hyper(method, lr, **params))
    state = {"optimistic": np.concatenate([p0, p0]), "momentum": np.concatenate([p0, [0.0, 0.0]])}.get(method, p0)
    expected = [state[:2]]
    for _ in range(n):
        state = m @ state
        expected.append(state[:2])
    tr = run(game, method, p0, n, lr, **params)
    np.testing.assert_allclose(tr.points, expected, rtol=0, atol=1e-6 * 1e-7)


@pytest.mark.parametrize("loss,freq", [("ns", 0.5), ("minimax", 0.5), ("wgan", 1.0), ("hinge", 1.0),
                                       ("logratio", math.sqrt(0.5))])
def test_unregularised_dirac_gan_repels_simultaneous_gda_by_sqrt_1_plus_lr2_f2(loss, freq):
    # eigenvalues +-i f'(0) (+-i sqrt(f'(0) g'(0)) where G's and D's slopes differ): |1 + eta lambda|
    g = DiracGAN(loss)
    for lr in (0.1, 0.7):
        v = G.verdict(g, "sim_gda", G.hyper("sim_gda", lr))
        assert v.verdict == "diverges" and v.rho == pytest.approx(math.sqrt(1 + lr**2 * freq**2), rel=1e-9)
        assert G.verdict(g, "alt_gda", G.hyper("alt_gda", lr)).verdict == "circles"
        assert G.verdict(g, "flow", G.hyper("flow", lr)).verdict == "circles"


@pytest.mark.parametrize("loss,reg,weight,poly", [
    ("ns", "r1", 1.0, [1, 1.0, 0.25]), ("wgan", "r1", 0.5, [1, 0.5, 1.0]), ("minimax", "gp0", 0.3, [1, 0.6, 0.25]),
])
def test_r1_and_zero_centred_penalty_make_small_step_gradient_descent_converge(loss, reg, weight, poly):
    g = DiracGAN(loss, reg, weight)
    for lr in (0.01, 0.1):
        expected = max(abs(1 + lr * lam) for lam in np.roots(poly))
        v = G.verdict(g, "sim_gda", G.hyper("sim_gda", lr))
        assert v.verdict == "converges" and v.rho == pytest.approx(expected, rel=1e-9)
        assert G.verdict(g, "alt_gda", G.hyper("alt_gda", lr)).verdict == "converges"


def test_instance_noise_cannot_rescue_wgan_but_rescues_the_non_saturating_loss():
    h = {m: G.hyper(m, 0.1) for m in ("flow", "sim_gda", "alt_gda")}
    wgan, ns = DiracGAN("wgan", "noise", 1.0), DiracGAN("ns", "noise", 1.0)
    assert [G.verdict(wgan, m, h[m]).verdict for m in h] == ["circles", "diverges", "circles"]
    assert [G.verdict(ns, m, h[m]).verdict for m in h] == ["converges"] * 3
    assert G.verdict(wgan, "sim_gda", h["sim_gda"]).rho == pytest.approx(math.sqrt(1.01), rel=1e-9)
    assert "cannot act" in G.regulariser_effect("wgan", "noise") and "Re λ < 0" not in G.regulariser_effect("wgan", "noise")
    assert "Re λ < 0" in G.regulariser_effect("ns", "noise")


def test_where_the_field_jumps_no_linearisation_decides():
    v = G.verdict(DiracGAN("wgan-gp"), "sim_gda", G.hyper("sim_gda", 0.1))
    assert v.verdict == "undecided" and v.rho is None and "jumps" in v.text
    assert "jumps" in G.regulariser_effect("wgan", "gp")


# -- measured: what a run did, from its iterates alone ----------------------------------------------

def spiral(radius, n=400, turn=0.2, wobble=0.0):
    """Points at |p| = radius(t), turning by `turn` per step, on an ellipse stretched by 1 + wobble."""
    t = np.arange(n + 1, dtype=np.float64)
    r = radius(t)
    return np.stack([(1 + wobble) * r * np.cos(turn * t), r * np.sin(turn * t)], -1)


def test_measure_tells_a_linear_rate_from_a_power_law():
    m = G.measure(spiral(lambda t: 0.97**t, wobble=0.1))
    assert m.kind == "converges" and m.factor == pytest.approx(0.97, rel=1e-3) and "halving every 23" in m.text
    m = G.measure(spiral(lambda t: 2 / np.sqrt(t + 1), n=3000, turn=0.05, wobble=0.1))
    assert m.kind == "shrinks" and m.exponent == pytest.approx(-0.5, abs=0.02) and "t^-0.5" in m.text
    m = G.measure(spiral(lambda t: 1.01**t, n=300))
    assert m.kind == "grows" and m.factor == pytest.approx(1.01, rel=1e-3)


def test_measure_sees_cycles_stalls_and_divergence():
    # an ellipse with 20 % wobble is still a cycle: the wobble follows the angle, not time
    m = G.measure(spiral(lambda t: np.ones_like(t), n=500, turn=0.07, wobble=0.2))
    assert m.kind == "cycle" and 1.0 < m.radius < 1.2
    still = np.vstack([np.linspace([1.0, 1.0], [2.0, 0.5], 50), np.tile([2.0, 0.5], (200, 1))])
    m = G.measure(still)
    assert m.kind == "rests" and m.radius == pytest.approx(math.hypot(2.0, 0.5)) and "(2, 0.5)" in m.text
    assert G.measure(spiral(lambda t: 1.01**t, n=100), diverged=True).kind == "diverges"
    assert G.measure(spiral(lambda t: 0.9**t, n=10)).kind == "too_short"
    m = G.measure(spiral(lambda t: np.where(t < 60, 0.5**t, 0.0), n=200))
    assert m.kind == "converges" and "< 1e-12" in m.text
    # 0.8 of a turn of a cycle centred off the equilibrium: |p| falls from 1.5 to 0.5 and rises again
    a = (np.arange(201) - 100) * 0.8 * 2 * np.pi / 100
    m = G.measure(np.stack([0.5 + np.cos(a), np.sin(a)], -1))
    assert m.kind == "unclear" and "between 0.5 and 1.5" in m.text


def test_non_saturating_dirac_gan_alternating_gda_shrinks_like_one_over_sqrt_t():
    # the case: circles by its linearisation, and the run creeps in as sqrt(8 / (eta t))
    g, lr, n = DiracGAN("ns"), 0.3, 500
    v = G.verdict(g, "alt_gda", G.hyper("alt_gda", lr))
    assert v.verdict == "circles" and "√(8/(ηt))" in v.note
    tr = run(g, "alt_gda", (1.0, 1.0), n, lr)
    m = G.measure(tr.points)
    assert m.kind == "shrinks" and -0.55 < m.exponent < -0.42
    assert tr.distance[-1] == pytest.approx(math.sqrt(8 / (lr * n)), rel=0.05)


def test_non_saturating_dirac_gan_simultaneous_gda_is_repelled_onto_a_cycle_of_radius_sqrt_2_lr():
    g, lr = DiracGAN("ns"), 0.2
    v = G.verdict(g, "sim_gda", G.hyper("sim_gda", lr))
    assert v.verdict == "diverges" and "repels" in v.text and "cycle of radius" in v.note
    m = G.measure(run(g, "sim_gda", (0.5, 0.4), 800, lr).points)
    assert m.kind == "cycle" and m.radius == pytest.approx(math.sqrt(2 * lr), rel=0.03)


REPRESENTATIVE = [
    (Bilinear(), m) for m in INTEGRATORS
] + [
    (DiracGAN("ns"), "sim_gda"), (DiracGAN("ns"), "alt_gda"), (DiracGAN("wgan", "noise"), "sim_gda"),
    (DiracGAN("ns", "r1"), "momentum"), (DiracGAN("lsgan"), "sim_gda"), (DiracGAN("wgan", "gp", 1.0), "sim_gda"),
    (DiracGAN("ns", "gp", 0.3), "alt_gda"),
]


@pytest.mark.parametrize("game,method", REPRESENTATIVE,
                         ids=[f"{getattr(g, 'loss', g).id}-{getattr(g, 'reg', g).id}-{m}" for g, m in REPRESENTATIVE])
def test_the_words_agree_with_the_trajectory(game, method):
    lr, n = 0.1, 300
    h = G.hyper(method, lr)
    v = G.verdict(game, method, h)
    tr = run(game, method, game.default_start, n, lr)
    m = G.measure(tr.points, game.equilibrium, tr.diverged)
    # what the run did, judged from a quarter-run's mean distance against the one before it
    d = tr.distance
    before, after = d[n // 2: 3 * n // 4].mean(), d[3 * n // 4:].mean()
    if m.kind in ("converges", "shrinks"):
        assert after < before
    elif m.kind == "grows":
        assert after > before
    elif m.kind == "unclear":
        # less than a turn of an orbit: the text gives the range of |p|, which must be the run's
        seg = d[m.first:m.last + 1]
        assert f"between {seg.min():.3g} and {seg.max():.3g}" in m.text
    else:
        assert m.kind in ("cycle", "rests", "steady") and after == pytest.approx(before, rel=0.05)
    # and the verdict, judged by a run that starts next to the equilibrium
    if v.verdict in ("converges", "diverges"):
        near = run(game, method, game.equilibrium + [1e-6, 0.0], 120, lr)
        ratio = near.distance[-20:].max() / near.distance[:20].max()
        assert ratio < 1 if v.verdict == "converges" else ratio > 1


def test_a_run_that_defies_its_verdict_says_why():
    # the ML loss's exp(psi theta) throws a run from (1, 1) out, though rho < 1 near (0, 0)
    g, lr = DiracGAN("ml"), 0.1
    v = G.verdict(g, "optimistic", G.hyper("optimistic", lr))
    tr = run(g, "optimistic", (1.0, 1.0), 300, lr)
    m = G.measure(tr.points, g.equilibrium, tr.diverged)
    assert v.verdict == "converges" and tr.diverged and m.kind == "diverges"
    assert "nonlinear terms rule" in G.disagreement(v, m)
    near = run(g, "optimistic", (0.01, 0.01), 300, lr)
    assert G.disagreement(v, G.measure(near.points)) == "" and near.distance[-1] < 0.5 * near.distance[0]


def _autograd_field(game, p):
    """The Dirac-GAN field and Jacobian by autograd through the torch losses: the reference for the
    numpy derivatives in games.py."""
    import torch

    from ganviz.core.loss_fns import torch_loss

    fns = torch_loss(game.loss.id)
    eps = torch.tensor(game._eps)
    w = torch.tensor(game._w)
    theta = torch.tensor(p[:, 0], requires_grad=True)
    psi = torch.tensor(p[:, 1], requires_grad=True)
    real = psi[:, None, None, None] * eps[None, :, None, None]
    fake = psi[:, None, None, None] * (theta[:, None, None, None] + eps[None, None, :, None])
    real, fake = torch.broadcast_tensors(real, fake)
    # EBGAN's loss reads energies: the Dirac-GAN's D is psi x through the softplus energy head.
    head = torch.nn.functional.softplus if game.loss.is_energy else (lambda u: u)
    d = (fns.d_loss(head(real), head(fake), 0.0) * (w[:, None] * w[None, :])).sum((-2, -1))
    g = (fns.g_loss(head(psi[:, None, None] * (theta[:, None, None] + eps[None, :, None]))) * w).sum(-1)
    lam = game.weight
    if game.reg.id == "r1":
        d = d + 0.5 * lam * psi**2
    elif game.reg.id == "gp0":
        d = d + lam * psi**2
    elif game.reg.id == "gp":
        d = d + lam * (psi * torch.sign(psi).detach() - 1.0) ** 2
    (g_theta,) = torch.autograd.grad(g.sum(), theta, create_graph=True, retain_graph=True)
    (d_psi,) = torch.autograd.grad(d.sum(), psi, create_graph=True)
    v = torch.stack([-g_theta, -d_psi], dim=-1)
    rows = []
    for comp in (v[:, 0], v[:, 1]):
        grads = (torch.autograd.grad(comp.sum(), (theta, psi), allow_unused=True, retain_graph=True)
                 if comp.requires_grad else (None, None))
        rows.append(torch.stack([torch.zeros_like(theta) if gr is None else gr for gr in grads], -1))
    return v.detach().numpy(), torch.stack(rows, dim=-2).detach().numpy()


@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("reg, weight", [("none", None), ("r1", 1.3), ("gp0", 0.7), ("gp", 1.0), ("noise", 0.8)])
def test_the_dirac_field_in_numpy_is_autograds(loss, reg, weight):
    rng = np.random.default_rng(0)
    p = np.concatenate([rng.normal(size=(40, 2)) * 2, [[0, 0], [0, 1e-12], [1.0, 0.0], [0.5, -0.5], [6, 2]]])
    game = DiracGAN(loss, reg, weight)
    v, jac = game._field(p, jacobian=True)
    v_ref, jac_ref = _autograd_field(game, p)
    assert np.allclose(v, v_ref, rtol=1e-7, atol=1e-9)
    assert np.allclose(jac, jac_ref, rtol=1e-7, atol=1e-9)
