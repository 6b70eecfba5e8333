"""The lab (no thread): changing the set of panels keeps what the user is watching."""
import dataclasses

import numpy as np
import pytest
import torch

from ganviz.core import scenario as S
from ganviz.engine.lab import Lab


def compare_lab():
    sc = S.load("compare-losses-ring8")
    model = dataclasses.replace(sc.model, g_width=16, d_width=16)
    sc = dataclasses.replace(sc, model=model, train=dataclasses.replace(sc.train, batch_size=32),
                             panels=sc.panels[:3])
    return Lab(sc)


def test_removing_a_panel_keeps_the_others_metric_history():
    lab = compare_lab()
    for _ in range(3):
        lab.train(5)
        lab.evaluate_metrics()
    steps, before = lab.history.arrays()
    _, slow_before = lab.slow_history.arrays()
    panels = [dict(p) for p in lab.scenario.panels]
    lab.set_panels([panels[0], panels[2]], keep=[0, 2])
    steps_after, after = lab.history.arrays()
    slow_steps, slow_after = lab.slow_history.arrays()
    assert list(steps_after) == list(steps) == list(slow_steps) == [5, 10, 15]
    np.testing.assert_array_equal(after["modes"][0], before["modes"][0])
    np.testing.assert_array_equal(slow_after["js"][1], slow_before["js"][2])
    lab.set_panels([panels[0], panels[2], {"loss": "hinge"}], keep=[0, 1, None])
    _, added = lab.slow_history.arrays()
    assert np.isnan(added["js"][2]).all() and np.isfinite(added["js"][0]).all()


def test_the_slow_metrics_keep_their_own_steps():
    lab = compare_lab()
    for i in range(4):
        lab.train(5)
        lab.evaluate_metrics(slow=i % 2 == 1)
    snap = lab.snapshot()
    assert list(snap.history_steps) == [5, 10, 15, 20]
    assert list(snap.slow_steps) == [10, 20] and list(snap.steps_of("js")) == [10, 20]
    assert list(snap.steps_of("modes")) == [5, 10, 15, 20]
    assert snap.history["js"].shape == (3, 2) and snap.history["modes"].shape == (3, 4)
    assert np.isfinite(snap.history["js_se"]).all() and "kl_data_g_lower" in snap.latest


def test_a_new_panel_beside_trained_ones_gets_its_own_adam_step_count():
    lab = compare_lab()
    lab.train(10)
    panels = [dict(p) for p in lab.scenario.panels]
    lab.set_panels(panels + [{"loss": "ns"}], keep=[0, 1, 2, None])
    t = lab.trainer
    assert t.opt_g.state["t"].view(-1).tolist() == [10, 10, 10, 0]
    assert not t.opt_g._t_uniform        # the fused kernel (one step count for all) is not used
    lab.train(1)
    assert t.opt_g.state["t"].view(-1).tolist() == [11, 11, 11, 1]
    assert torch.isfinite(t.G.flat).all()


def small_ring8() -> S.Scenario:
    sc = S.load("ring8")
    return dataclasses.replace(sc, model=dataclasses.replace(sc.model, latent_dim=2, g_width=16, d_width=16),
                               train=dataclasses.replace(sc.train, batch_size=32))


def test_a_picture_computes_only_the_parts_shown_and_reuses_d_on_the_grid():
    lab = Lab(small_ring8())
    lab.set_parts({"fake_d"})
    first = lab.snapshot()
    assert first.step_of("d_grid", 0) == 0 == first.step          # the first picture has D on the grid anyway
    assert first.manifold is None and not np.any(first.fake_grad)
    lab.train(3)
    later = lab.snapshot()
    assert later.step == 3 and later.step_of("d_grid", 0) == 0     # D from step 0, and the picture says so
    np.testing.assert_array_equal(later.d_grid, first.d_grid)
    assert not np.array_equal(later.fake, first.fake)     # the fakes move in every picture
    lab.set_parts({"d_grid", "grad", "manifold"})
    shown = lab.snapshot()
    assert shown.step_of("d_grid", 0) == 3 and shown.manifold is not None and np.any(shown.fake_grad)
    assert not np.array_equal(shown.d_grid, first.d_grid)


def test_a_changed_loss_does_not_reuse_d_on_the_grid():
    lab = Lab(small_ring8())
    lab.set_parts(())
    lab.snapshot()
    lab.train(2)
    lab.set_train(loss="wgan-gp")
    snap = lab.snapshot(parts=())
    assert snap.step_of("d_grid", 0) == 2 and not snap.d_is_prob[0]


def test_metrics_on_the_worker_equal_metrics_at_once_for_the_same_step():
    a, b = Lab(small_ring8()), Lab(small_ring8())
    a.train(6)
    a.evaluate_metrics(slow=True)
    b.train(6)
    assert b.start_metrics(slow=True)
    assert not b.start_metrics(slow=True)          # one at a time
    b.train(4)                                      # training goes on meanwhile
    assert b.collect_metrics(wait=True)[:2] == (6, True)
    assert b.history.arrays()[0].tolist() == [6] == a.history.arrays()[0].tolist()
    for key in ("modes", "hq_frac", "d_real", "d_loss", "js", "kl_g_data", "w1", "d_gap"):
        np.testing.assert_array_equal(b.history.latest().get(key, b.slow_history.latest().get(key)),
                                      a.history.latest().get(key, a.slow_history.latest().get(key)), err_msg=key)
    np.testing.assert_array_equal(b.snapshot().p_g, a.snapshot().p_g)


def test_a_worker_result_for_replaced_data_is_dropped():
    lab = Lab(small_ring8())
    lab.train(2)
    lab.start_metrics(slow=False)
    lab.set_data("grid25")
    assert lab.collect_metrics(wait=True) is None
    assert lab.history.n == 0 and not lab.paused_by_error


def test_the_metrics_of_a_step_are_redone_after_a_change_of_loss():
    lab = Lab(small_ring8())
    lab.train(2)
    lab.evaluate_metrics(slow=True)
    assert lab.metrics_current(slow=True)
    lab.set_train(loss="lsgan")
    assert not lab.metrics_current(slow=False)


def test_a_snapshot_carries_a_thinned_history_whose_points_stay_put():
    from ganviz.engine.lab import History

    h = History(1, size=100, keys=("modes",))
    for step in range(1, 31):
        h.append(step * 10, {"modes": np.array([float(step)])})
    steps, values = h.arrays(shown=8)
    assert steps.tolist() == [10, 50, 90, 130, 170, 210, 250, 290, 300]   # every 4th, and the newest
    np.testing.assert_array_equal(values["modes"][0], steps / 10)
    assert h.arrays(shown=8)[0] is steps                                 # not copied again while unchanged
    h.append(310, {"modes": np.array([31.0])})
    later, _ = h.arrays(shown=8)
    assert set(steps.tolist()[:-1]) <= set(later.tolist()) and later[-1] == 310
    assert h.arrays()[0].tolist() == list(range(10, 320, 10))          # the whole history is kept


def test_a_model_the_trainer_refuses_leaves_the_scenario_of_the_networks_that_train():
    # An autoencoder D reads only the ebgan loss: the trainer refuses it under the non-saturating
    # loss, and the lab must go on reporting (and saving) the model that still trains.
    import pytest

    from ganviz.core.settings import SettingsError

    lab = Lab(small_ring8())
    assert lab.train(3)
    before, trainer = lab.scenario, lab.trainer
    with pytest.raises(SettingsError, match="loss"):
        lab.set_model(d_kind="autoencoder")
    assert lab.scenario is before and lab.scenario.model.d_kind == "mlp"
    assert lab.trainer is trainer and lab.step_count == 3
    assert lab.train(2) and lab.step_count == 5


def small_set(name: str) -> S.Scenario:
    sc = S.load(name)
    return dataclasses.replace(sc, model=dataclasses.replace(sc.model, latent_dim=2, g_width=16, d_width=16),
                               train=dataclasses.replace(sc.train, batch_size=32))


@pytest.mark.parametrize("name", ["compare-losses-ring8", "minibatch-features-ring8"])
def test_a_view_of_one_gan_of_a_set_computes_that_gans_parts_alone_and_exactly(name):
    # The Lab's view draws one GAN of a set: its D grid, arrows, manifold and D(G(z)) are those that a
    # picture of every GAN gives it (the losses' display units, minibatch features, the std feature), and
    # the other GANs keep what they last had, with the step they had it at.
    every, one = Lab(small_set(name)), Lab(small_set(name))
    every.set_grid_stride = 1          # D on every point of the grid for every GAN too (as in an export)
    parts = {"fake_d", "grad", "manifold", "d_grid"}
    every.set_parts(parts)
    one.set_parts(parts, only={p: 1 for p in parts | {"fake"}})
    first = one.snapshot()
    every.train(4)
    one.train(4)
    a, b = every.snapshot(), one.snapshot()
    assert a.step == b.step == 4
    for key in ("d_grid", "fake", "fake_grad", "fake_d", "manifold"):
        np.testing.assert_allclose(getattr(b, key)[1], getattr(a, key)[1], rtol=1e-5, atol=1e-6, err_msg=key)
        assert b.step_of(key, 1) == 4 == a.step_of(key, 0)
        for i in (0, 2):
            # the others' were never computed: zeros, and the step says so
            assert b.step_of(key, i) == -1 == first.step_of(key, i) and not np.any(getattr(b, key)[i]), key
    assert first.step_of("d_grid", 1) == 0
    one.train(1)
    one.set_parts(parts, only={"d_grid": 5})                # a GAN past the set's end: the last one's
    c = one.snapshot()
    assert c.step_of("d_grid", 0) == -1 and c.step_of("d_grid", 1) == 4 and c.step_of("d_grid", c.n_gans - 1) == 5
    assert [c.step_of("fake_grad", i) for i in range(c.n_gans)] == [5] * c.n_gans   # named for none: all
    assert [c.step_of("fake", i) for i in range(c.n_gans)] == [5] * c.n_gans
    every.train(1)
    np.testing.assert_array_equal(c.fake, every.snapshot().fake)      # every GAN's fakes, as Compare draws them


def test_which_gan_a_part_is_shown_for_is_checked_where_it_is_asked():
    from ganviz.core.settings import SettingsError
    from ganviz.engine.api import check_only

    assert check_only({"d_grid": 2}) == {"d_grid": 2} and check_only(None) == {}
    with pytest.raises(SettingsError, match="'divergences' is not drawn per GAN"):
        check_only({"divergences": 0})
    with pytest.raises(SettingsError, match="the GAN shown for d_grid must be an index 0 or more, got -1"):
        check_only({"d_grid": -1})


def test_compare_panels_of_three_gans_or_more_read_d_on_a_coarser_grid_and_say_so():
    lab = Lab(small_set("compare-losses-ring8"))
    lab.train(3)
    lab.set_parts({"d_grid"})                         # Compare's heatmaps: every GAN's
    coarse = lab.snapshot()
    assert coarse.d_grid_stride == 2 and coarse.d_grid.shape == (6, 96, 96)
    fine = lab.evaluator.frame(("d_grid",))["d_grid"]
    # interpolated between a 48 x 48 reading with the same corners: equal there, close everywhere
    for iy, ix in ((0, 0), (0, -1), (-1, 0), (-1, -1)):
        np.testing.assert_allclose(coarse.d_grid[:, iy, ix], fine[:, iy, ix], rtol=1e-5, atol=1e-6)
    gap = np.abs(coarse.d_grid - fine)
    assert gap.mean() < 0.01 and gap.max() < 0.2, (gap.mean(), gap.max())
    lab.set_parts({"d_grid"}, only={"d_grid": 1})     # the Lab's view of one GAN: every point
    assert lab.snapshot().d_grid_stride == 1
    two = Lab(small_set("consensus-ring8"))           # two panels are large enough for every point
    two.set_parts({"d_grid"})
    assert two.snapshot().d_grid_stride == 1
