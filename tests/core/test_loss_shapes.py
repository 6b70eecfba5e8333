"""The loss-shape panel's numbers: each loss's costs in its own units, their slopes, and D's accuracy rule."""
import math

import numpy as np
import pytest
import torch

from ganviz.core import metrics as M
from ganviz.core.loss_fns import TORCH_LOSSES
from ganviz.core.losses import (LOSSES, ML_LINEAR_FROM, get_loss, loss_shape, loss_shape_curves,
                                loss_shape_slopes)

# Points away from the kinks (the ML loss's joint at 30, the hinges at +-1 and the margin) and where the
# central difference is accurate; f-GAN's reverse KL and Hellinger need T in their domains only through v.
RAW = np.array([-100.0, -20.0, -3.3, -0.7, -0.15, 0.21, 0.9, 1.7, 4.2, 25.0, 29.5, 30.5, 60.0, 100.0])
PROB = [lid for lid, l in LOSSES.items() if l.has_probability]
NO_PROB = [lid for lid, l in LOSSES.items() if not l.has_probability]


def central(fn, x, h=1e-5):
    return (fn(x + h) - fn(x - h)) / (2 * h)


@pytest.mark.parametrize("lid", list(LOSSES))
def test_slope_is_the_derivative_of_g_np(lid):
    loss = LOSSES[lid]
    moderate = RAW[np.abs(RAW) <= 30.5]
    np.testing.assert_allclose(loss.g_slope(moderate), central(loss.g_np, moderate), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("lid", list(LOSSES))
def test_slope_is_what_autograd_gives_the_torch_loss(lid):
    f = torch.tensor(RAW, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(TORCH_LOSSES[lid].g_loss_elem(f).sum(), f)
    # (torch's softplus is linear beyond 20: its slope there is 1 - 1e-9 off)
    np.testing.assert_allclose(LOSSES[lid].g_slope(RAW), grad.numpy(), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("lid", list(LOSSES))
def test_slope_is_finite_at_raw_output_100(lid):
    assert np.isfinite(LOSSES[lid].g_slope(np.array([-100.0, 100.0]))).all()


def test_slopes_against_d_are_the_lecture_formulas():
    d, slopes = loss_shape_slopes(300)
    d2, _ = loss_shape_curves(300)
    np.testing.assert_array_equal(d, d2)
    assert set(slopes) == set(PROB)
    # d/df of G's cost with D = sigmoid(f): minimax -D, non-saturating -(1 - D), log-ratio -1,
    # ML -exp(f) = -D/(1 - D); LSGAN's score s = 2D - 1 and its cost s^2/2 give s.
    np.testing.assert_allclose(slopes["minimax"], -d, rtol=1e-9)
    np.testing.assert_allclose(slopes["ns"], -(1 - d), rtol=1e-9)
    np.testing.assert_allclose(slopes["logratio"], -1.0)
    np.testing.assert_allclose(slopes["ml"], -d / (1 - d), rtol=1e-9)
    np.testing.assert_allclose(slopes["lsgan"], 2 * d - 1, atol=1e-12)
    # The exercise's question: the saturating loss hands D's logit almost nothing where D(G(z)) -> 0,
    # the non-saturating almost nothing where D(G(z)) -> 1.
    assert abs(slopes["minimax"][0]) < 2e-3 and abs(slopes["ns"][0]) > 0.99
    assert abs(slopes["ns"][-1]) < 2e-3 and abs(slopes["minimax"][-1]) > 0.99


@pytest.mark.parametrize("lid", PROB)
def test_a_probability_loss_shape_is_its_curve_of_goodfellows_figure(lid):
    shape = loss_shape(lid, n=200)
    d, curves = loss_shape_curves(200)
    np.testing.assert_allclose(shape.x, d)
    (g,) = shape.curves
    assert g.generator
    np.testing.assert_allclose(g.value, curves[lid])
    np.testing.assert_allclose(g.slope, loss_shape_slopes(200)[1][lid])


def test_ebgan_shape_is_the_energy_and_the_margin_hinge():
    m = 1.5
    shape = loss_shape("ebgan", margin=m, n=301)
    assert shape.x[0] == 0.0 and shape.x[-1] == pytest.approx(2 * m)
    assert "energy" in shape.x_label
    g, d_fake = shape.curves
    assert g.generator and not d_fake.generator
    np.testing.assert_allclose(g.value, shape.x)
    np.testing.assert_allclose(g.slope, 1.0)
    np.testing.assert_allclose(d_fake.value, np.maximum(m - shape.x, 0.0))
    np.testing.assert_allclose(d_fake.slope, np.where(shape.x < m, -1.0, 0.0))
    assert "real" in g.label and "max(m" in d_fake.label
    assert shape.marks == ((m, "margin m = 1.5"),)


def test_critic_shapes_are_minus_v_and_the_hinges():
    for lid in ("wgan", "wgan-gp"):
        shape = loss_shape(lid)
        (g,) = shape.curves
        np.testing.assert_allclose(g.value, -shape.x)
        np.testing.assert_allclose(g.slope, -1.0)
    shape = loss_shape("hinge", n=601)
    g, real, fake = shape.curves
    v = shape.x
    np.testing.assert_allclose(g.value, -v)
    np.testing.assert_allclose(real.value, np.maximum(0, 1 - v))
    np.testing.assert_allclose(fake.value, np.maximum(0, 1 + v))
    away = (np.abs(np.abs(v) - 1) > 1e-3)
    np.testing.assert_allclose(real.slope[away], central(lambda x: np.maximum(0, 1 - x), v)[away], atol=1e-9)
    np.testing.assert_allclose(fake.slope[away], central(lambda x: np.maximum(0, 1 + x), v)[away], atol=1e-9)


# Nowozin et al. 2016, Table 6, written out again: G's cost -f*(g_f(v)) and where T = f'(1).
F_GAN_G = {
    "kl": (lambda v: -np.exp(v - 1), 1.0),
    "rkl": (lambda v: -(-1 - np.log(np.exp(-v))), 0.0),
    "pearson": (lambda v: -(v * v / 4 + v), 0.0),
    "hellinger": (lambda v: -((1 - np.exp(-v)) / np.exp(-v)), 0.0),
    "js": (lambda v: np.log(2 - np.exp(np.log(2) - np.log1p(np.exp(-v)))), 0.0),
    "gan": (lambda v: np.log(1 - np.exp(-np.log1p(np.exp(-v)))), 0.0),
}


@pytest.mark.parametrize("fid", list(F_GAN_G))
def test_f_gan_shape_is_the_saddle_cost_against_v(fid):
    shape = loss_shape(f"fgan-{fid}")
    want, v0 = F_GAN_G[fid]
    (g,) = shape.curves
    np.testing.assert_allclose(g.value, want(shape.x), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(g.slope, central(want, shape.x), rtol=1e-5, atol=1e-7)
    assert shape.marks[0][0] == v0
    assert "T = g_f(v)" in shape.x_label


@pytest.mark.parametrize("lid", NO_PROB)
def test_markers_map_the_views_units_back_to_the_axis(lid):
    loss = get_loss(lid)
    shape = loss_shape(lid, margin=2.0)
    raw = np.array([0.05, 0.4, 1.3, 2.5])
    display = loss.to_prob(raw)          # what Snapshot.fake_d holds
    np.testing.assert_allclose(shape.axis_of(display), raw, rtol=1e-9)
    np.testing.assert_allclose(shape.g_at(raw), loss.g_np(raw))
    np.testing.assert_allclose(shape.g_at(raw, slope=True), loss.g_slope(raw))


# -- D's accuracy ---------------------------------------------------------------------------------
def _acc(lid, real, fake, margin=1.0):
    loss = get_loss(lid)
    threshold, real_above, _ = loss.accuracy_rule(margin)
    return M.discriminator_stats(np.asarray(real), np.asarray(fake), loss.to_prob, threshold, real_above)["d_acc"]


def test_d_acc_reads_an_energy_below_half_the_margin_as_real():
    m = 2.0
    real = [0.1, 0.5, 0.99, 1.5]         # three below m/2 = 1
    fake = [2.0, 1.8, 0.2, 1.0]          # two above m/2, one exactly at it (half right)
    assert _acc("ebgan", real, fake, margin=m) == pytest.approx(0.5 * (3 / 4 + 2.5 / 4))
    # Threshold 0 (the old reading) called every energy real: chance at best.
    old = M.discriminator_stats(np.asarray(real), np.asarray(fake), get_loss("ebgan").to_prob)["d_acc"]
    assert old == 0.5
    threshold, real_above, words = get_loss("ebgan").accuracy_rule(m)
    assert threshold == 1.0 and not real_above and "m/2" in words


def test_d_acc_of_an_f_gan_kl_critic_is_judged_at_v_1():
    # T = v and T* = 1 + log(p_data / p_g): D says "as likely real as fake" at v = 1, not at 0.
    assert _acc("fgan-kl", [1.5, 2.0], [0.5, 0.9]) == 1.0
    assert _acc("fgan-js", [0.1, 2.0], [-0.5, -0.9]) == 1.0


def test_d_acc_of_a_wasserstein_critic_ignores_its_free_constant():
    real, fake = np.array([3.0, 2.5, 1.0, 2.2]), np.array([0.5, 1.2, 2.4, 0.0])
    base = _acc("wgan", real, fake)
    # midpoint of the means 1.475: real right 3 of 4, fake right 3 of 4
    assert base == pytest.approx(0.75)
    assert _acc("wgan", real + 100.0, fake + 100.0) == pytest.approx(base)
    assert _acc("wgan-gp", real - 7.0, fake - 7.0) == pytest.approx(base)


def test_the_d_acc_description_names_every_rule():
    from ganviz.core.metric_info import METRICS
    text = METRICS["d_acc"].description
    for part in ("D > 1/2", "f'(1)", "energy < m/2", "midpoint"):
        assert part in text
    assert not math.isnan(_acc("hinge", [0.3], [-0.2]))
