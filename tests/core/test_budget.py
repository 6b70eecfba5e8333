"""The cost estimate that refuses combinations of allowed values that would freeze a laptop."""
from __future__ import annotations

import dataclasses

import pytest

from ganviz.core import scenario as S
from ganviz.core.budget import MAX_FLOPS_PER_STEP, check_cost, estimate
from ganviz.core.settings import ModelSettings, SettingsError, TrainSettings


def test_every_builtin_lesson_is_well_within_the_budget():
    for name in S.builtin_names():
        sc = S.load(name)
        if sc.view == "game":
            continue
        c = check_cost(sc.model, sc.panel_settings(), sc.dim, sc.data.mixture().n_components)
        assert c.flops < MAX_FLOPS_PER_STEP / 10, name


def test_the_cost_grows_with_every_field_that_multiplies_it():
    m, t = ModelSettings(), TrainSettings()
    base = estimate(m, [t], 2).flops
    for model, train in ((dataclasses.replace(m, d_width=256), t), (dataclasses.replace(m, g_layers=6), t),
                         (m, dataclasses.replace(t, k=5)), (m, dataclasses.replace(t, batch_size=1024)),
                         (m, dataclasses.replace(t, unroll=5)), (m, dataclasses.replace(t, gp=10.0))):
        assert estimate(model, [train], 2).flops > base
    assert estimate(m, [t, t], 2).flops == pytest.approx(2 * base)


def test_the_largest_allowed_fields_together_are_refused_with_the_fields_named():
    model = ModelSettings(g_layers=8, g_width=1024, d_layers=8, d_width=1024)
    with pytest.raises(SettingsError, match=r"model\.g_width, model\.d_width.*train\.batch_size.*about \d"):
        check_cost(model, [TrainSettings(k=50, batch_size=8192)], 2)
    text = """name = "too big"
[model]
g_layers = 8
g_width = 1024
d_layers = 8
d_width = 1024
[train]
batch_size = 8192
k = 50
"""
    with pytest.raises(S.ScenarioError, match=r"model\.g_width.*lower the widths"):
        S.loads(text)
