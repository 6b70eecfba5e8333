"""Fixed-z trails: where the images of a few fixed latent vectors have been lately.

Mode hopping and collapse are motion: a fake that jumps from one mode to the
next, or a cloud of fakes sliding onto one mode, leaves a streak that a still
scatter plot cannot show. `Trails` keeps the last `length` positions of `n`
fixed-z fakes and draws them as polylines that fade with age, all in one
graphics item per plot.

Usable by any plot of 2D points (the Compare view's panels, the 2D lab view)::

    trails = Trails(plot_item, theme.fake, n=64, length=24)
    trails.push(snapshot.fake[i, :64], snapshot.step)   # on every frame

The points should already be pinned into drawable range (`plotting.pin`), as
for every other item of the plot.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
import shiboken6
from PySide6 import QtCore, QtGui, QtWidgets

from ganviz.ui import plotting as P


class _TrailItem(pg.GraphicsObject):
    """Paints the segments of each age with its own pen, oldest first, in one item.

    The segments sit in a numpy array laid out as Qt's QLineF (x1, y1, x2, y2 as doubles),
    so each age is a single QPainter.drawLines call on that memory: no QLineF objects are
    built in Python and no path is stroked as one shape (which costs tens of ms for
    translucent pens, see plotting.pen).
    """

    def __init__(self, owner: "Trails") -> None:
        super().__init__()
        self._owner = owner
        self._bounds = QtCore.QRectF()

    def set_bounds(self, rect: QtCore.QRectF) -> None:
        if rect != self._bounds:
            self.prepareGeometryChange()
            self._bounds = rect
        self.update()

    def boundingRect(self) -> QtCore.QRectF:
        return self._bounds

    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange=None):
        r = self._bounds
        if r.isNull():
            return None
        return (r.left(), r.right()) if ax == 0 else (r.top(), r.bottom())

    def paint(self, painter: QtGui.QPainter, option: QtWidgets.QStyleOptionGraphicsItem,
              widget: Optional[QtWidgets.QWidget] = None) -> None:
        lines, pens = self._owner._segments()
        if lines is None:
            return
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        n = lines.shape[1]
        for j in range(lines.shape[0]):
            painter.setPen(pens[j])
            painter.drawLines(shiboken6.wrapInstance(lines[j].ctypes.data, QtCore.QLineF), n)


class Trails:
    """Fading trails of `n` fixed-z points over their last `length` positions (one item).

    A new position is recorded when the training step moved on; a push at the same step
    replaces the newest position (e.g. new data while paused), and a step that went
    backwards (a reset) or a different number of points clears the trails first.
    """

    def __init__(self, plot_item: pg.PlotItem, color: str | tuple, n: int = 64, length: int = 24,
                 width: float = 1.0, background: str | tuple | None = None) -> None:
        if n < 1 or length < 2:
            raise ValueError(f"Trails need n >= 1 points and length >= 2 positions (got n={n}, length={length}).")
        self.n = int(n)
        self.length = int(length)
        self._ring = np.zeros((self.length, self.n, 2))
        self._count = 0             # positions held (<= length)
        self._head = -1             # ring index of the newest position
        self._points = 0            # points per position (<= n) since the last clear
        self._step: Optional[int] = None
        self._lines: Optional[np.ndarray] = None    # (count - 1, points, 4), oldest first
        self._dirty = False
        self._color: str | tuple = color
        self._background = background
        self._width = float(width)
        self._pens: list[QtGui.QPen] = []
        self.item = _TrailItem(self)
        plot_item.addItem(self.item)
        self._make_pens()

    # ------------------------------------------------------------------ public API
    def __len__(self) -> int:
        """Positions held: grows by one per distinct step, up to `length`."""
        return self._count

    @property
    def step(self) -> Optional[int]:
        return self._step

    def positions(self) -> np.ndarray:
        """The held positions, oldest first: (len(self), points, 2), a copy."""
        if self._count == 0:
            return np.zeros((0, self._points, 2))
        order = (self._head - np.arange(self._count)[::-1]) % self.length
        return self._ring[order, :self._points].copy()

    def push(self, points: np.ndarray, step: int) -> None:
        """Record the positions of the first `n` points at training step `step`."""
        pts = np.asarray(points, np.float64).reshape(-1, 2)[:self.n]
        if len(pts) == 0:       # no fakes to follow (an empty sample set)
            self.clear()
            return
        step = int(step)
        if self._step is not None and (step < self._step or len(pts) != self._points):
            self.clear()
        if self._step is None or step != self._step or self._count == 0:
            self._head = (self._head + 1) % self.length
            self._count = min(self._count + 1, self.length)
        self._points = len(pts)
        self._ring[self._head, :self._points] = pts
        self._step = step
        self._dirty = True
        self._update_bounds()

    def clear(self) -> None:
        self._count = 0
        self._head = -1
        self._points = 0
        self._step = None
        self._lines = None
        self._dirty = False
        self.item.set_bounds(QtCore.QRectF())

    def set_visible(self, visible: bool) -> None:
        self.item.setVisible(bool(visible))

    def visible(self) -> bool:
        return self.item.isVisible()

    def set_color(self, color: str | tuple, background: str | tuple | None = None) -> None:
        """Trail colour; with `background`, the fade is pre-mixed into opaque colours.

        Opaque pens draw several times faster than translucent ones on Qt's raster
        engine; pre-mixing looks the same wherever the plot shows its plain background
        (a trail crossing a heatmap then fades towards the background colour instead).
        """
        self._color = color
        self._background = background
        self._make_pens()

    def set_width(self, width: float) -> None:
        self._width = float(width)
        self._make_pens()

    # ------------------------------------------------------------------ drawing
    def _make_pens(self) -> None:
        # One pen per age: the newest segment is fully opaque, the oldest nearly gone. One width
        # for all: Qt strokes lines of 1 px or less on a fast path, so tapering costs 2x.
        ages = np.arange(self.length - 1)
        alphas = 0.08 + 0.92 * (1.0 - ages / (self.length - 1)) ** 1.5
        self._pens = [P.pen(self._color, self._width, alpha=float(a), over=self._background) for a in alphas]
        self.item.update()

    def _update_bounds(self) -> None:
        if self._count == 0:
            self.item.set_bounds(QtCore.QRectF())
            return
        held = self._ring[:self._count, :self._points] if self._count < self.length else self._ring[:, :self._points]
        lo, hi = held.min(axis=(0, 1)), held.max(axis=(0, 1))
        self.item.set_bounds(QtCore.QRectF(lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1]))

    def _segments(self) -> tuple[Optional[np.ndarray], list[QtGui.QPen]]:
        """Segments oldest first and a pen for each row; built lazily, at paint time only."""
        if self._count < 2 or self._points == 0:
            return None, []
        if self._dirty or self._lines is None:
            pos = self.positions()
            self._lines = np.ascontiguousarray(np.concatenate([pos[:-1], pos[1:]], axis=2))
            self._dirty = False
        c = self._lines.shape[0]
        # Row j (0 = oldest) has age c - 1 - j; ages index the pens (0 = newest).
        return self._lines, self._pens[c - 1::-1]
