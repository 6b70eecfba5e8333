"""The one home of the ui's plot styling and sizes: themed plots, pens, fonts, colour maps.

`Sizes` holds the font sizes, line widths and marker sizes of the views, the side panels and
the control panel, in normal and presentation mode (`sizes(presentation)`).
Two plot styles read it: `style_plot` for the views (the lab views and Compare: no grid,
opaque pens) and `style_panel_plot` for the side panels' charts (the loss-shape and metric
panels: a grid, titles that wrap, see `set_title`).

Everything here is built once per widget (or once per theme / presentation
change), never per frame, except `StableRange.update` and `CornerText.set_text`,
which are cheap enough to call on every snapshot.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ganviz.ui.theme import Theme

try:        # pyqtgraph's QLineF array (its segmented line mode); a list of QLineF where it is missing
    from pyqtgraph.graphicsItems.PlotCurveItem import arrayToLineSegments as _line_array
except ImportError:         # pragma: no cover - pyqtgraph releases without it
    _line_array = None


def line_segments(x: np.ndarray, y: np.ndarray, connect: str) -> tuple:
    """(owner, args): `QPainter.drawLines(*args)` draws the polyline (connect="all") or the separate
    pairs (connect="pairs": (x[2i], y[2i]) to (x[2i+1], y[2i+1])) through finite points x, y in
    pixels; args may point into `owner`'s memory, so keep both."""
    if _line_array is not None:
        owner = _line_array(x, y, connect=connect, finiteCheck=False)
        return owner, owner.drawargs()
    if connect == "all":
        ax, ay, bx, by = x[:-1], y[:-1], x[1:], y[1:]
    else:
        ax, ay, bx, by = x[0::2], y[0::2], x[1::2], y[1::2]
    lines = [QtCore.QLineF(*v) for v in zip(ax.tolist(), ay.tolist(), bx.tolist(), by.tolist())]
    return lines, (lines,)


# Coordinates beyond this many view widths off-screen are pinned there before drawing:
# Qt's raster engine misdraws paths with coordinates near float32 overflow.
OFFSCREEN_WIDTHS = 4.0


@dataclass(frozen=True)
class Sizes:
    """Font sizes (pt), line widths (px) and marker sizes (px) for one display mode."""
    # The views (1D, 2D, Compare).
    tick_pt: int
    label_pt: int
    legend_pt: int
    text_pt: int
    line: float
    thin: float
    marker: float
    small_marker: float
    axis_width: int
    axis_height: int
    # The side panels (loss shape, metrics, info): their text, and a factor on their line widths.
    panel_pt: float
    panel_line: float
    # The control panel's text.
    control_pt: float


NORMAL = Sizes(tick_pt=10, label_pt=11, legend_pt=10, text_pt=11, line=2.0, thin=1.0,
               marker=7.0, small_marker=4.0, axis_width=56, axis_height=40,
               panel_pt=10.0, panel_line=1.0, control_pt=10.0)
PRESENTATION = Sizes(tick_pt=15, label_pt=17, legend_pt=15, text_pt=17, line=3.5, thin=1.8,
                     marker=11.0, small_marker=6.0, axis_width=82, axis_height=58,
                     panel_pt=15.0, panel_line=2.0, control_pt=14.0)


def sizes(presentation: bool) -> Sizes:
    return PRESENTATION if presentation else NORMAL


# A view shorter than this many pixels (a small export such as 560x350, or a small window)
# draws its legend compact: smaller text, tighter rows, so that the plot keeps the room.
COMPACT_HEIGHT = 480


def is_compact(height: int) -> bool:
    return 0 < height < COMPACT_HEIGHT


def legend_pt(presentation: bool, compact: bool) -> int:
    """The legend's text size: two points smaller (never under 7) in a compact view."""
    pt = sizes(presentation).legend_pt
    return max(7, pt - 2) if compact else pt


def qcolor(color: str | tuple, alpha: float = 1.0) -> QtGui.QColor:
    c = QtGui.QColor(color) if isinstance(color, str) else QtGui.QColor(*color)
    c.setAlphaF(alpha)
    return c


def mix(color: str | tuple, over: str | tuple, alpha: float) -> QtGui.QColor:
    """The opaque colour that `color` at `alpha` makes on top of `over`."""
    a, b = qcolor(color), qcolor(over)
    return QtGui.QColor.fromRgbF(*(alpha * x + (1 - alpha) * y for x, y in
                                   zip(a.getRgbF()[:3], b.getRgbF()[:3])))


def pen(color: str | tuple, width: float = 1.0, style: QtCore.Qt.PenStyle = QtCore.Qt.PenStyle.SolidLine,
        alpha: float = 1.0, over: str | tuple | None = None) -> QtGui.QPen:
    """A cosmetic pen; with `over`, a translucent colour is pre-mixed into an opaque one.

    Qt's raster engine draws translucent lines several times slower than opaque ones
    (tens of ms for a plot's grid or a few thousand arrows), so line items use `over`.
    """
    p = QtGui.QPen(qcolor(color, alpha) if over is None else mix(color, over, alpha))
    p.setWidthF(width)
    p.setStyle(style)
    p.setCosmetic(True)
    # Round caps make Qt stroke every antialiased segment wider than 1 px the slow way
    # (~10x slower for a mesh of a few hundred lines).
    p.setCapStyle(QtCore.Qt.PenCapStyle.FlatCap)
    return p


def brush(color: str | tuple, alpha: float = 1.0) -> QtGui.QBrush:
    return QtGui.QBrush(qcolor(color, alpha))


def font(pt: int, bold: bool = False) -> QtGui.QFont:
    f = QtGui.QFont()
    f.setPointSize(pt)
    f.setBold(bold)
    return f


def heat_colormap(theme: Theme, strength: float | None = None) -> pg.ColorMap:
    """The theme's diverging D map (0 fake, 1/2 neutral, 1 real), washed towards the background.

    Full-strength heat colours equal the sample colours (green real dots would vanish on
    a green region), so the map is blended towards the background and the dots stay vivid.
    A dark theme's heat colours are already dim, so they are washed less.
    """
    bg = np.array(qcolor(theme.background).getRgb()[:3], float)
    if strength is None:
        strength = 0.5 if bg.mean() > 127 else 0.8
    stops = [bg + strength * (np.array(c, float) - bg) for c in theme.heat]
    colors = np.clip(np.round(stops), 0, 255).astype(np.uint8)
    return pg.ColorMap(pos=np.array([0.0, 0.5, 1.0]), color=colors)


def segmented(item: pg.PlotDataItem) -> pg.PlotDataItem:
    """Draw `item` with QPainter.drawLines instead of one QPainterPath.

    For many separate segments (arrows, rugs, mesh lines) Qt strokes a path drawn with a
    translucent or antialiased pen as one shape, at tens of milliseconds per frame for a
    few thousand segments; separate lines cost a small fraction of that.
    """
    item.curve.setSegmentedLineMode("on")
    return item


class DeviceCurve(pg.PlotCurveItem):
    """A PlotCurveItem that strokes its line in device pixels, through only the points that shape it,
    as separate antialiased lines.

    Qt strokes a pen wider than 1 px with antialiasing by outlining the whole path (every segment and
    join), and does so a third slower again under the view's data-to-pixel transform: a 600-point
    density at 2 px cost ~2.4 ms a frame, four of them most of the 1D view's frame, and a dotted D*
    more. Here the points are mapped to pixels with numpy; the points that lie within `TOLERANCE` px
    of the line through their neighbours (the flat tails, the straight flanks) are dropped; and the
    line goes to Qt as separate segments (`QPainter.drawLines`), which its raster engine fills one by
    one on a fast path: ~0.25 ms for the same line, numpy included (scripts/bench_curves.py). Square caps close the
    joins of an opaque line (two segments overlap by a pixel, which an opaque colour hides); a dashed
    or dotted pen's dashes are cut along the line's length in numpy (`dash_segments`) with the pen's
    own pattern and flat caps, as Qt would dash the path. Translucent pens, fills, step mode, shadow
    pens and exports (SVG keeps every point) take pyqtgraph's own path.
    """

    TOLERANCE = 0.08     # px a dropped point may lie off the line drawn; a few passes stay under 0.5 px
    PASSES = 6

    _device_key: tuple = ()
    _device_lines: tuple = (None, ())    # line_segments: (owner, what QPainter.drawLines takes)
    _device_points: tuple = ()     # the simplified line in pixels (x, y), for tests and dashes

    def paint(self, p: QtGui.QPainter, opt, widget) -> None:
        o = self.opts
        pen = o["pen"]
        t = p.transform()
        x, y = self.xData, self.yData
        plain = (o["fillLevel"] is None and not o["stepMode"] and o["shadowPen"] is None
                 and isinstance(o["connect"], str) and o["connect"] in ("all", "finite") and self._exportOpts is False
                 and pen is not None and pen.isCosmetic() and pen.brush().style() == QtCore.Qt.BrushStyle.SolidPattern
                 and pen.color().alpha() == 255
                 and t.type().value <= QtGui.QTransform.TransformationType.TxScale.value)
        if not plain or x is None or len(x) < 2:
            super().paint(p, opt, widget)
            return
        if pen.style() == QtCore.Qt.PenStyle.NoPen:
            return
        key = (id(x), id(y), t.m11(), t.m22(), t.dx(), t.dy(), pen.style(), pen.widthF(),
               tuple(pen.dashPattern()) if pen.style() != QtCore.Qt.PenStyle.SolidLine else (), pen.dashOffset())
        if key != self._device_key:
            px = np.asarray(x, np.float64) * t.m11() + t.dx()
            py = np.asarray(y, np.float64) * t.m22() + t.dy()
            finite = np.isfinite(px) & np.isfinite(py)
            if not finite.all() and o["connect"] != "finite":
                super().paint(p, opt, widget)
                return
            # connect="finite": the line breaks where a value is missing (D* where neither density has mass)
            pieces = [simplify_line(px[a:b], py[a:b], self.TOLERANCE, self.PASSES) for a, b in finite_runs(finite)]
            width = max(pen.widthF(), 1.0)
            if len(pieces) == 1 and pen.style() == QtCore.Qt.PenStyle.SolidLine:
                self._device_lines = line_segments(*pieces[0], "all")
            else:
                pairs = [line_pairs(*piece) if pen.style() == QtCore.Qt.PenStyle.SolidLine else
                         dash_segments(*piece, np.asarray(pen.dashPattern(), np.float64) * width,
                                       pen.dashOffset() * width) for piece in pieces]
                self._device_lines = line_segments(np.concatenate([a for a, _ in pairs] or [np.empty(0)]),
                                                   np.concatenate([b for _, b in pairs] or [np.empty(0)]), "pairs")
            self._device_points = pieces[0] if len(pieces) == 1 else (
                np.concatenate([np.append(a, np.nan) for a, _ in pieces] or [np.empty(0)]),
                np.concatenate([np.append(b, np.nan) for _, b in pieces] or [np.empty(0)]))
            self._device_key = key
        # the pen of this paint (a theme's colour may have changed since the lines were cut)
        lines_pen = QtGui.QPen(pen)
        if pen.style() == QtCore.Qt.PenStyle.SolidLine:
            lines_pen.setCapStyle(QtCore.Qt.PenCapStyle.SquareCap)
        else:
            lines_pen.setStyle(QtCore.Qt.PenStyle.SolidLine)
            lines_pen.setCapStyle(QtCore.Qt.PenCapStyle.FlatCap)
        p.save()
        p.resetTransform()
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, bool(o["antialias"]))
        p.setPen(lines_pen)
        p.drawLines(*self._device_lines[1])
        p.restore()


# D* = p_data / (p_data + p_g) is 0/0 where neither density has mass: off the data and the fakes, the estimate
# of p_g's far tail (a few stray samples) sets it anywhere from 0 to 1. Views draw D* and D - D* only where
# p_data + p_g is above this share of its peak (the weight of the RMS gap there is under 1 % as well).
MASS_SHARE = 0.01


def has_mass(p_data: np.ndarray, p_g: np.ndarray) -> np.ndarray:
    """Where p_data + p_g is above MASS_SHARE of its peak (bool, the grid's shape)."""
    weight = np.nan_to_num(np.asarray(p_data, np.float64)) + np.nan_to_num(np.asarray(p_g, np.float64))
    return weight > MASS_SHARE * max(float(weight.max()) if weight.size else 0.0, 1e-300)


def finite_runs(finite: np.ndarray) -> list[tuple[int, int]]:
    """The [start, stop) index ranges of the runs of two or more True values in `finite`."""
    edges = np.flatnonzero(np.diff(np.concatenate([[False], finite, [False]]).astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[0::2], edges[1::2]) if b - a >= 2]


def line_pairs(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The polyline (x, y) as separate segments: (x[2i], y[2i]) to (x[2i+1], y[2i+1])."""
    return (np.column_stack([x[:-1], x[1:]]).ravel(), np.column_stack([y[:-1], y[1:]]).ravel())


def dash_segments(x: np.ndarray, y: np.ndarray, pattern: np.ndarray, offset: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """The dashes of the polyline (x, y) in pixels for a dash `pattern` (on, off, on, off ... lengths in
    pixels, Qt's order) started `offset` pixels into the pattern, as pairs of points: (x[2i], y[2i]) to
    (x[2i+1], y[2i+1]) is one straight piece of a dash (a dash that turns a corner is several)."""
    seg = np.hypot(np.diff(x), np.diff(y))
    keep = np.concatenate([[True], seg > 0])                 # coincident points have no length to dash
    x, y = x[keep], y[keep]
    s = np.concatenate([[0.0], np.cumsum(seg[seg > 0])])
    total = s[-1]
    period = float(pattern.sum()) if pattern.size else 0.0
    if total <= 0 or pattern.size < 2 or period <= 0:
        return np.empty(0), np.empty(0)
    edges = np.concatenate([[0.0], np.cumsum(pattern)])
    on_lo, on_hi = edges[0:-1:2], edges[1::2]               # the "on" entries within one period
    shift = offset % period
    k = np.arange(int(np.ceil((total + shift) / period)) + 1)[:, None] * period - shift
    lo, hi = (k + on_lo).ravel(), (k + on_hi).ravel()
    lo, hi = np.clip(lo, 0.0, total), np.clip(hi, 0.0, total)
    lo, hi = lo[hi > lo], hi[hi > lo]
    if lo.size == 0:
        return np.empty(0), np.empty(0)
    cuts = np.unique(np.concatenate([s, lo, hi]))
    mid = 0.5 * (cuts[:-1] + cuts[1:])
    i = np.searchsorted(lo, mid, side="right") - 1
    on = (i >= 0) & (mid < hi[np.maximum(i, 0)])
    a, b = cuts[:-1][on], cuts[1:][on]
    ends = np.column_stack([a, b]).ravel()
    return np.interp(ends, s, x), np.interp(ends, s, y)


def simplify_line(x: np.ndarray, y: np.ndarray, tol: float, passes: int) -> tuple[np.ndarray, np.ndarray]:
    """The polyline (x, y) without the points that lie within `tol` of the chord between their kept
    neighbours; each pass looks at every other kept point, so a pass moves the line at most `tol`."""
    keep = np.arange(len(x))
    for _ in range(passes):
        if len(keep) < 3:
            break
        mid = keep[1:-1:2]
        a, b = keep[0:-2:2], keep[2::2]
        ax, ay = x[a], y[a]
        dx, dy = x[b] - ax, y[b] - ay
        length = np.hypot(dx, dy)
        # distance of the middle point from the chord a-b (from a itself where a and b coincide)
        cross = np.abs(dx * (y[mid] - ay) - dy * (x[mid] - ax))
        dist = np.where(length > 0, cross / np.maximum(length, 1e-300), np.hypot(x[mid] - ax, y[mid] - ay))
        drop = dist < tol
        if not drop.any():
            break
        mask = np.ones(len(keep), bool)
        mask[1:-1:2] = ~drop
        keep = keep[mask]
    return x[keep], y[keep]


def device_curve(item: pg.PlotDataItem) -> pg.PlotDataItem:
    """`item` drawing its line with a `DeviceCurve` (for the long antialiased curves of densities and D)."""
    old = item.curve
    curve = DeviceCurve()
    curve.setParentItem(item)
    curve.sigClicked.connect(item.sigClicked)
    old.setParentItem(None)
    item.curve = curve
    item.updateItems(styleUpdate=True)
    return item


def make_plot(theme: Theme, presentation: bool = False) -> pg.PlotItem:
    """A PlotItem that a lecturer cannot pan or zoom by accident, styled for `theme`."""
    plot = pg.PlotItem()
    plot.setMenuEnabled(False)
    plot.hideButtons()
    plot.setMouseEnabled(x=False, y=False)
    plot.vb.disableAutoRange()
    style_plot(plot, theme, presentation)
    return plot


def cache_axis(axis: pg.AxisItem) -> None:
    """Keep the axis's picture (ticks, labels, a grid) as a pixmap between its changes: pyqtgraph
    replays its recorded picture on every repaint of the view, ~1 ms an axis; the axis redraws itself
    (and the pixmap) when its range, ticks or style change."""
    axis.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)


def opaque_grid(axis: pg.AxisItem, background: str) -> None:
    """Draw an axis's grid (and minor ticks) opaque, under the plot's curves.

    pyqtgraph draws a grid in the axis pen's colour made translucent, over the data, and Qt's raster
    engine draws translucent lines far slower than opaque ones: a side panel's chart whose range moved
    repainted in ~5 ms with that grid, ~2 ms with this one (scripts/bench_curves.py), and the metrics
    panel's five charts move together at each evaluation.
    Here every tick and grid line gets the opaque colour it makes on `background`, and the axis goes
    under the plot's view box (whose background is clear), so the curves cross the grid as before.
    """
    axis._ganviz_background = background
    axis.setZValue(-200)              # under the ViewBox (-100): the grid under the data
    if getattr(axis, "_ganviz_opaque", False):
        return
    axis._ganviz_opaque = True
    generate = axis.generateDrawSpecs

    def opaque_specs(p):
        specs = generate(p)
        if specs is None:
            return specs
        axis_spec, tick_specs, text_specs = specs
        return axis_spec, [(_opaque_pen(pen_, axis._ganviz_background), a, b) for pen_, a, b in tick_specs], text_specs

    axis.generateDrawSpecs = opaque_specs


def _opaque_pen(p: QtGui.QPen, background: str) -> QtGui.QPen:
    c = p.color()
    if c.alpha() == 255:
        return p
    out = QtGui.QPen(p)
    out.setColor(mix(c.getRgb()[:3], background, c.alphaF()))
    return out


def style_axis(axis: pg.AxisItem, theme: Theme, presentation: bool) -> None:
    s = sizes(presentation)
    cache_axis(axis)
    axis.setPen(pen(theme.foreground, 1.0, alpha=0.7, over=theme.background))
    axis.setTextPen(pen(theme.foreground))
    axis.setStyle(tickFont=font(s.tick_pt), tickTextOffset=4 if not presentation else 6,
                  tickLength=-6 if not presentation else -9)
    axis.enableAutoSIPrefix(False)  # "density (x0.001)" confuses a lecture audience
    axis.labelStyle = {"color": theme.foreground, "font-size": f"{s.label_pt}pt"}
    axis._updateLabel()  # labelStyle has no public setter that keeps the current text


class FittedAxis(pg.AxisItem):
    """An axis whose tick labels never run together: the major spacing is the smallest of
    1, 2 or 5 x 10^n that leaves each label its own width, or on a vertical axis its height
    (pyqtgraph's choice ignores the labels' size: on a narrow chart "0 500 1000" becomes
    "05001000", and on a short one 0 to 8 stacked nine labels in 60 px)."""

    def __init__(self, orientation: str, integer: bool = False, **kwargs) -> None:
        super().__init__(orientation, **kwargs)
        self._integer = integer       # counts (modes captured): no tick between two whole numbers

    def tickSpacing(self, minVal: float, maxVal: float, size: float):
        span = maxVal - minVal
        if not (np.isfinite(span) and span > 0 and size > 0):
            return super().tickSpacing(minVal, maxVal, size)
        metrics = QtGui.QFontMetricsF(self.style.get("tickFont") or QtGui.QFont())
        widest = max(abs(minVal), abs(maxVal))
        if self.orientation in ("bottom", "top"):
            label = metrics.horizontalAdvance(f"{widest:.0f}" if widest >= 10 else f"{widest:.1f}")
            room = label + 14.0
        else:     # labels stacked: each needs its height
            label = metrics.height()
            room = label + 6.0
        fits = max(1.0, size / room)
        raw = span / fits
        exp = 10.0 ** np.floor(np.log10(raw))
        nice = [m * exp for m in (0.5, 1.0, 2.0, 5.0, 10.0)]
        major = next(m for m in nice if m >= raw)
        # The labels at the two ends are dropped by pyqtgraph when they stick out: where that
        # leaves none, take the next finer spacing if its labels still clear each other.
        finer = nice[nice.index(major) - 1]
        if span / major < 2 and finer * size / span >= label + 2.0:
            major = finer
        if self._integer:
            major = max(major, 1.0)
        return [(major, 0.0)]


class LogAxis(pg.AxisItem):
    """A log-scale axis whose labels between the powers of ten never run together, and are more than one.

    Within less than a decade or two pyqtgraph labels every multiple 2..9 of each power of ten, however
    short the axis: on a metrics chart 100 px high they piled up into one smudge. This keeps the densest of
    these sets of multiples whose labels clear each other. Within less than a decade, where the whole numbers
    leave fewer than three labels (the Dirac-GAN's distance from 1.3 to 3: "2" alone), it adds halves
    (1.5, 2.5, 3.5) and fifths (1.2) where they fit, labelled to two digits."""

    MULTIPLES = ((1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 2, 3, 4, 5), (1, 2, 3, 5), (1, 2, 5), (1, 3), (1,))
    FINER = (1, 1.2, 1.5, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8, 9)

    def logTickValues(self, minVal, maxVal, size, stdTicks):
        ticks = [(spacing, t) for spacing, t in stdTicks if spacing >= 1.0]
        if len(ticks) >= 3 or not (np.isfinite(minVal) and np.isfinite(maxVal) and maxVal > minVal and size > 0):
            return super().logTickValues(minVal, maxVal, size, stdTicks)
        metrics = QtGui.QFontMetricsF(self.style.get("tickFont") or QtGui.QFont())
        room = (metrics.height() + 2.0 if self.orientation in ("left", "right")
                else metrics.horizontalAdvance("0.5") + 10.0)
        per_decade = size / (maxVal - minVal)

        def inside(multiples) -> list[float]:
            return [x for v in range(int(math.floor(minVal)), int(math.ceil(maxVal)))
                    for x in (v + math.log10(m) for m in multiples) if minVal < x < maxVal]

        def fits(multiples) -> bool:
            return float(np.diff(np.log10(np.array(tuple(multiples) + (10,), float))).min()) * per_decade >= room

        multiples = next((m for m in self.MULTIPLES if fits(m)), self.MULTIPLES[-1])
        if len(inside(multiples)) < 3 and multiples == self.MULTIPLES[0] and fits(self.FINER):
            multiples = self.FINER
        ticks.append((None, inside(multiples)))
        return ticks

    def logTickStrings(self, values, scale, spacing):
        strings = super().logTickStrings(values, scale, spacing)
        # pyqtgraph writes one digit ("%0.1g": 1.5 reads "2"); a half or a fifth gets its second one
        out = []
        for v, text in zip(values, strings):
            x = 10.0 ** float(v) * scale
            mantissa = x / 10.0 ** math.floor(math.log10(x)) if x > 0 else 1.0
            out.append(f"{x:.2g}" if abs(mantissa - round(mantissa)) > 1e-6 and 1e-3 <= x < 1e4 else text)
        return out


def style_plot(plot: pg.PlotItem, theme: Theme, presentation: bool) -> None:
    """A view's plot (the lab views, Compare): axes in the theme's colours and sizes.

    No grid: pyqtgraph draws grid lines translucent across the whole plot, ~5 ms per axis
    and frame at 1280x720; a view that wants one pays for it knowingly.
    """
    for name in ("left", "bottom", "right", "top"):
        style_axis(plot.getAxis(name), theme, presentation)


def panel_font(pt: float) -> QtGui.QFont:
    """A side panel's font: its sizes are fractional (a legend at 0.9 of the text)."""
    f = QtGui.QFont()
    f.setPointSizeF(pt)
    return f


def style_panel_plot(plot: pg.PlotItem, theme: Theme, presentation: bool) -> None:
    """A side panel's chart (loss shape, metrics): axis colours, tick and label fonts, and a grid.

    Unlike `style_plot`, the grid is on: the panels' charts are read for values, and they are
    small enough that its cost does not matter.
    """
    size = sizes(presentation).panel_pt
    tick_font = panel_font(size)
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        cache_axis(axis)
        opaque_grid(axis, theme.background)
        axis.setPen(theme.foreground)
        axis.setTextPen(theme.foreground)
        axis.setStyle(tickFont=tick_font)
        # No SI rescaling: pyqtgraph would show D in (0, 1) as 0..1000 "(x0.001)".
        axis.setLabel(axis.labelText, units=axis.labelUnits or None, siPrefixEnableRanges=(),
                      **{"color": theme.foreground, "font-size": f"{size}pt"})
    plot.showGrid(x=True, y=True, alpha=theme.grid_alpha)


def html_width(html: str, size: float) -> float:
    """The width in pixels of rich text at `size` points, on one line."""
    doc = QtGui.QTextDocument()
    doc.setDefaultFont(panel_font(size))
    doc.setDocumentMargin(0)
    doc.setHtml(html)
    return doc.idealWidth()


def wrap_html(parts: list[str], width: float, size: float) -> str:
    """Join HTML fragments with spaces, breaking lines so that none is wider than `width` pixels."""
    sep = "&nbsp;&nbsp; "
    lines: list[list[str]] = []
    for part in parts:
        if lines and html_width(sep.join(lines[-1] + [part]), size) <= width:
            lines[-1].append(part)
        else:
            lines.append([_break_words(part, width, size)])
    return "<br>".join(sep.join(line) for line in lines)


def _break_words(part: str, width: float, size: float) -> str:
    """One fragment wider than `width` broken at its spaces (a long title); tags stay whole."""
    if html_width(part, size) <= width or " " not in part:
        return part
    words = part.split(" ")
    lines = [words[0]]
    for word in words[1:]:
        if html_width(lines[-1] + " " + word, size) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def set_title(plot: pg.PlotItem, html: str, colour: str, size: float) -> None:
    """A plot title that may run over several lines (PlotItem fixes the title row at 30 px)."""
    plot.setTitle(html, color=colour, size=f"{size}pt")
    height = plot.titleLabel.itemRect().height()
    plot.titleLabel.setMaximumHeight(height)
    plot.layout.setRowFixedHeight(0, height)


def refit(view: pg.GraphicsLayoutWidget) -> None:
    """Fit the layout to the view again: a layout once widened by long text does not shrink by itself."""
    view.ci.setGeometry(QtCore.QRectF(0, 0, view.width(), view.height()))


def style_legend(legend: pg.LegendItem, theme: Theme, presentation: bool, frame_alpha: float = 0.8,
                 compact: bool = False) -> None:
    legend.setBrush(brush(theme.background, frame_alpha))
    legend.setPen(pen(theme.foreground, 1.0, alpha=0.25 if frame_alpha else 0.0))
    legend.setLabelTextColor(theme.foreground)
    legend.setLabelTextSize(f"{legend_pt(presentation, compact)}pt")
    # pyqtgraph's rows are the sample's 20 px plus the label's padding; compact rows drop most of it.
    base = getattr(legend, "_normal_ver_spacing", None)
    if base is None:
        base = legend._normal_ver_spacing = legend.layout.verticalSpacing()
    legend.layout.setVerticalSpacing(min(base, -6) if compact else base)
    for _, label in legend.items:
        label.setText(label.text)  # LabelItem re-measures only on setText
    legend.updateSize()


def move_points(item: pg.ScatterPlotItem, xy: np.ndarray) -> None:
    """Move the points of a scatter item whose count and style are unchanged (the fakes of each picture).

    ScatterPlotItem.setData rebuilds every point's record and looks up its symbol again (about 1 ms for
    512 points, six panels a picture in Compare); moving the coordinates in place is what changed.
    """
    xy = np.asarray(xy, np.float64).reshape(-1, 2)
    data = item.data
    if len(data) != len(xy) or len(xy) == 0:
        item.setData(pos=xy)
        return
    data["x"] = xy[:, 0]
    data["y"] = xy[:, 1]
    item.prepareGeometryChange()
    item.informViewBoundsChanged()
    item.bounds = [None, None]
    item.invalidate()


class LagNote:
    """Whether to say that a picture's D is from an earlier step ("D heatmap from step N").

    Where D on the grid costs more than a picture's share, it comes with every other picture or so: a line
    shown on exactly the pictures whose D lags flickered 20-30 times a second (grid25, measured) for a lag
    of a picture or two that no eye can see. While training runs, the line shows when D is behind by more
    than LAG_S seconds of training (Compare's six heatmaps, a few refreshes a second), and stays for HOLD_S
    seconds after the last such picture (then with the step D is from, which may be the picture's own:
    still true). A picture of a run that stands still (paused, or a recorded moment that was) says it
    exactly when its D lags, so that it is drawn the same whenever it is drawn."""

    LAG_S = 0.1
    HOLD_S = 1.0

    def __init__(self) -> None:
        self._lagged_at = float("-inf")

    def show(self, behind: int, steps_per_sec: float, running: bool, now: Optional[float] = None) -> bool:
        """behind: steps between the picture and its D (0: none; negative: D unknown, nothing to say)."""
        if not running:
            return behind > 0
        now = time.monotonic() if now is None else now
        if behind > 0 and (steps_per_sec <= 0 or behind / steps_per_sec > self.LAG_S):
            self._lagged_at = now
        return now - self._lagged_at < self.HOLD_S

    def of(self, snap, grid_step: int) -> bool:
        """`show` for a snapshot whose D on the grid is from `grid_step` (-1: unknown, nothing to say)."""
        return grid_step >= 0 and self.show(snap.step - grid_step, snap.steps_per_sec, snap.running)


def fakes_note(lag: LagNote, snap, i: int) -> str:
    """The line a view of GAN i adds about its fakes: none computed in this run (said on a still picture: a
    moment of a recording made while another GAN of the set was drawn), or from an earlier step (`lag` keeps
    that steady while training); "" when they are the picture's own."""
    if snap.never_computed("fake", i):
        return "" if snap.running else "fakes not recorded at this step"
    at = snap.step_of("fake", i)
    return f"fakes from step {at:,}" if lag.of(snap, at) else ""


class HeatImage(pg.ImageItem):
    """An ImageItem that maps and uploads an image only when it differs from the one it shows.

    A heatmap reused from an earlier step (D on the grid comes at a rate of its own) is drawn again
    with every picture; pyqtgraph would run the colour map over it and make a new QImage each time
    (six of them a picture in Compare)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._shown: Optional[tuple] = None

    def show_image(self, img: np.ndarray, levels: tuple) -> bool:
        """Show `img` at `levels`; False when that is what it already showed."""
        levels = tuple(float(v) for v in levels)
        last = self._shown
        if (last is not None and last[1] == levels and last[0].shape == img.shape
                and np.array_equal(last[0], img, equal_nan=True)):
            return False
        self.setImage(img, autoLevels=False, levels=levels)
        self._shown = (np.array(img, copy=True), levels)
        return True

    def blank(self) -> None:
        """Show nothing (a D never computed for the GAN drawn)."""
        if self._shown is not None:
            self.clear()
            self._shown = None

    @property
    def shown(self) -> Optional[np.ndarray]:
        """The image shown, or None."""
        return None if self._shown is None else self._shown[0]


def pin(a: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Finite float64 values clipped to [lo - k*w, hi + k*w]: far off-screen but drawable."""
    pad = OFFSCREEN_WIDTHS * (hi - lo)
    return np.clip(np.nan_to_num(np.asarray(a, np.float64), nan=hi + pad, posinf=hi + pad, neginf=lo - pad),
                   lo - pad, hi + pad)


class StableRange:
    """An axis range that follows the data without twitching every frame.

    Grows at once when the data outgrow it, shrinks only when the data fill less than
    `shrink_below` of it, so a wobbling peak does not make the axis breathe.
    """

    def __init__(self, floor: tuple[float, float] | None = None, cap: tuple[float, float] | None = None,
                 pad: float = 0.1, shrink_below: float = 0.5) -> None:
        self.floor = floor      # the range never shrinks inside this one
        self.cap = cap          # nor grows beyond this one
        self.pad = pad
        self.shrink_below = shrink_below
        self.lo, self.hi = floor if floor else (0.0, 1.0)
        self._fresh = True

    def reset(self, floor: tuple[float, float] | None = None, cap: tuple[float, float] | None = None) -> None:
        self.floor, self.cap = floor, cap
        self.lo, self.hi = floor if floor else (0.0, 1.0)
        self._fresh = True

    def update(self, lo: float, hi: float) -> bool:
        """Fold in the data's extent; True when the range changed."""
        if not (np.isfinite(lo) and np.isfinite(hi)):
            return False
        if hi <= lo:
            half = max(abs(lo), 1.0) * 0.5
            lo, hi = lo - half, hi + half
        span = hi - lo
        want_lo, want_hi = lo - self.pad * span, hi + self.pad * span
        if self.floor:
            want_lo, want_hi = min(want_lo, self.floor[0]), max(want_hi, self.floor[1])
        if self.cap:
            want_lo, want_hi = max(want_lo, self.cap[0]), min(want_hi, self.cap[1])
        if not self._fresh:
            if want_lo < self.lo or want_hi > self.hi:
                want_lo, want_hi = min(want_lo, self.lo), max(want_hi, self.hi)
            elif want_hi - want_lo >= self.shrink_below * (self.hi - self.lo):
                return False
        changed = (want_lo, want_hi) != (self.lo, self.hi)
        self.lo, self.hi, self._fresh = want_lo, want_hi, False
        return changed


class CornerText(QtWidgets.QGraphicsRectItem):
    """Text pinned to a corner of a ViewBox, in pixels, on a translucent plate.

    Cheaper than a LabelItem for per-frame text: it never asks the layout to re-flow.
    """

    def __init__(self, vb: pg.ViewBox, corner: str = "top-left", margin: float = 8.0) -> None:
        super().__init__()
        self._vb = vb
        self._corner = corner
        self._margin = margin
        self._pad = 5.0
        self.text_item = QtWidgets.QGraphicsSimpleTextItem(self)
        self.text_item.setPos(self._pad, self._pad * 0.6)
        self.setParentItem(vb)
        self.setZValue(1e6)
        self.setVisible(False)          # shown by set_text once it has text: no empty plate
        vb.sigResized.connect(self._place)

    def text(self) -> str:
        return self.text_item.text()

    def set_text(self, text: str) -> None:
        if text == self.text_item.text():
            return
        self.text_item.setText(text)
        r = self.text_item.boundingRect()
        self.setRect(0, 0, r.width() + 2 * self._pad, r.height() + 1.2 * self._pad)
        self._place()
        self.setVisible(bool(text))

    def set_style(self, theme: Theme, pt: int, plate_alpha: float = 0.75) -> None:
        self.text_item.setFont(font(pt))
        self.text_item.setBrush(brush(theme.foreground))
        self.setBrush(brush(theme.background, plate_alpha))
        self.setPen(QtGui.QPen(QtCore.Qt.PenStyle.NoPen))
        text = self.text_item.text()
        self.text_item.setText("")  # forces set_text to re-measure with the new font
        self.set_text(text)

    def _place(self, *_) -> None:
        vr = self._vb.rect()
        r = self.rect()
        x = self._margin if "left" in self._corner else vr.width() - r.width() - self._margin
        y = self._margin if "top" in self._corner else vr.height() - r.height() - self._margin
        self.setPos(x, y)


class GanIndexed:
    """The `index` of the GAN (of a snapshot's M) that a widget shows; a change redraws it.

    Mix in before the Qt base class; the widget sets `self._index = 0` and implements
    `_on_index(changed)`.
    """

    _index: int = 0

    @property
    def index(self) -> int:
        """Which of the snapshot's M GANs is shown (clamped to M - 1 when drawing)."""
        return self._index

    @index.setter
    def index(self, value: int) -> None:
        if value < 0:
            raise ValueError(f"GAN index must be 0 or more, got {value}.")
        changed = int(value) != self._index
        self._index = int(value)
        self._on_index(changed)

    def _on_index(self, changed: bool) -> None:
        raise NotImplementedError


class Layered:
    """Named layers (`LAYERS`) that the user shows and hides from the legend or the View menu.

    Mix in before the Qt base class. The widget holds `self.item` (layer -> graphics item),
    `self._visible` (layer -> bool) and `self.legend`, declares the Qt signal
    `layerToggled(str, bool)`, names itself in `VIEW_NAME` and implements `_apply_visibility()`.
    """

    LAYERS: tuple = ()
    VIEW_NAME = ""

    @classmethod
    def layer_names(cls) -> tuple:
        return cls.LAYERS

    def layer_visible(self, name: str) -> bool:
        self._check_layer(name)
        return self._visible[name]

    def set_layer_visible(self, name: str, visible: bool) -> None:
        self._check_layer(name)
        self._visible[name] = bool(visible)
        self._apply_visibility()

    def _check_layer(self, name: str) -> None:
        if name not in self.LAYERS:
            raise ValueError(f"Unknown layer {name!r}; the {self.VIEW_NAME} view has {', '.join(self.LAYERS)}.")

    def _add_legend(self, entries: tuple) -> None:
        """Legend rows (layer, text); a click on one shows or hides the whole layer."""
        self._legend_entries = entries
        for key, text in entries:
            self.legend.addItem(self.item[key], text)
        self.legend.sigSampleClicked.connect(self._legend_clicked)

    def _legend_clicked(self, item) -> None:
        for key, _ in self._legend_entries:
            if self.item[key] is item:
                # The legend has already flipped the item; make the whole layer agree.
                self.set_layer_visible(key, item.isVisible())
                self.layerToggled.emit(key, self._visible[key])
                return
