"""File > Export...: render the current scenario to a video, a GIF, PNG frames or a still, inside the app.

The export runs on a copy of the session's scenario, so the live run is untouched.
Training runs off the GUI thread (a child process or a thread, see
`ganviz.export.producer`); the views must be drawn on the GUI thread, so a timer
draws whatever frames are ready in slices of a few tens of milliseconds and the
app stays responsive. Cancel stops at once and leaves no file; an error (an
unwritable path, a full disk, a run that diverges) shows in the dialog and the
app keeps running.

The dialog imports only torch-free modules of the export (its choices and defaults from
`ganviz.export.options`): the job that trains is made by the `job_factory` it is given, by
default `ganviz.export.factory.export_job`, which imports `ExportJob` when the first export
starts; tests pass `ganviz.export.job.ExportJob`.
"""
from __future__ import annotations

import math

import copy
import re
import time
from pathlib import Path
from typing import Optional, Union

from PySide6 import QtCore, QtWidgets

from ganviz.core.scenario import Scenario
from ganviz.export.factory import ExportJobFactory, ExportJobLike, export_job
from ganviz.export.options import (ALL_GANS_VIEWS, DEFAULT_FPS, DEFAULT_SIZE, DEFAULT_STEPS_PER_FRAME, FPS_RANGE,
                                   MAX_FRAMES, MAX_SIDE, MIN_SIDE, SIZE_PRESETS, STEPS_PER_FRAME_RANGE,
                                   UNTIL_STEP_MAX, VIEWS, default_view, is_still)
from ganviz.export.writers import ExportError
from ganviz.ui.theme import THEMES, Theme

TICK_MS = 5           # how often the timer looks for frames that are ready
SLICE_S = 0.03        # GUI time spent drawing frames per tick, at most (a frame takes ~10 ms at 720p)
DEFAULT_FRAMES = 150
CUSTOM = "custom"
FILTERS = "MP4 video (*.mp4);;GIF animation (*.gif);;PNG still (*.png);;SVG still (*.svg)"


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "ganviz"


class ExportDialog(QtWidgets.QDialog):
    """Export options, a progress bar, and Export / Cancel."""

    # The path of a finished export.
    exported = QtCore.Signal(str)

    def __init__(self, scenario: Scenario, theme: Union[Theme, str] = "light",
                 parent: Optional[QtWidgets.QWidget] = None, *,
                 job_factory: Optional[ExportJobFactory] = None, gan: int = 0) -> None:
        """job_factory(scenario, out, **options): the export job, not yet started (`ExportJob`'s
        arguments); by default `ganviz.export.factory.export_job` (see the module notes). gan: the GAN of
        a scenario of several that the lab view and the loss panel draw unless the user picks another
        (the one the app shows)."""
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowTitle("Export")
        # A deep copy: the scenario's [game] table is a dict, and the live session may change later.
        self._scenario = copy.deepcopy(scenario)
        self._theme = THEMES[theme] if isinstance(theme, str) else theme
        self._job_factory: ExportJobFactory = job_factory or export_job
        self._gan = gan
        self._job: Optional[ExportJobLike] = None
        self._in_tick = False
        self._cancel_requested = False
        self.last_path: Optional[Path] = None

        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._build()
        self._update_enabled()

    # -- construction -------------------------------------------------------------------------

    def _build(self) -> None:
        sc = self._scenario
        form = QtWidgets.QFormLayout()

        self.view_combo = QtWidgets.QComboBox()
        self.view_combo.setObjectName("exportViewCombo")
        dim = self._dim()
        for view_id, text in VIEWS.items():
            if dim is not None and view_id in ("1d", "2d") and view_id != f"{dim}d":
                continue
            self.view_combo.addItem(view_id, view_id)
            self.view_combo.setItemData(self.view_combo.count() - 1, text, QtCore.Qt.ItemDataRole.ToolTipRole)
        self.view_combo.setCurrentIndex(max(0, self.view_combo.findData(default_view(sc))))
        form.addRow("View", self.view_combo)

        # Which GAN of a run of several the lab view and the loss panel draw; shown only for such a run.
        self.gan_combo = QtWidgets.QComboBox()
        self.gan_combo.setObjectName("exportGanCombo")
        self.gan_combo.setToolTip("The GAN the lab view and the loss panel draw; the Compare and metrics "
                                  "views draw every GAN.")
        labels = self._labels()
        for i, label in enumerate(labels):
            self.gan_combo.addItem(label, i)
        self.gan_combo.setCurrentIndex(min(max(self._gan, 0), len(labels) - 1))
        form.addRow("GAN", self.gan_combo)
        form.setRowVisible(self.gan_combo, len(labels) > 1)
        self.view_combo.currentIndexChanged.connect(self._update_enabled)

        self.size_combo = QtWidgets.QComboBox()
        self.size_combo.setObjectName("exportSizeCombo")
        for name, (w, h) in SIZE_PRESETS.items():
            self.size_combo.addItem(f"{name}  ({w} \u00d7 {h})", name)
        self.size_combo.addItem("Custom", CUSTOM)
        default = next(name for name, size in SIZE_PRESETS.items() if size == DEFAULT_SIZE)
        self.size_combo.setCurrentIndex(self.size_combo.findData(default))
        self.width_spin = self._spin("exportWidthSpin", MIN_SIDE, MAX_SIDE, DEFAULT_SIZE[0])
        self.height_spin = self._spin("exportHeightSpin", MIN_SIDE, MAX_SIDE, DEFAULT_SIZE[1])
        for spin in (self.width_spin, self.height_spin):
            spin.setGroupSeparatorShown(False)
        self.size_combo.currentIndexChanged.connect(self._on_size_preset)
        custom = QtWidgets.QHBoxLayout()
        custom.addWidget(self.width_spin)
        custom.addWidget(QtWidgets.QLabel("\u00d7"))
        custom.addWidget(self.height_spin)
        custom.addWidget(QtWidgets.QLabel("pixels"))
        form.addRow("Size", self.size_combo)
        form.addRow("", custom)

        self.fps_spin = self._spin("exportFpsSpin", max(1, math.ceil(FPS_RANGE[0])), int(FPS_RANGE[1]), int(DEFAULT_FPS))
        self.fps_spin.setSuffix(" frames/s")
        self.fps_spin.setToolTip("GIFs play at most 50 frames/s; 20 or 25 play the same everywhere.")
        form.addRow("Frame rate", self.fps_spin)
        self.steps_spin = self._spin("exportStepsSpin", *STEPS_PER_FRAME_RANGE, DEFAULT_STEPS_PER_FRAME)
        self.steps_spin.setToolTip("Generator steps trained between two frames.")
        form.addRow("Steps per frame", self.steps_spin)

        self.frames_radio = QtWidgets.QRadioButton("Frames")
        self.frames_radio.setObjectName("exportFramesRadio")
        self.frames_radio.setToolTip("Frame 0 shows the networks before training, frame i after i \u00d7 steps "
                                     "per frame steps.")
        self.frames_spin = self._spin("exportFramesSpin", 1, MAX_FRAMES, DEFAULT_FRAMES)
        self.until_radio = QtWidgets.QRadioButton("Until step")
        self.until_radio.setObjectName("exportUntilRadio")
        self.until_radio.setToolTip("Train up to this generator step; the last frame shows it.")
        self.until_spin = self._spin("exportUntilSpin", 0, UNTIL_STEP_MAX, max(sc.steps, 1))
        length = QtWidgets.QButtonGroup(self)
        length.addButton(self.frames_radio)
        length.addButton(self.until_radio)
        self.frames_radio.setChecked(True)
        self.frames_radio.toggled.connect(self._update_enabled)
        for radio, spin in ((self.frames_radio, self.frames_spin), (self.until_radio, self.until_spin)):
            row = QtWidgets.QHBoxLayout()
            row.addWidget(radio)
            row.addWidget(spin, 1)
            form.addRow("Length" if radio is self.frames_radio else "", row)

        self.captions_check = QtWidgets.QCheckBox("Title, loss, k and step in a bar across the top")
        self.captions_check.setObjectName("exportCaptionsCheck")
        self.captions_check.setChecked(True)
        form.addRow("Captions", self.captions_check)
        self.presentation_check = QtWidgets.QCheckBox("Larger text and lines, for a lecture hall")
        self.presentation_check.setObjectName("exportPresentationCheck")
        form.addRow("Presentation", self.presentation_check)

        self.path_edit = QtWidgets.QLineEdit(str(Path.home() / f"{_slug(sc.name)}.mp4"))
        self.path_edit.setObjectName("exportPathEdit")
        self.path_edit.setToolTip(".mp4, .gif, a folder (numbered PNG frames), or .png / .svg for a still "
                                  "of the last frame")
        self.browse_button = QtWidgets.QPushButton("Browse\u2026")
        self.browse_button.setObjectName("exportBrowseButton")
        self.browse_button.clicked.connect(self._browse)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.browse_button)
        form.addRow("Save to", row)

        self.progress = QtWidgets.QProgressBar()
        self.progress.setObjectName("exportProgress")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status_label = QtWidgets.QLabel("")
        self.status_label.setObjectName("exportStatus")
        self.status_label.setWordWrap(True)
        self.error_label = QtWidgets.QLabel("")
        self.error_label.setObjectName("exportError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #C62828;")
        self.error_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)

        self.start_button = QtWidgets.QPushButton("Export")
        self.start_button.setObjectName("exportStartButton")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start_export)
        self.cancel_button = QtWidgets.QPushButton("Close")
        self.cancel_button.setObjectName("exportCancelButton")
        self.cancel_button.clicked.connect(self._on_cancel_button)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)

        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status_label)
        layout.addWidget(self.error_label)
        layout.addLayout(buttons)
        self._on_size_preset()

    def _spin(self, name: str, low: int, high: int, value: int) -> QtWidgets.QSpinBox:
        spin = QtWidgets.QSpinBox()
        spin.setObjectName(name)
        spin.setRange(low, high)
        spin.setValue(value)
        spin.setGroupSeparatorShown(True)
        return spin

    def _labels(self) -> list[str]:
        return self._scenario.panel_labels()

    def _one_gan_view(self) -> bool:
        """Whether the chosen view draws one GAN (the lab view, the loss panel), not all of them."""
        return self.view_combo.currentData() not in ALL_GANS_VIEWS

    def _dim(self) -> Optional[int]:
        try:
            return self._scenario.dim
        except ValueError:
            return None

    # -- state ----------------------------------------------------------------------------------

    def running(self) -> bool:
        return self._job is not None

    def frame_size(self) -> tuple[int, int]:
        """The frame size chosen: a preset's or the custom width and height."""
        preset = SIZE_PRESETS.get(self.size_combo.currentData())
        return preset if preset is not None else (self.width_spin.value(), self.height_spin.value())

    def _on_size_preset(self, *_: object) -> None:
        preset = SIZE_PRESETS.get(self.size_combo.currentData())
        if preset is not None:
            self.width_spin.setValue(preset[0])
            self.height_spin.setValue(preset[1])
        self._update_enabled()

    def _update_enabled(self, *_: object) -> None:
        idle = self._job is None
        for w in (self.view_combo, self.size_combo, self.fps_spin, self.steps_spin, self.frames_radio,
                  self.until_radio, self.captions_check, self.presentation_check, self.path_edit,
                  self.browse_button, self.start_button):
            w.setEnabled(idle)
        self.gan_combo.setEnabled(idle and self._one_gan_view())
        custom = self.size_combo.currentData() == CUSTOM
        self.width_spin.setEnabled(idle and custom)
        self.height_spin.setEnabled(idle and custom)
        self.frames_spin.setEnabled(idle and self.frames_radio.isChecked())
        self.until_spin.setEnabled(idle and self.until_radio.isChecked())
        self.cancel_button.setText("Close" if idle else "Cancel")

    def _browse(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export to", self.path_edit.text(), FILTERS)
        if path:
            self.path_edit.setText(path)

    def _set_error(self, text: str) -> None:
        self.error_label.setText(text)

    # -- exporting ------------------------------------------------------------------------------

    def start_export(self) -> bool:
        """Check the options and the path and start; False (and a message in exportError) if they fail."""
        if self._job is not None:
            return False
        self._set_error("")
        self.status_label.setText("")
        path = self.path_edit.text().strip()
        if not path:
            self._set_error("Choose where to save the export.")
            return False
        length = {"frames": self.frames_spin.value()} if self.frames_radio.isChecked() \
            else {"until_step": self.until_spin.value()}
        if is_still(path) and "frames" in length:
            # A still shows the last frame of the schedule the frame count describes.
            length = {"until_step": (self.frames_spin.value() - 1) * self.steps_spin.value()}
        gan = {"gan": self.gan_combo.currentData()} if self._one_gan_view() and self.gan_combo.count() > 1 else {}
        try:
            job = self._job_factory(self._scenario, path, view=self.view_combo.currentData(),
                                    fps=self.fps_spin.value(), size=self.frame_size(),
                                    steps_per_frame=self.steps_spin.value(),
                                    captions=self.captions_check.isChecked(), theme=self._theme,
                                    presentation=self.presentation_check.isChecked(), **length, **gan)
            job.start()
        except (ValueError, ExportError) as e:
            self._set_error(str(e))
            return False
        self._job = job
        self._cancel_requested = False
        self.progress.setRange(0, job.total)
        self.progress.setValue(0)
        self.status_label.setText("Exporting\u2026")
        self._update_enabled()
        self._timer.start()
        return True

    def cancel_export(self) -> None:
        """Stop the running export at once; nothing is written."""
        if self._job is None:
            return
        if self._in_tick:
            self._cancel_requested = True  # the tick in progress finishes its frame, then stops
            return
        job, self._job = self._job, None
        self._timer.stop()
        job.cancel()
        self.progress.setValue(0)
        self.status_label.setText("Export cancelled; nothing was written.")
        self._update_enabled()

    def _on_cancel_button(self) -> None:
        if self._job is not None:
            self.cancel_export()
        else:
            self.reject()

    def _tick(self) -> None:
        job = self._job
        if job is None or self._in_tick:
            return
        self._in_tick = True
        try:
            deadline = time.perf_counter() + SLICE_S
            while not job.rendering_finished and time.perf_counter() < deadline and not self._cancel_requested:
                if not job.advance(0):
                    break
            self.progress.setValue(job.done)
            path = job.finish(0) if job.rendering_finished and not self._cancel_requested else None
        except Exception as e:  # ExportError, or anything unexpected: the app keeps running
            self._failed(str(e) if isinstance(e, (ExportError, ValueError)) else
                         f"The export failed ({type(e).__name__}: {e}); nothing was written.")
            return
        finally:
            self._in_tick = False
        if self._cancel_requested:
            self.cancel_export()
        elif path is not None:
            self._finished(path)

    def _finished(self, path: Path) -> None:
        job, self._job = self._job, None
        assert job is not None
        self._timer.stop()
        self.last_path = path
        self.progress.setValue(self.progress.maximum())
        what = "a still" if job.still else f"{job.frames_done} frames"
        self.status_label.setText(f"Saved {what} to {path}.")
        self._update_enabled()
        self.exported.emit(str(path))

    def _failed(self, message: str) -> None:
        job, self._job = self._job, None
        self._timer.stop()
        if job is not None:
            job.cancel()
        self.progress.setValue(0)
        self.status_label.setText("")
        self._set_error(message)
        self._update_enabled()

    # -- closing --------------------------------------------------------------------------------

    def reject(self) -> None:
        # Closing the dialog (Esc, the window's close button) must not leave an export running.
        self.cancel_export()
        super().reject()
