"""PacGAN's networks (Lin et al. 2018): batch norm in G, maxout units in D, packs of samples into D."""
import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ganviz.core.data import preset
from ganviz.core.evaluate import N_SHOW, Evaluator
from ganviz.core.losses import get_loss
from ganviz.core.nets import BN_EPS, BatchedMLP, Layout
from ganviz.core.settings import ModelSettings, SettingsError, TrainSettings
from ganviz.core.train import Trainer

SMALL = ModelSettings(g_width=32, d_width=32)
PAC = dataclasses.replace(SMALL, g_batchnorm=True, d_maxout=3, pack=2)
# Table 1 of the paper: z in R^2, G 4 x 400 ReLU + batch norm, D 3 x 200 maxout (5 pieces in their code).
TABLE1 = ModelSettings(latent_dim=2, g_layers=4, g_width=400, d_layers=3, d_width=200, g_batchnorm=True,
                       d_maxout=5, pack=4)


def net(layout: Layout, m: int = 2, dtype=torch.float32) -> BatchedMLP:
    # Separate weights per network, so that anything shared across the M networks would show.
    return BatchedMLP(m, layout, "relu", torch.device("cpu"), torch.Generator().manual_seed(0),
                      shared_init=False, dtype=dtype)


def trainer(model=PAC, settings=None, data="ring8") -> Trainer:
    return Trainer(preset(data), model, TrainSettings(batch_size=32) if settings is None else settings, seed=0)


def two_inputs(n: int, d: int, dtype=torch.float32) -> torch.Tensor:
    """Inputs for M = 2 networks from different distributions: statistics pooled over M would be wrong."""
    x = torch.randn(2, n, d, generator=torch.Generator().manual_seed(1), dtype=dtype)
    x[1] = 4 * x[1] + 3
    return x


# -- batch norm -------------------------------------------------------------------------------------
def test_batchnorm_normalises_each_hidden_layer_of_each_network_at_init():
    def pre_activations(g: BatchedMLP) -> list:
        seen, act = [], g._activate
        g._activate = lambda pre: (seen.append(pre.detach()), act(pre))[1]
        g(two_inputs(500, 2))
        return seen

    pre = pre_activations(net(Layout(2, 2, 16, 3, batchnorm=True)))
    assert len(pre) == 3
    for h in pre:
        var, mean = torch.var_mean(h, dim=1, correction=0)        # per network and feature
        assert torch.allclose(mean, torch.zeros_like(mean), atol=1e-5)
        assert torch.allclose(var, torch.ones_like(var), atol=2e-3)
    # ... which the same layers without batch norm are not.
    plain = pre_activations(net(Layout(2, 2, 16, 3)))
    assert plain[0][1].mean(dim=0).abs().max() > 0.5


def test_batchnorm_gradients_match_a_reference_and_finite_differences():
    layout = Layout(3, 2, 8, 2, batchnorm=True)
    g = net(layout, dtype=torch.float64)
    with torch.no_grad():   # scales and shifts away from their initial 1 and 0
        for scale, shift in g.norms():
            scale.uniform_(0.5, 1.5, generator=torch.Generator().manual_seed(2))
            shift.normal_(generator=torch.Generator().manual_seed(3))
    x = two_inputs(64, 3, torch.float64)
    r = torch.randn(2, 64, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    out = g(x)
    grad = g.flat_grad((out * r).sum())
    n_norm = layout.norm_size()
    assert n_norm == 2 * 2 * 8 and g.flat.shape[1] == layout.size()
    for i in range(2):      # each network alone, batch norm written out
        h, leaves = x[i], []
        for (w, b), (scale, shift) in zip(g.weights()[:-1], g.norms()):
            scale, shift = scale[i, 0].detach().requires_grad_(True), shift[i, 0].detach().requires_grad_(True)
            leaves += [scale, shift]
            pre = h @ w[i].detach() + b[i, 0].detach()
            mean, var = pre.mean(0), ((pre - pre.mean(0)) ** 2).mean(0)
            h = torch.relu((pre - mean) / torch.sqrt(var + BN_EPS) * scale + shift)
        w, b = g.weights()[-1]
        ref = h @ w[i].detach() + b[i, 0].detach()
        assert torch.allclose(out[i], ref, atol=1e-12)
        ref_grad = torch.cat(torch.autograd.grad((ref * r[i]).sum(), leaves))
        assert torch.allclose(grad[i, -n_norm:], ref_grad, atol=1e-10)     # scales and shifts sit last in flat

    head = g.flat.detach()[:, :-n_norm]
    tail = g.flat.detach()[:, -n_norm:].clone().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda t: g(x, flat=torch.cat([head, t], dim=1)), (tail,))


def test_batchnorm_with_a_reference_batch_uses_only_its_statistics():
    g = net(Layout(2, 2, 16, 2, batchnorm=True))
    ref = torch.randn(2, 300, 2, generator=torch.Generator().manual_seed(5))
    probe = torch.linspace(-3, 3, 20).view(1, 10, 2).expand(2, 10, 2)
    with torch.no_grad():
        alone = g(ref)
        joint = g(torch.cat([ref, probe], dim=1), norm_ref=300)
    assert torch.allclose(joint[:, :300], alone, atol=1e-5)     # the reference rows are unchanged by the probe
    inside = g(torch.cat([ref, ref[:, :10]], dim=1), norm_ref=300)[:, 300:]
    assert torch.allclose(inside, alone[:, :10], atol=1e-5)     # a probe maps as it does inside the reference


def test_batchnorm_adds_parameters_without_changing_the_other_initial_weights():
    plain, bn = trainer(SMALL), trainer(dataclasses.replace(SMALL, g_batchnorm=True))
    p = plain.G.flat.shape[1]
    assert torch.equal(bn.G.flat[:, :p], plain.G.flat) and torch.equal(bn.D.flat, plain.D.flat)
    width, layers = SMALL.g_width, SMALL.g_layers
    assert torch.equal(bn.G.flat[0, p:], torch.cat([torch.ones(width), torch.zeros(width)]).repeat(layers))


# -- maxout -----------------------------------------------------------------------------------------
def test_maxout_matches_a_plain_torch_reference():
    k, width = 3, 6
    d = net(Layout(4, 1, width, 2, pieces=k))
    x = two_inputs(50, 4)
    out = d(x)
    assert d.weights()[0][0].shape == (2, 4, width * k) and d.weights()[1][0].shape == (2, width, width * k)
    for i in range(2):
        h = x[i]
        for w, b in d.weights()[:-1]:
            pre = F.linear(h, w[i].T, b[i, 0])
            h = torch.stack([pre[:, j * k:(j + 1) * k].max(dim=1).values for j in range(width)], dim=1)
        w, b = d.weights()[-1]
        assert torch.allclose(out[i], F.linear(h, w[i].T, b[i, 0]), atol=1e-5)


# -- packing ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("pack", [2, 3])
def test_pack_widens_d_and_trains(pack):
    t = trainer(dataclasses.replace(SMALL, pack=pack))
    assert t.D.layout.in_dim == 2 * pack and t.D.weights()[0][0].shape[1] == 2 * pack
    d0 = t.D.flat.detach().clone()
    t.step(5)
    assert torch.isfinite(t.stats.d_loss).all() and torch.isfinite(t.stats.g_loss).all()
    assert not torch.equal(t.D.flat, d0)


def test_packs_hold_independent_samples_of_one_kind(monkeypatch):
    t = trainer(dataclasses.replace(PAC, pack=3), TrainSettings(batch_size=8))
    seen = []
    forward = t.D.forward
    monkeypatch.setattr(t.D, "forward", lambda x, **kw: (seen.append(x.detach().clone()), forward(x, **kw))[1])

    def replay(state, real: bool):
        # The trainer's own draws again: (reals, then) latent vectors, 8 packs of 3 each.
        gen = torch.Generator()
        gen.set_state(state)
        x = t.sampler.sample(24, gen)[0].reshape(1, 8, 6) if real else None
        with torch.no_grad():
            fake = t.generate(t.sample_z(24, gen)).reshape(1, 8, 6)
        return x, fake

    real, fake = replay(t.gen.get_state(), True)
    t.d_step()
    assert len(seen) == 1 and seen[0].shape == (1, 16, 6)      # batch_size counts packs
    assert torch.equal(seen[0][:, :8], real)                   # real packs first, all real ...
    assert torch.allclose(seen[0][:, 8:], fake, atol=1e-6)     # ... then fake packs, all fake
    _, fake = replay(t.gen.get_state(), False)
    t.g_step()
    assert len(seen) == 2 and torch.allclose(seen[1], fake, atol=1e-6)   # G's loss reads packed fakes


def test_table1_networks_build_and_train():
    t = trainer(TABLE1, TrainSettings(lr_d=1e-4, lr_g=1e-4, beta1=0.8, batch_size=100), data="grid25")
    g_linear = (2 * 400 + 400) + 3 * (400 * 400 + 400) + (400 * 2 + 2)
    assert t.G.flat.shape[1] == g_linear + 4 * 2 * 400
    d_linear = (8 * 1000 + 1000) + 2 * (200 * 1000 + 1000) + (201 * 1 + 1)    # + the minibatch-std input
    assert t.D.flat.shape[1] == d_linear
    t.step(2)
    assert torch.isfinite(t.G.flat).all() and torch.isfinite(t.stats.d_loss).all()


# -- the trainer's paths ------------------------------------------------------------------------------
def test_defaults_keep_the_hand_written_fast_path():
    explicit = ModelSettings(g_batchnorm=False, d_maxout=0, pack=1)
    a, b = trainer(ModelSettings()), trainer(explicit)
    assert a._fast_d and a._fast_g and a._fast_joint and b._fast_d
    assert a.G.flat.shape[1] == (2 * 64 + 64) + (64 * 64 + 64) + (64 * 2 + 2)
    a.step(10)
    b.step(10)
    assert torch.equal(a.G.flat, b.G.flat) and torch.equal(a.D.flat, b.D.flat)


@pytest.mark.parametrize("change", [{"g_batchnorm": True}, {"d_maxout": 2}, {"pack": 2}], ids=str)
def test_each_option_takes_the_autograd_path(change):
    t = trainer(dataclasses.replace(SMALL, **change))
    assert not (t._fast_d or t._fast_g or t._fast_joint)


def test_lockstep_gan_matches_the_same_gan_alone():
    panels = [TrainSettings(batch_size=32, lr_d=1e-3), TrainSettings(loss="lsgan", batch_size=32, lr_d=3e-3, gp=0.5)]
    group, alone = trainer(settings=panels), trainer(settings=panels[1])
    assert torch.equal(group.G.flat[1], alone.G.flat[0]) and torch.equal(group.D.flat[1], alone.D.flat[0])
    group.step(10)
    alone.step(10)
    assert torch.allclose(group.G.flat[1], alone.G.flat[0], atol=1e-5)
    assert torch.allclose(group.D.flat[1], alone.D.flat[0], atol=1e-5)
    assert not torch.allclose(group.G.flat[0], group.G.flat[1])


@pytest.mark.parametrize("change", [
    {"gp": 1.0}, {"r1": 1.0}, {"spectral_norm": True}, {"minibatch_std": True}, {"unroll": 2},
    {"consensus": 0.1}, {"update": "simultaneous"}, {"instance_noise": 0.1, "label_smoothing": 0.1},
    {"loss": "wgan", "clip": 0.01, "optimizer": "rmsprop"},
], ids=lambda c: ",".join(c))
def test_options_combine_with_the_regularisers(change):
    t = trainer(settings=TrainSettings(batch_size=32, **change))
    g0, d0 = t.G.flat.detach().clone(), t.D.flat.detach().clone()
    t.step(3)
    assert not t.diverged.any()
    assert not torch.equal(t.G.flat, g0) and not torch.equal(t.D.flat, d0)
    ev = Evaluator(t)
    fr, me = ev.frame(), ev.metrics()
    for key in ("d_grid", "fake", "fake_grad", "fake_d", "manifold"):
        assert np.isfinite(fr[key]).all(), key
    assert np.isfinite(me["metrics"]["d_acc"]).all() and np.isfinite(me["metrics"]["js"]).all()


# -- evaluation ---------------------------------------------------------------------------------------
def test_heatmap_reads_packs_of_copies_and_metrics_read_real_packs():
    t = trainer()
    t.step(3)
    ev = Evaluator(t)
    fr = ev.frame()
    pts = torch.as_tensor(ev.grid.points, dtype=torch.float32)
    with torch.no_grad():
        raw = t.D(torch.cat([pts, pts], dim=1).unsqueeze(0)).squeeze(2)[0].numpy()
    np.testing.assert_allclose(fr["d_grid"][0].ravel(), get_loss("ns").to_prob(raw), rtol=1e-5, atol=1e-7)
    assert fr["fake"].shape == (1, N_SHOW, 2) and fr["fake_grad"].shape == (1, N_SHOW, 2)
    assert fr["fake_d"].shape == (1, N_SHOW)
    # D's accuracy and mean outputs read real packs of independent samples, as in training.
    real = torch.as_tensor(ev.real_ref, dtype=torch.float32).reshape(1, -1, 4)
    with torch.no_grad():
        d_real = get_loss("ns").to_prob(t.D(real).squeeze(2)[0].numpy())
    assert ev.metrics()["metrics"]["d_real"][0] == pytest.approx(d_real.mean(), rel=1e-5)


# -- validation ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("change,field", [
    ({"g_batchnorm": 1}, "model.g_batchnorm"),
    ({"d_maxout": 1}, "model.d_maxout"), ({"d_maxout": 17}, "model.d_maxout"), ({"d_maxout": 2.0}, "model.d_maxout"),
    ({"d_maxout": True}, "model.d_maxout"),
    ({"pack": 0}, "model.pack"), ({"pack": 9}, "model.pack"), ({"pack": "2"}, "model.pack"),
    ({"pack": 2, "conditional": True}, "model.pack"),
    ({"init_std": -0.1}, "model.init_std"), ({"init_std": float("nan")}, "model.init_std"),
    ({"init_std": True}, "model.init_std"),
])
def test_bad_values_name_the_field(change, field):
    with pytest.raises(SettingsError, match=field.replace(".", r"\.")) as e:
        trainer(dataclasses.replace(SMALL, **change))
    assert "\n" not in str(e.value)


def test_batchnorm_needs_two_samples_per_batch():
    with pytest.raises(SettingsError, match=r"train\.batch_size"):
        trainer(dataclasses.replace(SMALL, g_batchnorm=True), TrainSettings(batch_size=1))
    trainer(PAC, TrainSettings(batch_size=1)).step(1)     # one pack of two samples is a batch of two


def test_init_std_draws_gaussian_weights_and_zero_biases():
    # PacGAN's (and DCGAN's) initialisation: weights N(0, 0.02^2), biases 0.
    model = ModelSettings(latent_dim=2, g_width=400, d_width=200, g_layers=2, d_layers=2, init_std=0.02)
    t = Trainer(preset("ring8"), model, TrainSettings(batch_size=16))
    for w, b in t.G.weights() + t.D.weights():
        assert torch.count_nonzero(b) == 0
    w = t.G.weights()[1][0].detach()
    assert abs(float(w.std()) - 0.02) < 0.001 and abs(float(w.mean())) < 0.001
    default = Trainer(preset("ring8"), dataclasses.replace(model, init_std=0.0), TrainSettings(batch_size=16))
    assert torch.count_nonzero(default.G.weights()[0][1]) > 0      # PyTorch's default: uniform biases too
