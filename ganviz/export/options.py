"""What an export is asked for, checked: the views, sizes, frame rates and the other options'
defaults and ranges, and the frame schedule they give (`Plan`).

Torch-free and Qt-free: the Export dialog (ganviz.ui.export_dialog) takes its choices and
defaults from here, and `ganviz export` its help text. A mistake a user can make raises an
`OptionError` (a ValueError) naming the option as `ganviz.export.job.export` spells it, with one
sentence saying what is wrong. The conventions (frame i, stills, metrics) are in
the package's notes (ganviz/export/__init__.py).
"""
from __future__ import annotations

import dataclasses
import importlib.util
import math
import os
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Optional, Union

import numpy as np

from ganviz.core.scenario import Scenario
from ganviz.core.settings import MAX_STEPS
from ganviz.export.writers import STILL_FORMATS, _absolute, _check_target, _create_temp, _remove_quietly
from ganviz.ui.theme import THEMES, Theme

__all__ = [
    "VIEWS", "CAPTION_FIELDS", "SIZE_PRESETS", "DEFAULT_SIZE", "DEFAULT_FPS", "DEFAULT_STEPS_PER_FRAME",
    "MIN_SIDE", "MAX_SIDE", "MAX_FRAMES", "METRICS_STEPS", "DEFAULT_PRESET", "TRAINERS", "PROCESS_MIN_FRAMES",
    "OptionError", "Plan", "parse_size", "is_still", "default_view", "resolve_view", "check_gan",
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
# The other options' ranges, for the command line and the Export dialog alike.
FPS_RANGE = (0.01, 1000.0)
STEPS_PER_FRAME_RANGE = (1, 1_000_000)
UNTIL_STEP_MAX = MAX_STEPS          # a run's own bound (ganviz.core.settings.RUN)
# Metrics cost several frames' worth of training in 2D; this many generator steps apart
# they still give the metric history the app shows (it evaluates ~4 times a second).
METRICS_STEPS = 100

# x264's speed preset for MP4. On ring8 at 720p, veryfast spends ~17 ms of CPU per frame and
# ultrafast ~8 ms, for files 1.8x as large.
DEFAULT_PRESET = "veryfast"
# Where training runs (see ganviz.export.producer); "auto" picks a process from this many frames on.
TRAINERS = ("auto", "thread", "process")
PROCESS_MIN_FRAMES = 60
# How often the export's waiting threads look up (for a stop, a cancel, a dead worker), in seconds.
POLL_S = 0.05


class OptionError(ValueError):
    """An export option out of range; `option` is its name as `export` spells it."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option
        self.detail = message


def whole(option: str, value: object, low: int, high: int = MAX_FRAMES * 1000) -> int:
    """`value`, a whole number from `low` to `high`, as an int."""
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


def check_fps(fps: object) -> float:
    try:
        value = float(fps)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = math.nan
    lo, hi = FPS_RANGE
    if isinstance(fps, bool) or not (math.isfinite(value) and lo <= value <= hi):
        raise OptionError("fps", f"must be a number from {lo:g} to {hi:g} (got {fps!r})")
    return value


def check_captions(captions: Union[bool, Collection[str], None]) -> tuple[str, ...]:
    """True (all), False or None (none), or some of `CAPTION_FIELDS` -> those fields, in their order."""
    if captions is True:
        return CAPTION_FIELDS
    if captions is False or captions is None:
        return ()
    fields = tuple(captions)
    for f in fields:
        if f not in CAPTION_FIELDS:
            raise OptionError("captions", f"unknown caption {f!r}; choose from {', '.join(CAPTION_FIELDS)}")
    return tuple(f for f in CAPTION_FIELDS if f in fields)


def check_theme(theme: Union[str, Theme]) -> Theme:
    if isinstance(theme, Theme):
        return theme
    if theme not in THEMES:
        raise OptionError("theme", f"must be one of {', '.join(THEMES)} (got {theme!r})")
    return THEMES[theme]


def check_choice(option: str, value: str, choices: Collection[str]) -> str:
    if value not in choices:
        raise OptionError(option, f"must be one of {', '.join(choices)} (got {value!r})")
    return value


def is_still(out: Union[str, os.PathLike]) -> bool:
    """True when `out` names a single picture (.png or .svg file) rather than an animation."""
    text = os.fspath(out)
    return not text.endswith(("/", os.sep)) and Path(text).suffix.lower() in STILL_FORMATS \
        and not Path(text).is_dir()


def check_still(out: Union[str, os.PathLike]) -> None:
    """Fail now, as `writers.check_output` does for animations, when the still cannot be written."""
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


# The resolved views that draw every GAN of a run of several (or none): the others draw one, `gan`.
ALL_GANS_VIEWS = ("metrics", "compare", "game")


def check_gan(gan: Union[int, str, None], labels: Sequence[str], view: str) -> Optional[int]:
    """Which GAN of the run the lab view and the loss panel draw: an index (0 for the first) or one of
    `labels` (the scenario's panel labels) -> its index; None -> None (the first). `view` is resolved."""
    if gan is None:
        return None
    if view in ALL_GANS_VIEWS:
        what = "a game has no GAN to choose" if view == "game" else f"the {view} view draws every GAN"
        raise OptionError("gan", f"{what}; gan chooses the GAN that the lab view and the loss panel draw")
    names = ", ".join(repr(label) for label in labels)
    if isinstance(gan, str):
        found = [i for i, label in enumerate(labels) if label == gan]
        if not found:
            found = [i for i, label in enumerate(labels) if label.casefold() == gan.strip().casefold()]
        if len(found) == 1:
            return found[0]
        if found:
            nth = " and the ".join(_ordinal(i + 1) for i in found)
            raise OptionError("gan", f"{gan!r} labels more than one GAN (the {nth}); choose one by its position")
        raise OptionError("gan", f"no GAN is labelled {gan!r}; this run's GANs are {names}")
    if isinstance(gan, bool) or not isinstance(gan, (int, np.integer)) or not 0 <= gan < len(labels):
        raise OptionError("gan", f"must be a GAN's label or its index from 0 to {len(labels) - 1} (this run's "
                                 f"GANs are {names}; got {gan!r})")
    return int(gan)


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


@dataclasses.dataclass(frozen=True)
class Plan:
    """Which training steps come before each frame (see the package's notes, ganviz/export/__init__.py)."""

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
            n = whole("frames", frames, 1, MAX_FRAMES)
            return cls(n, steps_per_frame, (n - 1) * steps_per_frame, metrics_every)
        last = default_steps if until_step is None else whole("until_step", until_step, 0, UNTIL_STEP_MAX)
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
