"""Train a scenario headless and record it, frame by frame, as the app and an export show it.

The cadence is an export's: a frame every `steps_per_frame` generator steps (frame 0 before any
training), the metrics every `metrics_every` frames and on the last, so that exporting the recording
draws what `ganviz export` of the same scenario draws, without training again. A checkpoint (weights,
optimiser state, random streams) every `checkpoint_every` frames and at the end lets a run be continued
from there.
"""
from __future__ import annotations

from typing import Callable, Optional

from ganviz.core.scenario import Scenario
from ganviz.core.train import TrainingDiverged
from ganviz.engine.checkpoints import to_arrays
from ganviz.engine.lab import Lab
from ganviz.engine.recording import DEFAULT_BUDGET, Recording

CHECKPOINT_EVERY = 50       # frames


def metrics_every_for(scenario: Scenario, steps_per_frame: int, metrics_steps: int = 100) -> int:
    """An export's default: the metrics every frame in 1D, about every `metrics_steps` steps in 2D."""
    return 1 if scenario.dim == 1 else max(1, round(metrics_steps / steps_per_frame))


def record(lab: Lab, steps: int, steps_per_frame: int, metrics_every: int,
           checkpoint_every: int = CHECKPOINT_EVERY, budget: int = DEFAULT_BUDGET,
           on_frame: Optional[Callable[[Lab, int], None]] = None) -> Recording:
    """A recording of `steps` generator steps of `lab`'s scenario from its current state. Raises
    TrainingDiverged when every GAN of the set blew up; `on_frame(lab, i)` is called after frame i."""
    rec = Recording(lab.scenario, budget)
    frames = -(-steps // steps_per_frame) + 1
    for i in range(frames):
        if i:
            n = min(steps_per_frame, steps - (i - 1) * steps_per_frame)
            if not lab.train(n):
                raise TrainingDiverged(lab.message)
        if i % metrics_every == 0 or i == frames - 1:
            lab.evaluate_metrics()
        rec.add(lab.snapshot())
        if i % checkpoint_every == 0 or i == frames - 1:
            rec.add_checkpoint(lab.step_count, to_arrays(lab.trainer.state_dict()))
        if on_frame is not None:
            on_frame(lab, i)
    return rec
