"""Immutable numpy snapshots: what the training thread publishes and the views draw.

No torch here: the UI imports this module. Every array is a private, read-only
copy, so a snapshot never changes after it is published.

Shapes use M for the number of GANs trained in lockstep (1 in the main lab,
up to 8 in the Compare view), n for the number of fixed-z samples shown, d for
the data dimension (1 or 2), K for the mixture's components and T for the
length of the metric history.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

import numpy as np

from ganviz.core.metric_info import HISTORY_KEYS, SLOW_KEYS

# Names of the scalar metrics recorded each evaluation (keys of `history` and `latest`): every metric
# of the registry, the standard errors of the estimated ones (KEY + "_se") and the lower-bound flag.
METRIC_KEYS = HISTORY_KEYS


def frozen(a, dtype=np.float32) -> np.ndarray:
    """A private read-only copy (a torch tensor's .numpy() shares memory with it)."""
    out = np.array(a, dtype=dtype, copy=True)
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class Snapshot:
    step: int                      # generator iterations done
    dim: int                       # 1 or 2
    loss_ids: tuple                # (M,) loss id of each GAN
    labels: tuple                  # (M,) short label of each GAN (for legends and panel titles)

    # Evaluation grid. 1D: grid_x (G,), grid_y None. 2D: grid_x (Gx,), grid_y (Gy,), images indexed [iy, ix].
    grid_x: np.ndarray
    grid_y: Optional[np.ndarray]
    p_data: np.ndarray             # exact p_data on the grid: (G,) or (Gy, Gx)
    p_g: np.ndarray                # estimated p_g: (M, G) or (M, Gy, Gx)
    d_grid: np.ndarray             # D on the grid in display units (probability where the loss has one): (M, ...)
    d_star: Optional[np.ndarray]   # optimal D on the grid in the same units, or None (WGAN critics): (M, ...)
    d_is_prob: tuple               # (M,) bool: d_grid is a probability in [0, 1]

    real: np.ndarray               # (n, d) data samples (a fixed set, redrawn only on data change)
    real_labels: np.ndarray        # (n,) component index of each real sample
    fake: np.ndarray               # (M, n, d) G(z) for the fixed latent vectors
    fake_labels: Optional[np.ndarray]  # (n,) class fed to a conditional G, else None
    fake_grad: np.ndarray          # (M, n, d) -dL_G/dx at each fake: the direction G's loss pushes it
    fake_d: np.ndarray             # (M, n) D(G(z)) in display units for the fixed z (loss-shape panel)
    z: np.ndarray                  # (n, z_dim) the fixed latent vectors
    manifold: Optional[np.ndarray]  # (M, R, C, d): G applied to a regular grid over the first two z axes

    means: np.ndarray              # (K, d) component means
    mode_counts: np.ndarray        # (M, K) high-quality samples per mode
    latest: Mapping[str, np.ndarray]   # metric -> (M,) latest value (NaN where not defined)
    history_steps: np.ndarray      # (T,)
    history: Mapping[str, np.ndarray]  # metric -> (M, T), or (M, S) for the slow metrics (see slow_steps)

    diverged: np.ndarray           # (M,) bool
    message: str = ""              # one sentence for the status bar ("" when all is well)
    running: bool = False
    steps_per_sec: float = 0.0
    device: str = "cpu"
    extra: Mapping[str, object] = field(default_factory=dict)
    # Per GAN, metric -> why its latest value is a bound, exact or missing ("inf: p_g has bounded support").
    notes: tuple = ()
    w1_floor: float = float("nan")
    d_star_labels: tuple = ()      # (M,) what d_star is, as a legend names it ("" where there is none)
    # (S,) the steps of the slow metrics' history (metric_info.SLOW_KEYS: the k-NN divergences, W1,
    # D vs D*), evaluated less often than the rest; None: the same steps as history_steps.
    slow_steps: Optional[np.ndarray] = None
    # (M,) int: the step each GAN's D on the grid was evaluated at. D on the grid is the costly part of a
    # picture and may be reused for a few steps; a view that draws one GAN of a set has it computed for
    # that GAN alone, and the others keep theirs (-1: none yet). Views say so where it lags `step`.
    d_grid_steps: Optional[np.ndarray] = None
    # The last reading of D on the grid took every n-th point of each axis and interpolated bilinearly between
    # (1: every point). Compare's panels of three or more GANs are small: they get D on a coarser grid.
    d_grid_stride: int = 1
    # (M,) int each, likewise: the step of each GAN's fake, fake_grad, fake_d and manifold (a part no view
    # shows is not computed and keeps the step it was last computed at; the Lab's view of one GAN of a set
    # has the fakes of that GAN alone computed).
    fake_steps: Optional[np.ndarray] = None
    fake_grad_steps: Optional[np.ndarray] = None
    fake_d_steps: Optional[np.ndarray] = None
    manifold_steps: Optional[np.ndarray] = None
    # The step of the latest metric evaluation (p_g, D*, mode counts, `latest`): they come at a rate
    # of their own, behind the pictures (-1: unknown).
    metrics_step: int = -1
    # The step inspector's summary of each GAN's last D step and last G step (core.step_summary; JSON-able
    # dicts, {"D": ..., "G": ...} per GAN), carried only while the inspector shows it (the "step_summary"
    # part of engine.api.PARTS); () otherwise.
    step_summary: tuple = ()
    # Which run of the session this picture shows: a new number each time the session is told to replace
    # its run (Reset, a new seed, Load, Continue from here), whether or not that works out. A picture the
    # session drew just before such a command reaches the window after it: the window drops the pictures
    # with the number it had when it sent one (ui.rewind). Not recorded: a recorded frame reads 0.
    timeline: int = 0

    def steps_of(self, key: str) -> np.ndarray:
        """The steps at which metric `key`'s history was recorded."""
        return self.slow_steps if self.slow_steps is not None and key in SLOW_KEYS else self.history_steps  # what W1 (sliced in 2D) reads for a perfect G at the same sample size

    def step_of(self, name: str, i: int) -> int:
        """The step GAN i's `name` (d_grid, fake, fake_grad, fake_d, manifold) was computed at (-1: unknown)."""
        steps = getattr(self, name + "_steps")
        return -1 if steps is None or not 0 <= i < len(steps) else int(steps[i])

    def never_computed(self, name: str, i: int) -> bool:
        """Whether GAN i's `name` was never computed in this run (the view of one GAN of a set drew another
        GAN since the run began): its rows hold zeros, not a picture. False where the snapshot does not say
        (no `name`_steps: an older recording, whose parts are all computed)."""
        return getattr(self, name + "_steps") is not None and self.step_of(name, i) < 0

    @property
    def n_gans(self) -> int:
        return len(self.loss_ids)


def refreeze(snap: Snapshot) -> Snapshot:
    """Mark the arrays of a snapshot that came through pickle (from a child process) read-only again."""
    for f in snap.__dataclass_fields__:
        v = getattr(snap, f)
        if isinstance(v, np.ndarray):
            v.setflags(write=False)
        elif isinstance(v, dict):
            for a in v.values():
                if isinstance(a, np.ndarray):
                    a.setflags(write=False)
    return snap
