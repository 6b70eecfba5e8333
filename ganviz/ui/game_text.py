"""The game lab's text under the distance plot: the Jacobian's eigenvalues at the equilibrium and,
per method, the spectral radius of its one-step map, its verdict and what the run measurably did."""
from __future__ import annotations

import re
from html import escape

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from ganviz.core.games import EIGEN_TOL, INTEGRATORS, Game, disagreement, format_eigenvalues

TEXT_SHARE = 0.6             # the most of the right column the eigenvalues and verdicts take from the plot


class _FitScroll(QScrollArea):
    """A scroll area that asks for its content's whole height, up to a share of its parent's.

    A plain QScrollArea asks for a fixed small height and scrolls text that would have fitted
    below a shorter plot; this one scrolls only what does not fit in TEXT_SHARE of the column.
    """

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        content = self.widget()
        parent = self.parentWidget()
        if content is None or parent is None:
            return hint
        # the width left beside a scroll bar; a line to spare, as a rich-text QLabel's height for a
        # width comes out a little short
        width = max(self.width() - self.verticalScrollBar().sizeHint().width() - 2 * self.frameWidth(), 100)
        height = content.heightForWidth(width) if content.hasHeightForWidth() else content.sizeHint().height()
        height += self.fontMetrics().height() + 2 * self.frameWidth()
        return QSize(hint.width(), min(height, int(TEXT_SHARE * parent.height())))

    def minimumSizeHint(self) -> QSize:
        return QSize(super().minimumSizeHint().width(), 60)


class GameText(_FitScroll):
    """The eigenvalue and verdict labels in a scroll area; `static` (an export) shrinks instead of scrolling."""

    def __init__(self) -> None:
        super().__init__()
        self.static = False
        self.eigen_label = QLabel()
        self.eigen_label.setObjectName("gameEigenLabel")
        self.eigen_label.setWordWrap(True)
        self.eigen_label.setTextFormat(Qt.RichText)
        self.eigen_label.setToolTip("Eigenvalues λ of the Jacobian ∂v/∂p at the equilibrium: they decide the flow.\n"
                                    "Re λ < 0: the flow converges; Re λ = 0: the linearised flow circles\n"
                                    "(Mescheder et al. 2017, 2018). Each method's own map decides for it: see ρ.")

        self.verdict_label = QLabel()
        self.verdict_label.setObjectName("gameVerdictLabel")
        self.verdict_label.setWordWrap(True)
        self.verdict_label.setTextFormat(Qt.RichText)
        self.verdict_label.setToolTip(
            "ρ: the spectral radius of each method's one-step map linearised at the equilibrium\n"
            "(simultaneous I + ηJ, alternating the product of its half-steps, optimistic and momentum\n"
            "on the state they carry). ρ < 1 converges near it, ρ = 1 circles, ρ > 1 diverges.\n"
            "'this run' is measured from the trajectory's later half: fits of log|p| against t\n"
            "(a linear rate) and against log t (a power law), or a cycle, a stall, a blow-up.")
        text = QWidget()
        tv = QVBoxLayout(text)
        tv.setContentsMargins(0, 0, 4, 0)
        tv.addWidget(self.eigen_label, 0)
        tv.addWidget(self.verdict_label, 0)
        tv.addStretch(1)
        self.setObjectName("gameVerdictScroll")
        self.setWidget(text)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)

    def set_static(self, on: bool) -> None:
        self.static = bool(on)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff if on else Qt.ScrollBarAsNeeded)

    def fit(self, presentation: bool) -> None:
        """Shrink the text, down to 7 pt, until it fits its share of the column (a static picture only)."""
        if not self.static or self.parentWidget() is None:
            return
        content, column = self.widget(), self.parentWidget()
        room = int(TEXT_SHARE * column.height()) - self.fontMetrics().height()
        width = column.width() - 4
        for pt in range(14 if presentation else 10, 6, -1):
            for label in (self.eigen_label, self.verdict_label):
                f = QFont(label.font())
                f.setPointSize(pt)
                label.setFont(f)
                label.setText(label.text())   # a rich-text QLabel re-measures only on setText
            if content.heightForWidth(width) <= room:
                break
        self.updateGeometry()

    def show_eigenvalues(self, game: Game) -> None:
        """The Jacobian's eigenvalues at the game's equilibrium and what they say about the flow."""
        ev = game.eigenvalues()
        tol = EIGEN_TOL
        # About the flow only: whether a method converges is its own map's business (the verdicts below).
        if not game.smooth_at_equilibrium:
            verdict_text = "The field is discontinuous there, so these eigenvalues predict nothing."
        elif np.all(np.abs(ev.real) < tol) and np.any(np.abs(ev.imag) > tol):
            verdict_text = "Purely imaginary: the linearised flow circles the equilibrium."
        elif np.all(ev.real < -tol):
            verdict_text = "Re λ < 0: the flow converges near the equilibrium."
        elif np.any(ev.real > tol):
            verdict_text = "Re λ > 0: the equilibrium repels the flow."
        else:
            verdict_text = "A zero eigenvalue: the linearised flow does not decide; the nonlinear terms do."
        note = game.equilibrium_note
        text = (f"<b>Jacobian eigenvalues at the equilibrium:</b> "
                f"<span style='font-size:large'>λ&nbsp;=&nbsp;{format_eigenvalues(ev).replace(' ', '&nbsp;')}</span>"
                f"<br>{escape(verdict_text)}")
        if note:
            text += f"<br><i>Note: {escape(note)}.</i>"
        self.eigen_label.setText(text)

    def show_verdicts(self, verdicts: dict, measured: dict, runners: dict, colour) -> None:
        """Per method: ρ and its verdict, what theory says the nonlinear terms do, and what the run did."""
        blocks = []
        for mid, v in verdicts.items():
            r = runners.get(mid)
            m = measured.get(mid)
            if m is not None:
                other = disagreement(v, m)
                run_text = f"this run: {m.text}" + (f" — {other}" if other else "")
            else:
                run_text = "this run: computing…" if r is not None and not r.done else ""
            head = escape(v.text).replace(escape(v.verdict), f"<b>{v.verdict}</b>", 1)
            lines = [f"<span style='color:{colour(mid)}'>■</span>&nbsp;<b>{escape(INTEGRATORS[mid].short)}</b>"
                     f" — {head}"]
            if v.note:
                lines.append(f"<i>{escape(v.note)}</i>")
            if run_text:
                # t^-0.43 as a power
                lines.append(re.sub(r"t\^(-?)([0-9.]+)", lambda g: f"t<sup>{'−' if g[1] else ''}{g[2]}</sup>",
                                    escape(run_text)))
            blocks.append("<br>".join(lines))
        self.verdict_label.setText("<p style='margin-top:3px; margin-bottom:0px'>"
                                   + "</p><p style='margin-top:3px; margin-bottom:0px'>".join(blocks) + "</p>"
                                   if blocks else "")
        self.updateGeometry()

