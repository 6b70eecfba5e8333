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
from ganviz.core.settings import TRAIN, SettingsError, switch_loss
from ganviz.engine.snapshot import Snapshot
from ganviz.ui import plotting as P
from ganviz.ui.fields import spin_for
from ganviz.ui.theme import LIGHT, Theme
from ganviz.ui.trails import Trails

N_TRAIL = 64            # fixed-z fakes that leave trails
TRAIL_LENGTH = 24       # positions kept per trail
MAX_COLUMNS = 4
MAX_ROWS = 2
CHARTS_SHARE = 0.3      # of the height (charts below) or the width (charts beside the panels)
# Panel colours as indices into the theme's series palette: yellow (6) comes last, as it
# nearly vanishes on a white projector screen.
COLOUR_ORDER = (0, 1, 2, 3, 4, 5, 7, 6)
# Settings shown in a panel's subtitle when they differ between panels, in this order.
SUBTITLE_FIELDS = ("k", "g_steps", "lr_d", "lr_g", "beta1", "beta2", "unroll", "gp", "r1", "clip", "consensus",
                   "label_smoothing", "instance_noise", "spectral_norm", "minibatch_std", "freeze_g")
REV_KL_TIP = ("rev-KL: KL(q \u2016 p) in nats between q, the share of G's high-quality samples per mode, "
              "and p, the mixture's weights (PacGAN / VEEGAN). 0 when G spreads over the modes like the data; "
              "it grows as G piles onto fewer modes.")


def panel_colour(theme: Theme, i: int) -> str:
    return theme.series(COLOUR_ORDER[i % len(COLOUR_ORDER)])


def loss_changes(current: dict, loss_id: str) -> dict:
    """A panel's switch to `loss_id` with its recommended settings, except those all panels share."""
    return switch_loss(current, loss_id)[0]


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "on" if v else "off"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def distinguishing(settings: list[dict]) -> list[str]:
    """For each panel, the settings (other than the loss) that set it apart from the others.

    A value shared by more panels than any other value is the common case and is not
    shown; when no value is the most common, every panel shows its own.
    """
    out: list[list[str]] = [[] for _ in settings]
    for f in SUBTITLE_FIELDS:
        values = [repr(s.get(f)) for s in settings]
        counts = {v: values.count(v) for v in values}
        if len(counts) < 2:
            continue
        top = max(counts.values())
        common = [v for v, c in counts.items() if c == top]
        for i, v in enumerate(values):
            if len(common) > 1 or v != common[0]:
                out[i].append(f"{f} {_fmt(settings[i].get(f))}")
    return [" \u00b7 ".join(parts) for parts in out]


class _Banner(P.CornerText):
    """A bold warning centred on a ViewBox ("diverged")."""

    def restyle(self, theme: Theme, pt: int) -> None:
        self.set_style(theme, pt, plate_alpha=0.85)
        self.text_item.setFont(P.font(pt, bold=True))
        self.text_item.setBrush(P.brush(theme.highlight))
        text = self.text()
        self.text_item.setText("")
        self.set_text(text)

    def _place(self, *_) -> None:
        vr, r = self._vb.rect(), self.rect()
        self.setPos((vr.width() - r.width()) / 2, (vr.height() - r.height()) / 2)


class _ElidedLabel(QtWidgets.QLabel):
    """A one-line label that ends in an ellipsis where its text does not fit."""

    def minimumSizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(0, super().minimumSizeHint().height())

    def paintEvent(self, ev: QtGui.QPaintEvent) -> None:
        p = QtGui.QPainter(self)
        p.setPen(self.palette().color(QtGui.QPalette.ColorRole.WindowText))
        text = self.fontMetrics().elidedText(self.text(), QtCore.Qt.TextElideMode.ElideRight, self.width())
        p.drawText(self.rect(), int(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter), text)
        p.end()


class _ElidedButton(QtWidgets.QPushButton):
    """A flat button whose text ends in an ellipsis where the header cannot give it its full width;
    text() is still the whole text."""

    _PAD = 12

    def __init__(self) -> None:
        super().__init__()
        self._full = ""
        self._cap = 1 << 20

    def set_cap(self, width: int) -> None:
        """The most of the header the title claims before it gives way (its full text if that fits)."""
        if width != self._cap:
            self._cap = width
            self.updateGeometry()

    def setText(self, text: str) -> None:
        self._full = text
        self.updateGeometry()
        self._elide()

    def text(self) -> str:
        return self._full

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(self.fontMetrics().horizontalAdvance(self._full) + self._PAD, super().sizeHint().height())

    def minimumSizeHint(self) -> QtCore.QSize:
        # The subtitle next to it gives way first: the title keeps its full width up to the cap.
        full = self.fontMetrics().horizontalAdvance(self._full) + self._PAD
        least = self.fontMetrics().horizontalAdvance("M\u2026") + self._PAD
        return QtCore.QSize(max(least, min(full, self._cap)), super().minimumSizeHint().height())

    def resizeEvent(self, ev: QtGui.QResizeEvent) -> None:
        super().resizeEvent(ev)
        self._elide()

    def changeEvent(self, ev: QtCore.QEvent) -> None:
        super().changeEvent(ev)
        if ev.type() == QtCore.QEvent.Type.FontChange:
            self.updateGeometry()
            self._elide()

    def _elide(self) -> None:
        # A little slack: elidedText measures a shade wider than horizontalAdvance, which sized the hint.
        shown = self.fontMetrics().elidedText(self._full, QtCore.Qt.TextElideMode.ElideRight,
                                              max(self.width() - self._PAD + 4, 0))
        if QtWidgets.QPushButton.text(self) != shown:
            QtWidgets.QPushButton.setText(self, shown)


class CaptionGroup:
    """Captions that share one font size: the largest (up to `pt`) at which they all fit.

    The fit includes a template of the longest text expected, so that the size does not
    twitch as the numbers change, and the narrowest caption sets it for all, so that panels
    side by side agree (grid cells differ by a pixel).
    """

    def __init__(self) -> None:
        self.labels: list["_FitLabel"] = []
        self.pt = 11
        self.template = ""

    def set_point_size(self, pt: int) -> None:
        self.pt = pt
        height = QtGui.QFontMetrics(P.font(pt)).height() + 4
        for label in self.labels:
            label.setFixedHeight(height)
        self.fit()

    def set_template(self, text: str) -> None:
        if text != self.template:
            self.template = text
            self.fit()

    def fit(self) -> None:
        if not self.labels:
            return
        width = min(label.width() for label in self.labels) - 6
        texts = [self.template] + [label.text() for label in self.labels]
        pt = self.pt
        while pt > max(6, int(0.6 * self.pt)):
            fm = QtGui.QFontMetrics(P.font(pt))
            if max(fm.horizontalAdvance(t) for t in texts) <= width:
                break
            pt -= 1
        for label in self.labels:
            if label.font().pointSize() != pt:
                label.setFont(P.font(pt))


class _FitLabel(QtWidgets.QLabel):
    """A centred one-line caption, sized by its CaptionGroup."""

    def __init__(self, group: CaptionGroup) -> None:
        super().__init__()
        self._group = group
        group.labels.append(self)
        self.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Fixed)
        self.setFixedHeight(QtGui.QFontMetrics(P.font(group.pt)).height() + 4)

    def leave_group(self) -> None:
        if self in self._group.labels:
            self._group.labels.remove(self)
            self._group.fit()

    def setText(self, text: str) -> None:
        super().setText(text)
        self._group.fit()

    def resizeEvent(self, ev: QtGui.QResizeEvent) -> None:
        super().resizeEvent(ev)
        self._group.fit()


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
        self.edit_button.setText("Edit")
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
        header.setSpacing(6)
        header.addWidget(self.swatch)
        header.addWidget(self.title)
        header.addWidget(self.subtitle, 1)
        header.addWidget(self.edit_button)
        header.addWidget(self.remove_button)

        self.editor = self._build_editor()

        self.plot = P.make_plot(view.theme, view.presentation)
        for side in ("left", "bottom"):
            self.plot.hideAxis(side)
        self.plot.setDefaultPadding(0.0)
        self.canvas = pg.PlotWidget(plotItem=self.plot)
        self.canvas.setObjectName(f"comparePlot_{index}")
        self.canvas.setMinimumSize(80, 80)
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
        self.heat = pg.ImageItem(axisOrder="row-major")
        self.real = pg.ScatterPlotItem(pxMode=True, antialias=True)
        self.fake = pg.ScatterPlotItem(pxMode=True, antialias=True)
        self.trails = Trails(self.plot, view.theme.fake, n=N_TRAIL, length=TRAIL_LENGTH)
        for z, item in enumerate((self.heat, self.real, self.trails.item, self.fake)):
            item.setParentItem(self.clip)
            item.setZValue(z)
        self.p_data = pg.PlotDataItem(antialias=True, skipFiniteCheck=True)
        self.p_g = pg.PlotDataItem(antialias=True, skipFiniteCheck=True)
        # 1D: D (dashed) and the loss's optimal D* (dotted) on the panel's height, 0 at the
        # bottom and 1 at the top (the density axis is hidden, so the two scales cannot clash).
        self.d = pg.PlotDataItem(antialias=True, skipFiniteCheck=True)
        self.d_star = pg.PlotDataItem(antialias=True, skipFiniteCheck=True)
        for item in (self.p_data, self.p_g, self.d_star, self.d):
            self.plot.addItem(item)
        self.d_key = P.CornerText(self.plot.vb, "top-right", margin=4.0)
        self.banner = _Banner(self.plot.vb)

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
    def _build_editor(self) -> QtWidgets.QWidget:
        i = self.index
        box = QtWidgets.QWidget()
        box.setObjectName(f"compareEditor_{i}")
        grid = QtWidgets.QGridLayout(box)
        grid.setContentsMargins(2, 2, 2, 2)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(2)
        self.loss_combo = QtWidgets.QComboBox()
        self.loss_combo.setObjectName(f"compareLossCombo_{i}")
        for lid, loss in LOSSES.items():
            self.loss_combo.addItem(loss.name, lid)
        self.loss_combo.setToolTip("This panel's loss; a switch also applies the loss's recommended settings "
                                   "(e.g. WGAN-GP: gp 10, k 5), except those all panels share")
        self.loss_combo.activated.connect(lambda _: self._view.switch_panel_loss(self.index,
                                                                                  self.loss_combo.currentData()))

        def spin(name: str, field: str) -> QtWidgets.QAbstractSpinBox:
            return spin_for(TRAIN[field], f"compare{name}Spin_{i}")

        self.k_spin = spin("K", "k")
        self.lr_d_spin = spin("LrD", "lr_d")
        self.lr_g_spin = spin("LrG", "lr_g")
        self.unroll_spin = spin("Unroll", "unroll")
        self.gp_spin = spin("Gp", "gp")
        self.spins = {"k": self.k_spin, "lr_d": self.lr_d_spin, "lr_g": self.lr_g_spin,
                      "unroll": self.unroll_spin, "gp": self.gp_spin}
        for name, w in self.spins.items():
            w.valueChanged.connect(lambda v, f=name: self._view.edit_panel(self.index, **{f: v}))
        rows = (("loss", self.loss_combo, "k", self.k_spin), ("lr D", self.lr_d_spin, "lr G", self.lr_g_spin),
                ("unroll", self.unroll_spin, "gp", self.gp_spin))
        for r, (a, wa, b, wb) in enumerate(rows):
            grid.addWidget(QtWidgets.QLabel(a), r, 0)
            grid.addWidget(wa, r, 1)
            grid.addWidget(QtWidgets.QLabel(b), r, 2)
            grid.addWidget(wb, r, 3)
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(3, 2)
        box.setVisible(False)
        return box

    def toggle_editor(self) -> None:
        self.edit_button.toggle()

    def set_editor_visible(self, on: bool) -> None:
        if self.edit_button.isChecked() != on:
            self.edit_button.setChecked(on)   # re-enters through toggled
            return
        self.editor.setVisible(on)

    def show_settings(self, s: dict) -> None:
        """Show a GAN's settings in the editor; fields being typed into are left alone."""
        idx = self.loss_combo.findData(s.get("loss"))
        if idx >= 0 and idx != self.loss_combo.currentIndex() and not self.loss_combo.view().isVisible():
            self.loss_combo.blockSignals(True)
            self.loss_combo.setCurrentIndex(idx)
            self.loss_combo.blockSignals(False)
        for name, w in self.spins.items():
            if name in s and not w.hasFocus() and w.value() != s[name]:
                w.blockSignals(True)
                w.setValue(s[name])
                w.blockSignals(False)

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
        if snap.dim == 2:
            fake = self._pin(snap.fake[i])
            self.fake.setData(pos=fake)
            self.trails.push(fake[:N_TRAIL], snap.step)
            if self.heat.isVisible():
                self._draw_heat(np.asarray(snap.d_grid[i]), bool(snap.d_is_prob[i]))
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
        """D and D* of a 1D panel, scaled so that 1 is the top of the plot; a critic (no probability) is not drawn."""
        top = self._y_range.hi
        prob = bool(np.asarray(snap.d_is_prob)[i])
        d = np.asarray(snap.d_grid[i], np.float64) if prob else None
        ds = None if snap.d_star is None or not prob else np.asarray(snap.d_star[i], np.float64)
        for item, y in ((self.d, d), (self.d_star, ds)):
            if y is None or y.shape != np.shape(snap.grid_x):
                item.setData([], [])
            else:
                item.setData(snap.grid_x, np.clip(np.nan_to_num(y, nan=0.5), 0.0, 1.0) * top)
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
        self.heat.setImage(img, autoLevels=False, levels=levels)
        if self._rect_shape != img.shape:
            # ImageItem maps a rect through the image's pixel size, so it is set after the image.
            self._rect_shape = img.shape
            x0, x1, y0, y1 = self._extent
            self.heat.setRect(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))

    def _pin(self, xy: np.ndarray) -> np.ndarray:
        x0, x1, y0, y1 = self._extent
        xy = np.asarray(xy, np.float64).reshape(-1, 2)
        return np.column_stack([P.pin(xy[:, 0], x0, x1), P.pin(xy[:, 1], y0, y1)])

    # ------------------------------------------------------------------ style
    def resizeEvent(self, ev: QtGui.QResizeEvent) -> None:
        super().resizeEvent(ev)
        self.title.set_cap(int(0.6 * self.width()))

    def paintEvent(self, ev: QtGui.QPaintEvent) -> None:
        p = QtGui.QPainter(self)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        p.setPen(QtGui.QPen(self._border, 1.0))
        p.drawRoundedRect(QtCore.QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 4.0, 4.0)
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
        self.trails.set_color(t.fake, t.background)
        self.trails.set_width(1.0 if not pres else s.thin)
        cmap = P.heat_colormap(t)
        self.heat.setLookupTable(cmap.getLookupTable(nPts=256, alpha=False))
        self.banner.restyle(t, s.label_pt + 6)
        self.caption.setToolTip(REV_KL_TIP)


def text_colour(w: QtWidgets.QWidget, colour: QtGui.QColor) -> None:
    """Set a label's or check box's text colour through its palette.

    A style sheet would do it too, but it switches the widget (and, set on a parent, all its
    children) to style-sheet drawing, which loses the native check box indicator.
    """
    pal = w.palette()
    pal.setColor(QtGui.QPalette.ColorRole.WindowText, colour)
    w.setPalette(pal)


def caption_text(modes: float, k: int, hq: float, rkl: float, diverged: bool, short: bool = False) -> str:
    """A panel's caption; `short` (a compact view) keeps modes and HQ, the numbers its lesson reads."""
    m = "\u2013" if not math.isfinite(modes) else f"{int(round(modes))}"
    # Early in training a few tenths of a percent are the news, so small fractions keep a decimal.
    h = "\u2013" if not math.isfinite(hq) else f"{100 * hq:.1f}%" if hq < 0.1 else f"{100 * hq:.0f}%"
    r = "\u2013" if not math.isfinite(rkl) else f"{rkl:.2f}"
    text = f"modes {m}/{k} \u00b7 HQ {h}" + ("" if short else f" \u00b7 rev-KL {r}")
    return ("DIVERGED \u00b7 " + text) if diverged else text


class CompareView(QtWidgets.QWidget):
    """Up to eight GANs side by side, their modes captured over time and their samples per mode."""

    def __init__(self, theme: Theme = LIGHT, parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareView")
        self.theme = theme
        self.presentation = False
        self.panels: list[ComparePanel] = []
        self.captions = CaptionGroup()
        self.mode_curves: list[pg.PlotDataItem] = []
        self.bar_items: list[pg.BarGraphItem] = []
        self._session: Any = None
        self._snap: Optional[Snapshot] = None
        self._extent_key: tuple = ()
        self._real_key: Optional[np.ndarray] = None
        self._pdata_key: Optional[np.ndarray] = None
        self._settings_key: Any = None
        self._chart_key: tuple = ()
        self._legend_key: tuple = ()
        self._arrangement: tuple = ()
        self._compact = False
        self._bar_range = P.StableRange(floor=(0.0, 10.0), pad=0.08, shrink_below=0.4)

        self._build_toolbar()
        self._build_charts()
        self.grid_host = QtWidgets.QWidget()
        self.grid_host.setObjectName("comparePanels")
        self.grid = QtWidgets.QGridLayout(self.grid_host)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(6)
        self.body = QtWidgets.QBoxLayout(QtWidgets.QBoxLayout.Direction.TopToBottom)
        self.body.setSpacing(6)
        self.body.addWidget(self.grid_host, 70)
        self.body.addWidget(self.charts_host, 30)
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
                                   "critics: < 0 fake, > 0 real)")
        self.heat_check.toggled.connect(self._heat_toggled)
        self.error_label = QtWidgets.QLabel("")
        self.error_label.setObjectName("compareError")
        self.error_label.setWordWrap(True)
        self.step_label = QtWidgets.QLabel("")
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

    def _build_charts(self) -> None:
        self.modes_chart = P.make_plot(self.theme)
        self.modes_chart.setAxisItems({"bottom": P.FittedAxis("bottom")})
        P.style_plot(self.modes_chart, self.theme, self.presentation)
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

        self.bars_chart = P.make_plot(self.theme)
        self.bars_widget = pg.GraphicsLayoutWidget()
        self.bars_widget.ci.addItem(self.bars_chart, row=0, col=0)
        self.bars_widget.ci.setContentsMargins(8, 2, 8, 2)
        self.bars_widget.setObjectName("compareBarsPlot")
        self.bars_chart.setLabel("bottom", "mode")
        self.bars_chart.setLabel("left", "HQ samples")
        self.charts_host = QtWidgets.QWidget()
        self.charts = QtWidgets.QBoxLayout(QtWidgets.QBoxLayout.Direction.LeftToRight, self.charts_host)
        self.charts.setContentsMargins(0, 0, 0, 0)
        self.charts.addWidget(self.modes_widget, 1)
        self.charts.addWidget(self.bars_widget, 1)
        self.modes_widget.installEventFilter(self)

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

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self._restyle()

    def set_presentation(self, on: bool) -> None:
        self.presentation = bool(on)
        self._restyle()
        self._arrange(force=True)

    def set_snapshot(self, snap: Snapshot) -> None:
        self._snap = snap
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
        self._update_charts(snap)
        self.step_label.setText(f"step {snap.step:,}")

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
        return self._command(lambda: self._session.set_train(index, **changes))

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

    # ------------------------------------------------------------------ charts
    def _update_charts(self, snap: Snapshot) -> None:
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
            P.style_legend(self.modes_legend, self.theme, self.presentation)
            self._fit_legend()
            self.all_modes.setValue(k)
            self.modes_chart.setYRange(0.0, k + max(0.5, 0.08 * k), padding=0)
            ticks = [(v, str(v)) for v in range(0, k + 1, max(1, math.ceil(k / 8)))]
            self.modes_chart.getAxis("left").setTicks([ticks])
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

    def _fit_legend(self) -> None:
        """As many legend columns (at most 4) as the chart's width holds."""
        labels = [label.text for _, label in self.modes_legend.items]
        if not labels:
            return
        fm = QtGui.QFontMetrics(P.font(P.sizes(self.presentation).legend_pt))
        column = max(fm.horizontalAdvance(t) for t in labels) + 50   # sample line and spacing
        cols = max(1, min(len(labels), 4, int((self.modes_widget.width() - 16) // column)))
        if cols != self.modes_legend.columnCount:
            self.modes_legend.setColumnCount(cols)

    def eventFilter(self, obj: QtCore.QObject, ev: QtCore.QEvent) -> bool:
        if obj is self.modes_widget and ev.type() == QtCore.QEvent.Type.Resize:
            self._fit_legend()
        return super().eventFilter(obj, ev)

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
        # The axis's label must fit the chart's height, or its end is cut off.
        self.modes_chart.setLabel("left", "modes" if on else "modes captured")
        self.captions.set_point_size(P.sizes(self.presentation).tick_pt if on else P.sizes(self.presentation).label_pt + 1)
        for p in self.panels:
            p.restyle()
            p._caption_key = ()   # the caption's short form
        if self._snap is not None:
            self.set_snapshot(self._snap)
        ci = self.modes_widget.ci
        if on:
            # A hidden item of fixed size keeps its row's height: the legend leaves the layout.
            ci.removeItem(self.modes_legend)
            self.modes_legend.setVisible(False)
        else:
            ci.addItem(self.modes_legend, row=0, col=0)
            ci.layout.setAlignment(self.modes_legend, QtCore.Qt.AlignmentFlag.AlignHCenter)
            self.modes_legend.setVisible(True)
        ci.layout.invalidate()

    def _chrome(self) -> float:
        """Height of a panel's header and caption, in pixels."""
        s = P.sizes(self.presentation)
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
        self.charts.setDirection(QtWidgets.QBoxLayout.Direction.TopToBottom if beside
                                 else QtWidgets.QBoxLayout.Direction.LeftToRight)
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
        if on and self._snap is not None:
            self.set_snapshot(self._snap)

    def _style_series(self, i: int) -> None:
        t, s = self.theme, P.sizes(self.presentation)
        colour = panel_colour(t, i)
        self.mode_curves[i].setPen(P.pen(colour, s.line))
        self.bar_items[i].setOpts(brush=P.brush(colour), pen=None)

    def _restyle(self) -> None:
        t, pres = self.theme, self.presentation
        s = P.sizes(pres)
        for chart, widget in ((self.modes_chart, self.modes_widget), (self.bars_chart, self.bars_widget)):
            widget.setBackground(t.background)
            P.style_plot(chart, t, pres)
            chart.getAxis("left").setWidth(s.axis_width)
            chart.getAxis("bottom").setHeight(s.axis_height)
        self.all_modes.setPen(P.pen(t.foreground, s.thin, QtCore.Qt.PenStyle.DashLine, alpha=0.4, over=t.background))
        self.captions.set_point_size(s.tick_pt if self._compact else s.label_pt + 1)
        P.style_legend(self.modes_legend, t, pres)
        self._fit_legend()
        for i in range(len(self.mode_curves)):
            self._style_series(i)
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
        p.fillRect(self.rect(), P.qcolor(self.theme.background))
        p.end()
