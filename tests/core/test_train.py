"""The trainer: D -> D*, determinism, live changes, lockstep, divergence."""
import dataclasses
from dataclasses import replace

import numpy as np
import pytest
import torch

from ganviz.core.data import Mixture, preset
from ganviz.core.evaluate import Evaluator
from ganviz.core.settings import ModelSettings, SettingsError, TrainSettings
from ganviz.core.train import Trainer, TrainingDiverged, resolve_device

SMALL = ModelSettings(latent_dim=2, g_width=32, d_width=32)


def small_trainer(settings=TrainSettings(batch_size=64), data="ring8", seed=0, model=SMALL):
    return Trainer(preset(data), model, settings, seed=seed)


def weights(t):
    return t.G.flat.detach().clone(), t.D.flat.detach().clone()


def test_d_approaches_d_star_with_g_frozen():
    # A linear G (no hidden layer) frozen at x = 0.6 z + 0.5: p_g = N(0.5, 0.6^2) overlaps both data modes.
    model = ModelSettings(latent_dim=1, g_layers=0, activation="leaky_relu", d_width=64)
    t = Trainer(preset("bimodal1d"), model, TrainSettings(lr_d=2e-3, batch_size=1024, freeze_g=True), seed=0)
    with torch.no_grad():
        t.G.flat.copy_(torch.tensor([[0.6, 0.5]]))
    ev = Evaluator(t)
    for lr in (2e-3, 3e-4, 1e-4):      # a decaying learning rate, so that SGD noise settles
        t.update_settings(0, lr_d=lr)
        t.step(1000)
    assert torch.equal(t.G.flat, torch.tensor([[0.6, 0.5]]))
    m, f = ev.metrics(), ev.frame()
    pd, pg = m["p_data"], m["p_g"][0]
    total = pd + pg
    where = total > 0.01 * total.max()
    err = np.abs(f["d_grid"][0] - m["d_star"][0])[where]
    assert where.sum() > 100
    assert err.max() <= 0.05
    # ... and D* itself is right: p_g was estimated well enough.
    exact_pg = np.exp(-0.5 * ((ev.grid.x - 0.5) / 0.6) ** 2) / (0.6 * np.sqrt(2 * np.pi))
    d_star_exact = pd / (pd + exact_pg)
    assert np.abs(m["d_star"][0] - d_star_exact)[where].max() < 0.05
    # The metric of D against D* agrees with the RMS gap computed on the grid with the exact p_g.
    rms = np.sqrt(np.sum((f["d_grid"][0] - d_star_exact) ** 2 * (pd + exact_pg) / 2) * ev.grid.cell)
    assert m["metrics"]["d_gap"][0] == pytest.approx(rms, abs=0.01)
    assert rms < 0.02


def test_same_seed_same_numbers_on_cpu():
    def run():
        t = small_trainer(TrainSettings(batch_size=64, instance_noise=0.05, gp=0.1))
        t.step(30)
        ev = Evaluator(t)
        return ev.metrics()["metrics"], weights(t)

    (m1, w1), (m2, w2) = run(), run()
    assert torch.equal(w1[0], w2[0]) and torch.equal(w1[1], w2[1])
    for key in m1:
        np.testing.assert_array_equal(m1[key], m2[key])


def test_different_seed_different_numbers():
    a, b = small_trainer(seed=0), small_trainer(seed=1)
    a.step(5), b.step(5)
    assert not torch.equal(a.G.flat, b.G.flat)


CHANGES = [
    {"loss": "minimax"}, {"loss": "lsgan"}, {"loss": "wgan", "clip": 0.01}, {"loss": "hinge"},
    {"k": 3}, {"g_steps": 2}, {"lr_d": 3e-3, "lr_g": 1e-4}, {"optimizer": "rmsprop"}, {"optimizer": "momentum"},
    {"batch_size": 32}, {"update": "simultaneous"}, {"label_smoothing": 0.2}, {"instance_noise": 0.1},
    {"instance_noise": 0.1, "noise_anneal": 100}, {"gp": 1.0}, {"r1": 1.0}, {"unroll": 2}, {"consensus": 0.1},
    {"minibatch_std": True}, {"spectral_norm": True}, {"freeze_g": True}, {"beta1": 0.9},
]


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: ",".join(c))
def test_live_change_takes_effect_on_next_step_and_keeps_weights(change):
    a = small_trainer()
    a.step(5)
    before = weights(a)
    a.update_settings(0, **change)
    assert all(torch.equal(x, y) for x, y in zip(before, weights(a)))   # weights kept
    # A trainer built with the new settings from the same state must take the same next step.
    b = small_trainer(dataclasses.replace(TrainSettings(batch_size=64), **change))
    b.load_state(a.state_dict())
    if "optimizer" in change:    # a new optimizer starts with fresh state in both
        b.opt_d.reset(), b.opt_g.reset()
    d0 = a.d_step_count
    a.step(1)
    b.step(1)
    assert torch.allclose(a.G.flat, b.G.flat, atol=1e-6) and torch.allclose(a.D.flat, b.D.flat, atol=1e-6)
    assert not torch.equal(a.D.flat, before[1])       # D moved
    assert torch.equal(a.G.flat, before[0]) == bool(change.get("freeze_g"))
    assert a.d_step_count - d0 == change.get("k", 1)


def test_loss_change_changes_the_update():
    a, b = small_trainer(), small_trainer()
    a.step(3), b.step(3)
    b.update_settings(0, loss="minimax")
    a.step(1), b.step(1)
    assert not torch.allclose(a.G.flat, b.G.flat)


def test_lockstep_gan_matches_the_same_gan_alone():
    losses = ["ns", "minimax", "lsgan", "hinge"]
    group = small_trainer([TrainSettings(loss=l, batch_size=64, lr_d=1e-3 * (i + 1)) for i, l in enumerate(losses)])
    alone = small_trainer(TrainSettings(loss="lsgan", batch_size=64, lr_d=3e-3))
    # Same initial weights for every panel.
    assert all(torch.equal(group.G.flat[i], group.G.flat[0]) for i in range(4))
    assert torch.equal(group.G.flat[2], alone.G.flat[0]) and torch.equal(group.D.flat[2], alone.D.flat[0])
    group.step(20)
    alone.step(20)
    assert torch.allclose(group.G.flat[2], alone.G.flat[0], atol=1e-5)
    assert torch.allclose(group.D.flat[2], alone.D.flat[0], atol=1e-5)
    assert not torch.allclose(group.G.flat[0], group.G.flat[2])


def _alone_equals_lockstep(group, alone, i, atol=1e-5, d_atol=5e-4):
    # D is compared by what it computes: a weight whose true gradient is 0 (the bias of a ReLU unit under a
    # gradient penalty, whose input gradient does not depend on it) gets rounding noise for a gradient, which
    # Adam turns into steps of size lr, different for every order of summation, and which move D's outputs
    # by ~1e-4 where such a unit is active.
    assert torch.allclose(group.G.flat[i], alone.G.flat[0], atol=atol), i
    x = torch.linspace(-1.5, 1.5, 400).view(1, 200, 2)
    with torch.no_grad():
        d_group = group.D(x.expand(group.m, -1, -1))[i]
        d_alone = alone.D(x)[0]
    assert torch.allclose(d_group, d_alone, atol=d_atol), (i, (d_group - d_alone).abs().max())


def test_penalised_panels_in_lockstep_match_the_same_gans_alone_and_cost_only_their_rows():
    # A gradient penalty and R1 are computed on the rows of the GANs that use them (issue 14): a GP panel
    # among plain ones, an R1 panel, and the plain ones, each gives the numbers of the same GAN alone.
    panels = [TrainSettings(batch_size=64), TrainSettings.for_loss("wgan-gp", batch_size=64, k=1),
              TrainSettings(loss="hinge", r1=1.0, batch_size=64), TrainSettings(loss="lsgan", batch_size=64)]
    group = small_trainer(panels)
    widths = []
    forward = group.D.forward

    def spy(x, **kw):
        if kw.get("rows") is not None:
            widths.append(x.shape[0])
        return forward(x, **kw)

    group.D.forward = spy
    group.step(12)
    assert widths and set(widths) == {1}, "penalty passes run on one row each"
    assert group._fast_d, "the other panels keep the hand-written backward"
    for i, s in enumerate(panels):
        alone = small_trainer(s)
        alone.step(12)
        _alone_equals_lockstep(group, alone, i)


def test_an_unrolled_panel_in_lockstep_matches_the_same_gan_alone():
    # Unrolled D steps run on the unrolling GANs' rows only; alone, they are all of its rows, so that a G
    # gradient that missed the path through the unrolled steps' fakes in lockstep would show here.
    panels = [TrainSettings(batch_size=64, unroll=3), TrainSettings(batch_size=64, unroll=3, loss="lsgan"),
              TrainSettings(batch_size=64, unroll=1), TrainSettings(batch_size=64, loss="hinge")]
    group = small_trainer(panels)
    group.step(6)
    for i in (0, 1):
        alone = small_trainer(panels[i])
        alone.step(6)
        _alone_equals_lockstep(group, alone, i)


def test_instance_noise_elsewhere_in_the_set_leaves_a_gan_unchanged():
    # Noise and penalty draws come from their own generator, only while some GAN uses them: a plain GAN
    # in lockstep with a noisy one gets the same batches, hence the same weights, as that GAN alone.
    group = small_trainer([TrainSettings(batch_size=64), TrainSettings(batch_size=64, instance_noise=0.2, gp=1.0)])
    alone = small_trainer(TrainSettings(batch_size=64))
    assert group._draw_noise and not alone._draw_noise
    group.step(10)
    alone.step(10)
    assert torch.allclose(group.G.flat[0], alone.G.flat[0], atol=1e-5)
    assert torch.allclose(group.D.flat[0], alone.D.flat[0], atol=1e-5)
    assert not torch.allclose(group.D.flat[1], alone.D.flat[0], atol=1e-3)
    assert torch.equal(group.gen.get_state(), alone.gen.get_state())


def test_lockstep_panels_share_data_batches():
    t = small_trainer([TrainSettings(batch_size=16), TrainSettings(loss="minimax", batch_size=16)])
    x, _ = t._real(16)
    assert x.shape == (2, 16, 2) and torch.equal(x[0], x[1])


def test_per_gan_k_counts_d_steps():
    t = small_trainer([TrainSettings(k=1, batch_size=32), TrainSettings(k=3, batch_size=32)])
    t.step(1)
    d_first = t.D.flat.detach().clone()
    t.step(1)
    assert t.d_step_count == 6   # max k per iteration, masked per GAN
    assert not torch.equal(d_first[0], t.D.flat[0]) and not torch.equal(d_first[1], t.D.flat[1])


def test_weight_clipping_bounds_d():
    t = small_trainer(TrainSettings.for_loss("wgan", batch_size=32))
    t.step(3)
    assert t.D.flat.abs().max().item() <= 0.01 + 1e-7


def test_conditional_gan_trains_with_labels():
    t = small_trainer(TrainSettings(batch_size=32), model=dataclasses.replace(SMALL, conditional=True))
    t.step(3)
    ev = Evaluator(t)
    ev.view_class = 3
    fr = ev.frame()
    assert np.isfinite(fr["fake"]).all() and fr["fake"].shape == (1, 512, 2)


def test_conditional_gan_with_minibatch_std_feature():
    # The feature for evaluation on a grid comes from a labelled real batch through D's own hidden layers.
    model = dataclasses.replace(SMALL, conditional=True)
    t = small_trainer(TrainSettings(batch_size=32, minibatch_std=True), model=model)
    t.step(1)
    state = t._eval_gen().get_state()
    t.step(1)
    t._eval_gen().set_state(state)     # the real batch behind the last feature, drawn again
    x, cond = t._real_eval(32)
    h = t.D.features(t._with_cond(x, cond))
    assert torch.allclose(t._mbstd_real, t.D.minibatch_std(h, 1)[:, :1])
    assert np.isfinite(Evaluator(t).frame()["d_grid"]).all()


def test_divergence_is_caught_and_weights_stay_finite():
    t = small_trainer(TrainSettings(loss="wgan", lr_d=1.0, lr_g=1.0, k=50, batch_size=32, optimizer="sgd"))
    with pytest.raises(TrainingDiverged, match="diverged at step"):
        t.step(50)
    assert torch.isfinite(t.G.flat).all() and torch.isfinite(t.D.flat).all()
    assert t.step_count < 50    # stopped at once, not after the requested steps


def test_one_diverging_panel_does_not_stop_the_others():
    t = small_trainer([TrainSettings(batch_size=32, optimizer="sgd", lr_d=0.01),
                       TrainSettings(loss="wgan", batch_size=32, optimizer="sgd", lr_d=1.0, lr_g=1.0, k=50)])
    t.step(40)
    assert t.diverged.view(-1).tolist() == [False, True]
    assert torch.isfinite(t.D.flat).all()


def test_a_diverged_gan_keeps_its_weights_while_the_others_train_on():
    # Adam on both, so that the fused kernel runs: a diverged GAN's update must be exactly 0 ever after
    t = small_trainer([TrainSettings(batch_size=32, lr_d=1e-3), TrainSettings(batch_size=32, lr_d=1e-3)])
    t.step(5)                                   # both have moments to go on with
    with torch.no_grad():
        t.D.flat[1] *= 1e37                     # GAN 1's D overflows: its losses become infinite
    t.step(1)
    assert t.diverged.view(-1).tolist() == [False, True]
    g0, d0 = weights(t)
    t.step(10)
    g1, d1 = weights(t)
    assert torch.equal(g1[1], g0[1]) and torch.equal(d1[1], d0[1])      # stopped means stopped
    assert not torch.equal(g1[0], g0[0]) and not torch.equal(d1[0], d0[0])


def test_a_gan_stopped_for_good_stays_stopped_when_its_numbers_turn_finite_again():
    # On the CPU a step of healthy GANs looks at one total only (Trainer._finite_mask): once a GAN has blown
    # up, each step takes the per-GAN mask again, even when that GAN's own numbers are finite once more.
    t = small_trainer([TrainSettings(batch_size=32, lr_d=1e-3), TrainSettings(batch_size=32, lr_d=1e-3)])
    t.step(3)
    finite = t.D.flat[1].detach().clone()
    with torch.no_grad():
        t.D.flat[1] *= 1e37
    t.step(1)
    assert t.diverged.view(-1).tolist() == [False, True] and not t._all_healthy
    with torch.no_grad():
        t.D.flat[1].copy_(finite)              # its losses and gradients are finite again
    g0, d0 = weights(t)
    t.step(5)
    g1, d1 = weights(t)
    assert torch.equal(g1[1], g0[1]) and torch.equal(d1[1], d0[1])
    assert not torch.equal(d1[0], d0[0])


def test_bad_settings_name_the_field():
    with pytest.raises(SettingsError, match=r"train\.k"):
        small_trainer(TrainSettings(k=0))
    with pytest.raises(SettingsError, match=r"train\.lr_d"):
        small_trainer(TrainSettings(lr_d=-1.0))
    with pytest.raises(SettingsError, match=r"train\.loss"):
        small_trainer(TrainSettings(loss="nope"))
    with pytest.raises(SettingsError, match=r"share batch_size"):
        small_trainer([TrainSettings(batch_size=32), TrainSettings(batch_size=64)])


def test_device_resolution():
    expect = "cuda" if torch.cuda.is_available() else "cpu"
    if not torch.cuda.is_available() and getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        expect = "mps"
    assert resolve_device("auto").type == expect
    assert resolve_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(SettingsError, match="device: cuda"):
            resolve_device("cuda")
    with pytest.raises(SettingsError, match="device"):
        resolve_device("tpu")


@pytest.mark.parametrize("kw,model", [
    ({}, SMALL),
    ({"update": "simultaneous"}, SMALL),
    ({"instance_noise": 0.1, "label_smoothing": 0.1, "k": 2}, SMALL),
    ({"loss": "lsgan"}, dataclasses.replace(SMALL, activation="tanh", conditional=True)),
    ({"loss": "hinge"}, dataclasses.replace(SMALL, activation="leaky_relu", g_layers=0)),
    # EBGAN: the softplus energy head's backward and the loss's analytic gradients
    ({"loss": "ebgan", "margin": 0.8}, SMALL),
])
@pytest.mark.parametrize("m", [1, 3])
def test_hand_written_backward_matches_autograd(kw, model, m):
    settings = [TrainSettings(batch_size=64, **kw) for _ in range(m)]
    a = small_trainer(settings, model=model)
    b = small_trainer(settings, model=model)
    b.fast = False
    b.apply_settings(b.settings)
    assert a._fast_d and not b._fast_d
    a.step(5)
    b.step(5)
    assert torch.allclose(a.G.flat, b.G.flat, atol=1e-5) and torch.allclose(a.D.flat, b.D.flat, atol=1e-5)
    assert torch.allclose(a.stats.grad_norm_g, b.stats.grad_norm_g, rtol=1e-4)


def test_evaluator_fake_gradients_match_autograd():
    a = small_trainer(TrainSettings(batch_size=32, loss="minimax"))
    a.step(3)
    ev = Evaluator(a)
    fast = ev.frame()["fake_grad"]
    a.fast = False
    a.apply_settings(a.settings)
    slow = ev.frame()["fake_grad"]
    np.testing.assert_allclose(fast, slow, rtol=1e-4, atol=1e-6)
    assert np.abs(fast).max() > 0


def test_1d_divergences_count_the_mass_of_a_g_off_the_data():
    # p_g = N(0, 0.1^2), p_data = N(4, 0.1^2): disjoint supports, JS = ln 2, even though the view's
    # grid (around the data) holds none of G's samples.
    model = ModelSettings(latent_dim=1, g_layers=0, activation="leaky_relu", d_width=16)
    t = Trainer(Mixture.isotropic(np.array([[4.0]]), 0.1), model, TrainSettings(batch_size=64), seed=0)
    with torch.no_grad():
        t.G.flat.copy_(torch.tensor([[0.1, 0.0]]))
    ev = Evaluator(t)
    assert ev.grid.x[0] > 1.0
    m = ev.metrics()["metrics"]
    assert m["js"][0] == pytest.approx(np.log(2), abs=1e-3)
    # Every data sample lies beyond G's samples: KL(p_data || p_g) can only be bounded below, and says so.
    assert m["missed"][0] > 0.99 and m["kl_data_g_lower"][0] == 1.0
    assert m["kl_g_data"][0] > 20
    # Moved onto the data, the same G scores about 0.
    with torch.no_grad():
        t.G.flat.copy_(torch.tensor([[0.1, 4.0]]))
    assert ev.metrics()["metrics"]["js"][0] < 0.01


def test_unrolling_acts_on_simultaneous_updates_too():
    # The unrolled-GAN reference code updates D and G simultaneously; unroll must not be ignored there.
    plain = small_trainer(TrainSettings(batch_size=64, update="simultaneous"))
    unrolled = small_trainer(TrainSettings(batch_size=64, update="simultaneous", unroll=3))
    plain.step(1)
    unrolled.step(1)
    assert torch.allclose(plain.D.flat, unrolled.D.flat, atol=1e-6)   # D does not look ahead (fast path vs autograd)
    assert not torch.allclose(plain.G.flat, unrolled.G.flat)   # G's loss reads the unrolled D


# -- interruptible steps: Pause within one piece, and the run's numbers unchanged ------------------------

INTERRUPTIBLE_CASES = {
    "plain, k=3": ({}, {"k": 3}),
    "unrolled": ({}, {"unroll": 3}),
    "gradient penalty": ({}, {"loss": "wgan", "gp": 10.0}),
    "simultaneous with consensus": ({}, {"consensus": 0.5}),
    "spectral norm and minibatch std": ({}, {"spectral_norm": True, "minibatch_std": True}),
    "g_steps=2, batch norm": ({"g_batchnorm": True}, {"g_steps": 2}),
    "minibatch discrimination, virtual batch norm": ({"md_kernels": 3, "g_vbn": True}, {"minibatch_disc": True}),
    "ebgan, autoencoder D": ({"d_kind": "autoencoder"}, {"loss": "ebgan"}),
}


def _interruptible_trainer(model_changes: dict, train_changes: dict, seed=5):
    from ganviz.core.scenario import load
    sc = load("ring8")
    model = replace(sc.model, g_width=16, d_width=16, **model_changes)
    train = replace(sc.train, batch_size=32, **train_changes)
    return Trainer(sc.data.mixture(), model, [train, replace(train, lr_d=train.lr_d / 2)], seed=seed)


@pytest.mark.parametrize("case", list(INTERRUPTIBLE_CASES))
def test_a_step_abandoned_at_any_yield_point_is_rolled_back_and_the_run_repeats(case):
    # Each yield point of a step in turn says "stop": the step is abandoned there and rolled back, and the
    # run, resumed, gives exactly the numbers of a run never interrupted.
    plain = _interruptible_trainer(*INTERRUPTIBLE_CASES[case])
    for _ in range(3):
        plain.step(1)
    points = []
    assert plain.step_interruptible(lambda: points.append(1) and False)
    assert len(points) >= 2, "a step has yield points"
    plain.step(1)

    t = _interruptible_trainer(*INTERRUPTIBLE_CASES[case])
    t.step(3)
    for stop_at in range(len(points)):
        before = t.state_dict()
        seen = []
        assert not t.step_interruptible(lambda: seen.append(1) or len(seen) > stop_at)
        after = t.state_dict()
        assert after["step"] == before["step"] == 3
        for key in ("G", "D"):
            assert torch.equal(after[key], before[key]), (case, stop_at, key)
        assert torch.equal(after["gen"], before["gen"]) and torch.equal(after["noise_gen"], before["noise_gen"])
    assert t.step_interruptible(lambda: False)
    t.step(1)
    for key in ("G", "D"):
        assert torch.equal(t.state_dict()[key], plain.state_dict()[key]), case
    assert not bool(t.diverged.any())


def test_unrolled_g_backward_has_a_yield_point_in_each_unrolled_step():
    # G's backward through 6 unrolled D steps is one autograd call; hooks put a yield point in each step.
    def count(unroll: int) -> int:
        t = _interruptible_trainer({}, {"unroll": unroll})
        n = []
        t.step_interruptible(lambda: n.append(1) and False)
        return len(n)
    assert count(6) - count(1) >= 2 * 5


# -- independent runs in lockstep: a seed per run ----------------------------------------------------------

RUN_CASES = {
    "plain": (SMALL, [TrainSettings(batch_size=64), TrainSettings(loss="lsgan", batch_size=64)]),
    "noise, penalty, unrolled": (SMALL, [TrainSettings(batch_size=64, instance_noise=0.1, gp=1.0),
                                         TrainSettings(batch_size=64, unroll=2)]),
    "conditional, minibatch std, batch norm": (
        dataclasses.replace(SMALL, conditional=True, g_batchnorm=True),
        [TrainSettings(batch_size=64, minibatch_std=True), TrainSettings(batch_size=64, r1=1.0)]),
    "packed, one GAN a run": (dataclasses.replace(SMALL, pack=2), [TrainSettings(batch_size=32)]),
    "minibatch discrimination, virtual batch norm, ebgan": (
        dataclasses.replace(SMALL, md_kernels=4, g_vbn=True),
        [TrainSettings(batch_size=32, minibatch_disc=True), TrainSettings(batch_size=32, loss="ebgan")]),
}


@pytest.mark.parametrize("case", list(RUN_CASES))
def test_each_run_in_lockstep_gives_the_numbers_of_that_seed_alone(case):
    model, panels = RUN_CASES[case]
    seeds = [4, 7, 11]
    lock = small_trainer(panels, seed=seeds, model=model)
    assert (lock.runs, lock.per_run, lock.m) == (3, len(panels), 3 * len(panels))
    lock.step(8)
    for r, seed in enumerate(seeds):
        alone = small_trainer(panels, seed=seed, model=model)
        alone.step(8)
        for i in range(len(panels)):
            j = r * len(panels) + i
            assert torch.allclose(lock.G.flat[j], alone.G.flat[i], atol=1e-5), (case, r, i)
            assert torch.allclose(lock.D.flat[j], alone.D.flat[i], atol=1e-4), (case, r, i)
        # The run as a trainer of its own continues as the run alone does.
        own = lock.run_trainer(r)
        assert own.seed == seed and own.step_count == 8
        assert torch.equal(own.gen.get_state(), alone.gen.get_state())
        assert torch.equal(own.noise_gen.get_state(), alone.noise_gen.get_state())
        own.step(2)
        alone.step(2)
        assert torch.allclose(own.G.flat, alone.G.flat, atol=1e-5), (case, r)
    # The runs differ: their own initial weights and batches.
    assert not torch.allclose(lock.G.flat[0], lock.G.flat[len(panels)])


def test_a_diverged_run_stops_where_it_would_alone_and_the_others_go_on():
    s = TrainSettings(batch_size=32, optimizer="sgd", lr_d=0.01)
    lock = small_trainer(s, seed=[0, 1])
    with torch.no_grad():
        lock.D.flat[1].fill_(3e38)           # run 1's D overflows on its first batch
    lock.step(5)
    assert lock.run_steps(1) == 1 and lock.run_steps(0) == 5
    stopped = lock.run_trainer(1)
    assert bool(stopped.diverged.all()) and stopped.step_count == 1
    alone = small_trainer(s, seed=0)
    alone.step(5)
    assert torch.allclose(lock.G.flat[0], alone.G.flat[0], atol=1e-6)
    with torch.no_grad():
        lock.D.flat[0].fill_(3e38)
    with pytest.raises(TrainingDiverged, match="every run"):
        lock.step(2)


def test_a_step_of_several_runs_abandoned_is_rolled_back_with_every_runs_streams():
    def make():
        return _interruptible_trainer({}, {"gp": 1.0, "instance_noise": 0.1, "unroll": 1}, seed=[5, 6])

    plain = make()
    plain.step(2)
    t = make()
    t.step(1)
    before = t.state_dict()
    seen = []
    assert not t.step_interruptible(lambda: seen.append(1) or len(seen) > 3)
    after = t.state_dict()
    for key in ("gens", "noise_gens"):
        assert all(torch.equal(a, b) for a, b in zip(after[key], before[key])), key
    assert torch.equal(after["D"], before["D"])
    assert t.step_interruptible(lambda: False)
    assert torch.equal(t.G.flat, plain.G.flat) and torch.equal(t.D.flat, plain.D.flat)
    # state_dict / load_state carry every run's streams.
    other = make()
    other.load_state(plain.state_dict())
    plain.step(1), other.step(1)
    assert torch.equal(other.G.flat, plain.G.flat)


# -- issue 16: minibatch discrimination, EBGAN, virtual batch norm ------------------------------------------

def test_minibatch_discrimination_ebgan_and_plain_panels_in_lockstep_match_the_same_gans_alone():
    model = dataclasses.replace(SMALL, md_kernels=4)
    panels = [TrainSettings(batch_size=48), TrainSettings(batch_size=48, minibatch_disc=True),
              TrainSettings(batch_size=48, loss="ebgan", margin=0.7), TrainSettings(batch_size=48, minibatch_std=True)]
    group = small_trainer(panels, model=model)
    group.step(10)
    for i, s in enumerate(panels):
        alone = small_trainer(s, model=model)
        alone.step(10)
        _alone_equals_lockstep(group, alone, i)
    assert not torch.allclose(group.G.flat[0], group.G.flat[1], atol=1e-4), "the feature changes the GAN"


def test_minibatch_discrimination_features_are_the_papers_and_a_collapsed_batch_reads_one():
    t = small_trainer(TrainSettings(batch_size=8, minibatch_disc=True), model=dataclasses.replace(SMALL, md_kernels=3))
    net = t.D
    h = torch.randn(1, 8, 32, dtype=torch.float32)
    tt = net.md_tensor()
    o = net.md_features(h, tt, groups=2)
    # By hand: M_i = h_i T as (kernels, dims); o(x_i)_b = mean over the other j of its group of exp(-L1).
    mm = (h[0] @ tt[0].detach()).view(8, 3, 5)
    for i in range(8):
        group = range(0, 4) if i < 4 else range(4, 8)
        expect = torch.stack([torch.exp(-(mm[i] - mm[j]).abs().sum(-1)) for j in group if j != i]).mean(0)
        assert torch.allclose(o[0, i], expect, atol=1e-6), i
    same = net.md_features(h[:, :1].expand(1, 8, 32), tt, groups=1)
    assert torch.allclose(same, torch.ones_like(same))
    # points that are no batch read the features against a reference batch, one by one
    ref = net.md_features_against(h[:, :3], h[:, 3:], tt, chunk=2)
    alone = torch.cat([net.md_features_against(h[:, i:i + 1], h[:, 3:], tt) for i in range(3)], dim=1)
    assert torch.allclose(ref, alone)


def test_minibatch_discrimination_gradients_are_finite_for_a_collapsed_g_and_checked_against_finite_differences():
    t = small_trainer(TrainSettings(batch_size=6, minibatch_disc=True), model=dataclasses.replace(SMALL, md_kernels=2))
    h = torch.randn(1, 6, 32, dtype=torch.float64)
    tt = t.D.md_tensor().detach().double().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda w: t.D.md_features(h, w, 2), (tt,))
    x = torch.zeros(1, 12, 2).requires_grad_(True)        # every fake at one point
    out = t.discriminate(x, groups=2)
    (g,) = torch.autograd.grad(out.sum(), x)
    assert torch.isfinite(g).all()


def test_minibatch_discrimination_needs_the_tensor_t_and_the_error_names_the_field():
    with pytest.raises(SettingsError, match=r"train.minibatch_disc: .*model.md_kernels"):
        small_trainer(TrainSettings(batch_size=8, minibatch_disc=True))


def test_an_autoencoder_d_reads_an_energy_only_the_ebgan_loss_takes():
    model = dataclasses.replace(SMALL, d_kind="autoencoder", d_code=1)
    with pytest.raises(SettingsError, match=r"train.loss: an autoencoder D"):
        small_trainer(TrainSettings(batch_size=8), model=model)
    t = small_trainer(TrainSettings(batch_size=32, loss="ebgan"), model=model)
    x = torch.randn(1, 10, 2)
    with torch.no_grad():
        e = t.discriminate(x)
        # the energy is the mean squared reconstruction error through the bottleneck
        ws = t.D.weights()
        h = x
        for w, b in ws[:-1]:
            h = torch.relu(h @ w + b)
        assert [w.shape[2] for w, _ in ws[:-1]] == [32, 32, 1, 32, 32]
        rec = h @ ws[-1][0][:, :h.shape[2]] + ws[-1][1]
        assert torch.allclose(e, ((rec - x) ** 2).mean(-1), atol=1e-6)
    assert (e >= 0).all()
    t.step(20)
    assert not bool(t.diverged.any())


def test_ebgan_energy_head_is_softplus_of_ds_last_layer_and_finite_at_output_100():
    t = small_trainer([TrainSettings(batch_size=16, loss="ebgan"), TrainSettings(batch_size=16)])
    x = torch.randn(2, 7, 2)
    with torch.no_grad():
        e = t.discriminate(x)
        t.D.head = None
        raw = t.discriminate(x)
    assert torch.allclose(e[0], torch.nn.functional.softplus(raw[0])) and torch.equal(e[1], raw[1])
    t.apply_settings(t.settings)
    with torch.no_grad():                    # a D whose last layer reads +-100: energy and gradient finite
        w, b = t.D.weights()[-1]
        b.fill_(100.0)
        out, cache = t.D.forward_cached(x)
        g, _ = t.D.backward_cached(cache, torch.ones_like(out))
    assert torch.isfinite(out).all() and torch.isfinite(g).all()


def test_virtual_batch_norm_makes_each_sample_independent_of_its_batch_and_batch_norm_does_not():
    for vbn in (False, True):
        t = small_trainer(TrainSettings(batch_size=16), model=dataclasses.replace(SMALL, g_batchnorm=not vbn, g_vbn=vbn))
        t.step(3)
        z = t.sample_z(16)
        other = t.sample_z(16)
        with torch.no_grad():
            a = t.generate(z)
            b = t.generate(torch.cat([z[:4], other[4:]]))
        moved = (a[:, :4] - b[:, :4]).abs().max().item()
        if vbn:
            assert moved < 1e-5, moved
        else:
            assert moved > 1e-3, moved


def test_virtual_batch_norm_by_hand():
    from ganviz.core.nets import BN_EPS, virtual_batch_norm
    h, ref = torch.randn(1, 3, 4, dtype=torch.float64), torch.randn(1, 9, 4, dtype=torch.float64)
    scale, shift = torch.rand(1, 1, 4, dtype=torch.float64), torch.randn(1, 1, 4, dtype=torch.float64)
    out, ref_out = virtual_batch_norm(h, ref, scale, shift)
    for i in range(3):
        both = torch.cat([ref[0], h[0, i:i + 1]])         # the reference batch with the sample itself
        mean, var = both.mean(0), both.var(0, unbiased=False)
        assert torch.allclose(out[0, i], (h[0, i] - mean) / torch.sqrt(var + BN_EPS) * scale[0, 0] + shift[0, 0])
    assert torch.allclose(ref_out[0], (ref[0] - ref[0].mean(0)) / torch.sqrt(ref[0].var(0, unbiased=False) + BN_EPS)
                          * scale[0, 0] + shift[0, 0])


def test_virtual_and_plain_batch_norm_together_are_refused_by_name():
    with pytest.raises(SettingsError, match="model.g_vbn"):
        small_trainer(model=dataclasses.replace(SMALL, g_batchnorm=True, g_vbn=True))
