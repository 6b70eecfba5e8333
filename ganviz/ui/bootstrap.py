"""The Qt start-up every ganviz process with widgets shares: the app window and an offscreen export.

`application()` makes (or returns) the one QApplication, with ganviz's name, style and icon;
`teardown()` closes widgets and processes their deletion before Python exits (a live
pyqtgraph GraphicsLayoutWidget can crash the interpreter's final clean-up: seen with PySide6
6.11-6.12 and pyqtgraph 0.13-0.14, exit code 139). It imports no window, so `export` and the
app both use it without importing each other.
"""
from __future__ import annotations

import sys

from PySide6 import QtCore, QtGui, QtWidgets

import ganviz.ui  # noqa: F401  (reference-count guard before any Qt call)
from ganviz.paths import resource


def window_icon() -> QtGui.QIcon:
    """ganviz's icon (a null icon where the resources are missing: the app runs without one)."""
    try:
        return QtGui.QIcon(str(resource("icons", "ganviz.png")))
    except FileNotFoundError:
        return QtGui.QIcon()


def application() -> QtWidgets.QApplication:
    app = QtWidgets.QApplication.instance()
    if app is None:
        QtCore.QCoreApplication.setOrganizationName("ganviz")
        QtCore.QCoreApplication.setApplicationName("ganviz")
        QtGui.QGuiApplication.setDesktopFileName("ganviz")
        app = QtWidgets.QApplication(sys.argv[:1])
        app.setStyle("Fusion")   # the same look on every platform, and readable in both themes
        app.setWindowIcon(window_icon())
    return app


def teardown(*widgets: QtWidgets.QWidget) -> None:
    app = QtWidgets.QApplication.instance()
    for w in widgets:
        w.close()
        w.deleteLater()
    if app is not None:
        for _ in range(3):
            app.processEvents()
            QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.DeferredDelete)
