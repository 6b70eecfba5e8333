"""The step inspector: one GAN step of an exercise scenario (`view = "exercise"`), term by term.

For the step about to run it shows what `ganviz run SCENARIO --explain` prints: each sample's D(x) and
log-term, V(D, G), the gradient of the stepping player's objective for every parameter as the formula
and with the numbers put in, and each parameter before and after the update. Step D and Step G run that
step (Algorithm 1: k D steps, then G); Reset goes back to the scenario's start. Every number comes from
`ganviz.core.exercise` (numpy, torch-free); this widget only lays them out.
"""
from __future__ import annotations

import re
from html import escape as _escape
from typing import Mapping, Optional

from PySide6 import QtCore, QtGui, QtWidgets

from ganviz.core.exercise import Exercise, StepReport, coord, num
from ganviz.ui.base import Styled
from ganviz.ui.plotting import sizes
from ganviz.ui.theme import LIGHT, Theme


def escape(text: str) -> str:
    """Text for the panel's HTML, with the terminal's subscripts typeset: ∇_θ, η_D, L_G."""
    return re.sub(r"_([A-Za-zθ])\b", r"<sub>\1</sub>", _escape(text))


class InspectorPanel(Styled, QtWidgets.QWidget):
    """The exercise model's steps, readable; `objectName`s: stepDButton, stepGButton, resetStepsButton,
    inspectorText, inspectorHistory."""

    stepped = QtCore.Signal(object)          # the StepReport of the step just taken

    def __init__(self, theme: Theme = LIGHT, presentation: bool = False, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("inspectorPanel")
        self._init_style(theme, presentation)
        self.exercise: Optional[Exercise] = None
        self._table: dict = {}
        self._history: list[str] = []

        self.model_label = QtWidgets.QLabel()
        self.model_label.setObjectName("inspectorModel")
        self.model_label.setWordWrap(True)
        self.model_label.setTextFormat(QtCore.Qt.RichText)

        self.step_d_button = QtWidgets.QPushButton("Step D")
        self.step_d_button.setObjectName("stepDButton")
        self.step_d_button.setToolTip("One discriminator step: θ ← θ + η ∇_θ V on all the points")
        self.step_g_button = QtWidgets.QPushButton("Step G")
        self.step_g_button.setObjectName("stepGButton")
        self.step_g_button.setToolTip("One generator step: each fake point moves down the gradient of G's loss")
        self.reset_button = QtWidgets.QPushButton("Reset")
        self.reset_button.setObjectName("resetStepsButton")
        self.reset_button.setToolTip("Back to the scenario's weights and points")
        self.next_label = QtWidgets.QLabel()
        self.next_label.setObjectName("inspectorNext")
        self.step_d_button.clicked.connect(lambda: self.step("D"))
        self.step_g_button.clicked.connect(lambda: self.step("G"))
        self.reset_button.clicked.connect(self.reset)

        buttons = QtWidgets.QHBoxLayout()
        for b in (self.step_d_button, self.step_g_button, self.reset_button):
            buttons.addWidget(b)
        buttons.addSpacing(12)
        buttons.addWidget(self.next_label, 1)

        self.text = QtWidgets.QTextBrowser()
        self.text.setObjectName("inspectorText")
        self.text.setOpenLinks(False)
        self.history = QtWidgets.QTextBrowser()
        self.history.setObjectName("inspectorHistory")
        self.history.setMaximumHeight(110)

        column = QtWidgets.QVBoxLayout(self)
        column.setContentsMargins(10, 8, 10, 8)
        column.addWidget(self.model_label)
        column.addLayout(buttons)
        column.addWidget(self.text, 1)
        history_title = QtWidgets.QLabel("Steps taken")
        history_title.setObjectName("inspectorHistoryTitle")
        column.addWidget(history_title)
        column.addWidget(self.history)
        self.load({})

    # -- the model -------------------------------------------------------------------------------------
    def load(self, table: Mapping) -> None:
        """Start the exercise of an [exercise] table (already checked by the scenario loader)."""
        self._table = dict(table)
        self.reset()

    def reset(self) -> None:
        self.exercise = Exercise.from_table(self._table)
        self._history = []
        self._render()

    def step(self, player: str) -> StepReport:
        report = self.exercise.step_d() if player == "D" else self.exercise.step_g()
        self._history.append(self._summary(report))
        self._render()
        self.stepped.emit(report)
        return report

    def preview(self) -> StepReport:
        return self.exercise.preview()

    # -- drawing ---------------------------------------------------------------------------------------
    def _restyle(self) -> None:
        self._render()

    def _pt(self) -> float:
        return sizes(self._presentation).panel_pt + 1.0

    def _summary(self, r: StepReport) -> str:
        who = f"D step {r.index} of {r.k}" if r.player == "D" else "G step"
        if r.frozen:
            return f"Step {r.step}, {who}: G is frozen, nothing moved"
        moves = ", ".join(f"{u.param} {num(u.before)} → {num(u.after)}" for u in r.updates)
        return f"Step {r.step}, {who}: V = {num(r.value)}; {moves}"

    def _render(self) -> None:
        if self.exercise is None:
            return
        t = self._theme
        pt = self._pt()
        font = QtGui.QFont(self.font())
        font.setPointSizeF(pt)
        for w in (self.model_label, self.next_label, self.text, self.history, self.step_d_button,
                  self.step_g_button, self.reset_button):
            w.setFont(font)
        ex = self.exercise
        self.model_label.setText(f"<span style='color:{t.foreground}'>{escape(ex.describe())}</span>")
        r = ex.preview()
        who = (f"D step {r.index} of {r.k}" if r.player == "D" else "the G step")
        self.next_label.setText(f"Next in Algorithm 1: {who} of iteration {r.step}")
        self.text.setHtml(self._report_html(r))
        self.history.setPlainText("\n".join(self._history) or "None yet: press Step D.")

    def _report_html(self, r: StepReport) -> str:
        t = self._theme
        real, fake = t.real, t.fake
        head = (f"D step {r.index} of {r.k}" if r.player == "D" else "G step")
        cell = "style='padding:2px 10px 2px 0px'"
        rows = [f"<tr><th align='left' {cell}></th><th align='left' {cell}>x</th><th align='right' {cell}>u</th>"
                f"<th align='right' {cell}>D(x)</th><th align='left' {cell}>term</th></tr>"]
        for s in r.samples:
            colour = real if s.real else fake
            x = "(" + ", ".join(coord(v) for v in s.x) + ")"
            rows.append(f"<tr><td {cell}><b style='color:{colour}'>{escape(s.label)}</b></td><td {cell}>{x}</td>"
                        f"<td align='right' {cell}>{num(s.u)}</td><td align='right' {cell}>{num(s.d)}</td>"
                        f"<td {cell}>{escape(s.term_text)} = {num(s.term)}</td></tr>")
        parts = [f"<h3 style='margin:2px 0px'>About to run: step {r.step}, {head}</h3>",
                 f"<p style='margin:2px 0px'>{escape(r.objective)}</p>",
                 f"<table cellspacing='0'>{''.join(rows)}</table>",
                 f"<p style='margin:6px 0px'><b>V(D, G)</b> = {escape(r.value_text)}</p>"]
        if r.player == "G":
            parts.append(f"<p style='margin:2px 0px'>G's loss L<sub>G</sub> = {num(r.g_loss)}</p>")
        if r.frozen:
            parts.append("<p><i>G is frozen: no gradient, no update.</i></p>")
        if r.gradients:
            parts.append("<p style='margin:6px 0px 2px 0px'><b>Gradient</b></p>")
            for g in r.gradients:
                parts.append(f"<p style='margin:2px 0px 0px 12px'>{escape(g.formula)}</p>"
                             f"<p style='margin:0px 0px 4px 24px'>= {escape(g.numbers)}</p>")
        if r.updates:
            parts.append("<p style='margin:6px 0px 2px 0px'><b>Update</b></p>")
            parts.extend(f"<p style='margin:1px 0px 1px 12px'>{escape(u.rule)}</p>" for u in r.updates)
        return f"<div style='color:{t.foreground}'>{''.join(parts)}</div>"
