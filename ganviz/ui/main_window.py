"""The lab's main window: views in the middle, controls on the left, theory on the right.

The window owns one training session (a child process by default). A 60 Hz timer takes
the newest snapshot and hands it to the visible views; controls send commands.
Nothing here computes: every number on screen comes from a snapshot.

Why ~600 lines: the window is the one place that wires the session, the views, the docks, the
menus and actions, the files (open, save, recent, drag and drop), the message banner and the
60 Hz snapshot loop together; each part is a few short methods over the same few attributes.
"""
from __future__ import annotations

import collections
import time
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from ganviz.core import scenario as S
from ganviz.core.settings import SHARED_FIELDS, SettingsError
from ganviz.engine.api import SessionAPI
from ganviz.engine.process import ProcessSession
from ganviz.engine.snapshot import Snapshot
from ganviz.logs import log_exception
from ganviz.ui.banner import MessageBanner
from ganviz.ui.controls import ControlPanel
from ganviz.ui.info_panel import InfoPanel
from ganviz.ui.loss_panel import LossShapePanel
from ganviz.ui.metrics_panel import MetricsPanel
from ganviz.ui.theme import THEMES, Theme
from ganviz.ui.view1d import View1D
from ganviz.ui.view2d import View2D

DEFAULT_SCENARIO = "ring8"
MAX_RECENT = 8
# The metric charts are drawn in a frame without a new picture, or this long after their snapshot.
CHARTS_WAIT_S = 0.1
LAYER_LABELS = {
    "p_data": "p_data", "p_g": "p_g", "d": "D(x)", "d_star": "D*(x)", "d_gap": "D \u2212 D* (shaded)", "hist": "Histogram of fakes",
    "real": "Real samples", "mapping": "z \u2192 x mapping", "heatmap": "D heatmap", "contours": "p_data contours",
    "manifold": "Generator manifold", "grad": "Gradient arrows", "fake": "Fake samples", "trails": "Fixed-z trails",
}


def settings_store() -> QtCore.QSettings:
    import os

    return QtCore.QSettings(os.environ.get("GANVIZ_SETTINGS_ORG", "ganviz"), "ganviz")


class MainWindow(QtWidgets.QMainWindow):
    def __init__(self, scenario: Optional[S.Scenario] = None, path: Optional[str] = None,
                 device: Optional[str] = None, start: bool = True,
                 session_factory: Optional[Callable[[S.Scenario, Optional[str]], SessionAPI]] = None,
                 export_job_factory: Optional[Callable[..., Any]] = None):
        """session_factory(scenario, device): the training session. By default a child process
        (`ProcessSession`: drawing and training never compete for Python's GIL, and this process
        never imports torch); tests pass `ganviz.engine.session.Session`, a thread of this
        process that they can reach into.

        export_job_factory(scenario, out, **options): the job File > Export runs (see
        `ganviz.ui.export_dialog`); by default the dialog's, which imports `ExportJob` (and with it
        torch) only when an export starts; tests pass `ganviz.export.job.ExportJob`."""
        super().__init__()
        self.setObjectName("mainWindow")
        self.setAcceptDrops(True)
        self.store = settings_store()
        self._startup_message = ""
        # A scenario is remembered for the next start only once it has trained: one that fails
        # would otherwise open, and fail, at every start.
        self._remember: Optional[str] = None
        if scenario is None:
            scenario, path = self._initial_scenario()
        self.path: Optional[str] = path
        self.theme: Theme = THEMES.get(str(self.store.value("theme", "light")), THEMES["light"])
        self.presentation = False
        self.session: SessionAPI = (session_factory or ProcessSession)(scenario, device)
        self._export_job_factory = export_job_factory
        self._seen = -1
        self._play_intent: tuple[bool, float] = (False, float("-inf"))   # the last Play or Pause asked, and when
        self._last_snapshot: Optional[Snapshot] = None
        self._charts_pending: Optional[tuple] = None    # (snapshot, cursor step, when): see show_snapshot
        self._loss_shown: Optional[str] = None
        self.frame_times: collections.deque = collections.deque(maxlen=600)
        self._fps = 0.0
        self._pending_seed: Optional[int] = None
        self._parts_sent: Optional[tuple] = None
        self._closing = False

        self._build_views()
        self._build_docks()
        self._build_actions()
        self._build_status()
        self._fill_controls(scenario)
        self.show_view_of(scenario)
        self._apply_theme()
        self._update_title()
        if self._startup_message:
            self.banner.show_message(self._startup_message)
        geometry = self.store.value("geometry")
        if isinstance(geometry, QtCore.QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1500, 920)
        state = self.store.value("windowState")
        if isinstance(state, QtCore.QByteArray):
            self.restoreState(state)
            if self._lab_docks_visible is not None:
                # opened on the game lab or the inspector: the saved state has just shown the lab's docks
                # again; they are hidden as that tab wants, and come back as saved on the Lab
                self._lab_docks_visible = None
                self._on_tab(self.tabs.currentIndex())

        self.timer = QtCore.QTimer(self)
        self.timer.setTimerType(QtCore.Qt.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self._update_parts()
        if start:
            self.session.start()
            self.timer.start(16)

    # -- construction ---------------------------------------------------------------
    def _initial_scenario(self) -> tuple[S.Scenario, Optional[str]]:
        last = self.store.value("lastScenario")
        if isinstance(last, str) and last:
            try:
                return S.load(last), (last if Path(last).is_file() else None)
            except S.ScenarioError as e:
                self._startup_message = (f"The last scenario could not be opened ({e}); "
                                         f"{DEFAULT_SCENARIO} is open instead.")
        return S.load(DEFAULT_SCENARIO), None

    def _build_views(self) -> None:
        self.view1d = View1D(self.theme)
        self.view2d = View2D(self.theme)
        self.lab_stack = QtWidgets.QStackedWidget()
        self.lab_stack.setObjectName("labStack")
        self.lab_stack.addWidget(self.view1d)
        self.lab_stack.addWidget(self.view2d)
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.setObjectName("viewTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.lab_stack, "Lab")
        from ganviz.ui.compare_view import CompareView

        self.compare_view = CompareView(self.theme)
        self.compare_view.attach(self.session)
        self.compare_view.heat_check.toggled.connect(self._update_parts)
        self.compare_view.trainEdited.connect(self._on_panel_edited)
        self.compare_view.panelChosen.connect(lambda i: self.gan_combo.setCurrentIndex(i))
        self.tabs.addTab(self.compare_view, "Compare")
        self.game_view = None
        try:
            from ganviz.ui.game_view import GameView
        except ImportError:  # the game lab is optional in a partial install
            GameView = None
        if GameView is not None:
            self.game_view = GameView(theme=self.theme)
            self.tabs.addTab(self.game_view, "Game dynamics")
        from ganviz.ui.inspector_panel import InspectorPanel

        self.inspector = InspectorPanel(theme=self.theme)     # an exercise scenario's steps, term by term
        self.tabs.addTab(self.inspector, "Step inspector")
        self.banner = MessageBanner()
        central = QtWidgets.QWidget()
        column = QtWidgets.QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.banner)
        column.addWidget(self.tabs, 1)
        from ganviz.ui.rewind import Rewind
        from ganviz.ui.timeline import Timeline

        self.timeline = Timeline(self.theme)
        column.addWidget(self.timeline)
        self.rewind = Rewind(self, self.timeline)
        from ganviz.ui.draw_data import DataDrawer

        self.view1d.drawing_dim, self.view2d.drawing_dim = 1, 2
        self.drawer = DataDrawer(self, [self.view1d, self.view2d])
        self.setCentralWidget(central)
        self._lab_docks_visible: Optional[dict] = None
        self._lab_docks_on_top: list = []
        self.tabs.currentChanged.connect(self._on_tab)

    def _lab_docks(self) -> list:
        return [self.controls_dock, self.loss_dock, self.info_dock, self.metrics_dock]

    def _on_tab(self, _index: int) -> None:
        """The lab's docks belong to the Lab (and Compare) tabs; the game lab has its own controls
        and needs the room."""
        lab_like = self._lab_like()
        self.timeline.setVisible(lab_like)          # the game lab and the inspector record no training run
        self._sync_training_actions()
        if not lab_like and self._lab_docks_visible is None:
            # isHidden, not isVisible: before the window is first shown (an exercise given on the command
            # line) every dock reads not visible, and restoring that would hide them for good
            self._lab_docks_visible = {d: not d.isHidden() for d in self._lab_docks()}
            # of docks in one tab group, the one on top (shown again, Qt would raise another)
            self._lab_docks_on_top = [d for d in self._lab_docks() if not d.visibleRegion().isEmpty()]
            for d in self._lab_docks():
                d.hide()
        elif lab_like and self._lab_docks_visible is not None:
            self._restore_lab_docks()
        if lab_like and self._last_snapshot is not None:
            self.show_snapshot(self._last_snapshot)
        self._update_parts()

    def _lab_like(self) -> bool:
        """Whether the page on screen shows the training run (the Lab or Compare tab)."""
        return self.tabs.currentWidget() not in (self.game_view, self.inspector)

    def _sync_training_actions(self) -> None:
        """The training toolbar drives the training run: greyed where the page shows something else (the game
        lab, an exercise in the step inspector, each with buttons of its own), so that Space or Step there
        does not quietly train a run that is not on screen."""
        lab_like = self._lab_like()
        drives = lab_like or (self.tabs.currentWidget() is self.inspector and self.inspector.training)
        for a in (self.play_action, self.step_action, self.step_d_action, self.step_g_action, self.reset_action):
            a.setEnabled(drives)
        self.heat_combo.setEnabled(lab_like)
        self.gan_combo.setEnabled(lab_like)

    def _restore_lab_docks(self) -> None:
        """Show the lab's docks as they were before the game lab or the inspector hid them."""
        for d, vis in self._lab_docks_visible.items():
            d.setVisible(vis and not (self.presentation and d is self.controls_dock))
        for d in self._lab_docks_on_top:
            if not d.isHidden():
                d.raise_()
        self._lab_docks_visible = None

    def needed_parts(self) -> frozenset:
        """What the visible views and panels draw beyond the fakes (engine.api.PARTS): the session
        computes these and no more (no D on the grid for a hidden heatmap or another tab, no
        divergences while no panel shows them)."""
        parts: set[str] = set()
        current = self.tabs.currentWidget()
        dim = self._lab_dim()
        if current is self.lab_stack:
            parts |= (self.view1d if dim == 1 else self.view2d).parts()
        elif current is self.compare_view:
            parts |= self.compare_view.parts(dim)
        elif current is self.inspector and self.inspector.training:
            parts.add("step_summary")       # the trainer keeps each step's summary only while it is shown
        if current not in (self.game_view, self.inspector):
            if self._dock_shown(self.loss_dock):
                parts.add("fake_d")
            if self._dock_shown(self.metrics_dock) or self._dock_shown(self.info_dock):
                parts.add("divergences")
        return frozenset(parts)

    def shown_gans(self) -> dict[str, int]:
        """The parts of `needed_parts` that are drawn for one GAN of the set (engine.api.PER_GAN_PARTS):
        part -> that GAN. The Lab's view and the loss panel each draw one; Compare's panels draw every
        GAN's D on the grid."""
        only: dict[str, int] = {}
        current = self.tabs.currentWidget()
        parts = self.needed_parts()
        if current is self.lab_stack:
            view = self.view1d if self._lab_dim() == 1 else self.view2d
            only.update({p: view.index for p in ("grad", "manifold", "d_grid") if p in parts})
            only["fake"] = view.index           # the fakes of the other GANs: Compare draws them
        if "fake_d" in parts:
            only["fake_d"] = self.loss_panel.index
        return only

    def _gan_views(self) -> tuple:
        return (self.view1d, self.view2d, self.loss_panel, self.info_panel, self.metrics_panel)

    def _sync_gan_combo(self, snap: Snapshot) -> None:
        """The GAN selector lists the snapshot's GANs (after a panel was added, removed or renamed)."""
        items = [f"GAN: {label}" for label in snap.labels]
        if items != [self.gan_combo.itemText(i) for i in range(self.gan_combo.count())]:
            shown = min(self.view2d.index, len(items) - 1)
            with QtCore.QSignalBlocker(self.gan_combo):
                self.gan_combo.clear()
                self.gan_combo.addItems(items)
                self.gan_combo.setCurrentIndex(shown)
            if shown != self.view2d.index:
                for w in self._gan_views():
                    w._index = shown       # the snapshot being drawn is drawn with it: no redraw of the old one
            self._show_controls_gan()      # a GAN added, removed or renamed, or another run
        self.gan_combo_action.setVisible(len(items) > 1)
        for a in (self.prev_gan_action, self.next_gan_action):
            a.setEnabled(len(items) > 1)

    def _step_gan(self, delta: int) -> None:
        """Show the GAN `delta` places on in the toolbar's list, round the end (nothing with one GAN)."""
        n = self.gan_combo.count()
        if n > 1:
            self.gan_combo.setCurrentIndex((self.gan_combo.currentIndex() + delta) % n)

    def _on_gan_shown(self, i: int) -> None:
        """Show GAN i of the run in the Lab's view and the side panels; the session computes its parts."""
        if i < 0:
            return
        for w in self._gan_views():
            w.index = i
        self._show_controls_gan()
        if self._last_snapshot is not None:
            self._show_loss(self._last_snapshot)
        self._update_parts()

    def _show_loss(self, snap: Snapshot) -> None:
        """The loss and info panels name the loss of the GAN shown."""
        loss = snap.loss_ids[min(self.view2d.index, snap.n_gans - 1)]
        if loss != self._loss_shown:
            self._loss_shown = loss
            self.loss_panel.set_loss(loss)
            self.loss_dock.setWindowTitle(self.loss_panel.title)
            self.info_panel.set_loss(loss)

    def _lab_dim(self) -> int:
        return self._last_snapshot.dim if self._last_snapshot is not None else self.session.scenario.dim

    @staticmethod
    def _dock_shown(dock: QtWidgets.QDockWidget) -> bool:
        # A dock tabbed behind another is visible to Qt but not on screen.
        return dock.isVisible() and (dock.isFloating() or not dock.visibleRegion().isEmpty())

    def _update_parts(self, *_) -> None:
        """Tell the session what is on screen, when that changed."""
        if self._closing:
            return            # docks hide as the window closes, after the session has stopped
        parts, only = self.needed_parts(), self.shown_gans()
        if (parts, only) != self._parts_sent:
            self._parts_sent = (parts, only)
            self.session.show(parts, only)

    def _dock(self, title: str, name: str, widget: QtWidgets.QWidget, area) -> QtWidgets.QDockWidget:
        dock = QtWidgets.QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QtWidgets.QDockWidget.DockWidgetMovable | QtWidgets.QDockWidget.DockWidgetFloatable
                         | QtWidgets.QDockWidget.DockWidgetClosable)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        self.controls = ControlPanel(self.theme)     # scrolls by itself
        self.controls_dock = self._dock("Controls", "controlsDock", self.controls, QtCore.Qt.LeftDockWidgetArea)
        self.loss_panel = LossShapePanel(self.theme)
        self.info_panel = InfoPanel(self.theme)
        self.metrics_panel = MetricsPanel(self.theme)
        self.loss_dock = self._dock("Generator loss vs D(G(z))", "lossDock", self.loss_panel,
                                    QtCore.Qt.RightDockWidgetArea)
        self.info_dock = self._dock("The selected loss", "infoDock", self.info_panel, QtCore.Qt.RightDockWidgetArea)
        self.metrics_dock = self._dock("Metrics", "metricsDock", self.metrics_panel, QtCore.Qt.RightDockWidgetArea)
        self.tabifyDockWidget(self.info_dock, self.metrics_dock)
        self.loss_dock.raise_()
        self.metrics_dock.raise_()
        self.resizeDocks([self.controls_dock, self.loss_dock], [320, 430], QtCore.Qt.Horizontal)
        for dock in (self.loss_dock, self.info_dock, self.metrics_dock):
            dock.visibilityChanged.connect(self._update_parts)

        c = self.controls
        c.trainChanged.connect(self._on_train)
        c.modelChanged.connect(lambda d: self._guard(lambda: self.session.set_model(**d)))
        c.dataChanged.connect(lambda spec: self.drawer.apply(spec))     # undoable, like a drawn change
        c.seedChanged.connect(self._on_seed)
        c.speedChanged.connect(self.session.set_speed)
        c.viewClassChanged.connect(lambda k: self._guard(lambda: self.session.set_view_class(k)))

    def _action(self, text: str, name: str, slot, shortcut=None, checkable=False, tip: str = "") -> QtGui.QAction:
        a = QtGui.QAction(text, self)
        a.setObjectName(name)
        if shortcut:
            a.setShortcut(QtGui.QKeySequence(shortcut))
            a.setShortcutContext(QtCore.Qt.WindowShortcut)
        a.setCheckable(checkable)
        if tip:
            a.setToolTip(tip)
            a.setStatusTip(tip)
        a.triggered.connect(slot)
        self.addAction(a)
        return a

    def _build_actions(self) -> None:
        self.play_action = self._action("Play", "playAction", self._on_play, "Space", checkable=True,
                                        tip="Train continuously / pause (Space)")
        self.step_action = self._action("Step", "stepAction", lambda: self.session.step(1), "S",
                                        tip="One generator iteration: k D steps, then g_steps G steps (S)")
        self.step_d_action = self._action("Step D", "stepDAction", self.session.step_d, "D",
                                          tip="One discriminator step only (D)")
        self.step_g_action = self._action("Step G", "stepGAction", self.session.step_g, "G",
                                          tip="One generator step only (G)")
        self.reset_action = self._action("Reset", "resetAction", self._on_reset, "R",
                                         tip="New networks from the seed; same seed, same run (R)")
        tb = QtWidgets.QToolBar("Training")
        tb.setObjectName("trainingToolbar")
        tb.setMovable(False)
        tb.setToolButtonStyle(QtCore.Qt.ToolButtonTextBesideIcon)
        style = self.style()
        self.play_action.setIcon(style.standardIcon(QtWidgets.QStyle.SP_MediaPlay))
        self.step_action.setIcon(style.standardIcon(QtWidgets.QStyle.SP_MediaSkipForward))
        self.reset_action.setIcon(style.standardIcon(QtWidgets.QStyle.SP_BrowserReload))
        for a in (self.play_action, self.step_action, self.step_d_action, self.step_g_action, self.reset_action):
            tb.addAction(a)
        self.play_button = tb.widgetForAction(self.play_action)
        self.play_button.setObjectName("playButton")
        tb.widgetForAction(self.step_action).setObjectName("stepButton")
        tb.widgetForAction(self.step_d_action).setObjectName("stepDButton")
        tb.widgetForAction(self.step_g_action).setObjectName("stepGButton")
        tb.widgetForAction(self.reset_action).setObjectName("resetButton")
        tb.addSeparator()
        self.heat_combo = QtWidgets.QComboBox()
        self.heat_combo.setObjectName("heatSourceCombo")
        self.heat_combo.addItem("Heatmap: D(x)", "d")
        self.heat_combo.addItem("Heatmap: D*(x)", "d_star")
        self.heat_combo.addItem("Heatmap: D \u2212 D*", "d_gap")
        self.heat_combo.setToolTip("2D view: colour by the trained D, by the optimum D* of its loss (from p_data and "
                                   "p_g smoothed alike on the grid), or by how far D is from it")
        self.heat_combo.currentIndexChanged.connect(
            lambda _: (self.view2d.set_heat_source(self.heat_combo.currentData()), self._update_parts()))
        tb.addWidget(self.heat_combo)
        # A run of several GANs (a Compare scenario): which one the Lab's view and the side panels show.
        self.gan_combo = QtWidgets.QComboBox()
        self.gan_combo.setObjectName("ganShownCombo")
        # Its items come with the first picture, after the window is shown: it must grow to them then.
        self.gan_combo.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.gan_combo.setToolTip("This run trains several GANs side by side: the one that the Lab's view and the "
                                  "side panels show (the Compare tab shows them all) and whose loss, learning "
                                  "rates, k and tricks the Controls set")
        self.gan_combo.currentIndexChanged.connect(self._on_gan_shown)
        self.gan_combo_action = tb.addWidget(self.gan_combo)
        self.gan_combo_action.setVisible(False)
        self.addToolBar(QtCore.Qt.TopToolBarArea, tb)
        self.toolbar = tb

        mb = self.menuBar()
        fm = mb.addMenu("&File")
        self.open_action = self._action("&Open scenario\u2026", "openAction", self.open_dialog, QtGui.QKeySequence.Open)
        self.save_action = self._action("&Save scenario", "saveAction", self.save, QtGui.QKeySequence.Save)
        self.save_as_action = self._action("Save scenario &as\u2026", "saveAsAction", self.save_as,
                                           QtGui.QKeySequence.SaveAs)
        fm.addAction(self.open_action)
        self.builtin_menu = fm.addMenu("Built-in scenarios")
        for name in S.builtin_names():
            a = self.builtin_menu.addAction(name)
            a.triggered.connect(lambda _=False, n=name: self.open_scenario(n))
        self.recent_menu = fm.addMenu("Open &recent")
        self._refresh_recent()
        fm.addSeparator()
        fm.addAction(self.save_action)
        fm.addAction(self.save_as_action)
        fm.addSeparator()
        self.export_action = self._action("&Export animation\u2026", "exportAction", self.export_dialog, "Ctrl+E",
                                          tip="Render the current scenario to MP4, GIF, PNG frames or a still (Ctrl+E)")
        fm.addAction(self.export_action)
        self.save_run_action = self._action("Save &run…", "saveRunAction", self.save_run, "Ctrl+Shift+R",
                                            tip="Save the recorded run (its frames and checkpoints) as a .ganviz file")
        fm.addAction(self.save_run_action)
        fm.addSeparator()
        rewind = self.rewind
        self.rewind_actions = [
            self._action("Bookmark this moment", "bookmarkAction", rewind.bookmark, "B"),
            self._action("Clip in here", "clipInAction", lambda: rewind.set_clip(0), "I"),
            self._action("Clip out here", "clipOutAction", lambda: rewind.set_clip(1), "O"),
            self._action("One recorded frame back", "frameBackAction", lambda: rewind.step_frames(-1), ","),
            self._action("One recorded frame on", "frameOnAction", lambda: rewind.step_frames(1), "."),
            self._action("Back to the live run", "liveAction", rewind.go_live, "End"),
            self._action("Continue from here", "continueAction", rewind.continue_here, "Ctrl+Return"),
            self._action("Export the clip…", "exportClipAction", rewind.export_clip),
        ]
        fm.addAction(self._action("&Quit", "quitAction", self.close, QtGui.QKeySequence.Quit))

        em = mb.addMenu("&Edit")
        drawer = self.drawer
        self.undo_action = self._action("&Undo data change", "undoAction", drawer.undo, QtGui.QKeySequence.Undo)
        self.redo_action = self._action("&Redo data change", "redoAction", drawer.redo, QtGui.QKeySequence.Redo)
        self.delete_component_action = self._action(
            "&Delete the component under the mouse", "deleteComponentAction", drawer.delete_hovered, "Delete",
            tip="Draw the data in the Lab view: double-click adds a component, drag moves it, the wheel "
                "widens it, Delete removes it")
        for a in (self.undo_action, self.redo_action, self.delete_component_action):
            em.addAction(a)

        tm = mb.addMenu("&Training")
        for a in (self.play_action, self.step_action, self.step_d_action, self.step_g_action, self.reset_action):
            tm.addAction(a)
        tm.addSeparator()
        for a in self.rewind_actions:
            tm.addAction(a)

        vm = mb.addMenu("&View")
        self.layer_menu1 = vm.addMenu("1D layers")
        self.layer_menu2 = vm.addMenu("2D layers")
        self.layer_actions: dict[tuple[str, str], QtGui.QAction] = {}
        for menu, view, key in ((self.layer_menu1, self.view1d, "1d"), (self.layer_menu2, self.view2d, "2d")):
            for layer in view.LAYERS:
                a = menu.addAction(LAYER_LABELS.get(layer, layer))
                a.setCheckable(True)
                a.setChecked(view.layer_visible(layer))
                a.setObjectName(f"layer_{key}_{layer}")
                a.toggled.connect(lambda on, v=view, l=layer: (v.set_layer_visible(l, on), self._update_parts()))
                self.layer_actions[(key, layer)] = a
            view.layerToggled.connect(lambda l, on, k=key: (self._sync_layer_action(k, l, on), self._update_parts()))
        vm.addSeparator()
        self.dark_action = self._action("&Dark theme", "darkAction", self._on_dark, "Ctrl+T", checkable=True)
        self.dark_action.setChecked(self.theme.name == "dark")
        self.presentation_action = self._action("&Presentation mode", "presentationAction", self.set_presentation,
                                                "F5", checkable=True,
                                                tip="Large fonts, controls hidden, full screen (F5; Esc leaves)")
        vm.addAction(self.dark_action)
        vm.addAction(self.presentation_action)
        vm.addSeparator()
        # Flipping between the GANs of a run from the keyboard, controls hidden in front of a class included.
        self.prev_gan_action = self._action("P&revious GAN", "previousGanAction", lambda: self._step_gan(-1), "[",
                                            tip="The previous GAN of a run of several: the Lab view, the side "
                                                "panels and the Controls follow ([)")
        self.next_gan_action = self._action("&Next GAN", "nextGanAction", lambda: self._step_gan(1), "]",
                                            tip="The next GAN of a run of several: the Lab view, the side panels "
                                                "and the Controls follow (])")
        vm.addAction(self.prev_gan_action)
        vm.addAction(self.next_gan_action)
        vm.addSeparator()
        for dock in (self.controls_dock, self.loss_dock, self.info_dock, self.metrics_dock):
            vm.addAction(dock.toggleViewAction())
        self._action("Leave presentation", "leavePresentationAction",
                     lambda: self.presentation and self.presentation_action.trigger(), "Esc")

        hm = mb.addMenu("&Help")
        hm.addAction(self._action("&About ganviz", "aboutAction", self._about))

    def _build_status(self) -> None:
        sb = self.statusBar()
        self.status_message = QtWidgets.QLabel("")
        self.status_message.setObjectName("statusMessage")
        self.status_message.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
        self.status_step = QtWidgets.QLabel("step 0")
        self.status_step.setObjectName("statusStep")
        self.status_rate = QtWidgets.QLabel("")
        self.status_rate.setObjectName("statusRate")
        self.status_device = QtWidgets.QLabel("device: …")
        self.status_device.setObjectName("statusDevice")
        sb.addWidget(self.status_message, 1)
        for w in (self.status_step, self.status_rate, self.status_device):
            sb.addPermanentWidget(w)

    # -- the frame loop -------------------------------------------------------------------
    def _tick(self) -> None:
        now = time.perf_counter()
        self.frame_times.append(now)
        n = self.session.published
        shown = False
        if n != self._seen:
            snap = self.session.latest()
            if snap is not None:
                self._seen = n
                # Recorded, and drawn from the recording: a moment scrubbed to later looks as it did now.
                recorded = self.rewind.live(snap)
                if recorded is not None:
                    self.show_snapshot(recorded, charts_later=True)
                else:                                   # the past is shown: the live run only says it moved
                    self._sync_play_button(snap)
                shown = True
        if self._charts_pending is not None and (not shown or now - self._charts_pending[2] > CHARTS_WAIT_S):
            self._draw_charts()
        if not shown and self.session.error:
            # no new picture, but something to say: the training process may have died (killed for memory)
            self.banner.show_message(self.session.error)
            if self.play_action.isChecked() and not self.session.playing:
                self._set_playing(False)
        if len(self.frame_times) >= 2 and now - getattr(self, "_rate_t", 0.0) > 0.5:
            self._rate_t = now
            span = self.frame_times[-1] - self.frame_times[max(0, len(self.frame_times) - 31)]
            count = min(30, len(self.frame_times) - 1)
            self._fps = count / span if span > 0 else 0.0
            snap = self._last_snapshot
            live = self.rewind.viewing is None        # a recorded moment is not training now
            sps = snap.steps_per_sec if snap is not None and snap.running and live else 0.0
            self.status_rate.setText(f"{sps:,.0f} steps/s \u00b7 {self._fps:.0f} frames/s")

    def show_snapshot(self, snap: Snapshot, live: bool = True, history: Optional[Snapshot] = None,
                      charts_later: bool = False) -> None:
        """Draw a snapshot in every view; `live=False` for a recorded moment (the timeline's), which leaves
        the banner, the remembered scenario and the Play button to the live run. `history`: the snapshot whose
        metric history the charts draw, with a cursor at `snap`'s step (the whole recorded run).

        charts_later: the metric charts take the snapshot at the next frame without a new picture (or
        `CHARTS_WAIT_S` later at the latest). Redrawing them costs as much as a picture of the view (each
        evaluation moves every chart's axes), and the two in one frame made the slowest frames."""
        self._last_snapshot = snap
        view = self.view1d if snap.dim == 1 else self.view2d
        if self.lab_stack.currentWidget() is not view:
            self.lab_stack.setCurrentWidget(view)
        current = self.tabs.currentWidget()
        if current is self.lab_stack:
            view.set_snapshot(snap)
        elif current is self.compare_view:
            self.compare_view.set_snapshot(snap)
        elif current is self.inspector:
            self.inspector.set_snapshot(snap)
        self._sync_gan_combo(snap)
        self._show_loss(snap)
        if not self.loss_dock.visibleRegion().isEmpty() or self.loss_dock.isFloating():
            self.loss_panel.set_snapshot(snap)
        self.info_panel.set_snapshot(snap)
        # waiting since the oldest picture not yet charted: a steady stream of pictures delays them at most
        # CHARTS_WAIT_S, never for good
        since = self._charts_pending[2] if self._charts_pending is not None else time.perf_counter()
        self._charts_pending = (history if history is not None else snap,
                                snap.step if history is not None else None, since)
        if not charts_later:
            self._draw_charts()
        self._update_parts()          # the data's dimension, a dock dragged over another, D* now available
        self.status_step.setText(f"step {snap.step:,}" if live else f"step {snap.step:,} (recorded)")
        self.status_device.setText(f"device: {snap.device}")
        if live:
            self._live_effects(snap)

    def _draw_charts(self) -> None:
        snap, cursor, _ = self._charts_pending
        self._charts_pending = None
        self.metrics_panel.set_snapshot(snap)
        self.metrics_panel.set_cursor(cursor)

    def _live_effects(self, snap: Snapshot) -> None:
        msg = snap.message or self.session.error or ""
        if msg:
            self.banner.show_message(msg)
        elif snap.step > 0 and self._remember is not None:
            self.store.setValue("lastScenario", self._remember)
            self._remember = None
        self._sync_play_button(snap)

    def _sync_play_button(self, snap: Snapshot) -> None:
        running = snap.running or self.session.playing
        # Pictures made before a Pause or Play reached the training process still say what was true then:
        # the button keeps what the user asked for until the session agrees. The session's word wins when it
        # paused itself on an error (the picture says why) or a second after the request.
        wanted, asked_at = self._play_intent
        if running != self.play_action.isChecked() and (running == wanted or bool(snap.message) and not running
                                                         or time.monotonic() - asked_at > 1.0):
            self._set_playing(running)

    # -- commands -------------------------------------------------------------------------
    def _guard(self, fn) -> bool:
        try:
            fn()
        except (SettingsError, S.ScenarioError, ValueError) as e:
            self.show_error(str(e))
            return False
        return True

    def _controls_gan(self, sc: Optional[S.Scenario] = None) -> int:
        """The GAN of `sc` (the session's scenario) whose training settings the Controls show and set: the one
        the toolbar's GAN list shows."""
        return min(self.view2d.index, len((sc or self.session.scenario).panel_settings()) - 1)

    def _fill_controls(self, sc: S.Scenario) -> None:
        """Show a scenario (opened, loaded, reset to) in the Controls."""
        self.controls.set_scenario(sc)
        self._show_controls_gan(sc)

    def _show_controls_gan(self, sc: Optional[S.Scenario] = None) -> None:
        """Fill the Controls' training settings with those of the GAN they set, say which it is, and mark its
        panel in the Compare tab."""
        sc = sc or self.session.scenario
        settings, i = sc.panel_settings(), self._controls_gan(sc)
        self.compare_view.set_chosen(i if len(settings) > 1 else -1)
        self.controls.set_train(settings[i])
        self.controls.set_gan(sc.panel_labels()[i], i, len(settings))

    def _on_train(self, changes: dict) -> None:
        # One GAN of several: the Controls set the GAN the toolbar shows (the session gives the fields that
        # lockstep GANs share to all of them); of a single GAN, that GAN.
        if self._guard(lambda: self.session.set_train(self._controls_gan(), **changes)):
            self.controls.set_error("")

    def _on_panel_edited(self, index: int, changes: dict) -> None:
        # A change made in Compare's editor to the GAN the Controls set shows there too, and so does one
        # to a field every GAN shares
        shown = changes if index == self._controls_gan() else {k: v for k, v in changes.items()
                                                                 if k in SHARED_FIELDS}
        if shown:
            self.controls.show_changes(shown)

    def _on_seed(self, seed: int) -> None:
        self._pending_seed = seed
        self._set_message(f"Seed {seed} takes effect on Reset (R).")

    def _on_reset(self) -> None:
        if self._pending_seed is not None:
            self.session.set_seed(self._pending_seed)
            self._pending_seed = None
        else:
            self.session.reset()
        self.rewind.replacing()
        self._set_message("")
        self.banner.reset()

    def _on_play(self, checked: bool) -> None:
        self._play_intent = (checked, time.monotonic())
        if checked:
            self.session.play()
        else:
            self.session.pause()
        self._set_playing(checked)

    def _set_playing(self, on: bool) -> None:
        self.play_action.blockSignals(True)
        self.play_action.setChecked(on)
        self.play_action.blockSignals(False)
        self.play_action.setText("Pause" if on else "Play")
        self.play_action.setIcon(self.style().standardIcon(
            QtWidgets.QStyle.SP_MediaPause if on else QtWidgets.QStyle.SP_MediaPlay))

    def _sync_layer_action(self, key: str, layer: str, on: bool) -> None:
        a = self.layer_actions.get((key, layer))
        if a is not None and a.isChecked() != on:
            a.blockSignals(True)
            a.setChecked(on)
            a.blockSignals(False)

    def _set_message(self, text: str, error: bool = False) -> None:
        self.status_message.setText(text)
        color = self.theme.highlight if error else self.theme.foreground
        self.status_message.setStyleSheet(f"color: {color};" + (" font-weight: bold;" if error else ""))

    def show_error(self, text: str) -> None:
        """One sentence in the banner above the views, until dismissed; the run goes on."""
        self.banner.show_message(text)
        self.controls.set_error(text)

    # -- files --------------------------------------------------------------------------------
    def open_scenario(self, name_or_path: str) -> bool:
        """Load a scenario (or a recorded .ganviz run); a bad file leaves the current run untouched and says why."""
        if str(name_or_path).lower().endswith(".ganviz"):
            return self.rewind.open(str(name_or_path))
        try:
            sc = S.load(name_or_path)
            self.session.load(sc)
        except S.ScenarioError as e:
            self.show_error(str(e))
            return False
        except Exception as e:   # a bug the loader let through: said and logged, the run goes on
            where = log_exception(e, f"opening {name_or_path}")
            self.show_error(f"{name_or_path}: could not be opened ({type(e).__name__}: {e})"
                            + (f"; details: {where}" if where else ""))
            return False
        self.banner.reset()
        self.rewind.reset(sc)
        self.rewind.replacing()
        self.drawer.forget()
        self._fill_controls(sc)
        self.controls.set_error("")
        is_file = Path(str(name_or_path)).is_file()
        self.path = str(Path(name_or_path).resolve()) if is_file else None
        self._remember = self.path or str(name_or_path)
        if is_file:
            self._add_recent(self.path)
        self._seen = -1
        self._set_playing(False)
        self.show_view_of(sc)
        self._set_message(f"Opened {sc.name}.")
        self._update_title(sc)
        return True

    def load_scenario_for_run(self, sc: S.Scenario) -> bool:
        """Open a recorded run's scenario (paused): the timeline then shows the run's frames."""
        try:
            self.session.load(sc)
        except S.ScenarioError as e:
            self.show_error(str(e))
            return False
        self.rewind.replacing()
        self.banner.reset()
        self.drawer.forget()
        self._fill_controls(sc)
        self.path = None
        self._seen = -1
        self._set_playing(False)
        self.show_view_of(sc)
        self._update_title(sc)
        return True

    def pause_for_rewind(self) -> None:
        """Scrubbing the past pauses training (the live run waits at its step)."""
        if self.play_action.isChecked() or self.session.playing:
            self._on_play(False)

    def set_status(self, text: str) -> None:
        self._set_message(text)

    def export_job(self, scenario, out, **options):
        """An export job from the window's factory (the dialog's default imports torch only when called)."""
        from ganviz.export.factory import export_job
        return (self._export_job_factory or export_job)(scenario, out, **options)

    def save_run(self) -> None:
        self.rewind.save()

    def show_view_of(self, sc: S.Scenario) -> None:
        """The tab a scenario asks for (its `view`); a game scenario also sets up the game lab."""
        if sc.view != "exercise":
            self.inspector.show_training(sc.name)     # the Step inspector summarises the run's last steps
        if sc.view == "game" and self.game_view is not None:
            if sc.game and hasattr(self.game_view, "load_game"):
                self.game_view.load_game(sc.game)
            self.tabs.setCurrentWidget(self.game_view)
        elif sc.view == "exercise":
            self.inspector.load(sc.exercise)
            self.tabs.setCurrentWidget(self.inspector)
        elif sc.view == "compare" or len(sc.panels) > 1:
            self.tabs.setCurrentWidget(self.compare_view)
        else:
            self.tabs.setCurrentWidget(self.lab_stack)
        self._sync_training_actions()      # the inspector may have changed between exercise and training

    def export_dialog(self):
        """The Export dialog, on a copy of the running scenario with its current settings; it renders
        without touching the live run."""
        from ganviz.ui.export_dialog import ExportDialog

        dlg = ExportDialog(self.session.scenario, self.theme, self, job_factory=self._export_job_factory,
                           gan=self.view2d.index)
        dlg.exported.connect(lambda path: self._set_message(f"Exported {path}."))
        dlg.setAttribute(QtCore.Qt.WA_DeleteOnClose)
        dlg.open()
        return dlg

    def open_dialog(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open scenario", self._folder(),
                                                        "Scenarios and runs (*.toml *.ganviz);;Scenarios (*.toml);;"
                                                        "Recorded runs (*.ganviz)")
        if path:
            self.open_scenario(path)

    def save(self) -> None:
        if self.path is None:
            self.save_as()
        else:
            self.save_to(self.path)

    def save_as(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save scenario", self._folder(), "Scenarios (*.toml)")
        if path:
            if not path.endswith(".toml"):
                path += ".toml"
            self.save_to(path)

    def save_to(self, path: str) -> bool:
        sc = self.session.scenario
        try:
            S.save(sc, path)
        except S.ScenarioError as e:
            self.show_error(str(e))
            return False
        self.path = str(Path(path).resolve())
        self.store.setValue("lastScenario", self.path)
        self._add_recent(self.path)
        self._set_message(f"Saved {self.path}.")
        self._update_title(sc)
        return True

    def _folder(self) -> str:
        return str(Path(self.path).parent) if self.path else str(Path.home())

    def _recent(self) -> list[str]:
        v = self.store.value("recentFiles", [])
        if isinstance(v, str):
            v = [v]
        return [p for p in (v or []) if isinstance(p, str)]

    def _add_recent(self, path: str) -> None:
        items = [path] + [p for p in self._recent() if p != path]
        self.store.setValue("recentFiles", items[:MAX_RECENT])
        self._refresh_recent()

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        items = self._recent()
        for p in items:
            a = self.recent_menu.addAction(p)
            a.triggered.connect(lambda _=False, q=p: self.open_scenario(q))
        self.recent_menu.setEnabled(bool(items))

    def _update_title(self, sc: Optional[S.Scenario] = None) -> None:
        sc = sc or self.session.scenario
        where = f" \u2014 {Path(self.path).name}" if self.path else ""
        self.setWindowTitle(f"ganviz \u2014 {sc.name}{where}")

    def dragEnterEvent(self, e: QtGui.QDragEnterEvent) -> None:
        if any(u.toLocalFile().endswith(".toml") for u in e.mimeData().urls()):
            e.acceptProposedAction()

    def dropEvent(self, e: QtGui.QDropEvent) -> None:
        for u in e.mimeData().urls():
            if u.toLocalFile().endswith((".toml", ".ganviz")):
                self.open_scenario(u.toLocalFile())
                e.acceptProposedAction()
                return

    # -- look ------------------------------------------------------------------------------------
    def _on_dark(self, on: bool) -> None:
        self.theme = THEMES["dark" if on else "light"]
        self.store.setValue("theme", self.theme.name)
        self._apply_theme()

    def _apply_theme(self) -> None:
        t = self.theme
        for w in self._themed():
            w.set_theme(t)
        pal = QtGui.QPalette()
        if t.name == "dark":
            bg, fg, base = QtGui.QColor("#202328"), QtGui.QColor(t.foreground), QtGui.QColor("#16181C")
            for role, c in ((QtGui.QPalette.Window, bg), (QtGui.QPalette.WindowText, fg),
                            (QtGui.QPalette.Base, base), (QtGui.QPalette.AlternateBase, bg),
                            (QtGui.QPalette.Text, fg), (QtGui.QPalette.Button, bg),
                            (QtGui.QPalette.ButtonText, fg), (QtGui.QPalette.ToolTipBase, base),
                            (QtGui.QPalette.ToolTipText, fg), (QtGui.QPalette.Highlight, QtGui.QColor(t.d)),
                            (QtGui.QPalette.HighlightedText, QtGui.QColor("#FFFFFF"))):
                pal.setColor(role, c)
        else:
            pal = QtWidgets.QApplication.style().standardPalette()
        QtWidgets.QApplication.instance().setPalette(pal)

    def _themed(self):
        ws = [self.view1d, self.view2d, self.compare_view, self.loss_panel, self.info_panel, self.metrics_panel,
              self.controls, self.banner, self.timeline]
        if self.game_view is not None:
            ws.append(self.game_view)
        ws.append(self.inspector)
        return ws

    def set_presentation(self, on: bool) -> None:
        """Large fonts, controls hidden, full screen: for the lecture hall."""
        self.presentation = bool(on)
        for w in self._themed():
            w.set_presentation(self.presentation)
        self.controls_dock.setVisible(not on)
        self.menuBar().setVisible(not on)
        f = self.font()
        f.setPointSizeF(15 if on else 10)
        self.toolbar.setFont(f)
        self.statusBar().setFont(f)
        if on:
            self._was_maximized = self.isMaximized()
            self.showFullScreen()
        else:
            self.showMaximized() if getattr(self, "_was_maximized", False) else self.showNormal()
        if self.presentation_action.isChecked() != on:
            self.presentation_action.setChecked(on)

    def _about(self) -> None:
        from ganviz import __version__

        QtWidgets.QMessageBox.about(
            self, "About ganviz",
            f"<b>ganviz {__version__}</b><br>A desktop lab for watching GANs learn: p_data, p_g, D and D*, "
            "the gradients that move the fakes, game dynamics and mode collapse, live.")

    # -- shutdown ------------------------------------------------------------------------------
    def closeEvent(self, e: QtGui.QCloseEvent) -> None:
        self._closing = True
        self.timer.stop()
        self.hide()                  # gone at once; the training process is stopped behind it
        self.session.stop(1.5)
        if not self.presentation:
            if self._lab_docks_visible is not None:
                # closed on the game lab or the inspector: save the lab's docks as the user left them,
                # not as those tabs hid them, or they stay hidden in every later session
                self._restore_lab_docks()
            self.store.setValue("geometry", self.saveGeometry())
            self.store.setValue("windowState", self.saveState())
        self.store.sync()
        super().closeEvent(e)

    # -- measurements for benchmarks and tests -----------------------------------------------------
    def frame_intervals_ms(self) -> np.ndarray:
        t = np.asarray(self.frame_times)
        return np.diff(t) * 1000.0
