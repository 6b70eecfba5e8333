"""Starting the app as a desktop program: its icon, and the gui-script that has no console."""
from __future__ import annotations

import textwrap

from ganviz.ui.bootstrap import window_icon
from tests.ui.scripts import run_app_script


def test_the_window_icon_is_ganviz_s(qapp):
    icon = window_icon()
    assert not icon.isNull()
    assert icon.pixmap(32, 32).width() == 32


GUI_SCRIPT = textwrap.dedent("""
    import os, sys, traceback
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ["GANVIZ_SETTINGS_ORG"] = "ganviz-launch-test"
    from PySide6 import QtCore, QtWidgets
    from ganviz.ui.bootstrap import application
    app = application()
    out = sys.stdout
    def report():
        try:
            boxes = [w for w in app.topLevelWidgets() if isinstance(w, QtWidgets.QMessageBox) and w.isVisible()]
            print("boxes", len(boxes), file=out, flush=True)
            print("text", boxes[0].text().replace("\\n", " "), file=out, flush=True)
            print("icon", not app.windowIcon().isNull(), app.desktopFileName(), file=out, flush=True)
        except Exception:
            traceback.print_exc(file=out)
        for w in app.topLevelWidgets():
            if isinstance(w, QtWidgets.QMainWindow):
                w.close()
    QtCore.QTimer.singleShot(300, report)
    sys.stderr = None          # as under pythonw.exe, which starts gui-scripts on Windows
    from ganviz.cli import gui_main
    sys.exit(gui_main(["no-such-scenario"]))
""")


def test_the_gui_script_shows_a_bad_scenario_in_the_window_and_keeps_running(tmp_path):
    code, out, err = run_app_script(GUI_SCRIPT, tmp_path)
    assert code == 0, out + err
    lines = dict(line.split(" ", 1) for line in out.splitlines() if " " in line)
    assert lines.get("boxes") == "1", out
    assert "no-such-scenario" in lines["text"] and "built-in" in lines["text"]
    assert lines["icon"] == "True ganviz"
