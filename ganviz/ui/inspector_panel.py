"""The step inspector: one GAN step of an exercise scenario (`view = "exercise"`), term by term; for any other
scenario, the summary of the last D step and the last G step of the run.

Exercise: for the step about to run it shows what `ganviz run SCENARIO --explain` prints: each sample's D(x) and
log-term, V(D, G), the gradient of the stepping player's objective for every parameter as the formula
and with the numbers put in, and each parameter before and after the update. Step D and Step G run that
step (Algorithm 1: k D steps, then G); Reset goes back to the scenario's start. Every number comes from
`ganviz.core.exercise` (numpy, torch-free); this widget only lays them out.

Training (`show_training`, then `set_snapshot`): the snapshot's `step_summary` (core.step_summary), which the
session keeps while this tab is shown: D's outputs on the batch's real and fake samples, V(D, G) or the loss's
own D objective, each player's loss, and per layer the gradient norm and the update the optimizer made. The
toolbar's Step D and Step G (with training paused) run one step and the table shows it.
"""
from __future__ import annotations

import re
import time
from html import escape as _escape
from typing import Mapping, Optional

from PySide6 import QtCore, QtGui, QtWidgets

from ganviz.core.exercise import Exercise, StepReport, coord, num
from ganviz.core.step_summary import BARS, QUANTILES, describe_step, fmt, sparkline
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
        self.training = False                 # showing a training run's step summary, not an exercise
        self._snap = None
        self._scenario_text = ""
        self._drawn_at = float("-inf")
        self._drawn_key = None

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
        """Start the exercise model from `Scenario.exercise` (its [data] points, [model] and [train]; already
        checked by the scenario loader)."""
        self._table = dict(table)
        self._set_training(False)
        self.reset()

    # -- a training run --------------------------------------------------------------------------------
    RUNNING_HZ = 4.0          # redraws a second while training runs (the table is text to read, not to watch)

    def show_training(self, title: str = "") -> None:
        """Show a training run's step summary (the snapshots' `step_summary`) in place of an exercise."""
        self._scenario_text = title
        self._snap = None
        self._history = []
        self._drawn_key = None
        self._set_training(True)
        self._render()

    def _set_training(self, on: bool) -> None:
        self.training = on
        for b in (self.step_d_button, self.step_g_button, self.reset_button):
            b.setVisible(not on)

    def set_snapshot(self, snap) -> None:
        """Draw a snapshot's step summary: at once when training is paused (a Step D or Step G just ran), at
        most RUNNING_HZ times a second while it runs."""
        if not self.training:
            return
        now = time.perf_counter()
        if snap.running and now - self._drawn_at < 1.0 / self.RUNNING_HZ:
            self._snap = snap
            return
        self._snap = snap
        self._drawn_at = now
        self._note_steps(snap)
        self._render()

    def _note_steps(self, snap) -> None:
        """A line in the history for each step seen while paused (the lecturer's Step D and Step G presses)."""
        if snap.running or not snap.step_summary:
            return
        first = snap.step_summary[0]
        for player in ("D", "G"):
            s = first.get(player)
            if s is None:
                continue
            key = (player, s["step"], s["d_steps"], s["index"])
            if self._drawn_key is not None and key not in self._drawn_key:
                self._history.append(self._step_line(s))
        self._drawn_key = {(p, s["step"], s["d_steps"], s["index"]) for p, s in first.items() if s is not None}
        self._history = self._history[-50:]

    @staticmethod
    def _step_line(s: Mapping) -> str:
        total = f"‖Δ{s['player']}‖ = {fmt(s['update_total'])}"
        if s["player"] == "D":
            return f"{describe_step(s)}: V = {fmt(s['value'])}, L_D = {fmt(s['d_loss'])}, {total}"
        return f"{describe_step(s)}: L_G = {fmt(s['g_loss'])}, {total}"

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
        if self.training:
            self._render_training()
            return
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

    # -- a training run's summary ----------------------------------------------------------------------
    def _render_training(self) -> None:
        t = self._theme
        font = QtGui.QFont(self.font())
        font.setPointSizeF(self._pt())
        for w in (self.model_label, self.next_label, self.text, self.history):
            w.setFont(font)
        self.model_label.setText(
            f"<span style='color:{t.foreground}'>{escape(self._scenario_text)}"
            f"{' — ' if self._scenario_text else ''}the last D step and the last G step of the run: D's outputs "
            f"on the batch, the value of the game, each player's loss, and per layer the gradient and the update "
            f"the optimizer made. Pause (Space), then press Step D (D) or Step G (G) in the toolbar to run one "
            f"step and read it here.</span>")
        snap = self._snap
        if snap is None or not snap.step_summary or all(v is None for per in snap.step_summary
                                                        for v in per.values()):
            self.next_label.setText("")
            self.text.setHtml(f"<p style='color:{t.foreground}'>No step has been taken since the inspector "
                              "opened: press Step D or Step G (or Play).</p>")
        else:
            self.next_label.setText(f"At step {snap.step:,}" + (", training" if snap.running else ", paused"))
            self.text.setHtml(self.summary_html(snap))
        self.history.setPlainText("\n".join(self._history) or "Steps taken while paused are listed here.")

    def summary_html(self, snap) -> str:
        t = self._theme
        parts = []
        for i, per in enumerate(snap.step_summary):
            if len(snap.step_summary) > 1:
                label = snap.labels[i] if i < len(snap.labels) else f"GAN {i + 1}"
                parts.append(f"<h3 style='margin:8px 0px 2px 0px'>{escape(str(label))}</h3>")
            for player in ("D", "G"):
                s = per.get(player)
                if player == "G":
                    parts.append("<p style='margin:0px; font-size:6pt'>&nbsp;</p>")     # a gap after D's table
                if s is None:
                    parts.append(f"<p style='margin:4px 0px'><i>No {player} step since the inspector opened.</i></p>")
                else:
                    parts.append(self._player_html(s))
        return f"<div style='color:{t.foreground}'>{''.join(parts)}</div>"

    def _bars_html(self, counts, colour: str) -> str:
        """A histogram as block characters; an empty bin a faint floor, so that every bin keeps its place."""
        bars = sparkline(counts)
        faint = "#BBBBBB" if self._theme.name == "light" else "#555555"
        return "".join(f"<span style='color:{faint}'>{BARS[0]}</span>" if b == " " else
                       f"<span style='color:{colour}'>{b}</span>" for b in bars)

    def _player_html(self, s: Mapping) -> str:
        t = self._theme
        cell = "style='padding:1px 12px 1px 0px'"
        num_cell = "align='right' style='padding:1px 12px 1px 0px'"
        out = [f"<h4 style='margin:2px 0px 2px 0px'>{escape(describe_step(s))}</h4>"]
        qs = "/".join(f"{int(q * 100)}" for q in QUANTILES)
        rows = [f"<tr><th align='left' {cell}>D's outputs ({escape(s['units'])})</th><th {num_cell}>mean</th>"
                f"<th align='left' {cell}>quantiles {qs} %</th>"
                f"<th align='left' {cell}>histogram {fmt(s['edges'][0], 2)} … {fmt(s['edges'][-1], 2)}</th></tr>"]
        for which, colour, name in (("real", t.real, "D(x), real"), ("fake", t.fake, "D(G(z)), fake")):
            sp = s[which]
            if sp is None:
                continue
            rows.append(f"<tr><td {cell}><b style='color:{colour}'>{name}</b> ({sp['n']})</td>"
                        f"<td {num_cell}>{fmt(sp['mean'])}</td>"
                        f"<td {cell}>{' '.join(fmt(q, 3) for q in sp['quantiles'])}</td>"
                        f"<td {cell}>{self._bars_html(sp['hist'], colour)}</td></tr>")
        out.append(f"<table cellspacing='0'>{''.join(rows)}</table>")
        if s["player"] == "D":
            out.append(f"<p style='margin:4px 0px'><b>{escape(s['objective'])}</b> = {fmt(s['value'])}</p>")
            out.append(f"<p style='margin:2px 0px'>D's loss L<sub>D</sub> = {fmt(s['d_loss'])}; G's loss on these "
                       f"fakes L<sub>G</sub> = {fmt(s['g_loss'])}</p>")
        else:
            out.append(f"<p style='margin:4px 0px'>G's loss L<sub>G</sub> = {fmt(s['g_loss'])} "
                       "<i>(a G step draws no real batch: no V)</i></p>")
        rows = [f"<tr><th align='left' {cell}>parameters</th><th {num_cell}>‖∇θ‖</th><th {num_cell}>‖Δθ‖</th>"
                f"<th {num_cell}>‖θ‖</th><th {num_cell}>‖Δθ‖ / ‖θ‖</th></tr>"]
        for r in s["layers"]:
            rows.append(f"<tr><td {cell}>{escape(r['name'])}</td><td {num_cell}>{fmt(r['grad'])}</td>"
                        f"<td {num_cell}>{fmt(r['update'])}</td><td {num_cell}>{fmt(r['norm'])}</td>"
                        f"<td {num_cell}>{fmt(r['rel'])}</td></tr>")
        rows.append(f"<tr><td {cell}><b>all of {s['player']}</b></td><td {num_cell}><b>{fmt(s['grad_total'])}</b></td>"
                    f"<td {num_cell}><b>{fmt(s['update_total'])}</b></td><td></td><td></td></tr>")
        out.append(f"<table cellspacing='0' style='margin-top:4px'>{''.join(rows)}</table>")
        return "".join(out)
