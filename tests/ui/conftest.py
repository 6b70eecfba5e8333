"""The windows, views and panels of the UI tests, each owned by qtbot (closed after its test).

`shown` shows any widget at a fixed size and `docked` a side panel; the named fixtures build the
app's windows the way their tests look at them. `main_window` gives each test empty settings of
its own (tests/conftest.py keeps every test's settings out of the user's configuration).
"""
from __future__ import annotations

import pytest

from ganviz.core import scenario as S
from ganviz.engine.session import Session
from ganviz.export.job import ExportJob
from ganviz.ui.compare_view import CompareView
from ganviz.ui.controls import ControlPanel
from ganviz.ui.export_dialog import ExportDialog
from ganviz.ui.game_view import GameView
from ganviz.ui.main_window import MainWindow
from ganviz.ui.view1d import View1D
from ganviz.ui.view2d import View2D


@pytest.fixture
def shown(qtbot):
    """shown(widget, width=1280, height=720, exposed=False): the widget, owned by qtbot, resized and
    shown; exposed=True also waits until it is on screen."""
    def show(widget, width: int = 1280, height: int = 720, exposed: bool = False):
        qtbot.addWidget(widget)
        widget.resize(width, height)
        widget.show()
        if exposed:
            qtbot.waitExposed(widget)
        return widget

    return show


@pytest.fixture
def docked(shown):
    """docked(panel, height=520): a side panel (loss shape, metrics, info) at a dock's width of 420 px,
    on screen."""
    return lambda panel, height=520: shown(panel, 420, height, exposed=True)


@pytest.fixture
def main_window(qtbot, settings_dir):
    """main_window(scenario) -> a shown MainWindow that trains on a thread of this process, so that
    tests can look inside, and exports with `ExportJob`; every window's session is stopped after
    the test."""
    wins = []

    def make(sc: S.Scenario):
        w = MainWindow(sc, session_factory=Session, export_job_factory=ExportJob)
        qtbot.addWidget(w)
        w.resize(1280, 800)
        w.show()
        wins.append(w)
        return w

    yield make
    for w in wins:
        w.session.stop(2.0)


@pytest.fixture
def view1d(shown):
    return shown(View1D())


@pytest.fixture
def view2d(shown):
    return shown(View2D())


@pytest.fixture
def compare_view(shown):
    return shown(CompareView())


@pytest.fixture
def game_view(shown):
    return shown(GameView(), exposed=True)


@pytest.fixture
def control_panel(qtbot):
    """The control panel, sized like the app's dock but not shown."""
    p = ControlPanel()
    qtbot.addWidget(p)
    p.resize(320, 900)
    return p


@pytest.fixture
def export_dialog(qtbot):
    """The Export dialog, shown at its own size, on a small ring8 on the CPU, given `ExportJob` itself
    (the app's dialog imports it by name when an export starts); a running export is cancelled after
    the test."""
    sc = S.apply_overrides(S.load("ring8"), ["model.g_width=32", "model.d_width=32", 'device="cpu"'])
    d = ExportDialog(sc, "light", job_factory=ExportJob)
    qtbot.addWidget(d)
    d.show()
    yield d
    d.cancel_export()
