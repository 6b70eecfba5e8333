"""Lessons: claims as data in scenario files, judged on runs; the cheap built-in lessons hold."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from ganviz.core import scenario as S
from ganviz.core.lessons import (Claim, ClaimError, RunRecord, check, holds, judge, mode_hops, parse_claims,
                                 statistic)

BASE = """
name = "t"
steps = 40
view = "compare"
[data]
preset = "bimodal1d"
[model]
latent_dim = 1
g_width = 8
d_width = 8
[train]
batch_size = 32
[[panels]]
label = "a"
[[panels]]
label = "b"
k = 3
"""


def record(values_a, values_b, steps=None, metric="modes"):
    values = np.array([values_a, values_b], dtype=float)
    steps = np.arange(values.shape[1]) * 100 if steps is None else np.asarray(steps)
    return RunRecord(steps, {metric: values}, ["a", "b"])


def test_claims_round_trip_through_a_scenario_file():
    text = BASE + """
[[claims]]
text = "b keeps at least as many modes as a, on average from step 10"
metric = "modes"
panel = "b"
at = "mean"
after = 10
op = ">="
than = "a"
"""
    sc = S.loads(text)
    assert sc.claims == (Claim("b keeps at least as many modes as a, on average from step 10", "modes", ">=",
                               None, "b", None, "mean", 10, "a", 1.0),)
    assert S.loads(S.dumps(sc)).claims == sc.claims


@pytest.mark.parametrize("table, message", [
    ('text = "x"\nmetric = "nope"\nop = "<"\nvalue = 1', "claims[0].metric"),
    ('text = "x"\nmetric = "js"\nop = "=="\nvalue = 1', "claims[0].op"),
    ('text = "x"\nmetric = "js"\nop = "<"', "either value"),
    ('text = "x"\nmetric = "js"\nop = "<"\nvalue = 1\nthan = "a"', "either value"),
    ('text = "x"\nmetric = "js"\nop = "<"\nvalue = 1\npanel = "zz"', "claims[0].panel"),
    ('text = "x"\nmetric = "js"\nop = "<"\nvalue = 1\nat = "sometimes"', "claims[0].at"),
    ('text = "x"\nmetric = "js"\nop = "<"\nvalue = 1\nafter = -3', "claims[0].after"),
    ('text = ""\nmetric = "js"\nop = "<"\nvalue = 1', "claims[0].text"),
    ('text = "x"\nmetric = "js"\nop = "<"\nvalue = 1\ncolour = "red"', "claims[0].colour"),
])
def test_a_bad_claim_names_its_field(table, message):
    with pytest.raises(S.ScenarioError, match=message.replace("[", r"\[").replace("]", r"\]")):
        S.loads(BASE + "\n[[claims]]\n" + table)


def test_statistics_read_the_right_window_and_every_takes_the_worst():
    r = record([8, 2, 3, 1, 2], [8, 8, 7, 8, 8])
    claim = Claim("x", "modes", "<=", 3.0, panel="a", at="every", after=100)
    assert statistic(claim, r, "a") == 3.0          # the worst evaluation from step 100 on
    assert judge(claim, r).holds
    assert not judge(Claim("x", "modes", "<=", 3.0, panel="a", at="every"), r).holds   # step 0 had 8
    assert statistic(Claim("x", "modes", ">=", 1.0, panel="b", at="every"), r, "b") == 7.0
    assert statistic(Claim("x", "modes", "<", 1.0, at="mean", after=200), r, "a") == pytest.approx(2.0)
    rel = Claim("x", "modes", ">=", None, panel="b", at="mean", than="a", factor=2.0)
    v = judge(rel, r)
    assert v.threshold == pytest.approx(2 * np.mean([8, 2, 3, 1, 2])) and v.holds


def test_a_nan_statistic_never_holds():
    r = record([np.nan, np.nan], [1, 1])
    assert not judge(Claim("x", "modes", "<=", 3.0, panel="a"), r).holds


def test_mode_hops_count_changes_of_the_mode_that_holds_g():
    counts = np.array([[90, 5, 5], [80, 10, 10], [5, 90, 5], [3, 3, 3], [5, 5, 90], [90, 5, 5]])
    # 0 -> 0 -> 1 -> (spread: not counted) -> 2 -> 0
    assert mode_hops(counts) == 3
    assert mode_hops(np.zeros((4, 3))) == 0


def test_lessons_hold_on_four_of_five_seeds():
    from ganviz.core.lessons import SeedResult, Verdict

    def result(ok):
        return SeedResult(0, (Verdict(Claim("x", "js", "<", 1.0), 0.5, 1.0, ok),))

    assert holds([result(True)] * 4 + [result(False)])
    assert not holds([result(True)] * 3 + [result(False)] * 2)
    assert not holds([])


@pytest.mark.parametrize("name", ["bilinear-methods", "dirac-gan", "dirac-gan-r1"])
def test_the_game_lessons_hold(name):
    sc = S.load(name)
    assert sc.claims
    results = check(sc)
    assert holds(results), [(v.claim.text, v.measured) for v in results[0].verdicts if not v.holds]


def test_a_gan_lesson_is_judged_on_its_own_seeds():
    sc = S.loads(BASE + """
[[claims]]
text = "D starts away from D*"
metric = "d_gap"
panel = "a"
at = "start"
op = ">"
value = 0.0
""")
    results = check(sc, seeds=2)
    assert [r.seed for r in results] == [0, 1]
    assert all(r.holds for r in results)
    assert math.isfinite(results[0].verdicts[0].measured)


# Every built-in training lesson, read from the scenarios (a new lesson cannot be left out); the game
# lessons are cheap and run on every test run above.
GAN_LESSONS = [n for n in S.builtin_names() if S.load(n).claims and S.load(n).view not in ("game", "exercise")]


def test_every_gan_lesson_is_in_the_five_seed_check():
    assert {"ring8", "dstar-value-jsd", "eth-logratio-kl", "fgan-kl-vs-reverse-kl"} <= set(GAN_LESSONS)
    assert not {"bilinear-methods", "kcl-q3-one-step"} & set(GAN_LESSONS)


@pytest.mark.slow
@pytest.mark.parametrize("name", GAN_LESSONS)
def test_the_gan_lessons_hold(name):
    results = check(S.load(name), seeds=5)
    assert holds(results), [(r.seed, [(v.claim.text, v.measured) for v in r.verdicts]) for r in results]


def test_label_smoothing_caps_d_where_the_unsmoothed_d_says_real():
    """d_max reads D over p_data's central 95 %: with real labels 1 - s = 0.6, D* is at most 0.6 there."""
    sc = S.loads(BASE.replace("steps = 40", "steps = 300").replace("batch_size = 32", "batch_size = 256\nlr_d = 0.01\nfreeze_g = true")
                 .replace("k = 3", "label_smoothing = 0.4") + """
[[claims]]
text = "smoothed D stays near 0.6 at most"
metric = "d_max"
panel = "b"
op = "<="
value = 0.7

[[claims]]
text = "the plain D says real where G is absent"
metric = "d_max"
panel = "a"
op = ">="
value = 0.8

[[claims]]
text = "d_center reads the same D"
metric = "d_center"
panel = "a"
op = ">="
value = 0.3
""")
    (result,) = check(sc, seeds=1)
    assert result.holds, [(v.claim.text, v.measured) for v in result.verdicts]
    smoothed, plain, centre = (v.measured for v in result.verdicts)
    assert centre >= plain - 0.5 - 1e-9


def test_parse_claims_rejects_a_method_outside_a_game():
    with pytest.raises(ClaimError, match="only a game"):
        parse_claims([{"text": "x", "metric": "js", "op": "<", "value": 1, "method": "sim_gda"}], ["a"], False)


def test_batch_coupling_sees_batch_norm_and_not_virtual_batch_norm():
    from ganviz.core.lessons import batch_coupling
    from ganviz.core.train import Trainer
    sc = S.load("ring8")
    out = {}
    for name, changes in (("plain", {}), ("bn", {"g_batchnorm": True}), ("vbn", {"g_vbn": True})):
        model = dataclasses.replace(sc.model, g_width=32, d_width=32, **changes)
        tr = Trainer(sc.data.mixture(), model, sc.train, seed=3)
        tr.step(20)
        out[name] = float(batch_coupling(tr, 3)[0])
    assert out["plain"] < 1e-6 and out["vbn"] < 1e-6
    assert out["bn"] > 0.01
