"""Every loss of the registry against its formula, at extreme logits, and its gradient."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ganviz.core.loss_fns import TORCH_LOSSES, torch_loss
from ganviz.core.losses import LOSSES, ML_LINEAR_FROM, loss_shape_curves


def sig(x):
    return 1.0 / (1.0 + math.exp(-x))


# Hand-written from the papers' formulas (the registry's reference column), on D = sigmoid(logit) where the
# loss reads a probability.
D_FORMULA = {
    "minimax": lambda r, f: -math.log(sig(r)) - math.log(1 - sig(f)),
    "ns": lambda r, f: -math.log(sig(r)) - math.log(1 - sig(f)),
    "logratio": lambda r, f: -math.log(sig(r)) - math.log(1 - sig(f)),
    "ml": lambda r, f: -math.log(sig(r)) - math.log(1 - sig(f)),
    "lsgan": lambda r, f: 0.5 * (r - 1) ** 2 + 0.5 * (f + 1) ** 2,
    "wgan": lambda r, f: f - r,
    "wgan-gp": lambda r, f: f - r,
    "hinge": lambda r, f: max(0.0, 1 - r) + max(0.0, 1 + f),
    # Zhao et al. 2017, Eq. 1, on energies (D's output) with the default margin m = 1
    "ebgan": lambda r, f: r + max(0.0, 1.0 - f),
}
# The f-GAN family from Nowozin et al. 2016, Table 6, as printed: the output activation g_f and the
# conjugate f*; D minimises -g_f(v_real) + f*(g_f(v_fake)), G minimises -f*(g_f(v_fake)) (the saddle).
F_GAN_TABLE = {
    "kl": (lambda v: v, lambda t: math.exp(t - 1)),
    "rkl": (lambda v: -math.exp(-v), lambda t: -1 - math.log(-t)),
    "pearson": (lambda v: v, lambda t: 0.25 * t * t + t),
    "hellinger": (lambda v: 1 - math.exp(-v), lambda t: t / (1 - t)),
    "js": (lambda v: math.log(2) - math.log(1 + math.exp(-v)), lambda t: -math.log(2 - math.exp(t))),
    "gan": (lambda v: -math.log(1 + math.exp(-v)), lambda t: -math.log(1 - math.exp(t))),
}
for _fid, (_gf, _conj) in F_GAN_TABLE.items():
    D_FORMULA[f"fgan-{_fid}"] = lambda r, f, gf=_gf, conj=_conj: -gf(r) + conj(gf(f))
G_FORMULA = {
    "minimax": lambda f: math.log(1 - sig(f)),
    "ns": lambda f: -math.log(sig(f)),
    "logratio": lambda f: -math.log(sig(f) / (1 - sig(f))),
    "ml": lambda f: -(sig(f) / (1 - sig(f))),           # -exp(sigma^-1(D))
    "lsgan": lambda f: 0.5 * f**2,
    "wgan": lambda f: -f,
    "wgan-gp": lambda f: -f,
    "hinge": lambda f: -f,
    "ebgan": lambda f: f,                                 # Eq. 2
}
for _fid, (_gf, _conj) in F_GAN_TABLE.items():
    G_FORMULA[f"fgan-{_fid}"] = lambda f, gf=_gf, conj=_conj: -conj(gf(f))
G_DERIVATIVE = {
    "minimax": lambda f: -sig(f),
    "ns": lambda f: sig(f) - 1,
    "logratio": lambda f: -1.0,
    "ml": lambda f: -math.exp(f),
    "lsgan": lambda f: f,
    "wgan": lambda f: -1.0,
    "wgan-gp": lambda f: -1.0,
    "hinge": lambda f: -1.0,
    "ebgan": lambda f: 1.0,
    # d/dv of -f*(g_f(v)), by hand
    "fgan-kl": lambda f: -math.exp(f - 1),
    "fgan-rkl": lambda f: -1.0,
    "fgan-pearson": lambda f: -(f / 2 + 1),
    "fgan-hellinger": lambda f: -math.exp(f),
    "fgan-js": lambda f: -sig(f),
    "fgan-gan": lambda f: -sig(f),
}


def test_registry_covers_the_lecture_losses():
    assert set(LOSSES) == set(D_FORMULA)
    for loss in LOSSES.values():
        assert loss.name and loss.d_formula and loss.g_formula
        assert loss.value_at_d_star and loss.gradient_follows
        # Two claims, two texts: a field repeating the other would bring back the merged column.
        assert loss.value_at_d_star != loss.gradient_follows


@pytest.mark.parametrize("lid", list(LOSSES))
@pytest.mark.parametrize("r,f", [(0.5, -1.0), (2.0, 0.3), (-1.5, 1.2)])
def test_loss_matches_formula(lid, r, f):
    loss = torch_loss(lid)
    d = loss.d_loss(torch.tensor([[r]], dtype=torch.float64), torch.tensor([[f]], dtype=torch.float64)).item()
    g = loss.g_loss(torch.tensor([[f]], dtype=torch.float64)).item()
    assert d == pytest.approx(D_FORMULA[lid](r, f), rel=1e-9, abs=1e-12)
    assert g == pytest.approx(G_FORMULA[lid](f), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("lid", list(LOSSES))
def test_loss_is_the_batch_mean(lid):
    loss = torch_loss(lid)
    r = torch.tensor([[0.3, -2.0, 1.0]], dtype=torch.float64)
    f = torch.tensor([[1.5, 0.0, -0.7]], dtype=torch.float64)
    expect_d = np.mean([D_FORMULA[lid](a, 0.0) - D_FORMULA[lid](0.0, 0.0) for a in r[0].tolist()]) \
        + np.mean([D_FORMULA[lid](0.0, b) for b in f[0].tolist()])
    assert loss.d_loss(r, f).item() == pytest.approx(expect_d, rel=1e-9)
    assert loss.g_loss(f).item() == pytest.approx(np.mean([G_FORMULA[lid](b) for b in f[0].tolist()]), rel=1e-9)


@pytest.mark.parametrize("lid", list(LOSSES))
def test_finite_at_extreme_logits(lid):
    loss = torch_loss(lid)
    x = torch.tensor([[100.0, -100.0, 0.0, 99.0, -99.0]], requires_grad=True)
    y = torch.tensor([[-100.0, 100.0, 0.0, 50.0, -50.0]], requires_grad=True)
    d = loss.d_loss(x, y, 0.1)
    g = loss.g_loss(y)
    gx, gy = torch.autograd.grad(d + g, [x, y])
    for t in (d, g, gx, gy):
        assert torch.isfinite(t).all(), (lid, t)


@pytest.mark.parametrize("lid", list(LOSSES))
@pytest.mark.parametrize("f", [-3.0, -0.5, 0.0, 0.8, 4.0])
def test_gradient_wrt_fake_logit_is_analytic(lid, f):
    x = torch.tensor([[f]], dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(torch_loss(lid).g_loss(x), x)
    assert grad.item() == pytest.approx(G_DERIVATIVE[lid](f), rel=1e-9, abs=1e-12)


def test_ml_loss_is_continued_linearly_beyond_the_joint():
    ml = torch_loss("ml")
    c = ML_LINEAR_FROM
    x = torch.tensor([[c + 5.0]], dtype=torch.float64, requires_grad=True)
    v = ml.g_loss(x)
    (g,) = torch.autograd.grad(v, x)
    assert v.item() == pytest.approx(-math.exp(c) * 6.0, rel=1e-12)
    assert g.item() == pytest.approx(-math.exp(c), rel=1e-12)


def test_label_smoothing_moves_the_real_target():
    # One-sided smoothing: cross-entropy with target 1 - s on real samples only.
    ns = torch_loss("ns")
    r, f, s = 0.7, -0.2, 0.1
    got = ns.d_loss(torch.tensor([[r]], dtype=torch.float64), torch.tensor([[f]], dtype=torch.float64), s).item()
    expect = -(1 - s) * math.log(sig(r)) - s * math.log(1 - sig(r)) - math.log(1 - sig(f))
    assert got == pytest.approx(expect, rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.floats(-30, 30), st.floats(-30, 30))
def test_cross_entropy_optimum_is_d_star(pd_logit, pg_logit):
    # For fixed densities at one point, the D loss  pd * softplus(-r) + pg * softplus(r)  is minimised
    # at sigmoid(r) = pd / (pd + pg): the registry's D* formula.
    pd, pg = math.exp(pd_logit / 10), math.exp(pg_logit / 10)
    r = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([r], max_iter=100, tolerance_grad=1e-14, tolerance_change=1e-16)
    ns = torch_loss("ns")

    def closure():
        opt.zero_grad()
        val = pd * ns.d_loss(r.view(1, 1), torch.full((1, 1), -1e3, dtype=torch.float64)) \
            + pg * (ns.d_loss(torch.full((1, 1), 1e3, dtype=torch.float64), r.view(1, 1)))
        val.backward()
        return val

    opt.step(closure)
    expect = LOSSES["ns"].d_star(np.array([pd]), np.array([pg]))[0]
    assert sig(r.item()) == pytest.approx(expect, abs=1e-6)


def test_loss_shape_curves_follow_goodfellows_figure():
    d, curves = loss_shape_curves(200)
    assert set(curves) == {lid for lid, l in LOSSES.items() if l.has_probability}
    # Saturating: flat where D(G(z)) -> 0; non-saturating: steep there.
    slope_mm = abs(np.gradient(curves["minimax"], d)[0])
    slope_ns = abs(np.gradient(curves["ns"], d)[0])
    assert slope_mm < 2 and slope_ns > 100
    assert np.all(np.diff(curves["minimax"]) < 0) and np.all(np.diff(curves["ns"]) < 0)


@pytest.mark.parametrize("lid", list(LOSSES))
def test_analytic_gradients_match_autograd(lid):
    loss = torch_loss(lid)
    r = torch.tensor([[-3.0, -0.5, 0.2, 0.99, 1.5, 40.0]], dtype=torch.float64, requires_grad=True)
    f = torch.tensor([[-40.0, -1.5, -0.9, 0.1, 2.0, 35.0]], dtype=torch.float64, requires_grad=True)
    for smooth in (0.0, 0.1):
        gr, gf = torch.autograd.grad(loss.d_loss(r, f, smooth), [r, f])
        ar, af = loss.d_grad(r.detach(), f.detach(), smooth)
        assert torch.allclose(ar / r.shape[1], gr, rtol=1e-9, atol=1e-12)
        assert torch.allclose(af / f.shape[1], gf, rtol=1e-9, atol=1e-12)
    (gg,) = torch.autograd.grad(loss.g_loss(f), f)
    assert torch.allclose(loss.g_grad(f.detach()) / f.shape[1], gg, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("lid", list(LOSSES))
def test_the_numpy_generator_loss_is_the_torch_one(lid):
    """The registry's torch-free `g_np` (what the loss-shape panel draws) is the loss that trains."""
    f = np.array([-100.0, -35.0, -3.0, -0.5, 0.0, 0.8, 4.0, 29.0, 31.0, 100.0])
    want = TORCH_LOSSES[lid].g_loss_elem(torch.from_numpy(f)).numpy()
    assert np.allclose(LOSSES[lid].g_np(f), want, rtol=1e-12, atol=1e-12)


def test_the_registry_and_its_torch_twin_name_the_same_losses():
    assert list(TORCH_LOSSES) == list(LOSSES)
    with pytest.raises(ValueError, match="unknown loss 'nope'; choose one of"):
        torch_loss("nope")


F_GANS = [lid for lid, l in LOSSES.items() if l.is_f_gan]


def test_the_f_gan_family_is_the_six_of_the_lecture():
    assert F_GANS == [f"fgan-{fid}" for fid in ("kl", "rkl", "pearson", "hellinger", "js", "gan")]


@pytest.mark.parametrize("lid", F_GANS)
@pytest.mark.parametrize("pd,pg", [(0.3, 0.7), (1.2, 0.1), (0.05, 2.0), (0.5, 0.5)])
def test_the_f_gan_optimal_critic_minimises_ds_pointwise_objective(lid, pd, pg):
    # At one point, D's objective is pd * a(v) + pg * b(v): its derivative vanishes at the registry's
    # T* = f'(pd / pg), read back into a raw output, and the objective is larger on both sides.
    loss, tl = LOSSES[lid], TORCH_LOSSES[lid]
    t_star = loss.optimal_d(np.array([pd]), np.array([pg]))
    v = torch.tensor([[float(loss.raw_from_display(t_star)[0])]], dtype=torch.float64)
    ar, bf = tl.d_grad(v, v)
    assert (pd * ar + pg * bf).item() == pytest.approx(0.0, abs=1e-9)

    def objective(x):
        t = torch.tensor([[x]], dtype=torch.float64)
        return pd * tl.d_loss(t, torch.full((1, 1), -5.0, dtype=torch.float64)).item() - pd * tl.d_loss(
            torch.zeros(1, 1, dtype=torch.float64), torch.full((1, 1), -5.0, dtype=torch.float64)).item() \
            + pg * tl.d_loss(torch.zeros(1, 1, dtype=torch.float64), t).item()
    x = v.item()
    assert objective(x) < objective(x - 0.05) and objective(x) < objective(x + 0.05)
    # The activation shows T, and the critic's label names it.
    assert loss.to_prob(v.numpy())[0, 0] == pytest.approx(t_star[0], rel=1e-9, abs=1e-12)
    assert loss.optimal_d_label().startswith("T* = f′(p_data / p_g) = ")


@pytest.mark.parametrize("lid", F_GANS)
def test_the_f_gan_critic_is_finite_where_p_g_vanishes(lid):
    # On a grid p_g underflows to 0 in the tails: T* stays finite (the views would drop a row otherwise).
    pd = np.array([0.0, 1e-300, 0.2, 0.4])
    pg = np.array([0.3, 0.0, 0.0, 0.4])
    assert np.isfinite(LOSSES[lid].optimal_d(pd, pg)).all()


# -- EBGAN ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("margin", [0.5, 1.0, 3.0])
def test_ebgan_reads_its_margin_and_its_analytic_gradients_are_autograds(margin):
    loss = torch_loss("ebgan")
    r = torch.tensor([[0.2, 3.0, 0.0]], dtype=torch.float64, requires_grad=True)
    f = torch.tensor([[0.1, 0.9, 5.0]], dtype=torch.float64, requires_grad=True)
    m = torch.tensor([[margin]], dtype=torch.float64)
    d = loss.d_loss(r, f, 0.0, m)
    expect = np.mean(r.detach().numpy()) + np.mean(np.maximum(margin - f.detach().numpy(), 0.0))
    assert d.item() == pytest.approx(expect, rel=1e-12)
    gr, gf = torch.autograd.grad(d, [r, f])
    ar, af = loss.d_grad(r, f, 0.0, m)
    assert torch.allclose(gr * 3, ar) and torch.allclose(gf * 3, af)
    (gg,) = torch.autograd.grad(loss.g_loss(f), f)
    assert torch.allclose(gg * 3, loss.g_grad(f))


def test_ebgan_energy_is_drawn_as_it_is_and_its_optimum_is_the_margin_where_p_g_exceeds_p_data():
    eb = LOSSES["ebgan"]
    assert eb.is_energy and not eb.has_probability and not eb.is_critic
    e = np.array([0.0, 0.3, 7.0])
    assert np.array_equal(eb.to_prob(e), e) and np.array_equal(eb.raw_from_display(e), e)
    pd, pg = np.array([0.5, 0.1, 0.2]), np.array([0.1, 0.5, 0.2])
    assert np.array_equal(eb.optimal_d(pd, pg, margin=2.5), [0.0, 2.5, 0.0])
    assert "m = 2.5" in eb.optimal_d_label(margin=2.5)


@pytest.mark.parametrize("pd,pg", [(0.7, 0.2), (0.2, 0.7), (1e-6, 0.4), (0.4, 1e-6)])
@pytest.mark.parametrize("margin", [0.5, 2.0])
def test_ebgan_optimal_energy_minimises_ds_pointwise_objective(pd, pg, margin):
    # Zhao et al. 2017, Lemma 1: min over E >= 0 of p_data E + p_g max(m - E, 0).
    e = np.linspace(0.0, 3 * margin, 30001)
    obj = pd * e + pg * np.maximum(margin - e, 0.0)
    star = float(LOSSES["ebgan"].optimal_d(np.array([pd]), np.array([pg]), margin=margin)[0])
    at_star = pd * star + pg * max(margin - star, 0.0)
    assert at_star == pytest.approx(obj.min(), abs=1e-9)
    assert at_star == pytest.approx(margin * min(pd, pg), rel=1e-12)
