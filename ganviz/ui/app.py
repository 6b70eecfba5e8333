"""Start the desktop app, and end it cleanly.

The application carries ganviz's icon (resources/icons/ganviz.png) for every window, and the
desktop file name "ganviz", which ties its windows to resources/ganviz.desktop on Linux.

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
from ganviz.ui.bootstrap import application, teardown, window_icon  # noqa: F401  (the app's start-up)


def run_app(scenario: Optional[str] = None, device: Optional[str] = None, errors_in_window: bool = False) -> int:
    """Open the lab (with `scenario`, a built-in name or a file) and return the exit status.

    A scenario that cannot be loaded prints one line on stderr and returns 2; with
    `errors_in_window` (the gui-script, which may have no console) the lab opens anyway, on its
    usual first scenario, and says why in a message box."""
    from ganviz.core import scenario as S

    sc = path = error = None
    if scenario:
        try:
            sc = S.load(scenario)
        except S.ScenarioError as e:
            if not errors_in_window:
                print(f"ganviz: error: {e}", file=sys.stderr)
                return 2
            error = str(e)
        else:
            path = scenario if S.Path(scenario).is_file() else None
    app = application()
    from ganviz.ui.main_window import MainWindow

    win = MainWindow(sc, path, device=device)
    win.show()
    if error:
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Warning, "ganviz", f"Could not open the scenario.\n\n{error}",
                                    parent=win)
        box.setObjectName("scenarioError")
        box.open()
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
