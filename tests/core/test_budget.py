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


def test_a_backward_pass_that_pause_could_not_interrupt_within_100_ms_is_refused():
    # Two layers of 1,024 at a batch of 1,712 fit a second a step, but D's backward alone took 235 ms on
    # the 2-core machine (scripts/pause_latency.py): no yield point can split it.
    model = ModelSettings(g_layers=2, g_width=1024, d_layers=2, d_width=1024)
    assert estimate(model, [TrainSettings(batch_size=1712)], 2).flops < MAX_FLOPS_PER_STEP
    with pytest.raises(SettingsError, match=r"model\.g_width.*train\.batch_size.*one D or G update.*100 ms"):
        check_cost(model, [TrainSettings(batch_size=1712)], 2)
    check_cost(model, [TrainSettings(batch_size=256)], 2)
    # k, g_steps and unroll add pieces; none makes a piece longer.
    t = TrainSettings(batch_size=256)
    assert estimate(model, [dataclasses.replace(t, k=20, g_steps=3, unroll=5)], 2).piece == estimate(
        model, [t], 2).piece
    # A gradient penalty's double backward doubles the piece.
    assert estimate(model, [dataclasses.replace(t, gp=10.0)], 2).piece == 2 * estimate(model, [t], 2).piece


def test_minibatch_discrimination_costs_the_square_of_the_batch_and_is_refused_at_the_largest():
    from ganviz.core.budget import check_cost, estimate
    from ganviz.core.settings import ModelSettings, SettingsError, TrainSettings
    model = ModelSettings(md_kernels=64)
    small, large = TrainSettings(batch_size=512, minibatch_disc=True), TrainSettings(batch_size=8192, minibatch_disc=True)
    plain = estimate(model, [TrainSettings(batch_size=512)], 2)
    with_md = estimate(model, [small], 2)
    assert with_md.flops > plain.flops and with_md.bytes > plain.bytes
    with pytest.raises(SettingsError, match="train.batch_size"):
        check_cost(model, [large], 2)
