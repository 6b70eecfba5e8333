"""The captions burnt into an export's frames: the caption bar across the top (the title on the
left; the loss, k and step on the right) and, for a lesson, its claims on a line below.

Both are drawn at a pixel size derived from the frame's height, in the caption family of
ganviz.export.offscreen, so that captions look the same at any screen DPI. `snapshot_captions`
says what a snapshot's bar reads; the game view's driver (ganviz.export.game) says its own.
"""
from __future__ import annotations

from typing import Optional

from PySide6 import QtCore, QtGui, QtWidgets

from ganviz.core.losses import LOSSES
from ganviz.engine.snapshot import Snapshot
from ganviz.export.offscreen import caption_family
from ganviz.ui.theme import Theme

__all__ = ["CaptionBar", "ClaimLine", "claim_text", "snapshot_captions"]


class CaptionBar(QtWidgets.QWidget):
    """Title on the left; loss, k and step on the right; one line, elided rather than cut."""

    def __init__(self, theme: Theme, height: int, fields: tuple[str, ...],
                 parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("exportCaptionBar")
        self.setFixedHeight(height)
        self._theme = theme
        self._fields = fields
        self._font = QtGui.QFont(caption_family())
        self._font.setPixelSize(max(9, round(height * 0.46)))
        self._font.setHintingPreference(QtGui.QFont.HintingPreference.PreferNoHinting)
        self._bold = QtGui.QFont(self._font)
        self._bold.setBold(True)
        self.title = ""
        self.loss = ""
        self.k = ""
        self.step = ""

    def set_values(self, *, title: str, loss: str, k: str, step: str) -> None:
        self.title, self.loss, self.k, self.step = title, loss, k, step
        self.update()

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        t = self._theme
        bg, fg = QtGui.QColor(t.background), QtGui.QColor(t.foreground)
        band = QtGui.QColor.fromRgbF(*(0.93 * b + 0.07 * f for b, f in zip(bg.getRgbF()[:3], fg.getRgbF()[:3])))
        rule = QtGui.QColor.fromRgbF(*(0.7 * b + 0.3 * f for b, f in zip(bg.getRgbF()[:3], fg.getRgbF()[:3])))
        w, h = self.width(), self.height()
        p = QtGui.QPainter(self)
        p.fillRect(0, 0, w, h, band)
        p.fillRect(0, h - 1, w, 1, rule)
        margin = round(h * 0.45)
        fm, fm_bold = QtGui.QFontMetrics(self._font), QtGui.QFontMetrics(self._bold)
        sep = "   \u00b7   "
        fixed = [s for s in (self.k if "k" in self._fields else "", self.step if "step" in self._fields else "") if s]
        loss = self.loss if "loss" in self._fields else ""
        # The right side keeps k and the step whole; a long loss list gives way first, then the title.
        room = int(0.62 * (w - 2 * margin))
        if loss:
            loss_room = room - fm.horizontalAdvance(sep.join([""] + fixed))
            loss = fm.elidedText(loss, QtCore.Qt.TextElideMode.ElideRight, max(loss_room, 0))
        right = sep.join(s for s in [loss] + fixed if s)
        right_w = fm.horizontalAdvance(right)
        flags = int(QtCore.Qt.AlignmentFlag.AlignVCenter)
        p.setPen(fg)
        p.setFont(self._font)
        p.drawText(QtCore.QRect(w - margin - right_w, 0, right_w, h - 1),
                   flags | int(QtCore.Qt.AlignmentFlag.AlignRight), right)
        if "title" in self._fields and self.title:
            title_room = w - 2 * margin - right_w - (margin if right else 0)
            title = fm_bold.elidedText(self.title, QtCore.Qt.TextElideMode.ElideRight, max(title_room, 0))
            p.setFont(self._bold)
            p.drawText(QtCore.QRect(margin, 0, max(title_room, 0), h - 1),
                       flags | int(QtCore.Qt.AlignmentFlag.AlignLeft), title)
        p.end()


class ClaimLine(QtWidgets.QWidget):
    """The lesson's claims under the caption bar, in italics, in at most MAX_LINES lines: the claims that fit
    whole and "… (N more)" for the rest, never a claim cut mid-sentence (one claim too long for the lines
    alone is elided)."""

    # Two cut the Dirac-GAN's three claims mid-sentence at 560 x 350 ("... do not converge: after 400 step…").
    MAX_LINES = 3

    def __init__(self, theme: Theme, text: str, width: int, pixel_size: int,
                 parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("exportClaimLine")
        self._theme = theme
        self._font = QtGui.QFont(caption_family())
        self._font.setPixelSize(pixel_size)
        self._font.setItalic(True)
        self._font.setHintingPreference(QtGui.QFont.HintingPreference.PreferNoHinting)
        fm = QtGui.QFontMetrics(self._font)
        self._margin = max(6, pixel_size)
        room = width - 2 * self._margin
        claims = text.split(CLAIM_SEPARATOR)
        for keep in range(len(claims), 0, -1):
            shown = CLAIM_SEPARATOR.join(claims[:keep])
            if keep < len(claims):
                shown += f"{CLAIM_SEPARATOR}\u2026 ({len(claims) - keep} more)"
            self.lines, cut = self._wrap(shown, fm, room)
            if not cut:
                break
        self.shown_claims = keep
        self.setFixedHeight(round(len(self.lines) * fm.height() + 0.6 * pixel_size))

    @classmethod
    def _wrap(cls, text: str, fm: QtGui.QFontMetrics, room: int) -> tuple[list[str], bool]:
        """The lines of `text` in width `room`, at most MAX_LINES of them, and whether the last was elided."""
        words, lines, line = text.split(), [], ""
        for i, w in enumerate(words):
            trial = f"{line} {w}".strip()
            if fm.horizontalAdvance(trial) <= room or not line:
                line = trial
                continue
            if len(lines) == cls.MAX_LINES - 1:      # the last line takes the rest, elided
                line = " ".join([line] + words[i:])
                break
            lines.append(line)
            line = w
        cut = False
        if line:
            elided = fm.elidedText(line, QtCore.Qt.TextElideMode.ElideRight, room)
            cut = elided != line
            lines.append(elided)
        return lines, cut

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        p = QtGui.QPainter(self)
        p.fillRect(self.rect(), QtGui.QColor(self._theme.background))
        p.setPen(QtGui.QColor(self._theme.foreground))
        p.setFont(self._font)
        fm = QtGui.QFontMetrics(self._font)
        y = round(0.3 * self._font.pixelSize())
        for line in self.lines:
            p.drawText(QtCore.QRect(self._margin, y, self.width() - 2 * self._margin, fm.height()),
                       int(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter), line)
            y += fm.height()
        p.end()


CLAIM_SEPARATOR = "; "


def claim_text(claims) -> str:
    """What a lesson's export says it shows: its claims' sentences, joined."""
    return CLAIM_SEPARATOR.join(c.text.rstrip(".") for c in claims)


def _joined(values: list[str]) -> str:
    return " / ".join(dict.fromkeys(values))


def snapshot_captions(snap: Snapshot, gan: Optional[int] = None) -> dict[str, str]:
    """The caption bar's loss, k and step: every GAN's loss and k, or those of GAN `gan` of a run of
    several (the one the views draw), its label first where the label is not its loss's id."""
    names = [LOSSES[i].name if i in LOSSES else str(i) for i in snap.loss_ids]
    settings = snap.extra.get("settings") if isinstance(snap.extra, dict) else None
    ks = [str(s.get("k", "")) for s in settings] if settings else []
    label = ""
    if gan is not None and snap.n_gans > 1:
        i = min(gan, snap.n_gans - 1)
        names, ks = names[i:i + 1], ks[i:i + 1]
        if i < len(snap.labels) and snap.labels[i] != snap.loss_ids[i]:
            label = f"{snap.labels[i]} \u00b7 "
    return {
        "loss": f"{label}loss: {_joined(names)}" if names else "",
        "k": f"k = {_joined(ks)}" if ks else "",
        "step": f"step {snap.step:,}",
    }

