"""What a model and its training settings cost, estimated before anything is allocated.

Every field has its own upper bound (ganviz.core.settings), but bounds multiply: 8 layers of
1,024 units, batches of 8,192 and k = 50 are each allowed and together take minutes a step.
`check_cost` estimates the memory (weights, optimiser state, activations of one step) and the
arithmetic of one generator iteration of all the GANs of a set, and refuses a combination
beyond the budget with one sentence naming the fields to lower. The budgets are for a
2-core laptop CPU: about a second a step (66 GFLOP/s measured at H = 128 on one core) and
2 GiB.

A third budget keeps Pause and Close within 100 ms: a step can be abandoned only between its
pieces (ganviz.core.train.Trainer.step_interruptible: each D or G step's forward pass and its
backward, each unrolled step), so that the largest piece - the backward pass of one D or G
update of all the GANs at once - may take at most about 70 ms. k, g_steps and unroll add pieces,
never make one longer; the widths, the layers, the batch size, packing and the double backward of a
gradient penalty do. `python scripts/pause_latency.py` measures both on the heaviest allowed settings.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ganviz.core.settings import ModelSettings, SettingsError, TrainSettings

MAX_FLOPS_PER_STEP = 6e10        # about a second on one core at ~66 GFLOP/s
MAX_BYTES = 2 * 1024**3          # weights, optimiser state and one step's activations
MAX_FLOPS_PER_PIECE = 4.5e9      # about 70 ms on one core: the longest stretch between two yield points


@dataclass(frozen=True)
class Cost:
    flops: float                 # floating-point operations of one generator iteration, all GANs
    bytes: float                 # memory for weights, optimiser state and activations
    piece: float = 0.0           # operations of the largest uninterruptible piece of a step, all GANs

    @property
    def piece_seconds(self) -> float:
        return self.piece / 6.6e10

    @property
    def seconds(self) -> float:
        """A rough time for one generator iteration on one laptop core."""
        return self.flops / 6.6e10


def _macs(inputs: int, layers: int, width: int, outputs: int, pieces: int = 1) -> int:
    """Multiply-adds of one forward pass of an MLP (maxout: `pieces` linear maps per hidden unit)."""
    if layers == 0:
        return inputs * outputs
    return pieces * (inputs * width + (layers - 1) * width * width) + width * outputs


def estimate(model: ModelSettings, trains: Sequence[TrainSettings], dim: int, n_classes: int = 0) -> Cost:
    cond = n_classes if model.conditional else 0
    g = _macs(model.latent_dim + cond, model.g_layers, model.g_width, dim)
    d_in = dim * model.pack + cond
    if model.d_kind == "autoencoder":
        # encoder to the bottleneck and decoder back to the samples (EBGAN's D)
        d = (_macs(d_in, model.d_layers, model.d_width, model.d_code)
             + _macs(model.d_code, model.d_layers, model.d_width, dim * model.pack))
    else:
        d = _macs(d_in, model.d_layers, model.d_width, 1, max(1, model.d_maxout))
    last = model.d_width if model.d_layers else d_in
    d += last * model.md_kernels * 5          # minibatch discrimination's M = h T
    flops = 0.0
    act = 0.0
    piece = 0.0
    for t in trains:
        b = t.batch_size * model.pack
        double = 2.0 if (t.gp or t.r1 or t.consensus) else 1.0     # second derivatives
        d_step = 6.0 * 2 * b * d * double                          # forward + backward, real and fake
        g_step = 6.0 * b * (g + d) * double
        unrolled = t.unroll * 2 * d_step                           # differentiated through
        # Minibatch discrimination compares every pair of a group: b^2 L1 distances of 5 dims per kernel,
        # real and fake apart in a D step (2 b^2), fakes in a G step (b^2); forward and backward.
        md = 6.0 * b * b * model.md_kernels * 5 if t.minibatch_disc else 0.0
        flops += t.k * (d_step + 6.0 * b * g + 2 * md) + t.g_steps * (g_step + unrolled + md)
        # The backward pass of a D update (real and fake: 2b rows, twice the forward's work) or of a G update.
        piece += max(8.0 * b * d, 4.0 * b * (g + d)) * double + 2 * md
        widest = max(model.g_width, model.d_width * max(1, model.d_maxout))
        act = max(act, 4.0 * 2 * b * widest * (model.g_layers + model.d_layers + 2) * (3 + 2 * t.unroll)
                  + (4.0 * 3 * b * b * model.md_kernels if t.minibatch_disc else 0.0))
    params = (g + d) * len(trains)
    return Cost(flops=flops, bytes=4.0 * params * 4 + act * len(trains), piece=piece)


def check_cost(model: ModelSettings, trains: Sequence[TrainSettings], dim: int, n_classes: int = 0) -> Cost:
    """The cost, or SettingsError naming the fields that make it too large."""
    c = estimate(model, trains, dim, n_classes)
    fields = "model.g_width, model.d_width, model.g_layers, model.d_layers, train.batch_size, train.k, train.unroll"
    if c.bytes > MAX_BYTES:
        raise SettingsError(f"{fields}: together they need about {c.bytes / 1024**3:.1f} GiB (at most "
                            f"{MAX_BYTES / 1024**3:.0f} GiB); lower the widths, the batch size or unroll")
    if c.flops > MAX_FLOPS_PER_STEP:
        raise SettingsError(f"{fields}: together one step would take about {c.seconds:.0f} s on a laptop core "
                            f"({c.flops:.1e} operations, at most {MAX_FLOPS_PER_STEP:.0e}); lower the widths, "
                            "the batch size, k or unroll")
    if c.piece > MAX_FLOPS_PER_PIECE:
        raise SettingsError("model.g_width, model.d_width, model.g_layers, model.d_layers, model.pack, "
                            f"train.batch_size: together one D or G update would take about "
                            f"{c.piece_seconds * 1000:.0f} ms on a laptop core, and Pause must act within 100 ms "
                            f"({c.piece:.1e} operations in one piece, at most {MAX_FLOPS_PER_PIECE:.1e}); "
                            "lower the widths or the batch size")
    return c
