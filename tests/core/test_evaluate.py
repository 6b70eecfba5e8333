"""The evaluator: what it reports at a step does not depend on who looked before, and says what each number is."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from ganviz.cli import main
from ganviz.core.data import preset
from ganviz.core.evaluate import Evaluator
from ganviz.core.metric_info import HISTORY_KEYS, LOWER_FLAG
from ganviz.core.settings import ModelSettings, TrainSettings
from ganviz.core.train import Trainer

SMALL = ModelSettings(g_width=16, d_width=16)


def trainer(**model):
    return Trainer(preset("ring8"), ModelSettings(**{"g_width": 16, "d_width": 16, **model}),
                   TrainSettings(batch_size=64), seed=3)


def same(a: dict, b: dict) -> bool:
    return all(np.array_equal(np.asarray(a[k]), np.asarray(b[k]), equal_nan=True) for k in a)


def test_metrics_at_a_step_do_not_depend_on_how_often_anyone_looked():
    often, once = trainer(), trainer()
    ev_often, ev_once = Evaluator(often), Evaluator(once)
    for _ in range(6):
        often.step(10)
        ev_often.metrics()
        ev_often.frame()
    once.step(60)
    a, b = ev_often.metrics(), ev_once.metrics()
    assert a["step"] == b["step"] == 60
    assert same(a["metrics"], b["metrics"])
    np.testing.assert_array_equal(a["p_g"], b["p_g"])
    np.testing.assert_array_equal(a["mode_counts"], b["mode_counts"])
    # ... and looking twice at the same step sees the same thing.
    assert same(ev_once.metrics()["metrics"], b["metrics"])


def test_run_prints_the_same_numbers_at_a_step_whatever_every_is(capsys):
    args = ["run", "ring8", "--steps", "40", "--json", "--set", "model.g_width=16", "--set", "model.d_width=16",
            "--set", "train.batch_size=32"]
    assert main(args + ["--every", "40"]) == 0
    once = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert main(args + ["--every", "10"]) == 0
    often = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["step"] for r in often] == [10, 20, 30, 40] and once[-1]["step"] == 40
    assert often[-1] == once[-1]


def test_every_metric_of_the_registry_comes_with_its_error_and_flags():
    t = trainer()
    t.step(20)
    m = Evaluator(t).metrics()
    res = m["metrics"]
    assert set(HISTORY_KEYS) <= set(res)
    for key in ("js", "kl_g_data", "w1", "modes", "hq_frac"):
        assert np.isfinite(res[key + "_se"][0]) and res[key + "_se"][0] >= 0
    assert res[LOWER_FLAG][0] in (0.0, 1.0)
    est = m["estimates"][0]
    assert est["js"].value == res["js"][0]


def test_a_uniform_prior_makes_kl_data_g_infinite_and_a_1d_latent_in_2d_makes_js_log2():
    bounded = trainer(prior="uniform")
    m = Evaluator(bounded).metrics()
    assert m["metrics"]["kl_data_g"][0] == math.inf
    assert "bounded support" in m["notes"][0]["kl_data_g"]
    singular = trainer(latent_dim=1)
    m = Evaluator(singular).metrics()
    assert m["metrics"]["js"][0] == pytest.approx(math.log(2))
    assert m["metrics"]["kl_g_data"][0] == math.inf
    assert "curve" in m["notes"][0]["js"]


def test_critics_say_why_they_have_no_d_gap():
    t = Trainer(preset("ring8"), SMALL, [TrainSettings(loss="wgan-gp"), TrainSettings(loss="hinge")], seed=0)
    m = Evaluator(t).metrics()
    assert math.isnan(m["metrics"]["d_gap"][0]) and "Kantorovich" in m["notes"][0]["d_gap"]
    # The hinge critic has a pointwise optimum, sign(p_data - p_g), and is measured against it.
    assert math.isfinite(m["metrics"]["d_gap"][1]) and "d_gap" not in m["notes"][1]


def test_the_d_star_picture_and_its_label_follow_smoothing():
    t = Trainer(preset("bimodal1d"), SMALL, [TrainSettings(), TrainSettings(label_smoothing=0.2)], seed=0)
    ev = Evaluator(t)
    m = ev.metrics()
    np.testing.assert_allclose(m["d_star"][1], 0.8 * m["d_star"][0])
    assert ev.d_star_label(0) == "D* = p_data / (p_data + p_g)"
    assert ev.d_star_label(1) == "D* = 0.8 · p_data / (p_data + p_g)"
