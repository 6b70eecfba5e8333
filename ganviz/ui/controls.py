"""The control panel: every setting a lecturer changes live, grouped and scrolling.

Every menu is read from a core registry (losses, optimizers, presets,
activations, update orders, priors), so an entry added there appears here.
A user change emits one signal carrying exactly the fields that changed, after
the would-be settings pass the core validators; filling the panel from a
scenario emits nothing.

The panel's parts have modules of their own: `ganviz.ui.control_widgets` (the slider rows, the
doubling spin box, the folding sections, the widget factories) and `ganviz.ui.data_table` (the
data section: presets and the mixture table). Their names that tests and scripts use are
imported here too.
"""
from __future__ import annotations

import html
import math
from dataclasses import asdict, replace
from typing import Any, Callable, Optional

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import QFormLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from ganviz.core.losses import LOSSES
from ganviz.core.scenario import DataSpec, Scenario
from ganviz.core.settings import (G_NORM_FIELDS, K_HELP, MODEL, MODEL_SCHEMA, RUN, SHARED_FIELDS, TRAIN,
                                  TRAIN_SCHEMA, ModelSettings, SettingsError, TrainSettings, check_model_train,
                                  switch_loss, validate_model, validate_train)
from ganviz.ui import control_widgets as W
from ganviz.ui import plotting as P
from ganviz.ui.base import Styled
from ganviz.ui.control_widgets import LR_LADDER, LR_RANGE, format_lr, format_speed
from ganviz.ui.data_table import CUSTOM, TABLE_ROWS_SHOWN, DataSection
from ganviz.ui.info_panel import formula_html
from ganviz.ui.theme import LIGHT, Theme

# Older names of the building blocks, for tests and scripts.
_SliderRow, _DoublingSpinBox, _Section = W.SliderRow, W.DoublingSpinBox, W.Section

__all__ = ["CUSTOM", "K_MAX", "K_TIP", "LR_LADDER", "LR_RANGE", "NOTE_MODEL", "NOTE_SEED", "SPEEDS",
           "TABLE_ROWS_SHOWN", "TIPS", "ControlPanel", "format_lr", "format_speed"]

# Slow motion for explaining a single step up to "as fast as the device goes" (None).
SPEEDS: tuple[Optional[float], ...] = (1.0, 2.0, 5.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0, None)
K_MAX = int(TRAIN["k"].hi)

K_TIP = K_HELP
# Each setting's help is the schema's; these are the panel's own rows.
TIPS = {
    **{f.name: f.help for f in (*TRAIN_SCHEMA, *MODEL_SCHEMA)},
    "lr": "Learning rate on a log scale, {lo:.0e} to {hi:.0e}",
    "layers": "Hidden layers x units per layer (0 layers: a linear map)",
    "view_class": "Which class the views show for a conditional G (does not restart training)",
    "seed": "Seed of the one random generator of the run; takes effect on Reset",
    "speed": "Training steps per second: slow motion to watch single steps, up to max",
    "g_norm": "Normalisation of G's hidden layers (one at most):\n" + "\n".join(
        f"{MODEL[f].label}: {MODEL[f].help}" for f in G_NORM_FIELDS),
}
# The G normalisation menu's entry for none of G_NORM_FIELDS.
G_NORM_NONE = "none"
NOTE_MODEL = "Changing these restarts training with new networks."
NOTE_SEED = "The seed takes effect on Reset."


def _loss_tip(loss_id: str) -> str:
    loss = LOSSES[loss_id]
    # The two claims at D* share one label and each says what it is, which keeps the label column narrow.
    rows = [("D", formula_html(loss.d_formula)), ("G", formula_html(loss.g_formula)),
            ("At D*", "<i>value of G's loss:</i> " + formula_html(loss.value_at_d_star)),
            ("", "<i>G's gradient follows:</i> " + formula_html(loss.gradient_follows))]
    body = "".join(f"<tr><td><b>{html.escape(name)}</b>&nbsp;</td><td>{text}</td></tr>" for name, text in rows)
    ref = f"<br><i>{html.escape(loss.reference)}</i>" if loss.reference else ""
    return f"<b>{html.escape(loss.name)}</b><table>{body}</table>{ref}"


def _and(names) -> str:
    """'a, b and c'."""
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _defaults_tip() -> str:
    lines = [f"{lid}: " + ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}"
                                    for k, v in loss.defaults.items())
             for lid, loss in LOSSES.items() if loss.defaults]
    return ("On (the default): choosing a loss also applies its recommended settings; switching to "
            "another loss restores the settings they replaced, unless you changed them since. In a run of several "
            "GANs it leaves the " + _and(TRAIN[f].label.lower() for f in SHARED_FIELDS) + " alone: every GAN "
            "of the run shares them.\n"
            + "\n".join(lines))



class ControlPanel(W.Quiet, Styled, QWidget):
    """Data, loss, optimiser, tricks, model and run settings; emits what the user changes."""

    trainChanged = Signal(dict)
    modelChanged = Signal(dict)
    dataChanged = Signal(object)
    seedChanged = Signal(int)
    speedChanged = Signal(object)
    viewClassChanged = Signal(int)

    def __init__(self, theme: Theme = LIGHT, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("controlPanel")
        self._init_style(theme)
        self._filling = False
        self._train = TrainSettings()
        self._model = ModelSettings()
        # Fields a loss's recommended settings replaced, with the values they had before.
        self._replaced: dict[str, Any] = {}
        self._train_io: dict[str, tuple[Callable[[], Any], Callable[[Any], None]]] = {}
        self._model_io: dict[str, tuple[Callable[[], Any], Callable[[Any], None]]] = {}
        # The control of each schema field ("train.k", "model.g_width"): for tests that check it
        # against the schema, and for scripts.
        self.field_widgets: dict[str, QWidget] = {}

        # In a run of several GANs: which GAN the per-GAN settings below are (hidden for one GAN).
        self.target = QLabel()
        self.target.setObjectName("controlTarget")
        self.target.setWordWrap(True)
        self.target.setVisible(False)
        # Fields a loss switch leaves alone: in a run of several GANs those they all share.
        self._keep: tuple[str, ...] = ()

        self.error = QLabel()
        self.error.setObjectName("controlError")
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self._scroll = QScrollArea()
        self._scroll.setObjectName("controlScroll")
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self._scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._content = QWidget()
        self._content.setObjectName("controlContent")
        self._scroll.setWidget(self._content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        outer.addWidget(self.target)
        outer.addWidget(self.error)
        outer.addWidget(self._scroll, 1)
        self._box = QVBoxLayout(self._content)
        self._box.setContentsMargins(6, 4, 6, 6)
        self._box.setSpacing(4)
        self._row_labels: list[QLabel] = []

        self._build_data()
        self._build_loss()
        self._build_optim()
        self._build_tricks()
        self._build_model()
        self._build_run()
        self._box.addStretch(1)
        self.set_train(self._train)
        self._fill_model(self._model)
        self._fill_data(DataSpec())
        self._restyle()

    # -- public API -------------------------------------------------------------------------

    def set_scenario(self, sc: Scenario) -> None:
        """Show a scenario's data, model, training settings and seed; emits nothing."""
        with self._quiet():
            self._fill_data(sc.data)
            self._fill_model(sc.model)
            self.seed_spin.setValue(sc.seed)
        self.set_train(sc.train)

    def set_train(self, settings: TrainSettings) -> None:
        """Show training settings (e.g. those of the selected Compare panel); emits nothing."""
        with self._quiet():
            self._train = settings
            for name, (_, put) in self._train_io.items():
                put(getattr(settings, name))
            self._enable_optimizer_fields()
            # A loaded loss whose recommended settings are in force gives them back on a loss
            # switch, to the dataclass defaults, as if they had been applied here.
            base = TrainSettings()
            defaults = LOSSES[settings.loss].defaults if settings.loss in LOSSES else {}
            self._replaced = {f: getattr(base, f) for f, v in defaults.items()
                              if getattr(settings, f) == v and getattr(base, f) != v}
        self.set_error("")

    def set_gan(self, label: str, index: int, n: int) -> None:
        """Say which GAN of a run of n the training settings shown are, and that a change sets that GAN alone
        (the fields all GANs share set every GAN); n = 1 hides the line. Emits nothing."""
        several = n > 1
        self._keep = SHARED_FIELDS if several else ()
        self.target.setVisible(several)
        if several:
            shared = _and(["data", "model", *(TRAIN[f].label.lower() for f in SHARED_FIELDS)])
            self.target.setText(f"<b>GAN {index + 1} of {n}: {html.escape(label)}</b><br>"
                                f"Loss, learning rates, k and tricks set this GAN (the toolbar's GAN list "
                                f"picks it); {shared} set all {n}.")

    def show_changes(self, changes: dict) -> None:
        """Show training settings changed elsewhere (the Compare editor, on the GAN these controls set);
        emits nothing."""
        self.set_train(replace(self._train, **changes))

    def set_speed(self, steps_per_s: Optional[float]) -> None:
        """Show a speed (None: max); emits nothing."""
        self.speed_row.set_value(steps_per_s)

    def current_train(self) -> dict:
        """The training settings the widgets show, as TrainSettings fields."""
        return {name: get() for name, (get, _) in self._train_io.items()}

    def set_data(self, spec: DataSpec) -> None:
        """Show data changed elsewhere (drawn in a view, undone) in the table; sends nothing."""
        self._fill_data(spec)

    def set_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    # -- building ---------------------------------------------------------------------------

    def _section(self, key: str, title: str) -> QFormLayout:
        section = W.Section(key, title)
        self._box.addWidget(section)
        return section.form

    def _build_data(self) -> None:
        self.data_section = DataSection()
        self._box.addWidget(self.data_section)
        # Its widgets, by the names tests and scripts use.
        self.preset_combo, self.table = self.data_section.preset_combo, self.data_section.table
        self.add_button, self.remove_button = self.data_section.add_button, self.data_section.remove_button
        self.data_section.errorText.connect(self.set_error)
        self.data_section.rowsChanged.connect(self._data_rows_changed)
        self.data_section.dataChanged.connect(self.dataChanged)

    def _row(self, form: QFormLayout, label: str, widget: QWidget, tip: str) -> None:
        name = QLabel(label)
        name.setToolTip(tip)
        self._row_labels.append(name)
        widget.setToolTip(tip)
        form.addRow(name, widget)

    def _note(self, form: QFormLayout, text: str) -> None:
        note = QLabel(text)
        note.setObjectName("controlNote")
        note.setWordWrap(True)
        form.addRow(note)

    def _bind_train(self, field: str, widget: QWidget, tip: Optional[str] = None) -> None:
        get, put, signal = W.accessors(widget)
        self._train_io[field] = (get, put)
        self.field_widgets[f"train.{field}"] = widget
        signal.connect(lambda *_: self._user_train(field))
        widget.setToolTip(TIPS[field] if tip is None else tip)

    def _bind_model(self, field: str, widget: QWidget) -> None:
        get, put, signal = W.accessors(widget)
        self._model_io[field] = (get, put)
        self.field_widgets[f"model.{field}"] = widget
        signal.connect(lambda *_: self._user_model(field))

    def _build_loss(self) -> None:
        form = self._section("loss", "Loss and steps")
        self.loss_combo = W.combo("lossCombo", [(l.name, lid, _loss_tip(lid)) for lid, l in LOSSES.items()])
        self._bind_train("loss", self.loss_combo, tip="")
        self.loss_combo.currentIndexChanged.connect(self._show_loss_tip)
        form.addRow(self.loss_combo)
        self.defaults_check = W.check("lossDefaultsCheck", "Apply recommended settings")
        self.defaults_check.setChecked(True)
        self.defaults_check.setToolTip(_defaults_tip())
        form.addRow(self.defaults_check)
        # The slider's position is k itself, for scripts and tests that drive it.
        self.k_row = W.SliderRow("k", range(1, K_MAX + 1), str, float, 2, first_position=1)
        self._bind_train("k", self.k_row, tip=K_TIP)
        self.k_row.slider.setToolTip(K_TIP)
        self._row(form, "k (D steps)", self.k_row, K_TIP)
        self.g_steps_spin = W.schema_spin("gStepsSpin", TRAIN["g_steps"])
        self._bind_train("g_steps", self.g_steps_spin)
        self._row(form, "G steps", self.g_steps_spin, TIPS["g_steps"])

    def _build_optim(self) -> None:
        form = self._section("optim", "Optimisation")
        self.optimizer_combo = W.combo("optimizerCombo", [(c.name, c.id, c.help) for c in TRAIN["optimizer"].choices])
        self._bind_train("optimizer", self.optimizer_combo, tip="")
        self.optimizer_combo.currentIndexChanged.connect(self._enable_optimizer_fields)
        self._row(form, "Optimizer", self.optimizer_combo, "")
        lr_tip = TIPS["lr"].format(lo=LR_RANGE[0], hi=LR_RANGE[1])
        for field, name, label in (("lr_d", "lrD", "lr D"), ("lr_g", "lrG", "lr G")):
            row = W.SliderRow(name, LR_LADDER, W.format_lr, math.log10, 6)
            row.slider.setToolTip(f"{label}: {lr_tip}")
            self._bind_train(field, row, tip=f"{label}: {lr_tip}")
            self._row(form, label, row, f"{label}: {lr_tip}")
            setattr(self, f"{field}_row", row)
        self.beta1_spin = W.schema_spin("beta1Spin", TRAIN["beta1"])
        self.beta2_spin = W.schema_spin("beta2Spin", TRAIN["beta2"])
        self._bind_train("beta1", self.beta1_spin)
        self._bind_train("beta2", self.beta2_spin)
        self._row(form, "Adam \u03b21, \u03b22", W.pair(self.beta1_spin, self.beta2_spin),
                  TIPS["beta1"] + "\n" + TIPS["beta2"])
        self.momentum_spin = W.schema_spin("momentumSpin", TRAIN["momentum"])
        self._bind_train("momentum", self.momentum_spin)
        self._row(form, "Momentum", self.momentum_spin, TIPS["momentum"])
        self.batch_spin = W.schema_spin("batchSpin", TRAIN["batch_size"], doubling=True)
        self._bind_train("batch_size", self.batch_spin)
        self._row(form, "Batch size", self.batch_spin, TIPS["batch_size"])
        self.update_combo = W.combo("updateCombo", [(c.name, c.id, c.help) for c in TRAIN["update"].choices])
        self._bind_train("update", self.update_combo)
        self._row(form, "Updates", self.update_combo, TIPS["update"])

    def _build_tricks(self) -> None:
        form = self._section("tricks", "Tricks")
        names = {"label_smoothing": "smoothingSpin", "instance_noise": "noiseSpin", "noise_anneal": "noiseAnnealSpin",
                 "gp": "gpSpin", "r1": "r1Spin", "clip": "clipSpin", "unroll": "unrollSpin",
                 "consensus": "consensusSpin", "margin": "marginSpin"}
        spins = [(field, TRAIN[field].label, W.schema_spin(name, TRAIN[field])) for field, name in names.items()]
        for field, label, spin in spins:
            self._bind_train(field, spin)
            self._row(form, label, spin, TIPS[field])
        checks = (
            ("minibatch_std", W.check("mbstdCheck", "Minibatch std")),
            ("spectral_norm", W.check("snCheck", "Spectral norm")),
            ("freeze_g", W.check("freezeGCheck", "Freeze G (train D alone)")),
            ("minibatch_disc", W.check("mdCheck", "Minibatch discrimination")),
        )
        for field, check in checks:
            self._bind_train(field, check)
        form.addRow(W.pair(checks[0][1], checks[1][1]))
        form.addRow(checks[3][1])
        form.addRow(checks[2][1])

    def _build_model(self) -> None:
        form = self._section("model", "Model")
        self._note(form, NOTE_MODEL)
        self.latent_spin = W.schema_spin("latentSpin", MODEL["latent_dim"])
        self._bind_model("latent_dim", self.latent_spin)
        self._row(form, "Latent dim", self.latent_spin, TIPS["latent_dim"])
        self.prior_combo = W.combo("priorCombo", [(c.name, c.id, c.help) for c in MODEL["prior"].choices])
        self._bind_model("prior", self.prior_combo)
        self._row(form, "Prior", self.prior_combo, TIPS["prior"])
        for who in ("g", "d"):
            layers = W.schema_spin(f"{who}LayersSpin", MODEL[f"{who}_layers"])
            width = W.schema_spin(f"{who}WidthSpin", MODEL[f"{who}_width"], doubling=True)
            self._bind_model(f"{who}_layers", layers)
            self._bind_model(f"{who}_width", width)
            tip = f"{who.upper()}: {TIPS['layers']}"
            layers.setToolTip(tip)
            width.setToolTip(tip)
            self._row(form, f"{who.upper()} layers x width", W.pair(layers, width, "x"), tip)
        self.activation_combo = W.combo("activationCombo", [(c.name, c.id, c.help) for c in MODEL["activation"].choices])
        self._bind_model("activation", self.activation_combo)
        self._row(form, "Activation", self.activation_combo, TIPS["activation"])
        # Batch norm and virtual batch norm are two fields of the schema that exclude each other: one menu.
        self.g_norm_combo = W.combo("gNormCombo", [(G_NORM_NONE, G_NORM_NONE, "No normalisation of G's hidden layers")]
                                    + [(MODEL[f].label.removeprefix("G "), f, MODEL[f].help) for f in G_NORM_FIELDS])
        self.g_norm_combo.currentIndexChanged.connect(lambda *_: self._user_g_norm())
        self.field_widgets["model.g_norm"] = self.g_norm_combo
        self._row(form, "G normalisation", self.g_norm_combo, TIPS["g_norm"])
        self.d_kind_combo = W.combo("dKindCombo", [(c.name, c.id, c.help) for c in MODEL["d_kind"].choices])
        self._bind_model("d_kind", self.d_kind_combo)
        self._row(form, MODEL["d_kind"].label, self.d_kind_combo, TIPS["d_kind"])
        for field, name in (("d_code", "dCodeSpin"), ("md_kernels", "mdKernelsSpin")):
            spin = W.schema_spin(name, MODEL[field])
            self._bind_model(field, spin)
            self._row(form, MODEL[field].label, spin, TIPS[field])
            setattr(self, f"{field}_spin", spin)
        self.conditional_check = W.check("conditionalCheck", "Conditional")
        self.conditional_check.setToolTip(TIPS["conditional"])
        self._bind_model("conditional", self.conditional_check)
        self.class_spin = W.plain_spin("classSpin", 0, 0)
        self.class_spin.setPrefix("class ")
        self.class_spin.setToolTip(TIPS["view_class"])
        self.class_spin.valueChanged.connect(self._user_class)
        form.addRow(W.pair(self.conditional_check, self.class_spin))

    def _build_run(self) -> None:
        form = self._section("run", "Run")
        self.seed_spin = W.plain_spin("seedSpin", int(RUN["seed"].lo), int(RUN["seed"].hi))
        self.seed_spin.valueChanged.connect(self._user_seed)
        self._row(form, "Seed", self.seed_spin, TIPS["seed"])
        self._note(form, NOTE_SEED)
        self.speed_row = W.SliderRow("speed", SPEEDS, W.format_speed, W.log_key, 12)
        self.speed_row.slider.setToolTip(TIPS["speed"])
        self.speed_row.set_value(None)
        self.speed_row.changed.connect(self._user_speed)
        self._row(form, "Speed", self.speed_row, TIPS["speed"])

    # -- filling (never emits) -----------------------------------------------------------------

    def _fill_data(self, spec: DataSpec) -> None:
        with self._quiet():
            self.data_section.fill(spec)

    def _fill_model(self, model: ModelSettings) -> None:
        with self._quiet():
            self._model = model
            for name, (_, put) in self._model_io.items():
                put(getattr(model, name))
            on = [f for f in G_NORM_FIELDS if getattr(model, f)]
            self.g_norm_combo.setCurrentIndex(self.g_norm_combo.findData(on[0] if on else G_NORM_NONE))
            self._enable_model_fields()

    def _data_rows_changed(self, k: int) -> None:
        """A conditional G shows one of the data's k classes."""
        with self._quiet():
            self.class_spin.setMaximum(max(0, k - 1))

    def _enable_optimizer_fields(self) -> None:
        opt = {c.id: c for c in TRAIN["optimizer"].choices}.get(self.optimizer_combo.currentData())
        reads = opt.reads if opt is not None else ()
        for field, spin in (("beta1", self.beta1_spin), ("beta2", self.beta2_spin),
                            ("momentum", self.momentum_spin)):
            spin.setEnabled(field in reads)
        self.optimizer_combo.setToolTip(opt.help if opt is not None else "")

    def _show_loss_tip(self) -> None:
        loss_id = self.loss_combo.currentData()
        self.loss_combo.setToolTip(_loss_tip(loss_id) if loss_id in LOSSES else "")

    # -- user changes ------------------------------------------------------------------------

    def _user_train(self, field: str) -> None:
        if self._filling:
            return
        value = self._train_io[field][0]()
        changes = {field: value}
        replaced = self._replaced
        if field == "loss":
            replaced = {}
            if self.defaults_check.isChecked():
                changes, replaced = self._loss_switch(value)
        elif field in self._replaced:
            replaced = {f: v for f, v in self._replaced.items() if f != field}
        self._apply_train(changes, replaced)

    def _loss_switch(self, loss_id: str) -> tuple[dict, dict]:
        """The changes of a switch to `loss_id` with recommended settings, and what they replace."""
        return switch_loss(asdict(self._train), loss_id, self._replaced, keep=self._keep)

    def _apply_train(self, changes: dict, replaced: dict) -> None:
        settings = replace(self._train, **changes)
        try:
            validate_train(settings)
            check_model_train(self._model, settings)
        except SettingsError as e:
            self.set_error(str(e))
            return
        self._train = settings
        self._replaced = replaced
        with self._quiet():
            for name in changes:
                self._train_io[name][1](changes[name])
            self._enable_optimizer_fields()
        self.set_error("")
        self.trainChanged.emit(changes)

    def _user_model(self, field: str) -> None:
        if self._filling:
            return
        self._apply_model({field: self._model_io[field][0]()})

    def _user_g_norm(self) -> None:
        if self._filling:
            return
        choice = self.g_norm_combo.currentData()
        self._apply_model({f: f == choice for f in G_NORM_FIELDS})

    def _apply_model(self, changes: dict) -> None:
        model = replace(self._model, **changes)
        try:
            validate_model(model)
            check_model_train(model, self._train)
        except SettingsError as e:
            self.set_error(str(e))
            return
        self._model = model
        self._enable_model_fields()
        self.set_error("")
        self.modelChanged.emit(changes)

    def _enable_model_fields(self) -> None:
        model = self._model
        self.class_spin.setEnabled(model.conditional)
        # An MLP D has no bottleneck.
        self.d_code_spin.setEnabled(model.d_kind == "autoencoder")

    def _user_class(self, value: int) -> None:
        if not self._filling:
            self.viewClassChanged.emit(value)

    def _user_seed(self, value: int) -> None:
        if not self._filling:
            self.seedChanged.emit(value)

    def _user_speed(self, value: Optional[float]) -> None:
        self.speedChanged.emit(value)

    # -- style -------------------------------------------------------------------------------

    def _restyle(self) -> None:
        theme = self._theme
        size = P.sizes(self._presentation).control_pt
        font = QFont(self.font())
        font.setPointSizeF(size)
        metrics = QFontMetrics(font)
        fg = QColor(theme.foreground)
        faint = f"rgba({fg.red()}, {fg.green()}, {fg.blue()}, 150)"
        # The size goes in the style sheet: a panel with a style sheet does not pass setFont on.
        self.setStyleSheet(
            f"#controlPanel QWidget {{ font-size: {size}pt; }}"
            f"#controlPanel QToolButton#sectionHeader {{ font-weight: bold; border: none; "
            f"border-bottom: 1px solid {faint}; padding: 2px 0px; }}"
            f"#controlPanel QLabel#controlTarget {{ padding: 4px 6px; border-bottom: 1px solid {faint}; }}"
            f"#controlPanel QLabel#controlError {{ color: {theme.highlight}; font-weight: bold; padding: 4px 6px; }}"
            f"#controlPanel QLabel#controlNote {{ color: {faint}; font-style: italic; }}"
        )
        # One label column width for every section, so the fields line up down the panel.
        label_w = max(metrics.horizontalAdvance(label.text()) for label in self._row_labels) + 4
        for label in self._row_labels:
            label.setFixedWidth(label_w)
        for row in (self.k_row, self.lr_d_row, self.lr_g_row, self.speed_row):
            row.set_label_width(metrics)
        row_h = metrics.height() + 6
        self.data_section.set_row_height(row_h)
        # Never narrower than the sections need, so the dock widens in presentation mode instead of clipping.
        self.setMinimumWidth(self._content.minimumSizeHint().width()
                             + self._scroll.verticalScrollBar().sizeHint().width())
