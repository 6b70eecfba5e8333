"""Rewind: the app records what it shows, and the timeline takes every view back to any moment.

Every picture the window draws goes through `Rewind.live`: it is recorded (ganviz.engine.recording)
and drawn from the recording, so that a moment scrubbed to later is drawn from the same data as it
was drawn live. Dragging the timeline pauses training and shows recorded frames; "Continue from here"
takes the run back to the checkpoint at or before the moment shown and trains on with the settings
chosen now; in and out points export that stretch as it was shown, without training again. A run is
saved as a .ganviz file and opened again, here or elsewhere, with the same pictures.

The window owns the session and the views; this controller owns the recording and the timeline.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

from PySide6 import QtCore, QtWidgets

from ganviz.engine.recording import DEFAULT_BUDGET, Recording, RunFileError
from ganviz.engine.snapshot import Snapshot
from ganviz.export.options import ALL_GANS_VIEWS, default_view
from ganviz.ui.timeline import Timeline

if TYPE_CHECKING:
    from ganviz.ui.main_window import MainWindow

CLIP_FILTER = "MP4 video (*.mp4);;GIF animation (*.gif)"
RUN_FILTER = "ganviz run (*.ganviz)"


class Rewind(QtCore.QObject):
    def __init__(self, window: "MainWindow", timeline: Timeline, budget: int = DEFAULT_BUDGET) -> None:
        super().__init__(window)
        self.w = window
        self.timeline = timeline
        self.budget = budget
        self.recording: Optional[Recording] = None
        self.viewing: Optional[int] = None          # the recorded frame shown; None: the live run
        self.clip: list[Optional[int]] = [None, None]
        self._marks = (-1, -1)                        # (events, checkpoints) last given to the bar
        # False while an opened run is shown: the session's fresh start is not this run, and is not
        # recorded into it until a moment of the run is continued from.
        self.attached = True
        # Snapshot.timeline of the last live picture, and the one a command sent since replaces: the session
        # may have drawn a picture of the old run just before it took the command, which is not drawn.
        self._timeline: Optional[int] = None
        self._replaced: Optional[int] = None
        timeline.scrubbed.connect(self.scrub)
        timeline.live_requested.connect(self.go_live)
        timeline.continue_requested.connect(self.continue_here)
        timeline.bookmark_requested.connect(self.bookmark)
        timeline.in_requested.connect(lambda: self.set_clip(0))
        timeline.out_requested.connect(lambda: self.set_clip(1))
        timeline.clip_requested.connect(self.export_clip)

    # -- recording ----------------------------------------------------------------------------
    def reset(self, scenario) -> None:
        """A new run (another scenario opened): a new recording."""
        self.recording = Recording(scenario, self.budget)
        self.viewing = None
        self.attached = True
        self.clip = [None, None]
        self._marks = (-1, -1)
        self._update()

    def replacing(self) -> None:
        """The session was just told to replace its run (Reset, Load, Continue from here): the pictures it drew
        of the run before are neither drawn nor recorded from now on."""
        self._replaced = self._timeline

    def live(self, snap: Snapshot) -> Optional[Snapshot]:
        """Record a live picture; what to draw (the recorded frame), or None while the past is shown or
        when the picture is a late one of a run the session was told to replace."""
        if self._replaced is not None:
            if snap.timeline == self._replaced:
                return None
            self._replaced = None
        self._timeline = snap.timeline
        if self.recording is None:
            self.reset(self.w.session.scenario)
        if not self.attached:
            return None
        rec = self.recording
        rec.scenario = self.w.session.scenario
        if rec.frames and snap.step < rec.frames[-1].step and self.viewing is not None:
            self.viewing = None                     # a branch (or a Reset) started: back to the live run
        rec.add(snap)
        self._update()
        if self.viewing is not None:
            return None
        return rec.snapshot(len(rec) - 1)

    @property
    def shown_step(self) -> Optional[int]:
        if self.recording is None or not len(self.recording):
            return None
        i = self.viewing if self.viewing is not None else len(self.recording) - 1
        return int(self.recording.frames[i].step)

    # -- the timeline's requests ---------------------------------------------------------------
    def scrub(self, step: int) -> None:
        rec = self.recording
        if rec is None or not len(rec):
            return
        if self.viewing is None:
            self.w.pause_for_rewind()
        self.show_frame(rec.index_at(step))

    def show_frame(self, i: int) -> None:
        rec = self.recording
        i = max(0, min(len(rec) - 1, i))
        self.viewing = i
        # the views at that moment; the charts show the whole recorded run with a cursor there
        self.w.show_snapshot(rec.snapshot(i), live=False, history=rec.snapshot(len(rec) - 1))
        self._update()

    def step_frames(self, n: int) -> None:
        """Left and Right: one recorded frame back or on (from the live run, into the past)."""
        rec = self.recording
        if rec is None or not len(rec):
            return
        if self.viewing is None:
            self.w.pause_for_rewind()
            self.show_frame(len(rec) - 1 + min(0, n))
        else:
            self.show_frame(self.viewing + n)

    def go_live(self) -> None:
        if not self.attached:       # an opened run has no live run: its last frame
            self.show_frame(len(self.recording) - 1)
            return
        self.viewing = None
        if self.recording is not None and len(self.recording):
            self.w.show_snapshot(self.recording.snapshot(len(self.recording) - 1), live=False)
        self._update()

    def continue_here(self) -> None:
        rec, step = self.recording, self.shown_step
        if rec is None or step is None:
            return
        ck = rec.checkpoint_at(step)
        if ck is None:
            self.w.show_error(f"No checkpoint at or before step {step:,} to continue from.")
            return
        try:
            self.w.session.restore(ck.arrays)
        except (ValueError, RunFileError) as e:
            self.w.show_error(str(e))
            return
        self.replacing()
        self.viewing = None
        self.attached = True
        where = f"step {ck.step:,}" + (f" (the checkpoint before step {step:,})" if ck.step != step else "")
        self.w.set_status(f"The run goes back to {where}; press Play to train on from there with the settings "
                          "shown. What followed is let go when the run moves on.")
        self._update()

    def bookmark(self) -> None:
        step = self.shown_step
        if step is None:
            return
        self.recording.bookmark(step)
        self._marks = (-1, -1)
        self._update()
        self.w.set_status(f"Bookmarked step {step:,}.")

    def set_clip(self, end: int) -> None:
        step = self.shown_step
        if step is None:
            return
        self.clip[end] = step
        a, b = self.clip
        if a is not None and b is not None and a > b:
            self.clip = [b, a]
        self.timeline.bar.set_in_out(*self.clip)
        self.w.set_status(f"Clip {'in' if end == 0 else 'out'} at step {step:,}.")

    # -- files ----------------------------------------------------------------------------------
    def export_clip(self, path: Optional[str] = None) -> Optional[Path]:
        """Export the recorded frames between the in and out points (the whole recording without them)."""
        rec = self.recording
        if rec is None or not len(rec):
            return None
        if path is None:
            path, _ = QtWidgets.QFileDialog.getSaveFileName(self.w, "Export the clip", "clip.mp4", CLIP_FILTER)
            if not path:
                return None
        a, b = self.clip
        try:
            job = self.w.export_job(rec.scenario, path, recording=rec, from_step=a, to_step=b,
                                    **self.clip_view(rec.scenario))
            progress = QtWidgets.QProgressDialog("Exporting the clip…", "Cancel", 0, job.total, self.w)
            progress.setWindowModality(QtCore.Qt.WindowModality.WindowModal)
            progress.setMinimumDuration(300)
            with_job = job
            with_job.start()
            while not with_job.rendering_finished:
                if progress.wasCanceled():
                    with_job.cancel()
                    self.w.set_status("The clip export was cancelled; nothing was written.")
                    return None
                with_job.advance(0.05)
                progress.setValue(with_job.done)
                QtWidgets.QApplication.processEvents()
            out = None
            while out is None:
                out = with_job.finish(0.05)
            progress.close()
        except (ValueError, OSError) as e:
            self.w.show_error(str(e))
            return None
        self.w.set_status(f"Exported {job.total} recorded frames to {out}.")
        return out

    def clip_view(self, scenario) -> dict:
        """The view a clip shows: the Lab or Compare tab that is on screen (the Lab's: the GAN the toolbar
        shows), else the scenario's own view. The recorded frames hold what the window drew while recording:
        the Lab tab of a run of several GANs has the fakes of the GAN it shows alone computed."""
        n = len(scenario.panel_labels())
        tab = self.w.tabs.currentWidget()
        view = ("compare" if tab is self.w.compare_view else "lab" if tab is self.w.lab_stack
                else default_view(scenario))
        if n > 1 and view not in ALL_GANS_VIEWS:
            return {"view": view, "gan": min(self.w.view2d.index, n - 1)}
        return {"view": view}

    def save(self, path: Optional[str] = None) -> Optional[Path]:
        rec = self.recording
        if rec is None or not len(rec):
            self.w.show_error("Nothing is recorded yet: train a little first.")
            return None
        if path is None:
            path, _ = QtWidgets.QFileDialog.getSaveFileName(self.w, "Save the run", "run.ganviz", RUN_FILTER)
            if not path:
                return None
        try:
            Recording.check_target(path)
            out = rec.save(path)
        except (RunFileError, OSError) as e:
            self.w.show_error(str(e))
            return None
        self.w.set_status(f"Saved {len(rec):,} frames and {len(rec.checkpoints)} checkpoints to {out}.")
        return out

    def open(self, path: str) -> bool:
        """Open a .ganviz run: its scenario in the session (paused), its frames on the timeline."""
        try:
            rec = Recording.load(path, self.budget)
        except RunFileError as e:
            self.w.show_error(str(e))
            return False
        if not self.w.load_scenario_for_run(rec.scenario):
            return False
        self.recording = rec
        self.attached = False
        self.clip = [None, None]
        self._marks = (-1, -1)
        self.show_frame(len(rec) - 1)
        self.w.set_status(f"Opened {Path(path).name}: {len(rec):,} frames; drag the timeline, or continue from a "
                          "moment to train on.")
        return True

    # -- the bar ----------------------------------------------------------------------------------
    def _update(self) -> None:
        rec = self.recording
        if rec is None or not len(rec):
            self.timeline.set_state(None, 0, 0, 0, 0)
            return
        position = None if self.viewing is None else int(rec.frames[self.viewing].step)
        self.timeline.set_state(position, int(rec.frames[-1].step), int(rec.frames[0].step), len(rec),
                                rec.nbytes, rec.thinned)
        marks = (len(rec.events), len(rec.checkpoints))
        if marks != self._marks:
            self._marks = marks
            self.timeline.bar.set_events(rec.events_sorted())
            self.timeline.bar.set_checkpoints([c.step for c in rec.checkpoints])
