"""Every control of a setting agrees with the settings schema: range, choices, "off" at zero."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QSpinBox

from ganviz.core.settings import MODEL, MODEL_SCHEMA, TRAIN, TRAIN_SCHEMA, Field, SettingsError
from ganviz.ui.controls import LR_LADDER, _SliderRow
from ganviz.ui.fields import spin_range


def _agrees(widget, field: Field) -> None:
    if field.kind is bool:
        assert isinstance(widget, QCheckBox), field.name
    elif field.choices:
        assert isinstance(widget, QComboBox), field.name
        assert [widget.itemData(i) for i in range(widget.count())] == list(field.choice_ids), field.name
    elif isinstance(widget, (QSpinBox, QDoubleSpinBox)):
        lo, hi = spin_range(field)
        assert (widget.minimum(), widget.maximum()) == pytest.approx((lo, hi)), field.name
        assert (widget.specialValueText() == "off") == field.off, field.name
        # what the control allows, the schema accepts, and one step beyond it is refused
        field.check(type(field.default)(widget.minimum()) if field.kind is int else widget.minimum(), "x")
        field.check(type(field.default)(widget.maximum()) if field.kind is int else widget.maximum(), "x")
        with pytest.raises(SettingsError, match=f"x.{field.name}: must be"):
            field.check(field.hi + (1 if field.kind is int else 0.5 * (field.hi - field.lo) + 1), "x")
    elif isinstance(widget, _SliderRow):
        values = widget._values
        assert min(values) == pytest.approx(field.lo) and max(values) == pytest.approx(field.hi), field.name
    else:
        raise AssertionError(f"{field.name}: no check for {type(widget).__name__}")


def test_every_training_setting_has_a_control_that_agrees_with_the_schema(control_panel):
    for field in TRAIN_SCHEMA:
        widget = control_panel.field_widgets.get(f"train.{field.name}")
        assert widget is not None, f"train.{field.name} has no control"
        _agrees(widget, field)


def test_the_model_controls_agree_with_the_schema(control_panel):
    shown = [f for f in MODEL_SCHEMA if f"model.{f.name}" in control_panel.field_widgets]
    assert {f.name for f in shown} >= {"latent_dim", "prior", "g_layers", "g_width", "d_layers", "d_width",
                                       "activation", "conditional"}
    for field in shown:
        _agrees(control_panel.field_widgets[f"model.{field.name}"], field)


def test_the_lr_ladder_spans_the_schemas_learning_rates():
    assert LR_LADDER[0] == pytest.approx(TRAIN["lr_d"].lo) and LR_LADDER[-1] == pytest.approx(TRAIN["lr_d"].hi)
    assert TRAIN["lr_d"].lo == TRAIN["lr_g"].lo and TRAIN["lr_d"].hi == TRAIN["lr_g"].hi


def test_the_compare_editor_agrees_with_the_schema(compare_view):
    compare_view._set_panel_count(1)
    panel = compare_view.panels[0]
    assert set(panel.spins) <= set(TRAIN)
    for name, spin in panel.spins.items():
        _agrees(spin, TRAIN[name])
    assert [panel.loss_combo.itemData(i) for i in range(panel.loss_combo.count())] == list(TRAIN["loss"].choice_ids)



def test_the_game_controls_agree_with_the_schema(game_view):
    from ganviz.core.settings import GAME
    from ganviz.ui.game_view import GAMMA_SCALE, MOMENTUM_SCALE, _lr_of

    lr, gamma, beta = GAME["lr"], GAME["gamma"], GAME["beta"]
    s = game_view.lr_slider
    assert _lr_of(s.minimum()) == pytest.approx(lr.lo) and _lr_of(s.maximum()) <= lr.hi
    assert _lr_of(s.maximum()) > lr.hi / 1.03            # the top position is the bound, to a slider step
    assert (game_view.gamma_slider.minimum() / GAMMA_SCALE, game_view.gamma_slider.maximum() / GAMMA_SCALE) \
        == pytest.approx((gamma.lo, gamma.hi))
    assert (game_view.momentum_slider.minimum() / MOMENTUM_SCALE, game_view.momentum_slider.maximum() / MOMENTUM_SCALE) \
        == pytest.approx((beta.lo, beta.hi), abs=1 / MOMENTUM_SCALE)
    for slider, field in ((game_view.k_slider, GAME["k"]), (game_view.steps_slider, GAME["steps"])):
        assert (slider.minimum(), slider.maximum()) == (field.lo, field.hi)
    _agrees(game_view.reg_weight, GAME["reg_weight"])
    # every value the controls can give passes the scenario's check
    for key, value in game_view.params().items():
        if key in GAME:
            GAME[key].check(value, "game")
