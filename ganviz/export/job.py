"""One export from start to end: `ExportJob`, advanced a frame at a time by the thread that
draws (the CLI's main thread, or a timer on the app's GUI thread), and `export`, which runs one
to the end.

A job joins the three sides of an export: the producer trains (ganviz.export.producer), the
renderer draws on the calling thread (ganviz.export.renderer), the encoder writes on its own
thread (ganviz.export.encoder). The options are checked, and the output path tried, when the
job is made, before anything is built or trained. The conventions (frame i, stills, metrics,
captions, errors) are in the package's notes (ganviz/export/__init__.py).

Torch-bound through the producer: the Export dialog, which is ui and may not import torch, is
given `ExportJob` by whoever makes it (ganviz.export.factory names it for the app).
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Optional, Union

from ganviz.core.scenario import Scenario
from ganviz.export.captions import claim_text
from ganviz.export.encoder import Encoder, StillSink
from ganviz.export.game import GameSpec
from ganviz.export.options import (
    ALL_GANS_VIEWS, DEFAULT_FPS, DEFAULT_PRESET, DEFAULT_SIZE, DEFAULT_STEPS_PER_FRAME, MAX_FRAMES, METRICS_STEPS,
    POLL_S, PROCESS_MIN_FRAMES, STEPS_PER_FRAME_RANGE, TRAINERS, OptionError, Plan, check_captions, check_choice,
    check_fps, check_gan, check_still, check_theme, default_view, is_still, parse_size, resolve_view, whole,
)
from ganviz.export.producer import GameProducer, LabProducer, RecordingProducer
from ganviz.export.renderer import Renderer
from ganviz.export.writers import MP4_PRESETS, FrameWriter, _absolute, check_output, open_writer
from ganviz.ui.theme import Theme

__all__ = ["Cancelled", "ExportJob", "export"]


class Cancelled(Exception):
    """The export was cancelled; nothing was written."""


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
                 preset: str = DEFAULT_PRESET, recording=None, from_step: Optional[int] = None,
                 to_step: Optional[int] = None, gan: Union[int, str, None] = None) -> None:
        # A recorded run (ganviz.engine.recording.Recording) is drawn frame for frame as it was recorded,
        # from_step to to_step, without training: its own scenario, and no schedule of frames to choose.
        self._recording, self._indices = recording, None
        if recording is not None:
            scenario = recording.scenario
            for name, value in (("frames", frames), ("until_step", until_step), ("metrics_every", metrics_every)):
                if value is not None:
                    raise OptionError(name, "a recorded run is drawn frame for frame as recorded; choose its "
                                            "stretch with from_step and to_step")
            self._indices = recording.between(from_step, to_step)
            if not self._indices:
                steps = recording.steps
                raise OptionError("from_step", f"no recorded frame between step {from_step or 0:,} and "
                                               f"{'the end' if to_step is None else f'step {to_step:,}'} (the "
                                               f"recording spans steps {steps[0]:,} to {steps[-1]:,})")
            # frame i of the plan is recorded frame indices[i] (a still draws the last of them)
            until_step, steps_per_frame, metrics_every = len(self._indices) - 1, 1, 1
            if view == "game":
                raise OptionError("view", "a recorded run has no game to draw")
        elif from_step is not None or to_step is not None:
            raise OptionError("from_step", "from_step and to_step choose a stretch of a recorded run (.ganviz)")
        self.scenario = scenario.validate()
        self.out = out
        self.view = view if view is not None else default_view(scenario)
        self.still = is_still(out)
        self.svg = self.still and Path(os.fspath(out)).suffix.lower() == ".svg"
        self.size = parse_size(size)
        self.fps = check_fps(fps)
        self.captions = check_captions(captions)
        self.theme = check_theme(theme)
        self.presentation = bool(presentation)
        spf = whole("steps_per_frame", steps_per_frame, *STEPS_PER_FRAME_RANGE)
        if self.view == "game":
            self.game: Optional[GameSpec] = GameSpec.from_table(dict(scenario.game))
            self.dim = 2
            default_steps = self.game.steps
            # A lab scenario's name would mislabel a game; empty, the caption shows the game's name.
            named = scenario.view == "game" and scenario.name != "untitled"
        else:
            if scenario.view == "game":
                raise OptionError("view", f"a game-lab scenario has no GAN to train, so no {self.view} view; "
                                          "leave --view out (or use --view game)")
            if scenario.view == "exercise":
                raise OptionError("view", "an exercise scenario computes one step by hand and has no picture to "
                                          "export; use ganviz run --explain or the app's Step inspector")
            self.game = None
            self.dim = scenario.dim
            default_steps = scenario.steps
            named = scenario.name != "untitled"
        self.title = title if title is not None else (scenario.name if named else "")
        self.resolved_view = resolve_view(self.view, self.dim)
        # The one GAN of a run of several that the lab view and the loss panel draw (the first unless
        # told), or None where the view draws them all.
        self.gan = check_gan(gan, scenario.panel_labels(), self.resolved_view)
        if self.gan is None and self.resolved_view not in ALL_GANS_VIEWS:
            self.gan = 0
        if self.view in ("1d", "2d") and int(self.view[0]) != self.dim:
            raise OptionError("view", f"the {self.view} view draws {self.view.upper()} data but this scenario's "
                                      f"data is {self.dim}D; choose lab (or {self.dim}d)")
        if metrics_every is None:
            metrics_every = 1 if self.dim == 1 else max(1, round(METRICS_STEPS / spf))
        metrics_every = whole("metrics_every", metrics_every, 1, MAX_FRAMES)
        self.plan = Plan.make(frames, until_step, spf, default_steps, metrics_every)
        self.preset = check_choice("preset", preset, MP4_PRESETS)
        check_choice("trainer", trainer, TRAINERS)
        # A still or a short clip would wait longer for a process to start than it gains.
        self.trainer = trainer if trainer != "auto" else \
            "process" if not self.still and self.plan.frames >= PROCESS_MIN_FRAMES else "thread"
        if self.still and frames is not None and frames != 1:
            raise OptionError("frames", f"a {Path(os.fspath(out)).suffix} file holds one still, so frames must be 1 "
                                        f"(got {frames}); give a folder path for numbered PNG frames")
        # The output is checked before anything is built or trained.
        if self.still:
            check_still(out)
        else:
            check_output(out, size=self.size)

        self.frames_done = 0
        self._seconds = {"wait": 0.0, "draw": 0.0, "grab": 0.0}
        self.renderer: Optional[Renderer] = None
        self._producer: Union[LabProducer, GameProducer, RecordingProducer, None] = None
        self._encoder: Optional[Encoder] = None
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
            # Training first: a child process may then still be forked (see producer.process_context),
            # and it trains while the widgets are built.
            if self._recording is not None:
                self._producer = RecordingProducer(self._recording, self._indices, self.still)
            elif self.game is not None:
                self._producer = GameProducer(self.plan, self.still)
            else:
                several = len(self.scenario.panel_settings()) > 1
                self._producer = LabProducer(self.scenario, self.plan, self.still, self.trainer == "process",
                                             gan=self.gan if several else None)
            self._producer.start()
            self.renderer = Renderer(self.view, self.size, dim=self.dim, theme=self.theme, captions=self.captions,
                                     presentation=self.presentation, title=self.title, game=self.game,
                                     claim=claim_text(self.scenario.claims), gan=self.gan)
            sink: Union[FrameWriter, StillSink]
            sink = StillSink(_absolute(self.out)) if self.still else \
                open_writer(self.out, fps=self.fps, size=self.size, preset=self.preset)
            self._encoder = Encoder(sink)
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
           gan: Union[int, str, None] = None, progress: Optional[Callable[[int, int], None]] = None,
           cancel: Optional[Callable[[], bool]] = None) -> Path:
    """Export `scenario` to `out` (the format from its suffix, see the module notes); returns the path.

    `progress(done, total)` is called after each frame; when `cancel()` returns True the
    export stops, deletes what it wrote and raises `Cancelled`. Raises `OptionError` (a
    ValueError) for a bad option and `ExportError` for an output that cannot be written or
    a run that diverges, in both cases leaving no file behind.
    """
    job = ExportJob(scenario, out, view=view, frames=frames, until_step=until_step, fps=fps, size=size,
                    steps_per_frame=steps_per_frame, captions=captions, theme=theme, presentation=presentation,
                    metrics_every=metrics_every, title=title, trainer=trainer, preset=preset, gan=gan)
    with job:
        job.start()
        while not job.rendering_finished:
            if cancel is not None and cancel():
                job.cancel()
                raise Cancelled(f"The export to {out} was cancelled; nothing was written.")
            # A short wait, so that progress (a still trains many frames before it draws one)
            # and cancel are looked at while the worker trains.
            job.advance(POLL_S)
            if progress is not None:
                progress(job.done, job.total)
        path = None
        while path is None:
            if cancel is not None and cancel():
                job.cancel()
                raise Cancelled(f"The export to {out} was cancelled; nothing was written.")
            path = job.finish(POLL_S)
        return path
