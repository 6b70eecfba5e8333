"""One panel of the Compare view: one GAN's samples (2D) or densities (1D), its header and caption.

The header holds the panel's colour (its colour in the charts), its label (a click opens the
inline editor, `ganviz.ui.compare_editor`), what sets it apart from the other panels and the
edit and remove buttons; the caption holds the modes it captures, its high-quality samples and
the reverse KL over modes. The view (`ganviz.ui.compare_view`) owns the panels, feeds them each
snapshot and restyles them; a panel reads the view's theme, presentation and toggles.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Optional

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ganviz.core.losses import LOSSES
from ganviz.engine.snapshot import Snapshot
from ganviz.ui import plotting as P
from ganviz.ui.compare_common import N_TRAIL, REV_KL_TIP, TRAIL_LENGTH, caption_text, panel_colour
from ganviz.ui.compare_editor import PanelEditor
from ganviz.ui.compare_widgets import _Banner, _ElidedButton, _ElidedLabel, _FitLabel, text_colour
from ganviz.ui.energy import energy_as_heat, energy_margin
from ganviz.ui.trails import Trails

if TYPE_CHECKING:
    from ganviz.ui.compare_view import CompareView


class ComparePanel(QtWidgets.QFrame):
    """One GAN of the comparison: header, plot, caption and an inline settings editor."""

    def __init__(self, view: "CompareView", index: int) -> None:
        super().__init__()
        self.index = index
        self._view = view
        self.setObjectName(f"comparePanel_{index}")
        self._title_key: tuple = ()
        self._caption_key: tuple = ()
        self._dim = 0
        self._heat_prob: Optional[bool] = None
        self._level_range = P.StableRange(pad=0.05, shrink_below=0.4)
        self._y_range = P.StableRange(pad=0.08, shrink_below=0.45)
        self._extent = (0.0, 1.0, 0.0, 1.0)
        self._rect_shape: Optional[tuple] = None
        self._border = QtGui.QColor()
        self.chosen = False          # the GAN the toolbar's GAN list picks

        # Header: colour swatch (the panel's colour in the charts), title, what differs, buttons.
        self.swatch = QtWidgets.QLabel()
        self.swatch.setFixedSize(14, 14)
        self.title = _ElidedButton()
        self.title.setObjectName(f"compareTitle_{index}")
        self.title.setFlat(True)
        self.title.setCursor(QtCore.Qt.CursorShape.PointingHandCursor)
        self.title.setToolTip("Click to edit this panel's settings while it trains")
        self.title.clicked.connect(self.toggle_editor)
        self.subtitle = _ElidedLabel()
        self.subtitle.setObjectName(f"compareSubtitle_{index}")
        self.subtitle.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        self.edit_button = QtWidgets.QToolButton()
        self.edit_button.setObjectName(f"compareEdit_{index}")
        # a glyph, not the word: six panels side by side leave a header ~180 px, and the title needs it
        self.edit_button.setText("\u270e")
        self.edit_button.setCheckable(True)
        self.edit_button.setToolTip("Show or hide this panel's settings (changes apply live, without a restart)")
        self.edit_button.toggled.connect(self.set_editor_visible)
        self.remove_button = QtWidgets.QToolButton()
        self.remove_button.setObjectName(f"compareRemove_{index}")
        self.remove_button.setText("\u2715")
        self.remove_button.setToolTip("Remove this panel; the others keep training where they are")
        self.remove_button.clicked.connect(lambda: view.remove_panel(self.index))
        header = QtWidgets.QHBoxLayout()
        header.setContentsMargins(2, 0, 2, 0)
        header.setSpacing(4)
        header.addWidget(self.swatch)
        header.addWidget(self.title)
        header.addWidget(self.subtitle, 1)
        header.addWidget(self.edit_button)
        header.addWidget(self.remove_button)

        self.editor = PanelEditor(view, index)
        # The editor's fields, by their old names (tests and scripts reach them through the panel).
        self.loss_combo, self.spins = self.editor.loss_combo, self.editor.spins
        self.k_spin, self.lr_d_spin, self.lr_g_spin = self.editor.k_spin, self.editor.lr_d_spin, self.editor.lr_g_spin
        self.unroll_spin, self.gp_spin = self.editor.unroll_spin, self.editor.gp_spin

        self.plot = P.make_plot(view.theme, view.presentation)
        for side in ("left", "bottom"):
            self.plot.hideAxis(side)
        self.plot.setDefaultPadding(0.0)
        self.canvas = pg.PlotWidget(plotItem=self.plot)
        self.canvas.setObjectName(f"comparePlot_{index}")
        self.canvas.setMinimumSize(80, 80)
        # A click on the plot picks this GAN in the toolbar: the Lab tab draws it, the Controls set it.
        self.canvas.viewport().installEventFilter(self)
        # The grid's equal stretch, not the editors' size hints, sets the panels' widths.
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Ignored)
        # Bilinear scaling turns the coarse D grid into the smooth field it approximates.
        self.canvas.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform, True)

        # The 2D items live inside the frame of the evaluation grid and are clipped to it, as in
        # the 2D lab view: an aspect-locked plot shows more than the grid on one axis.
        self.clip = QtWidgets.QGraphicsRectItem()
        self.clip.setFlag(QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape)
        # No pen: the shape that clips would grow by the pen's width, in data units.
        self.clip.setPen(QtGui.QPen(QtCore.Qt.PenStyle.NoPen))
        self.clip.setZValue(-100)
        self.frame = QtWidgets.QGraphicsRectItem()
        self.frame.setZValue(100)
        for item in (self.clip, self.frame):
            self.plot.addItem(item)
        self.heat = P.HeatImage(axisOrder="row-major")
        self.real = pg.ScatterPlotItem(pxMode=True, antialias=True)
        self.fake = pg.ScatterPlotItem(pxMode=True, antialias=True)
        self.trails = Trails(self.plot, view.theme.fake, n=N_TRAIL, length=TRAIL_LENGTH)
        for z, item in enumerate((self.heat, self.real, self.trails.item, self.fake)):
            item.setParentItem(self.clip)
            item.setZValue(z)
        self.p_data = P.device_curve(pg.PlotDataItem(antialias=True, skipFiniteCheck=True))
        self.p_g = P.device_curve(pg.PlotDataItem(antialias=True, skipFiniteCheck=True))
        # 1D: D (dashed) and the loss's optimal D* (dotted) on the panel's height, 0 at the
        # bottom and 1 at the top (the density axis is hidden, so the two scales cannot clash).
        self.d = P.device_curve(pg.PlotDataItem(antialias=True, skipFiniteCheck=True))
        # connect="finite": D* where p_data or p_g has mass (P.has_mass), with gaps elsewhere
        self.d_star = P.device_curve(pg.PlotDataItem(antialias=True, connect="finite"))
        for item in (self.p_data, self.p_g, self.d_star, self.d):
            self.plot.addItem(item)
        self.d_key = P.CornerText(self.plot.vb, "top-right", margin=4.0)
        self.banner = _Banner(self.plot.vb)
        # An export of recorded frames has no toolbar to say that a GAN's fakes are older than the step: the
        # panel says it (a run recorded while the Lab tab drew one GAN of the set).
        self.lag = P.CornerText(self.plot.vb, "top-left", margin=4.0)

        self.caption = _FitLabel(view.captions)
        self.caption.setObjectName(f"compareCaption_{index}")

        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(2)
        lay.addLayout(header)
        lay.addWidget(self.editor)
        lay.addWidget(self.canvas, 1)
        lay.addWidget(self.caption)
        self.restyle()

    # ------------------------------------------------------------------ editor
    def toggle_editor(self) -> None:
        self.edit_button.toggle()

    def set_editor_visible(self, on: bool) -> None:
        if self.edit_button.isChecked() != on:
            self.edit_button.setChecked(on)   # re-enters through toggled
            return
        self.editor.setVisible(on)

    def show_settings(self, s: dict) -> None:
        """Show a GAN's settings in the editor; fields being typed into are left alone."""
        self.editor.show_settings(s)

    # ------------------------------------------------------------------ drawing
    def set_titles(self, label: str, loss_id: str, differs: str) -> None:
        key = (label, loss_id, differs)
        if key == self._title_key:
            return
        self._title_key = key
        self.title.setText(label)
        loss = LOSSES.get(loss_id)
        name = loss.name if loss is not None else loss_id
        self.subtitle.setText(name + (f"  \u00b7  {differs}" if differs else ""))
        self.subtitle.setToolTip(self.subtitle.text())

    def set_extent(self, extent: tuple[float, float, float, float], dim: int) -> None:
        self._extent = extent
        self._dim = dim
        x0, x1, y0, y1 = extent
        self.plot.setAspectLocked(dim == 2)
        self.plot.showAxis("bottom", dim == 1)   # densities over x: the x values matter
        for item in (self.clip, self.frame):
            item.setRect(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))
        self._rect_shape = None
        self._y_range.reset(floor=(0.0, 1e-3))
        self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.02)
        self.clip.setVisible(dim == 2)
        self.frame.setVisible(dim == 2)
        for item in (self.p_data, self.p_g, self.d, self.d_star):
            item.setVisible(dim == 1)
        if dim != 1:
            self.d_key.set_text("")     # set_text shows the key only when it has text
        self.trails.clear()
        self.apply_toggles()

    def apply_toggles(self) -> None:
        self.trails.set_visible(self._dim == 2 and self._view.trails_on())
        self.heat.setVisible(self._dim == 2 and self._view.heatmap_on())

    def set_real(self, real: np.ndarray) -> None:
        if self._dim == 2:
            self.real.setData(pos=self._pin(real))

    def set_p_data(self, x: np.ndarray, p: np.ndarray) -> None:
        self.p_data.setData(x, p)

    def draw(self, snap: Snapshot, i: int) -> None:
        # A part never computed for this GAN (-1: the Lab tab drew another GAN of the set since the run
        # began) is not drawn: its zeros would draw every fake on the origin.
        fake_at, no_fakes = snap.step_of("fake", i), snap.never_computed("fake", i)
        if self._view.session() is None:
            self.lag.set_text("fakes not recorded" if no_fakes
                              else f"fakes from step {fake_at:,}" if 0 <= fake_at < snap.step else "")
        if snap.dim == 2:
            if not no_fakes:
                fake = self._pin(snap.fake[i])
                P.move_points(self.fake, fake)
                self.trails.push(fake[:N_TRAIL], snap.step)
            else:
                P.move_points(self.fake, np.zeros((0, 2)))
                self.trails.clear()
            if self.heat.isVisible() and snap.never_computed("d_grid", i):
                self.heat.blank()
            elif self.heat.isVisible():
                m = energy_margin(snap, i)
                if m is None:
                    self._draw_heat(np.asarray(snap.d_grid[i]), bool(snap.d_is_prob[i]))
                else:   # EBGAN: energy 0 (data) in the real colour, m (fakes) in the fake colour
                    self._draw_heat(energy_as_heat(snap.d_grid[i], m), True)
        else:
            p_g = np.nan_to_num(np.asarray(snap.p_g[i], np.float64))
            self.p_g.setData(snap.grid_x, p_g)
            peak = max(float(np.max(snap.p_data)), float(p_g.max()) if p_g.size else 0.0)
            if self._y_range.update(0.0, min(peak, 4.0 * float(np.max(snap.p_data)))):
                self.plot.setYRange(0.0, self._y_range.hi, padding=0)
            self._draw_d(snap, i)
        diverged = bool(np.asarray(snap.diverged)[i])
        self.banner.set_text("diverged" if diverged else "")
        k = len(snap.means)
        modes = float(snap.latest["modes"][i]) if "modes" in snap.latest else math.nan
        hq = float(snap.latest["hq_frac"][i]) if "hq_frac" in snap.latest else math.nan
        rkl = float(snap.latest["rkl_modes"][i]) if "rkl_modes" in snap.latest else math.nan
        short = self._view.compact
        key = (diverged, modes, hq, rkl, k, short)
        if key != self._caption_key:
            self._caption_key = key
            self.caption.setText(caption_text(modes, k, hq, rkl, diverged, short))

    def _draw_d(self, snap: Snapshot, i: int) -> None:
        """D and D* of a 1D panel, scaled so that 1 is the top of the plot (an EBGAN energy: m at the top);
        a critic (no probability, no scale) is not drawn."""
        top = self._y_range.hi
        prob = bool(np.asarray(snap.d_is_prob)[i])
        m = energy_margin(snap, i)
        scale = 1.0 if m is None else 1.0 / m
        shown = prob or m is not None
        d = np.asarray(snap.d_grid[i], np.float64) * scale if shown else None
        if snap.never_computed("d_grid", i):
            d = None
        ds = None if snap.d_star is None or not shown else np.asarray(snap.d_star[i], np.float64) * scale
        for item, y in ((self.d, d), (self.d_star, ds)):
            if y is None or y.shape != np.shape(snap.grid_x):
                item.setData([], [])
            else:
                y = np.clip(np.nan_to_num(y, nan=0.5), 0.0, 1.0) * top
                if item is self.d_star:
                    y = np.where(P.has_mass(snap.p_data, snap.p_g[i]), y, np.nan)
                item.setData(snap.grid_x, y)
        if m is not None:
            self.d_key.set_text(f"energy – –   E* ···  (top = m = {m:g})" if ds is not None
                                else f"energy – –  (top = m = {m:g})")
            return
        self.d_key.set_text(("D – –   D* ···  (top = 1)" if ds is not None else
                             "D – –  (top = 1)") if d is not None else "")

    def _draw_heat(self, img: np.ndarray, prob: bool) -> None:
        if prob:
            levels = (0.0, 1.0)
        else:
            if self._heat_prob is not False:
                self._level_range.reset()
            finite = np.abs(img[np.isfinite(img)])
            self._level_range.update(0.0, max(float(finite.max()) if finite.size else 1.0, 1e-6))
            # Symmetric levels keep a critic's 0 on the neutral middle colour.
            levels = (-self._level_range.hi, self._level_range.hi)
        self._heat_prob = prob
        self.heat.show_image(img, levels)
        if self._rect_shape != img.shape:
            # ImageItem maps a rect through the image's pixel size, so it is set after the image.
            self._rect_shape = img.shape
            x0, x1, y0, y1 = self._extent
            self.heat.setRect(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))

    def _pin(self, xy: np.ndarray) -> np.ndarray:
        x0, x1, y0, y1 = self._extent
        xy = np.asarray(xy, np.float64).reshape(-1, 2)
        return np.column_stack([P.pin(xy[:, 0], x0, x1), P.pin(xy[:, 1], y0, y1)])

    def eventFilter(self, obj: QtCore.QObject, ev: QtCore.QEvent) -> bool:
        if (ev.type() == QtCore.QEvent.Type.MouseButtonPress and self._view.session() is not None
                and ev.button() == QtCore.Qt.MouseButton.LeftButton):
            self._view.panelChosen.emit(self.index)
        return False

    # ------------------------------------------------------------------ style
    def resizeEvent(self, ev: QtGui.QResizeEvent) -> None:
        super().resizeEvent(ev)
        self.title.set_cap(int(0.6 * self.width()))

    def paintEvent(self, ev: QtGui.QPaintEvent) -> None:
        p = QtGui.QPainter(self)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        # The GAN the toolbar picks (the one the Lab tab draws and the Controls set) has a border in its colour;
        # never in an export, which has no toolbar.
        chosen = self.chosen and self._view.session() is not None
        width = 2.0 if chosen else 1.0
        p.setPen(QtGui.QPen(QtGui.QColor(panel_colour(self._view.theme, self.index)) if chosen else self._border,
                            width))
        p.drawRoundedRect(QtCore.QRectF(self.rect()).adjusted(width / 2, width / 2, -width / 2, -width / 2), 4.0, 4.0)
        p.end()

    def restyle(self) -> None:
        t, pres = self._view.theme, self._view.presentation
        s = P.sizes(pres)
        colour = panel_colour(t, self.index)
        self.swatch.setStyleSheet(f"background: {colour}; border-radius: 3px;")
        compact = self._view.compact
        # a short view (a 560x350 export): the title at tick size and no subtitle, so that the
        # label ('wgan-gp') is whole; the caption bar names the losses
        self.title.setFont(P.font(s.tick_pt if compact else s.label_pt + 1, bold=True))
        self.subtitle.setVisible(not compact)
        self.title.setStyleSheet(f"QPushButton {{ color: {t.foreground}; border: none; text-align: left; "
                                 f"padding: 0 2px; }} QPushButton:hover {{ color: {colour}; }}")
        self.subtitle.setFont(P.font(s.tick_pt))
        text_colour(self.subtitle, P.mix(t.foreground, t.background, 0.7))
        for w in (self.caption, *self.editor.findChildren(QtWidgets.QLabel)):
            text_colour(w, P.qcolor(t.foreground))
        self._border = P.mix(t.foreground, t.background, 0.18)
        self.update()
        self.canvas.setBackground(t.background)
        P.style_plot(self.plot, t, pres)
        self.real.setPen(None)
        self.real.setBrush(P.brush(t.real, 0.8))
        self.real.setSize(s.marker)
        self.fake.setPen(P.pen(t.background, 0.8))
        self.fake.setBrush(P.brush(t.fake))
        self.fake.setSize(s.small_marker + 2)
        self.frame.setPen(P.pen(t.foreground, 1.0, alpha=0.25, over=t.background))
        self.p_data.setPen(P.pen(t.p_data, s.line))
        self.p_g.setPen(P.pen(t.p_g, s.line))
        self.d.setPen(P.pen(t.d, s.line, QtCore.Qt.PenStyle.DashLine))
        self.d_star.setPen(P.pen(t.d_star, s.line * 0.8, QtCore.Qt.PenStyle.DotLine))
        self.d_key.set_style(t, s.tick_pt)
        self.lag.set_style(t, s.tick_pt, plate_alpha=0.85)
        self.trails.set_color(t.fake, t.background)
        self.trails.set_width(1.0 if not pres else s.thin)
        cmap = P.heat_colormap(t)
        self.heat.setLookupTable(cmap.getLookupTable(nPts=256, alpha=False))
        self.banner.restyle(t, s.label_pt + 6)
        self.caption.setToolTip(REV_KL_TIP)
