"""The control panel: every setting a lecturer changes live, grouped and scrolling.

Every menu is read from a core registry (losses, optimizers, presets,
activations, update orders, priors), so an entry added there appears here.
A user change emits one signal carrying exactly the fields that changed, after
the would-be settings pass the core validators; filling the panel from a
scenario emits nothing.
"""
from __future__ import annotations

import html
import math
from contextlib import contextmanager
from dataclasses import asdict, replace
from typing import Any, Callable, Iterator, Optional, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout,
                               QHBoxLayout, QHeaderView, QLabel, QPushButton, QScrollArea, QSizePolicy,
                               QSlider, QSpinBox, QTableWidget, QTableWidgetItem, QToolButton, QVBoxLayout,
                               QWidget)

from ganviz.core.data import PRESETS, Mixture, MixtureError, mixture_from_spec
from ganviz.core.losses import LOSSES
from ganviz.core.scenario import DataSpec, Scenario
from ganviz.core.settings import (K_HELP, MODEL, MODEL_SCHEMA, TRAIN, TRAIN_SCHEMA, Field, ModelSettings,
                                  SettingsError, TrainSettings, switch_loss, validate_model, validate_train)
from ganviz.ui.fields import configure_spin
from ganviz.ui.info_panel import formula_html
from ganviz.ui.theme import LIGHT, Theme

FONT_PT = 10.0
PRESENTATION_FONT_PT = 14.0
LR_RANGE = (TRAIN["lr_d"].lo, TRAIN["lr_d"].hi)
# Slow motion for explaining a single step up to "as fast as the device goes" (None).
SPEEDS: tuple[Optional[float], ...] = (1.0, 2.0, 5.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0, None)
K_MAX = int(TRAIN["k"].hi)
CUSTOM = "Custom mixture"
TABLE_ROWS_SHOWN = 5

K_TIP = K_HELP
# Each setting's help is the schema's; these are the panel's own rows.
TIPS = {
    **{f.name: f.help for f in (*TRAIN_SCHEMA, *MODEL_SCHEMA)},
    "lr": "Learning rate on a log scale, {lo:.0e} to {hi:.0e}",
    "layers": "Hidden layers x units per layer (0 layers: a linear map)",
    "view_class": "Which class the views show for a conditional G (does not restart training)",
    "seed": "Seed of the one random generator of the run; takes effect on Reset",
    "speed": "Training steps per second: slow motion to watch single steps, up to max",
}
NOTE_MODEL = "Changing these restarts training with new networks."
NOTE_SEED = "The seed takes effect on Reset."


def format_lr(value: float) -> str:
    """A learning rate as a lecturer reads it: 2.0e-3."""
    exp = math.floor(math.log10(value))
    mantissa = value / 10.0 ** exp
    if round(mantissa, 1) >= 10.0:
        mantissa, exp = mantissa / 10.0, exp + 1
    return f"{mantissa:.1f}e{exp}"


def _lr_ladder() -> tuple[float, ...]:
    # 40 log steps per decade rounded to two significant figures: every position is a value
    # one can say aloud (5.0e-5, 2.0e-3), and no two positions show the same label.
    mantissas = sorted({round(10.0 ** (i / 40.0), 1) for i in range(40)})
    lo, hi = (round(math.log10(v)) for v in LR_RANGE)
    return tuple(float(f"{m:.1f}e{e}") for e in range(lo, hi) for m in mantissas) + (LR_RANGE[1],)


LR_LADDER = _lr_ladder()


def format_speed(value: Optional[float]) -> str:
    if value is None:
        return "max"
    return "1 step/s" if value == 1 else f"{value:g} steps/s"


def _log_key(value: Optional[float]) -> float:
    return math.inf if value is None else math.log10(value)


def _loss_tip(loss_id: str) -> str:
    loss = LOSSES[loss_id]
    # The two claims at D* share one label and each says what it is, which keeps the label column narrow.
    rows = [("D", formula_html(loss.d_formula)), ("G", formula_html(loss.g_formula)),
            ("At D*", "<i>value of G's loss:</i> " + formula_html(loss.value_at_d_star)),
            ("", "<i>G's gradient follows:</i> " + formula_html(loss.gradient_follows))]
    body = "".join(f"<tr><td><b>{html.escape(name)}</b>&nbsp;</td><td>{text}</td></tr>" for name, text in rows)
    ref = f"<br><i>{html.escape(loss.reference)}</i>" if loss.reference else ""
    return f"<b>{html.escape(loss.name)}</b><table>{body}</table>{ref}"


def _defaults_tip() -> str:
    lines = [f"{lid}: " + ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}"
                                    for k, v in loss.defaults.items())
             for lid, loss in LOSSES.items() if loss.defaults]
    return ("On (the default): choosing a loss also applies its recommended settings; switching to "
            "another loss restores the settings they replaced, unless you changed them since.\n"
            + "\n".join(lines))


class _DoublingSpinBox(QSpinBox):
    """Integer spin box whose arrows move between powers of two (batch sizes, layer widths)."""

    def stepBy(self, steps: int) -> None:
        v = self.value()
        for _ in range(abs(steps)):
            if steps > 0:
                v = 1 << v.bit_length()
            else:
                v = v // 2 if v & (v - 1) == 0 else 1 << (v.bit_length() - 1)
        self.setValue(v)


class _SliderRow(QWidget):
    """A slider over a ladder of values, with a label showing the value.

    The exact value set from a scenario is kept (and shown) even where it falls
    between the ladder's positions; the handle goes to the nearest position.
    """

    changed = Signal(object)

    def __init__(self, name: str, values: Sequence[Any], fmt: Callable[[Any], str],
                 key: Callable[[Any], float], label_chars: int, first_position: int = 0) -> None:
        super().__init__()
        self._values = tuple(values)
        self._first = first_position
        self._fmt = fmt
        self._key = key
        self._value = self._values[0]
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName(f"{name}Slider")
        self.slider.setRange(first_position, first_position + len(self._values) - 1)
        self.slider.setPageStep(max(1, len(self._values) // 10))
        # One change per drag: the handle's label follows the mouse, the value applies on release.
        self.slider.setTracking(False)
        self.label = QLabel()
        self.label.setObjectName(f"{name}Label")
        self.label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._label_chars = label_chars
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.slider, 1)
        row.addWidget(self.label)
        self.slider.sliderMoved.connect(lambda pos: self.label.setText(self._fmt(self._values[pos - self._first])))
        self.slider.valueChanged.connect(self._on_position)
        self._show()

    def value(self) -> Any:
        return self._value

    def set_value(self, value: Any) -> None:
        self._value = value
        if value in self._values:
            pos = self._values.index(value)
        else:
            target = self._key(value)
            pos = min(range(len(self._values)), key=lambda i: abs(self._key(self._values[i]) - target))
        self.slider.blockSignals(True)
        self.slider.setValue(pos + self._first)
        self.slider.blockSignals(False)
        self._show()

    def set_label_width(self, metrics: QFontMetrics) -> None:
        self.label.setMinimumWidth(metrics.horizontalAdvance("0" * self._label_chars))

    def _on_position(self, pos: int) -> None:
        self._value = self._values[pos - self._first]
        self._show()
        self.changed.emit(self._value)

    def _show(self) -> None:
        self.label.setText(self._fmt(self._value))


class _Section(QWidget):
    """A titled group whose body folds away under its header."""

    def __init__(self, key: str, title: str) -> None:
        super().__init__()
        self.setObjectName(f"{key}Section")
        self.header = QToolButton()
        self.header.setObjectName("sectionHeader")
        self.header.setText(title)
        self.header.setCheckable(True)
        self.header.setChecked(True)
        self.header.setArrowType(Qt.ArrowType.DownArrow)
        self.header.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.header.setAutoRaise(True)
        self.header.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.body = QWidget()
        self.form = QFormLayout(self.body)
        self.form.setContentsMargins(14, 0, 2, 6)
        self.form.setHorizontalSpacing(8)
        self.form.setVerticalSpacing(4)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(self.header)
        box.addWidget(self.body)
        self.header.toggled.connect(self._fold)

    def _fold(self, open_: bool) -> None:
        self.body.setVisible(open_)
        self.header.setArrowType(Qt.ArrowType.DownArrow if open_ else Qt.ArrowType.RightArrow)


class ControlPanel(QWidget):
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
        self._theme = theme
        self._presentation = False
        self._filling = False
        self._train = TrainSettings()
        self._model = ModelSettings()
        # Fields a loss's recommended settings replaced, with the values they had before.
        self._replaced: dict[str, Any] = {}
        self._dim = 2
        self._train_io: dict[str, tuple[Callable[[], Any], Callable[[Any], None]]] = {}
        self._model_io: dict[str, tuple[Callable[[], Any], Callable[[Any], None]]] = {}
        # The control of each schema field ("train.k", "model.g_width"): for tests that check it
        # against the schema, and for scripts.
        self.field_widgets: dict[str, QWidget] = {}

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
        self._apply_style()

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

    def set_speed(self, steps_per_s: Optional[float]) -> None:
        """Show a speed (None: max); emits nothing."""
        self.speed_row.set_value(steps_per_s)

    def current_train(self) -> dict:
        """The training settings the widgets show, as TrainSettings fields."""
        return {name: get() for name, (get, _) in self._train_io.items()}

    def set_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def set_presentation(self, on: bool) -> None:
        self._presentation = bool(on)
        self._apply_style()

    def set_theme(self, theme: Theme) -> None:
        self._theme = theme
        self._apply_style()

    # -- building ---------------------------------------------------------------------------

    def _section(self, key: str, title: str) -> QFormLayout:
        section = _Section(key, title)
        self._box.addWidget(section)
        return section.form

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

    @staticmethod
    def _combo(name: str, items: Sequence[tuple[str, Any, str]]) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(name)
        # Long registry names must not widen the docked panel.
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(8)
        for text, data, tip in items:
            combo.addItem(text, data)
            if tip:
                combo.setItemData(combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        return combo

    @staticmethod
    def _spin(name: str, field: Field, doubling: bool = False) -> QSpinBox | QDoubleSpinBox:
        """A spin box for a schema field: range, step, decimals, unit and "off" from the schema."""
        spin: QSpinBox | QDoubleSpinBox
        if field.kind is float:
            spin = QDoubleSpinBox()
        else:
            spin = _DoublingSpinBox() if doubling else QSpinBox()
        spin.setObjectName(name)
        return configure_spin(spin, field)

    @staticmethod
    def _plain_spin(name: str, lo: int, hi: int) -> QSpinBox:
        """A spin box for a value that is not a setting (the seed, the class shown)."""
        spin = QSpinBox()
        spin.setObjectName(name)
        spin.setRange(lo, hi)
        spin.setKeyboardTracking(False)
        spin.setAlignment(Qt.AlignmentFlag.AlignRight)
        return spin

    @staticmethod
    def _check(name: str, text: str) -> QCheckBox:
        check = QCheckBox(text)
        check.setObjectName(name)
        return check

    def _bind_train(self, field: str, widget: QWidget, tip: Optional[str] = None) -> None:
        get, put, signal = _accessors(widget)
        self._train_io[field] = (get, put)
        self.field_widgets[f"train.{field}"] = widget
        signal.connect(lambda *_: self._user_train(field))
        widget.setToolTip(TIPS[field] if tip is None else tip)

    def _bind_model(self, field: str, widget: QWidget) -> None:
        get, put, signal = _accessors(widget)
        self._model_io[field] = (get, put)
        self.field_widgets[f"model.{field}"] = widget
        signal.connect(lambda *_: self._user_model(field))

    @staticmethod
    def _pair(a: QWidget, b: QWidget, sep: str = "") -> QWidget:
        w = QWidget()
        row = QHBoxLayout(w)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(a, 1)
        if sep:
            row.addWidget(QLabel(sep))
        row.addWidget(b, 1)
        return w

    def _build_data(self) -> None:
        form = self._section("data", "Data")
        items = [(p.name, pid, f"{p.description} ({p.dim}D)") for pid, p in PRESETS.items()]
        items.append((CUSTOM, None, "Your own mixture: edit the table below"))
        self.preset_combo = self._combo("presetCombo", items)
        self.preset_combo.setToolTip("A built-in mixture of Gaussians, or your own from the table")
        self.preset_combo.currentIndexChanged.connect(self._user_preset)
        form.addRow(self.preset_combo)

        self.table = QTableWidget(0, 0)
        self.table.setObjectName("mixtureTable")
        self.table.setToolTip("One row per Gaussian component: mean, standard deviation (isotropic) and "
                              "weight (normalised to sum 1). Edit a cell to train on your own mixture.")
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setHighlightSections(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed
                                   | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.itemChanged.connect(self._user_table)
        form.addRow(self.table)

        self.add_button = QPushButton("Add component")
        self.add_button.setObjectName("addComponentButton")
        self.add_button.setToolTip("Add a component (a copy of the last one, moved by 1 in x)")
        self.add_button.clicked.connect(self._user_add_row)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setObjectName("removeComponentButton")
        self.remove_button.setToolTip("Remove the selected component (or the last one)")
        self.remove_button.clicked.connect(self._user_remove_row)
        form.addRow(self._pair(self.add_button, self.remove_button))

    def _build_loss(self) -> None:
        form = self._section("loss", "Loss and steps")
        self.loss_combo = self._combo("lossCombo", [(l.name, lid, _loss_tip(lid)) for lid, l in LOSSES.items()])
        self._bind_train("loss", self.loss_combo, tip="")
        self.loss_combo.currentIndexChanged.connect(self._show_loss_tip)
        form.addRow(self.loss_combo)
        self.defaults_check = self._check("lossDefaultsCheck", "Apply recommended settings")
        self.defaults_check.setChecked(True)
        self.defaults_check.setToolTip(_defaults_tip())
        form.addRow(self.defaults_check)
        # The slider's position is k itself, for scripts and tests that drive it.
        self.k_row = _SliderRow("k", range(1, K_MAX + 1), str, float, 2, first_position=1)
        self._bind_train("k", self.k_row, tip=K_TIP)
        self.k_row.slider.setToolTip(K_TIP)
        self._row(form, "k (D steps)", self.k_row, K_TIP)
        self.g_steps_spin = self._spin("gStepsSpin", TRAIN["g_steps"])
        self._bind_train("g_steps", self.g_steps_spin)
        self._row(form, "G steps", self.g_steps_spin, TIPS["g_steps"])

    def _build_optim(self) -> None:
        form = self._section("optim", "Optimisation")
        self.optimizer_combo = self._combo("optimizerCombo", [(c.name, c.id, c.help) for c in TRAIN["optimizer"].choices])
        self._bind_train("optimizer", self.optimizer_combo, tip="")
        self.optimizer_combo.currentIndexChanged.connect(self._enable_optimizer_fields)
        self._row(form, "Optimizer", self.optimizer_combo, "")
        lr_tip = TIPS["lr"].format(lo=LR_RANGE[0], hi=LR_RANGE[1])
        for field, name, label in (("lr_d", "lrD", "lr D"), ("lr_g", "lrG", "lr G")):
            row = _SliderRow(name, LR_LADDER, format_lr, math.log10, 6)
            row.slider.setToolTip(f"{label}: {lr_tip}")
            self._bind_train(field, row, tip=f"{label}: {lr_tip}")
            self._row(form, label, row, f"{label}: {lr_tip}")
            setattr(self, f"{field}_row", row)
        self.beta1_spin = self._spin("beta1Spin", TRAIN["beta1"])
        self.beta2_spin = self._spin("beta2Spin", TRAIN["beta2"])
        self._bind_train("beta1", self.beta1_spin)
        self._bind_train("beta2", self.beta2_spin)
        self._row(form, "Adam \u03b21, \u03b22", self._pair(self.beta1_spin, self.beta2_spin),
                  TIPS["beta1"] + "\n" + TIPS["beta2"])
        self.momentum_spin = self._spin("momentumSpin", TRAIN["momentum"])
        self._bind_train("momentum", self.momentum_spin)
        self._row(form, "Momentum", self.momentum_spin, TIPS["momentum"])
        self.batch_spin = self._spin("batchSpin", TRAIN["batch_size"], doubling=True)
        self._bind_train("batch_size", self.batch_spin)
        self._row(form, "Batch size", self.batch_spin, TIPS["batch_size"])
        self.update_combo = self._combo("updateCombo", [(c.name, c.id, c.help) for c in TRAIN["update"].choices])
        self._bind_train("update", self.update_combo)
        self._row(form, "Updates", self.update_combo, TIPS["update"])

    def _build_tricks(self) -> None:
        form = self._section("tricks", "Tricks")
        names = {"label_smoothing": "smoothingSpin", "instance_noise": "noiseSpin", "noise_anneal": "noiseAnnealSpin",
                 "gp": "gpSpin", "r1": "r1Spin", "clip": "clipSpin", "unroll": "unrollSpin",
                 "consensus": "consensusSpin"}
        spins = [(field, TRAIN[field].label, self._spin(name, TRAIN[field])) for field, name in names.items()]
        for field, label, spin in spins:
            self._bind_train(field, spin)
            self._row(form, label, spin, TIPS[field])
        checks = (
            ("minibatch_std", self._check("mbstdCheck", "Minibatch std")),
            ("spectral_norm", self._check("snCheck", "Spectral norm")),
            ("freeze_g", self._check("freezeGCheck", "Freeze G (train D alone)")),
        )
        for field, check in checks:
            self._bind_train(field, check)
        form.addRow(self._pair(checks[0][1], checks[1][1]))
        form.addRow(checks[2][1])

    def _build_model(self) -> None:
        form = self._section("model", "Model")
        self._note(form, NOTE_MODEL)
        self.latent_spin = self._spin("latentSpin", MODEL["latent_dim"])
        self._bind_model("latent_dim", self.latent_spin)
        self._row(form, "Latent dim", self.latent_spin, TIPS["latent_dim"])
        self.prior_combo = self._combo("priorCombo", [(c.name, c.id, c.help) for c in MODEL["prior"].choices])
        self._bind_model("prior", self.prior_combo)
        self._row(form, "Prior", self.prior_combo, TIPS["prior"])
        for who in ("g", "d"):
            layers = self._spin(f"{who}LayersSpin", MODEL[f"{who}_layers"])
            width = self._spin(f"{who}WidthSpin", MODEL[f"{who}_width"], doubling=True)
            self._bind_model(f"{who}_layers", layers)
            self._bind_model(f"{who}_width", width)
            tip = f"{who.upper()}: {TIPS['layers']}"
            layers.setToolTip(tip)
            width.setToolTip(tip)
            self._row(form, f"{who.upper()} layers x width", self._pair(layers, width, "x"), tip)
        self.activation_combo = self._combo("activationCombo", [(c.name, c.id, c.help) for c in MODEL["activation"].choices])
        self._bind_model("activation", self.activation_combo)
        self._row(form, "Activation", self.activation_combo, TIPS["activation"])
        self.conditional_check = self._check("conditionalCheck", "Conditional")
        self.conditional_check.setToolTip(TIPS["conditional"])
        self._bind_model("conditional", self.conditional_check)
        self.class_spin = self._plain_spin("classSpin", 0, 0)
        self.class_spin.setPrefix("class ")
        self.class_spin.setToolTip(TIPS["view_class"])
        self.class_spin.valueChanged.connect(self._user_class)
        form.addRow(self._pair(self.conditional_check, self.class_spin))

    def _build_run(self) -> None:
        form = self._section("run", "Run")
        self.seed_spin = self._plain_spin("seedSpin", 0, 2**31 - 1)
        self.seed_spin.valueChanged.connect(self._user_seed)
        self._row(form, "Seed", self.seed_spin, TIPS["seed"])
        self._note(form, NOTE_SEED)
        self.speed_row = _SliderRow("speed", SPEEDS, format_speed, _log_key, 12)
        self.speed_row.slider.setToolTip(TIPS["speed"])
        self.speed_row.set_value(None)
        self.speed_row.changed.connect(self._user_speed)
        self._row(form, "Speed", self.speed_row, TIPS["speed"])

    # -- filling (never emits) -----------------------------------------------------------------

    @contextmanager
    def _quiet(self) -> Iterator[None]:
        was, self._filling = self._filling, True
        try:
            yield
        finally:
            self._filling = was

    def _fill_model(self, model: ModelSettings) -> None:
        with self._quiet():
            self._model = model
            for name, (_, put) in self._model_io.items():
                put(getattr(model, name))
            self.class_spin.setEnabled(model.conditional)

    def _fill_data(self, spec: DataSpec) -> None:
        with self._quiet():
            index = self.preset_combo.findData(spec.preset) if spec.preset is not None else -1
            self.preset_combo.setCurrentIndex(index if index >= 0 else self.preset_combo.count() - 1)
            self._fill_table(spec.mixture())

    def _fill_table(self, mixture: Mixture) -> None:
        with self._quiet():
            self._dim = mixture.dim
            heads = ["mean x", "mean y"][: self._dim] + ["std", "weight"]
            self.table.setColumnCount(len(heads))
            self.table.setHorizontalHeaderLabels(heads)
            self.table.setRowCount(0)
            for mean, std, weight in zip(mixture.means, mixture.stds, mixture.weights):
                self._append_row([*mean, std, weight])
            self._data_rows_changed()

    def _append_row(self, values: Sequence[float]) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        for col, value in enumerate(values):
            item = QTableWidgetItem(_cell_text(float(value)))
            # The exact value stays behind the rounded text until the cell is edited (ring8's means).
            item.setData(Qt.ItemDataRole.UserRole, float(value))
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, col, item)

    def _data_rows_changed(self) -> None:
        k = self.table.rowCount()
        self.remove_button.setEnabled(k > 1)
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
        return switch_loss(asdict(self._train), loss_id, self._replaced, keep=())

    def _apply_train(self, changes: dict, replaced: dict) -> None:
        settings = replace(self._train, **changes)
        try:
            validate_train(settings)
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
        value = self._model_io[field][0]()
        model = replace(self._model, **{field: value})
        try:
            validate_model(model)
        except SettingsError as e:
            self.set_error(str(e))
            return
        self._model = model
        self.class_spin.setEnabled(model.conditional)
        self.set_error("")
        self.modelChanged.emit({field: value})

    def _user_preset(self) -> None:
        if self._filling:
            return
        preset_id = self.preset_combo.currentData()
        if preset_id is None:
            self._emit_table()
            return
        with self._quiet():
            self._fill_table(PRESETS[preset_id].build())
        self.set_error("")
        self.dataChanged.emit(DataSpec(preset=preset_id))

    def _user_table(self) -> None:
        if not self._filling:
            self._emit_table()

    def _user_add_row(self) -> None:
        fallback = [0.0] * self._dim + [1.0, 1.0]
        last = [_cell_value(self.table.item(self.table.rowCount() - 1, c)) for c in range(len(fallback))]
        values = [v if v is not None and math.isfinite(v) else f for v, f in zip(last, fallback)]
        values[0] += 1.0
        with self._quiet():
            self._append_row(values)
            self._data_rows_changed()
        self._emit_table()

    def _user_remove_row(self) -> None:
        if self.table.rowCount() <= 1:
            return
        row = self.table.currentRow()
        with self._quiet():
            self.table.removeRow(row if row >= 0 else self.table.rowCount() - 1)
            self._data_rows_changed()
        self._emit_table()

    def _emit_table(self) -> None:
        try:
            spec = self._table_spec()
        except MixtureError as e:
            self.set_error(str(e))
            return
        with self._quiet():
            self.preset_combo.setCurrentIndex(self.preset_combo.count() - 1)
        self.set_error("")
        self.dataChanged.emit(spec)

    def _table_spec(self) -> DataSpec:
        columns = ["means"] * self._dim + ["stds", "weights"]
        rows = []
        for r in range(self.table.rowCount()):
            values = []
            for c, name in enumerate(columns):
                item = self.table.item(r, c)
                value = _cell_value(item)
                text = item.text().strip() if item is not None else ""
                if value is None or not math.isfinite(value):
                    raise MixtureError(f"data.{name}: component {r + 1} has {text!r}, which is not a number")
                if name == "stds" and value <= 0:
                    raise MixtureError(f"data.stds: component {r + 1} must have a positive standard deviation "
                                       f"(got {text})")
                if name == "weights" and value < 0:
                    raise MixtureError(f"data.weights: component {r + 1} must not have a negative weight "
                                       f"(got {text})")
                values.append(value)
            rows.append(values)
        means = [row[0] for row in rows] if self._dim == 1 else [row[:2] for row in rows]
        stds = [row[self._dim] for row in rows]
        weights = [row[self._dim + 1] for row in rows]
        mixture_from_spec(means, stds, weights=weights)  # the remaining checks, e.g. all weights zero
        return DataSpec(preset=None, means=means, stds=stds, weights=weights)

    def _user_class(self, value: int) -> None:
        if not self._filling:
            self.viewClassChanged.emit(value)

    def _user_seed(self, value: int) -> None:
        if not self._filling:
            self.seedChanged.emit(value)

    def _user_speed(self, value: Optional[float]) -> None:
        self.speedChanged.emit(value)

    # -- style -------------------------------------------------------------------------------

    def _apply_style(self) -> None:
        theme = self._theme
        size = PRESENTATION_FONT_PT if self._presentation else FONT_PT
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
        self.table.verticalHeader().setDefaultSectionSize(row_h)
        self.table.setFixedHeight((TABLE_ROWS_SHOWN + 1) * row_h + 2 * self.table.frameWidth())
        # Never narrower than the sections need, so the dock widens in presentation mode instead of clipping.
        self.setMinimumWidth(self._content.minimumSizeHint().width()
                             + self._scroll.verticalScrollBar().sizeHint().width())


def _cell_text(value: float) -> str:
    # Rounding first shows cos(pi/2) * 2 as 0, not 1.225e-16 (and never "-0").
    return f"{round(value, 6) + 0.0:.4g}"


def _cell_value(item: Optional[QTableWidgetItem]) -> Optional[float]:
    if item is None:
        return None
    exact = item.data(Qt.ItemDataRole.UserRole)
    text = item.text().strip()
    if isinstance(exact, float) and text == _cell_text(exact):
        return exact
    try:
        return float(text)
    except ValueError:
        return None


def _accessors(widget: QWidget) -> tuple[Callable[[], Any], Callable[[Any], None], Any]:
    """Read, show and change-signal of a settings widget."""
    if isinstance(widget, _SliderRow):
        return widget.value, widget.set_value, widget.changed
    if isinstance(widget, QComboBox):
        return (widget.currentData, lambda v: widget.setCurrentIndex(widget.findData(v)),
                widget.currentIndexChanged)
    if isinstance(widget, QCheckBox):
        return widget.isChecked, widget.setChecked, widget.toggled
    if isinstance(widget, (QSpinBox, QDoubleSpinBox)):
        return widget.value, widget.setValue, widget.valueChanged
    raise TypeError(f"no accessors for {type(widget).__name__}")
