"""Scrolling metric plots against the generator step, stacked with linked x axes.

Curves are created once per (metric, GAN) and then only fed with `setData`;
NaN entries (a metric not defined at that step) leave gaps rather than lines.
"""
from __future__ import annotations


from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QScrollArea, QVBoxLayout, QWidget

from ganviz.core.metric_info import METRICS, SE_SUFFIX, SLOW_KEYS
from ganviz.engine.snapshot import Snapshot
from ganviz.ui import plotting as P
from ganviz.ui.base import SnapshotView
from ganviz.ui.theme import LIGHT, Theme

# Qt strokes 1-px lines on a fast path; at 1.6 px eight noisy GANs took ~4x longer to draw.
LINE_WIDTH = 1.0
# A log axis cannot show an estimate at or below 0 (JS or KL near convergence reads 0 ± its error):
# values and bands below this are drawn at it; the info panel has the number itself.
LOG_FLOOR = 1e-4
# Opacity of the standard-error bands.
BAND_ALPHA = 60
# With every GAN drawn, colour says which GAN and the dash says which metric.
DASHES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine, Qt.PenStyle.DashDotLine)
DASH_GLYPHS = ("\u2500\u2500", "\u2013 \u2013", "\u00b7\u00b7\u00b7", "\u2013\u00b7\u2013")


@dataclass(frozen=True)
class Series:
    key: str                          # a METRIC_KEYS entry
    name: str                         # legend text (HTML)
    colour: Callable[[Theme], str]    # its colour when one GAN is drawn


@dataclass(frozen=True)
class PlotSpec:
    id: str
    title: str
    series: tuple[Series, ...]
    log_y: bool = False
    y_range: Optional[tuple[float, float]] = None
    step: bool = False
    only_2d: bool = False


PLOTS: tuple[PlotSpec, ...] = (
    PlotSpec("losses", "Losses", (
        Series("d_loss", "D", lambda t: t.d),
        Series("g_loss", "G", lambda t: t.fake),
    )),
    # Divergences shrink by orders of magnitude as p_g closes in, and W1 lives on another
    # scale (data units) than JS (at most log 2): a log axis shows all four.
    PlotSpec("divergences", "Divergences (log; bands \u00b1 1 standard error)", (
        Series("js", METRICS["js"].html, lambda t: t.series(0)),
        Series("kl_data_g", METRICS["kl_data_g"].html, lambda t: t.series(1)),
        Series("kl_g_data", METRICS["kl_g_data"].html, lambda t: t.series(2)),
        Series("w1", METRICS["w1"].html, lambda t: t.series(4)),
    ), log_y=True),
    PlotSpec("d_output", "Mean D output", (
        Series("d_real", "D(real)", lambda t: t.real),
        Series("d_fake", "D(fake)", lambda t: t.fake),
    ), y_range=(0.0, 1.0)),
    PlotSpec("d_gap", "D against its optimum: RMS of D \u2212 D<sup>*</sup>", (
        Series("d_gap", METRICS["d_gap"].html, lambda t: t.d),
    )),
    PlotSpec("grad_norms", "Gradient norms (log)", (
        Series("grad_norm_g", "\u2016\u2207G\u2016", lambda t: t.fake),
        Series("grad_norm_d", "\u2016\u2207D\u2016", lambda t: t.d),
    ), log_y=True),
    PlotSpec("modes", "Modes captured", (
        Series("modes", "modes", lambda t: t.d),
    ), step=True, only_2d=True),
    PlotSpec("hq_frac", "High-quality samples", (
        Series("hq_frac", "fraction", lambda t: t.real),
    ), y_range=(0.0, 1.0)),
)


# A plot in a picture (an export) gets at least this many pixels for its data, or is left out.
STATIC_MIN_DATA_PX = 80


class MetricsPanel(P.GanIndexed, SnapshotView, QWidget):
    """Metric history of one GAN (`index`) or of all GANs (`show_all`), one titled plot per group."""

    _static = False     # a picture (an export): see set_static

    def __init__(self, theme: Theme = LIGHT, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("metricsPanel")
        self._init_view(theme)
        self._index = 0
        self._show_all = False
        self._config: Optional[tuple] = None
        self._probability = True
        self._fingerprint: Optional[tuple] = None
        self._title_parts: dict[str, list[str]] = {}
        self._member_parts: list[str] = []
        self._titles_width = -1
        self._drawn: list[tuple[str, int]] = []

        self._view = pg.GraphicsLayoutWidget()
        # In a short panel (or in presentation mode) the plots keep a readable height
        # and scroll, rather than squeezing their titles onto each other.
        self._scroll = QScrollArea()
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self._scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._scroll.setWidget(self._view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._scroll)
        self._view.ci.layout.setVerticalSpacing(2)

        # Which colour is which GAN, shown only when several are drawn.
        self.member_legend = pg.LabelItem(justify="left")
        self._view.addItem(self.member_legend, row=0, col=0)
        self.member_legend.setVisible(False)

        self.plots: dict[str, pg.PlotItem] = {}
        self.curves: dict[tuple[str, int], pg.PlotDataItem] = {}
        # (metric, GAN) -> the band's lower and upper edges and the fill between them.
        self.bands: dict[tuple[str, int], tuple] = {}
        self._infinite: frozenset = frozenset()
        self._spec_of_key: dict[str, PlotSpec] = {}
        first: Optional[pg.PlotItem] = None
        for row, spec in enumerate(PLOTS, start=1):
            plot = self._view.addPlot(row=row, col=0,
                                      axisItems={"left": P.LogAxis("left")} if spec.log_y else None)
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.setLogMode(y=spec.log_y)
            if spec.y_range is not None:
                plot.setYRange(*spec.y_range, padding=0.02)
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            self.plots[spec.id] = plot
            for s in spec.series:
                self._spec_of_key[s.key] = spec

        self.equilibrium = pg.InfiniteLine(pos=0.5, angle=0, movable=False, label="\u00bd",
                                           labelOpts={"position": 0.02, "anchors": [(0, 1), (0, 1)]})
        self.plots["d_output"].addItem(self.equilibrium)
        self.mode_ceiling = pg.InfiniteLine(pos=1.0, angle=0, movable=False, label="K = {value:.0f}",
                                            labelOpts={"position": 0.02, "anchors": [(0, 0), (0, 0)]})
        self.plots["modes"].addItem(self.mode_ceiling)
        # The moment the views show when the timeline goes back: a vertical line over the whole run's curves.
        self.cursors = {}
        for pid, plot in self.plots.items():
            line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#D62728", width=1.5))
            line.setVisible(False)
            line.setZValue(20)
            plot.addItem(line, ignoreBounds=True)
            self.cursors[pid] = line
        self._restyle()

    # -- public API -------------------------------------------------------------------------

    def set_cursor(self, step: Optional[int]) -> None:
        """Mark `step` on every chart (a recorded moment shown), or no mark (None: the live run)."""
        for line in self.cursors.values():
            if step is None:
                line.setVisible(False)
            else:
                line.setPos(step)
                line.setVisible(True)

    def _on_index(self, changed: bool) -> None:
        self._redraw()

    @property
    def show_all(self) -> bool:
        """Draw every GAN of the snapshot, each in its own colour."""
        return self._show_all

    @show_all.setter
    def show_all(self, on: bool) -> None:
        self._show_all = bool(on)
        self._redraw()

    # -- drawing ----------------------------------------------------------------------------

    def _curve(self, key: str, member: int) -> pg.PlotDataItem:
        """The long-lived curve of metric `key` for GAN `member`, created on first use."""
        item = self.curves.get((key, member))
        if item is None:
            spec = self._spec_of_key[key]
            item = pg.PlotDataItem(connect="finite", stepMode="left" if spec.step else None)
            # A long ring buffer in a narrow panel: draw at most about two points per pixel.
            item.setDownsampling(auto=True, method="peak")
            item.setClipToView(True)
            self.plots[spec.id].addItem(item)
            self.curves[(key, member)] = item
            if METRICS[key].estimated and key != "modes":
                lo, hi = pg.PlotDataItem(connect="finite"), pg.PlotDataItem(connect="finite")
                band = pg.FillBetweenItem(lo, hi)
                band.setZValue(item.zValue() - 1)
                # The edges go in the plot too (without pens), so that they take its log mode.
                for part in (lo, hi, band):
                    self.plots[spec.id].addItem(part)
                self.bands[(key, member)] = (lo, hi, band)
        return item

    def _members(self, snap: Snapshot) -> list[int]:
        if self._show_all:
            return list(range(snap.n_gans))
        return [min(self._index, snap.n_gans - 1)]

    def _draw(self, snap: Snapshot) -> None:
        if snap.n_gans == 0:
            return
        members = self._members(snap)
        probability = all(bool(snap.d_is_prob[m]) for m in members)
        config = (self._show_all, tuple(members), tuple(snap.labels), snap.dim, len(snap.means), probability)
        if config != self._config:
            self._config = config
            self._probability = probability
            self._configure(snap, members)
            self._fingerprint = None
        # Snapshots come up to 60 times a second but the history grows only at each
        # evaluation: redrawing unchanged curves would cost most of a frame.
        fingerprint = self._history_fingerprint(snap)
        if fingerprint == self._fingerprint:
            return
        self._fingerprint = fingerprint
        has_data: dict[str, bool] = {spec.id: False for spec in PLOTS}
        for key, member in self._drawn:
            values = snap.history.get(key)
            x = np.asarray(snap.steps_of(key), dtype=np.float64)
            if values is None or len(x) == 0:
                self.curves[(key, member)].setData(x=np.empty(0), y=np.empty(0))
                continue
            y = np.asarray(values[member], dtype=np.float64)
            spec = self._spec_of_key[key]
            shown = np.where(np.isinf(y), np.nan, y)
            if spec.log_y:
                shown = np.where(shown < LOG_FLOOR, LOG_FLOOR, shown)
            self.curves[(key, member)].setData(x=x, y=shown)
            self._draw_band(snap, key, member, x, y, spec.log_y)
            has_data[spec.id] = has_data[spec.id] or bool(np.isfinite(y).any())
        self._set_plot_visibility(snap, has_data, empty=len(snap.history_steps) == 0)
        infinite = frozenset((k, m) for k, m in self._drawn
                             if k in snap.history and snap.history[k].shape[1] and np.isinf(snap.history[k][m][-1]))
        if infinite != self._infinite:
            self._infinite = infinite
            self._restyle()

    def _draw_band(self, snap: Snapshot, key: str, member: int, x: np.ndarray, y: np.ndarray, log_y: bool) -> None:
        """The ± 1 standard error band around an estimated metric's curve."""
        band = self.bands.get((key, member))
        if band is None:
            return
        lo_item, hi_item, _ = band
        se = snap.history.get(key + SE_SUFFIX)
        if se is None or len(x) == 0:
            lo_item.setData(x=np.empty(0), y=np.empty(0))
            hi_item.setData(x=np.empty(0), y=np.empty(0))
            return
        e = np.asarray(se[member], dtype=np.float64)
        ok = np.isfinite(y) & np.isfinite(e)
        lo, hi = np.where(ok, y - e, np.nan), np.where(ok, y + e, np.nan)
        if log_y:
            lo, hi = np.maximum(lo, LOG_FLOOR), np.maximum(hi, LOG_FLOOR)
        lo_item.setData(x=x, y=lo)
        hi_item.setData(x=x, y=hi)

    def _history_fingerprint(self, snap: Snapshot) -> tuple:
        steps = np.asarray(snap.history_steps)
        if len(steps) == 0:
            return (0,)
        slow = np.asarray(snap.steps_of(SLOW_KEYS[0]))
        tails = b"".join(np.asarray(snap.history[key][member][-1:], np.float64).tobytes()
                         for key, member in self._drawn if key in snap.history)
        return len(steps), int(steps[0]), int(steps[-1]), len(slow), int(slow[-1]) if len(slow) else -1, tails

    def _configure(self, snap: Snapshot, members: list[int]) -> None:
        """Pens, titles and which curves are drawn: only when the GANs shown or their kind change."""
        wanted = [(s.key, m) for spec in PLOTS for s in spec.series for m in members]
        for key_member, item in self.curves.items():
            if key_member not in wanted:
                item.setData(x=np.empty(0), y=np.empty(0))
                item.setVisible(False)
                if key_member in self.bands:
                    for part in self.bands[key_member]:
                        part.setVisible(False)
        for key, member in wanted:
            self._curve(key, member).setVisible(True)
            for part in self.bands.get((key, member), ()):
                part.setVisible(True)
        self._drawn = wanted

        k = len(snap.means)
        self.mode_ceiling.setValue(k)
        self.plots["modes"].setYRange(0.0, max(k, 1) * 1.12, padding=0.0)
        d_output = self.plots["d_output"]
        if self._probability:
            self.equilibrium.setVisible(True)
            d_output.setYRange(0.0, 1.0, padding=0.02)
        else:
            # Critic scores are unbounded: there is no 1/2 to reach.
            self.equilibrium.setVisible(False)
            d_output.enableAutoRange(axis="y")
        self._restyle()

    def _set_plot_visibility(self, snap: Snapshot, has_data: dict[str, bool], empty: bool) -> None:
        visible = []
        changed = False
        # A picture cannot scroll: it shows the plots, in order, that fit at a readable height.
        # (less the step axis under the lowest plot and the rows' spacing)
        room = self.height() - 50
        for spec in PLOTS:
            show = not (spec.only_2d and snap.dim != 2) and (empty or has_data[spec.id])
            plot = self.plots[spec.id]
            if show and self._static:
                need = plot.titleLabel.effectiveSizeHint(Qt.SizeHint.MinimumSize).height() + STATIC_MIN_DATA_PX
                show = need <= room
                room -= need
            if plot.isVisible() != show:
                plot.setVisible(show)
                changed = True
                if show and spec.id == "modes":
                    # An InfiniteLine's label skips updates while hidden.
                    self.mode_ceiling.label.valueChanged()
            if show:
                visible.append(plot)
        # Only the lowest plot carries the step axis: the x axes are linked, so one is enough.
        for plot in self.plots.values():
            bottom = plot is (visible[-1] if visible else None)
            if plot.getAxis("bottom").isVisible() != bottom:
                plot.showAxis("bottom", bottom)
        if changed:
            self._update_min_height()
        if self._static:
            P.refit(self._view)   # the plots that stay share exactly the panel's height

    def set_static(self, on: bool) -> None:
        """For a picture (an export): no scroll bar; the plots share the panel's height, however short."""
        self._static = bool(on)
        self._scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff if on
                                                else Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self._update_titles()

    def _update_min_height(self) -> None:
        if self._static:
            self._view.setMinimumHeight(0)
            return
        visible = [plot for plot in self.plots.values() if plot.isVisible()]
        data_height = 70 * P.sizes(self._presentation).panel_line ** 0.5
        total = sum(p.titleLabel.effectiveSizeHint(Qt.SizeHint.MinimumSize).height() + data_height
                    for p in visible)
        if visible:
            total += visible[-1].getAxis("bottom").height()
        if self.member_legend.isVisible():
            total += self.member_legend.effectiveSizeHint(Qt.SizeHint.MinimumSize).height()
        total += 2 * (len(visible) + 1) + 20
        self._view.setMinimumHeight(int(total))

    def _restyle(self) -> None:
        theme, pres = self._theme, self._presentation
        self._view.setBackground(theme.background)
        size = P.sizes(pres).panel_pt
        width = LINE_WIDTH * P.sizes(pres).panel_line
        snap = self._snap
        members = self._members(snap) if snap is not None and snap.n_gans else [self._index]
        several = self._show_all

        for spec in PLOTS:
            plot = self.plots[spec.id]
            P.style_panel_plot(plot, theme, pres)
            plot.getAxis("left").setWidth(self._axis_width())
            plot.setLabel("bottom", "step")
            title = spec.title
            if spec.id == "d_output" and not self._probability:
                title = "Mean critic score"
            parts = [f"<b>{title}</b>"]
            for j, s in enumerate(spec.series):
                name = METRICS[s.key].html_for(snap.dim) if snap is not None and s.key in METRICS else s.name
                if any((s.key, m) in self._infinite for m in members):
                    name += " = inf"
                if len(spec.series) > 1:
                    parts.append(f"{DASH_GLYPHS[j]} {name}" if several
                                 else f'<span style="color:{s.colour(theme)}">\u2501 {name}</span>')
                for m in members:
                    if (s.key, m) not in self.curves:
                        continue
                    colour = theme.series(m) if several else s.colour(theme)
                    if several:
                        pen = pg.mkPen(colour, width=width, style=DASHES[j % len(DASHES)])
                    else:
                        pen = pg.mkPen(colour, width=width)
                    self.curves[(s.key, m)].setPen(pen)
                    if (s.key, m) in self.bands:
                        fill = pg.mkColor(colour)
                        fill.setAlpha(BAND_ALPHA)
                        lo, hi, band = self.bands[(s.key, m)]
                        lo.setPen(None)
                        hi.setPen(None)
                        band.setBrush(pg.mkBrush(fill))
            self._title_parts[spec.id] = parts
            dim = snap.dim if snap is not None else 2
            plot.setToolTip("\n\n".join(f"{METRICS[s.key].label_for(dim)}: {METRICS[s.key].description}"
                                        for s in spec.series if s.key in METRICS))

        font = P.panel_font(size)
        guide = pg.mkPen(theme.foreground, width=P.sizes(pres).panel_line, style=Qt.PenStyle.DashLine)
        for line in (self.equilibrium, self.mode_ceiling):
            line.setPen(guide)
            line.label.setColor(theme.foreground)
            line.label.setFont(font)

        if several and snap is not None:
            self._member_parts = [f'<span style="color:{theme.series(m)}">\u2501 {snap.labels[m]}</span>'
                                  for m in members]
        else:
            self._member_parts = []
        self._update_titles()

    def _update_titles(self) -> None:
        """Titles and legends, wrapped to the panel's width so that they never widen it."""
        theme, size = self._theme, P.sizes(self._presentation).panel_pt
        # The panel's own width (the inner view is resized later, by the layout), less a
        # scroll bar that may appear.
        bar = 0 if self._static else self._scroll.verticalScrollBar().sizeHint().width()
        available = max(self.width() - 24 - bar, 120)
        self._titles_width = self.width()
        # A plot's title sits over its view box only, to the right of the left axis.
        title_width = max(available - self._axis_width(), 120)
        for spec in PLOTS:
            html = P.wrap_html(self._title_parts[spec.id], title_width, size)
            P.set_title(self.plots[spec.id], html, theme.foreground, size)
        if self._member_parts:
            html = P.wrap_html(self._member_parts, available, size)
            self.member_legend.setText(html, color=theme.foreground, size=f"{size}pt")
            self.member_legend.setVisible(True)
        else:
            self.member_legend.setText("")
            self.member_legend.setVisible(False)
        self._update_min_height()
        P.refit(self._view)

    def _axis_width(self) -> int:
        # Equal left axes keep the stacked plots' x axes aligned to the pixel.
        return int(round(4.2 * P.sizes(self._presentation).panel_pt))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.width() != self._titles_width:
            self._update_titles()

