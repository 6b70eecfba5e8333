"""The model section's normalisation of G, D's kind (EBGAN's autoencoder) and minibatch discrimination's
kernels: read from the settings schema, emitted as model changes, refused where the loss cannot read them,
and reaching the trainer."""
from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtWidgets import QComboBox, QSpinBox

from ganviz.core import scenario as S
from ganviz.core.settings import G_NORM_FIELDS, MODEL, ModelSettings, TrainSettings
from tests.ui.test_controls import Recorder, child, select


@pytest.fixture
def rec(control_panel):
    return Recorder(control_panel)


def test_the_model_menus_come_from_the_schema(control_panel):
    norm = child(control_panel, QComboBox, "gNormCombo")
    assert [norm.itemData(i) for i in range(norm.count())] == ["none", *G_NORM_FIELDS]
    assert "virtual batch norm" in [norm.itemText(i) for i in range(norm.count())]
    kind = child(control_panel, QComboBox, "dKindCombo")
    assert [kind.itemData(i) for i in range(kind.count())] == list(MODEL["d_kind"].choice_ids)
    for name, field in (("dCodeSpin", "d_code"), ("mdKernelsSpin", "md_kernels")):
        spin = child(control_panel, QSpinBox, name)
        assert (spin.minimum(), spin.maximum()) == (MODEL[field].lo, MODEL[field].hi)
        assert control_panel.field_widgets[f"model.{field}"] is spin


def test_g_normalisation_is_one_menu_over_two_exclusive_fields(control_panel, rec):
    norm = child(control_panel, QComboBox, "gNormCombo")
    select(norm, "g_vbn")
    select(norm, "g_batchnorm")
    select(norm, "none")
    assert rec.calls["modelChanged"] == [{"g_batchnorm": False, "g_vbn": True},
                                         {"g_batchnorm": True, "g_vbn": False},
                                         {"g_batchnorm": False, "g_vbn": False}]
    # A scenario's model is shown without a signal.
    control_panel.set_scenario(replace(S.Scenario(), model=ModelSettings(g_vbn=True)))
    assert norm.currentData() == "g_vbn" and rec.total() == 3


def test_an_autoencoder_d_needs_the_ebgan_loss(control_panel, rec):
    kind = child(control_panel, QComboBox, "dKindCombo")
    code = child(control_panel, QSpinBox, "dCodeSpin")
    assert not code.isEnabled(), "an MLP D has no bottleneck"
    select(kind, "autoencoder")
    assert rec.calls["modelChanged"] == []
    assert "ebgan" in control_panel.error.text() and not control_panel.error.isHidden()
    control_panel.set_train(TrainSettings(loss="ebgan"))
    select(kind, "mlp")
    select(kind, "autoencoder")
    assert rec.calls["modelChanged"][-1] == {"d_kind": "autoencoder"}
    assert code.isEnabled() and control_panel.error.isHidden()
    code.setValue(3)
    assert rec.calls["modelChanged"][-1] == {"d_code": 3}
    # ... and the loss cannot leave EBGAN while D is an autoencoder.
    select(child(control_panel, QComboBox, "lossCombo"), "ns")
    assert all("loss" not in c or c["loss"] == "ebgan" for c in rec.calls["trainChanged"])
    assert "autoencoder" in control_panel.error.text()


def test_minibatch_discrimination_keeps_its_kernels(control_panel, rec):
    kernels = child(control_panel, QSpinBox, "mdKernelsSpin")
    kernels.setValue(4)
    assert rec.calls["modelChanged"] == [{"md_kernels": 4}]
    control_panel.findChild(type(control_panel.defaults_check), "mdCheck").setChecked(True)
    assert rec.calls["trainChanged"][-1] == {"minibatch_disc": True}
    kernels.setValue(0)
    assert rec.calls["modelChanged"] == [{"md_kernels": 4}]
    assert "md_kernels" in control_panel.error.text()


def test_the_model_menus_reach_the_trainer(main_window, qtbot):
    sc = S.apply_overrides(S.load("ring8"), ["model.g_width=16", "model.d_width=16", "train.batch_size=32",
                                             'train.loss="ebgan"', 'device="cpu"'])
    w = main_window(sc)
    c = w.controls
    lab = w.session.lab
    select(c.g_norm_combo, "g_vbn")
    qtbot.waitUntil(lambda: lab.trainer.model.g_vbn, timeout=5000)     # a hang guard, not a speed test
    assert not lab.trainer.model.g_batchnorm and lab.scenario.model.g_vbn
    select(c.d_kind_combo, "autoencoder")
    qtbot.waitUntil(lambda: lab.trainer.model.d_kind == "autoencoder", timeout=5000)
    assert lab.trainer.model.g_vbn, "the other model settings stay"
    c.md_kernels_spin.setValue(3)
    qtbot.waitUntil(lambda: lab.trainer.model.md_kernels == 3, timeout=5000)
