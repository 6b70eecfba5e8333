"""Goodfellow et al. 2014, Figure 1, live: p_data, p_g, D and D* over x, and the z -> x map.

All pyqtgraph items are created once in the constructor; `set_snapshot` only
calls setData on them, so a frame costs a few cheap numpy operations.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ganviz.core.losses import LOSSES
from ganviz.engine.snapshot import Snapshot
from ganviz.ui import plotting as P
from ganviz.ui.base import SnapshotView
from ganviz.ui.theme import LIGHT, Theme

_DASH = QtCore.Qt.PenStyle.DashLine
_DOT = QtCore.Qt.PenStyle.DotLine


def d_name(loss_id: Optional[str], is_prob: bool) -> str:
    """What D's curve is, as the axis and the legend name it: a probability, an f-GAN critic T, an EBGAN
    energy, or a Wasserstein/hinge critic's score."""
    loss = LOSSES.get(loss_id) if loss_id else None
    if is_prob:
        return "D(x)"
    if loss is not None and loss.is_f_gan:
        return "critic T(x)"
    if loss is not None and getattr(loss, "is_energy", False):
        return "energy D(x)"
    return "critic D(x)"


class View1D(P.GanIndexed, P.Layered, SnapshotView, QtWidgets.QWidget):
    """Densities, discriminator and generator mapping of one 1D GAN."""

    LAYERS = ("p_data", "p_g", "d", "d_star", "d_gap", "hist", "real", "mapping")
    VIEW_NAME = "1D"
    # Emitted when a click on a legend entry shows or hides a layer, so checkboxes can follow.
    layerToggled = QtCore.Signal(str, bool)

    MAPPING_LINES = 60
    # Part of the density axis below zero where the real samples are drawn as a rug.
    RUG_BAND = 0.12
    # p_g may spike far above p_data (mode collapse); the axis stops growing at this multiple.
    Y_CAP = 4.0
    # D - D* is shaded where p_data + p_g exceeds this fraction of its peak: elsewhere neither
    # player has samples, D* is a formality and the gap is not measured.

    def __init__(self, theme: Theme = LIGHT, presentation: bool = False,
                 parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("view1d")
        self._init_view(theme, presentation)
        self._index = 0
        self._visible = {name: True for name in self.LAYERS}
        self._grid_lag = P.LagNote()
        self._fake_lag = P.LagNote()
        self._grid_key: tuple = ()
        self._edges = np.zeros(0)
        self._real_key: Optional[np.ndarray] = None
        self._rug_band: tuple[float, float] = (0.0, 0.0)
        self._z_order: Optional[np.ndarray] = None
        self._z_key: Optional[np.ndarray] = None
        self._mapping_z_key: Optional[tuple] = None    # what the z dots were last set for
        self._is_prob: Optional[bool] = None
        self._has_d_star = False
        self._compact = False
        self._x_range: tuple[float, float] = (0.0, 1.0)
        self._y_range = P.StableRange(pad=self.RUG_BAND / (1 - self.RUG_BAND), shrink_below=0.45)
        self._d_range = P.StableRange(pad=0.1, shrink_below=0.4)

        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setObjectName("view1dCanvas")
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.canvas)
        layout = self.canvas.ci

        self.legend = pg.LegendItem(colCount=len(self.LAYERS) - 1, horSpacing=6)
        self.legend.setSizePolicy(QtWidgets.QSizePolicy.Policy.Fixed, QtWidgets.QSizePolicy.Policy.Fixed)
        layout.addItem(self.legend, row=0, col=0)
        layout.layout.setAlignment(self.legend, QtCore.Qt.AlignmentFlag.AlignHCenter)
        self.plot = P.make_plot(theme, presentation)
        layout.addItem(self.plot, row=1, col=0)
        self.map_plot = P.make_plot(theme, presentation)
        layout.addItem(self.map_plot, row=2, col=0)
        layout.layout.setRowStretchFactor(1, 5)
        layout.layout.setRowStretchFactor(2, 2)
        self.map_plot.setXLink(self.plot)

        # D lives in its own ViewBox so that it keeps a [0, 1] axis on the right while the
        # densities keep theirs on the left, as in Figure 1.
        self.d_view = pg.ViewBox(enableMouse=False, enableMenu=False)
        self.d_view.setMouseEnabled(x=False, y=False)
        self.d_view.disableAutoRange()
        self.plot.showAxis("right")
        self.plot.scene().addItem(self.d_view)
        self.plot.getAxis("right").linkToView(self.d_view)
        self.d_view.setXLink(self.plot.vb)
        self.plot.vb.sigResized.connect(self._sync_d_view)

        self.item: dict[str, pg.GraphicsObject] = {}
        it = self.item
        it["hist"] = pg.PlotDataItem(name="fake samples (histogram)", stepMode="center", fillLevel=0.0,
                                     skipFiniteCheck=True)
        it["p_data"] = P.device_curve(pg.PlotDataItem(name="p_data", antialias=True, skipFiniteCheck=True))
        it["p_g"] = P.device_curve(pg.PlotDataItem(name="p_g", antialias=True, skipFiniteCheck=True))
        it["real"] = P.segmented(pg.PlotDataItem(name="real samples", connect="pairs", skipFiniteCheck=True))
        it["d"] = P.device_curve(pg.PlotDataItem(name="D(x)", antialias=True, skipFiniteCheck=True))
        it["d_half"] = pg.InfiniteLine(pos=0.5, angle=0, movable=False, name="D = 1/2")
        # connect="finite": D* is drawn where p_data or p_g has mass (P.has_mass), with gaps elsewhere
        it["d_star"] = P.device_curve(pg.PlotDataItem(name="D*(x)", antialias=True, connect="finite"))
        for key, z in (("hist", -10), ("real", -5), ("p_data", 2), ("p_g", 3)):
            it[key].setZValue(z)
            self.plot.addItem(it[key])
        for key in ("d_half", "d_star", "d"):
            self.d_view.addItem(it[key])
        # D - D*, shaded between the two curves where p_data or p_g has mass (the RMS gap's weight);
        # the edges are curves of their own, without pens. The legend shows a swatch of the fill.
        # One path built per frame (a FillBetweenItem rebuilt it at each of its two curves' updates
        # and cost the 1D view a tenth of its frames).
        self.gap_fill = QtWidgets.QGraphicsPathItem()
        self.gap_fill.setZValue(-1)
        self.d_view.addItem(self.gap_fill)
        it["d_gap"] = pg.PlotDataItem(name="D \u2212 D*")

        it["mapping"] = P.segmented(pg.PlotDataItem(name="z -> G(z)", connect="pairs", antialias=True,
                                                    skipFiniteCheck=True))
        it["mapping_z"] = pg.ScatterPlotItem(name="fixed latents z", pxMode=True)
        it["mapping_x"] = pg.ScatterPlotItem(name="G(z)", pxMode=True)
        it["z_line"] = pg.InfiniteLine(pos=0.0, angle=0, movable=False, name="z line")
        it["x_line"] = pg.InfiniteLine(pos=1.0, angle=0, movable=False, name="x line")
        for key in ("z_line", "x_line", "mapping", "mapping_z", "mapping_x"):
            self.map_plot.addItem(it[key])
        self.map_plot.setYRange(-0.25, 1.25, padding=0)
        self.map_plot.hideAxis("bottom")
        for side in ("left", "right"):
            self.map_plot.showAxis(side)
        self.map_plot.getAxis("left").setTicks([[(0.0, "z"), (1.0, "G(z)")]])
        self.map_plot.getAxis("right").setStyle(showValues=False)
        self.map_plot.getAxis("right").setTicks([])
        self.z_note = P.CornerText(self.map_plot.vb, "bottom-right", margin=2.0)

        self._add_legend((("p_data", "p_data"), ("p_g", "p_g"), ("d", "D(x)"),
                          ("d_star", "D* = p_data / (p_data + p_g)"), ("d_gap", "D \u2212 D*"),
                          ("hist", "fakes G(z)"), ("real", "real samples")))
        self._d_star_label = "D* = p_data / (p_data + p_g)"

        self.plot.setLabel("left", "density")
        self.plot.setLabel("bottom", "x")
        self.plot.setLabel("right", "D(x)")
        self.step_text = P.CornerText(self.plot.vb, "top-left")
        self._restyle()
        self._set_d_kind(True)
        self._apply_visibility()

    # ---------------------------------------------------------------- public API
    def _on_index(self, changed: bool) -> None:
        self._redraw()

    def parts(self) -> set[str]:
        """What this view draws beyond the fakes (engine.api.PARTS): D on the grid for its D curve."""
        return {"d_grid"} if self._visible["d"] else set()

    def _check(self, snap: Snapshot) -> None:
        if snap.dim != 1:
            raise ValueError(f"The 1D view cannot draw a snapshot with dim={snap.dim}.")

    def _draw(self, snap: Snapshot) -> None:
        i = min(self._index, snap.n_gans - 1)
        gx = snap.grid_x
        self._update_grid(gx, snap)
        it = self.item
        lo, hi = self._x_range

        pd = np.asarray(snap.p_data, np.float64)
        pg_i = np.asarray(snap.p_g[i], np.float64)
        # A GAN of a set whose fakes or D were never computed (step -1: a recorded run drew another GAN of the
        # set) has zeros there: not drawn.
        missing = snap.never_computed("fake", i)
        fake = snap.fake[i, :, 0] if snap.fake.shape[1] and not missing else np.zeros(0, np.float32)
        dens = self._histogram(fake)
        pd_peak = float(np.max(pd)) if pd.size and np.isfinite(pd).all() else 1.0
        peak = max(pd_peak, _finite_max(pg_i), _finite_max(dens))
        peak = min(peak, self.Y_CAP * max(pd_peak, 1e-12))
        if self._y_range.update(0.0, max(peak, 1e-12)):
            self.plot.setYRange(self._y_range.lo, self._y_range.hi, padding=0)
        ylo, yhi = self._y_range.lo, self._y_range.hi
        it["p_data"].setData(gx, P.pin(pd, ylo, yhi))
        it["p_g"].setData(gx, P.pin(pg_i, ylo, yhi))
        it["hist"].setData(self._edges, np.minimum(dens, yhi + 4 * (yhi - ylo)))
        self._update_rug(snap.real[:, 0] if snap.real.shape[0] else np.zeros(0), lo, hi)

        is_prob = bool(snap.d_is_prob[i])
        self._set_d_kind(is_prob, snap.loss_ids[i] if i < len(snap.loss_ids) else None)
        d = np.asarray(snap.d_grid[i], np.float64)
        ds = None if snap.d_star is None else np.asarray(snap.d_star[i], np.float64)
        if not is_prob:
            dlo, dhi = _finite_min(d), _finite_max(d)
            if ds is not None:
                dlo, dhi = min(dlo, _finite_min(ds)), max(dhi, _finite_max(ds))
            if self._d_range.update(dlo, dhi):
                self.d_view.setYRange(self._d_range.lo, self._d_range.hi, padding=0)
        dlo, dhi = self.d_view.viewRange()[1]
        it["d"].setData(gx, P.pin(d, dlo, dhi))
        if ds is not None:
            mass = P.has_mass(pd, pg_i)
            it["d_star"].setData(gx, np.where(mass, P.pin(ds, dlo, dhi), np.nan))
            if self._visible["d_gap"] and self._visible["d"] and self._visible["d_star"]:
                d_pinned = P.pin(d, dlo, dhi)
                edge = np.where(mass, P.pin(ds, dlo, dhi), d_pinned)
                path = pg.arrayToQPath(np.concatenate([gx, gx[::-1]]), np.concatenate([d_pinned, edge[::-1]]))
                path.closeSubpath()
                self.gap_fill.setPath(path)
        if snap.never_computed("d_grid", i):
            it["d"].setData([], [])
            self.gap_fill.setPath(QtGui.QPainterPath())
        self._has_d_star = ds is not None
        self._set_d_star_label(snap.d_star_labels[i] if i < len(snap.d_star_labels) else "")

        self._update_mapping(snap, i, fake, lo, hi)
        text = f"step {snap.step:,}"
        if snap.n_gans > 1:
            text += f"   {snap.labels[i]}"
        if bool(np.asarray(snap.diverged)[i]):
            text += "   (diverged)"
        note = P.fakes_note(self._fake_lag, snap, i)
        if note:
            text += "\n" + note
        grid_step = snap.step_of("d_grid", i)
        if self._grid_lag.of(snap, grid_step) and self._visible["d"]:
            # D on the grid may be reused for a few steps (and is computed for the GAN this view draws).
            text += f"\nD from step {grid_step:,}"
        self.step_text.set_text(text)
        self._apply_visibility()

    # ---------------------------------------------------------------- drawing helpers
    def _update_grid(self, gx: np.ndarray, snap: Snapshot) -> None:
        n = snap.fake.shape[1]
        key = (len(gx), float(gx[0]), float(gx[-1]), n)
        if key == self._grid_key:
            return
        self._grid_key = key
        lo, hi = float(gx[0]), float(gx[-1])
        if hi <= lo:
            hi = lo + 1.0
        self._x_range = (lo, hi)
        # About two bins per sqrt(n) samples: smooth enough at n = 512, still fine at n = 64.
        bins = int(np.clip(2 * np.sqrt(max(n, 1)), 20, 80))
        self._edges = np.linspace(lo, hi, bins + 1)
        self.plot.setXRange(lo, hi, padding=0)
        self._y_range.reset()
        self._d_range.reset()
        self._real_key = None
        self._z_key = None

    def _histogram(self, x: np.ndarray) -> np.ndarray:
        """Density of the fakes on the fixed bins; area = the fraction of fakes inside the grid."""
        edges = self._edges
        nb = len(edges) - 1
        if x.size == 0:
            return np.zeros(nb)
        lo, hi = edges[0], edges[-1]
        x = np.asarray(x, np.float64)
        inside = x[(x >= lo) & (x <= hi)]
        idx = np.minimum(((inside - lo) * (nb / (hi - lo))).astype(np.int64), nb - 1)
        counts = np.bincount(idx, minlength=nb)
        return counts / (x.size * (hi - lo) / nb)

    def _update_rug(self, real: np.ndarray, lo: float, hi: float) -> None:
        ylo = self._y_range.lo
        band = (0.8 * ylo, 0.25 * ylo)
        if (self._real_key is not None and band == self._rug_band
                and self._real_key.shape == real.shape and np.array_equal(self._real_key, real)):
            return
        self._real_key, self._rug_band = np.array(real), band
        xs = np.repeat(P.pin(real, lo, hi), 2)
        ys = np.tile(np.array(band), real.size)
        self.item["real"].setData(xs, ys)

    def _update_mapping(self, snap: Snapshot, i: int, fake: np.ndarray, lo: float, hi: float) -> None:
        n = fake.size
        it = self.item
        if n == 0:
            for key in ("mapping", "mapping_z", "mapping_x"):
                it[key].setData([], [])
            self._mapping_z_key = None
            return
        z_dim = snap.z.shape[1] if snap.z.ndim == 2 else 1
        if z_dim == 1:
            # z is fixed, so its order (and the chosen lines) only change with z itself.
            z0 = snap.z[:, 0]
            if self._z_key is None or self._z_key.shape != z0.shape or not np.array_equal(self._z_key, z0):
                self._z_key = np.array(z0)
                self._z_order = np.argsort(z0, kind="stable")
            order = self._z_order
        else:
            # A 1D line cannot show a multi-dimensional z; ordering latents by their image gives
            # the monotone (quantile) picture of how G spreads mass along x.
            order = np.argsort(fake, kind="stable")
        k = min(self.MAPPING_LINES, n)
        ranks = np.round(np.linspace(0, n - 1, k)).astype(np.int64)
        sel = order[ranks]
        margin = 0.03 * (hi - lo)
        zpos = lo + margin + (hi - lo - 2 * margin) * (ranks / max(n - 1, 1))
        gz = P.pin(fake[sel], lo, hi)
        xs = np.empty(2 * k)
        xs[0::2], xs[1::2] = zpos, gz
        ys = np.empty(2 * k)
        ys[0::2], ys[1::2] = 0.0, 1.0
        it["mapping"].setData(xs, ys)
        # the z dots sit at fixed places (their ranks): set again only when those change
        z_key = (k, n, lo, hi)
        if z_key != self._mapping_z_key:
            self._mapping_z_key = z_key
            it["mapping_z"].setData(zpos, np.zeros(k))
        it["mapping_x"].setData(gz, np.ones(k))
        self.z_note.set_text("" if z_dim == 1 else f"z is {z_dim}-D: latents placed in the order of G(z)")

    def _set_d_kind(self, is_prob: bool, loss_id: Optional[str] = None) -> None:
        name = d_name(loss_id, is_prob)
        if (is_prob, name) == (self._is_prob, getattr(self, "_d_name", None)):
            return
        self._is_prob, self._d_name = is_prob, name
        self.plot.setLabel("right", name)
        label = self.legend.getLabel(self.item["d"])
        if label is not None:
            label.setText(name)
            self.legend.updateSize()
        if is_prob:
            # Same fraction below zero as the density axis, so D = 0 sits on the density's zero line.
            r = self.RUG_BAND / (1 - self.RUG_BAND)
            self.d_view.setYRange(-r, 1 + r, padding=0)
        else:
            self._d_range.reset()

    def _set_d_star_label(self, text: str) -> None:
        """The legend names the optimum of the loss on screen (smoothing, hinge's sign, instance noise)."""
        if not text or text == self._d_star_label:
            return
        self._d_star_label = text
        label = self.legend.getLabel(self.item["d_star"])
        if label is not None:
            label.setText(text)
            self.legend.updateSize()

    def resizeEvent(self, ev: QtGui.QResizeEvent) -> None:
        super().resizeEvent(ev)
        compact = P.is_compact(self.height())
        if compact != self._compact:
            # A short view (a 560x350 export): smaller legend text in tighter rows, so that it takes
            # two rows instead of three and the plots keep the height.
            self._compact = compact
            self._style_legend()
        self._fit_legend()

    def _style_legend(self) -> None:
        P.style_legend(self.legend, self._theme, self._presentation, frame_alpha=0.0,
                       compact=self._compact)

    def _fit_legend(self) -> None:
        """As many legend columns as the width holds: one row in the app, two or three in a small export."""
        available = self.canvas.width() - 16
        if available <= 0:
            return
        entries = len(self._legend_entries)
        for cols in range(entries, 0, -1):
            if self.legend.columnCount != cols:
                self.legend.setColumnCount(cols)
            self.legend.updateSize()
            if self.legend.layout.preferredWidth() <= available:
                break

    def _sync_d_view(self) -> None:
        self.d_view.setGeometry(self.plot.vb.sceneBoundingRect())
        self.d_view.linkedViewChanged(self.plot.vb, self.d_view.XAxis)

    # ---------------------------------------------------------------- layers, theme
    def _apply_visibility(self) -> None:
        v = self._visible
        it = self.item
        for key in ("p_data", "p_g", "hist", "real", "d"):
            it[key].setVisible(v[key])
        it["d_half"].setVisible(v["d"] and bool(self._is_prob))
        it["d_star"].setVisible(v["d_star"] and self._has_d_star)
        it["d_gap"].setVisible(v["d_gap"])
        self.gap_fill.setVisible(v["d_gap"] and v["d"] and v["d_star"] and self._has_d_star)
        if self.map_plot.isVisible() != v["mapping"]:
            # A hidden item keeps its row in a QGraphicsGridLayout; give the row's height back.
            self.map_plot.setVisible(v["mapping"])
            grid = self.canvas.ci.layout
            grid.setRowMaximumHeight(2, 1e6 if v["mapping"] else 0.0)
            grid.setRowStretchFactor(2, 2 if v["mapping"] else 0)

    def _restyle(self) -> None:
        t, s = self._theme, P.sizes(self._presentation)
        self.canvas.setBackground(t.background)
        for plot in (self.plot, self.map_plot):
            P.style_plot(plot, t, self._presentation)
            for side in ("left", "right"):
                plot.getAxis(side).setWidth(s.axis_width)
        self.plot.getAxis("bottom").setHeight(s.axis_height)
        for side in ("left", "right"):
            self.map_plot.getAxis(side).setPen(P.pen(t.background, 0.0, alpha=0.0))
        self.map_plot.getAxis("left").setStyle(tickFont=P.font(s.label_pt))
        self._style_legend()
        self.step_text.set_style(t, s.text_pt)

        it = self.item
        it["p_data"].setPen(P.pen(t.p_data, s.line))
        it["p_g"].setPen(P.pen(t.p_g, s.line))
        it["d"].setPen(P.pen(t.d, s.line, _DASH))
        it["d_star"].setPen(P.pen(t.d_star, s.line * 0.8, _DOT))
        self.gap_fill.setBrush(P.brush(t.d_star, 0.22))
        self.gap_fill.setPen(QtGui.QPen(QtCore.Qt.PenStyle.NoPen))
        it["d_gap"].setPen(None)
        it["d_gap"].setFillLevel(0.0)
        it["d_gap"].setBrush(P.brush(t.d_star, 0.22))
        it["d_half"].setPen(P.pen(t.foreground, s.thin, _DOT, alpha=0.35, over=t.background))
        it["hist"].setPen(P.pen(t.fake, s.thin, alpha=0.45, over=t.background))
        it["hist"].setFillBrush(P.brush(t.fake, 0.18))
        it["real"].setPen(P.pen(t.real, s.thin, alpha=0.55, over=t.background))
        # 1 px on purpose: Qt draws these long antialiased diagonals ~100x slower when wider.
        it["mapping"].setPen(P.pen(t.arrow, 1.0, alpha=0.8 if self._presentation else 0.55, over=t.background))
        it["mapping_z"].setPen(None)
        it["mapping_z"].setBrush(P.brush(t.foreground, 0.8))
        it["mapping_z"].setSize(s.small_marker + 1)
        it["mapping_x"].setPen(None)
        it["mapping_x"].setBrush(P.brush(t.fake))
        it["mapping_x"].setSize(s.small_marker + 2)
        for key in ("z_line", "x_line"):
            it[key].setPen(P.pen(t.foreground, s.thin, alpha=0.6, over=t.background))
        self.z_note.set_style(t, s.tick_pt)
        self.legend.update()


def _finite_max(a: np.ndarray) -> float:
    a = a[np.isfinite(a)]
    return float(a.max()) if a.size else 0.0


def _finite_min(a: np.ndarray) -> float:
    a = a[np.isfinite(a)]
    return float(a.min()) if a.size else 0.0
