"""A Compare panel's inline settings editor: its loss and the settings a comparison varies most.

Every change goes to the view (`CompareView.switch_panel_loss`, `CompareView.edit_panel`), which
sends it to the session live, without a restart. The spin boxes are built from the settings
schema (`ganviz.ui.fields.spin_for`), so their ranges and help are the schema's.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtWidgets

from ganviz.core.losses import LOSSES
from ganviz.core.settings import TRAIN
from ganviz.ui.fields import spin_for

if TYPE_CHECKING:
    from ganviz.ui.compare_view import CompareView


class PanelEditor(QtWidgets.QWidget):
    """Loss, k, the learning rates, unroll and gp of one panel, in a grid of two columns; hidden at first."""

    def __init__(self, view: "CompareView", index: int) -> None:
        super().__init__()
        i = index
        self.setObjectName(f"compareEditor_{i}")
        grid = QtWidgets.QGridLayout(self)
        grid.setContentsMargins(2, 2, 2, 2)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(2)
        self.loss_combo = QtWidgets.QComboBox()
        self.loss_combo.setObjectName(f"compareLossCombo_{i}")
        for lid, loss in LOSSES.items():
            self.loss_combo.addItem(loss.name, lid)
        self.loss_combo.setToolTip("This panel's loss; a switch also applies the loss's recommended settings "
                                   "(e.g. WGAN-GP: gp 10, k 5), except those all panels share")
        self.loss_combo.activated.connect(lambda _: view.switch_panel_loss(index, self.loss_combo.currentData()))

        def spin(name: str, field: str) -> QtWidgets.QAbstractSpinBox:
            return spin_for(TRAIN[field], f"compare{name}Spin_{i}")

        self.k_spin = spin("K", "k")
        self.lr_d_spin = spin("LrD", "lr_d")
        self.lr_g_spin = spin("LrG", "lr_g")
        self.unroll_spin = spin("Unroll", "unroll")
        self.gp_spin = spin("Gp", "gp")
        self.margin_spin = spin("Margin", "margin")
        self.spins = {"k": self.k_spin, "lr_d": self.lr_d_spin, "lr_g": self.lr_g_spin,
                      "unroll": self.unroll_spin, "gp": self.gp_spin, "margin": self.margin_spin}
        # per-panel tricks of the collapse lessons: D reading the batch through minibatch features
        self.checks = {}
        for field, text in (("minibatch_std", "mb std"), ("minibatch_disc", "mb disc")):
            box = QtWidgets.QCheckBox(text)
            box.setObjectName(f"compare_{field}_{i}")
            box.setToolTip(TRAIN[field].help)
            box.toggled.connect(lambda on, f=field: view.edit_panel(index, **{f: bool(on)}))
            self.checks[field] = box
        for name, w in self.spins.items():
            w.valueChanged.connect(lambda v, f=name: view.edit_panel(index, **{f: v}))
        rows = (("loss", self.loss_combo, "k", self.k_spin), ("lr D", self.lr_d_spin, "lr G", self.lr_g_spin),
                ("unroll", self.unroll_spin, "gp", self.gp_spin))
        r = len(rows)
        grid.addWidget(QtWidgets.QLabel("margin"), r, 0)
        grid.addWidget(self.margin_spin, r, 1)
        grid.addWidget(self.checks["minibatch_std"], r, 2)
        grid.addWidget(self.checks["minibatch_disc"], r, 3)
        for r, (a, wa, b, wb) in enumerate(rows):
            grid.addWidget(QtWidgets.QLabel(a), r, 0)
            grid.addWidget(wa, r, 1)
            grid.addWidget(QtWidgets.QLabel(b), r, 2)
            grid.addWidget(wb, r, 3)
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(3, 2)
        self.setVisible(False)

    def show_settings(self, s: dict) -> None:
        """Show a GAN's settings; fields being typed into are left alone, and nothing is sent back."""
        idx = self.loss_combo.findData(s.get("loss"))
        if idx >= 0 and idx != self.loss_combo.currentIndex() and not self.loss_combo.view().isVisible():
            self.loss_combo.blockSignals(True)
            self.loss_combo.setCurrentIndex(idx)
            self.loss_combo.blockSignals(False)
        for name, w in self.spins.items():
            if name in s and not w.hasFocus() and w.value() != s[name]:
                w.blockSignals(True)
                w.setValue(s[name])
                w.blockSignals(False)
        for name, box in self.checks.items():
            if name in s and box.isChecked() != bool(s[name]):
                box.blockSignals(True)
                box.setChecked(bool(s[name]))
                box.blockSignals(False)
