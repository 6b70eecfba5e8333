"""Qt for drawing offscreen: the headless QApplication an export creates, the captions' font,
and letting deferred layout and drawing run before a frame is grabbed.

A headless export runs on Qt's offscreen platform, which also keeps the DPI, and so the
frames, the same on every machine. Captions are drawn in DejaVu Sans (the family fontconfig
gives offscreen Qt here; `caption_family` falls back to Qt's default where it is missing),
and an export that creates the QApplication makes it the application font, so that the
plots' labels use it too.
"""
from __future__ import annotations

import os

from PySide6 import QtCore, QtGui, QtWidgets

import ganviz.ui  # noqa: F401  (its reference-count guard, before any Qt call)

__all__ = ["FONT_FAMILY", "ensure_app", "caption_family", "settle"]

FONT_FAMILY = "DejaVu Sans"


def ensure_app() -> QtWidgets.QApplication:
    """The QApplication, created headless (offscreen, DejaVu Sans) when there is none yet."""
    app = QtWidgets.QApplication.instance()
    if app is not None:
        return app  # type: ignore[return-value]
    # An export needs no screen; offscreen also keeps the DPI, and so the frames, machine-independent.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from ganviz.ui.bootstrap import application

    app = application()
    font = QtGui.QFont(caption_family())
    font.setPointSizeF(app.font().pointSizeF())
    app.setFont(font)
    return app


def caption_family() -> str:
    families = QtGui.QFontDatabase.families()
    if FONT_FAMILY in families:
        return FONT_FAMILY
    return QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.GeneralFont).family()


def settle(app: QtCore.QCoreApplication, rounds: int = 3) -> None:
    """Let layout requests, View2D's fit timer and pyqtgraph's deferred updates run, but leave the
    user's clicks (Cancel) to the dialog's own event loop."""
    for _ in range(rounds):
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
        QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.LayoutRequest)
