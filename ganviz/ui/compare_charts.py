"""The Compare view's two charts: modes captured against step, and high-quality samples per mode.

One curve and one set of bars per panel, in the panel's colour; the legend above the modes chart
names them (a short view drops it: the panels' headers carry the same colour swatches). Items
are made when the number of panels changes (`set_count`) and otherwise only fed with setData,
and the charts are redrawn only when the metric history moved on.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ganviz.engine.snapshot import Snapshot
from ganviz.ui import plotting as P
from ganviz.ui.compare_common import panel_colour
from ganviz.ui.theme import Theme


class ModeCharts(QtWidgets.QWidget):
    """The modes chart (`modes_widget`, "compareModesPlot") and the bars chart (`bars_widget`,
    "compareBarsPlot"), side by side or one above the other (`set_beside`)."""

    def __init__(self, theme: Theme, presentation: bool = False) -> None:
        super().__init__()
        self._theme = theme
        self._presentation = presentation
        self.mode_curves: list[pg.PlotDataItem] = []
        self.bar_items: list[pg.BarGraphItem] = []
        self._chart_key: tuple = ()
        self._legend_key: tuple = ()
        self._bar_range = P.StableRange(floor=(0.0, 10.0), pad=0.08, shrink_below=0.4)

        self.modes_chart = P.make_plot(theme)
        self.modes_chart.setAxisItems({"bottom": P.FittedAxis("bottom"), "left": P.FittedAxis("left", integer=True)})
        P.style_plot(self.modes_chart, theme, presentation)
        self.modes_widget = pg.GraphicsLayoutWidget()
        self.modes_widget.setObjectName("compareModesPlot")
        self.modes_chart.setLabel("bottom", "step")
        self.modes_chart.setLabel("left", "modes captured")
        # The legend sits above the plot: inside it, it would hide the curves it names.
        self.modes_legend = pg.LegendItem(horSpacing=10, verSpacing=-6)
        self.modes_legend.setSizePolicy(QtWidgets.QSizePolicy.Policy.Fixed, QtWidgets.QSizePolicy.Policy.Fixed)
        self.modes_widget.ci.addItem(self.modes_legend, row=0, col=0)
        self.modes_widget.ci.layout.setAlignment(self.modes_legend, QtCore.Qt.AlignmentFlag.AlignHCenter)
        self.modes_widget.ci.addItem(self.modes_chart, row=1, col=0)
        # pyqtgraph draws a left axis's label 5 px left of the axis: a smaller margin clips the
        # label's first letter ("modes captured" read "nodes captured").
        self.modes_widget.ci.setContentsMargins(8, 2, 8, 2)
        self.all_modes = pg.InfiniteLine(angle=0, movable=False)
        self.modes_chart.addItem(self.all_modes)

        self.bars_chart = P.make_plot(theme)
        self.bars_chart.setAxisItems({"left": P.FittedAxis("left", integer=True)})
        self.bars_widget = pg.GraphicsLayoutWidget()
        self.bars_widget.ci.addItem(self.bars_chart, row=0, col=0)
        self.bars_widget.ci.setContentsMargins(8, 2, 8, 2)
        self.bars_widget.setObjectName("compareBarsPlot")
        self.bars_chart.setLabel("bottom", "mode")
        self.bars_chart.setLabel("left", "HQ samples")
        self.box = QtWidgets.QBoxLayout(QtWidgets.QBoxLayout.Direction.LeftToRight, self)
        self.box.setContentsMargins(0, 0, 0, 0)
        self.box.addWidget(self.modes_widget, 1)
        self.box.addWidget(self.bars_widget, 1)
        self.modes_widget.installEventFilter(self)

    # ------------------------------------------------------------------ series
    def set_count(self, m: int) -> None:
        """One curve and one set of bars for each of `m` panels."""
        self._chart_key = ()
        while len(self.mode_curves) > m:
            self.modes_chart.removeItem(self.mode_curves.pop())
            self.bars_chart.removeItem(self.bar_items.pop())
        while len(self.mode_curves) < m:
            i = len(self.mode_curves)
            # Separate segments stroke far faster than one long antialiased path, and a history of
            # thousands of evaluations needs no more than a couple of points per pixel.
            curve = P.segmented(pg.PlotDataItem(antialias=True))
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
            self.modes_chart.addItem(curve)
            self.mode_curves.append(curve)
            bars = pg.BarGraphItem(x=[0.0], height=[0.0], width=0.1, pen=None)
            self.bars_chart.addItem(bars)
            self.bar_items.append(bars)
            self._style_series(i)
        self._legend_key = ()

    def set_snapshot(self, snap: Snapshot) -> None:
        """The legend when the panels' labels change; the curves and bars when the history moved on."""
        steps = snap.history_steps
        k = len(snap.means)
        key = (snap.n_gans, k, len(steps), int(steps[0]) if len(steps) else -1,
               int(steps[-1]) if len(steps) else -1, snap.step if not len(steps) else 0)
        legend_key = (snap.labels, k)
        if legend_key != self._legend_key:
            self._legend_key = legend_key
            self.modes_legend.clear()
            for curve, label in zip(self.mode_curves, snap.labels):
                self.modes_legend.addItem(curve, str(label))
            P.style_legend(self.modes_legend, self._theme, self._presentation)
            self.fit_legend()
            self.all_modes.setValue(k)
            self.modes_chart.setYRange(0.0, k + max(0.5, 0.08 * k), padding=0)
            self.bars_chart.setXRange(0.4, k + 0.6, padding=0)
            self.bars_chart.getAxis("bottom").setTicks([[(j + 1, str(j + 1)) for j in
                                                         range(0, k, max(1, math.ceil(k / 12)))]])
            self._chart_key = ()
        if key == self._chart_key:
            return
        self._chart_key = key
        m = snap.n_gans
        hist = snap.history.get("modes")
        x = np.asarray(steps, np.float64)
        for i, curve in enumerate(self.mode_curves):
            y = np.asarray(hist[i], np.float64) if hist is not None and len(hist) > i else np.zeros(0)
            if len(y) == len(x) and len(x):
                curve.setData(x, y, connect="finite")
            else:
                curve.setData([], [])
        if len(x):
            lo, hi = float(x[0]), float(x[-1])
            self.modes_chart.setXRange(lo, hi if hi > lo else lo + 1.0, padding=0.02)
        width = 0.8 / max(m, 1)
        counts = np.asarray(snap.mode_counts, np.float64).reshape(m, -1)
        for i, bars in enumerate(self.bar_items):
            xs = np.arange(1, k + 1) + (i - (m - 1) / 2) * width
            bars.setOpts(x=xs, height=counts[i] if counts.shape[1] == k else np.zeros(k), width=width)
        top = float(counts.max()) if counts.size else 0.0
        if self._bar_range.update(0.0, top):
            self.bars_chart.setYRange(0.0, self._bar_range.hi, padding=0)

    # ------------------------------------------------------------------ layout
    def fit_legend(self) -> None:
        """As many legend columns (at most 4) as the chart's width holds."""
        labels = [label.text for _, label in self.modes_legend.items]
        if not labels:
            return
        fm = QtGui.QFontMetrics(P.font(P.sizes(self._presentation).legend_pt))
        column = max(fm.horizontalAdvance(t) for t in labels) + 50   # sample line and spacing
        cols = max(1, min(len(labels), 4, int((self.modes_widget.width() - 16) // column)))
        if cols != self.modes_legend.columnCount:
            self.modes_legend.setColumnCount(cols)

    def eventFilter(self, obj: QtCore.QObject, ev: QtCore.QEvent) -> bool:
        if obj is self.modes_widget and ev.type() == QtCore.QEvent.Type.Resize:
            self.fit_legend()
        return super().eventFilter(obj, ev)

    def set_beside(self, beside: bool) -> None:
        """Charts beside the panels are stacked; charts below them sit side by side."""
        self.box.setDirection(QtWidgets.QBoxLayout.Direction.TopToBottom if beside
                              else QtWidgets.QBoxLayout.Direction.LeftToRight)

    def set_short_label(self, on: bool) -> None:
        # The axis's label must fit the chart's height, or its end is cut off.
        self.modes_chart.setLabel("left", "modes" if on else "modes captured")
        self.bars_chart.setLabel("left", "HQ" if on else "HQ samples")

    def set_legend_shown(self, on: bool) -> None:
        ci = self.modes_widget.ci
        if not on:
            # A hidden item of fixed size keeps its row's height: the legend leaves the layout.
            ci.removeItem(self.modes_legend)
            self.modes_legend.setVisible(False)
        else:
            ci.addItem(self.modes_legend, row=0, col=0)
            ci.layout.setAlignment(self.modes_legend, QtCore.Qt.AlignmentFlag.AlignHCenter)
            self.modes_legend.setVisible(True)
        ci.layout.invalidate()

    # ------------------------------------------------------------------ style
    def set_style(self, theme: Theme, presentation: bool) -> None:
        self._theme, self._presentation = theme, presentation
        t, pres = theme, presentation
        s = P.sizes(pres)
        for chart, widget in ((self.modes_chart, self.modes_widget), (self.bars_chart, self.bars_widget)):
            widget.setBackground(t.background)
            P.style_plot(chart, t, pres)
            chart.getAxis("left").setWidth(s.axis_width)
            chart.getAxis("bottom").setHeight(s.axis_height)
        self.all_modes.setPen(P.pen(t.foreground, s.thin, QtCore.Qt.PenStyle.DashLine, alpha=0.4, over=t.background))
        P.style_legend(self.modes_legend, t, pres)
        self.fit_legend()
        for i in range(len(self.mode_curves)):
            self._style_series(i)

    def _style_series(self, i: int) -> None:
        t, s = self._theme, P.sizes(self._presentation)
        colour = panel_colour(t, i)
        self.mode_curves[i].setPen(P.pen(colour, s.line))
        self.bar_items[i].setOpts(brush=P.brush(colour), pen=None)
