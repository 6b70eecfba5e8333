"""The game lab's column of controls: the game, its loss and regulariser, the methods to run,
their parameters (ranges from the settings schema, GAME) and the start point's note.

The column emits what changed; `GameView` decides what to recompute.
"""
from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton,
    QScrollArea, QSizePolicy, QSlider, QVBoxLayout, QWidget,
)

from ganviz.core.games import GAMES, INTEGRATORS, PARAM_INFO, REGULARISERS
from ganviz.core.losses import LOSSES
from ganviz.core.settings import GAME
from ganviz.ui.fields import spin_for

DEFAULT_METHODS = tuple(GAME["methods"].default)
PANEL_WIDTH = {False: 330, True: 420}   # by presentation mode

# The sliders' ranges are the settings schema's (GAME); their positions are scaled values.
LR_DECADE = 100              # positions per decade: lr = 10^(v / 100)
LR_SLIDER = (round(LR_DECADE * math.log10(GAME["lr"].lo)), math.floor(LR_DECADE * math.log10(GAME["lr"].hi)))
GAMMA_SCALE = 100            # gamma = v / 100
MOMENTUM_SCALE = 20          # beta = v / 20


def _lr_of(v: int) -> float:
    return 10.0 ** (v / LR_DECADE)


def _position_of_lr(lr: float) -> int:
    return round(LR_DECADE * math.log10(lr))


def _scaled(field: str, scale: int) -> tuple[int, int]:
    return math.ceil(GAME[field].lo * scale - 1e-9), math.floor(GAME[field].hi * scale + 1e-9)


def _swatch(colour: str, dashed: bool = False) -> QIcon:
    pm = QPixmap(28, 12)
    pm.fill(QColor(0, 0, 0, 0))
    p = QPainter(pm)
    # A grey casing keeps a white (dark-theme) or black swatch visible on any list background.
    p.setPen(QPen(QColor(128, 128, 128, 160), 5))
    p.drawLine(2, 6, 26, 6)
    pen = QPen(QColor(colour), 3)
    if dashed:
        pen.setStyle(Qt.DashLine)
    p.setPen(pen)
    p.drawLine(2, 6, 26, 6)
    p.end()
    return QIcon(pm)



class GameControls(QScrollArea):
    """The controls, in a scroll area of fixed width; the widgets are public attributes."""

    gameChanged = Signal()          # the game
    lossChanged = Signal()          # the Dirac-GAN's loss (and, for WGAN-GP, its penalty with it)
    regChanged = Signal()           # the regulariser or its weight
    methodsChanged = Signal()       # the methods checked
    paramsChanged = Signal()        # a slider
    replayRequested = Signal()
    resetViewRequested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWidget(self._build())
        self.setWidgetResizable(True)
        self.set_presentation(False)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Fixed, QSizePolicy.Expanding)

    def set_presentation(self, on: bool) -> None:
        self.setFixedWidth(PANEL_WIDTH[bool(on)])

    @staticmethod
    def _combo() -> QComboBox:
        c = QComboBox()
        # Sized to the panel, not to the longest loss name.
        c.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        c.setMinimumContentsLength(14)
        return c

    def _slider(self, name: str, lo: int, hi: int, value: int, tip: str) -> QSlider:
        s = QSlider(Qt.Horizontal)
        s.setObjectName(name)
        s.setRange(lo, hi)
        s.setValue(value)
        s.setToolTip(tip)
        s.valueChanged.connect(self._on_slider)
        return s

    def _build(self) -> QWidget:
        panel = QWidget()
        v = QVBoxLayout(panel)

        box = QGroupBox("Game")
        form = QFormLayout(box)
        self.game_combo = self._combo()
        self.game_combo.setObjectName("gameCombo")
        for gid, text in GAMES.items():
            self.game_combo.addItem("Bilinear  V = xy" if gid == "bilinear" else "Dirac-GAN", gid)
            self.game_combo.setItemData(self.game_combo.count() - 1, text, Qt.ToolTipRole)
        self.game_combo.setToolTip("Bilinear: V(x, y) = x·y, x minimises, y maximises; v = (−y, x).\n"
                                   "Dirac-GAN: p_data = δ₀, p_g = δ_θ, D(x) = ψ·x (Mescheder et al. 2018).")
        self.game_combo.currentIndexChanged.connect(lambda _: self.gameChanged.emit())
        form.addRow("Game", self.game_combo)

        self.loss_combo = self._combo()
        self.loss_combo.setObjectName("gameLossCombo")
        for lid, loss in LOSSES.items():
            self.loss_combo.addItem(loss.name, lid)
            self.loss_combo.setItemData(self.loss_combo.count() - 1, f"D: {loss.d_formula}\nG: {loss.g_formula}",
                                        Qt.ToolTipRole)
        self.loss_combo.setCurrentIndex(self.loss_combo.findData("ns"))
        self.loss_combo.setToolTip("Dirac-GAN loss, from the loss registry: D's logit is ψ·0 on the real\n"
                                   "sample and ψ·θ on the fake one; the field follows from the loss's derivatives.")
        self.loss_combo.currentIndexChanged.connect(self._on_loss)
        form.addRow("Loss", self.loss_combo)

        self.reg_combo = self._combo()
        self.reg_combo.setObjectName("gameRegCombo")
        for rid, reg in REGULARISERS.items():
            self.reg_combo.addItem(reg.name, rid)
        self.reg_combo.setToolTip("Discriminator regulariser (Mescheder et al. 2018): R1 and the zero-centred GP give\n"
                                  "Re λ < 0; so does instance noise, unless the loss is linear in D's logit (WGAN);\n"
                                  "WGAN-GP's (|ψ| − 1)² penalty does not converge to (0, 0).")
        self.reg_combo.currentIndexChanged.connect(self._on_reg)
        form.addRow("Regulariser", self.reg_combo)

        self.reg_weight = spin_for(GAME["reg_weight"], "gameRegWeightSpin")
        self.reg_weight.valueChanged.connect(lambda _: self.regChanged.emit())
        self.reg_weight_label = QLabel("Weight")
        form.addRow(self.reg_weight_label, self.reg_weight)
        v.addWidget(box)

        box = QGroupBox("Methods")
        bl = QVBoxLayout(box)
        self.method_list = QListWidget()
        self.method_list.setObjectName("gameMethodList")
        self.method_list.setToolTip("Integrators to run from the start point (check to show).")
        for mid, integ in INTEGRATORS.items():
            item = QListWidgetItem(integ.name)
            item.setData(Qt.UserRole, mid)
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Checked if mid in DEFAULT_METHODS else Qt.Unchecked)
            params = ", ".join(("η" if p == "lr" else "β" if p == "beta" else "γ" if p == "gamma" else p)
                               for p in integ.params)
            item.setToolTip(f"{integ.rule}\nuses {params} — {integ.reference}")
            self.method_list.addItem(item)
        self.method_list.itemChanged.connect(lambda _: self.methodsChanged.emit())
        bl.addWidget(self.method_list)
        v.addWidget(box)

        box = QGroupBox("Parameters")
        form = QFormLayout(box)
        self.lr_slider = self._slider("gameLrSlider", *LR_SLIDER, _position_of_lr(GAME["lr"].default),
                                      f"Learning rate η (log scale, {GAME['lr'].lo:g} to {GAME['lr'].hi:g}): "
                                      + PARAM_INFO["lr"] + ".\nOn the bilinear game simultaneous GDA grows |p| by "
                                      "√(1 + η²) per step.")
        self.gamma_slider = self._slider("gameGammaSlider", *_scaled("gamma", GAMMA_SCALE),
                                         round(GAME["gamma"].default * GAMMA_SCALE), "Consensus optimisation: "
                                         "p ← p + η (v − γ Jᵀv), the gradient of ½||v||² pulls towards rest points.")
        self.momentum_slider = self._slider("gameMomentumSlider", *_scaled("beta", MOMENTUM_SCALE),
                                            round(GAME["beta"].default * MOMENTUM_SCALE),
                                            "Momentum β for alternating GD + momentum: m ← β m + η v, p ← p + m.\n"
                                            "Negative momentum makes the bilinear game converge (Gidel et al. 2019).")
        self.k_slider = self._slider("gameKSlider", GAME["k"].lo, GAME["k"].hi, GAME["k"].default, "k: discriminator (y / ψ) steps per generator "
                                     "(x / θ) step in the alternating methods.")
        self.steps_slider = self._slider("gameStepsSlider", GAME["steps"].lo, GAME["steps"].hi, GAME["steps"].default,
                                         GAME["steps"].help + ".")
        self.steps_slider.setSingleStep(10)
        self.steps_slider.setPageStep(100)
        self._value_labels: dict[str, QLabel] = {}
        for text, s in (("η", self.lr_slider), ("γ", self.gamma_slider), ("β", self.momentum_slider),
                        ("k", self.k_slider), ("steps", self.steps_slider)):
            row = QWidget()
            h = QHBoxLayout(row)
            h.setContentsMargins(0, 0, 0, 0)
            h.addWidget(s, 1)
            lab = QLabel()
            lab.setMinimumWidth(44)
            lab.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
            self._value_labels[s.objectName()] = lab
            h.addWidget(lab)
            name = QLabel(text)
            name.setToolTip(s.toolTip())
            form.addRow(name, row)
        v.addWidget(box)

        self.start_label = QLabel()
        self.start_label.setObjectName("gameStartLabel")
        self.start_label.setWordWrap(True)
        self.start_label.setToolTip("Click the field to move the start point.")
        v.addWidget(self.start_label)
        replay = QPushButton("Replay")
        replay.setObjectName("gameReplayButton")
        replay.setToolTip("Draw the trajectories again from the start.")
        replay.clicked.connect(self.replayRequested.emit)
        reset = QPushButton("Reset view")
        reset.setObjectName("gameResetViewButton")
        reset.setToolTip("Show the square around the equilibrium again.")
        reset.clicked.connect(self.resetViewRequested.emit)
        h = QHBoxLayout()
        h.addWidget(replay)
        h.addWidget(reset)
        v.addLayout(h)
        v.addStretch(1)
        self._update_value_labels()

        return panel

    def checked_methods(self) -> list[str]:
        out = []
        for i in range(self.method_list.count()):
            item = self.method_list.item(i)
            if item.checkState() == Qt.Checked:
                out.append(item.data(Qt.UserRole))
        return out

    def set_methods(self, methods) -> None:
        """Check exactly `methods`; emits nothing."""
        wanted = set(methods)
        self.method_list.blockSignals(True)
        for i in range(self.method_list.count()):
            item = self.method_list.item(i)
            item.setCheckState(Qt.Checked if item.data(Qt.UserRole) in wanted else Qt.Unchecked)
        self.method_list.blockSignals(False)

    def params(self) -> dict:
        """The sliders' values: lr, gamma, beta, k and steps."""
        return {
            "lr": _lr_of(self.lr_slider.value()),
            "gamma": self.gamma_slider.value() / GAMMA_SCALE,
            "beta": self.momentum_slider.value() / MOMENTUM_SCALE,
            "k": self.k_slider.value(),
            "steps": self.steps_slider.value(),
        }

    def load(self, table: dict) -> None:
        """Set the controls from a [game] table (validated by ganviz.core.scenario)."""
        def pick(combo, value) -> None:
            i = combo.findData(value)
            if i >= 0:
                combo.setCurrentIndex(i)

        pick(self.game_combo, table.get("game", "bilinear"))
        if "loss" in table:
            pick(self.loss_combo, table["loss"])
        if "reg" in table:
            pick(self.reg_combo, table["reg"])
        if "reg_weight" in table:
            self.reg_weight.setValue(float(table["reg_weight"]))
        if "lr" in table:
            self.lr_slider.setValue(_position_of_lr(table["lr"]))
        if "gamma" in table:
            self.gamma_slider.setValue(round(table["gamma"] * GAMMA_SCALE))
        if "beta" in table:
            self.momentum_slider.setValue(round(table["beta"] * MOMENTUM_SCALE))
        if "k" in table:
            self.k_slider.setValue(int(table["k"]))
        if "steps" in table:
            self.steps_slider.setValue(int(table["steps"]))
        if "methods" in table:
            self.set_methods(table["methods"])

    # -- reactions ----------------------------------------------------------------------------------
    def _on_slider(self, _value: int) -> None:
        self._update_value_labels()
        self.paramsChanged.emit()

    def _on_loss(self, _index: int) -> None:
        lid = self.loss_combo.currentData()
        # WGAN-GP's penalty is part of the loss: choosing it brings the penalty along.
        if lid == "wgan-gp":
            self.reg_combo.blockSignals(True)
            self.reg_weight.blockSignals(True)
            self.reg_combo.setCurrentIndex(self.reg_combo.findData("gp"))
            self.reg_weight.setValue(float(LOSSES[lid].defaults["gp"]))
            self.reg_combo.blockSignals(False)
            self.reg_weight.blockSignals(False)
        self.lossChanged.emit()

    def _on_reg(self, _index: int) -> None:
        reg = REGULARISERS[self.reg_combo.currentData()]
        self.reg_weight.blockSignals(True)
        self.reg_weight.setValue(reg.default_weight)
        self.reg_weight.blockSignals(False)
        self.regChanged.emit()

    def _update_value_labels(self) -> None:
        p = self.params()
        labels = self._value_labels
        labels["gameLrSlider"].setText(f"{p['lr']:.3g}")
        labels["gameGammaSlider"].setText(f"{p['gamma']:.2f}")
        labels["gameMomentumSlider"].setText(f"{p['beta']:+.2f}")
        labels["gameKSlider"].setText(str(p["k"]))
        labels["gameStepsSlider"].setText(str(p["steps"]))

