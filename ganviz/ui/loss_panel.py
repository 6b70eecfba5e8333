"""The generator's cost as a function of D(G(z)) (Goodfellow's NIPS 2016 tutorial, Fig. 16).

Every probability-reading generator loss of the registry is drawn once; the
selected one is highlighted and the current batch's fakes sit on it as markers,
with a histogram of their D values underneath, so a class sees the fakes pile up
on the flat end of the saturating loss.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ganviz.core.losses import LOSSES, get_loss, loss_shape_curves
from ganviz.engine.snapshot import Snapshot
from ganviz.ui import plotting as P
from ganviz.ui.base import SnapshotView
from ganviz.ui.theme import LIGHT, Theme

# The ML loss -D/(1-D) reaches -1000 near D = 1 and the log losses +-6.9 at the
# ends of the grid; this window keeps all their informative parts readable.
Y_RANGE = (-5.0, 5.0)
HIST_BINS = 25
CRITIC_NOTE = "WGAN/hinge critics output a score, not a probability: G minimises \u2212D(G(z))"
F_GAN_NOTE = "f-GAN critics output T = g_f(v), not a probability: G minimises \u2212f*(T(G(z)))"
# EBGAN's G cost is the energy itself, J(G) = E(G(z)): a straight line of slope 1 against the energy, which
# needs no plot; what shapes the game is D's hinge at the margin.
EBGAN_NOTE = ("EBGAN's D outputs an energy E \u2265 0, not a probability: G minimises E(G(z)) (slope 1 "
              "everywhere); D pushes fakes' energies up to the margin m and no further")


def critic_note(loss_id: Optional[str]) -> str:
    """What the panel says in place of a curve for a loss that reads no probability."""
    if loss_id is None:
        return CRITIC_NOTE
    loss = LOSSES[loss_id]
    return F_GAN_NOTE if loss.is_f_gan else EBGAN_NOTE if loss.is_energy else CRITIC_NOTE


class LossShapePanel(P.GanIndexed, SnapshotView, QWidget):
    """Generator cost against D(G(z)) for every probability-reading loss, with the live fakes on it."""

    def __init__(self, theme: Theme = LIGHT, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("lossShapePanel")
        self._init_view(theme)
        self._index = 0
        self._loss_id: Optional[str] = None
        self._text_width = -1

        self._d, self._g_of_d = loss_shape_curves()
        self._bin_edges = np.linspace(0.0, 1.0, HIST_BINS + 1)

        self._view = pg.GraphicsLayoutWidget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._view)
        self._view.ci.layout.setVerticalSpacing(0)

        self._plot = self._fixed_plot(row=0)
        self._plot.setXRange(0.0, 1.0, padding=0.0)
        self._plot.setYRange(*Y_RANGE, padding=0.0)
        self._plot.setLabel("left", f"G's cost J(G)  (clipped at \u00b1{Y_RANGE[1]:g})")
        self._plot.getAxis("bottom").setStyle(showValues=False)

        self.curves: dict[str, pg.PlotDataItem] = {
            loss_id: self._plot.plot(self._d, y, connect="finite") for loss_id, y in self._g_of_d.items()
        }
        self.markers = pg.ScatterPlotItem()
        self.markers.setZValue(20)
        self._plot.addItem(self.markers)

        self.note = pg.TextItem(anchor=(0.5, 0.0))
        self.note.setZValue(30)
        self.note.setPos(0.5, Y_RANGE[1] - 0.3)
        self.note.setVisible(False)
        self._plot.addItem(self.note)
        self._plot.getViewBox().sigResized.connect(self._fit_note)

        # The histogram has its own short plot under the curves so that it never hides them.
        self._rug = self._fixed_plot(row=1)
        self._rug.setXLink(self._plot)
        self._rug.setYRange(0.0, 1.0, padding=0.0)
        # short: the dock is ~420 px, and the longer "(histogram: this batch's fakes)" was cut at the right
        self._rug.setLabel("bottom", "D(G(z)) of this batch")
        self._rug.setToolTip("Histogram of D(G(z)) over the fakes of the last batch: where on the curves G is now")
        self._rug.getAxis("left").setStyle(showValues=False)
        self._rug.getAxis("left").setTicks([[]])
        self.hist = pg.PlotCurveItem(self._bin_edges, np.zeros(HIST_BINS), stepMode="center", fillLevel=0.0)
        self._rug.addItem(self.hist)

        # Below the axes rather than inside them: every corner of the plot holds some
        # loss's curve or the fakes of some batch.
        self.legend = pg.LabelItem(justify="left")
        self._view.addItem(self.legend, row=2, col=0)

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

    def set_loss(self, loss_id: str) -> None:
        """Highlight the curve of `loss_id` (a critic loss highlights none and shows a note)."""
        get_loss(loss_id)  # an unknown id raises one clear sentence naming it
        self._loss_id = loss_id
        self._set_note()
        self._apply_highlight()
        self._update_text()
        self._draw_markers()

    # -- drawing ----------------------------------------------------------------------------

    def _draw(self, snap: Snapshot) -> None:
        self._draw_markers()

    def _selected_probability_loss(self) -> Optional[str]:
        if self._loss_id is None or not LOSSES[self._loss_id].has_probability:
            return None
        return self._loss_id

    def _axis_width(self) -> int:
        return int(round(6.7 * P.sizes(self._presentation).panel_pt))

    def _restyle(self) -> None:
        theme, pres = self._theme, self._presentation
        scale = P.sizes(pres).panel_line
        self._view.setBackground(theme.background)
        for plot in (self._plot, self._rug):
            P.style_panel_plot(plot, theme, pres)
            # Equal left axes keep the histogram's x aligned with the curves' x.
            plot.getAxis("left").setWidth(self._axis_width())
        self._rug.showGrid(x=True, y=False, alpha=theme.grid_alpha)
        self._rug.setFixedHeight(self._rug.getAxis("bottom").height() + 40 * scale ** 0.5)
        fill = pg.mkColor(theme.fake)
        fill.setAlpha(110)
        self.hist.setPen(pg.mkPen(theme.fake, width=scale))
        self.hist.setBrush(fill)
        self.markers.setSize(8 * scale ** 0.6)
        self.markers.setBrush(pg.mkBrush(theme.fake))
        self.markers.setPen(pg.mkPen(theme.background, width=scale))
        self.note.setColor(theme.foreground)
        self.note.fill = pg.mkBrush(theme.background)
        self.note.border = pg.mkPen(theme.highlight, width=scale)
        self._set_note()
        self._apply_highlight()
        self._update_text()

    def _set_note(self) -> None:
        size = P.sizes(self._presentation).panel_pt
        self.note.setHtml(f'<div style="font-size:{size}pt; text-align:center">{critic_note(self._loss_id)}</div>')
        self._fit_note()

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
        self.note.setVisible(self._loss_id is not None and selected is None)

    def _update_text(self) -> None:
        """Title and legend, wrapped to the panel's width so that they never widen it."""
        theme, size = self._theme, P.sizes(self._presentation).panel_pt
        self._text_width = self.width()
        title_width = max(self.width() - self._axis_width() - 24, 120)
        title = P.wrap_html(["<b>Generator cost vs D(G(z))</b>", "(Goodfellow 2016, Fig. 16)"], title_width, size)
        P.set_title(self._plot, title, theme.foreground, size)
        selected = self._selected_probability_loss()
        entries = []
        for i, loss_id in enumerate(self.curves):
            name = LOSSES[loss_id].name
            if loss_id == selected:
                name = f"<b>{name}</b>"
            entries.append(f'<span style="color:{theme.series(i)}">\u2501\u2501</span>&nbsp;{name}')
        legend_size = size * 0.9
        self.legend.setText(P.wrap_html(entries, max(self.width() - 24, 120), legend_size),
                            color=theme.foreground, size=f"{legend_size:.1f}pt")
        P.refit(self._view)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.width() != self._text_width:
            self._update_text()

    def _fit_note(self) -> None:
        width = self._plot.getViewBox().width()
        if width > 0:
            self.note.setTextWidth(0.9 * width)

    def _draw_markers(self) -> None:
        snap, selected = self._snap, self._selected_probability_loss()
        if snap is None or selected is None or snap.n_gans == 0:
            self._clear_markers()
            return
        i = min(self._index, snap.n_gans - 1)
        if not snap.d_is_prob[i]:
            # A critic's scores have no place on a probability axis.
            self._clear_markers()
            return
        d = np.asarray(snap.fake_d[i], dtype=np.float64)
        d = d[np.isfinite(d)]
        P.move_points(self.markers, np.column_stack([d, np.interp(d, self._d, self._g_of_d[selected])]))
        counts, _ = np.histogram(d, bins=self._bin_edges)
        peak = max(int(counts.max()), 1) if counts.size else 1
        self.hist.setData(self._bin_edges, counts / peak * 0.95)
        self.hist.setVisible(True)

    def _clear_markers(self) -> None:
        self.markers.setData(x=np.empty(0), y=np.empty(0))
        self.hist.setData(self._bin_edges, np.zeros(HIST_BINS))
        self.hist.setVisible(False)
