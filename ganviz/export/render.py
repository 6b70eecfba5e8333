"""Render the app's views offscreen, frame by frame, into MP4 / GIF / PNG frames and PNG / SVG stills.

An export drives a `Lab` with a fixed number of generator steps per frame and
draws each snapshot with the same widgets the app shows, at exactly the
requested size, then hands the frames to `ganviz.export.writers`.

Conventions
-----------
- Frames: frame 0 shows the networks before any training (step 0); frame i
  shows them after i * steps_per_frame generator steps. ``frames=N`` gives
  exactly N frames (steps 0 .. (N-1) * steps_per_frame); ``until_step=S`` gives
  ceil(S / steps_per_frame) + 1 frames, the last one at exactly step S. With
  neither, the export runs to the scenario's ``steps``.
- Stills (``.png``, ``.svg``) show the last frame of that same schedule: the
  state after ``until_step`` steps, after (frames - 1) * steps_per_frame steps,
  or after the scenario's ``steps``. A folder path (``frames/``) gives numbered
  PNG frames instead. SVG stills are drawn by Qt's SVG generator: the whole
  frame, captions included, with lines, markers and text as vectors and the
  heatmap as an embedded image.
- Determinism: metrics (p_g, divergences, the metric history) are evaluated on
  a fixed schedule of frames, never by the clock: every frame for 1D data
  (where p_g is drawn), every ~100 generator steps for 2D data (they cost
  more than the 10 steps of a frame there), and always on the last frame. The
  same scenario, seed and options give the same frames on the CPU.
- Pipelining: training (with one torch thread) runs in a child process or on
  a worker thread, the calling (GUI) thread draws, and a worker thread
  encodes; bounded queues between them keep the order, so timing never
  changes a frame, and both ways of training give identical frames.
- Captions: a strip across the top with the title (scenario or game name) on
  the left and the loss, k and step on the right, drawn in DejaVu Sans (the
  family fontconfig gives offscreen Qt here; `caption_family` falls back to
  Qt's default where it is missing) at a pixel size derived from the frame
  height, so that captions look the same at any screen DPI. A headless export
  that creates the QApplication also makes DejaVu Sans the application font,
  so the plots' labels use it too.
- Cancelling raises `Cancelled` from `export`; nothing is written. Every error
  that a user can cause is a `ValueError` (an `OptionError` names the option)
  or an `ExportError`, with one sentence naming the cause.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import math
import multiprocessing as mp
import os
import pickle
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Optional, Union

import numpy as np
import torch
from PySide6 import QtCore, QtGui, QtWidgets

import ganviz.ui  # noqa: F401  (its reference-count guard, before any Qt call)
from ganviz.core.losses import LOSSES
from ganviz.core.scenario import Scenario, ScenarioError, validate_game
from ganviz.engine.lab import Lab
from ganviz.engine.snapshot import Snapshot
from ganviz.export.writers import (
    MP4_PRESETS, STILL_FORMATS, ExportError, FrameWriter, _absolute, _check_target, _create_temp, _remove_quietly,
    check_output, open_writer, write_bytes_atomic, write_still,
)
from ganviz.ui.theme import THEMES, Theme

__all__ = [
    "VIEWS", "CAPTION_FIELDS", "SIZE_PRESETS", "DEFAULT_FPS", "DEFAULT_SIZE", "DEFAULT_STEPS_PER_FRAME",
    "METRICS_STEPS", "TRAINERS", "Cancelled", "OptionError", "ExportError", "Renderer", "ExportJob", "export",
    "default_view", "resolve_view", "caption_family", "ensure_app", "parse_size", "is_still",
]


def _compare_available() -> bool:
    # The Compare view is written separately; export offers it once its module exists.
    try:
        return importlib.util.find_spec("ganviz.ui.compare_view") is not None
    except (ImportError, ValueError):
        return False


VIEWS: dict[str, str] = {
    "lab": "the lab view for the scenario's data: 1d or 2d, chosen from the data's dimension",
    "1d": "p_data, p_g, D and D* over x, and the z -> x mapping (Goodfellow et al. 2014, Fig. 1)",
    "2d": "D heatmap, real and fake samples, the push on each fake, G's manifold",
    "loss": "the generator's cost against D(G(z)), with the live fakes on it",
    "metrics": "the metric history: losses, divergences, D outputs, gradient norms, modes",
    "lab+metrics": "the lab view with the metric history beside it",
    "lab+loss": "the lab view with the loss-shape panel beside it",
    **({"compare": "the Compare view: every GAN of the scenario's [[panels]], side by side"}
       if _compare_available() else {}),
    "game": "the bilinear game or the Dirac-GAN from the scenario's [game] table: field and trajectories",
}

CAPTION_FIELDS = ("title", "loss", "k", "step", "claim")
SIZE_PRESETS: dict[str, tuple[int, int]] = {"720p": (1280, 720), "1080p": (1920, 1080), "4:3": (1024, 768)}
DEFAULT_SIZE = SIZE_PRESETS["720p"]
DEFAULT_FPS = 25.0
DEFAULT_STEPS_PER_FRAME = 10
MIN_SIDE, MAX_SIDE = 64, 8192
MAX_FRAMES = 1_000_000
# Metrics cost several frames' worth of training in 2D; this many generator steps apart
# they still give the metric history the app shows (it evaluates ~4 times a second).
METRICS_STEPS = 100
FONT_FAMILY = "DejaVu Sans"

# x264's speed preset for MP4. On ring8 at 720p, veryfast spends ~17 ms of CPU per frame and
# ultrafast ~8 ms, for files 1.8x as large.
DEFAULT_PRESET = "veryfast"
# Where training runs (see _LabProducer); "auto" picks a process from this many frames on.
TRAINERS = ("auto", "thread", "process")
PROCESS_MIN_FRAMES = 60
# Snapshots trained ahead of the drawing, and frames drawn ahead of the encoder.
PREFETCH = 3
ENCODE_QUEUE = 3
_POLL_S = 0.05


class Cancelled(Exception):
    """The export was cancelled; nothing was written."""


class OptionError(ValueError):
    """An export option out of range; `option` is its name as `export` spells it."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option
        self.detail = message


# --------------------------------------------------------------------------
# Options


def _whole(option: str, value: object, low: int, high: int = MAX_FRAMES * 1000) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise OptionError(option, f"must be a whole number from {low} to {high:,} (got {value!r})")
    return int(value)


def parse_size(text: Union[str, tuple[int, int]]) -> tuple[int, int]:
    """'1280x720', a preset name ('720p', '1080p', '4:3') or (width, height) -> checked (width, height)."""
    if isinstance(text, str):
        key = text.strip().lower()
        if key in SIZE_PRESETS:
            return SIZE_PRESETS[key]
        parts = key.replace("\u00d7", "x").split("x")
        try:
            width, height = (int(p) for p in parts)
        except ValueError:
            raise OptionError("size", f"expected WIDTHxHEIGHT in pixels such as 1280x720, or one of "
                                      f"{', '.join(SIZE_PRESETS)} (got {text!r})") from None
    else:
        try:
            width, height = text
        except (TypeError, ValueError):
            raise OptionError("size", f"expected (width, height) in pixels (got {text!r})") from None
    for v in (width, height):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise OptionError("size", f"width and height must be whole numbers of pixels (got {text!r})")
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise OptionError("size", f"width and height must be from {MIN_SIDE} to {MAX_SIDE} pixels "
                                  f"(got {width}x{height})")
    return int(width), int(height)


def _check_fps(fps: object) -> float:
    try:
        value = float(fps)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = math.nan
    if isinstance(fps, bool) or not (math.isfinite(value) and 0.01 <= value <= 1000):
        raise OptionError("fps", f"must be a number from 0.01 to 1000 (got {fps!r})")
    return value


def _captions(captions: Union[bool, Collection[str]]) -> tuple[str, ...]:
    if captions is True:
        return CAPTION_FIELDS
    if captions is False or captions is None:
        return ()
    fields = tuple(captions)
    for f in fields:
        if f not in CAPTION_FIELDS:
            raise OptionError("captions", f"unknown caption {f!r}; choose from {', '.join(CAPTION_FIELDS)}")
    return tuple(f for f in CAPTION_FIELDS if f in fields)


def _theme(theme: Union[str, Theme]) -> Theme:
    if isinstance(theme, Theme):
        return theme
    if theme not in THEMES:
        raise OptionError("theme", f"must be one of {', '.join(THEMES)} (got {theme!r})")
    return THEMES[theme]


def is_still(out: Union[str, os.PathLike]) -> bool:
    """True when `out` names a single picture (.png or .svg file) rather than an animation."""
    text = os.fspath(out)
    return not text.endswith(("/", os.sep)) and Path(text).suffix.lower() in STILL_FORMATS \
        and not Path(text).is_dir()


def _check_still(out: Union[str, os.PathLike]) -> None:
    """Fail now, as `check_output` does for animations, when the still cannot be written."""
    target = _absolute(out)
    _check_target(target, folder=False)
    _remove_quietly(_create_temp(target, folder=False))


def default_view(scenario: Scenario) -> str:
    """The view an export shows unless told otherwise: the one the scenario opens with."""
    if scenario.view == "game":
        return "game"
    if scenario.view == "compare" and "compare" in VIEWS:
        return "compare"
    return "lab"


def resolve_view(view: str, dim: int) -> str:
    """A `VIEWS` id with "lab" replaced by the view for data of dimension `dim`."""
    if view not in VIEWS:
        raise OptionError("view", f"unknown view {view!r}; choose from {', '.join(VIEWS)}")
    lab = "1d" if dim == 1 else "2d"
    return view.replace("lab", lab)


# --------------------------------------------------------------------------
# Qt set-up


def ensure_app() -> QtWidgets.QApplication:
    """The QApplication, created headless (offscreen, DejaVu Sans) when there is none yet."""
    app = QtWidgets.QApplication.instance()
    if app is not None:
        return app  # type: ignore[return-value]
    # An export needs no screen; offscreen also keeps the DPI, and so the frames, machine-independent.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from ganviz.ui.bootstrap import application

    app = application()
    font = QtGui.QFont(caption_family())
    font.setPointSizeF(app.font().pointSizeF())
    app.setFont(font)
    return app


def caption_family() -> str:
    families = QtGui.QFontDatabase.families()
    if FONT_FAMILY in families:
        return FONT_FAMILY
    return QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.GeneralFont).family()


def _settle(app: QtCore.QCoreApplication, rounds: int = 3) -> None:
    # Layout requests, View2D's fit timer and pyqtgraph's deferred updates: let them run,
    # but leave the user's clicks (Cancel) to the dialog's own event loop.
    for _ in range(rounds):
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
        QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.LayoutRequest)


# --------------------------------------------------------------------------
# Captions


class CaptionBar(QtWidgets.QWidget):
    """Title on the left; loss, k and step on the right; one line, elided rather than cut."""

    def __init__(self, theme: Theme, height: int, fields: tuple[str, ...],
                 parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("exportCaptionBar")
        self.setFixedHeight(height)
        self._theme = theme
        self._fields = fields
        self._font = QtGui.QFont(caption_family())
        self._font.setPixelSize(max(9, round(height * 0.46)))
        self._font.setHintingPreference(QtGui.QFont.HintingPreference.PreferNoHinting)
        self._bold = QtGui.QFont(self._font)
        self._bold.setBold(True)
        self.title = ""
        self.loss = ""
        self.k = ""
        self.step = ""

    def set_values(self, *, title: str, loss: str, k: str, step: str) -> None:
        self.title, self.loss, self.k, self.step = title, loss, k, step
        self.update()

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        t = self._theme
        bg, fg = QtGui.QColor(t.background), QtGui.QColor(t.foreground)
        band = QtGui.QColor.fromRgbF(*(0.93 * b + 0.07 * f for b, f in zip(bg.getRgbF()[:3], fg.getRgbF()[:3])))
        rule = QtGui.QColor.fromRgbF(*(0.7 * b + 0.3 * f for b, f in zip(bg.getRgbF()[:3], fg.getRgbF()[:3])))
        w, h = self.width(), self.height()
        p = QtGui.QPainter(self)
        p.fillRect(0, 0, w, h, band)
        p.fillRect(0, h - 1, w, 1, rule)
        margin = round(h * 0.45)
        fm, fm_bold = QtGui.QFontMetrics(self._font), QtGui.QFontMetrics(self._bold)
        sep = "   \u00b7   "
        fixed = [s for s in (self.k if "k" in self._fields else "", self.step if "step" in self._fields else "") if s]
        loss = self.loss if "loss" in self._fields else ""
        # The right side keeps k and the step whole; a long loss list gives way first, then the title.
        room = int(0.62 * (w - 2 * margin))
        if loss:
            loss_room = room - fm.horizontalAdvance(sep.join([""] + fixed))
            loss = fm.elidedText(loss, QtCore.Qt.TextElideMode.ElideRight, max(loss_room, 0))
        right = sep.join(s for s in [loss] + fixed if s)
        right_w = fm.horizontalAdvance(right)
        flags = int(QtCore.Qt.AlignmentFlag.AlignVCenter)
        p.setPen(fg)
        p.setFont(self._font)
        p.drawText(QtCore.QRect(w - margin - right_w, 0, right_w, h - 1),
                   flags | int(QtCore.Qt.AlignmentFlag.AlignRight), right)
        if "title" in self._fields and self.title:
            title_room = w - 2 * margin - right_w - (margin if right else 0)
            title = fm_bold.elidedText(self.title, QtCore.Qt.TextElideMode.ElideRight, max(title_room, 0))
            p.setFont(self._bold)
            p.drawText(QtCore.QRect(margin, 0, max(title_room, 0), h - 1),
                       flags | int(QtCore.Qt.AlignmentFlag.AlignLeft), title)
        p.end()


class ClaimLine(QtWidgets.QWidget):
    """The lesson's claims under the caption bar, in italics: at most two lines, the second elided."""

    def __init__(self, theme: Theme, text: str, width: int, pixel_size: int,
                 parent: Optional[QtWidgets.QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("exportClaimLine")
        self._theme = theme
        self._font = QtGui.QFont(caption_family())
        self._font.setPixelSize(pixel_size)
        self._font.setItalic(True)
        self._font.setHintingPreference(QtGui.QFont.HintingPreference.PreferNoHinting)
        fm = QtGui.QFontMetrics(self._font)
        self._margin = max(6, pixel_size)
        self.lines = self._wrap(text, fm, width - 2 * self._margin)
        self.setFixedHeight(round(len(self.lines) * fm.height() + 0.6 * pixel_size))

    @staticmethod
    def _wrap(text: str, fm: QtGui.QFontMetrics, room: int) -> list[str]:
        words, lines, line = text.split(), [], ""
        for i, w in enumerate(words):
            trial = f"{line} {w}".strip()
            if fm.horizontalAdvance(trial) <= room or not line:
                line = trial
                continue
            if len(lines) == 1:            # the second line takes the rest, elided
                line = " ".join([line] + words[i:])
                break
            lines.append(line)
            line = w
        if line:
            lines.append(fm.elidedText(line, QtCore.Qt.TextElideMode.ElideRight, room))
        return lines

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        p = QtGui.QPainter(self)
        p.fillRect(self.rect(), QtGui.QColor(self._theme.background))
        p.setPen(QtGui.QColor(self._theme.foreground))
        p.setFont(self._font)
        fm = QtGui.QFontMetrics(self._font)
        y = round(0.3 * self._font.pixelSize())
        for line in self.lines:
            p.drawText(QtCore.QRect(self._margin, y, self.width() - 2 * self._margin, fm.height()),
                       int(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter), line)
            y += fm.height()
        p.end()


def claim_text(claims) -> str:
    """What a lesson's export says it shows: its claims' sentences, joined."""
    return "; ".join(c.text.rstrip(".") for c in claims)


def _joined(values: list[str]) -> str:
    return " / ".join(dict.fromkeys(values))


def _snapshot_captions(snap: Snapshot) -> dict[str, str]:
    names = [LOSSES[i].name if i in LOSSES else str(i) for i in snap.loss_ids]
    settings = snap.extra.get("settings") if isinstance(snap.extra, dict) else None
    ks = [str(s.get("k", "")) for s in settings] if settings else []
    return {
        "loss": f"loss: {_joined(names)}" if names else "",
        "k": f"k = {_joined(ks)}" if ks else "",
        "step": f"step {snap.step:,}",
    }


# --------------------------------------------------------------------------
# Game scenarios


@dataclasses.dataclass(frozen=True)
class GameSpec:
    """The [game] table of a scenario, checked; frames animate the trajectories' first iterations."""

    game: str = "bilinear"
    loss: str = "ns"
    reg: Optional[str] = None
    reg_weight: Optional[float] = None
    methods: tuple[str, ...] = ("flow", "sim_gda", "alt_gda", "extragradient")
    lr: float = 0.1
    steps: int = 300
    start: Optional[tuple[float, float]] = None
    gamma: float = 1.0
    beta: float = -0.5
    k: int = 1

    @classmethod
    def from_table(cls, table: dict) -> "GameSpec":
        # Names, types and ranges are the settings schema's (one home), as for a scenario.
        try:
            d = validate_game(dict(table))
        except ScenarioError as e:
            option, _, detail = str(e).partition(": ")
            raise OptionError(option, detail) from None
        d["methods"] = tuple(dict.fromkeys(d.get("methods", cls.methods)))
        for key in ("lr", "reg_weight", "gamma", "beta"):
            if d.get(key) is not None:
                d[key] = float(d[key])
        if d.get("start") is not None:
            d["start"] = (float(d["start"][0]), float(d["start"][1]))
        return cls(**d)


class _GameDriver:
    """Sets a GameView to a `GameSpec` and shows the trajectories' first n iterations on demand.

    GameView animates on a timer with a time budget per tick; an export needs the same
    picture for the same n, so the timer is stopped and the view's runners are advanced here.
    """

    def __init__(self, view: QtWidgets.QWidget, spec: GameSpec) -> None:
        self.view = view
        v = view
        panel = getattr(v, "_panel", None)
        if panel is not None:
            panel.setVisible(False)  # the controls are the app's, not the lecture's
        v.set_static(True)
        v.load_game({k: val for k, val in dataclasses.asdict(spec).items() if val is not None})
        v._timer.stop()
        self.steps = int(v.params()["steps"])
        self.shown = 0

    def show(self, n: int) -> None:
        n = min(n, self.steps)
        for runner in self.view._runners.values():
            runner.advance(n - self.shown)
        self.shown = n
        self.view._redraw_trajectories()

    def captions(self) -> dict[str, str]:
        game = self.view.game()
        loss = getattr(game, "loss", None)
        return {
            "loss": f"loss: {loss.name}" if loss is not None else "",
            "k": f"k = {self.view.params()['k']}",
            "step": f"iteration {self.shown:,}",
        }


# --------------------------------------------------------------------------
# The renderer


class Renderer:
    """The app's views in an offscreen container of exactly `size` = (width, height) pixels.

    `show(snapshot)` (or, for the game view, `show(iterations)`) updates every view and the
    captions; `frame()` draws the container into an RGB array and `svg()` into SVG text.
    Call `close()` (or use it as a context manager) before the process ends.
    """

    def __init__(self, view: str = "lab", size: tuple[int, int] = DEFAULT_SIZE, *, dim: int = 2,
                 theme: Union[str, Theme] = "light", captions: Union[bool, Collection[str]] = True,
                 presentation: bool = False, title: str = "", game: Optional[GameSpec] = None,
                 claim: str = "") -> None:
        self.app = ensure_app()
        self.view = resolve_view(view, dim)
        self.size = parse_size(size)
        self.theme = _theme(theme)
        self.title = title
        self.claim = claim
        fields = _captions(captions)
        width, height = self.size
        self.caption: Optional[CaptionBar] = None
        self.lab_view: Optional[QtWidgets.QWidget] = None
        self.loss_panel: Optional[QtWidgets.QWidget] = None
        self.metrics_panel: Optional[QtWidgets.QWidget] = None
        self.game_view: Optional[QtWidgets.QWidget] = None
        self.panels: list[QtWidgets.QWidget] = []
        self._game: Optional[_GameDriver] = None

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
        if self.view == "game":
            self._game = _GameDriver(self.game_view, game or GameSpec())
        self.root.setFixedSize(width, height)
        self.root.show()
        _settle(self.app, 4)

    def _build(self, body: QtWidgets.QHBoxLayout, presentation: bool) -> None:
        from ganviz.ui.loss_panel import LossShapePanel
        from ganviz.ui.metrics_panel import MetricsPanel

        theme, view = self.theme, self.view

        def add(widget: QtWidgets.QWidget, stretch: int) -> QtWidgets.QWidget:
            if hasattr(widget, "set_presentation"):
                widget.set_presentation(presentation)
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
            title = self.title or self._game.view.game().name
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
            caps = _snapshot_captions(snap)
            title = self.title
        if self.caption is not None:
            self.caption.set_values(title=title, **caps)

    def frame(self) -> np.ndarray:
        """The container as drawn now: an (height, width, 3) uint8 RGB array of its own."""
        _settle(self.app, 1)
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

        _settle(self.app, 1)
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


# --------------------------------------------------------------------------
# Frame schedule, producers and the encoder


@dataclasses.dataclass(frozen=True)
class Plan:
    """Which training steps come before each frame (see the module notes)."""

    frames: int
    steps_per_frame: int
    final_step: int
    metrics_every: int

    @classmethod
    def make(cls, frames: Optional[int], until_step: Optional[int], steps_per_frame: int,
             default_steps: int, metrics_every: int) -> "Plan":
        if frames is not None and until_step is not None:
            raise OptionError("frames", "give either frames or until_step, not both")
        if frames is not None:
            n = _whole("frames", frames, 1, MAX_FRAMES)
            return cls(n, steps_per_frame, (n - 1) * steps_per_frame, metrics_every)
        last = default_steps if until_step is None else _whole("until_step", until_step, 0)
        n = -(-last // steps_per_frame) + 1
        if n > MAX_FRAMES:
            raise OptionError("until_step", f"{last:,} steps at {steps_per_frame} per frame would take "
                                            f"{n:,} frames; at most {MAX_FRAMES:,}")
        return cls(n, steps_per_frame, last, metrics_every)

    def steps_before(self, i: int) -> int:
        if i == 0:
            return 0
        return min(self.steps_per_frame, self.final_step - (i - 1) * self.steps_per_frame)

    def step_at(self, i: int) -> int:
        return min(i * self.steps_per_frame, self.final_step)

    def metrics_due(self, i: int) -> bool:
        return i % self.metrics_every == 0 or i == self.frames - 1


class _Failure:
    """An error raised by the training worker, carried to the drawing thread."""

    def __init__(self, error: BaseException) -> None:
        try:
            pickle.loads(pickle.dumps(error))
        except Exception:  # it has to cross a process boundary
            error = ExportError(f"Training failed ({type(error).__name__}: {error}); nothing was written.")
        self.error = error


class _TrainState:
    """What the drawing thread may read of a training worker, in memory that processes share."""

    def __init__(self, ctx: mp.context.BaseContext) -> None:
        self.position = ctx.RawValue("q", 0)      # frames trained so far
        self.lab_built = ctx.RawValue("b", 0)
        self.seconds = ctx.RawArray("d", len(TRAIN_STAGES))


TRAIN_STAGES = ("train", "metrics", "snapshot")


def _train_frames(scenario: Scenario, plan: Plan, only_last: bool, out: "queue.Queue", stop: threading.Event,
                  state: _TrainState, in_process: bool) -> None:
    """The training side of an export: train, evaluate and queue (frame index, snapshot) in order.

    Runs on a thread or in a child process (module-level, so that it can be spawned);
    `out` takes the snapshots and, on failure, one `_Failure`.
    """
    if in_process:
        # Ctrl-C reaches the whole process group; the parent cancels the export itself.
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    try:
        # One torch thread: the other core draws and encodes.
        torch.set_num_threads(1)
        lab = Lab(scenario)
        state.lab_built.value = 1
        for i in range(plan.frames):
            if stop.is_set():
                return
            steps = plan.steps_before(i)
            t0 = time.perf_counter()
            if steps and not lab.train(steps):
                raise ExportError(f"Training diverged at step {lab.step_count:,} (a loss or gradient became "
                                  "NaN or infinite); the export stopped and nothing was written.")
            t1 = time.perf_counter()
            if plan.metrics_due(i):
                lab.evaluate_metrics()
            t2 = time.perf_counter()
            state.position.value = i + 1
            state.seconds[0] += t1 - t0
            state.seconds[1] += t2 - t1
            if not only_last or i == plan.frames - 1:
                snap = lab.snapshot()
                state.seconds[2] += time.perf_counter() - t2
                if not put((i, snap)):
                    return
    except BaseException as e:  # raised again by the drawing thread
        put(_Failure(e))


def _process_context() -> mp.context.BaseContext:
    """fork where it is safe, spawn elsewhere.

    A forked child starts in milliseconds, where a spawned one imports torch again (one
    or two seconds). Forking is safe only while this process runs no other thread and no
    Qt application: a headless export forks before it builds its widgets; the app spawns.
    macOS system frameworks are not fork-safe at all.
    """
    if (sys.platform.startswith("linux") and threading.active_count() == 1
            and QtCore.QCoreApplication.instance() is None):
        return mp.get_context("fork")
    return mp.get_context("spawn")


class _LabProducer:
    """Trains on a worker thread or in a child process and hands over (frame index, snapshot) pairs.

    A child process keeps training off the drawing thread's interpreter lock: in one
    process, rendering at full speed slowed training two- to four-fold. It costs a second
    or two to start, so short exports train on a thread.
    """

    def __init__(self, scenario: Scenario, plan: Plan, only_last: bool, in_process: bool) -> None:
        ctx = _process_context() if in_process else mp.get_context()
        self.in_process = in_process
        self._state = _TrainState(ctx)
        if in_process:
            self._q: queue.Queue = ctx.Queue(maxsize=PREFETCH)  # type: ignore[assignment]
            self._stop = ctx.Event()
            self._worker: Union[threading.Thread, mp.process.BaseProcess] = ctx.Process(
                target=_train_frames, args=(scenario, plan, only_last, self._q, self._stop, self._state, True),
                name="ganviz-export-train", daemon=True)
        else:
            self._q = queue.Queue(maxsize=PREFETCH)
            self._stop = threading.Event()  # type: ignore[assignment]
            self._worker = threading.Thread(
                target=_train_frames, args=(scenario, plan, only_last, self._q, self._stop, self._state, False),
                name="ganviz-export-train", daemon=True)

    @property
    def position(self) -> int:
        return int(self._state.position.value)

    @property
    def lab_built(self) -> bool:
        return bool(self._state.lab_built.value)

    @property
    def seconds(self) -> dict[str, float]:
        return dict(zip(TRAIN_STAGES, self._state.seconds))

    def start(self) -> None:
        self._worker.start()

    def get(self, timeout: Optional[float]) -> Optional[tuple[int, Snapshot]]:
        deadline = None if timeout is None else time.perf_counter() + timeout
        while True:
            wait = _POLL_S if deadline is None else max(0.0, min(_POLL_S, deadline - time.perf_counter()))
            try:
                item = self._q.get(timeout=wait) if wait > 0 else self._q.get_nowait()
                break
            except queue.Empty:
                if not self._worker.is_alive() and not self._stop.is_set():
                    try:
                        item = self._q.get_nowait()  # put just before it ended
                        break
                    except queue.Empty:
                        code = getattr(self._worker, "exitcode", None)
                        raise ExportError("The export's training worker ended unexpectedly"
                                          + (f" (exit code {code})" if code is not None else "")
                                          + "; nothing was written.") from None
                if deadline is not None and time.perf_counter() >= deadline:
                    return None
        if isinstance(item, _Failure):
            raise item.error
        return item

    def stop(self) -> None:
        self._stop.set()
        # Take what it queued, so that a worker blocked on a full queue (or a child's queue
        # feeder thread) can finish; a child that does not end in time is terminated.
        deadline = time.perf_counter() + 5.0
        while self._worker.is_alive() and time.perf_counter() < deadline:
            try:
                self._q.get(timeout=_POLL_S)
            except queue.Empty:
                pass
            self._worker.join(0.0)
        if self._worker.is_alive() and isinstance(self._worker, mp.process.BaseProcess):
            self._worker.terminate()
        self._worker.join()
        if self.in_process:
            self._q.close()  # type: ignore[attr-defined]
            self._q.join_thread()  # type: ignore[attr-defined]


class _GameProducer:
    """The game's trajectories need no training: frame i shows i * steps_per_frame iterations."""

    def __init__(self, plan: Plan, only_last: bool) -> None:
        self.plan, self.only_last = plan, only_last
        self.position = 0
        self.lab_built = False
        self.seconds: dict[str, float] = {}
        self._next = plan.frames - 1 if only_last else 0

    def start(self) -> None:
        pass

    def get(self, timeout: Optional[float]) -> Optional[tuple[int, int]]:
        if self._next >= self.plan.frames:
            return None
        i = self._next
        self._next += 1
        self.position = i + 1
        return i, self.plan.step_at(i)

    def stop(self) -> None:
        pass


class _StillSink:
    """A writer-like sink for one PNG or SVG still, written atomically on close."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._data: Union[np.ndarray, str, None] = None

    def write(self, data: Union[np.ndarray, str]) -> None:
        self._data = data

    def close(self) -> Path:
        if isinstance(self._data, str):
            return write_bytes_atomic(self.path, self._data)
        assert self._data is not None
        return write_still(self.path, self._data)

    def abort(self) -> None:
        self._data = None


class _Encoder:
    """Writes frames on a worker thread; the sink (writer) is touched by that thread only."""

    _END = object()

    def __init__(self, sink: Union[FrameWriter, _StillSink]) -> None:
        self.sink = sink
        self.path: Optional[Path] = None
        self.error: Optional[BaseException] = None
        self.seconds = 0.0
        self._q: queue.Queue = queue.Queue(maxsize=ENCODE_QUEUE)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ganviz-export-encode", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while True:
                try:
                    item = self._q.get(timeout=_POLL_S)
                except queue.Empty:
                    item = None
                if self._stop.is_set():
                    self.sink.abort()
                    return
                if item is None:
                    continue
                t0 = time.perf_counter()
                if item is self._END:
                    self.path = self.sink.close()
                    self.seconds += time.perf_counter() - t0
                    return
                self.sink.write(item)
                self.seconds += time.perf_counter() - t0
        except BaseException as e:  # raised again on the drawing thread
            self.sink.abort()
            self.error = e

    def put(self, item: object) -> None:
        while True:
            if self.error is not None:
                raise self.error
            if not self._thread.is_alive():
                raise ExportError("The export's encoder stopped unexpectedly; nothing was written.")
            try:
                self._q.put(item, timeout=_POLL_S)
                return
            except queue.Full:
                continue

    def end(self) -> None:
        self.put(self._END)

    def wait(self, timeout: Optional[float]) -> bool:
        """True once the sink is committed (raises its error if it failed)."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            return False
        if self.error is not None:
            raise self.error
        return True

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sink.abort()


# --------------------------------------------------------------------------
# An export job


class ExportJob:
    """One export, advanced a frame at a time from the GUI (or main) thread.

    `ExportJob(...)` checks every option and the output path (it raises before any
    training); `start()` builds the widgets and starts the worker threads; `advance()`
    draws the next frame when its snapshot is ready; `finish()` waits for the file to be
    committed; `cancel()` stops everything and leaves nothing behind. `export` runs one
    to the end; the Export dialog calls `advance(0)` from a timer so the app stays live.
    """

    def __init__(self, scenario: Scenario, out: Union[str, os.PathLike], *, view: Optional[str] = None,
                 frames: Optional[int] = None, until_step: Optional[int] = None, fps: float = DEFAULT_FPS,
                 size: Union[str, tuple[int, int]] = DEFAULT_SIZE,
                 steps_per_frame: int = DEFAULT_STEPS_PER_FRAME, captions: Union[bool, Collection[str]] = True,
                 theme: Union[str, Theme] = "light", presentation: bool = False,
                 metrics_every: Optional[int] = None, title: Optional[str] = None, trainer: str = "auto",
                 preset: str = DEFAULT_PRESET) -> None:
        self.scenario = scenario.validate()
        self.out = out
        self.view = view if view is not None else default_view(scenario)
        self.still = is_still(out)
        self.svg = self.still and Path(os.fspath(out)).suffix.lower() == ".svg"
        self.size = parse_size(size)
        self.fps = _check_fps(fps)
        self.captions = _captions(captions)
        self.theme = _theme(theme)
        self.presentation = bool(presentation)
        spf = _whole("steps_per_frame", steps_per_frame, 1, 1_000_000)
        if self.view == "game":
            self.game: Optional[GameSpec] = GameSpec.from_table(dict(scenario.game))
            self.dim = 2
            default_steps = self.game.steps
            # A lab scenario's name would mislabel a game; empty, the caption shows the game's name.
            named = scenario.view == "game" and scenario.name != "untitled"
        else:
            self.game = None
            self.dim = scenario.dim
            default_steps = scenario.steps
            named = scenario.name != "untitled"
        self.title = title if title is not None else (scenario.name if named else "")
        self.resolved_view = resolve_view(self.view, self.dim)
        if self.view in ("1d", "2d") and int(self.view[0]) != self.dim:
            raise OptionError("view", f"the {self.view} view draws {self.view.upper()} data but this scenario's "
                                      f"data is {self.dim}D; choose lab (or {self.dim}d)")
        if metrics_every is None:
            metrics_every = 1 if self.dim == 1 else max(1, round(METRICS_STEPS / spf))
        metrics_every = _whole("metrics_every", metrics_every, 1, MAX_FRAMES)
        self.plan = Plan.make(frames, until_step, spf, default_steps, metrics_every)
        if preset not in MP4_PRESETS:
            raise OptionError("preset", f"must be one of {', '.join(MP4_PRESETS)} (got {preset!r})")
        self.preset = preset
        if trainer not in TRAINERS:
            raise OptionError("trainer", f"must be one of {', '.join(TRAINERS)} (got {trainer!r})")
        # A still or a short clip would wait longer for a process to start than it gains.
        self.trainer = trainer if trainer != "auto" else \
            "process" if not self.still and self.plan.frames >= PROCESS_MIN_FRAMES else "thread"
        if self.still and frames is not None and frames != 1:
            raise OptionError("frames", f"a {Path(os.fspath(out)).suffix} file holds one still, so frames must be 1 "
                                        f"(got {frames}); give a folder path for numbered PNG frames")
        # The output is checked before anything is built or trained.
        if self.still:
            _check_still(out)
        else:
            check_output(out, size=self.size)

        self.frames_done = 0
        self._seconds = {"wait": 0.0, "draw": 0.0, "grab": 0.0}
        self.renderer: Optional[Renderer] = None
        self._producer: Union[_LabProducer, _GameProducer, None] = None
        self._encoder: Optional[_Encoder] = None
        self._state = "new"
        self.path: Optional[Path] = None

    # -- progress ------------------------------------------------------------------------

    @property
    def total(self) -> int:
        """Frames in the schedule (a still trains through all of them and draws the last)."""
        return self.plan.frames

    @property
    def done(self) -> int:
        """Frames drawn (for a still: frames trained)."""
        if self.still:
            return self._producer.position if self._producer is not None else 0
        return self.frames_done

    @property
    def seconds(self) -> dict[str, float]:
        """Time spent so far: by the training thread (train, metrics, snapshot), by the drawing thread
        (wait: for a snapshot; draw: views and captions; grab: into an RGB array) and by the encoder."""
        out = dict(self._producer.seconds) if self._producer is not None else {}
        out.update(self._seconds)
        out["encode"] = self._encoder.seconds if self._encoder is not None else 0.0
        return out

    @property
    def achieved_fps(self) -> float:
        """The frame rate the file plays at (a GIF plays at most 50 frames/s)."""
        sink = self._encoder.sink if self._encoder is not None else None
        return sink.achieved_fps if isinstance(sink, FrameWriter) else self.fps

    @property
    def rendering_finished(self) -> bool:
        return self._state in ("drawn", "finished")

    @property
    def lab_built(self) -> bool:
        return self._producer is not None and self._producer.lab_built

    # -- life cycle ----------------------------------------------------------------------

    def start(self) -> None:
        if self._state != "new":
            raise RuntimeError("An export job starts once.")
        self._state = "running"
        try:
            # Training first: a child process may then still be forked (see _process_context),
            # and it trains while the widgets are built.
            self._producer = (_GameProducer(self.plan, self.still) if self.game is not None
                              else _LabProducer(self.scenario, self.plan, self.still, self.trainer == "process"))
            self._producer.start()
            self.renderer = Renderer(self.view, self.size, dim=self.dim, theme=self.theme, captions=self.captions,
                                     presentation=self.presentation, title=self.title, game=self.game,
                                     claim=claim_text(self.scenario.claims))
            sink: Union[FrameWriter, _StillSink]
            sink = _StillSink(_absolute(self.out)) if self.still else \
                open_writer(self.out, fps=self.fps, size=self.size, preset=self.preset)
            self._encoder = _Encoder(sink)
        except BaseException:
            self.cancel()
            raise

    def advance(self, timeout: Optional[float] = None) -> bool:
        """Draw the next frame once its snapshot is ready (waiting up to `timeout` s; None: as long as it
        takes); True when a frame was drawn. Raises the export's error, after cleaning up."""
        if self._state != "running":
            return False
        try:
            t0 = time.perf_counter()
            item = self._producer.get(timeout)  # type: ignore[union-attr]
            t1 = time.perf_counter()
            self._seconds["wait"] += t1 - t0
            if item is None:
                return False
            index, payload = item
            self.renderer.show(payload)  # type: ignore[union-attr]
            t2 = time.perf_counter()
            data = self.renderer.svg() if self.svg else self.renderer.frame()  # type: ignore[union-attr]
            t3 = time.perf_counter()
            self._encoder.put(data)  # type: ignore[union-attr]
            self._seconds["draw"] += t2 - t1
            self._seconds["grab"] += t3 - t2
            self.frames_done += 1
            if index == self.plan.frames - 1:
                self._state = "drawn"
                self._encoder.end()  # type: ignore[union-attr]
            return True
        except BaseException:
            self.cancel()
            raise

    def finish(self, timeout: Optional[float] = None) -> Optional[Path]:
        """After the last frame: wait up to `timeout` s for the file to be committed; its path, or None
        while it is still being written."""
        if self._state == "finished":
            return self.path
        if self._state != "drawn":
            raise RuntimeError("finish() comes after the last frame has been drawn.")
        try:
            if not self._encoder.wait(timeout):  # type: ignore[union-attr]
                return None
        except BaseException:
            self.cancel()
            raise
        self.path = self._encoder.path  # type: ignore[union-attr]
        self._state = "finished"
        self._release()
        return self.path

    def cancel(self) -> None:
        """Stop at once and delete everything written; safe to call at any time, never raises."""
        if self._state in ("finished", "cancelled"):
            return
        self._state = "cancelled"
        for part in (self._producer, self._encoder):
            if part is not None:
                try:
                    part.stop()
                except Exception:
                    pass  # the writer's temporary output is removed by its own finaliser
        self._release()

    def _release(self) -> None:
        if self._producer is not None:
            self._producer.stop()
        if self.renderer is not None:
            self.renderer.close()
            self.renderer = None

    def __enter__(self) -> "ExportJob":
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()


def export(scenario: Scenario, out: Union[str, os.PathLike], *, view: Optional[str] = None,
           frames: Optional[int] = None, until_step: Optional[int] = None, fps: float = DEFAULT_FPS,
           size: Union[str, tuple[int, int]] = DEFAULT_SIZE, steps_per_frame: int = DEFAULT_STEPS_PER_FRAME,
           captions: Union[bool, Collection[str]] = True, theme: Union[str, Theme] = "light",
           presentation: bool = False, metrics_every: Optional[int] = None, title: Optional[str] = None,
           trainer: str = "auto", preset: str = DEFAULT_PRESET,
           progress: Optional[Callable[[int, int], None]] = None,
           cancel: Optional[Callable[[], bool]] = None) -> Path:
    """Export `scenario` to `out` (the format from its suffix, see the module notes); returns the path.

    `progress(done, total)` is called after each frame; when `cancel()` returns True the
    export stops, deletes what it wrote and raises `Cancelled`. Raises `OptionError` (a
    ValueError) for a bad option and `ExportError` for an output that cannot be written or
    a run that diverges, in both cases leaving no file behind.
    """
    job = ExportJob(scenario, out, view=view, frames=frames, until_step=until_step, fps=fps, size=size,
                    steps_per_frame=steps_per_frame, captions=captions, theme=theme, presentation=presentation,
                    metrics_every=metrics_every, title=title, trainer=trainer, preset=preset)
    with job:
        job.start()
        while not job.rendering_finished:
            if cancel is not None and cancel():
                job.cancel()
                raise Cancelled(f"The export to {out} was cancelled; nothing was written.")
            # A short wait, so that progress (a still trains many frames before it draws one)
            # and cancel are looked at while the worker trains.
            job.advance(_POLL_S)
            if progress is not None:
                progress(job.done, job.total)
        path = None
        while path is None:
            if cancel is not None and cancel():
                job.cancel()
                raise Cancelled(f"The export to {out} was cancelled; nothing was written.")
            path = job.finish(_POLL_S)
        return path
