"""The settings schema: bounds, messages, the loss switch."""
from __future__ import annotations

import dataclasses
import math

import pytest

from ganviz.core.losses import LOSSES
from ganviz.core.settings import (MODEL_SCHEMA, SHARED_FIELDS, TRAIN, TRAIN_SCHEMA, ModelSettings, SettingsError,
                                  TrainSettings, switch_loss, validate_model, validate_train, with_changes)


@pytest.mark.parametrize("field", [f for f in TRAIN_SCHEMA if f.lo is not None], ids=lambda f: f.name)
def test_every_bounded_training_field_takes_its_ends_and_refuses_beyond(field):
    ok_lo = field.lo if not field.exclusive_lo else field.lo + (1 if field.kind is int else 1e-9)
    ok_hi = field.hi if not field.exclusive_hi else field.hi - (1 if field.kind is int else 1e-9)
    for v in (ok_lo, ok_hi):
        validate_train(dataclasses.replace(TrainSettings(), **{field.name: field.kind(v)}))
    big = field.hi * 10 + 1 if field.kind is int else field.hi * 10 + 1.0
    for bad in (field.kind(big), math.nan if field.kind is float else True, "3"):
        with pytest.raises(SettingsError, match=rf"^train\.{field.name}: must be "):
            validate_train(dataclasses.replace(TrainSettings(), **{field.name: bad}))


def test_the_huge_values_that_froze_the_app_are_refused_with_the_field_named():
    for name, value in (("k", 10**9), ("g_steps", 10**9), ("unroll", 10**6), ("batch_size", 10**8)):
        with pytest.raises(SettingsError, match=rf"train\.{name}: must be an integer in \["):
            validate_train(dataclasses.replace(TrainSettings(), **{name: value}))
    with pytest.raises(SettingsError, match=r"model\.g_layers: must be an integer in \[0, 8\]"):
        validate_model(ModelSettings(g_layers=4096))


def test_choice_fields_name_the_choices():
    with pytest.raises(SettingsError, match=r"train\.loss: unknown loss 'nope'; choose one of ns|minimax"):
        validate_train(TrainSettings(loss="nope"))
    with pytest.raises(SettingsError, match=r"model\.activation: unknown activation 'gelu'; choose one of relu"):
        validate_model(ModelSettings(activation="gelu"))
    assert TRAIN["loss"].choice_ids == tuple(LOSSES)


def test_model_cross_field_rules():
    with pytest.raises(SettingsError, match=r"model\.d_maxout: must be 0 \(no maxout\) or"):
        validate_model(ModelSettings(d_maxout=1))
    with pytest.raises(SettingsError, match=r"model\.pack: packing is not supported for a conditional GAN"):
        validate_model(ModelSettings(pack=2, conditional=True))


def test_the_dataclasses_are_the_schema():
    assert [(f.name, f.default) for f in dataclasses.fields(TrainSettings)] == [(f.name, f.default) for f in TRAIN_SCHEMA]
    assert [(f.name, f.default) for f in dataclasses.fields(ModelSettings)] == [(f.name, f.default) for f in MODEL_SCHEMA]
    for f in (*TRAIN_SCHEMA, *MODEL_SCHEMA):
        f.check(f.default, "default")           # every default is allowed
        assert f.help and f.label


def test_switching_to_wgan_and_back_gives_the_settings_back():
    ns = dataclasses.asdict(TrainSettings(loss="ns", k=1, optimizer="adam"))
    changes, replaced = switch_loss(ns, "wgan", keep=())
    assert changes == {"loss": "wgan", "clip": 0.01, "k": 5, "optimizer": "rmsprop", "lr_d": 5e-5, "lr_g": 5e-5}
    wgan = {**ns, **changes}
    back, _ = switch_loss(wgan, "ns", replaced, keep=())
    assert {**wgan, **back} == ns
    # a recommendation the user changed since stays as the user set it
    wgan["k"] = 3
    back, _ = switch_loss(wgan, "ns", replaced, keep=())
    assert {**wgan, **back}["k"] == 3 and {**wgan, **back}["clip"] == 0.0


def test_a_lockstep_switch_keeps_the_shared_fields():
    changes, _ = switch_loss(dataclasses.asdict(TrainSettings()), "wgan")
    assert not set(changes) & set(SHARED_FIELDS) and changes["k"] == 5
    assert TrainSettings.for_loss("wgan").optimizer == "rmsprop"
    assert TrainSettings.for_loss("wgan-gp", k=2) == TrainSettings(loss="wgan-gp", gp=10.0, k=2, beta1=0.5, beta2=0.9)


def test_with_changes_validates_and_names_unknown_fields():
    assert with_changes(TrainSettings(), k=3).k == 3
    with pytest.raises(SettingsError, match=r"train\.kk: unknown setting"):
        with_changes(TrainSettings(), kk=3)
    with pytest.raises(SettingsError, match=r"train\.k: must be"):
        with_changes(TrainSettings(), k=0)


def test_the_game_table_is_checked_against_its_schema():
    from ganviz.core.games import GAMES, INTEGRATORS, REGULARISERS
    from ganviz.core.settings import GAME, GAME_SCHEMA, validate_game

    assert GAME["methods"].choice_ids == tuple(INTEGRATORS) and GAME["reg"].choice_ids == tuple(REGULARISERS)
    assert GAME["game"].choice_ids == tuple(GAMES)
    assert validate_game({"game": "dirac", "methods": ["flow"], "start": [1, 2], "reg": None}) \
        == {"game": "dirac", "methods": ["flow"], "start": [1, 2], "reg": None}
    for table, message in (({"steps": 10**12}, r"game\.steps: must be an integer in \[1, 5000\]"),
                           ({"k": 10**9}, r"game\.k: must be an integer in \[1, 10\]"),
                           ({"methods": ["sim_gda", "warp"]}, r"game\.methods: must be a list of flow"),
                           ({"start": [1.0]}, r"game\.start: must be a list of 2 numbers"),
                           ({"lr": 0.0}, r"game\.lr: must be a number in \[0.001, 2\]"),
                           ({"speed": 1}, r"game\.speed: unknown key; game may set game, loss")):
        with pytest.raises(SettingsError, match=message):
            validate_game(table)
    for f in GAME_SCHEMA:
        f.check(f.default, "game")


def test_model_with_changes_validates_and_names_unknown_fields():
    from ganviz.core.settings import model_with_changes

    assert model_with_changes(ModelSettings(), g_width=32).g_width == 32
    with pytest.raises(SettingsError, match=r"model\.width: unknown setting; choose from latent_dim"):
        model_with_changes(ModelSettings(), width=32)
    with pytest.raises(SettingsError, match=r"model\.g_layers: must be an integer in \[0, 8\]"):
        model_with_changes(ModelSettings(), g_layers=9)
