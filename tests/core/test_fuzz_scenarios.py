"""Scenario files as a careless or curious user writes them: every one loads, or is refused with
one ScenarioError naming what is wrong; none raises anything else.

Values are drawn from the kinds that broke the loader before: wrong types, non-finite and huge
numbers, long and deeply nested lists, strings where numbers belong. A scenario that loads
is then trained for a step: it must train, or stop with a message, never raise.
"""
from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ganviz.core import scenario as S

numbers = st.one_of(st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([0, 1, -1, 1e308, -1e308, 1e-308, 2**31, 2**63]))
scalars = st.one_of(numbers, st.booleans(), st.text(max_size=8), st.none())
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4), max_leaves=12)

TRAIN_KEYS = ["loss", "k", "g_steps", "optimizer", "lr_d", "lr_g", "beta1", "beta2", "momentum", "batch_size",
              "update", "label_smoothing", "instance_noise", "noise_anneal", "gp", "r1", "clip", "unroll",
              "consensus", "minibatch_std", "spectral_norm", "freeze_g", "bogus"]
MODEL_KEYS = ["latent_dim", "prior", "g_layers", "g_width", "d_layers", "d_width", "activation", "conditional",
              "g_batchnorm", "d_maxout", "pack", "init_std", "generator", "fake_points", "discriminator", "theta",
              "signs", "bias", "learn_bias", "bogus"]
DATA_KEYS = ["preset", "means", "stds", "covs", "weights", "bounds", "points", "bogus"]
GAME_KEYS = ["game", "loss", "reg", "reg_weight", "methods", "lr", "gamma", "beta", "k", "steps", "start", "bogus"]


def table(keys):
    return st.dictionaries(st.sampled_from(keys), values, max_size=4)


scenarios = st.fixed_dictionaries({}, optional={
    "name": values, "seed": values, "steps": values, "view": st.one_of(values, st.sampled_from(["1d", "2d", "game", "exercise"])),
    "data": st.one_of(values, table(DATA_KEYS)), "model": st.one_of(values, table(MODEL_KEYS)),
    "train": st.one_of(values, table(TRAIN_KEYS)), "game": st.one_of(values, table(GAME_KEYS)),
    "panels": st.one_of(values, st.lists(table(TRAIN_KEYS + ["label"]), max_size=3)),
    "claims": values,
})


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios)
def test_a_scenario_loads_or_is_refused_in_one_sentence(d):
    try:
        sc = S.from_dict(d)
    except S.ScenarioError as e:
        text = str(e)
        assert text and "\n" not in text and len(text) < 600, text
        return
    assert isinstance(sc, S.Scenario)


NESTED = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("text", ids=lambda t: t[:60].replace("\n", " "), argvalues=[
    'name = "x"\n[data]\nweights = "abc"\n',
    'name = "x"\n[data]\nmeans = [0.0, 1.0]\nweights = [1e308, 1e308]\n',
    'name = "x"\n[data]\nbounds = [[-1e308, 1e308], [-1e308, 1e308]]\n',
    'name = "x"\n[data]\nmeans = [[0.0, 0.0]]\nstds = ["a"]\n',
    'name = "x"\n[data]\nmeans = [[0.0, 0.0]]\ncovs = [[["a", 0], [0, 1]]]\n',
    f'name = "x"\n[data]\nmeans = {NESTED}\n',
    'name = "x"\n[train]\nbatch_size = 1000000000\n',
    'name = "x"\n[train]\nk = 1000000000\n',
    'name = "x"\n[model]\ng_layers = 4096\ng_width = 4096\n',
])
def test_the_files_that_broke_the_loader_are_refused_in_one_sentence(text):
    with pytest.raises(S.ScenarioError) as e:
        S.loads(text)
    assert "\n" not in str(e.value) and len(str(e.value)) < 600


@settings(max_examples=25, deadline=None)
@given(st.fixed_dictionaries({
    "data": st.fixed_dictionaries({"means": st.lists(st.tuples(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3)).map(list),
                                                    min_size=1, max_size=5),
                                   "stds": st.lists(st.floats(1e-3, 1e2), min_size=1, max_size=1),
                                   "weights": st.none() | st.lists(st.floats(0, 1e6), min_size=1, max_size=5)}),
}))
def test_a_mixture_that_loads_trains_or_stops_with_a_message(d):
    from ganviz.engine.lab import Lab

    d["data"] = {k: v for k, v in d["data"].items() if v is not None}
    try:
        sc = S.from_dict({**d, "model": {"g_width": 8, "d_width": 8}, "train": {"batch_size": 16}})
    except S.ScenarioError:
        return
    lab = Lab(sc)
    ok = lab.train(2)
    assert ok or lab.message
    snap = lab.snapshot()
    assert snap.step in (0, 2) and (ok or snap.message)
    assert all(math.isfinite(v) for v in snap.fake.ravel()) or snap.message
