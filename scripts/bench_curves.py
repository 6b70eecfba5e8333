"""What one long antialiased curve costs to draw (a benchmark, not a test).

    python scripts/bench_curves.py

A 600-point density at 2 px on an 864 x 400 image, as the 1D view draws p_data, p_g, D and the
dotted D*: pyqtgraph's own path (Qt outlines the whole path under the data transform) against
`ganviz.ui.plotting.DeviceCurve` (the points in pixels, the flat parts dropped, separate lines and
numpy-cut dashes). Prints ms per curve, the median of 200 draws, for solid, dashed and dotted pens.

Then a side panel's chart (420 x 160, as the metrics and loss-shape panels style it) repainted after its
x range moved (the move and the repaint timed together), with pyqtgraph's translucent grid over the curve against the grid as shipped (opaque, under
the curve: `plotting.opaque_grid`), and without a grid: ms per repaint, the median of 40.
"""
from __future__ import annotations

import os
import time

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    import pyqtgraph as pg
    from PySide6 import QtCore, QtGui, QtWidgets

    from ganviz.ui import plotting as P

    QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    img = QtGui.QImage(864, 400, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    x = np.linspace(-6.0, 6.0, 600)
    y = np.exp(-0.5 * ((x + 1.5) / 0.6) ** 2) + 0.6 * np.exp(-0.5 * ((x - 2.0) / 0.9) ** 2)
    transform = QtGui.QTransform(70.0, 0, 0, -300.0, 432.0, 380.0)
    styles = {"solid": QtCore.Qt.PenStyle.SolidLine, "dashed": QtCore.Qt.PenStyle.DashLine,
              "dotted": QtCore.Qt.PenStyle.DotLine}
    print("| pen (2 px, antialiased) | pyqtgraph path (ms) | DeviceCurve (ms) |")
    print("| --- | --- | --- |")
    for name, style in styles.items():
        row = []
        for item in (pg.PlotCurveItem(), P.DeviceCurve()):
            times = []
            for i in range(200):
                # new data every draw, as in the app (each picture is a new step)
                item.setData(x, y * (1.0 + 1e-6 * i), pen=P.pen("#1f5fbf", 2.0, style), antialias=True)
                p = QtGui.QPainter(img)
                p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
                p.setTransform(transform)
                t0 = time.perf_counter()
                item.paint(p, None, None)
                times.append(time.perf_counter() - t0)
                p.end()
            row.append(f"{np.median(times) * 1e3:.2f}")
        print(f"| {name} | {row[0]} | {row[1]} |")
    print()
    print("| side-panel chart, range moved | ms per repaint |")
    print("| --- | --- |")
    for name in ("translucent grid (pyqtgraph)", "opaque grid (as shipped)", "no grid"):
        print(f"| {name} | {chart_repaint_ms(name):.2f} |")
    return 0


def chart_repaint_ms(kind: str) -> float:
    import pyqtgraph as pg
    from PySide6 import QtWidgets

    from ganviz.ui import plotting as P
    from ganviz.ui.theme import LIGHT

    view = pg.GraphicsLayoutWidget()
    view.resize(420, 160)
    view.show()
    plot = view.addPlot()
    plot.plot(np.arange(100.0), np.sin(np.arange(100.0) / 7.0))
    P.style_panel_plot(plot, LIGHT, False)
    if kind.startswith("translucent"):
        for name in ("left", "bottom", "right", "top"):      # pyqtgraph's own grid: translucent, over the data
            axis = plot.getAxis(name)
            del axis.generateDrawSpecs                        # the class's method again
            axis.setZValue(0.5)
    elif kind == "no grid":
        plot.showGrid(x=False, y=False)
    QtWidgets.QApplication.processEvents()
    times = []
    for i in range(40):
        t0 = time.perf_counter()
        plot.setXRange(0, 100 + i, padding=0)
        view.viewport().repaint()
        times.append(time.perf_counter() - t0)
    view.close()
    return float(np.median(times)) * 1e3


if __name__ == "__main__":
    raise SystemExit(main())
