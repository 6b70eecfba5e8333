"""The Compare view: which loss drops modes? Small multiples of GANs trained in lockstep.

Each panel is one of the snapshot's M GANs (same data, same initial weights, same
noise and batches; only its own [train] settings differ): real and fake samples,
fading trails of a few fixed-z fakes, optionally D's heatmap, and a caption with
the modes it captures, the fraction of high-quality samples and the reverse KL
over modes. A shared chart plots modes captured against step for every panel and
a bar chart shows the high-quality samples per mode.

Panels can be added, removed and edited while training runs: add and remove go
through `Session.set_panels` (the panels that stay keep their weights), edits
through `Session.set_train` (live, no restart).

Items are created when the number of GANs changes and otherwise only fed with
setData; the charts are redrawn only when the metric history moved on.

This module is the view that arranges the parts (toolbar, panel grid, charts) and sends the
panels' commands to the session; the parts have modules of their own:

    compare_common   constants, the panels' colours, caption and subtitle texts
    compare_widgets  small widgets: elided title and subtitle, captions of one size, the banner
    compare_editor   a panel's inline settings editor
    compare_panel    one panel (ComparePanel)
    compare_charts   the modes-over-time and samples-per-mode charts (ModeCharts)

Their public names are imported here too, so `from ganviz.ui.compare_view import ...` reaches them.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable, Optional

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ganviz.core.losses import LOSSES
from ganviz.core.scenario import MAX_PANELS, ScenarioError
from ganviz.core.settings import SettingsError
from ganviz.engine.snapshot import Snapshot
from ganviz.ui import plotting as P
from ganviz.ui.base import SnapshotView
from ganviz.ui.compare_charts import ModeCharts
from ganviz.ui.compare_common import (CHARTS_SHARE, COLOUR_ORDER, MAX_COLUMNS, MAX_ROWS, N_TRAIL, REV_KL_TIP,
                                      SUBTITLE_FIELDS, TRAIL_LENGTH, caption_text, distinguishing, loss_changes,
                                      panel_colour)
from ganviz.ui.compare_editor import PanelEditor
from ganviz.ui.compare_panel import ComparePanel
from ganviz.ui.compare_widgets import CaptionGroup, _Banner, _ElidedButton, _ElidedLabel, _FitLabel, text_colour
from ganviz.ui.theme import LIGHT, Theme

__all__ = ["CHARTS_SHARE", "COLOUR_ORDER", "MAX_COLUMNS", "MAX_ROWS", "MAX_PANELS", "N_TRAIL", "REV_KL_TIP",
           "SUBTITLE_FIELDS", "TRAIL_LENGTH", "CaptionGroup", "CompareView", "ComparePanel", "ModeCharts",
           "PanelEditor", "caption_text", "distinguishing", "loss_changes", "panel_colour", "text_colour",
           "_Banner", "_ElidedButton", "_ElidedLabel", "_FitLabel"]


class CompareView(SnapshotView, QtWidgets.QWidget):
    """Up to eight GANs side by side, their modes captured over time and their samples per mode."""

    # (panel index, the TrainSettings fields changed): a GAN's settings changed here, sent to the session
    trainEdited = QtCore.Signal(int, dict)
    # a panel's plot was clicked: pick its GAN (the Lab tab draws it, the Controls set it)
    panelChosen = QtCore.Signal(int)

    def __init__(self, theme: Theme = LIGHT, parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareView")
        self._init_view(theme)
        self.panels: list[ComparePanel] = []
        self.captions = CaptionGroup()
        self._session: Any = None
        self._extent_key: tuple = ()
        self._real_key: Optional[np.ndarray] = None
        self._pdata_key: Optional[np.ndarray] = None
        self._settings_key: Any = None
        self._arrangement: tuple = ()
        self._compact = False
        self._chosen = -1            # the panel of the GAN the toolbar picks (set_chosen; -1: none)

        self._build_toolbar()
        self.mode_charts = ModeCharts(theme, self._presentation)
        self.grid_host = QtWidgets.QWidget()
        self.grid_host.setObjectName("comparePanels")
        self.grid = QtWidgets.QGridLayout(self.grid_host)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(6)
        self.body = QtWidgets.QBoxLayout(QtWidgets.QBoxLayout.Direction.TopToBottom)
        self.body.setSpacing(6)
        self.body.addWidget(self.grid_host, 70)
        self.body.addWidget(self.mode_charts, 30)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        lay.setSpacing(6)
        lay.addLayout(self.toolbar)
        lay.addLayout(self.body, 1)
        self.set_theme(theme)
        self._update_enabled()

    # ------------------------------------------------------------------ construction
    def _build_toolbar(self) -> None:
        bar = QtWidgets.QHBoxLayout()
        bar.setSpacing(8)
        self.add_combo = QtWidgets.QComboBox()
        self.add_combo.setObjectName("compareAddLossCombo")
        for lid, loss in LOSSES.items():
            self.add_combo.addItem(loss.name, lid)
        self.add_combo.setToolTip("The loss of the panel to add; its recommended settings come with it, "
                                  "except those all panels share")
        self.add_button = QtWidgets.QPushButton("Add panel")
        self.add_button.setObjectName("compareAddButton")
        self.add_button.setToolTip(f"Add a GAN with this loss, from the shared initial weights; the others keep "
                                   f"training (at most {MAX_PANELS} panels)")
        self.add_button.clicked.connect(self.add_panel)
        self.trails_check = QtWidgets.QCheckBox("Fixed-z trails")
        self.trails_check.setObjectName("compareTrailsCheck")
        self.trails_check.setChecked(False)   # on demand: early training makes a tangle
        self.trails_check.setToolTip(f"Where {N_TRAIL} fixed latent vectors' images have been over the last "
                                     f"{TRAIL_LENGTH} frames: mode hopping and collapse show as motion")
        self.trails_check.toggled.connect(self._apply_toggles)
        self.heat_check = QtWidgets.QCheckBox("D heatmap")
        self.heat_check.setObjectName("compareHeatmapCheck")
        self.heat_check.setToolTip("Colour each panel by its discriminator D(x) (0 = fake, 1 = real; "
                                   "critics: < 0 fake, > 0 real; an EBGAN energy: 0 real, the margin m fake)")
        self.heat_check.toggled.connect(self._heat_toggled)
        self.error_label = QtWidgets.QLabel("")
        self.error_label.setObjectName("compareError")
        self.error_label.setWordWrap(True)
        self.step_label = QtWidgets.QLabel("")
        self._grid_lag = P.LagNote()
        self.step_label.setObjectName("compareStepLabel")
        for w in (self.add_combo, self.add_button):
            bar.addWidget(w)
        bar.addSpacing(16)
        bar.addWidget(self.trails_check)
        bar.addWidget(self.heat_check)
        bar.addSpacing(16)
        bar.addWidget(self.error_label, 1)
        bar.addWidget(self.step_label)
        self.toolbar = bar

    # The charts' items, by the names tests and scripts use.
    @property
    def mode_curves(self) -> list[pg.PlotDataItem]:
        return self.mode_charts.mode_curves

    @property
    def bar_items(self) -> list[pg.BarGraphItem]:
        return self.mode_charts.bar_items

    @property
    def modes_widget(self) -> pg.GraphicsLayoutWidget:
        return self.mode_charts.modes_widget

    @property
    def bars_widget(self) -> pg.GraphicsLayoutWidget:
        return self.mode_charts.bars_widget

    @property
    def modes_chart(self) -> pg.PlotItem:
        return self.mode_charts.modes_chart

    @property
    def bars_chart(self) -> pg.PlotItem:
        return self.mode_charts.bars_chart

    # ------------------------------------------------------------------ public API
    def attach(self, session: Any) -> None:
        """Drive `session` (a ganviz.engine.session.Session) when panels are added, removed or edited; None detaches."""
        self._session = session
        self.error_label.setText("")
        self._update_enabled()

    def session(self) -> Any:
        return self._session

    def snapshot(self) -> Optional[Snapshot]:
        return self._snap

    def trails_on(self) -> bool:
        return self.trails_check.isChecked()

    def heatmap_on(self) -> bool:
        return self.heat_check.isChecked()

    def parts(self, dim: int) -> set[str]:
        """What the panels draw beyond the fakes (engine.api.PARTS) for data of `dim` dimensions: D on the
        grid for the 1D panels' D curves and for the 2D heatmaps when they are on."""
        return {"d_grid"} if dim == 1 or self.heatmap_on() else set()

    def set_presentation(self, on: bool) -> None:
        super().set_presentation(on)
        self._arrange(force=True)

    def _draw(self, snap: Snapshot) -> None:
        m = snap.n_gans
        if m != len(self.panels):
            self._set_panel_count(m)
        self._update_extent(snap)
        k = len(snap.means)
        self.captions.set_template(caption_text(k, k, 1.0, 8.88, False, self._compact))
        if snap.dim == 2:
            real = snap.real
            if self._real_key is None or self._real_key.shape != real.shape or not np.array_equal(self._real_key, real):
                self._real_key = np.array(real)
                for p in self.panels:
                    p.set_real(real)
        else:
            if self._pdata_key is None or self._pdata_key.shape != snap.p_data.shape \
                    or not np.array_equal(self._pdata_key, snap.p_data):
                self._pdata_key = np.array(snap.p_data)
                for p in self.panels:
                    p.set_p_data(snap.grid_x, snap.p_data)
        for i, p in enumerate(self.panels):
            p.draw(snap, i)
        self._update_titles(snap)
        self.mode_charts.set_snapshot(snap)
        text = f"step {snap.step:,}"
        grid_step = min(snap.step_of("d_grid", i) for i in range(snap.n_gans))
        if self._grid_lag.of(snap, grid_step) and snap.dim == 2 and self.heatmap_on():
            # Six heatmaps cost more than a picture can afford: they come less often, and say from when.
            text += f" · D heatmaps from step {grid_step:,}"
        fake_step = min(snap.step_of("fake", i) for i in range(snap.n_gans))
        if snap.fake_steps is not None and fake_step < snap.step:
            # a moment of the Lab's view of one GAN: the others' fakes are from its last picture of them
            text += (f" · some panels' fakes from step {fake_step:,}" if fake_step >= 0
                     else " · some panels' fakes not drawn at this step")
        # Small panels (three GANs or more) have D read on a coarser grid and interpolated: the box says so.
        n = len(snap.grid_x) // snap.d_grid_stride
        heat = "D heatmap" if snap.dim != 2 or snap.d_grid_stride <= 1 else f"D heatmap ({n} \u00d7 {n})"
        if heat != self.heat_check.text():
            self.heat_check.setText(heat)
        self.step_label.setText(text)

    # ------------------------------------------------------------------ panel commands
    def current_panels(self) -> list[dict]:
        """The attached session's panels (one panel of the plain [train] when it has none)."""
        sc = self._session.scenario
        return [dict(p) for p in sc.panels] if sc.panels else [{}]

    def add_panel(self, loss_id: Optional[str] = None) -> bool:
        """Add a panel with `loss_id` (default: the combo's); the others keep their weights."""
        if self._session is None:
            return False
        loss_id = loss_id or self.add_combo.currentData()
        panels = self.current_panels()
        if len(panels) >= MAX_PANELS:
            self._show_error(f"panels: at most {MAX_PANELS} panels; remove one first.")
            return False
        new = loss_changes(dataclasses.asdict(self._session.scenario.train), loss_id)
        labels = self._session.scenario.panel_labels()
        if loss_id in labels:
            n = 2
            while f"{loss_id} ({n})" in labels:
                n += 1
            new["label"] = f"{loss_id} ({n})"
        keep: list[Optional[int]] = [*range(len(panels)), None]
        return self._command(lambda: self._session.set_panels(panels + [new], keep))

    def remove_panel(self, index: int) -> bool:
        if self._session is None:
            return False
        panels = self.current_panels()
        if len(panels) <= 1:
            self._show_error("panels: the last panel cannot be removed.")
            return False
        if not 0 <= index < len(panels):
            return False
        keep: list[Optional[int]] = [j for j in range(len(panels)) if j != index]
        del panels[index]
        return self._command(lambda: self._session.set_panels(panels, keep))

    def switch_panel_loss(self, index: int, loss_id: str) -> bool:
        """Switch one GAN's loss live, with the loss's recommended settings except the shared ones."""
        if self._session is None:
            return False
        current = dataclasses.asdict(self._session.scenario.panel_settings()[index])
        return self.edit_panel(index, **loss_changes(current, loss_id))

    def edit_panel(self, index: int, **changes) -> bool:
        """Change one GAN's training settings live (Session.set_train): no restart."""
        if self._session is None:
            return False
        if not self._command(lambda: self._session.set_train(index, **changes)):
            return False
        self.trainEdited.emit(index, dict(changes))
        return True

    def _command(self, fn: Callable[[], None]) -> bool:
        try:
            fn()
        except (SettingsError, ScenarioError, ValueError) as e:
            self._show_error(str(e))
            return False
        self._show_error("")
        return True

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)

    @property
    def compact(self) -> bool:
        return self._compact

    def _update_enabled(self) -> None:
        live = self._session is not None
        m = len(self.panels)
        # Without a session (an export) the toolbar would only be clutter: the caption bar has the step.
        for w in (self.add_button, self.add_combo, self.trails_check, self.heat_check, self.step_label,
                  self.error_label):
            w.setVisible(live)
        self.add_button.setEnabled(m < MAX_PANELS)
        for p in self.panels:
            p.remove_button.setVisible(live)
            p.edit_button.setVisible(live)
            p.remove_button.setEnabled(m > 1)
            p.title.setEnabled(live)
            if not live:
                p.set_editor_visible(False)

    def set_chosen(self, index: int) -> None:
        """Mark the panel of the GAN the toolbar picks (the Lab tab draws it, the Controls set it)."""
        self._chosen = index
        for p in self.panels:
            if p.chosen != (p.index == index):
                p.chosen = p.index == index
                p.update()

    # ------------------------------------------------------------------ panels
    def _set_panel_count(self, m: int) -> None:
        # The GAN behind a surviving index may be another one now (a removal): trails restart.
        for p in self.panels:
            p.trails.clear()
        while len(self.panels) > m:
            p = self.panels.pop()
            p.caption.leave_group()
            self.grid.removeWidget(p)
            p.close()
            p.deleteLater()
        while len(self.panels) < m:
            p = ComparePanel(self, len(self.panels))
            self.panels.append(p)
            if self._extent_key:
                p.set_extent(self._extent_key[1], self._extent_key[0])
        self._real_key = None
        self._pdata_key = None
        self._settings_key = None
        self.mode_charts.set_count(m)
        self.set_chosen(self._chosen)
        self._arrange(force=True)
        self._update_enabled()

    def _update_extent(self, snap: Snapshot) -> None:
        gx = snap.grid_x
        if snap.dim == 2 and snap.grid_y is not None:
            gy = snap.grid_y
            # Pixel centres sit on the grid points, so the picture reaches half a cell beyond them.
            dx = (float(gx[-1]) - float(gx[0])) / max(len(gx) - 1, 1) or 1.0
            dy = (float(gy[-1]) - float(gy[0])) / max(len(gy) - 1, 1) or 1.0
            extent = (float(gx[0]) - dx / 2, float(gx[-1]) + dx / 2, float(gy[0]) - dy / 2, float(gy[-1]) + dy / 2)
        else:
            extent = (float(gx[0]), float(gx[-1]), 0.0, 1.0)
        key = (snap.dim, extent)
        if key == self._extent_key:
            return
        self._extent_key = key
        for p in self.panels:
            p.set_extent(extent, snap.dim)
        self._real_key = None
        self._pdata_key = None

    def _update_titles(self, snap: Snapshot) -> None:
        settings = snap.extra.get("settings") if snap.extra else None
        key = (snap.labels, snap.loss_ids, settings)
        if key == self._settings_key:
            return
        self._settings_key = key
        if not isinstance(settings, list) or len(settings) != snap.n_gans:
            settings = None
        differs = distinguishing(settings) if settings else ["" for _ in self.panels]
        for i, p in enumerate(self.panels):
            p.set_titles(str(snap.labels[i]), str(snap.loss_ids[i]), differs[i])
            if settings:
                p.show_settings(settings[i])
            elif self._session is not None:
                p.show_settings({"loss": snap.loss_ids[i]})

    # ------------------------------------------------------------------ layout
    def resizeEvent(self, ev: QtGui.QResizeEvent) -> None:
        super().resizeEvent(ev)
        self._set_compact(P.is_compact(self.height()))
        self._arrange()

    def _set_compact(self, on: bool) -> None:
        """In a short view (a 560x350 export) the modes chart drops its legend: the panels' headers
        carry the same colour swatches, and the chart keeps the height for its curves and ticks."""
        if on == self._compact:
            return
        self._compact = on
        self.mode_charts.set_short_label(on)
        self.captions.set_point_size(P.sizes(self._presentation).tick_pt if on else P.sizes(self._presentation).label_pt + 1)
        for p in self.panels:
            p.restyle()
            p._caption_key = ()   # the caption's short form
        self._redraw()
        self.mode_charts.set_legend_shown(not on)

    def _chrome(self) -> float:
        """Height of a panel's header and caption, in pixels."""
        s = P.sizes(self._presentation)
        return 2.6 * (s.tick_pt if self._compact else s.label_pt + 1) * 1.6 + 24

    def _arrange(self, force: bool = False) -> None:
        """Pick the grid (at most 4 x 2) and the charts' place (below or beside) that give the largest panels."""
        m = max(1, len(self.panels))
        w = max(1, self.width() - 16)
        toolbar = self.add_button.sizeHint().height() if self._session is not None else 0
        h = max(1, self.height() - 16 - toolbar)
        chrome = self._chrome()
        best: tuple = ()
        for beside in (False, True):
            pw, ph = (w * (1 - CHARTS_SHARE), h) if beside else (w, h * (1 - CHARTS_SHARE))
            for cols in range(math.ceil(m / MAX_ROWS), min(m, MAX_COLUMNS) + 1):
                rows = math.ceil(m / cols)
                side = min(pw / cols - 14, ph / rows - chrome)
                # Below wins ties: the step axis of the modes chart then gets the full width.
                score = side - (8 if beside else 0)
                if not best or score > best[0]:
                    best = (score, beside, cols)
        _, beside, cols = best
        arrangement = (m, beside, cols)
        if arrangement == self._arrangement and not force:
            return
        self._arrangement = arrangement
        self.body.setDirection(QtWidgets.QBoxLayout.Direction.LeftToRight if beside
                               else QtWidgets.QBoxLayout.Direction.TopToBottom)
        self.mode_charts.set_beside(beside)
        for p in self.panels:
            self.grid.removeWidget(p)
        rows = math.ceil(m / cols)
        for i, p in enumerate(self.panels):
            self.grid.addWidget(p, i // cols, i % cols)
            p.show()   # a layout shows a new child only on the next event loop pass
        for c in range(MAX_COLUMNS):
            self.grid.setColumnStretch(c, 1 if c < cols else 0)
        for r in range(MAX_ROWS):
            self.grid.setRowStretch(r, 1 if r < rows else 0)

    # ------------------------------------------------------------------ toggles, theme
    def _apply_toggles(self, *_) -> None:
        for p in self.panels:
            p.apply_toggles()

    def _heat_toggled(self, on: bool) -> None:
        self._apply_toggles()
        if on:
            self._redraw()

    def _restyle(self) -> None:
        t, pres = self._theme, self._presentation
        s = P.sizes(pres)
        self.mode_charts.set_style(t, pres)
        self.captions.set_point_size(s.tick_pt if self._compact else s.label_pt + 1)
        for p in self.panels:
            p.restyle()
        f = P.font(s.text_pt)
        for w in (self.add_combo, self.add_button, self.trails_check, self.heat_check, self.step_label):
            w.setFont(f)
        self.error_label.setFont(f)
        text_colour(self.error_label, P.qcolor(t.highlight))
        for w in (self.trails_check, self.heat_check, self.step_label):
            text_colour(w, P.qcolor(t.foreground))
        self.update()

    def paintEvent(self, ev: QtGui.QPaintEvent) -> None:
        # The gaps between panels must match the theme, in the app and in grabs.
        p = QtGui.QPainter(self)
        p.fillRect(self.rect(), P.qcolor(self._theme.background))
        p.end()

