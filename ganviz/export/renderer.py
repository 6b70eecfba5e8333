"""The app's views in an offscreen container of exactly the export's size, drawn into an RGB
array (`frame`) or SVG text (`svg`).

`Renderer(view, size, ...)` builds the views the export asked for (a lab view, the loss-shape
and metric panels, the Compare view, or the game view through ganviz.export.game's driver)
under the captions of ganviz.export.captions; `show(payload)` gives each view a snapshot (or
the game view its iterations) and `frame()` / `svg()` draw the whole container, captions
included. SVG stills are drawn by Qt's SVG generator: lines, markers and text as vectors and
the heatmap as an embedded image.
"""
from __future__ import annotations

from collections.abc import Collection
from typing import Optional, Union

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from ganviz.engine.snapshot import Snapshot
from ganviz.export.captions import CaptionBar, ClaimLine, snapshot_captions
from ganviz.export.game import GameDriver, GameSpec
from ganviz.export.offscreen import ensure_app, settle
from ganviz.export.options import DEFAULT_SIZE, check_captions, check_theme, parse_size, resolve_view
from ganviz.ui.theme import Theme

__all__ = ["Renderer"]


class Renderer:
    """The app's views in an offscreen container of exactly `size` = (width, height) pixels.

    `show(snapshot)` (or, for the game view, `show(iterations)`) updates every view and the
    captions; `frame()` draws the container into an RGB array and `svg()` into SVG text.
    Call `close()` (or use it as a context manager) before the process ends.
    """

    def __init__(self, view: str = "lab", size: tuple[int, int] = DEFAULT_SIZE, *, dim: int = 2,
                 theme: Union[str, Theme] = "light", captions: Union[bool, Collection[str]] = True,
                 presentation: bool = False, title: str = "", game: Optional[GameSpec] = None,
                 claim: str = "", gan: Optional[int] = None) -> None:
        """gan: the GAN of a run of several that the lab view and the loss panel draw, named in the
        captions (the first when None, the captions then naming every GAN's loss and k)."""
        self.app = ensure_app()
        self.view = resolve_view(view, dim)
        self.size = parse_size(size)
        self.theme = check_theme(theme)
        self.title = title
        self.claim = claim
        self.gan = gan
        fields = check_captions(captions)
        width, height = self.size
        self.caption: Optional[CaptionBar] = None
        self.lab_view: Optional[QtWidgets.QWidget] = None
        self.loss_panel: Optional[QtWidgets.QWidget] = None
        self.metrics_panel: Optional[QtWidgets.QWidget] = None
        self.game_view: Optional[QtWidgets.QWidget] = None
        self.panels: list[QtWidgets.QWidget] = []
        self._game: Optional[GameDriver] = None

        self.root: Optional[QtWidgets.QWidget] = QtWidgets.QWidget()
        self._closed = False
        try:
            self._build_root(fields, presentation, game)
        except BaseException:
            self.close()
            raise
        self._image = QtGui.QImage(width, height, QtGui.QImage.Format.Format_RGB32)
        self._image.setDevicePixelRatio(1.0)

    def _build_root(self, fields: tuple[str, ...], presentation: bool, game: Optional[GameSpec]) -> None:
        width, height = self.size
        self.root.setObjectName("exportRoot")
        self.root.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        palette = self.root.palette()
        palette.setColor(QtGui.QPalette.ColorRole.Window, QtGui.QColor(self.theme.background))
        palette.setColor(QtGui.QPalette.ColorRole.Base, QtGui.QColor(self.theme.background))
        palette.setColor(QtGui.QPalette.ColorRole.WindowText, QtGui.QColor(self.theme.foreground))
        palette.setColor(QtGui.QPalette.ColorRole.Text, QtGui.QColor(self.theme.foreground))
        self.root.setPalette(palette)
        self.root.setAutoFillBackground(True)
        outer = QtWidgets.QVBoxLayout(self.root)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        if fields:
            self.caption = CaptionBar(self.theme, max(24, round(height * 0.06)), fields)
            outer.addWidget(self.caption)
        if "claim" in fields and self.claim:
            outer.addWidget(ClaimLine(self.theme, self.claim, width, max(9, round(height * 0.03))))
        body = QtWidgets.QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        outer.addLayout(body, 1)

        self._build(body, presentation)
        for panel in (self.lab_view, self.loss_panel):
            if panel is not None and self.gan is not None:
                panel.index = self.gan
        if self.view == "game":
            self._game = GameDriver(self.game_view, game or GameSpec())
        self.root.setFixedSize(width, height)
        self.root.show()
        settle(self.app, 4)

    def _build(self, body: QtWidgets.QHBoxLayout, presentation: bool) -> None:
        from ganviz.ui.loss_panel import LossShapePanel
        from ganviz.ui.metrics_panel import MetricsPanel

        theme, view = self.theme, self.view

        def add(widget: QtWidgets.QWidget, stretch: int) -> QtWidgets.QWidget:
            if hasattr(widget, "set_presentation"):
                widget.set_presentation(presentation)
            if hasattr(widget, "set_static"):
                widget.set_static(True)   # a picture: nothing scrolls, everything fits
            body.addWidget(widget, stretch)
            self.panels.append(widget)
            return widget

        if view.startswith(("1d", "2d")):
            if view.startswith("1d"):
                from ganviz.ui.view1d import View1D as ViewClass
            else:
                from ganviz.ui.view2d import View2D as ViewClass  # type: ignore[assignment]
            self.lab_view = add(ViewClass(theme, presentation), 3)
        if view in ("loss", "1d+loss", "2d+loss"):
            self.loss_panel = add(LossShapePanel(theme), 2)
        if view in ("metrics", "1d+metrics", "2d+metrics"):
            self.metrics_panel = add(MetricsPanel(theme), 2)
        if view == "compare":
            from ganviz.ui.compare_view import CompareView  # type: ignore[import-not-found]

            add(CompareView(theme), 1)
        if view == "game":
            from ganviz.ui.game_view import GameView

            self.game_view = add(GameView(theme=theme), 1)

    # -- drawing ------------------------------------------------------------------------

    def show(self, payload: Union[Snapshot, int]) -> None:
        """Draw a snapshot (lab views) or the first `payload` iterations (game view)."""
        if self._game is not None:
            self._game.show(int(payload))  # type: ignore[arg-type]
            caps = self._game.captions()
            title = self.title or self._game.title()
        else:
            snap = payload
            if not isinstance(snap, Snapshot):
                raise TypeError(f"The {self.view} view draws snapshots, not {type(snap).__name__}.")
            for panel in self.panels:
                if panel is self.loss_panel:
                    loss_id = snap.loss_ids[min(panel.index, snap.n_gans - 1)]
                    if panel.loss_id != loss_id:
                        panel.set_loss(loss_id)
                elif panel is self.metrics_panel and panel.show_all != (snap.n_gans > 1):
                    panel.show_all = snap.n_gans > 1
                panel.set_snapshot(snap)
            caps = snapshot_captions(snap, self.gan)
            title = self.title
        if self.caption is not None:
            self.caption.set_values(title=title, **caps)

    def frame(self) -> np.ndarray:
        """The container as drawn now: an (height, width, 3) uint8 RGB array of its own."""
        settle(self.app, 1)
        width, height = self.size
        self._image.fill(QtGui.QColor(self.theme.background))
        self.root.render(self._image)
        rgb = self._image.convertToFormat(QtGui.QImage.Format.Format_RGB888)
        rows = np.frombuffer(rgb.constBits(), np.uint8, count=rgb.sizeInBytes()).reshape(height, rgb.bytesPerLine())
        return rows[:, : 3 * width].reshape(height, width, 3).copy()

    def svg(self) -> str:
        """The container as SVG text: lines, markers and text as vectors, the heatmap as an image.

        Qt's SVG generator draws what `frame` draws, captions and composed layouts included;
        pyqtgraph's SVGExporter cannot parse the paths this Qt writes.
        """
        import pyqtgraph as pg
        from PySide6.QtSvg import QSvgGenerator

        settle(self.app, 1)
        width, height = self.size
        buffer = QtCore.QBuffer()
        buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
        generator = QSvgGenerator()
        generator.setOutputDevice(buffer)
        generator.setSize(QtCore.QSize(width, height))
        generator.setViewBox(QtCore.QRect(0, 0, width, height))
        generator.setResolution(96)  # so that width and height in mm come back as the pixel size
        generator.setTitle(self.title or "ganviz")
        generator.setDescription(f"ganviz export, view {self.view}")
        # pyqtgraph's export mode draws scatter symbols one by one as vectors instead of
        # stamping them from its pixmap cache.
        items = [item for view in self.root.findChildren(pg.GraphicsView) for item in view.scene().items()
                 if isinstance(item, pg.GraphicsItem)]
        for item in items:
            item.setExportMode(True, {"antialias": True, "background": self.theme.background})
        painter = QtGui.QPainter(generator)
        try:
            painter.fillRect(0, 0, width, height, QtGui.QColor(self.theme.background))
            self.root.render(painter, QtCore.QPoint(0, 0))
        finally:
            painter.end()
            for item in items:
                item.setExportMode(False)
        buffer.close()
        return bytes(buffer.data()).decode("utf-8")

    # -- life cycle -----------------------------------------------------------------------

    def close(self) -> None:
        """Close and delete the widgets now (a live GraphicsLayoutWidget crashes the exit)."""
        if self._closed:
            return
        self._closed = True
        from ganviz.ui.bootstrap import teardown

        self.panels = []
        self.lab_view = self.loss_panel = self.metrics_panel = self.game_view = None
        self._game = None
        self.caption = None
        root, self.root = self.root, None
        teardown(root)

    def __enter__(self) -> "Renderer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


