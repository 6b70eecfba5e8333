"""`ganviz export`: render a scenario headless to MP4, GIF, numbered PNG frames or a PNG/SVG still.

    ganviz export ring8 -o ring8.mp4
    ganviz export goodfellow-fig1 -o fig1.gif --view lab+loss --frames 120 --size 960x540 --fps 20
    ganviz export ring8 -o frames/ --until-step 2000 --steps-per-frame 20 --theme dark
    ganviz export ring8 -o ring8.png --until-step 3000          (a still of step 3000)
    ganviz export run.ganviz -o clip.mp4 --from-step 1000 --to-step 2000   (from a recorded run)

The format comes from OUT's suffix (a folder path gives PNG frames). No display is
needed: without QT_QPA_PLATFORM the export runs on Qt's offscreen platform. A
progress bar shows on stderr when it is a terminal; the written path is printed on
stdout. A mistake a user can make (unknown scenario, unwritable or unsupported
output, odd MP4 size, frames < 1, a run that diverges) prints one line on stderr
and exits with status 2, leaving no file behind; Ctrl-C exits with 130, likewise.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Optional

from ganviz.cli.options import checked, parse_number
from ganviz.console import EXIT_INTERRUPTED, DeferredInterrupts, Progress, fail
from ganviz.core.settings import RUN

_POLL_S = 0.05

# The API's option names, as the command line spells them.
FLAGS = {
    "view": "--view", "frames": "--frames", "until_step": "--until-step", "fps": "--fps", "size": "--size",
    "steps_per_frame": "--steps-per-frame", "metrics_every": "--metrics-every", "theme": "--theme",
    "captions": "--captions", "preset": "--preset", "from_step": "--from-step", "to_step": "--to-step",
    "gan": "--gan",
}


def _help_values() -> dict[str, str]:
    from ganviz.export import options as R

    return {
        "fps": f"{R.DEFAULT_FPS:g}", "spf": str(R.DEFAULT_STEPS_PER_FRAME), "metrics": str(R.METRICS_STEPS),
        "size": "{}x{}".format(*R.DEFAULT_SIZE), "presets": ", ".join(R.SIZE_PRESETS),
        "views": "\n".join(f"  {k:<12} {v}" for k, v in R.VIEWS.items()),
        "preset": R.DEFAULT_PRESET,
    }


class _Help(argparse.RawDescriptionHelpFormatter):
    """Fills in the export's defaults and views only when help is shown: importing them (the
    themes load Qt) while building the parser would slow every `ganviz` command down."""

    def _expand_help(self, action: argparse.Action) -> str:
        return super()._expand_help(action).format_map(_help_values())

    def add_text(self, text: Optional[str]) -> None:
        super().add_text(text.format_map(_help_values()) if text else text)


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "export", help="render a scenario offscreen to MP4, GIF, PNG frames or a PNG/SVG still",
        description="Train a scenario and render the app's views offscreen, one frame every few training\n"
                    "steps, to OUT. The format comes from OUT's suffix: .mp4 (H.264), .gif, a folder\n"
                    "(numbered PNG frames), or .png / .svg for one still of the last frame.",
        formatter_class=_Help,
        epilog="views:\n{views}\n\nFrame 0 shows the networks before training; frame i, after i * steps-per-frame "
               "generator steps.",
    )
    p.add_argument("scenario", help="a scenario file (.toml), the name of a built-in scenario, or a recorded run "
                                    "(.ganviz, from ganviz run --save-run)")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="output path: x.mp4, x.gif, a folder such as frames/, or x.png / x.svg for a still")
    p.add_argument("--view", help="what to draw (default: the scenario's own view); see the list below")
    p.add_argument("--frames", metavar="N", help="number of frames (default: up to the scenario's steps)")
    p.add_argument("--until-step", metavar="N", help="train up to generator step N, the last frame showing it")
    p.add_argument("--fps", help="frames per second (default {fps})")
    p.add_argument("--size", help="WIDTHxHEIGHT in pixels or one of {presets} (default {size})")
    p.add_argument("--steps-per-frame", metavar="N", help="generator steps between frames (default {spf})")
    p.add_argument("--metrics-every", metavar="N",
                   help="evaluate metrics every N frames (default: every frame for 1D data, every ~{metrics} "
                        "steps for 2D)")
    p.add_argument("--gan", metavar="LABEL|N",
                   help="for a scenario of several GANs, the one the lab view and the loss panel draw: its label "
                        "(as Compare's panel titles name it) or its number, 1 for the first (default: the first)")
    p.add_argument("--theme", default="light", help="light or dark (default light)")
    p.add_argument("--preset", help="x264 speed preset for MP4, ultrafast ... veryslow (default {preset}); "
                                    "ultrafast encodes about twice as fast for files about twice as large")
    p.add_argument("--captions", action=argparse.BooleanOptionalAction, default=True,
                   help="burn in a caption bar: title, loss, k and step (default: on)")
    p.add_argument("--title", help="caption title (default: the scenario's name)")
    p.add_argument("--presentation", action="store_true", help="the app's presentation mode: larger text and lines")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a setting, e.g. --set train.k=5 --set model.g_width=64")
    p.add_argument("--seed", metavar="N", type=checked(RUN["seed"]), help="random seed (default: the scenario's)")
    p.add_argument("--device", help="auto, cpu, cuda or mps (default: the scenario's)")
    p.add_argument("--from-step", metavar="A", help="for a recorded run (RUN.ganviz): its first frame at or after "
                                                    "step A (default: its start)")
    p.add_argument("--to-step", metavar="B", help="for a recorded run: its last frame at or before step B "
                                                  "(default: its end)")
    p.set_defaults(func=cmd_export)
    return p


class UsageError(ValueError):
    pass


# The frame options are read here and checked by ganviz.export.options (the export's ranges, one home).
def _whole(flag: str, text: Optional[str]) -> Optional[int]:
    if text is None:
        return None
    value = parse_number(text, int)
    if value is None:
        raise UsageError(f"{flag}: expected a whole number (got {text!r})")
    return value


def _number(flag: str, text: str) -> float:
    value = parse_number(text, float)
    if value is None:
        raise UsageError(f"{flag}: expected a number (got {text!r})")
    return value


def _gan(text: str, labels: list[str]) -> "int | str":
    """--gan: a label, or a number counted from 1 (a label that reads as a number wins)."""
    if text in labels or text.strip().casefold() in (label.casefold() for label in labels):
        return text
    number = parse_number(text, int)
    if number is None:
        return text              # the export names the labels there are
    if not 1 <= number <= len(labels):
        listed = ", ".join(f"{i + 1} {label!r}" for i, label in enumerate(labels))
        raise UsageError(f"--gan: this run has {len(labels)} GAN{'s' if len(labels) > 1 else ''} ({listed}); "
                         f"got {number}")
    return number - 1


def _message(error: BaseException) -> str:
    from ganviz.export.options import OptionError

    if isinstance(error, OptionError) and error.option in FLAGS:
        return f"{FLAGS[error.option]}: {error.detail}"
    return str(error)


def cmd_export(args: argparse.Namespace) -> int:
    # Before the first Qt call: an export needs no display (and with one, offscreen keeps the DPI,
    # and so the frames, the same as on a headless machine).
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from ganviz.cli.run import load_scenario
    from ganviz.core import scenario as S

    try:
        frames = _whole("--frames", args.frames)
        until_step = _whole("--until-step", args.until_step)
        if frames is not None and until_step is not None:
            raise UsageError("--frames and --until-step: give one or the other, not both")
        options: dict = {}
        if args.steps_per_frame is not None:
            options["steps_per_frame"] = _whole("--steps-per-frame", args.steps_per_frame)
        if args.fps is not None:
            options["fps"] = _number("--fps", args.fps)
        if args.preset is not None:
            options["preset"] = args.preset
        metrics_every = _whole("--metrics-every", args.metrics_every)
        from_step, to_step = _whole("--from-step", args.from_step), _whole("--to-step", args.to_step)
        recording = None
        if str(args.scenario).lower().endswith(".ganviz"):
            from ganviz.engine.recording import Recording, RunFileError

            for flag, value in (("--set", args.set), ("--seed", args.seed), ("--device", args.device),
                                ("--steps-per-frame", args.steps_per_frame)):
                if value:
                    raise UsageError(f"{flag}: a recorded run is drawn as it was recorded; {flag} applies to "
                                     "a scenario that is trained")
            try:
                recording = Recording.load(args.scenario)
            except RunFileError as e:
                raise UsageError(str(e)) from None
            sc = recording.scenario
        else:
            if from_step is not None or to_step is not None:
                raise UsageError("--from-step and --to-step: they choose a stretch of a recorded run (RUN.ganviz, "
                                 "from ganviz run --save-run)")
            sc = load_scenario(args)
    except (UsageError, S.ScenarioError) as e:
        return fail(str(e), "export")

    from ganviz.export.job import ExportJob
    from ganviz.export.options import parse_size
    from ganviz.export.writers import ExportError

    try:
        if args.size is not None:
            options["size"] = parse_size(args.size)
        if recording is not None:
            options.update(recording=recording, from_step=from_step, to_step=to_step)
        if args.gan is not None:
            options["gan"] = _gan(args.gan, sc.panel_labels())
        job = ExportJob(sc, args.output, view=args.view, frames=frames, until_step=until_step,
                        captions=args.captions, theme=args.theme, presentation=args.presentation,
                        metrics_every=metrics_every, title=args.title, **options)
    except (ValueError, ExportError) as e:  # OptionError and ScenarioError are ValueErrors
        return fail(_message(e), "export")

    progress = Progress(job.total)
    signals = DeferredInterrupts()
    try:
        with signals:
            job.start()
            while not job.rendering_finished:
                signals.check()
                job.advance(_POLL_S)
                progress.update(job.done)
            path = None
            while path is None:
                signals.check()
                path = job.finish(_POLL_S)
    except (ValueError, ExportError) as e:
        progress.close()
        return fail(_message(e), "export")
    except KeyboardInterrupt:
        job.cancel()
        progress.close()
        print("ganviz export: interrupted; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        # Closes the offscreen widgets: a live plot widget would crash the interpreter's exit.
        job.cancel()
    progress.close()
    width, height = job.size
    what = "still" if job.still else f"{job.frames_done} frames at {job.achieved_fps:g} frames/s"
    print(f"{path}: {what}, {width}x{height}, view {job.resolved_view}")
    return 0
