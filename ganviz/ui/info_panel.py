"""What the selected loss optimises, typeset from the registry, and the latest numbers.

The formulas are the registry's plain text with a few generic typographic
replacements (subscripts, superscripts, Greek letters, norms, minus signs), so a
loss added to the registry is typeset without touching this file.
"""
from __future__ import annotations

import html
import math
import re
from typing import Mapping, Optional

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QTextDocument
from PySide6.QtWidgets import QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from ganviz.core.losses import Loss, get_loss
from ganviz.core.metric_info import LOWER_FLAG, METRICS, SE_SUFFIX, format_value
from ganviz.engine.snapshot import Snapshot
from ganviz.ui import plotting as P
from ganviz.ui.base import SnapshotView
from ganviz.ui.theme import LIGHT, Theme

MISSING = "\u2014"
CRITIC_NOTE = ("D is a critic: it outputs an unbounded score, not a probability, so D(real) and "
               "D(fake) below are mean scores and there is no D = \u00bd equilibrium.")

_SYMBOLS = (("<=", "\u2264"), (">=", "\u2265"), ("!=", "\u2260"), ("||", "\u2016"))
_GREEK = {
    "alpha": "\u03b1", "beta": "\u03b2", "gamma": "\u03b3", "delta": "\u03b4", "epsilon": "\u03b5",
    "lambda": "\u03bb", "mu": "\u03bc", "sigma": "\u03c3", "chi": "\u03c7", "grad": "\u2207", "nabla": "\u2207",
}
_GREEK_RE = re.compile(r"\b(" + "|".join(_GREEK) + r")\b")
_HAT_RE = re.compile(r"(\w)_hat\b")
_SUP_RE = re.compile(r"\^(\{[^}]*\}|-?\w+)")
_SUB_RE = re.compile(r"_([A-Za-z0-9]+)")
_SUB_BRACED_RE = re.compile(r"_\{([^{}]*)\}")
_STAR_RE = re.compile(r"(\w)\*")
# A hyphen after a space, bracket or the start and before an operand is a minus sign;
# one between letters ("Jensen-Shannon", "Wasserstein-1") stays a hyphen.
_MINUS_RE = re.compile(r"(^|[\s(\[,=])-(?=[\w\s(\[])")
_HALF_RE = re.compile(r"(?<![\w/])1/2(?![\w/])")


def formula_html(text: str) -> str:
    """Typeset one of the registry's plain-text formulas as Qt rich text."""
    for plain, symbol in _SYMBOLS:
        text = text.replace(plain, symbol)
    text = html.escape(text, quote=False)
    text = _GREEK_RE.sub(lambda m: _GREEK[m.group(1)], text)
    text = _HAT_RE.sub("\\1\u0302", text)
    text = _SUP_RE.sub(lambda m: "<sup>" + m.group(1).strip("{}").replace("-", "\u2212") + "</sup>", text)
    # Plain subscripts first, so that a braced one may hold them (max_{||D||_L <= 1}).
    text = _SUB_RE.sub(r"<sub>\1</sub>", text)
    text = _SUB_BRACED_RE.sub(r"<sub>\1</sub>", text)
    text = _STAR_RE.sub(r"\1<sup>*</sup>", text)
    text = _MINUS_RE.sub("\\1\u2212", text)
    return _HALF_RE.sub("\u00bd", text)




def _plain(rich: str) -> str:
    doc = QTextDocument()
    doc.setHtml(rich)
    return doc.toPlainText()


# The metrics of the live numbers, in order (labels, tooltips and formats from the metric registry).
LIVE_KEYS = ("d_real", "d_fake", "d_gap", "js", "kl_data_g", "kl_g_data", "w1")
LIVE_ROWS = tuple((k, METRICS[k].html) for k in LIVE_KEYS)


def metric_text(latest: Mapping[str, np.ndarray], key: str, i: int) -> str:
    """The latest value of a metric as the panel shows it: 'value ± se', '≥ v (31% of p_data missed)', 'inf'."""
    def get(k: str) -> float:
        values = latest.get(k)
        return math.nan if values is None or i >= len(values) else float(values[i])

    value = get(key)
    if math.isnan(value):
        return MISSING
    info = METRICS[key]
    if not info.estimated:
        return format_value(value)
    lower = key == "kl_data_g" and get(LOWER_FLAG) > 0
    text = format_value(value, get(key + SE_SUFFIX), lower)
    missed = get("missed")
    if key == "kl_data_g" and (lower or math.isinf(value)) and math.isfinite(missed):
        text += f"  ({missed:.0%} of p<sub>data</sub> missed)"
    return text


class InfoPanel(P.GanIndexed, SnapshotView, QWidget):
    """The selected loss's objectives, divergence and reference, and the latest snapshot's numbers."""

    def __init__(self, theme: Theme = LIGHT, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("infoPanel")
        self._init_view(theme)
        self._index = 0
        self._loss: Optional[Loss] = None
        self._settings: Optional[dict] = None

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        content = QWidget()
        content.setObjectName("infoContent")
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        box = QVBoxLayout(content)
        box.setContentsMargins(10, 8, 10, 8)
        box.setSpacing(6)

        self.title = self._label("infoTitle")
        self.formulas = self._label("infoFormulas")
        self.critic_note = self._label("infoCriticNote")
        self.settings = self._label("infoSettings")
        self.live_title = self._label("infoLiveTitle")
        for label in (self.title, self.formulas, self.critic_note, self.settings, self.live_title):
            box.addWidget(label)
        self.critic_note.setText(CRITIC_NOTE)
        self.critic_note.setVisible(False)
        self.settings.setVisible(False)

        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(2)
        self.live: dict[str, QLabel] = {}
        self._live_names: dict[str, QLabel] = {}
        rows = (("step", "step"),) + LIVE_ROWS + (("modes", "modes captured"),)
        for row, (key, name) in enumerate(rows):
            name_label = QLabel(name)
            value = QLabel(MISSING)
            value.setObjectName(f"infoValue_{key}")
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(name_label, row, 0)
            grid.addWidget(value, row, 1)
            self.live[key] = value
            self._live_names[key] = name_label
        # The spare width goes to an empty third column, keeping each value beside its name.
        grid.setColumnStretch(2, 1)
        box.addLayout(grid)
        box.addStretch(1)
        self._set_row_visible("modes", False)
        self.live_title.setText("<b>Latest</b>")
        self._restyle()

    def _label(self, name: str) -> QLabel:
        label = QLabel()
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    # -- public API -------------------------------------------------------------------------

    def _on_index(self, changed: bool) -> None:
        self._redraw()

    def set_loss(self, loss_id: str) -> None:
        self._loss = get_loss(loss_id)
        self._show_loss()

    def _draw(self, snap: Snapshot) -> None:
        if snap.n_gans == 0:
            return
        i = min(self._index, snap.n_gans - 1)
        heading = "<b>Latest</b>" if snap.n_gans == 1 else f"<b>Latest</b> \u2014 {html.escape(snap.labels[i])}"
        if self.live_title.text() != heading:
            self.live_title.setText(heading)
        self._set_value("step", f"{snap.step:,}")
        for key, _ in LIVE_ROWS:
            self._set_value(key, metric_text(snap.latest, key, i))
        self._label_metrics(snap, i)
        two_d = snap.dim == 2
        self._set_row_visible("modes", two_d)
        if two_d:
            modes = self._latest(snap.latest, "modes", i)
            hq = self._latest(snap.latest, "hq_frac", i)
            text = MISSING if not math.isfinite(modes) else f"{modes:.0f} / {len(snap.means)}"
            if math.isfinite(hq):
                text += f"  (hq {hq:.0%})"
            self._set_value("modes", text)
        settings = snap.extra.get("settings") if snap.extra else None
        if settings != self._settings:
            self._settings = dict(settings) if isinstance(settings, Mapping) else None
            self._show_settings()

    def plain_text(self) -> str:
        """Everything the panel shows, as plain text (for tests, copying and screen readers)."""
        labels = (self.title, self.formulas, self.critic_note, self.settings, self.live_title)
        parts = [_plain(label.text()) for label in labels if not label.isHidden()]
        for key, value in self.live.items():
            if not self._live_names[key].isHidden():
                parts.append(f"{_plain(self._live_names[key].text())}: {value.text()}")
        return "\n".join(p for p in parts if p)

    # -- drawing ----------------------------------------------------------------------------

    @staticmethod
    def _latest(latest: Mapping[str, np.ndarray], key: str, i: int) -> float:
        values = latest.get(key)
        if values is None or i >= len(values):
            return math.nan
        return float(values[i])

    def _label_metrics(self, snap: Snapshot, i: int) -> None:
        """Row names and tooltips: the estimator, its error, and why a value is a bound or exact."""
        notes = snap.notes[i] if i < len(snap.notes) else {}
        key = (snap.dim, tuple(sorted(notes.items())), snap.w1_floor)
        if key == getattr(self, "_metric_label_key", None):
            return
        self._metric_label_key = key
        for k, _ in LIVE_ROWS:
            info = METRICS[k]
            self._live_names[k].setText(info.html_for(snap.dim))
            tip = f"{info.label_for(snap.dim)}: {info.description}"
            if k == "w1" and math.isfinite(snap.w1_floor):
                tip += f" On this data a perfect G reads {snap.w1_floor:.3g}."
            if k in notes:
                tip += f"\n\nNow: {notes[k]}."
            self.live[k].setToolTip(tip)
            self._live_names[k].setToolTip(tip)

    def _set_value(self, key: str, text: str) -> None:
        # A QLabel re-lays its parent out on every setText; the snapshot comes 60 times a second.
        if self.live[key].text() != text:
            self.live[key].setText(text)

    def _set_row_visible(self, key: str, visible: bool) -> None:
        if self.live[key].isHidden() == visible:
            self.live[key].setVisible(visible)
            self._live_names[key].setVisible(visible)

    def _show_loss(self) -> None:
        loss = self._loss
        if loss is None:
            self.title.setText("")
            self.formulas.setText("")
            self.critic_note.setVisible(False)
            return
        self.title.setText(html.escape(loss.name))
        accent = self._theme.d
        rows = [
            ("D", formula_html(loss.d_formula)),
            ("G", formula_html(loss.g_formula)),
            # Two rows under one label: the value G's loss takes at D* and what G's gradient follows
            # there are different claims (see `Loss.value_at_d_star`), and each row says which it is.
            ("At D<sup>*</sup>", "<i>value of G's loss:</i> " + formula_html(loss.value_at_d_star)),
            ("", "<i>G's gradient follows:</i> " + formula_html(loss.gradient_follows)),
        ]
        if loss.reference:
            rows.append(("Source", html.escape(loss.reference)))
        cells = "".join(
            f'<tr><td style="color:{accent}; padding-right:8px; white-space:nowrap"><b>{name}</b></td>'
            f'<td style="font-family:\'DejaVu Serif\', serif">{body}</td></tr>'
            for name, body in rows
        )
        self.formulas.setText(f'<table cellspacing="0" cellpadding="2">{cells}</table>')
        self.critic_note.setVisible(loss.is_critic)

    def _show_settings(self) -> None:
        if not self._settings:
            self.settings.setVisible(False)
            return
        items = " \u00b7 ".join(f"{html.escape(str(k))}: <b>{html.escape(_short(v))}</b>"
                                for k, v in self._settings.items())
        self.settings.setText(items)
        self.settings.setVisible(True)

    def _restyle(self) -> None:
        theme = self._theme
        size = P.sizes(self._presentation).panel_pt
        fg = QColor(theme.foreground)
        faint = f"rgba({fg.red()}, {fg.green()}, {fg.blue()}, 170)"
        self.setStyleSheet(
            f"#infoPanel, #infoPanel QScrollArea, #infoContent {{ background: {theme.background}; }}"
            f"#infoPanel QLabel {{ color: {theme.foreground}; font-size: {size}pt; background: transparent; }}"
            # Qualified by #infoPanel: a bare #id would lose to "#infoPanel QLabel" on specificity.
            f"#infoPanel QLabel#infoTitle {{ font-size: {size * 1.3:.1f}pt; font-weight: bold; }}"
            f"#infoPanel QLabel#infoCriticNote {{ color: {theme.highlight}; }}"
            f"#infoPanel QLabel#infoSettings {{ font-size: {size * 0.9:.1f}pt; color: {faint}; }}"
        )
        self._show_loss()


def _short(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
