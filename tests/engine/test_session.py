"""The training thread: commands between steps, immutable snapshots, blow-ups, shutdown."""
import dataclasses
import time

import numpy as np
import pytest
import torch

from ganviz.core import scenario as S
from ganviz.core.settings import SettingsError
from ganviz.engine.lab import Lab
from ganviz.engine.session import Session
from ganviz.engine.snapshot import METRIC_KEYS


def small(name="ring8", **train):
    sc = S.load(name)
    model = dataclasses.replace(sc.model, g_width=32, d_width=32)
    return dataclasses.replace(sc, model=model, train=dataclasses.replace(sc.train, batch_size=64, **train))


@pytest.fixture
def session():
    s = Session(small()).start()
    yield s
    assert s.stop(2.0)


def test_first_snapshot_is_complete_and_read_only(session):
    snap = session.wait_for(lambda s: True, 10)
    assert snap is not None and snap.step == 0 and snap.dim == 2
    assert snap.fake.shape == (1, 512, 2) and snap.d_grid.shape == (1, 96, 96)
    for a in (snap.fake, snap.d_grid, snap.p_g, snap.real, snap.fake_grad, snap.p_data):
        assert not a.flags.writeable and np.isfinite(a).all()
    with pytest.raises(ValueError):
        snap.fake[0, 0, 0] = 1.0
    assert set(snap.history) == set(METRIC_KEYS)


def test_play_pause_step_reset(session):
    session.wait_for(lambda s: True, 10)
    session.play()
    assert session.wait_for(lambda s: s.step >= 20, 10) is not None
    session.pause()
    time.sleep(0.3)
    paused = session.lab.step_count
    time.sleep(0.3)
    assert session.lab.step_count == paused
    session.step(7)
    snap = session.wait_for(lambda s: s.step == paused + 7, 5)
    assert snap is not None and not snap.running
    d0 = session.lab.trainer.d_step_count
    g0 = session.lab.trainer.G.flat.detach().clone()
    session.step_d()
    session.wait_for(lambda s: session.lab.trainer.d_step_count == d0 + 1, 5)
    assert torch.equal(session.lab.trainer.G.flat, g0)        # step D leaves G alone
    session.step_g()
    assert session.wait_for(lambda s: not torch.equal(session.lab.trainer.G.flat, g0), 5) is not None
    assert session.lab.trainer.d_step_count == d0 + 1
    session.reset()
    assert session.wait_for(lambda s: s.step == 0, 5) is not None


def test_live_loss_and_k_change_keeps_weights(session):
    session.play()
    session.wait_for(lambda s: s.step >= 10, 10)
    session.pause()
    time.sleep(0.2)
    w = session.lab.trainer.D.flat.detach().clone()
    session.set_train(loss="hinge", k=4)
    snap = session.wait_for(lambda s: s.loss_ids == ("hinge",), 2)
    assert snap is not None
    assert torch.equal(session.lab.trainer.D.flat, w)
    assert session.lab.trainer.settings[0].k == 4
    d0 = session.lab.trainer.d_step_count
    session.step(1)
    session.wait_for(lambda s: s.step == snap.step + 1, 5)
    assert session.lab.trainer.d_step_count - d0 == 4


def test_bad_value_is_refused_in_the_caller(session):
    with pytest.raises(SettingsError, match=r"train\.k"):
        session.set_train(k=0)
    with pytest.raises(SettingsError, match=r"data\.stds"):
        session.set_data(S.DataSpec(None, [[0.0, 0.0]], [-1.0]))


def test_blow_up_pauses_with_a_message_and_reset_recovers():
    s = Session(small(loss="wgan", optimizer="sgd", lr_d=1.0, lr_g=1.0, k=50, clip=0.0)).start()
    try:
        s.play()
        snap = s.wait_for(lambda x: "diverged" in x.message, 10)
        assert snap is not None and not snap.running
        for a in (snap.fake, snap.d_grid, snap.p_g, snap.fake_grad):
            assert np.isfinite(a).all()
        assert not s.playing
        s.set_train(loss="ns", lr_d=1e-3, lr_g=1e-3, optimizer="adam", k=1)
        s.reset()
        s.play()
        assert s.wait_for(lambda x: x.step > 5 and not x.message, 30) is not None   # a hang guard
    finally:
        assert s.stop(2.0)


def test_data_change_keeps_weights_within_a_dimension(session):
    session.wait_for(lambda s: True, 10)
    w = session.lab.trainer.G.flat.detach().clone()
    session.set_data("grid25")
    snap = session.wait_for(lambda s: len(s.means) == 25, 5)
    assert snap is not None and torch.equal(session.lab.trainer.G.flat, w)
    session.set_data("bimodal1d")
    snap = session.wait_for(lambda s: s.dim == 1, 5)
    assert snap is not None and snap.d_grid.ndim == 2


def test_lab_is_deterministic_and_history_grows():
    def run():
        lab = Lab(small())
        for _ in range(3):
            lab.train(5)
            lab.evaluate_metrics()
        return lab.snapshot()

    a, b = run(), run()
    assert a.history_steps.tolist() == [5, 10, 15]
    np.testing.assert_array_equal(a.fake, b.fake)
    np.testing.assert_array_equal(a.history["js"], b.history["js"])


def test_stop_ends_the_thread_while_training():
    s = Session(small()).start()
    s.play()
    s.wait_for(lambda x: x.step > 3, 10)
    t0 = time.monotonic()
    assert s.stop(2.0)
    assert time.monotonic() - t0 < 2.0 and not s.alive


def test_commands_that_end_a_step_are_told_from_those_that_wait_for_it():
    s = Session(small())
    s.playing = True
    s.set_train(k=3)
    s._polled = -1.0
    assert not s._should_stop_step(), "a settings change waits for the step to end"
    s.pause()
    s._polled = -1.0
    assert s._should_stop_step()
    # Both wait in the backlog and are applied in order after the step.
    s._drain()
    assert not s.playing and s.lab.trainer.settings[0].k == 3 and not s._backlog


def test_pause_in_the_middle_of_a_slow_step_rolls_it_back_and_the_run_repeats():
    # Unrolled 20 times with k = 8 a step takes a good fraction of a second: Pause arrives inside one. The
    # step is abandoned and rolled back, and the run, resumed, has the weights of a run never paused.
    sc = small(unroll=20, k=8)
    s = Session(sc, metrics_hz=0.5, slow_hz=0.2).start()
    try:
        s.step(1)
        assert s.wait_for(lambda snap: snap.step == 1 and not snap.running, 60)
        s.play()
        t_end = time.monotonic() + 60
        while s.lab.step_count < 2 and time.monotonic() < t_end:
            time.sleep(0.001)
        polls = []
        real = s._should_stop_step
        s._should_stop_step = lambda: polls.append(1) or real()
        time.sleep(s._step_time / 3)
        s.pause()
        assert s.wait_for(lambda snap: not snap.running, 60)
        assert polls, "the step in progress looked for commands"
        paused_at = s.lab.step_count
        s.step(5 - paused_at)
        assert s.wait_for(lambda snap: snap.step == 5 and not snap.running, 120)
        resumed = s.lab.trainer.state_dict()
    finally:
        assert s.stop(5.0)
    lab = Lab(sc)
    lab.train(5)
    for key in ("G", "D"):
        assert torch.equal(resumed[key], lab.trainer.state_dict()[key])


def test_show_names_an_unknown_part_and_the_session_computes_what_is_shown():
    sc = S.load("ring8")
    sc = dataclasses.replace(sc, model=dataclasses.replace(sc.model, latent_dim=2, g_width=16, d_width=16))
    s = Session(sc).start()
    try:
        with pytest.raises(SettingsError, match="unknown part heatmap"):
            s.show({"heatmap"})
        s.show({"fake_d"})            # no D on the grid, no divergences
        s.play()
        snap = s.wait_for(lambda x: x.step > 0 and x.running and len(x.history_steps) >= 3, timeout=60)
        assert snap is not None and s.lab.parts == {"fake_d"}
        assert snap.step_of("d_grid", 0) == 0 and len(snap.slow_steps) <= 1     # only the first picture's
        s.show({"fake_d", "d_grid"})
        later = s.wait_for(lambda x: x.step_of("d_grid", 0) > snap.step, timeout=30)
        assert later is not None
    finally:
        s.stop()


def test_a_run_taken_back_to_a_checkpoint_trains_on_exactly_as_it_did():
    # The session puts its state into the snapshot where the run stops; restored later, with unchanged
    # settings, the run from there repeats the uninterrupted one (same seed, same numbers).
    sc = small()
    s = Session(sc).start()
    try:
        s.step(20)
        at20 = s.wait_for(lambda snap: snap.step == 20 and not snap.running and "checkpoint" in snap.extra, 30)
        assert at20 is not None
        checkpoint = at20.extra["checkpoint"]
        assert all(isinstance(a, np.ndarray) for a in checkpoint.values())
        s.step(25)
        assert s.wait_for(lambda snap: snap.step == 45 and not snap.running, 30)
        s.restore(checkpoint)
        back = s.wait_for(lambda snap: snap.step == 20, 30)
        assert back is not None and (len(back.history_steps) == 0 or back.history_steps.max() <= 20)
        s.step(25)
        assert s.wait_for(lambda snap: snap.step == 45 and not snap.running, 30)
        resumed = s.lab.trainer.state_dict()
    finally:
        assert s.stop(5.0)
    straight = Lab(sc)
    straight.train(45)
    for key in ("G", "D"):
        assert torch.equal(resumed[key], straight.trainer.state_dict()[key])


def test_a_checkpoint_of_other_networks_is_refused_in_one_sentence():
    s = Session(small())
    other = Lab(dataclasses.replace(small(), model=dataclasses.replace(small().model, g_width=8)))
    from ganviz.engine.checkpoints import to_arrays
    before = s.lab.trainer.state_dict()["G"].clone()
    with pytest.raises(SettingsError, match="restore: the checkpoint does not fit"):
        s.lab.restore(to_arrays(other.trainer.state_dict()))
    assert torch.equal(s.lab.trainer.state_dict()["G"], before)
