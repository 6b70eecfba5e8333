"""The step inspector's summary of the last D and G step (Trainer.inspect, Trainer.step_summary), checked against
a plain torch recomputation of the same step: the same batch through ordinary autograd, the same update rule."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ganviz.core.data import preset
from ganviz.core.settings import ModelSettings, TrainSettings
from ganviz.core.step_summary import QUANTILES, format_table, param_blocks
from ganviz.core.train import Trainer

MODEL = ModelSettings(latent_dim=3, g_layers=1, g_width=8, d_layers=2, d_width=6)
B = 16


def trainer(seed=0, **train) -> Trainer:
    t = Trainer(preset("ring8"), MODEL, TrainSettings(batch_size=B, **train), seed=seed)
    t.inspect = True
    return t


def mlp(flat: torch.Tensor, layout, x: torch.Tensor) -> torch.Tensor:
    """A plain MLP (relu hidden layers) with the weights of row 0 of `flat`, leaf tensors per block."""
    h = x
    shapes = layout.shapes()
    for li, (name, a, b) in enumerate(param_blocks(layout, "N")[0::2]):
        i, o = shapes[li]
        w = flat[a:b].view(i, o)
        bias = flat[b:b + o]
        if li == len(shapes) - 1 and layout.extra_last:
            w = w[:i - layout.extra_last]        # the minibatch feature's slot (off: no input there)
        h = h @ w + bias
        if li < len(shapes) - 1:
            h = torch.relu(h)
    return h


def block_norms(v: torch.Tensor, layout) -> np.ndarray:
    return np.array([float(v[a:b].norm()) for _, a, b in param_blocks(layout, "N")])


def plain_d_grad(t: Trainer) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, float]:
    """The D step t is about to take, recomputed: D's flat gradient, the raw outputs on real and fake, D's loss."""
    gen = torch.Generator()
    gen.set_state(t.gen.get_state())
    xr, _ = t.sampler.sample(B, gen)
    z = t.sample_z(B, gen)
    d = t.D.flat[0].detach().clone().requires_grad_(True)
    with torch.no_grad():
        xf = mlp(t.G.flat[0].detach(), t.G.layout, z)
    r = mlp(d, t.D.layout, xr).squeeze(1)
    f = mlp(d, t.D.layout, xf).squeeze(1)
    loss = F.softplus(-r).mean() + F.softplus(f).mean()            # ns / minimax: -V(D, G)
    (g,) = torch.autograd.grad(loss, d)
    return g, r.detach(), f.detach(), float(loss.detach())


def test_sgd_d_step_grad_norms_are_autograds_and_update_sizes_are_lr_times_them():
    t = trainer(loss="ns", optimizer="sgd", lr_d=0.05, lr_g=0.05)
    t.step(3)
    g, r, f, loss = plain_d_grad(t)
    before = t.D.flat[0].detach().clone()
    t.d_step()
    s = t.step_summary()[0]["D"]
    lay = t.D.layout
    grads = np.array([row["grad"] for row in s["layers"]])
    ups = np.array([row["update"] for row in s["layers"]])
    np.testing.assert_allclose(grads, block_norms(g, lay), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(ups, 0.05 * grads, rtol=1e-4, atol=1e-8)          # SGD: ||Δθ|| = lr ||∇θ||
    np.testing.assert_allclose(ups, block_norms(t.D.flat[0].detach() - before, lay), rtol=1e-4, atol=1e-8)
    np.testing.assert_allclose([row["norm"] for row in s["layers"]], block_norms(before, lay), rtol=1e-5)
    assert s["layers"][0]["name"] == "D layer 1 (2→6) W" and s["layers"][-1]["name"] == "D layer 3 (6→1) b"
    assert len(s["layers"]) == 6
    # The batch's D values: probabilities, V(D, G) on the batch = -D's loss (no smoothing), G's loss on the fakes
    pr, pf = torch.sigmoid(r).numpy(), torch.sigmoid(f).numpy()
    assert s["real"]["mean"] == pytest.approx(float(pr.mean()), rel=1e-5)
    assert s["fake"]["quantiles"] == pytest.approx(list(np.quantile(pf, QUANTILES)), rel=1e-5)
    assert sum(s["fake"]["hist"]) == B and s["units"] == "probability"
    assert s["value"] == pytest.approx(-loss, rel=1e-5) and s["objective"].startswith("V(D, G)")
    assert s["d_loss"] == pytest.approx(loss, rel=1e-5)
    assert s["g_loss"] == pytest.approx(float(F.softplus(-f).mean()), rel=1e-5)
    assert s["d_steps"] == t.d_step_count and s["step"] == 3 and s["index"] == 0     # taken alone, after step 3
    assert format_table(s).startswith("D step taken alone after iteration 3")


def test_g_step_grad_norms_match_autograd_and_adam_updates_match_the_weight_difference():
    t = trainer(loss="ns", optimizer="adam", lr_d=1e-3, lr_g=2e-3)
    t.step(2)
    gen = torch.Generator()
    gen.set_state(t.gen.get_state())
    z = t.sample_z(B, gen)
    w = t.G.flat[0].detach().clone().requires_grad_(True)
    f = mlp(t.D.flat[0].detach(), t.D.layout, mlp(w, t.G.layout, z)).squeeze(1)
    (g,) = torch.autograd.grad(F.softplus(-f).mean(), w)
    f = f.detach()
    before = t.G.flat[0].detach().clone()
    t.g_step()
    s = t.step_summary()[0]["G"]
    lay = t.G.layout
    np.testing.assert_allclose([row["grad"] for row in s["layers"]], block_norms(g, lay), rtol=1e-4, atol=1e-7)
    diff = block_norms(t.G.flat[0].detach() - before, lay)
    np.testing.assert_allclose([row["update"] for row in s["layers"]], diff, rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose([row["rel"] for row in s["layers"]], diff / block_norms(before, lay), rtol=1e-5)
    assert s["g_loss"] == pytest.approx(float(F.softplus(-f).mean()), rel=1e-5)
    assert s["fake"]["mean"] == pytest.approx(float(torch.sigmoid(f).mean()), rel=1e-5)
    assert s["real"] is None and s["value"] is None and s["d_loss"] is None
    assert s["layers"][0]["name"] == "G layer 1 (3→8) W"


def test_the_hand_written_and_the_autograd_paths_keep_the_same_summary():
    fast, slow = trainer(loss="ns"), trainer(loss="ns")
    slow.fast = False
    slow.apply_settings(slow.settings)
    for t in (fast, slow):
        t.step(4)
    a, b = fast.step_summary()[0], slow.step_summary()[0]
    for player in ("D", "G"):
        np.testing.assert_allclose([r["grad"] for r in a[player]["layers"]], [r["grad"] for r in b[player]["layers"]],
                                   rtol=1e-4)
        np.testing.assert_allclose([r["update"] for r in a[player]["layers"]],
                                   [r["update"] for r in b[player]["layers"]], rtol=1e-4)
        assert a[player]["fake"]["mean"] == pytest.approx(b[player]["fake"]["mean"], rel=1e-5)


def test_each_run_in_lockstep_has_the_summary_of_that_run_trained_alone():
    both = trainer(seed=[3, 4], loss="ns")
    alone = [trainer(seed=s, loss="ns") for s in (3, 4)]
    for t in (both, *alone):
        t.step(5)
    rows = both.step_summary()
    assert len(rows) == 2
    for r, t in enumerate(alone):
        mine = t.step_summary()[0]
        for player in ("D", "G"):
            np.testing.assert_allclose([x["grad"] for x in rows[r][player]["layers"]],
                                       [x["grad"] for x in mine[player]["layers"]], rtol=1e-4)
            np.testing.assert_allclose([x["update"] for x in rows[r][player]["layers"]],
                                       [x["update"] for x in mine[player]["layers"]], rtol=1e-4)
            assert rows[r][player]["fake"]["mean"] == pytest.approx(mine[player]["fake"]["mean"], rel=1e-5)
    # the two runs differ: each row is its own run's
    assert rows[0]["D"]["real"]["mean"] != pytest.approx(rows[1]["D"]["real"]["mean"], rel=1e-3)


def test_gans_with_another_k_keep_their_own_last_d_step():
    t = Trainer(preset("ring8"), MODEL, [TrainSettings(batch_size=B, k=1), TrainSettings(batch_size=B, k=3)], seed=0)
    t.inspect = True
    t.step(2)
    s = t.step_summary()
    # GAN 0's last D step was the first of the last iteration's three (its k is 1), GAN 1's the third
    assert s[0]["D"]["d_steps"] == t.d_step_count - 2 and s[1]["D"]["d_steps"] == t.d_step_count
    assert (s[0]["D"]["index"], s[0]["D"]["of"], s[1]["D"]["index"], s[1]["D"]["of"]) == (1, 1, 3, 3)
    assert format_table(s[1]["D"]).startswith("D step 3 of 3 in iteration 2")
    assert s[0]["D"]["layers"][0]["update"] > 0


def test_a_rolled_back_step_leaves_the_summary_of_the_last_completed_step():
    t = trainer(loss="ns", k=2)
    t.step(3)
    kept = copy.deepcopy(t.step_summary())
    polls = iter(range(100))
    moved = []

    def stop() -> bool:
        # abandon the next iteration once its first D step has been taken and recorded
        if next(polls) >= 3:
            moved.append(t.step_summary()[0]["D"] != kept[0]["D"])
            return True
        return False

    assert not t.step_interruptible(stop)
    assert moved == [True]                        # the abandoned iteration had recorded a D step
    assert t.step_summary() == kept
    assert t.step_interruptible(lambda: False)
    assert t.step_summary()[0]["D"]["step"] == 3 and t.step_summary() != kept


def test_nothing_is_kept_while_nobody_looks():
    t = trainer(loss="ns")
    t.inspect = False
    t.step(2)
    assert t.stats.summary_d is None and t.step_summary() == ({"D": None, "G": None},)


@pytest.mark.parametrize("loss, sign", [("wgan", -1.0), ("lsgan", 1.0), ("hinge", 1.0)])
def test_other_losses_report_their_own_d_objective_named(loss, sign):
    t = trainer(loss=loss)
    t.step(2)
    s = t.step_summary()[0]["D"]
    assert s["objective"].startswith("D's objective") and "V(D, G)" not in s["objective"]
    # with no penalty and no smoothing, D's objective is its loss, with the sign of its max or min
    assert s["value"] == pytest.approx(sign * s["d_loss"], rel=1e-5)
    if loss == "wgan":
        assert s["units"] == "critic value"
        assert s["value"] == pytest.approx(s["real"]["mean"] - s["fake"]["mean"], rel=1e-4, abs=1e-6)


def test_the_table_shows_the_numbers():
    t = trainer(loss="ns")
    t.step(2)
    s = t.step_summary()[0]["D"]
    text = format_table(s)
    row = s["layers"][2]
    assert row["name"] in text and f"{row['grad']:.4f}" in text
    assert f"{s['value']:.4f}" in text
