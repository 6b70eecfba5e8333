"""The control panel's data section: a preset, or your own mixture of Gaussians in a table.

The table has one row per component (its mean, standard deviation and weight); an edit, an added
or a removed row is checked as a whole mixture (`DataSpec`) and sent with `dataChanged`, or
refused with one sentence naming the field (`errorText`). Filling the section from a scenario
(`fill`) sends nothing.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QPushButton, QTableWidget, QTableWidgetItem

from ganviz.core.data import PRESETS, Mixture, MixtureError, mixture_from_spec
from ganviz.core.scenario import DataSpec
from ganviz.ui.control_widgets import Quiet, Section, combo, pair

CUSTOM = "Custom mixture"
TABLE_ROWS_SHOWN = 5


class DataSection(Quiet, Section):
    """The "Data" section ("dataSection"): the preset menu, the mixture table and its two buttons."""

    dataChanged = Signal(object)    # a DataSpec the user chose or edited, after it passed the checks
    errorText = Signal(str)         # why an edit was refused, or "" once the data are fine again
    rowsChanged = Signal(int)       # the number of components, after every fill or edit

    def __init__(self) -> None:
        super().__init__("data", "Data")
        self._filling = False
        self._dim = 2
        form = self.form
        items = [(p.name, pid, f"{p.description} ({p.dim}D)") for pid, p in PRESETS.items()]
        items.append((CUSTOM, None, "Your own mixture: edit the table below"))
        self.preset_combo = combo("presetCombo", items)
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
        form.addRow(pair(self.add_button, self.remove_button))

    # -- filling (never sends data) ----------------------------------------------------------

    def fill(self, spec: DataSpec) -> None:
        """Show a scenario's data: its preset (or "Custom mixture") and its components."""
        with self._quiet():
            index = self.preset_combo.findData(spec.preset) if spec.preset is not None else -1
            self.preset_combo.setCurrentIndex(index if index >= 0 else self.preset_combo.count() - 1)
            self._fill_table(spec.mixture())

    def set_row_height(self, height: int) -> None:
        """Rows of `height` pixels, and room for TABLE_ROWS_SHOWN of them below the header."""
        self.table.verticalHeader().setDefaultSectionSize(height)
        self.table.setFixedHeight((TABLE_ROWS_SHOWN + 1) * height + 2 * self.table.frameWidth())

    def _fill_table(self, mixture: Mixture) -> None:
        with self._quiet():
            self._dim = mixture.dim
            heads = ["mean x", "mean y"][: self._dim] + ["std", "weight"]
            self.table.setColumnCount(len(heads))
            self.table.setHorizontalHeaderLabels(heads)
            self.table.setRowCount(0)
            for mean, std, weight in zip(mixture.means, mixture.stds, mixture.weights):
                self._append_row([*mean, std, weight])
            self._rows_changed()

    def _append_row(self, values: Sequence[float]) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        for col, value in enumerate(values):
            item = QTableWidgetItem(_cell_text(float(value)))
            # The exact value stays behind the rounded text until the cell is edited (ring8's means).
            item.setData(Qt.ItemDataRole.UserRole, float(value))
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, col, item)

    def _rows_changed(self) -> None:
        k = self.table.rowCount()
        self.remove_button.setEnabled(k > 1)
        self.rowsChanged.emit(k)

    # -- user changes ------------------------------------------------------------------------

    def _user_preset(self) -> None:
        if self._filling:
            return
        preset_id = self.preset_combo.currentData()
        if preset_id is None:
            self._emit_table()
            return
        with self._quiet():
            self._fill_table(PRESETS[preset_id].build())
        self.errorText.emit("")
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
            self._rows_changed()
        self._emit_table()

    def _user_remove_row(self) -> None:
        if self.table.rowCount() <= 1:
            return
        row = self.table.currentRow()
        with self._quiet():
            self.table.removeRow(row if row >= 0 else self.table.rowCount() - 1)
            self._rows_changed()
        self._emit_table()

    def _emit_table(self) -> None:
        try:
            spec = self.table_spec()
        except MixtureError as e:
            self.errorText.emit(str(e))
            return
        with self._quiet():
            self.preset_combo.setCurrentIndex(self.preset_combo.count() - 1)
        self.errorText.emit("")
        self.dataChanged.emit(spec)

    def table_spec(self) -> DataSpec:
        """The table's mixture; MixtureError names the first component and column that is not allowed."""
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
