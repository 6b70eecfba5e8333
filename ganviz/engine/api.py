"""What the ui may know of a training session: its commands and snapshots, without torch.

`SessionAPI` is shared by the in-process `ganviz.engine.session.Session` (a thread) and
`ganviz.engine.process.ProcessSession` (a child process, the app's default). The ui holds a
`SessionAPI`; only the process that trains imports torch.
"""
from __future__ import annotations

import dataclasses
import threading
import time
from typing import Any, Callable, Iterable, Mapping, Optional

from ganviz.core.scenario import DataSpec, Scenario
from ganviz.core.settings import SettingsError, model_with_changes, with_changes
from ganviz.engine.snapshot import Snapshot


# What the views may show beyond the fixed-z fakes, each computed only while something shows it:
# D's reading of the fakes (the loss panel), the push on each fake (2D arrows), G's manifold, D on
# the grid (the 2D heatmap, the 1D D curve), and the k-NN divergences, W1 and D vs D* (the metric
# and info panels), and the step inspector's summary of the last D and G step (core.step_summary). The
# views' owner sends the set with `SessionAPI.show`; a session starts with DEFAULT_PARTS: all but the
# step summary, which is kept only while someone asks for it.
PARTS = ("fake_d", "grad", "manifold", "d_grid", "divergences", "step_summary")
DEFAULT_PARTS = tuple(p for p in PARTS if p != "step_summary")


# The parts computed per GAN: a view that draws one GAN of a set asks for that GAN's alone (`check_only`).
# "fake" is the fixed-z fakes themselves, in every picture (not a part of PARTS), drawn per GAN too.
PER_GAN_PARTS = ("fake", "fake_d", "grad", "manifold", "d_grid")


def check_only(only: Optional[Mapping[str, int]]) -> dict[str, int]:
    """part -> the one GAN whose part is shown (the others' are not computed); {} for none."""
    out: dict[str, int] = {}
    for part, i in (only or {}).items():
        if part not in PER_GAN_PARTS:
            raise SettingsError(f"show: {part!r} is not drawn per GAN (those are: {', '.join(PER_GAN_PARTS)})")
        if isinstance(i, bool) or not isinstance(i, int) or i < 0:
            raise SettingsError(f"show: the GAN shown for {part} must be an index 0 or more, got {i!r}")
        out[part] = i
    return out


def check_parts(parts: Iterable[str]) -> frozenset:
    parts = frozenset(parts)
    unknown = parts - set(PARTS)
    if unknown:
        raise SettingsError(f"show: unknown part {', '.join(sorted(unknown))} (known: {', '.join(PARTS)})")
    return parts


class SessionAPI:
    """Commands and snapshot access shared by the in-process `Session` and the child-process
    `ProcessSession`: commands go into `self._cmds`; snapshots are read from `self._latest` under
    `self._lock`. Bad values are refused here, in the caller's thread, so that the UI can show them
    and the training loop never sees them."""

    _cmds: Any
    _lock: threading.Lock
    _latest: Optional[Snapshot]
    _published: int
    scenario: Scenario

    def send(self, name: str, *args, **kw) -> None:
        self._cmds.put((name, args, kw))

    def play(self) -> None:
        self.send("play")

    def pause(self) -> None:
        self.send("pause")

    def toggle(self) -> None:
        self.send("toggle")

    def step(self, n: int = 1) -> None:
        self.send("step", n)

    def step_d(self) -> None:
        self.send("step_d")

    def step_g(self) -> None:
        self.send("step_g")

    def reset(self) -> None:
        self.send("reset")

    def set_speed(self, steps_per_sec: Optional[float]) -> None:
        self.send("speed", steps_per_sec)

    def set_train(self, index: Optional[int] = None, **changes) -> None:
        """Validated here, so that a bad value raises in the caller (the UI shows it) and never reaches the thread."""
        base = self.scenario.panel_settings()
        new = [with_changes(s, "train", **changes) if index is None or i == index else s for i, s in enumerate(base)]
        self.scenario.check_cost(trains=new)
        self.send("train", index, **changes)

    def set_model(self, **changes) -> None:
        self.scenario.check_cost(model=model_with_changes(self.scenario.model, **changes))
        self.send("model", **changes)

    def set_data(self, spec: DataSpec | str) -> None:
        spec = DataSpec(spec) if isinstance(spec, str) else spec
        try:
            spec.mixture()
        except ValueError as e:
            raise SettingsError(str(e)) from None
        self.send("data", spec)

    def set_seed(self, seed: int) -> None:
        self.send("seed", seed)

    def set_panels(self, panels: list[dict], keep: Optional[list[Optional[int]]] = None) -> None:
        """Replace the lockstep GANs (Compare view); validated here so that errors reach the caller."""
        dataclasses.replace(self.scenario, panels=tuple(dict(p) for p in panels)).validate()
        self.send("panels", panels, keep)

    def set_view_class(self, c: int) -> None:
        self.send("view_class", c)

    def show(self, parts: Iterable[str], only: Optional[Mapping[str, int]] = None) -> None:
        """What the visible views draw (a subset of PARTS): the session computes those and no more.
        only: part -> the one GAN of the set whose part is drawn (PER_GAN_PARTS); the others' are not computed."""
        self.send("show", check_parts(parts), check_only(only))

    def restore(self, checkpoint: dict) -> None:
        """Take the run back to a checkpoint (a recording's, see ganviz.engine.recording) and pause there;
        it trains on from it with the settings chosen now."""
        self.send("restore", checkpoint)

    def load(self, scenario: Scenario) -> None:
        self.send("load", scenario.validate())

    # -- snapshots (any thread) ------------------------------------------------------
    def latest(self) -> Optional[Snapshot]:
        with self._lock:
            return self._latest

    @property
    def published(self) -> int:
        with self._lock:
            return self._published

    def wait_for(self, pred: Callable[[Snapshot], bool], timeout: float = 5.0) -> Optional[Snapshot]:
        """Block until a published snapshot satisfies pred (for tests and scripts)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            s = self.latest()
            if s is not None and pred(s):
                return s
            time.sleep(0.005)
        return None
