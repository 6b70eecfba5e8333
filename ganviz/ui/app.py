"""Start the desktop app, and end it cleanly.

A process that exits while a pyqtgraph GraphicsLayoutWidget is alive can crash in
the interpreter's final clean-up (seen with PySide6 6.11-6.12 and pyqtgraph 0.13-0.14:
exit code 139): the window is closed, scheduled for
deletion and the events processed before Python exits.
"""
from __future__ import annotations

import signal
import sys
from typing import Optional

from PySide6 import QtCore, QtWidgets

import ganviz.ui  # noqa: F401  (reference-count guard before any Qt call)


def application() -> QtWidgets.QApplication:
    app = QtWidgets.QApplication.instance()
    if app is None:
        QtCore.QCoreApplication.setOrganizationName("ganviz")
        QtCore.QCoreApplication.setApplicationName("ganviz")
        app = QtWidgets.QApplication(sys.argv[:1])
        app.setStyle("Fusion")   # the same look on every platform, and readable in both themes
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


def run_app(scenario: Optional[str] = None, device: Optional[str] = None) -> int:
    from ganviz.core import scenario as S

    sc = path = None
    if scenario:
        try:
            sc = S.load(scenario)
        except S.ScenarioError as e:
            print(f"ganviz: error: {e}", file=sys.stderr)
            return 2
        path = scenario if S.Path(scenario).is_file() else None
    app = application()
    from ganviz.ui.main_window import MainWindow

    win = MainWindow(sc, path, device=device)
    win.show()
    # Ctrl+C in the terminal closes the window cleanly (stopping training) instead of a traceback;
    # a timer lets the interpreter run now and then, since Qt's event loop does not deliver signals.
    signal.signal(signal.SIGINT, lambda *_: win.close())
    tick = QtCore.QTimer()
    tick.timeout.connect(lambda: None)
    tick.start(200)
    try:
        rc = app.exec()
    finally:
        teardown(win)
    return int(rc)
