"""The Compare view's small widgets: elided labels and titles, captions that share one size, a banner.

`CaptionGroup` and `_FitLabel` keep the panels' captions at one font size, the largest at which
all fit; `_ElidedButton` is a panel's title (the click opens its editor), `_ElidedLabel` its
subtitle; `_Banner` says "diverged" across a panel's plot. `text_colour` colours a label or check
box through its palette.
"""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from ganviz.ui import plotting as P
from ganviz.ui.theme import Theme


class _Banner(P.CornerText):
    """A bold warning centred on a ViewBox ("diverged")."""

    def restyle(self, theme: Theme, pt: int) -> None:
        self.set_style(theme, pt, plate_alpha=0.85)
        self.text_item.setFont(P.font(pt, bold=True))
        self.text_item.setBrush(P.brush(theme.highlight))
        text = self.text()
        self.text_item.setText("")
        self.set_text(text)

    def _place(self, *_) -> None:
        vr, r = self._vb.rect(), self.rect()
        self.setPos((vr.width() - r.width()) / 2, (vr.height() - r.height()) / 2)


class _ElidedLabel(QtWidgets.QLabel):
    """A one-line label that ends in an ellipsis where its text does not fit."""

    def minimumSizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(0, super().minimumSizeHint().height())

    def paintEvent(self, ev: QtGui.QPaintEvent) -> None:
        p = QtGui.QPainter(self)
        p.setPen(self.palette().color(QtGui.QPalette.ColorRole.WindowText))
        text = self.fontMetrics().elidedText(self.text(), QtCore.Qt.TextElideMode.ElideRight, self.width())
        p.drawText(self.rect(), int(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter), text)
        p.end()


class _ElidedButton(QtWidgets.QPushButton):
    """A flat button whose text ends in an ellipsis where the header cannot give it its full width;
    text() is still the whole text."""

    _PAD = 12

    def __init__(self) -> None:
        super().__init__()
        self._full = ""
        self._cap = 1 << 20

    def set_cap(self, width: int) -> None:
        """The most of the header the title claims before it gives way (its full text if that fits)."""
        if width != self._cap:
            self._cap = width
            self.updateGeometry()

    def setText(self, text: str) -> None:
        self._full = text
        self.updateGeometry()
        self._elide()

    def text(self) -> str:
        return self._full

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(self.fontMetrics().horizontalAdvance(self._full) + self._PAD, super().sizeHint().height())

    def minimumSizeHint(self) -> QtCore.QSize:
        # The subtitle next to it gives way first: the title keeps its full width up to the cap.
        full = self.fontMetrics().horizontalAdvance(self._full) + self._PAD
        least = self.fontMetrics().horizontalAdvance("M\u2026") + self._PAD
        return QtCore.QSize(max(least, min(full, self._cap)), super().minimumSizeHint().height())

    def resizeEvent(self, ev: QtGui.QResizeEvent) -> None:
        super().resizeEvent(ev)
        self._elide()

    def changeEvent(self, ev: QtCore.QEvent) -> None:
        super().changeEvent(ev)
        if ev.type() == QtCore.QEvent.Type.FontChange:
            self.updateGeometry()
            self._elide()

    def _elide(self) -> None:
        # A little slack: elidedText measures a shade wider than horizontalAdvance, which sized the hint.
        shown = self.fontMetrics().elidedText(self._full, QtCore.Qt.TextElideMode.ElideRight,
                                              max(self.width() - self._PAD + 4, 0))
        if QtWidgets.QPushButton.text(self) != shown:
            QtWidgets.QPushButton.setText(self, shown)


class CaptionGroup:
    """Captions that share one font size: the largest (up to `pt`) at which they all fit.

    The fit includes a template of the longest text expected, so that the size does not
    twitch as the numbers change, and the narrowest caption sets it for all, so that panels
    side by side agree (grid cells differ by a pixel).
    """

    def __init__(self) -> None:
        self.labels: list["_FitLabel"] = []
        self.pt = 11
        self.template = ""

    def set_point_size(self, pt: int) -> None:
        self.pt = pt
        height = QtGui.QFontMetrics(P.font(pt)).height() + 4
        for label in self.labels:
            label.setFixedHeight(height)
        self.fit()

    def set_template(self, text: str) -> None:
        if text != self.template:
            self.template = text
            self.fit()

    def fit(self) -> None:
        if not self.labels:
            return
        width = min(label.width() for label in self.labels) - 6
        texts = [self.template] + [label.text() for label in self.labels]
        pt = self.pt
        while pt > max(6, int(0.6 * self.pt)):
            fm = QtGui.QFontMetrics(P.font(pt))
            if max(fm.horizontalAdvance(t) for t in texts) <= width:
                break
            pt -= 1
        for label in self.labels:
            if label.font().pointSize() != pt:
                label.setFont(P.font(pt))


class _FitLabel(QtWidgets.QLabel):
    """A centred one-line caption, sized by its CaptionGroup."""

    def __init__(self, group: CaptionGroup) -> None:
        super().__init__()
        self._group = group
        group.labels.append(self)
        self.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Fixed)
        self.setFixedHeight(QtGui.QFontMetrics(P.font(group.pt)).height() + 4)

    def leave_group(self) -> None:
        if self in self._group.labels:
            self._group.labels.remove(self)
            self._group.fit()

    def setText(self, text: str) -> None:
        super().setText(text)
        self._group.fit()

    def resizeEvent(self, ev: QtGui.QResizeEvent) -> None:
        super().resizeEvent(ev)
        self._group.fit()



def text_colour(w: QtWidgets.QWidget, colour: QtGui.QColor) -> None:
    """Set a label's or check box's text colour through its palette.

    A style sheet would do it too, but it switches the widget (and, set on a parent, all its
    children) to style-sheet drawing, which loses the native check box indicator.
    """
    pal = w.palette()
    pal.setColor(QtGui.QPalette.ColorRole.WindowText, colour)
    w.setPalette(pal)

