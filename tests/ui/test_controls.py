"""The control panel: registry-driven menus, one signal per user change with exactly what changed."""
from __future__ import annotations

from dataclasses import asdict, replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QLabel, QPushButton, QSlider, QSpinBox,
                               QTableWidget, QWidget)

from ganviz.core.data import PRESETS
from ganviz.core.losses import LOSSES
from ganviz.core.nets import ACTIVATIONS
from ganviz.core.optim import OPTIMIZERS
from ganviz.core.scenario import DataSpec, Scenario
from ganviz.core.settings import PRIOR_CHOICES, TRAIN, UPDATE_CHOICES, ModelSettings, TrainSettings
from ganviz.ui.controls import ControlPanel
from ganviz.ui.theme import DARK

SIGNALS = ("trainChanged", "modelChanged", "dataChanged", "seedChanged", "speedChanged", "viewClassChanged")

CONTROLS = {
    QComboBox: ("presetCombo", "lossCombo", "optimizerCombo", "updateCombo", "priorCombo", "activationCombo"),
    QTableWidget: ("mixtureTable",),
    QPushButton: ("addComponentButton", "removeComponentButton"),
    QSlider: ("kSlider", "lrDSlider", "lrGSlider", "speedSlider"),
    QSpinBox: ("gStepsSpin", "batchSpin", "noiseAnnealSpin", "unrollSpin", "latentSpin", "gLayersSpin",
               "gWidthSpin", "dLayersSpin", "dWidthSpin", "classSpin", "seedSpin"),
    QDoubleSpinBox: ("beta1Spin", "beta2Spin", "momentumSpin", "smoothingSpin", "noiseSpin", "gpSpin", "r1Spin",
                     "clipSpin", "consensusSpin"),
    QCheckBox: ("lossDefaultsCheck", "mbstdCheck", "snCheck", "freezeGCheck", "conditionalCheck"),
    QLabel: ("controlError", "kLabel", "lrDLabel", "lrGLabel", "speedLabel"),
}


class Recorder:
    def __init__(self, control_panel: ControlPanel) -> None:
        self.calls: dict[str, list] = {name: [] for name in SIGNALS}
        for name in SIGNALS:
            getattr(control_panel, name).connect(self.calls[name].append)

    def total(self) -> int:
        return sum(len(v) for v in self.calls.values())


@pytest.fixture
def rec(control_panel):
    return Recorder(control_panel)


def child(control_panel, kind, name):
    w = control_panel.findChild(kind, name)
    assert w is not None, f"{name} is missing"
    return w


def select(combo: QComboBox, data) -> None:
    index = combo.findData(data)
    assert index >= 0, f"{data!r} is not in {combo.objectName()}"
    combo.setCurrentIndex(index)


def combo_data(combo: QComboBox) -> list:
    return [combo.itemData(i) for i in range(combo.count())]


def column(table: QTableWidget, header: str) -> int:
    heads = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    return heads.index(header)


# -- structure ---------------------------------------------------------------------------------

def test_every_named_control_exists(control_panel):
    assert control_panel.objectName() == "controlPanel"
    for kind, names in CONTROLS.items():
        for name in names:
            child(control_panel, kind, name)


def test_menus_are_read_from_the_registries(control_panel):
    assert combo_data(child(control_panel, QComboBox, "lossCombo")) == list(LOSSES)
    assert combo_data(child(control_panel, QComboBox, "optimizerCombo")) == list(OPTIMIZERS)
    assert combo_data(child(control_panel, QComboBox, "presetCombo")) == [*PRESETS, None]
    assert combo_data(child(control_panel, QComboBox, "activationCombo")) == list(ACTIVATIONS)
    assert combo_data(child(control_panel, QComboBox, "updateCombo")) == [c.id for c in UPDATE_CHOICES]
    assert combo_data(child(control_panel, QComboBox, "priorCombo")) == [c.id for c in PRIOR_CHOICES]
    loss = child(control_panel, QComboBox, "lossCombo")
    for i, loss_id in enumerate(LOSSES):
        tip = loss.itemData(i, Qt.ItemDataRole.ToolTipRole)
        assert LOSSES[loss_id].name in tip and "At D" in tip
    opt = child(control_panel, QComboBox, "optimizerCombo")
    for i, opt_id in enumerate(OPTIMIZERS):
        assert opt.itemData(i, Qt.ItemDataRole.ToolTipRole) == OPTIMIZERS[opt_id].rule


def test_tooltips_name_the_formula_and_paper(control_panel):
    assert child(control_panel, QSlider, "kSlider").toolTip() == (
        "k: discriminator steps per generator step (Algorithm 1, Goodfellow et al. 2014)")
    expected = {"smoothingSpin": "Salimans et al. 2016", "gpSpin": "Gulrajani et al. 2017",
                "r1Spin": "Mescheder et al. 2018", "unrollSpin": "Metz et al. 2016",
                "freezeGCheck": "D* = p_data / (p_data + p_g)"}
    for name, text in expected.items():
        assert text in child(control_panel, QWidget, name).toolTip()
    assert "recommended" in child(control_panel, QCheckBox, "lossDefaultsCheck").toolTip()


def test_the_panel_starts_with_the_dataclass_defaults(control_panel):
    assert control_panel.current_train() == asdict(TrainSettings())


# -- loss and steps ----------------------------------------------------------------------------

def _other_plain_loss(loss_id: str) -> str:
    return next(l for l, loss in LOSSES.items() if l != loss_id and not loss.defaults)


@pytest.mark.parametrize("loss_id", list(LOSSES))
def test_choosing_a_loss_applies_its_recommended_settings(control_panel, loss_id):
    before = TrainSettings(loss=_other_plain_loss(loss_id))
    control_panel.set_train(before)
    rec = Recorder(control_panel)
    select(child(control_panel, QComboBox, "lossCombo"), loss_id)
    assert rec.total() == 1
    change = rec.calls["trainChanged"][0]
    assert change["loss"] == loss_id
    for name, value in change.items():
        assert name == "loss" or getattr(before, name) != value, f"{name} did not change"
    after = replace(before, **change)
    for name, value in LOSSES[loss_id].defaults.items():
        assert getattr(after, name) == value
    assert control_panel.current_train() == asdict(after)


@pytest.mark.parametrize("loss_id", [l for l, loss in LOSSES.items() if loss.defaults])
def test_without_recommended_settings_only_the_loss_changes(control_panel, rec, loss_id):
    child(control_panel, QCheckBox, "lossDefaultsCheck").setChecked(False)
    select(child(control_panel, QComboBox, "lossCombo"), loss_id)
    assert rec.calls["trainChanged"] == [{"loss": loss_id}]
    assert control_panel.current_train() == asdict(replace(TrainSettings(), loss=loss_id))


def test_leaving_a_loss_gives_back_what_its_settings_replaced_except_what_the_user_changed(control_panel, rec):
    start = TrainSettings()
    combo = child(control_panel, QComboBox, "lossCombo")
    select(combo, "wgan")
    child(control_panel, QSlider, "kSlider").setValue(LOSSES["wgan"].defaults["k"] - 2)
    select(combo, "ns")
    state = start
    for change in rec.calls["trainChanged"]:
        state = replace(state, **change)
    wgan = LOSSES["wgan"].defaults
    assert state.k == wgan["k"] - 2, "the user's own k must stay"
    for name in wgan:
        if name != "k":
            assert getattr(state, name) == getattr(start, name)
    assert control_panel.current_train() == asdict(state)


def test_k_slider_emits_k_once(control_panel, rec):
    child(control_panel, QSlider, "kSlider").setValue(5)
    assert rec.calls["trainChanged"] == [{"k": 5}]
    assert rec.total() == 1
    assert child(control_panel, QLabel, "kLabel").text() == "5"


def test_g_steps_spin_emits_g_steps(control_panel, rec):
    child(control_panel, QSpinBox, "gStepsSpin").setValue(3)
    assert rec.calls["trainChanged"] == [{"g_steps": 3}]


# -- optimisation ------------------------------------------------------------------------------

@pytest.mark.parametrize("name, field", [("lrD", "lr_d"), ("lrG", "lr_g")])
def test_lr_sliders_are_logarithmic_and_match_their_label(control_panel, rec, name, field):
    slider = child(control_panel, QSlider, f"{name}Slider")
    label = child(control_panel, QLabel, f"{name}Label")
    top = slider.maximum()
    positions = [0, top // 4, top // 2, 3 * top // 4, top - 1, top]
    for pos in positions:
        slider.setValue(pos)
    values = [c[field] for c in rec.calls["trainChanged"]]
    assert len(values) == len(positions)
    assert all(set(c) == {field} for c in rec.calls["trainChanged"])
    # The ends are the schema's bounds (1e-6 and 1), the same the scenario loader checks.
    lo, hi = TRAIN[field].lo, TRAIN[field].hi
    assert values[0] == pytest.approx(lo) and values[-1] == pytest.approx(hi)
    assert all(lo <= v <= hi for v in values)
    assert values == sorted(values) and len(set(values)) == len(values)
    # Even positions in the middle of six decades land near 10^-4.5, 10^-3, 10^-1.5.
    for v, decade in zip(values[1:4], (10 ** -4.5, 1e-3, 10 ** -1.5)):
        assert decade / 1.2 < v < decade * 1.2
    assert float(label.text()) == pytest.approx(values[-1])
    slider.setValue(top // 2 + 7)
    assert float(label.text()) == pytest.approx(rec.calls["trainChanged"][-1][field])
    # Neighbouring positions (top - 1, top) are a fine step, not a jump.
    assert 1.0 < values[-1] / values[-2] < 1.2


def test_optimizer_enables_the_fields_it_reads(control_panel, rec):
    combo = child(control_panel, QComboBox, "optimizerCombo")
    momentum, beta1, beta2 = (child(control_panel, QDoubleSpinBox, n)
                              for n in ("momentumSpin", "beta1Spin", "beta2Spin"))
    select(combo, "adam")
    assert beta1.isEnabled() and beta2.isEnabled() and not momentum.isEnabled()
    select(combo, "momentum")
    assert rec.calls["trainChanged"] == [{"optimizer": "momentum"}]
    assert momentum.isEnabled() and not beta1.isEnabled() and not beta2.isEnabled()
    assert combo.toolTip() == OPTIMIZERS["momentum"].rule
    momentum.setValue(-0.5)
    assert rec.calls["trainChanged"][-1] == {"momentum": -0.5}


def test_batch_update_and_betas_emit_their_fields(control_panel, rec):
    batch = child(control_panel, QSpinBox, "batchSpin")
    batch.stepBy(1)
    select(child(control_panel, QComboBox, "updateCombo"), "simultaneous")
    child(control_panel, QDoubleSpinBox, "beta2Spin").setValue(0.9)
    assert rec.calls["trainChanged"] == [{"batch_size": 2 * TrainSettings().batch_size},
                                         {"update": "simultaneous"}, {"beta2": 0.9}]


# -- tricks ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, field, value", [
    ("smoothingSpin", "label_smoothing", 0.2),
    ("noiseSpin", "instance_noise", 0.1),
    ("noiseAnnealSpin", "noise_anneal", 2000),
    ("gpSpin", "gp", 10.0),
    ("r1Spin", "r1", 1.0),
    ("clipSpin", "clip", 0.01),
    ("unrollSpin", "unroll", 5),
    ("consensusSpin", "consensus", 0.5),
    ("mbstdCheck", "minibatch_std", True),
    ("snCheck", "spectral_norm", True),
    ("freezeGCheck", "freeze_g", True),
])
def test_each_trick_emits_its_field(control_panel, rec, name, field, value):
    w = child(control_panel, QWidget, name)
    if isinstance(w, QCheckBox):
        w.setChecked(value)
    else:
        w.setValue(value)
    assert rec.calls["trainChanged"] == [{field: value}]
    assert rec.total() == 1
    assert control_panel.current_train()[field] == value


# -- filling -----------------------------------------------------------------------------------

def _scenario() -> Scenario:
    return Scenario(
        seed=7,
        data=DataSpec(preset="grid25"),
        model=ModelSettings(latent_dim=3, prior="uniform", g_layers=3, g_width=128, d_layers=1, d_width=32,
                            activation="tanh", conditional=True),
        train=TrainSettings(loss="hinge", k=3, g_steps=2, optimizer="momentum", lr_d=2e-4, lr_g=3e-3,
                            momentum=-0.5, batch_size=512, update="simultaneous", label_smoothing=0.1,
                            instance_noise=0.2, noise_anneal=1000, gp=5.0, r1=2.0, clip=0.05, unroll=2,
                            consensus=0.3, minibatch_std=True, spectral_norm=True, freeze_g=True),
    )


def test_set_scenario_fills_every_widget_and_emits_nothing(control_panel, rec):
    sc = _scenario()
    control_panel.set_scenario(sc)
    assert rec.total() == 0
    assert control_panel.current_train() == asdict(sc.train)
    assert child(control_panel, QComboBox, "lossCombo").currentData() == "hinge"
    assert child(control_panel, QLabel, "kLabel").text() == "3"
    assert float(child(control_panel, QLabel, "lrDLabel").text()) == pytest.approx(2e-4)
    assert float(child(control_panel, QLabel, "lrGLabel").text()) == pytest.approx(3e-3)
    assert child(control_panel, QComboBox, "presetCombo").currentData() == "grid25"
    assert child(control_panel, QTableWidget, "mixtureTable").rowCount() == PRESETS["grid25"].build().n_components
    assert child(control_panel, QSpinBox, "latentSpin").value() == 3
    assert child(control_panel, QComboBox, "priorCombo").currentData() == "uniform"
    assert [child(control_panel, QSpinBox, n).value()
            for n in ("gLayersSpin", "gWidthSpin", "dLayersSpin", "dWidthSpin")] == [3, 128, 1, 32]
    assert child(control_panel, QComboBox, "activationCombo").currentData() == "tanh"
    assert child(control_panel, QCheckBox, "conditionalCheck").isChecked()
    assert child(control_panel, QSpinBox, "classSpin").isEnabled()
    assert child(control_panel, QSpinBox, "seedSpin").value() == 7
    # A second fill back to the defaults emits nothing either.
    control_panel.set_scenario(Scenario())
    assert rec.total() == 0
    assert control_panel.current_train() == asdict(TrainSettings())


def test_set_scenario_with_a_custom_mixture_fills_the_table(control_panel, rec):
    control_panel.set_scenario(Scenario(data=DataSpec(preset=None, means=[-1.0, 2.5], stds=[0.3, 0.7], weights=[1, 3])))
    assert rec.total() == 0
    table = child(control_panel, QTableWidget, "mixtureTable")
    assert child(control_panel, QComboBox, "presetCombo").currentData() is None
    assert table.columnCount() == 3 and table.rowCount() == 2
    assert float(table.item(1, column(table, "mean x")).text()) == 2.5
    assert float(table.item(0, column(table, "std")).text()) == 0.3
    assert float(table.item(1, column(table, "weight")).text()) == pytest.approx(0.75)


def test_set_train_emits_nothing(control_panel, rec):
    control_panel.set_train(TrainSettings.for_loss("wgan"))
    assert rec.total() == 0
    assert control_panel.current_train() == asdict(TrainSettings.for_loss("wgan"))


# -- data --------------------------------------------------------------------------------------

@pytest.mark.parametrize("preset_id", ["bimodal1d", "grid25"])
def test_choosing_a_preset_fills_the_table_and_emits_its_id(control_panel, rec, preset_id):
    select(child(control_panel, QComboBox, "presetCombo"), preset_id)
    mixture = PRESETS[preset_id].build()
    table = child(control_panel, QTableWidget, "mixtureTable")
    assert table.rowCount() == mixture.n_components
    assert table.columnCount() == mixture.dim + 2
    assert rec.calls["dataChanged"] == [DataSpec(preset=preset_id)]
    assert rec.total() == 1
    assert float(table.item(0, column(table, "std")).text()) == pytest.approx(mixture.stds[0], rel=1e-3)


def test_a_negative_std_shows_an_error_naming_stds_and_emits_nothing(control_panel, rec):
    table = child(control_panel, QTableWidget, "mixtureTable")
    error = child(control_panel, QLabel, "controlError")
    assert error.isHidden()
    table.item(1, column(table, "std")).setText("-0.5")
    assert rec.total() == 0
    assert not error.isHidden() and "stds" in error.text()
    assert "component 2" in error.text() and "-0.5" in error.text(), "the message points at the cell"


def test_a_non_number_or_negative_weight_names_its_field(control_panel, rec):
    table = child(control_panel, QTableWidget, "mixtureTable")
    error = child(control_panel, QLabel, "controlError")
    table.item(0, column(table, "mean y")).setText("abc")
    assert "means" in error.text() and "abc" in error.text()
    assert rec.total() == 0
    table.item(0, column(table, "mean y")).setText("0")
    assert error.isHidden() and len(rec.calls["dataChanged"]) == 1
    table.item(2, column(table, "weight")).setText("-1")
    assert "weights" in error.text()
    assert rec.total() == 1


def test_a_valid_edit_emits_a_custom_mixture_and_clears_the_error(control_panel, rec):
    select(child(control_panel, QComboBox, "presetCombo"), "bimodal1d")
    table = child(control_panel, QTableWidget, "mixtureTable")
    table.item(0, column(table, "std")).setText("x")
    table.item(0, column(table, "std")).setText("0.25")
    assert child(control_panel, QLabel, "controlError").isHidden()
    spec = rec.calls["dataChanged"][-1]
    assert len(rec.calls["dataChanged"]) == 2
    assert spec.preset is None
    assert spec.stds == [0.25, pytest.approx(PRESETS["bimodal1d"].build().stds[1])]
    assert spec.mixture().n_components == 2
    assert child(control_panel, QComboBox, "presetCombo").currentData() is None


def test_adding_and_removing_components_emit_the_new_mixture(control_panel, rec):
    select(child(control_panel, QComboBox, "presetCombo"), "gauss1d")
    remove = child(control_panel, QPushButton, "removeComponentButton")
    assert not remove.isEnabled(), "the last component cannot go"
    child(control_panel, QPushButton, "addComponentButton").click()
    assert rec.calls["dataChanged"][-1].mixture().n_components == 2
    assert remove.isEnabled()
    remove.click()
    assert rec.calls["dataChanged"][-1].mixture().n_components == 1
    assert len(rec.calls["dataChanged"]) == 3


# -- model, run --------------------------------------------------------------------------------

def test_conditional_emits_model_change_and_enables_the_class_picker(control_panel, rec):
    cls = child(control_panel, QSpinBox, "classSpin")
    assert not cls.isEnabled()
    child(control_panel, QCheckBox, "conditionalCheck").setChecked(True)
    assert rec.calls["modelChanged"] == [{"conditional": True}]
    assert cls.isEnabled()
    assert cls.maximum() == child(control_panel, QTableWidget, "mixtureTable").rowCount() - 1
    cls.setValue(3)
    assert rec.calls["viewClassChanged"] == [3]
    assert rec.calls["modelChanged"] == [{"conditional": True}], "the class picker must not restart training"


@pytest.mark.parametrize("name, field, value", [
    ("latentSpin", "latent_dim", 5), ("gLayersSpin", "g_layers", 3), ("dWidthSpin", "d_width", 128),
])
def test_model_spins_emit_their_field(control_panel, rec, name, field, value):
    child(control_panel, QSpinBox, name).setValue(value)
    assert rec.calls["modelChanged"] == [{field: value}]
    assert rec.total() == 1


def test_activation_and_seed(control_panel, rec):
    select(child(control_panel, QComboBox, "activationCombo"), "tanh")
    child(control_panel, QSpinBox, "seedSpin").setValue(42)
    assert rec.calls["modelChanged"] == [{"activation": "tanh"}]
    assert rec.calls["seedChanged"] == [42]


def test_speed_slider_runs_from_slow_motion_to_max(control_panel, rec):
    slider = child(control_panel, QSlider, "speedSlider")
    label = child(control_panel, QLabel, "speedLabel")
    assert label.text() == "max"
    slider.setValue(0)
    slider.setValue(slider.maximum() - 1)
    slider.setValue(slider.maximum())
    slow, fast, top = rec.calls["speedChanged"]
    assert isinstance(slow, float) and 0 < slow <= 1
    assert isinstance(fast, float) and fast > slow
    assert top is None and label.text() == "max"
    control_panel.set_speed(10.0)
    assert len(rec.calls["speedChanged"]) == 3
    assert "10" in label.text()


# -- error, presentation, theme ----------------------------------------------------------------

def test_set_error_shows_and_clears(control_panel):
    error = child(control_panel, QLabel, "controlError")
    control_panel.set_error("train.k: must be an integer >= 1 (got 0)")
    assert not error.isHidden() and "train.k" in error.text()
    control_panel.set_error("")
    assert error.isHidden()


def test_presentation_enlarges_the_fonts_and_widens_the_panel(control_panel):
    combo = child(control_panel, QComboBox, "lossCombo")
    control_panel.show()
    small, narrow = combo.font().pointSizeF(), control_panel.minimumWidth()
    control_panel.set_presentation(True)
    control_panel.set_theme(DARK)
    assert combo.font().pointSizeF() > small
    assert control_panel.minimumWidth() > narrow
    control_panel.set_presentation(False)
    assert combo.font().pointSizeF() == small
