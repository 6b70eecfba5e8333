"""The generator's cost as a function of D(G(z)) (Goodfellow's NIPS 2016 tutorial, Fig. 16).

With a probability-reading loss selected, every probability-reading generator loss of the
registry is drawn against D(G(z)) in (0, 1); the selected one is highlighted and the current
batch's fakes sit on it as markers, with a histogram of their D values underneath, so a class
sees the fakes pile up on the flat end of the saturating loss. A loss with no probability reading
(a Wasserstein or hinge critic, an f-GAN, EBGAN's energy) is drawn in its own units instead
(`ganviz.core.losses.loss_shape`): G's cost and, where they shape the game, D's costs, against
D's raw output, the fakes on G's cost.

The slope toggle (`lossSlopeToggle`) draws each cost's derivative with respect to D's raw output
(its logit for the cross-entropy losses): what backprop hands from G's loss to D's output on a
fake, and on through D's network to G. The saturating loss is flat where D(G(z)) -> 0, the
non-saturating where D(G(z)) -> 1, the log-ratio constant (exercise 2.1 of the ETH sheet).
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QVBoxLayout, QWidget

from ganviz.core.losses import (LOSSES, LossShape, default_span, get_loss, loss_shape, loss_shape_curves,
                                loss_shape_slopes)
from ganviz.engine.snapshot import Snapshot
from ganviz.ui import plotting as P
from ganviz.ui.base import SnapshotView
from ganviz.ui.theme import LIGHT, Theme

# The ML loss -D/(1-D) reaches -1000 near D = 1 and the log losses +-6.9 at the
# ends of the grid; this window keeps all their informative parts readable.
Y_RANGE = (-5.0, 5.0)
# Slopes against D's logit: minimax -D and non-saturating -(1 - D) in [-1, 0], the log-ratio -1,
# ML's -D/(1 - D) down to -3 at D = 3/4, LSGAN's score 2D - 1 up to 1.
SLOPE_RANGE = (-3.0, 1.5)
# A loss in its own units: the costs' window is fitted to them, but never beyond this.
OWN_CAP = 10.0
HIST_BINS = 25
# Costs of one loss in its own units: G's, then D's on a real and on a fake (hinge, EBGAN).
OWN_CURVES = 3
SLOPE_TEXT = "Slope: \u2202J/\u2202(D's raw output)"
SLOPE_TIP = ("Draw each cost's slope with respect to D's raw output on a fake (its logit f for the "
             "cross-entropy losses): what backprop hands from G's loss to D's output and on through D's "
             "network to G. Minimax's \u2212D is flat where D(G(z)) \u2192 0 (a confident D early in training "
             "stalls G), the non-saturating \u2212(1 \u2212 D) flat where D(G(z)) \u2192 1, the log-ratio's "
             "\u22121 the same everywhere.")


class LossShapePanel(P.GanIndexed, SnapshotView, QWidget):
    """Generator cost (or its slope) against D's output on a fake, with the live fakes on it."""

    def __init__(self, theme: Theme = LIGHT, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("lossShapePanel")
        self._init_view(theme)
        self._index = 0
        self._loss_id: Optional[str] = None
        self._slope = False
        self._margin = 1.0
        self._shape: Optional[LossShape] = None      # the selected loss in its own units (no probability)
        self._span: Optional[tuple[float, float]] = None
        self._text_width = -1
        self._labels: tuple[str, ...] = ()              # the axis labels, left and bottom, whole

        self._d, self._g_of_d = loss_shape_curves()
        _, self._slope_of_d = loss_shape_slopes()
        self._bin_edges = np.linspace(0.0, 1.0, HIST_BINS + 1)

        self.slope_toggle = QCheckBox(SLOPE_TEXT)
        self.slope_toggle.setObjectName("lossSlopeToggle")
        self.slope_toggle.setToolTip(SLOPE_TIP)
        self.slope_toggle.toggled.connect(self.set_slope)
        self._view = pg.GraphicsLayoutWidget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        bar = QHBoxLayout()
        bar.setContentsMargins(8, 2, 8, 0)
        bar.addWidget(self.slope_toggle)
        bar.addStretch(1)
        layout.addLayout(bar)
        layout.addWidget(self._view, 1)
        self._view.ci.layout.setVerticalSpacing(0)

        self._plot = self._fixed_plot(row=0)
        self._plot.getAxis("bottom").setStyle(showValues=False)

        self.curves: dict[str, pg.PlotDataItem] = {
            loss_id: self._plot.plot(self._d, y, connect="finite") for loss_id, y in self._g_of_d.items()
        }
        self.own_curves: list[pg.PlotDataItem] = [self._plot.plot([], [], connect="finite")
                                                  for _ in range(OWN_CURVES)]
        self.zero_line = pg.InfiniteLine(pos=0.0, angle=0, movable=False)
        self.zero_line.setZValue(0)
        self._plot.addItem(self.zero_line)
        # The margin of EBGAN, an f-GAN's p_data = p_g: where the costs change their meaning.
        # Named in the legend: inside the plot every place for a label is some curve's or some fake's.
        self.mark_line = pg.InfiniteLine(angle=90, movable=False)
        self.mark_line.setZValue(5)
        self.mark_line.setVisible(False)
        self._plot.addItem(self.mark_line)
        self.markers = pg.ScatterPlotItem()
        self.markers.setZValue(20)
        self._plot.addItem(self.markers)

        # The histogram has its own short plot under the curves so that it never hides them.
        self._rug = self._fixed_plot(row=1)
        self._rug.setXLink(self._plot)
        self._rug.setYRange(0.0, 1.0, padding=0.0)
        self._rug.getAxis("left").setStyle(showValues=False)
        self._rug.getAxis("left").setTicks([[]])
        self.hist = pg.PlotCurveItem(self._bin_edges, np.zeros(HIST_BINS), stepMode="center", fillLevel=0.0)
        self._rug.addItem(self.hist)

        # Below the axes rather than inside them: every corner of the plot holds some
        # loss's curve or the fakes of some batch.
        self.legend = pg.LabelItem(justify="left")
        self._view.addItem(self.legend, row=2, col=0)

        self._set_axes()
        self._restyle()

    def _fixed_plot(self, row: int) -> pg.PlotItem:
        plot = self._view.addPlot(row=row, col=0)
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        return plot

    # -- public API -------------------------------------------------------------------------

    def _on_index(self, changed: bool) -> None:
        self._draw_markers()

    @property
    def loss_id(self) -> Optional[str]:
        return self._loss_id

    @property
    def slope(self) -> bool:
        """Whether the panel draws the costs' slopes (True) or the costs (False)."""
        return self._slope

    @property
    def shape(self) -> Optional[LossShape]:
        """The selected loss in its own units, or None for a probability-reading loss."""
        return self._shape

    @property
    def title(self) -> str:
        """What the panel draws, for its dock's title: G's cost against D(G(z)) for a probability-reading
        loss, the costs against D's raw output (a critic's score, an energy) otherwise."""
        if self._loss_id is not None and not LOSSES[self._loss_id].has_probability:
            return "Losses vs D's raw output"
        return "Generator loss vs D(G(z))"

    def set_loss(self, loss_id: str) -> None:
        """Highlight the curve of `loss_id`, or draw a loss with no probability reading in its own units."""
        get_loss(loss_id)  # an unknown id raises one clear sentence naming it
        self._loss_id = loss_id
        self._span = None
        self._rebuild_shape()

    def set_slope(self, on: bool) -> None:
        """Draw the slopes with respect to D's raw output (True) or the costs (False)."""
        on = bool(on)
        if self.slope_toggle.isChecked() != on:
            self.slope_toggle.setChecked(on)      # comes back here through `toggled`
            return
        if on == self._slope:
            return
        self._slope = on
        self._set_axes()
        self._apply_highlight()
        self._update_text()
        self._draw_markers()

    # -- drawing ----------------------------------------------------------------------------

    def _draw(self, snap: Snapshot) -> None:
        margin = self._snapshot_margin(snap)
        if margin != self._margin:
            self._margin = margin
            self._span = None
            if self._shape is not None:
                self._rebuild_shape()
                return
        if self._shape is not None and self._widen_span(snap):
            self._rebuild_shape(keep_span=True)
            return
        self._draw_markers()

    def _gan(self, snap: Snapshot) -> int:
        return min(self._index, snap.n_gans - 1)

    def _snapshot_margin(self, snap: Snapshot) -> float:
        settings = snap.extra.get("settings") if isinstance(snap.extra, dict) else None
        if not settings or snap.n_gans == 0:
            return self._margin
        try:
            margin = float(settings[self._gan(snap)].get("margin", 1.0))
        except (IndexError, AttributeError, TypeError, ValueError):
            return self._margin
        return margin if np.isfinite(margin) and margin > 0 else self._margin

    def _fake_axis(self, snap: Snapshot) -> Optional[np.ndarray]:
        """The fakes' D outputs on the selected loss's x axis, or None where they do not belong on it."""
        if self._loss_id is None or snap.n_gans == 0:
            return None
        i = self._gan(snap)
        d = np.asarray(snap.fake_d[i], dtype=np.float64)
        d = d[np.isfinite(d)]
        # The loss menu can run a frame ahead of the training thread: a critic's scores have no place
        # on a probability axis, nor another loss's outputs on this loss's own units.
        if self._shape is None:
            return d if bool(snap.d_is_prob[i]) else None
        if i >= len(snap.loss_ids) or snap.loss_ids[i] != self._loss_id:
            return None
        with np.errstate(all="ignore"):
            x = self._shape.axis_of(d)
        return x[np.isfinite(x)]

    def _widen_span(self, snap: Snapshot) -> bool:
        """Widen the own-units axis to where the fakes are (a critic's constant is free); True if it changed."""
        x = self._fake_axis(snap)
        if x is None or x.size == 0:
            return False
        lo0, hi0 = self._span or default_span(self._loss_id, self._margin)
        # The bulk of the fakes, not a stray one: 1 % may fall outside.
        q_lo, q_hi = np.percentile(x, [1.0, 99.0])
        lo, hi = min(lo0, float(q_lo)), max(hi0, float(q_hi))
        if LOSSES[self._loss_id].is_energy:
            lo = 0.0
        if (lo, hi) == (lo0, hi0):
            return False
        pad = 0.05 * (hi - lo)
        self._span = (lo - pad if lo < lo0 else lo, hi + pad if hi > hi0 else hi)
        return True

    def _rebuild_shape(self, keep_span: bool = False) -> None:
        loss = LOSSES[self._loss_id] if self._loss_id else None
        if loss is None or loss.has_probability:
            self._shape = None
        else:
            self._shape = loss_shape(self._loss_id, self._margin, span=self._span if keep_span else None)
            self._span = (float(self._shape.x[0]), float(self._shape.x[-1]))
        self._set_axes()
        self._apply_highlight()
        self._update_text()
        self._draw_markers()

    def _own_range(self) -> tuple[float, float]:
        ys = [c.slope if self._slope else c.value for c in self._shape.curves]
        lo = min(0.0, min(float(np.min(y)) for y in ys))
        hi = max(0.0, max(float(np.max(y)) for y in ys))
        lo, hi = max(lo, -OWN_CAP), min(hi, OWN_CAP)
        if hi - lo < 1.0:
            mid = 0.5 * (hi + lo)
            lo, hi = mid - 0.5, mid + 0.5
        pad = 0.08 * (hi - lo)
        return lo - pad, hi + pad

    def _set_axes(self) -> None:
        """Ranges, axis labels, the family's or the own curves' data and the marked line."""
        shape, slope = self._shape, self._slope
        if shape is None:
            x0, x1 = 0.0, 1.0
            y0, y1 = SLOPE_RANGE if slope else Y_RANGE
            left = ("slope \u2202J(G)/\u2202f, f = D's logit" if slope
                    else f"G's cost J(G)  (clipped at \u00b1{Y_RANGE[1]:g})")
            bottom = "D(G(z))  (this batch)"
            for loss_id, curve in self.curves.items():
                curve.setData(self._d, self._slope_of_d[loss_id] if slope else self._g_of_d[loss_id])
                curve.setVisible(True)
            for curve in self.own_curves:
                curve.setData([], [])
                curve.setVisible(False)
            self.mark_line.setVisible(False)
        else:
            x0, x1 = float(shape.x[0]), float(shape.x[-1])
            y0, y1 = self._own_range()
            left = f"slope \u2202(cost)/\u2202{shape.wrt.split()[-1]}" if slope else "cost"
            bottom = shape.x_label
            for curve in self.curves.values():
                curve.setVisible(False)
            for k, curve in enumerate(self.own_curves):
                if k < len(shape.curves):
                    c = shape.curves[k]
                    curve.setData(shape.x, P.pin(c.slope if slope else c.value, y0, y1))
                    curve.setVisible(True)
                else:
                    curve.setData([], [])
                    curve.setVisible(False)
            if shape.marks:
                self.mark_line.setPos(shape.marks[0][0])
            self.mark_line.setVisible(bool(shape.marks))
        self._plot.setXRange(x0, x1, padding=0.0)
        self._plot.setYRange(y0, y1, padding=0.0)
        self._labels = (left, bottom)
        self._plot.setLabel("left", self._fitted_label("left"))
        self._rug.setLabel("bottom", self._fitted_label("bottom"))
        self._bin_edges = np.linspace(x0, x1, HIST_BINS + 1)
        # The axis labels keep the theme's colour and size.
        P.style_panel_plot(self._plot, self._theme, self._presentation)
        P.style_panel_plot(self._rug, self._theme, self._presentation)
        self._rug.showGrid(x=True, y=False, alpha=self._theme.grid_alpha)
        self._fix_axis_widths()

    def _fitted_label(self, side: str) -> str:
        """An axis label whole where it fits the panel, else without its parenthesis (the title says
        the units; a narrow dock cut "critic score v  (no probability)" off at the right)."""
        text = self._labels[0 if side == "left" else 1]
        if side == "left":
            room = self._plot.getViewBox().height() or self.height() / 2
        else:
            room = self.width() - self._axis_width() - 16
        if "  (" in text and P.html_width(text, P.sizes(self._presentation).panel_pt) > room:
            return text.split("  (")[0]
        return text

    def _refit_labels(self) -> None:
        """Shorten or restore the axis labels and the slope toggle after the panel was resized."""
        toggle = self.slope_toggle
        room = self.width() - toggle.iconSize().width() - 28
        text = SLOPE_TEXT if toggle.fontMetrics().horizontalAdvance(SLOPE_TEXT) <= room else SLOPE_TEXT.split(":")[0]
        if toggle.text() != text:
            toggle.setText(text)
        for plot, side in ((self._plot, "left"), (self._rug, "bottom")) if self._labels else ():
            text = self._fitted_label(side)
            if plot.getAxis(side).labelText != text:
                plot.setLabel(side, text)
                P.style_panel_plot(plot, self._theme, self._presentation)
        self._fix_axis_widths()

    def _selected_probability_loss(self) -> Optional[str]:
        if self._loss_id is None or not LOSSES[self._loss_id].has_probability:
            return None
        return self._loss_id

    def _axis_width(self) -> int:
        return int(round(6.7 * P.sizes(self._presentation).panel_pt))

    def _fix_axis_widths(self) -> None:
        # Equal left axes keep the histogram's x aligned with the curves' x.
        for plot in (self._plot, self._rug):
            plot.getAxis("left").setWidth(self._axis_width())

    def _restyle(self) -> None:
        theme, pres = self._theme, self._presentation
        scale = P.sizes(pres).panel_line
        self._view.setBackground(theme.background)
        self.slope_toggle.setStyleSheet(f"QCheckBox {{ color: {theme.foreground}; "
                                        f"font-size: {P.sizes(pres).panel_pt}pt; }}")
        self.setStyleSheet(f"#lossShapePanel {{ background: {theme.background}; }}")
        self.setAutoFillBackground(True)
        for plot in (self._plot, self._rug):
            P.style_panel_plot(plot, theme, pres)
        self._fix_axis_widths()
        self._rug.showGrid(x=True, y=False, alpha=theme.grid_alpha)
        self._rug.setFixedHeight(self._rug.getAxis("bottom").height() + 40 * scale ** 0.5)
        fill = pg.mkColor(theme.fake)
        fill.setAlpha(110)
        self.hist.setPen(pg.mkPen(theme.fake, width=scale))
        self.hist.setBrush(fill)
        self.markers.setSize(8 * scale ** 0.6)
        self.markers.setBrush(pg.mkBrush(theme.fake))
        self.markers.setPen(pg.mkPen(theme.background, width=scale))
        faint = pg.mkColor(theme.foreground)
        faint.setAlpha(90)
        self.zero_line.setPen(pg.mkPen(faint, width=scale))
        self.mark_line.setPen(pg.mkPen(theme.highlight, width=scale, style=Qt.PenStyle.DashLine))
        self._apply_highlight()
        self._update_text()

    def _own_colour(self, k: int) -> str:
        # G's cost in the selected loss's colour of the family view, D's costs in D's colour.
        return self._theme.highlight if k == 0 else self._theme.d

    def _apply_highlight(self) -> None:
        selected = self._selected_probability_loss()
        scale = P.sizes(self._presentation).panel_line
        for i, (loss_id, curve) in enumerate(self.curves.items()):
            colour = pg.mkColor(self._theme.series(i))
            # Whole-pixel widths: without antialiasing 1.5 px draws as 1 or 2 px by chance.
            if loss_id == selected:
                curve.setPen(pg.mkPen(colour, width=4 * scale))
                curve.setZValue(10)
            else:
                colour.setAlpha(255 if selected is None else 130)
                curve.setPen(pg.mkPen(colour, width=(2 if selected is None else 1) * scale))
                curve.setZValue(1)
        styles = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine)
        for k, curve in enumerate(self.own_curves):
            curve.setPen(pg.mkPen(self._own_colour(k), width=(4 if k == 0 else 2) * scale, style=styles[k]))
            curve.setZValue(10 - k)

    def _update_text(self) -> None:
        """Title and legend, wrapped to the panel's width so that they never widen it."""
        theme, size = self._theme, P.sizes(self._presentation).panel_pt
        self._text_width = self.width()
        title_width = max(self.width() - self._axis_width() - 24, 120)
        shape = self._shape
        what = "Slope of G's cost" if self._slope else "Generator cost"
        if shape is None:
            head = [f"<b>{what} vs D(G(z))</b>", "(Goodfellow 2016, Fig. 16)"]
        else:
            head = [f"<b>{what} vs D's output</b>", f"({shape.loss.name}: its own units)"]
        P.set_title(self._plot, P.wrap_html(head, title_width, size), theme.foreground, size)
        entries = []
        if shape is None:
            selected = self._selected_probability_loss()
            for i, loss_id in enumerate(self.curves):
                name = LOSSES[loss_id].name
                if loss_id == selected:
                    name = f"<b>{name}</b>"
                entries.append(f'<span style="color:{theme.series(i)}">\u2501\u2501</span>&nbsp;{name}')
            if self._slope:
                entries.append("slope: with respect to D's logit f (LSGAN: its score)")
        else:
            glyphs = ("\u2501\u2501", "\u2505\u2505", "\u2509\u2509")
            for k, c in enumerate(shape.curves):
                label = f"<b>{c.label}</b>" if c.generator else c.label
                entries.append(f'<span style="color:{self._own_colour(k)}">{glyphs[k]}</span>&nbsp;{label}')
            for _, text in shape.marks:
                entries.append(f'<span style="color:{theme.highlight}">\u2506</span>&nbsp;{text}')
            if self._slope:
                entries.append(f"slope: with respect to {shape.wrt}")
            if shape.loss.is_f_gan:
                entries.append(f"T = g<sub>f</sub>(v) = {shape.loss.activation_text}")
        legend_size = size * 0.9
        # 40 px: the label item's own margins, or a legend's last character is cut at the right
        self.legend.setText(P.wrap_html(entries, max(self.width() - 40, 120), legend_size),
                            color=theme.foreground, size=f"{legend_size:.1f}pt")
        P.refit(self._view)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.width() != self._text_width:
            self._update_text()
        self._refit_labels()

    def _draw_markers(self) -> None:
        snap = self._snap
        x = None if snap is None else self._fake_axis(snap)
        if x is None:
            self._clear_markers()
            return
        if self._shape is None:
            loss = LOSSES[self._loss_id]
            with np.errstate(all="ignore"):
                y = loss.g_slope_of_d(x) if self._slope else loss.g_of_d(x)
        else:
            with np.errstate(all="ignore"):
                y = self._shape.g_at(x, slope=self._slope)
        (x0, x1), (y0, y1) = self._plot.viewRange()
        P.move_points(self.markers, np.column_stack([P.pin(x, x0, x1), P.pin(y, y0, y1)]))
        # Fakes beyond the axis count in its end bins.
        counts, _ = np.histogram(np.clip(x, self._bin_edges[0], self._bin_edges[-1]), bins=self._bin_edges)
        peak = max(int(counts.max()), 1) if counts.size else 1
        self.hist.setData(self._bin_edges, counts / peak * 0.95)
        self.hist.setVisible(True)

    def _clear_markers(self) -> None:
        self.markers.setData(x=np.empty(0), y=np.empty(0))
        self.hist.setData(self._bin_edges, np.zeros(HIST_BINS))
        self.hist.setVisible(False)
