"""The lab (no thread): changing the set of panels keeps what the user is watching."""
import dataclasses

import numpy as np
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
