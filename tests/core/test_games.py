"""The game-dynamics lab's maths: integrators against their textbook rules, and the
behaviour that theory predicts (Mescheder et al. 2017 and 2018, Gidel et al. 2019)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from ganviz.core import games as G
from ganviz.core.games import INTEGRATORS, Bilinear, DiracGAN, Game, run


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
    ("hinge", "none", 1.0), ("logratio", "none", math.sqrt(0.5)),
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
