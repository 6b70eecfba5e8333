"""The 2D lab view: D heatmap, real and fake samples, the push on each fake, G's manifold.

All pyqtgraph items are created once in the constructor; `set_snapshot` only
calls setData / setImage on them. The axis range follows the evaluation grid and
never autoscales, so the picture stays still while the points move.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ganviz.engine.snapshot import Snapshot
from ganviz.ui import plotting as P
from ganviz.ui.base import SnapshotView
from ganviz.ui.energy import energy_as_heat, energy_heat_label, energy_margin, energy_ticks
from ganviz.ui.theme import LIGHT, Theme
from ganviz.ui.trails import Trails

HEAT_SOURCES = ("d", "d_star", "d_gap")


class View2D(P.GanIndexed, P.Layered, SnapshotView, QtWidgets.QWidget):
    """A square, layered picture of one 2D GAN, in the manner of GAN Lab."""

    LAYERS = ("heatmap", "contours", "manifold", "real", "trails", "grad", "fake")
    VIEW_NAME = "2D"
    DEFAULT_VISIBLE = {"heatmap": True, "contours": False, "manifold": True, "real": True, "trails": False,
                       "grad": True, "fake": True}
    N_TRAILS = 64
    # Emitted when a click on a legend entry shows or hides a layer, so checkboxes can follow.
    layerToggled = QtCore.Signal(str, bool)

    ARROW_FRACTION = 0.08       # the longest arrow, as a fraction of the view width
    HEAD_FRACTION = 0.018       # arrowhead barb length cap, as a fraction of the view width
    HEAD_ANGLE = np.deg2rad(28.0)
    CONTOUR_LEVELS = (0.05, 0.35, 0.75)   # fractions of p_data's peak
    GRAD_LABEL = "push on fakes (\u2212\u2207L_G)"
    # In a compact (short) view the longest legend entry takes two lines, so the legend's column
    # stays narrow and the square plot can grow to the height available.
    GRAD_LABEL_COMPACT = "push on fakes<br>(\u2212\u2207L_G)"

    def __init__(self, theme: Theme = LIGHT, presentation: bool = False,
                 parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("view2d")
        self._init_view(theme, presentation)
        self._index = 0
        self._visible = dict(self.DEFAULT_VISIBLE)
        self._grid_lag = P.LagNote()
        self._fake_lag = P.LagNote()
        self._heat_source = "d"
        self._heat_shown = "d"
        self._grid_key: tuple = ()
        self._extent = (0.0, 1.0, 0.0, 1.0)
        self._rect_shape: Optional[tuple] = None
        self._real_key: Optional[np.ndarray] = None
        self._pdata_key: Optional[np.ndarray] = None
        self._manifold_connect: Optional[np.ndarray] = None
        self._levels: tuple[float, float] = (np.nan, np.nan)
        self._heat_prob: Optional[str] = None   # the heatmap's scale: "prob", "critic" or "gap"
        self._level_range = P.StableRange(pad=0.05, shrink_below=0.4)
        self._cbar_label = ""
        self._cbar_ticks: Optional[list] = None

        self.canvas = pg.GraphicsLayoutWidget(self)
        self.canvas.setObjectName("view2dCanvas")
        # Bilinear scaling turns the coarse D grid into the smooth field it approximates.
        self.canvas.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform, True)
        layout = self.canvas.ci
        layout.setContentsMargins(10, 16, 10, 8)
        self.plot = P.make_plot(theme, presentation)
        self.plot.setAspectLocked(True)
        layout.addItem(self.plot, row=0, col=0, rowspan=2)
        self.colorbar = pg.ColorBarItem(values=(0.0, 1.0), interactive=False, colorMapMenu=False, width=18)
        self.colorbar.setMenuEnabled(False)
        layout.addItem(self.colorbar, row=0, col=1, rowspan=2)
        self.legend = pg.LegendItem(verSpacing=2)
        self.legend.setSizePolicy(QtWidgets.QSizePolicy.Policy.Fixed, QtWidgets.QSizePolicy.Policy.Fixed)
        self._legend_below: Optional[bool] = None
        self._compact = False
        self._place_legend(below=False)

        self.item: dict[str, pg.GraphicsObject] = {}
        it = self.item
        it["heatmap"] = P.HeatImage(axisOrder="row-major")
        it["contours"] = P.segmented(pg.PlotDataItem(name="p_data contours", antialias=True))
        it["manifold"] = P.segmented(pg.PlotDataItem(name="G manifold", antialias=True, skipFiniteCheck=True))
        it["real"] = pg.ScatterPlotItem(name="real samples", pxMode=True, antialias=True)
        it["grad"] = P.segmented(pg.PlotDataItem(name="push on fakes", connect="pairs", antialias=True,
                                                 skipFiniteCheck=True))
        it["fake"] = pg.ScatterPlotItem(name="fakes G(z)", pxMode=True, antialias=True)
        for z, key in enumerate(("heatmap", "contours", "manifold", "real", "grad", "fake")):
            it[key].setZValue(z * 10 - 100)
            self.plot.addItem(it[key])
        # Fixed-z trails: where the first fixed latent vectors' images have been, fading with age,
        # so that mode hopping and collapse show as motion.
        self.trails = Trails(self.plot, theme.fake, n=self.N_TRAILS, length=24, background=theme.background)
        self.trails.item.setZValue(-65)          # above the real samples (-70), below the arrows (-60)
        it["trails"] = self.trails.item
        self._add_legend((("real", "real samples"), ("fake", "fakes G(z)"),
                          ("grad", self.GRAD_LABEL), ("manifold", "G manifold"),
                          ("contours", "p_data contours")))

        self.plot.setLabel("bottom", "x\u2081")
        self.plot.setLabel("left", "x\u2082")
        self.step_text = P.CornerText(self.plot.vb, "top-left")
        # Re-fitting from inside the layout pass that resized the plot would nest resize
        # events, so it waits for the event loop.
        self._fit_timer = QtCore.QTimer(self, singleShot=True, interval=0)
        self._fit_timer.timeout.connect(self._fit_canvas)
        self.plot.vb.sigResized.connect(self._fit_timer.start)
        self._restyle()
        self._set_levels((0.0, 1.0), "D(x)   0 = fake, 1 = real", prob=True)
        self._apply_visibility()

    # ---------------------------------------------------------------- public API
    def _on_index(self, changed: bool) -> None:
        if changed:
            self.trails.clear()
        self._redraw()

    def heat_source(self) -> str:
        """What the user asked the heatmap to show: 'd', 'd_star' or 'd_gap' (D - D*)."""
        return self._heat_source

    def heat_shown(self) -> str:
        """What the heatmap shows now: 'd_star' and 'd_gap' fall back to 'd' where D* is not available."""
        return self._heat_shown

    def parts(self) -> set[str]:
        """What this view draws beyond the fakes (engine.api.PARTS), so that the session computes no more."""
        v = self._visible
        out = {k for k in ("grad", "manifold") if v[k]}
        # D* comes with the metrics; D on the grid is wanted for D and D - D*, and for D* where there is none.
        if v["heatmap"] and (self._heat_source != "d_star" or self._heat_shown != "d_star"):
            out.add("d_grid")
        return out

    def set_heat_source(self, source: str) -> None:
        if source not in HEAT_SOURCES:
            raise ValueError(f"Heatmap source must be one of {', '.join(HEAT_SOURCES)}, got {source!r}.")
        self._heat_source = source
        self._redraw()

    def set_layer_visible(self, name: str, visible: bool) -> None:
        super().set_layer_visible(name, visible)
        if name == "contours" and visible and self._snap is not None:
            self._update_contours(self._snap.p_data)

    def set_theme(self, theme: Theme) -> None:
        super().set_theme(theme)
        self.update()   # the margins around the square canvas

    def _check(self, snap: Snapshot) -> None:
        if snap.dim != 2 or snap.grid_y is None:
            raise ValueError(f"The 2D view cannot draw a snapshot with dim={snap.dim}.")

    def _draw(self, snap: Snapshot) -> None:
        i = min(self._index, snap.n_gans - 1)
        self._update_grid(snap.grid_x, snap.grid_y)
        it = self.item

        self._update_heat(snap, i)
        if self._visible["contours"]:
            # isocurve costs milliseconds per level; p_data rarely changes and is cached.
            self._update_contours(snap.p_data)
        self._update_manifold(None if snap.manifold is None else snap.manifold[i])

        real = snap.real
        if self._real_key is None or self._real_key.shape != real.shape or not np.array_equal(self._real_key, real):
            self._real_key = np.array(real)
            it["real"].setData(pos=self._pin_xy(real))
        # A GAN of a set whose fakes were never computed (step -1: a recorded run drew another GAN of the set)
        # has zeros there: drawn, every fake would sit on the origin.
        missing = snap.never_computed("fake", i)
        fake = np.zeros((0, 2)) if missing else self._pin_xy(snap.fake[i])
        P.move_points(it["fake"], fake)
        if missing:
            self.trails.clear()
        else:
            self.trails.push(fake[:self.N_TRAILS], snap.step)
        self._update_arrows(fake, np.asarray(snap.fake_grad[i], np.float64).reshape(-1, 2))

        lines = [f"step {snap.step:,}"]
        if snap.n_gans > 1:
            lines[0] += f"   {snap.labels[i]}"
        if bool(np.asarray(snap.diverged)[i]):
            lines[0] += "   (diverged)"
        if self._heat_source != "d" and self._heat_shown == "d":
            lines.append("D* is not defined for this loss: showing D")
        note = P.fakes_note(self._fake_lag, snap, i)
        if note:
            lines.append(note)
        grid_step = snap.step_of("d_grid", i)
        if self._grid_lag.of(snap, grid_step) and self._visible["heatmap"] and self._heat_shown != "d_star":
            # D on the grid is the costly part of a picture: when it cannot be afforded every picture the
            # heatmap is an earlier one, and says so (steadily: see LagNote).
            lines.append(f"D heatmap from step {grid_step:,}")
        # A picture computes the arrows and G's manifold only while they are shown, and for the GAN its
        # view draws: a layer just shown, or another GAN of a recorded picture, is from an earlier picture.
        for name, part, layer in (("push on fakes", "fake_grad", "grad"), ("G manifold", "manifold", "manifold")):
            at = snap.step_of(part, i)
            if self._visible[layer] and 0 <= at < snap.step:
                lines.append(f"{name} from step {at:,}")
        self.step_text.set_text("\n".join(lines))

    # ---------------------------------------------------------------- drawing helpers
    def _pin_xy(self, xy: np.ndarray) -> np.ndarray:
        x0, x1, y0, y1 = self._extent
        xy = np.asarray(xy, np.float64).reshape(-1, 2)
        return np.column_stack([P.pin(xy[:, 0], x0, x1), P.pin(xy[:, 1], y0, y1)])

    def _update_grid(self, gx: np.ndarray, gy: np.ndarray) -> None:
        key = (len(gx), float(gx[0]), float(gx[-1]), len(gy), float(gy[0]), float(gy[-1]))
        if key == self._grid_key:
            return
        self._grid_key = key
        # Pixel centres sit on the grid points, so the image reaches half a cell beyond them.
        dx = (float(gx[-1]) - float(gx[0])) / max(len(gx) - 1, 1) or 1.0
        dy = (float(gy[-1]) - float(gy[0])) / max(len(gy) - 1, 1) or 1.0
        x0, x1 = float(gx[0]) - dx / 2, float(gx[-1]) + dx / 2
        y0, y1 = float(gy[0]) - dy / 2, float(gy[-1]) + dy / 2
        self._extent = (x0, x1, y0, y1)
        self._cell = (dx, dy)
        self._rect_shape = None
        self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        self._real_key = None
        self._pdata_key = None

    def _update_heat(self, snap: Snapshot, i: int) -> None:
        shown = self._heat_source if snap.d_star is not None else "d"
        self._heat_shown = shown
        if shown == "d_gap":
            img = np.asarray(snap.d_grid[i], np.float64) - np.asarray(snap.d_star[i], np.float64)
            # Where neither p_data nor p_g has mass, D* is 0/0 and the gap is not measured: draw 0 there.
            img = np.where(P.has_mass(snap.p_data, snap.p_g[i]), img, 0.0)
        elif shown == "d" and snap.never_computed("d_grid", i):
            self.item["heatmap"].blank()
            return
        else:
            img = np.asarray(snap.d_star[i] if shown == "d_star" else snap.d_grid[i])
        name = {"d": "D(x)", "d_star": "D*(x)", "d_gap": "D(x) \u2212 D*(x)"}[shown]
        prob = bool(snap.d_is_prob[i]) and shown != "d_gap"
        m = None if shown == "d_gap" else energy_margin(snap, i)
        if m is not None:       # EBGAN: energy 0 (data) in the real colour, m (fakes) in the fake colour
            img, prob = energy_as_heat(img, m), True
        mode = "gap" if shown == "d_gap" else "prob" if prob else "critic"
        if mode != self._heat_prob:
            self._level_range.reset()
        self._heat_prob = mode
        if prob and m is not None:
            self._set_levels((0.0, 1.0), energy_heat_label(name, m), prob=True, ticks=energy_ticks(m))
        elif prob:
            self._set_levels((0.0, 1.0), f"{name}   0 = fake, 1 = real", prob=True)
        else:
            finite = np.abs(img[np.isfinite(img)])
            self._level_range.update(0.0, max(float(finite.max()) if finite.size else 1.0, 1e-6))
            # Symmetric levels keep 0 (a critic's boundary, or D = D*) on the neutral middle colour.
            a = self._level_range.hi
            tail = "low = D below its optimum" if mode == "gap" else "low = fake, high = real"
            self._set_levels((-a, a), f"{'' if mode == 'gap' else 'critic '}{name}   {tail}", prob=False)
        heat = self.item["heatmap"]
        heat.show_image(img, self._levels)
        if self._rect_shape != img.shape:
            # ImageItem maps a rect through the image's pixel size, so it is set after the image.
            self._rect_shape = img.shape
            x0, x1, y0, y1 = self._extent
            heat.setRect(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))

    def _set_levels(self, levels: tuple[float, float], label: str, prob: bool, ticks: Optional[list] = None) -> None:
        ticks = ticks or ([[(0.0, "0"), (0.5, "0.5"), (1.0, "1")]] if prob else None)
        if levels != self._levels or ticks != self._cbar_ticks:
            self._levels, self._cbar_ticks = levels, ticks
            self.colorbar.setLevels(levels)
            self.item["heatmap"].setLevels(levels)
            self.colorbar.axis.setTicks(ticks)
        if label != self._cbar_label:
            self._cbar_label = label
            self.colorbar.getAxis("left").setLabel(label)

    def _update_contours(self, p_data: np.ndarray) -> None:
        if self._pdata_key is not None and self._pdata_key.shape == p_data.shape and np.array_equal(self._pdata_key, p_data):
            return
        self._pdata_key = np.array(p_data)
        data = np.nan_to_num(np.asarray(p_data, np.float64))
        peak = float(data.max()) if data.size else 0.0
        x0, _, y0, _ = self._extent
        dx, dy = self._cell
        parts: list[np.ndarray] = []
        if peak > 0:
            for frac in self.CONTOUR_LEVELS:
                for line in pg.isocurve(data, frac * peak, connected=True):
                    # isocurve's coordinates are array indices + 1/2 (row, column).
                    a = np.asarray(line, np.float64)
                    parts.append(np.column_stack([x0 + a[:, 1] * dx, y0 + a[:, 0] * dy]))
                    parts.append(np.full((1, 2), np.nan))
        xy = np.concatenate(parts) if parts else np.zeros((0, 2))
        self.item["contours"].setData(xy[:, 0], xy[:, 1], connect="finite")

    def _update_manifold(self, grid: Optional[np.ndarray]) -> None:
        it = self.item["manifold"]
        if grid is None or grid.ndim != 3 or grid.shape[0] * grid.shape[1] == 0:
            it.setData([], [])
            return
        r, c, _ = grid.shape
        pts = np.concatenate([grid.reshape(-1, 2), grid.transpose(1, 0, 2).reshape(-1, 2)])
        if self._manifold_connect is None or len(self._manifold_connect) != len(pts):
            # Rows of C points, then columns of R points; never join one line to the next.
            rows = np.ones((r, c), bool)
            rows[:, -1] = False
            cols = np.ones((c, r), bool)
            cols[:, -1] = False
            self._manifold_connect = np.concatenate([rows.ravel(), cols.ravel()])
        xy = self._pin_xy(pts)
        it.setData(xy[:, 0], xy[:, 1], connect=self._manifold_connect)

    def _update_arrows(self, fake: np.ndarray, grad: np.ndarray) -> None:
        """Arrow k is points 6k..6k+5: shaft (tail at the fake, tip), then two barbs from the tip."""
        it = self.item["grad"]
        n = min(len(fake), len(grad))
        if n == 0:
            it.setData([], [])
            return
        g = np.nan_to_num(grad[:n], nan=0.0, posinf=0.0, neginf=0.0)
        length = np.hypot(g[:, 0], g[:, 1])
        peak = float(length.max())
        if not np.isfinite(peak) or peak <= 0.0:
            it.setData([], [])
            return
        width = self._extent[1] - self._extent[0]
        vec = g * (self.ARROW_FRACTION * width / peak)
        vlen = length * (self.ARROW_FRACTION * width / peak)
        tail = fake[:n]
        tip = tail + vec
        unit = np.divide(vec, vlen[:, None], out=np.zeros_like(vec), where=vlen[:, None] > 0)
        head = np.minimum(0.4 * vlen, self.HEAD_FRACTION * width)[:, None]
        cos, sin = np.cos(self.HEAD_ANGLE), np.sin(self.HEAD_ANGLE)
        back = -unit
        perp = np.column_stack([-back[:, 1], back[:, 0]])
        barb1 = tip + head * (cos * back + sin * perp)
        barb2 = tip + head * (cos * back - sin * perp)
        pts = np.stack([tail, tip, tip, barb1, tip, barb2], axis=1).reshape(-1, 2)
        it.setData(pts[:, 0], pts[:, 1])

    # ---------------------------------------------------------------- layout
    def resizeEvent(self, ev: QtGui.QResizeEvent) -> None:
        super().resizeEvent(ev)
        self._fit_canvas()

    def _place_legend(self, below: bool) -> None:
        """Legend beside the colour bar in a wide widget, under the plot in a tall one."""
        if below == self._legend_below:
            return
        grid = self.canvas.ci.layout
        if self._legend_below is not None:
            grid.removeItem(self.legend)
        self._legend_below = below
        if below:
            self.legend.setColumnCount(3)
            grid.addItem(self.legend, 2, 0, 1, 2)
            grid.setAlignment(self.legend, QtCore.Qt.AlignmentFlag.AlignHCenter)
        else:
            self.legend.setColumnCount(1)
            grid.addItem(self.legend, 0, 2)
            grid.setAlignment(self.legend, QtCore.Qt.AlignmentFlag.AlignTop)
        grid.setRowStretchFactor(1, 1)

    def _set_compact(self, on: bool) -> None:
        """Compact: smaller legend text in tighter rows and narrower margins, for a short widget
        (a 560x350 export, a small window); the plot gets the room."""
        if on == self._compact:
            return
        self._compact = on
        self._style_legend()
        self.canvas.ci.setContentsMargins(*((4, 8, 4, 4) if on else (10, 16, 10, 8)))
        self.canvas.ci.layout.invalidate()

    def _style_legend(self) -> None:
        P.style_legend(self.legend, self._theme, self._presentation, frame_alpha=0.0, compact=self._compact)
        for sample, label in self.legend.items:
            if sample.item is self.item["grad"]:
                label.setText(self.GRAD_LABEL_COMPACT if self._compact else self.GRAD_LABEL)
        self.legend.updateSize()

    def _fit_canvas(self, *_) -> None:
        """Size the canvas so that the plot is square, centred in the widget."""
        w, h = self.width(), self.height()
        self._set_compact(P.is_compact(h))
        self._place_legend(below=w < 1.3 * h)
        vb = self.plot.vb.size()
        if vb.width() > 1 and vb.height() > 1 and self.canvas.width() > 1:
            extra_w = self.canvas.width() - vb.width()
            extra_h = self.canvas.height() - vb.height()
        else:
            s = P.sizes(self._presentation)
            extra_w, extra_h = s.axis_width + 280, s.axis_height + 20
        side = max(60.0, min(w - extra_w, h - extra_h))
        cw, ch = int(min(w, side + extra_w)), int(min(h, side + extra_h))
        rect = QtCore.QRect((w - cw) // 2, (h - ch) // 2, cw, ch)
        if rect != self.canvas.geometry():
            self.canvas.setGeometry(rect)

    def paintEvent(self, ev: QtGui.QPaintEvent) -> None:
        # The margins around the square canvas must match the theme, in the app and in grabs.
        p = QtGui.QPainter(self)
        p.fillRect(self.rect(), P.qcolor(self._theme.background))
        p.end()

    # ---------------------------------------------------------------- layers, theme
    def _apply_visibility(self) -> None:
        for key in self.LAYERS:
            if key == "trails":
                self.trails.set_visible(self._visible[key])
            else:
                self.item[key].setVisible(self._visible[key])
        self.colorbar.setVisible(self._visible["heatmap"])
        self.legend.update()

    def _restyle(self) -> None:
        t, s, pres = self._theme, P.sizes(self._presentation), self._presentation
        self.canvas.setBackground(t.background)
        P.style_plot(self.plot, t, pres)
        self.plot.getAxis("left").setWidth(s.axis_width)
        self.plot.getAxis("bottom").setHeight(s.axis_height)
        for side in ("left", "right", "top", "bottom"):
            P.style_axis(self.colorbar.getAxis(side), t, pres)
        self.colorbar.axis.setWidth(s.axis_width - 10)
        self.colorbar.getAxis("left").setWidth(s.label_pt * 2 + 6)
        # Same top and bottom insets as the plot, so the bar spans exactly the heatmap's height.
        self.colorbar.getAxis("bottom").setHeight(s.axis_height)
        self.colorbar.getAxis("top").setHeight(1)
        cmap = P.heat_colormap(t)
        self.colorbar.setColorMap(cmap)
        self.item["heatmap"].setLookupTable(cmap.getLookupTable(nPts=256, alpha=False))
        self._style_legend()
        self.step_text.set_style(t, s.text_pt)

        it = self.item
        it["real"].setPen(None)
        it["real"].setBrush(P.brush(t.real, 0.9))
        it["real"].setSize(s.small_marker + 1)
        it["fake"].setPen(P.pen(t.background, 1.0 if not pres else 1.5))
        it["fake"].setBrush(P.brush(t.fake))
        it["fake"].setSize(s.marker)
        it["grad"].setPen(P.pen(t.arrow, s.thin * 1.3, alpha=0.85, over=t.background))
        it["manifold"].setPen(P.pen(t.manifold, s.thin, alpha=0.9, over=t.background))
        it["contours"].setPen(P.pen(t.p_data, s.thin, QtCore.Qt.PenStyle.DashLine, alpha=0.8, over=t.background))
        self.trails.set_color(t.fake, t.background)
        self.trails.set_width(1.0 if not pres else s.thin)
        self.canvas.ci.layout.invalidate()
        self._fit_canvas()
