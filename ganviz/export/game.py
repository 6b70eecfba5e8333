"""Game scenarios in an export: the [game] table, checked (`GameSpec`), and the driver that sets
the app's GameView to it and shows the trajectories' first n iterations for frame after frame.

The game needs no training: frame i shows i * steps_per_frame iterations of every method
(ganviz.export.producer's `GameProducer` hands out those counts). The driver uses GameView's
public API only.
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Optional

from ganviz.core.scenario import ScenarioError, validate_game
from ganviz.export.options import OptionError

if TYPE_CHECKING:  # the view module (pyqtgraph) loads when a renderer builds it, after the QApplication
    from ganviz.ui.game_view import GameView

__all__ = ["GameSpec", "GameDriver"]


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

    def table(self) -> dict:
        """The spec as a [game] table, without the entries left to the game's defaults."""
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


class GameDriver:
    """Sets a GameView to a `GameSpec` and shows the trajectories' first n iterations on demand.

    GameView animates on a timer with a time budget per tick; an export needs the same
    picture for the same n, so the animation is stopped and the view shown n iterations.
    """

    def __init__(self, view: "GameView", spec: GameSpec) -> None:
        self.view = view
        view.set_controls_visible(False)  # the controls are the app's, not the lecture's
        view.set_static(True)
        view.load_game(spec.table())
        view.stop_animation()
        self.steps = int(view.params()["steps"])
        self.shown = 0

    def show(self, n: int) -> None:
        self.shown = self.view.advance_to(min(n, self.steps))

    def title(self) -> str:
        return self.view.game().name

    def captions(self) -> dict[str, str]:
        loss = getattr(self.view.game(), "loss", None)
        return {
            "loss": f"loss: {loss.name}" if loss is not None else "",
            "k": f"k = {self.view.params()['k']}",
            "step": f"iteration {self.shown:,}",
        }
