"""The 1D curves drawn in device pixels through fewer points (plotting.DeviceCurve, simplify_line)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest

from ganviz.ui import plotting as P


def _distance_to_polyline(px, py, qx, qy):
    """Distance of each point (px, py) from the polyline through (qx, qy)."""
    ax, ay, bx, by = qx[:-1], qy[:-1], qx[1:], qy[1:]
    dx, dy = bx - ax, by - ay
    t = np.clip(((px[:, None] - ax) * dx + (py[:, None] - ay) * dy) / np.maximum(dx * dx + dy * dy, 1e-300), 0, 1)
    return np.min(np.hypot(ax + t * dx - px[:, None], ay + t * dy - py[:, None]), axis=1)


def test_simplify_keeps_the_line_within_half_a_pixel_and_drops_the_flat_tails():
    x = np.linspace(0, 800, 600)
    y = 300 - 250 * np.exp(-0.5 * ((x - 300) / 40) ** 2) - 120 * np.exp(-0.5 * ((x - 600) / 6) ** 2)
    sx, sy = P.simplify_line(x, y, P.DeviceCurve.TOLERANCE, P.DeviceCurve.PASSES)
    assert sx[0] == x[0] and sx[-1] == x[-1]           # the ends stay
    assert len(sx) < len(x) / 2                          # the tails are straight: most points go
    assert _distance_to_polyline(x, y, sx, sy).max() <= P.DeviceCurve.TOLERANCE * P.DeviceCurve.PASSES
    narrow = x > 500                                     # the narrow peak keeps its top
    assert abs(sy[sx > 500].min() - y[narrow].min()) < 0.5


def test_simplify_keeps_a_zigzag_whole():
    x = np.arange(50.0)
    y = np.where(np.arange(50) % 2 == 0, 0.0, 3.0)
    sx, sy = P.simplify_line(x, y, 0.08, 6)
    np.testing.assert_array_equal(sx, x)
    np.testing.assert_array_equal(sy, y)


def test_view1d_curves_paint_as_device_lines(view1d):
    from tests.ui.synth import synthetic_snapshot

    view1d.set_snapshot(synthetic_snapshot(dim=1))
    image = view1d.grab().toImage()
    assert not image.isNull()
    curve = view1d.item["p_data"].curve
    assert isinstance(curve, P.DeviceCurve)
    # painted: the line in pixels exists, with fewer points than the grid (flat tails dropped)
    px, _ = curve._device_points
    assert 2 <= len(px) < len(curve.xData)
    assert curve._device_lines[0] is not None


def test_dashes_follow_the_pattern_along_the_line_and_round_its_corners():
    # An L of 60 px: 40 along x, then 20 down; pattern 4 on, 2 off
    x, y = np.array([0.0, 40.0, 40.0]), np.array([0.0, 0.0, 20.0])
    dx, dy = P.dash_segments(x, y, np.array([4.0, 2.0]))
    a = np.column_stack([dx[0::2], dy[0::2]])
    b = np.column_stack([dx[1::2], dy[1::2]])
    lengths = np.hypot(*(b - a).T)
    assert lengths.sum() == pytest.approx(40.0)             # 10 periods of 6 px, 4 px on in each
    assert np.all(lengths <= 4.0 + 1e-9)
    # the dash at 36-40 ends at the corner, the next starts 2 px down the leg
    assert np.allclose(a[6], [36.0, 0.0]) and np.allclose(b[6], [40.0, 0.0])
    assert np.allclose(a[7], [40.0, 2.0])
    # every piece lies on the L
    on_x = (np.abs(a[:, 1]) < 1e-9) & (np.abs(b[:, 1]) < 1e-9)
    on_down = (np.abs(a[:, 0] - 40) < 1e-9) & (np.abs(b[:, 0] - 40) < 1e-9)
    assert np.all(on_x | on_down)


def test_a_dash_that_turns_a_corner_is_cut_in_two_pieces_of_its_length():
    x, y = np.array([0.0, 5.0, 5.0]), np.array([0.0, 0.0, 10.0])
    dx, dy = P.dash_segments(x, y, np.array([8.0, 4.0]), offset=0.0)
    pieces = np.hypot(dx[1::2] - dx[0::2], dy[1::2] - dy[0::2])
    # 8 px on (5 along x, 3 down), 4 off, then the last 3 px of the 15 px L
    assert pieces == pytest.approx([5.0, 3.0, 3.0])
    assert np.allclose([dx[1], dy[1]], [5.0, 0.0]) and np.allclose([dx[2], dy[2]], [5.0, 0.0])


def _render(pen, as_device: bool):
    from PySide6 import QtGui

    img = QtGui.QImage(400, 200, QtGui.QImage.Format.Format_RGB32)
    img.fill(QtGui.QColor("white"))
    x = np.linspace(0.0, 10.0, 600)
    y = np.exp(-0.5 * ((x - 4) / 0.8) ** 2) + 0.5 * np.exp(-0.5 * ((x - 7.5) / 0.5) ** 2)
    item = P.DeviceCurve() if as_device else pg.PlotCurveItem()
    item.setData(x, y, pen=pen, antialias=True)
    p = QtGui.QPainter(img)
    p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    p.setTransform(QtGui.QTransform(38.0, 0, 0, -150.0, 10.0, 180.0))   # data -> pixels, y up
    item.paint(p, None, None)
    p.end()
    rgb = np.frombuffer(img.constBits(), np.uint8).reshape(200, 400, 4)[..., :3]
    return rgb.min(axis=2) < 128                                      # the line's dark pixels


@pytest.mark.parametrize("style", ["solid", "dot", "dash"])
def test_device_lines_cover_the_pixels_qt_strokes(qtbot, style):
    from PySide6 import QtCore

    styles = {"solid": QtCore.Qt.PenStyle.SolidLine, "dot": QtCore.Qt.PenStyle.DotLine,
              "dash": QtCore.Qt.PenStyle.DashLine}
    pen = P.pen("#1f5fbf", 2.0, styles[style])
    ours, qts = _render(pen, True), _render(pen, False)
    assert qts.sum() > 300
    # as much ink, within 15 % (dashes start at the same place: the pattern is Qt's)
    assert abs(int(ours.sum()) - int(qts.sum())) <= 0.15 * qts.sum()
    # and in the same place: every dark pixel of ours within a pixel of one of Qt's
    near = qts.copy()
    for sy, sx in ((0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, -1), (1, -1), (-1, 1)):
        near |= np.roll(np.roll(qts, sy, 0), sx, 1)
    assert (ours & ~near).sum() <= 0.02 * ours.sum()



def test_axis_ticks_and_grid_are_drawn_opaque_in_the_colour_they_show(shown):
    from PySide6 import QtGui, QtWidgets

    from ganviz.ui.theme import DARK, LIGHT

    for theme in (LIGHT, DARK):
        view = shown(pg.GraphicsLayoutWidget(), 300, 200)
        plot = view.addPlot()
        P.style_panel_plot(plot, theme, False)          # a side panel's chart: grid on
        plot.setXRange(0, 7)
        axis = plot.getAxis("bottom")
        assert axis.cacheMode() == QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache
        img = QtGui.QImage(300, 200, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
        painter = QtGui.QPainter(img)
        specs = axis.generateDrawSpecs(painter)
        painter.end()
        assert specs is not None
        _, ticks, _ = specs
        assert ticks and all(pen.color().alpha() == 255 for pen, _, _ in ticks)
        # a grid line is the foreground mixed into the background, nearer the background
        fg, bg = QtGui.QColor(theme.foreground), QtGui.QColor(theme.background)
        grid = min(ticks, key=lambda t: abs(t[0].color().lightness() - bg.lightness()))[0].color()
        assert min(fg.lightness(), bg.lightness()) <= grid.lightness() <= max(fg.lightness(), bg.lightness())
        assert abs(grid.lightness() - bg.lightness()) < abs(grid.lightness() - fg.lightness())


def test_a_new_pen_colour_is_drawn_though_the_line_is_unchanged(qtbot):
    from PySide6 import QtGui

    item = P.DeviceCurve()
    x = np.linspace(0.0, 10.0, 200)
    y = np.sin(x)
    img = QtGui.QImage(400, 200, QtGui.QImage.Format.Format_RGB32)

    def draw(colour):
        item.setPen(P.pen(colour, 2.0))      # a theme change: same data, same transform, new colour
        img.fill(QtGui.QColor("white"))
        p = QtGui.QPainter(img)
        p.setTransform(QtGui.QTransform(38.0, 0, 0, -80.0, 10.0, 100.0))
        item.paint(p, None, None)
        p.end()
        rgb = np.frombuffer(img.constBits(), np.uint8).reshape(200, 400, 4)[..., :3]
        return rgb.reshape(-1, 3)[rgb.reshape(-1, 3).min(axis=1) < 200]

    item.setData(x, y, antialias=False)
    red = draw("#ff0000")
    blue = draw("#0000ff")
    # BGRA in memory: red is the third byte, blue the first
    assert red[:, 2].mean() > 200 and red[:, 0].mean() < 60
    assert blue[:, 0].mean() > 200 and blue[:, 2].mean() < 60


def test_the_fixed_latents_are_set_once_while_their_images_move(view1d):
    import dataclasses

    from tests.ui.synth import synthetic_snapshot

    snap = synthetic_snapshot(dim=1)
    view1d.set_snapshot(snap)
    z_dots, x_dots = view1d.item["mapping_z"], view1d.item["mapping_x"]
    z_before, x_before = z_dots.getData()[0].copy(), x_dots.getData()[0].copy()
    calls = []
    original = z_dots.setData
    z_dots.setData = lambda *a, **k: (calls.append(1), original(*a, **k))
    moved = dataclasses.replace(snap, step=snap.step + 1, fake=snap.fake + 0.5)
    view1d.set_snapshot(moved)
    assert calls == []                                         # the z dots stay where they were
    np.testing.assert_array_equal(z_dots.getData()[0], z_before)
    assert not np.array_equal(x_dots.getData()[0], x_before)   # the images G(z) moved
    np.testing.assert_allclose(np.sort(x_dots.getData()[0]), np.sort(x_before + 0.5), atol=1e-9)


@pytest.mark.parametrize("style", ["solid", "dot"])
def test_a_curve_with_gaps_paints_its_finite_runs_and_nothing_across_the_gaps(qtbot, style):
    # D* is NaN where neither density has mass: the device path drew nothing of such a curve (it fell back
    # to pyqtgraph's) and must not bridge a gap with a line.
    from PySide6 import QtCore
    widget = pg.PlotWidget(background="w")
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    for side in ("left", "bottom"):
        widget.getPlotItem().hideAxis(side)
    x = np.linspace(0.0, 10.0, 400)
    y = np.sin(x)
    gap = (x > 3.0) & (x < 6.0)
    y[gap] = np.nan
    y[x > 9.5] = np.nan
    pen = pg.mkPen("k", width=2, style=QtCore.Qt.PenStyle.DotLine if style == "dot" else QtCore.Qt.PenStyle.SolidLine)
    item = P.device_curve(pg.PlotDataItem(x, y, pen=pen, antialias=True, connect="finite"))
    widget.addItem(item)
    widget.show()
    qtbot.waitExposed(widget)
    image = widget.grab().toImage()
    curve = item.curve
    px, py = curve._device_points
    assert np.isnan(px).sum() == 2              # two finite runs, each ended by NaN
    vb = widget.getPlotItem().vb
    left = vb.mapViewToDevice(QtCore.QPointF(3.0, 0.0)).x()
    right = vb.mapViewToDevice(QtCore.QPointF(6.0, 0.0)).x()
    finite_px = px[np.isfinite(px)]
    assert not ((finite_px > left + 1) & (finite_px < right - 1)).any()
    # painted: dark pixels left of the gap, none inside it (no line bridges it)
    offset = vb.mapToScene(vb.rect().topLeft())
    top = int(widget.mapFromScene(offset).y())
    rows = range(top + 2, top + int(vb.height()) - 2)

    def dark(x0: float, x1: float) -> int:
        xs = range(int(x0), int(x1))
        return sum(image.pixelColor(x, y).lightness() < 128 for x in xs for y in rows)
    assert dark(left - 60, left - 5) > 0
    assert dark(left + 5, right - 5) == 0
