"""The protocol the views and panels share: `set_theme`, `set_presentation`, `set_snapshot`.

The main window and the export renderer hand every view and side panel the same three calls:
a theme (light or dark), presentation mode (larger text and lines) and, many times a second,
the newest snapshot. `Styled` holds the first two and restyles the widget when either changes;
`SnapshotView` adds the snapshot. Mix them in before the Qt base class (after `GanIndexed` and
`Layered`, which need no state of their own):

    class View1D(P.GanIndexed, P.Layered, SnapshotView, QtWidgets.QWidget):
        def __init__(self, theme=LIGHT, presentation=False, parent=None):
            super().__init__(parent)
            self._init_view(theme, presentation)
            ...

        def _restyle(self): ...          # pens, fonts and sizes for self._theme, self._presentation
        def _draw(self, snap): ...       # setData on the items made in __init__

The mixins have no `__init__` of their own (Qt's constructors take the arguments), and no
Qt base: they hold plain attributes and call the widget's hooks.
"""
from __future__ import annotations

from typing import Optional

from ganviz.engine.snapshot import Snapshot
from ganviz.ui.theme import LIGHT, Theme


class Styled:
    """A widget drawn in a theme, in normal or presentation size.

    The widget calls `_init_style(theme, presentation)` before it builds anything that reads
    them, and implements `_restyle()`, which applies `self._theme` and `self._presentation`
    to everything it drew.
    """

    _theme: Theme = LIGHT
    _presentation: bool = False

    def _init_style(self, theme: Theme = LIGHT, presentation: bool = False) -> None:
        self._theme = theme
        self._presentation = bool(presentation)

    @property
    def theme(self) -> Theme:
        return self._theme

    @property
    def presentation(self) -> bool:
        """Presentation mode: the larger text and lines of `plotting.PRESENTATION`."""
        return self._presentation

    def set_theme(self, theme: Theme) -> None:
        self._theme = theme
        self._restyle()

    def set_presentation(self, on: bool) -> None:
        self._presentation = bool(on)
        self._restyle()

    def _restyle(self) -> None:
        raise NotImplementedError


class SnapshotView(Styled):
    """A styled widget that draws the newest snapshot it was handed.

    `set_snapshot` checks the snapshot (`_check`, which raises ValueError for one the widget
    cannot draw), keeps it (`snapshot()`) and draws it (`_draw`); `_redraw()` draws the kept
    one again, after a change of what the widget shows (the GAN's index, a layer, a toggle).
    """

    _snap: Optional[Snapshot] = None

    def _init_view(self, theme: Theme = LIGHT, presentation: bool = False) -> None:
        self._init_style(theme, presentation)
        self._snap = None

    def snapshot(self) -> Optional[Snapshot]:
        """The snapshot drawn last (None before the first)."""
        return self._snap

    def set_snapshot(self, snap: Snapshot) -> None:
        self._check(snap)
        self._snap = snap
        self._draw(snap)

    def _redraw(self) -> None:
        if self._snap is not None:
            self.set_snapshot(self._snap)

    def _check(self, snap: Snapshot) -> None:
        """Raise ValueError, naming the widget, for a snapshot it cannot draw."""

    def _draw(self, snap: Snapshot) -> None:
        raise NotImplementedError
