"""A message that stays: a strip above the views for errors a user must read (a file that cannot
be opened, training that stopped), until it is dismissed or the cause goes away.

The status bar is for news that may pass; the snapshot stream rewrote it ~60 times a second, so an
error there was gone before anyone could read it.
"""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from ganviz.ui.theme import Theme


class MessageBanner(QtWidgets.QFrame):
    """One message with a close button; hidden when empty."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBanner")
        self.label = QtWidgets.QLabel("")
        self.label.setObjectName("messageBannerText")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
        close = QtWidgets.QToolButton()
        close.setObjectName("messageBannerClose")
        close.setText("\u2715")
        close.setToolTip("Dismiss this message")
        close.setAutoRaise(True)
        close.clicked.connect(self.clear)
        lay = QtWidgets.QHBoxLayout(self)
        lay.setContentsMargins(10, 6, 6, 6)
        lay.addWidget(self.label, 1)
        lay.addWidget(close, 0, QtCore.Qt.AlignTop)
        self._dismissed = ""
        self.setVisible(False)

    def text(self) -> str:
        return self.label.text() if not self.isHidden() else ""

    def show_message(self, text: str) -> None:
        """Show `text` (again, unless it is the message the user just dismissed)."""
        if not text or text == self._dismissed:
            return
        if text != self.label.text() or self.isHidden():
            self.label.setText(text)
            self.setVisible(True)

    def clear(self) -> None:
        """Hide the message; the same message arriving again stays hidden until another one comes."""
        if not self.isHidden():
            self._dismissed = self.label.text()
        self.setVisible(False)

    def reset(self) -> None:
        """Hide the message and forget what was dismissed (a new scenario, a reset)."""
        self._dismissed = ""
        self.label.setText("")
        self.setVisible(False)

    def set_theme(self, theme: Theme) -> None:
        self.setStyleSheet(f"#messageBanner {{ background: {theme.highlight}; border-radius: 3px; }}"
                           f"#messageBannerText, #messageBannerClose {{ color: {theme.background}; "
                           "font-weight: bold; }")

    def set_presentation(self, on: bool) -> None:
        """Presentation mode: the message in the lecture's larger type."""
        if not hasattr(self, "_normal_pt"):
            self._normal_pt = self.label.font().pointSizeF()
        f = self.label.font()
        f.setPointSizeF(15 if on else self._normal_pt)
        self.label.setFont(f)
