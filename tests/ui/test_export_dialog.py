"""The Export dialog: cancel leaves nothing, a finished export has the chosen frames, errors show in the dialog."""
from __future__ import annotations

import errno
import io
import os

from PIL import Image, ImageSequence
from PySide6 import QtCore, QtWidgets

from ganviz.export import writers
from ganviz.ui.export_dialog import ExportDialog


def configure(d: ExportDialog, path, frames: int, steps: int = 1) -> None:
    d.findChild(QtWidgets.QLineEdit, "exportPathEdit").setText(str(path))
    sizes = d.findChild(QtWidgets.QComboBox, "exportSizeCombo")
    sizes.setCurrentIndex(sizes.findData("custom"))
    d.findChild(QtWidgets.QSpinBox, "exportWidthSpin").setValue(320)
    d.findChild(QtWidgets.QSpinBox, "exportHeightSpin").setValue(240)
    d.findChild(QtWidgets.QRadioButton, "exportFramesRadio").setChecked(True)
    d.findChild(QtWidgets.QSpinBox, "exportFramesSpin").setValue(frames)
    d.findChild(QtWidgets.QSpinBox, "exportStepsSpin").setValue(steps)


def click(qtbot, d: ExportDialog, name: str) -> None:
    qtbot.mouseClick(d.findChild(QtWidgets.QPushButton, name), QtCore.Qt.MouseButton.LeftButton)


def test_cancel_stops_the_export_and_leaves_no_file(qtbot, export_dialog, tmp_path):
    configure(export_dialog, tmp_path / "long.mp4", frames=50)
    click(qtbot, export_dialog, "exportStartButton")
    assert export_dialog.running()
    progress = export_dialog.findChild(QtWidgets.QProgressBar, "exportProgress")
    qtbot.waitUntil(lambda: progress.value() >= 2, timeout=30_000)
    click(qtbot, export_dialog, "exportCancelButton")
    assert not export_dialog.running()
    assert "cancelled" in export_dialog.findChild(QtWidgets.QLabel, "exportStatus").text()
    assert list(tmp_path.iterdir()) == []
    # The dialog is ready for another export.
    assert export_dialog.findChild(QtWidgets.QPushButton, "exportStartButton").isEnabled()


def test_a_finished_export_has_the_chosen_frame_count(qtbot, export_dialog, tmp_path):
    configure(export_dialog, tmp_path / "clip.gif", frames=5, steps=2)
    with qtbot.waitSignal(export_dialog.exported, timeout=30_000) as signal:
        click(qtbot, export_dialog, "exportStartButton")
    assert signal.args == [str(tmp_path / "clip.gif")]
    assert not export_dialog.running()
    with Image.open(tmp_path / "clip.gif") as im:
        frames = [f.convert("RGB") for f in ImageSequence.Iterator(im)]
    assert len(frames) == 5 and all(f.size == (320, 240) for f in frames)
    assert export_dialog.findChild(QtWidgets.QLabel, "exportError").text() == ""


def test_a_run_of_one_gan_has_no_gan_to_choose(export_dialog):
    gans = export_dialog.findChild(QtWidgets.QComboBox, "exportGanCombo")
    assert gans.count() == 1 and not gans.isVisibleTo(export_dialog)


def test_an_unwritable_path_shows_a_clear_message_and_starts_nothing(qtbot, export_dialog, tmp_path):
    configure(export_dialog, tmp_path / "missing" / "x.mp4", frames=5)
    click(qtbot, export_dialog, "exportStartButton")
    assert not export_dialog.running()
    text = export_dialog.findChild(QtWidgets.QLabel, "exportError").text()
    assert "folder does not exist" in text and "missing" in text
    assert list(tmp_path.iterdir()) == []


def test_an_odd_size_for_mp4_is_refused_before_anything_runs(qtbot, export_dialog, tmp_path):
    configure(export_dialog, tmp_path / "odd.mp4", frames=3)
    export_dialog.findChild(QtWidgets.QSpinBox, "exportWidthSpin").setValue(321)
    click(qtbot, export_dialog, "exportStartButton")
    assert not export_dialog.running()
    assert "even width and height" in export_dialog.findChild(QtWidgets.QLabel, "exportError").text()


class FullDisk(io.BytesIO):
    def write(self, data) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_disk_shows_in_the_dialog_and_leaves_no_file(qtbot, export_dialog, tmp_path, monkeypatch):
    monkeypatch.setattr(writers, "_open_binary", lambda path: FullDisk())
    configure(export_dialog, tmp_path / "full.gif", frames=5)
    error = export_dialog.findChild(QtWidgets.QLabel, "exportError")
    click(qtbot, export_dialog, "exportStartButton")
    qtbot.waitUntil(lambda: not export_dialog.running(), timeout=30_000)
    assert "the disk is full" in error.text()
    assert list(tmp_path.iterdir()) == []
