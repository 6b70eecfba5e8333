"""The timeline under the views: the recorded run, its events and bookmarks, and where the views are.

Drag anywhere on the bar to show that moment (the views draw the recorded frame); markers show the
events a recording finds (a mode captured or lost, divergence, D saturating, a setting changed) and
the user's bookmarks, each with its text as a tooltip; I and O set the in and out points of a clip.
The buttons go back to the live run, continue training from the moment shown, bookmark it, and
export the clip between the in and out points.

The widget knows steps and events only; the main window owns the recording and does what the
signals ask.
"""
from __future__ import annotations

from typing import Optional, Sequence

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Qt, Signal

from ganviz.engine.recording import EVENT_KINDS, Event
from ganviz.ui import plotting as P
from ganviz.ui.theme import LIGHT, Theme

# Marker colours by event kind (the theme's own colours where one fits).
def _kind_colour(theme: Theme, kind: str) -> str:
    return {"mode": theme.p_g, "diverged": theme.highlight, "saturated": theme.d, "settings": theme.d_star,
            "bookmark": theme.foreground}.get(kind, theme.foreground)


class TimelineBar(QtWidgets.QWidget):
    """The bar itself: the recorded span, the position, markers, in and out points."""

    scrubbed = Signal(int)          # a step, while the user drags
    released = Signal(int)

    MARGIN = 10

    def __init__(self, theme: Theme = LIGHT, parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("timelineBar")
        self.setMinimumHeight(34)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)
        self.theme = theme
        self.first = 0
        self.last = 0
        self.position: Optional[int] = None         # the step shown, None: live
        self.live_step = 0
        self.events: list[Event] = []
        self.in_step: Optional[int] = None
        self.out_step: Optional[int] = None
        self.checkpoints: list[int] = []
        self._dragging = False

    # -- data -------------------------------------------------------------------------------------
    def set_span(self, first: int, last: int) -> None:
        self.first, self.last = int(first), max(int(first), int(last))
        self.update()

    def set_position(self, step: Optional[int], live_step: int) -> None:
        self.position, self.live_step = step, int(live_step)
        self.update()

    def set_events(self, events: Sequence[Event]) -> None:
        self.events = list(events)
        self.update()

    def set_in_out(self, a: Optional[int], b: Optional[int]) -> None:
        self.in_step, self.out_step = a, b
        self.update()

    def set_checkpoints(self, steps: Sequence[int]) -> None:
        self.checkpoints = list(steps)
        self.update()

    # -- geometry ---------------------------------------------------------------------------------
    def x_of(self, step: float) -> float:
        w = self.width() - 2 * self.MARGIN
        span = max(1, self.last - self.first)
        return self.MARGIN + (step - self.first) / span * w

    def step_at(self, x: float) -> int:
        w = max(1, self.width() - 2 * self.MARGIN)
        frac = min(1.0, max(0.0, (x - self.MARGIN) / w))
        return int(round(self.first + frac * (self.last - self.first)))

    def event_near(self, x: float, tolerance: float = 4.0) -> Optional[Event]:
        best, dist = None, tolerance
        for e in self.events:
            d = abs(self.x_of(e.step) - x)
            if d <= dist:
                best, dist = e, d
        return best

    # -- drawing ----------------------------------------------------------------------------------
    def paintEvent(self, _e: QtGui.QPaintEvent) -> None:
        t = self.theme
        p = QtGui.QPainter(self)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        h = self.height()
        mid = h // 2 + 4
        left, right = self.x_of(self.first), self.x_of(self.last)
        # the recorded span
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(P.qcolor(t.foreground, 0.12))
        p.drawRoundedRect(QtCore.QRectF(left, mid - 4, max(2.0, right - left), 8), 4, 4)
        # the clip between the in and out points
        if self.in_step is not None or self.out_step is not None:
            a = self.x_of(self.in_step if self.in_step is not None else self.first)
            b = self.x_of(self.out_step if self.out_step is not None else self.last)
            p.setBrush(P.qcolor(t.d, 0.30))
            p.drawRect(QtCore.QRectF(min(a, b), mid - 6, abs(b - a), 12))
            p.setPen(P.pen(t.d, 2))
            for x in (a, b):
                p.drawLine(QtCore.QPointF(x, mid - 9), QtCore.QPointF(x, mid + 9))
        # checkpoints: small dots under the bar (where "continue from here" can start)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(P.qcolor(t.foreground, 0.35))
        for c in self.checkpoints:
            p.drawEllipse(QtCore.QPointF(self.x_of(c), mid + 8), 1.6, 1.6)
        # events: ticks above the bar, bookmarks as flags
        for e in self.events:
            x = self.x_of(e.step)
            colour = _kind_colour(t, e.kind)
            if e.kind == "bookmark":
                p.setPen(P.pen(colour, 1.5))
                p.drawLine(QtCore.QPointF(x, mid - 14), QtCore.QPointF(x, mid + 2))
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(P.qcolor(colour))
                p.drawPolygon(QtGui.QPolygonF([QtCore.QPointF(x, mid - 14), QtCore.QPointF(x + 7, mid - 11),
                                               QtCore.QPointF(x, mid - 8)]))
            else:
                p.setPen(P.pen(colour, 2))
                p.drawLine(QtCore.QPointF(x, mid - 12), QtCore.QPointF(x, mid - 5))
        # the moment shown: a handle; live: at the end, hollow
        x = self.x_of(self.position if self.position is not None else self.live_step)
        p.setPen(P.pen(t.foreground, 1.5))
        p.setBrush(P.qcolor(t.background) if self.position is None else P.qcolor(t.highlight))
        p.drawEllipse(QtCore.QPointF(x, mid), 6, 6)
        p.end()

    # -- mouse ------------------------------------------------------------------------------------
    def mousePressEvent(self, e: QtGui.QMouseEvent) -> None:
        if e.button() == Qt.MouseButton.LeftButton and self.last >= self.first:
            self._dragging = True
            self.scrubbed.emit(self.step_at(e.position().x()))

    def mouseMoveEvent(self, e: QtGui.QMouseEvent) -> None:
        if self._dragging:
            self.scrubbed.emit(self.step_at(e.position().x()))
        else:
            ev = self.event_near(e.position().x())
            self.setToolTip(f"step {ev.step:,}: {ev.text}" if ev is not None else
                            f"step {self.step_at(e.position().x()):,}")

    def mouseReleaseEvent(self, e: QtGui.QMouseEvent) -> None:
        if self._dragging:
            self._dragging = False
            self.released.emit(self.step_at(e.position().x()))


class Timeline(QtWidgets.QWidget):
    """The bar with its label and buttons."""

    scrubbed = Signal(int)
    live_requested = Signal()
    continue_requested = Signal()
    bookmark_requested = Signal()
    in_requested = Signal()
    out_requested = Signal()
    clip_requested = Signal()

    def __init__(self, theme: Theme = LIGHT, parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("timeline")
        self.bar = TimelineBar(theme, self)
        self.bar.scrubbed.connect(self.scrubbed)
        self.bar.released.connect(self.scrubbed)
        self.label = QtWidgets.QLabel("", self)
        self.label.setObjectName("timelineLabel")
        self.buttons: dict[str, QtWidgets.QToolButton] = {}
        column = QtWidgets.QVBoxLayout(self)
        column.setContentsMargins(6, 0, 6, 2)
        column.setSpacing(0)
        column.addWidget(self.bar)          # the whole width: a long run needs every pixel to scrub
        row = QtWidgets.QHBoxLayout()
        row.setSpacing(4)
        column.addLayout(row)
        row.addWidget(self.label, 1)
        for name, text, tip, signal in (
                ("live", "Live", "Back to the live run (End)", self.live_requested),
                ("continue", "Continue from here", "Train on from the checkpoint at or before the moment shown, "
                                                   "with the settings you pick now; what followed it is let go",
                 self.continue_requested),
                ("bookmark", "Bookmark", "Mark the moment shown (B)", self.bookmark_requested),
                ("in", "In", "The clip starts here (I)", self.in_requested),
                ("out", "Out", "The clip ends here (O)", self.out_requested),
                ("clip", "Export clip…", "Export the recorded frames between the in and out points, as shown",
                 self.clip_requested)):
            b = QtWidgets.QToolButton(self)
            b.setObjectName(f"timeline{name.capitalize()}Button")
            b.setText(text)
            b.setToolTip(tip)
            b.clicked.connect(signal)
            row.addWidget(b)
            self.buttons[name] = b
        self.set_state(None, 0, 0, 0, 0)

    def set_theme(self, theme: Theme) -> None:
        self.bar.theme = theme
        self.bar.update()

    def set_presentation(self, on: bool) -> None:
        """Presentation mode: larger type on the label and buttons, a taller bar to grab."""
        if not hasattr(self, "_normal_pt"):
            self._normal_pt = self.label.font().pointSizeF()
        f = self.label.font()
        f.setPointSizeF(15 if on else self._normal_pt)
        for w in (self.label, *self.buttons.values()):
            w.setFont(f)
        self.bar.setMinimumHeight(48 if on else 34)

    def set_state(self, position: Optional[int], live_step: int, first: int, frames: int, nbytes: int,
                  thinned: int = 0) -> None:
        """position: the step shown (None: live)."""
        self.bar.set_span(first, live_step)
        self.bar.set_position(position, live_step)
        shown = "live" if position is None else f"step {position:,}"
        size = f"{nbytes / 1024**2:,.0f} MB"
        self.label.setText(f"{shown} \u00b7 {frames:,} frames, {size}")
        self.label.setToolTip(f"{frames:,} recorded frames from step {first:,} to {live_step:,}, {size} in memory"
                              + (f"; {thinned:,} older frames thinned out to keep within the budget" if thinned else ""))
        self.buttons["live"].setEnabled(position is not None)
        self.buttons["continue"].setEnabled(position is not None)
        self.buttons["clip"].setEnabled(frames > 0)


EVENT_LEGEND = ", ".join(EVENT_KINDS.values())
