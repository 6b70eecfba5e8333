"""The control panel's building blocks: the slider rows, the doubling spin box, folding sections,
and the factories and accessors that make and read a settings widget.

`SliderRow` shows a value on a ladder of positions (k, the learning rates, the speed); the
learning-rate ladder (`LR_LADDER`) and the formats live here with it. Every factory names its
widget, so that tests and scripts find it with `findChild`.
"""
from __future__ import annotations

from contextlib import contextmanager

import math
from typing import Any, Callable, Iterator, Optional, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QSizePolicy,
                               QSlider, QSpinBox, QToolButton, QVBoxLayout, QWidget)

from ganviz.core.settings import TRAIN, Field
from ganviz.ui.fields import configure_spin

LR_RANGE = (TRAIN["lr_d"].lo, TRAIN["lr_d"].hi)


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


def log_key(value: Optional[float]) -> float:
    return math.inf if value is None else math.log10(value)



class DoublingSpinBox(QSpinBox):
    """Integer spin box whose arrows move between powers of two (batch sizes, layer widths)."""

    def stepBy(self, steps: int) -> None:
        v = self.value()
        for _ in range(abs(steps)):
            if steps > 0:
                v = 1 << v.bit_length()
            else:
                v = v // 2 if v & (v - 1) == 0 else 1 << (v.bit_length() - 1)
        self.setValue(v)


class SliderRow(QWidget):
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


class Quiet:
    """A widget that fills itself from settings without reporting the change as the user's:
    `with self._quiet(): ...` sets `_filling`, which the user-change handlers check."""

    _filling = False

    @contextmanager
    def _quiet(self) -> Iterator[None]:
        was, self._filling = self._filling, True
        try:
            yield
        finally:
            self._filling = was


class Section(QWidget):
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


def combo(name: str, items: Sequence[tuple[str, Any, str]]) -> QComboBox:
    """A menu of (text, data, tooltip) items, e.g. a registry's entries."""
    box = QComboBox()
    box.setObjectName(name)
    # Long registry names must not widen the docked panel.
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(8)
    for text, data, tip in items:
        box.addItem(text, data)
        if tip:
            box.setItemData(box.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
    return box


def schema_spin(name: str, field: Field, doubling: bool = False) -> QSpinBox | QDoubleSpinBox:
    """A spin box for a schema field: range, step, decimals, unit and "off" from the schema."""
    spin: QSpinBox | QDoubleSpinBox
    if field.kind is float:
        spin = QDoubleSpinBox()
    else:
        spin = DoublingSpinBox() if doubling else QSpinBox()
    spin.setObjectName(name)
    return configure_spin(spin, field)


def plain_spin(name: str, lo: int, hi: int) -> QSpinBox:
    """A spin box for a value that is not a setting (the seed, the class shown)."""
    spin = QSpinBox()
    spin.setObjectName(name)
    spin.setRange(lo, hi)
    spin.setKeyboardTracking(False)
    spin.setAlignment(Qt.AlignmentFlag.AlignRight)
    return spin


def check(name: str, text: str) -> QCheckBox:
    box = QCheckBox(text)
    box.setObjectName(name)
    return box


def pair(a: QWidget, b: QWidget, sep: str = "") -> QWidget:
    """Two widgets in one form row, sharing its width (with `sep` between them)."""
    w = QWidget()
    row = QHBoxLayout(w)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(4)
    row.addWidget(a, 1)
    if sep:
        row.addWidget(QLabel(sep))
    row.addWidget(b, 1)
    return w


def accessors(widget: QWidget) -> tuple[Callable[[], Any], Callable[[Any], None], Any]:
    """Read, show and change-signal of a settings widget."""
    if isinstance(widget, SliderRow):
        return widget.value, widget.set_value, widget.changed
    if isinstance(widget, QComboBox):
        return (widget.currentData, lambda v: widget.setCurrentIndex(widget.findData(v)),
                widget.currentIndexChanged)
    if isinstance(widget, QCheckBox):
        return widget.isChecked, widget.setChecked, widget.toggled
    if isinstance(widget, (QSpinBox, QDoubleSpinBox)):
        return widget.value, widget.setValue, widget.valueChanged
    raise TypeError(f"no accessors for {type(widget).__name__}")
