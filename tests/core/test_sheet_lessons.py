"""The exercise sheets' lessons: Q2's V at D* (the derived metric v_gap) and Q1's gradient claims, on short runs."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from ganviz.core import lessons as L
from ganviz.core import scenario as S


def _trainer(sc):
    from ganviz.core.evaluate import Evaluator
    from ganviz.core.train import Trainer

    t = Trainer(sc.data.mixture(), sc.model, sc.panel_settings(), seed=sc.seed, device="cpu")
    return t, Evaluator(t, bounds=sc.data.bounds)


def test_a_linear_g_is_read_as_the_gaussian_its_samples_are():
    import torch

    t, _ = _trainer(S.load("dstar-value-jsd"))
    mean, std = L.gaussian_g(t)
    with torch.no_grad():
        x = t.generate(t.sample_z(200_000, torch.Generator().manual_seed(1)))[0, :, 0].double().numpy()
    assert x.mean() == pytest.approx(mean[0], abs=5 * std[0] / math.sqrt(len(x)))
    assert x.std() == pytest.approx(std[0], rel=0.01)


def test_v_gap_is_never_above_zero_and_d_closes_it():
    """V(D, G) <= V(D*, G) = -log 4 + 2 JSD for every D (Goodfellow et al. 2014, Prop. 1 and Thm 1)."""
    sc = dataclasses.replace(S.load("dstar-value-jsd"), seed=1)
    t, ev = _trainer(sc)
    start = L.v_gap(t, ev)[0]
    t.step(400)
    end = L.v_gap(t, ev)[0]
    assert start < -0.05 and start <= end <= 1e-3
    assert end > -0.03


def test_v_gap_refuses_a_g_whose_p_g_is_not_a_known_gaussian():
    sc = S.load("dstar-value-jsd")
    t, ev = _trainer(S.apply_overrides(sc, ["model.g_layers=1"]))
    with pytest.raises(L.ClaimError, match="linear G"):
        L.v_gap(t, ev)


def test_the_sheet_lessons_name_their_questions_and_parse():
    q1 = S.load("saturating-vs-nonsaturating")
    assert sum("Q1" in c.text for c in q1.claims) == 2
    assert {c.metric for c in q1.claims} >= {"grad_norm_g", "w1"}
    q2 = S.load("dstar-value-jsd")
    assert [c.metric for c in q2.claims].count("v_gap") == 3 and np.all(["Q2" in c.text for c in q2.claims])


# -- the ETH sheet's exercise 2: G's log-ratio loss at D* is KL(p_g || p_data) ---------------------------------
def test_kl_gap_is_gs_log_ratio_loss_minus_the_exact_kl():
    """Both halves checked apart: G's loss E_g[-u] against D's logits at 200,000 of G's samples, KL(p_g || p_data)
    against its closed form for two Gaussians, -ln s + (s^2 + m^2) / 2 - 1/2 for p_g = N(m, s^2), p_data = N(0, 1)."""
    import torch

    sc = dataclasses.replace(S.load("eth-logratio-kl"), seed=3)
    t, ev = _trainer(sc)
    t.step(50)                                   # a D that is neither random nor D*
    mean, std = L.gaussian_g(t)
    m, s = float(mean[0]), float(std[0])
    with torch.no_grad():
        x = t.generate(t.sample_z(200_000, torch.Generator().manual_seed(2)))[0].double().numpy()
    u = ev._d_on(x, ev._cond(len(x)))[0].astype(np.float64)
    loss = float(np.mean(-u))
    kl = -math.log(s) + (s * s + m * m) / 2 - 0.5
    assert L.kl_gap(t, ev)[0] == pytest.approx(loss - kl, abs=4 * np.std(u) / math.sqrt(len(u)) + 1e-4)


def test_training_d_closes_the_kl_gap():
    sc = dataclasses.replace(S.load("eth-logratio-kl"), seed=2)
    t, ev = _trainer(sc)
    start = L.kl_gap(t, ev)[0]
    t.step(600)
    end = L.kl_gap(t, ev)[0]
    assert abs(start) > 0.5 and abs(end) < 0.25 and abs(end) < abs(start) / 4


def test_kl_gap_refuses_a_g_whose_p_g_is_not_a_known_gaussian():
    t, ev = _trainer(S.apply_overrides(S.load("eth-logratio-kl"), ["model.g_layers=1"]))
    with pytest.raises(L.ClaimError, match="kl_gap need a linear G"):
        L.kl_gap(t, ev)


def test_the_eth_lessons_parse_and_send_the_lecturer_to_the_loss_panel():
    kl = S.load("eth-logratio-kl")
    assert kl.train.loss == "logratio" and kl.train.freeze_g and kl.model.g_layers == 0
    assert [c.metric for c in kl.claims].count("kl_gap") == 4 and "v_gap" in [c.metric for c in kl.claims]
    grads = S.load("eth-logratio-gradients")
    assert [p["loss"] for p in grads.panels] == ["minimax", "ns", "logratio"]
    assert {c.metric for c in grads.claims} == {"grad_norm_g", "w1"}
    for sc in (kl, grads):
        assert "Generator loss vs D(G(z))" in sc.description or "loss shape" in sc.description.lower()
