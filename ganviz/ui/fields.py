"""Controls built from the settings schema (`ganviz.core.settings`): range, step, decimals, unit,
"off" at zero and tooltip all come from a field's one definition, so no range is written in the ui."""
from __future__ import annotations

from typing import Optional, Union

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox

from ganviz.core.settings import Field

SpinBox = Union[QSpinBox, QDoubleSpinBox]


def spin_range(field: Field) -> tuple[float, float]:
    """The closed range a spin box can show for `field`: an open end moves in by the last digit shown."""
    lo, hi = float(field.lo), float(field.hi)
    unit = 10.0 ** -field.decimals if field.kind is float else 1.0
    return (lo + unit if field.exclusive_lo else lo), (hi - unit if field.exclusive_hi else hi)


def configure_spin(spin: SpinBox, field: Field, *, tip: Optional[str] = None) -> SpinBox:
    """Give `spin` the field's range, step, decimals, unit, "off" text and help."""
    if isinstance(spin, QDoubleSpinBox):
        spin.setDecimals(field.decimals or 6)
    lo, hi = spin_range(field)
    if isinstance(spin, QDoubleSpinBox):
        spin.setRange(lo, hi)
    else:
        spin.setRange(int(lo), int(hi))
    if field.step is not None:
        spin.setSingleStep(field.step)
    if field.log and isinstance(spin, QDoubleSpinBox):
        spin.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)
    if field.unit:
        spin.setSuffix(f" {field.unit}")
    if field.off:
        spin.setSpecialValueText("off")
    # Typing "256" must not apply 2, then 25, then 256.
    spin.setKeyboardTracking(False)
    spin.setAlignment(Qt.AlignmentFlag.AlignRight)
    spin.setToolTip(field.help if tip is None else tip)
    return spin


def spin_for(field: Field, name: str, *, tip: Optional[str] = None) -> SpinBox:
    """A new spin box for `field` (integer or decimal by the field's type), named `name`."""
    spin: SpinBox = QSpinBox() if field.kind is int else QDoubleSpinBox()
    spin.setObjectName(name)
    return configure_spin(spin, field, tip=tip)
