"""Draw the data with the mouse, in the 2D and 1D views, while training runs.

Double-click empty space to add a Gaussian component there; drag a component's centre to move it;
turn the wheel over it to widen or narrow it; Delete (or the right-click menu) removes the one under
the mouse. Ctrl+Z and Ctrl+Shift+Z undo and redo every change of the data, drawn or typed into the
table, which follows. The drawn mixture is the session's data, so Save scenario writes it.

`MixtureEdit` is the editing, free of Qt (tested on its own); `DataDrawer` turns a view's mouse events
into edits and sends them to the session, at most every `SEND_EVERY` seconds while a drag goes on.
"""
from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Optional, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ganviz.core.scenario import DataSpec

if TYPE_CHECKING:
    from ganviz.ui.main_window import MainWindow

SEND_EVERY = 0.15          # seconds between data updates sent while dragging
PICK_PX = 14               # how near (pixels) the mouse must be to a component's centre to grab it
WHEEL_FACTOR = 1.15        # one wheel notch scales a component's spread by this
MIN_STD, MAX_STD = 1e-3, 1e3
UNDO_DEPTH = 100


class MixtureEdit:
    """A mixture of isotropic Gaussians as the user edits it: means (K, d), stds (K,), weights (K,)."""

    def __init__(self, spec: DataSpec) -> None:
        mix = spec.mixture()
        self.dim = mix.dim
        self.means = [list(map(float, m)) for m in mix.means]
        self.stds = [float(s) for s in mix.stds]
        self.weights = [float(w) for w in mix.weights]
        self.bounds = spec.bounds

    def spec(self, bounds: Optional[list] = None) -> DataSpec:
        total = sum(self.weights)
        return DataSpec(preset=None, means=[list(m) for m in self.means], stds=list(self.stds),
                        weights=[w / total for w in self.weights], bounds=bounds if bounds is not None else self.bounds)

    def nearest(self, point: Sequence[float], scale: Sequence[float], radius: float) -> Optional[int]:
        """The component whose centre is within `radius` of `point`, distances measured in units of `scale`
        per axis (pixels per data unit); the nearest if several are."""
        best, dist = None, radius
        for i, m in enumerate(self.means):
            d = math.sqrt(sum(((p - c) * s) ** 2 for p, c, s in zip(point, m, scale)))
            if d <= dist:
                best, dist = i, d
        return best

    def add(self, point: Sequence[float]) -> int:
        """A component at `point`: the median spread of the others, the mean weight of the others."""
        self.means.append([float(v) for v in point[:self.dim]])
        self.stds.append(float(np.median(self.stds)) if self.stds else 0.2)
        self.weights.append(float(np.mean(self.weights)) if self.weights else 1.0)
        return len(self.means) - 1

    def move(self, i: int, point: Sequence[float]) -> None:
        self.means[i] = [float(v) for v in point[:self.dim]]

    def scale(self, i: int, factor: float) -> None:
        self.stds[i] = float(min(MAX_STD, max(MIN_STD, self.stds[i] * factor)))

    def delete(self, i: int) -> bool:
        """Remove component i; the last one stays (a mixture needs one)."""
        if len(self.means) <= 1:
            return False
        for arr in (self.means, self.stds, self.weights):
            del arr[i]
        return True


class DataDrawer(QtCore.QObject):
    """Mouse editing of the data in one view (`view.canvas` a pyqtgraph GraphicsLayoutWidget, `view.plot`
    its PlotItem), with the window's undo stack."""

    def __init__(self, window: "MainWindow", views: Sequence[QtWidgets.QWidget]) -> None:
        super().__init__(window)
        self.w = window
        self.views = list(views)
        self.undo_stack: list[DataSpec] = []
        self.redo_stack: list[DataSpec] = []
        self._drag: Optional[tuple] = None         # (view, component, edit) while dragging
        self._sent: Optional[DataSpec] = None
        self._hover_hit: tuple = (None, None)      # (view, component) under the mouse, for Delete
        self._sent_at = 0.0
        self._hover: dict = {}
        for view in self.views:
            view.canvas.viewport().installEventFilter(self)
            view.canvas.viewport().setMouseTracking(True)
            ring = pg.ScatterPlotItem(symbol="o", size=2 * PICK_PX, pen=pg.mkPen("#D62728", width=2),
                                      brush=pg.mkBrush(0, 0, 0, 0))
            ring.setZValue(50)
            ring.setVisible(False)
            view.plot.addItem(ring)
            self._hover[view] = ring

    # -- the data ------------------------------------------------------------------------------
    def current(self) -> DataSpec:
        """The data as last sent from here (the session's copy can lag a command or two behind), else the
        session's."""
        return self._sent if self._sent is not None else self.w.session.scenario.data

    def forget(self) -> None:
        """Another scenario was opened: its data, and no undo into the old one."""
        self._sent = None
        self.undo_stack.clear()
        self.redo_stack.clear()

    def apply(self, spec: DataSpec, record: bool = True) -> bool:
        """Send `spec` to the session and show it in the table; `record`: undoable."""
        before = self.current()
        if not self.w._guard(lambda: self.w.session.set_data(spec)):
            return False
        if record:
            self.undo_stack.append(before)
            del self.undo_stack[:-UNDO_DEPTH]
            self.redo_stack.clear()
        self._sent = spec
        self.w.controls.set_data(spec)
        return True

    def undo(self) -> None:
        if self.undo_stack:
            spec = self.undo_stack.pop()
            self.redo_stack.append(self.current())
            self.apply(spec, record=False)
            self.w.set_status("Undone: the data are as before.")

    def redo(self) -> None:
        if self.redo_stack:
            spec = self.redo_stack.pop()
            self.undo_stack.append(self.current())
            self.apply(spec, record=False)

    # -- mouse ------------------------------------------------------------------------------------
    def _view_of(self, obj) -> Optional[QtWidgets.QWidget]:
        for v in self.views:
            if v.canvas.viewport() is obj:
                return v
        return None

    def _at(self, view, pos: QtCore.QPointF) -> tuple[list, list]:
        """(data point, pixels per data unit per axis) under a viewport position."""
        vb = view.plot.vb
        scene = view.canvas.mapToScene(pos.toPoint())
        p = vb.mapSceneToView(scene)
        (x0, x1), (y0, y1) = vb.viewRange()
        rect = vb.sceneBoundingRect()
        sx = rect.width() / max(x1 - x0, 1e-12)
        sy = rect.height() / max(y1 - y0, 1e-12)
        dim = view.drawing_dim if hasattr(view, "drawing_dim") else 2
        return ([p.x(), p.y()][:dim], [sx, sy][:dim])

    def _inside(self, view, pos: QtCore.QPointF) -> bool:
        return view.plot.vb.sceneBoundingRect().contains(view.canvas.mapToScene(pos.toPoint()))

    def _bounds(self, view) -> list:
        """The box the view shows: drawing keeps it, so that the picture does not move under the mouse."""
        (x0, x1), (y0, y1) = view.plot.vb.viewRange()
        return [[x0, x1], [y0, y1]][:getattr(view, "drawing_dim", 2)]

    def _edit(self, view) -> Optional[MixtureEdit]:
        spec = self.current()
        try:
            edit = MixtureEdit(spec)
        except ValueError:
            return None
        if edit.dim != getattr(view, "drawing_dim", 2):
            return None
        return edit

    def eventFilter(self, obj, e: QtCore.QEvent) -> bool:
        view = self._view_of(obj)
        if view is None or not view.isVisible():
            return False
        kind = e.type()
        T = QtCore.QEvent.Type
        if kind not in (T.MouseButtonDblClick, T.MouseButtonPress, T.MouseMove, T.MouseButtonRelease, T.Wheel,
                        T.ContextMenu):
            return False
        pos = e.position() if hasattr(e, "position") else QtCore.QPointF(e.pos())
        if not self._inside(view, pos):
            self._hover[view].setVisible(False)
            self._hover_hit = (view, None)
            return False
        edit = self._edit(view)
        if edit is None:
            return False
        point, scale = self._at(view, pos)
        hit = edit.nearest(point, scale, PICK_PX)
        if kind == T.MouseButtonDblClick and e.button() == QtCore.Qt.MouseButton.LeftButton and hit is None:
            edit.add(point)
            self.apply(edit.spec(self._bounds(view)))
            self.w.set_status(f"Added a component at {', '.join(f'{v:.2f}' for v in point)}; drag it, "
                              "turn the wheel over it, Delete removes it.")
            return True
        if kind == T.MouseButtonPress and e.button() == QtCore.Qt.MouseButton.LeftButton and hit is not None:
            self._drag = (view, hit, edit, self.current())
            return True
        if kind == T.MouseMove:
            if self._drag is not None and self._drag[0] is view:
                _, i, drag_edit, _ = self._drag
                drag_edit.move(i, point)
                self._show_ring(view, drag_edit.means[i])
                if time.monotonic() - self._sent_at >= SEND_EVERY:
                    self._sent_at = time.monotonic()
                    self.apply(drag_edit.spec(self._bounds(view)), record=False)
                return True
            self._show_ring(view, edit.means[hit] if hit is not None else None)
            self._hover_hit = (view, hit)
            return False
        if kind == T.MouseButtonRelease and self._drag is not None:
            view_d, i, drag_edit, before = self._drag
            self._drag = None
            drag_edit.move(i, point)
            if self.apply(drag_edit.spec(self._bounds(view_d)), record=False):
                self.undo_stack.append(before)
                self.redo_stack.clear()
            return True
        if kind == T.Wheel and hit is not None:
            notches = e.angleDelta().y() / 120.0
            edit.scale(hit, WHEEL_FACTOR ** notches)
            self.apply(edit.spec(self._bounds(view)))
            return True
        if kind == T.ContextMenu:
            menu = QtWidgets.QMenu(view)
            add = menu.addAction("Add a component here")
            delete = menu.addAction("Delete this component")
            delete.setEnabled(hit is not None and len(edit.means) > 1)
            undo = menu.addAction("Undo")
            undo.setEnabled(bool(self.undo_stack))
            chosen = menu.exec(e.globalPos())
            if chosen is add:
                edit.add(point)
                self.apply(edit.spec(self._bounds(view)))
            elif chosen is delete and hit is not None and edit.delete(hit):
                self.apply(edit.spec(self._bounds(view)))
            elif chosen is undo:
                self.undo()
            return True
        return False

    def _show_ring(self, view, mean: Optional[list]) -> None:
        ring = self._hover[view]
        if mean is None:
            ring.setVisible(False)
            return
        ring.setData([mean[0]], [mean[1] if len(mean) > 1 else 0.0])
        ring.setVisible(True)

    def delete_hovered(self) -> None:
        """Delete (key): the component under the mouse."""
        view, hit = self._hover_hit
        if view is None or hit is None:
            return
        edit = self._edit(view)
        if edit is not None and edit.delete(hit):
            self.apply(edit.spec(self._bounds(view)))
            self._show_ring(view, None)
            self._hover_hit = (view, None)
