"""The settings schema: every field of a GAN's model and training, defined once.

Each `Field` says a setting's type, default, bounds, unit and help text (with the
formula where one applies). The scenario loader, `Session`, the main controls,
the Compare editor and the CLI read their ranges, defaults and tooltips here,
and `validate_train` / `validate_model` check values against it where they
enter. This module is torch-free: the ui builds its controls from it.

Bounds are what the app can train in reasonable time and memory on a laptop,
not what the maths allows: k = 10^9 discriminator steps per generator step is a
valid GAN and a frozen window.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Mapping, Optional

from ganviz.core.games import GAMES, INTEGRATORS, REGULARISERS
from ganviz.core.losses import LOSSES, get_loss


class SettingsError(ValueError):
    """A setting out of range; the message names the field."""


@dataclass(frozen=True)
class Choice:
    """One option of a choice field: its id (what a scenario writes), display name and help."""

    id: str
    name: str
    help: str = ""
    reads: tuple[str, ...] = ()     # other fields this option reads (an optimizer's betas or momentum)


@dataclass(frozen=True)
class Field:
    """One setting: its type, default, closed bounds [lo, hi] (None: unbounded), unit and help.

    `off`: 0 switches the feature off (the controls show "off"). `log`: a log-scale
    control (learning rates). `exclusive_hi`: the upper bound itself is not allowed.
    `choices`: the allowed values of a str field.
    """

    name: str
    kind: type
    default: Any
    label: str
    help: str
    lo: Optional[float] = None
    hi: Optional[float] = None
    unit: str = ""
    off: bool = False
    log: bool = False
    exclusive_hi: bool = False
    exclusive_lo: bool = False
    choices: tuple[Choice, ...] = ()
    step: Optional[float] = None        # a control's natural step (None: 1 for ints)
    decimals: int = 0                   # digits a control shows for a float
    optional: bool = False              # None is allowed (it means: the default that applies)
    length: Optional[int] = None        # a list field: its exact length (None: any, at least one)

    @property
    def choice_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.choices)

    def describe_range(self) -> str:
        """The allowed values in words, as an error message states them."""
        if self.kind is bool:
            return "true or false"
        if self.kind is list:
            if self.choices:
                return "a list of " + ", ".join(self.choice_ids)
            return f"a list of {self.length} numbers in [{self.lo:g}, {self.hi:g}]"
        if self.choices:
            return "one of " + ", ".join(self.choice_ids)
        if self.kind is str:
            return "a string"
        lo = "(" if self.exclusive_lo else "["
        hi = ")" if self.exclusive_hi else "]"
        if self.kind is int:        # every digit: 2147483647, not 2.14748e+09
            return f"an integer in {lo}{int(self.lo)}, {int(self.hi)}{hi}"
        return f"a number in {lo}{self.lo:g}, {self.hi:g}{hi}"

    def check(self, value: Any, prefix: str) -> None:
        """Raise SettingsError naming `prefix.name` unless `value` is allowed."""
        def bad() -> SettingsError:
            return SettingsError(f"{prefix}.{self.name}: must be {self.describe_range()} (got {value!r})")

        if value is None and self.optional:
            return
        if self.kind is bool:
            if not isinstance(value, bool):
                raise bad()
            return
        if self.kind is list:
            if not isinstance(value, (list, tuple)) or not value or (self.length and len(value) != self.length):
                raise bad()
            for item in value:
                if self.choices:
                    if item not in self.choice_ids:
                        raise bad()
                elif not _in_range(item, self.lo, self.hi):
                    raise bad()
            return
        if self.kind is str:
            if not self.choices:
                if not isinstance(value, str):
                    raise bad()
                return
            if value not in self.choice_ids:
                raise SettingsError(f"{prefix}.{self.name}: unknown {self.name.replace('_', ' ')} {value!r}; choose one of "
                                    f"{', '.join(self.choice_ids)}")
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad()
        if self.kind is int and not isinstance(value, int):
            raise bad()
        if not math.isfinite(value):
            raise bad()
        if self.lo is not None and (value < self.lo or (self.exclusive_lo and value == self.lo)):
            raise bad()
        if self.hi is not None and (value > self.hi or (self.exclusive_hi and value == self.hi)):
            raise bad()


def _in_range(v: Any, lo: Optional[float], hi: Optional[float]) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            and (lo is None or v >= lo) and (hi is None or v <= hi))


def _choices(*items: tuple) -> tuple[Choice, ...]:
    return tuple(Choice(*item) for item in items)


K_HELP = "k: discriminator steps per generator step (Algorithm 1, Goodfellow et al. 2014)"

OPTIMIZER_CHOICES = _choices(
    ("sgd", "SGD", "theta <- theta - lr * g"),
    ("momentum", "SGD + momentum", "b <- mu * b + g;  theta <- theta - lr * b  (mu < 0: negative momentum)",
     ("momentum",)),
    ("adam", "Adam", "m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;  "
                     "theta <- theta - lr * m_hat / (sqrt(v_hat) + eps)", ("beta1", "beta2")),
    ("rmsprop", "RMSprop", "v <- 0.99 v + 0.01 g^2;  theta <- theta - lr * g / (sqrt(v) + eps)"),
)
UPDATE_CHOICES = _choices(
    ("alternating", "alternating", "D steps, then G sees the updated D"),
    ("simultaneous", "simultaneous", "D and G step from the same weights and batches (the plain gradient "
                                     "game, which may rotate)"),
)
PRIOR_CHOICES = _choices(
    ("gaussian", "gaussian", "standard Gaussian z"),
    ("uniform", "uniform", "z uniform on [-1, 1]"),
)
ACTIVATION_CHOICES = _choices(
    ("relu", "relu", "max(0, x)"),
    ("leaky_relu", "leaky_relu", "max(0.2 x, x)"),
    ("tanh", "tanh", "tanh(x)"),
)
D_KIND_CHOICES = _choices(
    ("mlp", "MLP", "a score per sample"),
    ("autoencoder", "autoencoder", "energy = mean squared reconstruction error (EBGAN)"),
)
LOSS_CHOICES = tuple(Choice(lid, loss.name, loss.g_formula) for lid, loss in LOSSES.items())

LR_BOUNDS = (1e-6, 1.0)

TRAIN_SCHEMA: tuple[Field, ...] = (
    Field("loss", str, "ns", "Loss", "The GAN loss: D's objective and G's (see the loss table)",
          choices=LOSS_CHOICES),
    Field("k", int, 1, "k (D steps)", K_HELP, 1, 50),
    Field("g_steps", int, 1, "G steps", "Generator steps per iteration, after the k discriminator steps", 1, 50),
    Field("optimizer", str, "adam", "Optimizer", "The update rule of both players", choices=OPTIMIZER_CHOICES),
    Field("lr_d", float, 1e-3, "lr D", "Discriminator learning rate (log scale)", *LR_BOUNDS, log=True),
    Field("lr_g", float, 1e-3, "lr G", "Generator learning rate (log scale)", *LR_BOUNDS, log=True),
    Field("beta1", float, 0.5, "Adam \u03b21", "Adam's first-moment decay b1 (0.5 is usual for GANs, "
          "Radford et al. 2016)", 0.0, 1.0, exclusive_hi=True, step=0.05, decimals=3),
    Field("beta2", float, 0.999, "Adam \u03b22", "Adam's second-moment decay b2 (0.9 for WGAN-GP, "
          "Gulrajani et al. 2017)", 0.0, 1.0, exclusive_hi=True, step=0.001, decimals=4),
    Field("momentum", float, 0.9, "Momentum", "mu in b <- mu b + g; negative values give negative momentum "
          "(Gidel et al. 2019)", -1.0, 1.0, exclusive_lo=True, exclusive_hi=True, step=0.05, decimals=2),
    Field("batch_size", int, 256, "Batch size", "Samples per batch, for real and fake alike", 1, 8192,
          unit="samples"),
    Field("update", str, "alternating", "Updates", "alternating: D steps, then G sees the updated D.  "
          "simultaneous: D and G step from the same weights and batches (the plain gradient game, which may "
          "rotate)", choices=UPDATE_CHOICES),
    Field("label_smoothing", float, 0.0, "Label smoothing", "One-sided label smoothing: real target 1 - s "
          "(Salimans et al. 2016)", 0.0, 0.5, exclusive_hi=True, off=True, step=0.05, decimals=2),
    Field("instance_noise", float, 0.0, "Instance noise", "Instance noise: Gaussian noise of this std added to "
          "every real and fake sample D sees (Sonderby et al. 2017; Arjovsky & Bottou 2017)", 0.0, 10.0,
          unit="std", off=True, step=0.05, decimals=3),
    Field("noise_anneal", int, 0, "Noise anneal", "Steps over which the instance noise decays linearly to 0 "
          "(off: constant noise)", 0, 1_000_000, unit="steps", off=True, step=500),
    Field("gp", float, 0.0, "Gradient penalty", "Gradient penalty: lambda E[(||grad D(x_hat)|| - 1)^2] on "
          "interpolates x_hat between real and fake (Gulrajani et al. 2017)", 0.0, 1000.0, off=True, step=1.0,
          decimals=2),
    Field("r1", float, 0.0, "R1 penalty", "R1 penalty: gamma/2 E[||grad D(x)||^2] on real data "
          "(Mescheder et al. 2018)", 0.0, 1000.0, off=True, step=0.5, decimals=2),
    Field("clip", float, 0.0, "Weight clip", "Weight clipping: every weight of D clipped to [-c, c] after each "
          "step (Arjovsky et al. 2017); off at 0", 0.0, 10.0, off=True, step=0.005, decimals=3),
    Field("unroll", int, 0, "Unroll D", "Unrolling: G's loss is taken against D after this many extra D steps, "
          "differentiated through (Metz et al. 2016)", 0, 20, unit="steps", off=True),
    Field("consensus", float, 0.0, "Consensus", "Consensus optimisation: both players also descend "
          "gamma/2 ||v||^2, the squared norm of the game's gradient field (Mescheder et al. 2017)", 0.0, 100.0,
          off=True, step=0.1, decimals=2),
    Field("minibatch_std", bool, False, "Minibatch std", "Minibatch standard deviation: D sees the batch's mean "
          "std as an extra feature, so a collapsed batch looks fake (Karras et al. 2018)"),
    Field("minibatch_disc", bool, False, "Minibatch discrimination", "Minibatch discrimination: D's last layer "
          "also reads o(x)_b = mean_j exp(-||M_b(x) - M_b(x_j)||_1) over the other samples x_j of its batch, "
          "M(x) = h(x) T, with the tensor T of model.md_kernels kernels (Salimans et al. 2016)"),
    Field("spectral_norm", bool, False, "Spectral norm", "Spectral normalisation: each layer of D divided by its "
          "largest singular value (Miyato et al. 2018)"),
    Field("margin", float, 1.0, "EBGAN margin", "EBGAN's margin m: D minimises E(x) + max(m - E(G(z)), 0), "
          "so fakes' energies are pushed up to m and no further (Zhao et al. 2017); read by the ebgan loss only",
          0.0, 100.0, exclusive_lo=True, unit="energy", step=0.1, decimals=2),
    Field("freeze_g", bool, False, "Freeze G (train D alone)", "Freeze G: train D alone against a fixed G: "
          "watch D approach D* = p_data / (p_data + p_g)"),
)

MODEL_SCHEMA: tuple[Field, ...] = (
    Field("latent_dim", int, 2, "Latent dim", "Dimension of the latent z that G maps to data space", 1, 512),
    Field("prior", str, "gaussian", "Prior", "Distribution of z: standard Gaussian or uniform on [-1, 1]",
          choices=PRIOR_CHOICES),
    Field("g_layers", int, 2, "G layers", "G: hidden layers (0: a linear map)", 0, 8),
    Field("g_width", int, 64, "G width", "G: units per hidden layer", 1, 1024, unit="units"),
    Field("d_layers", int, 2, "D layers", "D: hidden layers (0: a linear map)", 0, 8),
    Field("d_width", int, 64, "D width", "D: units per hidden layer", 1, 1024, unit="units"),
    Field("activation", str, "relu", "Activation", "Nonlinearity of the hidden layers of G and D",
          choices=ACTIVATION_CHOICES),
    Field("conditional", bool, False, "Conditional", "Conditional GAN: G and D also see the component (class) "
          "label (Mirza & Osindero 2014)"),
    Field("g_batchnorm", bool, False, "G batch norm", "Batch normalisation of G's hidden layers (PacGAN's G)"),
    Field("g_vbn", bool, False, "G virtual batch norm", "Virtual batch normalisation of G's hidden layers "
          "(Salimans et al. 2016): each sample is normalised with the statistics of a reference batch of z, "
          "drawn once at the start, combined with itself (weight 1/(R + 1)), so that no sample depends on the "
          "others of its batch"),
    Field("d_maxout", int, 0, "D maxout", "Pieces per maxout unit of D's hidden layers (0: no maxout; "
          "PacGAN: 5)", 0, 16, off=True),
    Field("pack", int, 1, "Pack", "D reads packs of this many samples (PacGAN; 1: no packing)", 1, 8),
    Field("d_kind", str, "mlp", "D kind", "mlp: D's output is a score (for the ebgan loss through softplus, an "
          "energy >= 0); autoencoder: D reconstructs its input through a bottleneck of d_code units and outputs "
          "the mean squared reconstruction error, an energy (EBGAN, Zhao et al. 2017; ebgan loss only)",
          choices=D_KIND_CHOICES),
    Field("d_code", int, 1, "D code width", "An autoencoder D's bottleneck: units between its encoder and "
          "decoder (d_layers hidden layers of d_width each)", 1, 256, unit="units"),
    Field("md_kernels", int, 0, "MD kernels", "Minibatch discrimination: kernels B of D's tensor T "
          "(last hidden width x B x 5); 0: no T (train.minibatch_disc then cannot be on)", 0, 64, off=True),
    Field("init_std", float, 0.0, "Init std", "Weights N(0, init_std^2) and biases 0 (PacGAN: 0.02); "
          "0: PyTorch's default initialisation", 0.0, 10.0, off=True, step=0.01, decimals=3),
)

# The game lab's [game] table (the bilinear game and the Dirac-GAN): the game view's controls, an
# export's game frames and `ganviz game` read these ranges.
GAME_CHOICES = tuple(Choice(gid, text.split(" (")[0].split(" V(")[0], text) for gid, text in GAMES.items())
REGULARISER_CHOICES = tuple(Choice(r.id, r.name, r.dirac) for r in REGULARISERS.values())
METHOD_CHOICES = tuple(Choice(i.id, i.short, i.name) for i in INTEGRATORS.values())
GAME_SCHEMA: tuple[Field, ...] = (
    Field("game", str, "bilinear", "Game", "The game: the bilinear game or the Dirac-GAN", choices=GAME_CHOICES),
    Field("loss", str, "ns", "Loss", "The Dirac-GAN's loss", choices=LOSS_CHOICES),
    Field("reg", str, None, "Regulariser", "The Dirac-GAN's regulariser (default: the loss's own, WGAN-GP's "
          "penalty for wgan-gp, none otherwise)", choices=REGULARISER_CHOICES, optional=True),
    Field("reg_weight", float, None, "Weight", "The regulariser's weight (default: the loss's or the "
          "regulariser's own)", 0.0, 100.0, optional=True, step=0.1, decimals=2),
    Field("methods", list, ("flow", "sim_gda", "alt_gda", "extragradient"), "Methods",
          "The integrators whose trajectories are drawn", choices=METHOD_CHOICES),
    Field("lr", float, 0.1, "Learning rate", "Learning rate η (log scale; for the flow the time between "
          "samples, t = η i)", 0.001, 2.0, log=True),
    Field("gamma", float, 1.0, "Consensus γ", "Consensus optimisation's weight γ on ∇ ½||v||²", 0.0, 10.0,
          step=0.01, decimals=2),
    Field("beta", float, -0.5, "Momentum β", "Momentum β (negative momentum: β < 0)", -0.95, 0.95, step=0.05,
          decimals=2),
    Field("k", int, 1, "k", "Discriminator (y / ψ) steps per generator (x / θ) step, for alternating steps",
          1, 10),
    Field("steps", int, 300, "Iterations", "Number of iterations per trajectory", 1, 5000),
    Field("start", list, None, "Start", "Start point [x, y] (default: the game's own)", -100.0, 100.0,
          optional=True, length=2),
)
GAME = {f.name: f for f in GAME_SCHEMA}

# The exercise model (ganviz.core.exercise): a linear-logistic D on fixed real and fake points, trained by
# plain SGD on the whole set, as pen-and-paper sheets pose a GAN step. A scenario writes it in the general
# tables: the real points as [data] points, the fake points and D in [model] (SMALL_MODEL_SCHEMA), the loss,
# optimizer, learning rates and k in [train] (EXERCISE_TRAIN_FIELDS of TRAIN_SCHEMA). The points' shapes (one
# list of numbers per point, all of one dimension, as many as theta) are checked by validate_exercise; the
# ranges of their numbers are here.
MAX_EXERCISE_POINTS = 64
MAX_EXERCISE_DIM = 8
# The losses whose D objective is the sheet's V (log D on real, log(1 - D) on fake): their G losses differ.
EXERCISE_LOSSES = tuple(lid for lid, loss in LOSSES.items() if loss.d_formula == LOSSES["minimax"].d_formula)
# The [train] fields the exercise model reads; every other one must keep its default there.
EXERCISE_TRAIN_FIELDS = ("loss", "optimizer", "lr_d", "lr_g", "k", "freeze_g")
GENERATOR_CHOICES = _choices(
    ("network", "network", "G is the network of model.g_layers and model.g_width, fed a latent z"),
    ("points", "the fake points", "G's parameters are the fake points (model.fake_points) themselves: a G step "
                                  "moves each one down the gradient of G's loss (train.freeze_g: they stay)"),
)
DISCRIMINATOR_CHOICES = _choices(
    ("network", "network", "D is the network of model.d_kind, d_layers and d_width"),
    ("linear-logistic", "linear-logistic", "D(x) = σ(Σ_j s_j θ_j x_j + b): weights θ, signs s and bias b from "
                                           "model.theta, signs and bias (the exercise model)"),
)
# The [model] keys of the exercise model, beside MODEL_SCHEMA's networks (not fields of ModelSettings: a
# network GAN has none of them).
SMALL_MODEL_SCHEMA: tuple[Field, ...] = (
    Field("generator", str, "network", "Generator", "What G is: a network, or the fake points themselves",
          choices=GENERATOR_CHOICES),
    Field("fake_points", list, None, "Fake points", f"The generated samples x~_i = G(z_i) of a G that is its "
          f"points: one list of numbers per point (as many coordinates as data.points), at most "
          f"{MAX_EXERCISE_POINTS} points", -1000.0, 1000.0, optional=True),
    Field("discriminator", str, "network", "Discriminator", "What D is: a network, or linear-logistic",
          choices=DISCRIMINATOR_CHOICES),
    Field("theta", list, None, "D's weights θ", "The linear-logistic D's initial weights θ_j, one per "
          "coordinate", -100.0, 100.0, optional=True),
    Field("signs", list, None, "D's signs", "The form of the linear-logistic D's logit u = Σ_j s_j θ_j x_j + "
          "b: s_j = 1 or -1 per coordinate (default: all 1; the sheet's θ_1 x_1 - θ_2 x_2 - 2 has s = [1, -1])",
          -1.0, 1.0, optional=True),
    Field("bias", float, 0.0, "D's bias b", "The linear-logistic D's bias b in u = Σ_j s_j θ_j x_j + b",
          -100.0, 100.0, step=0.1, decimals=3),
    Field("learn_bias", bool, False, "Learn the bias", "Whether the linear-logistic D's bias b is a parameter "
          "that D's step updates (false: fixed, as on the sheet)"),
)
SMALL_MODEL = {f.name: f for f in SMALL_MODEL_SCHEMA}
# Which of those keys need which choice: the fakes a G of points, the rest a linear-logistic D.
SMALL_MODEL_NEEDS = {"fake_points": ("generator", "points"), **{k: ("discriminator", "linear-logistic")
                                                                 for k in ("theta", "signs", "bias", "learn_bias")}}

# The [data] table: a preset, or a mixture written out. Its lists have shapes (one mean per
# component, one matrix per covariance) that core.data checks; the ranges of their numbers are here.
MAX_COMPONENTS = 64
DATA_SCHEMA: tuple[Field, ...] = (
    Field("preset", str, "ring8", "Preset", "A built-in mixture (ring8, grid25, ...); leave it out to write "
          "the mixture as means, stds or covs, and weights", optional=True),
    Field("means", list, None, "Means", f"Component means: numbers (1D) or [x, y] pairs (2D), at most "
          f"{MAX_COMPONENTS} components", -1000.0, 1000.0, optional=True),
    Field("stds", list, None, "Standard deviations", "One per component, or one for all", 1e-4, 1000.0,
          optional=True),
    Field("covs", list, None, "Covariances", "One symmetric positive definite matrix per component (instead of "
          "stds); entries", -1e6, 1e6, optional=True),
    Field("weights", list, None, "Weights", "Relative weights, normalised to sum to 1 (default: equal)", 0.0, 1e6,
          optional=True),
    Field("bounds", list, None, "Bounds", "[[lo, hi]] per dimension: the box the views and metrics cover "
          "(default: the mixture's own)", -1e4, 1e4, optional=True),
    Field("points", list, None, "Points", f"Fixed real points x_i, instead of a preset or mixture: one [x] or "
          f"[x, y] per point, at most {MAX_EXERCISE_POINTS} (read by the exercise model, view = \"exercise\")",
          -1000.0, 1000.0, optional=True),
)
DATA = {f.name: f for f in DATA_SCHEMA}

# A run's length and repetitions: a scenario's `steps` and `seed`, and the command-line options that
# set them or repeat a run (--steps of run, compare and study; --seed of run, study, export and
# measure; --seeds of compare and lessons, --runs of study). Bounds of what a laptop finishes, not of
# the maths: 10^7 generator steps take hours, and more is a typo (--steps 1e12 would run for years);
# a hundred seeds of one command are more than any lesson or study uses (--seeds 10^9 allocated 7 TiB).
# Seeds go up to 2^31 - 1, as the app's seed control does.
MAX_STEPS = 10**7
MAX_SEED = 2**31 - 1
MAX_SEEDS = 100
RUN_SCHEMA: tuple[Field, ...] = (
    Field("steps", int, 2000, "Steps", "Generator steps of a headless run", 0, MAX_STEPS, unit="steps"),
    Field("seed", int, 0, "Seed", "The seed of the data and noise batches and of the initial weights", 0,
          MAX_SEED),
    Field("seeds", int, 1, "Seeds", "Independent runs of one command, on seeds seed, seed + 1, ...", 1,
          MAX_SEEDS),
)
RUN = {f.name: f for f in RUN_SCHEMA}

TRAIN = {f.name: f for f in TRAIN_SCHEMA}
MODEL = {f.name: f for f in MODEL_SCHEMA}

# Fields that must be equal across the GANs of one lockstep set (they shape the shared loop).
SHARED_FIELDS = ("optimizer", "batch_size", "update")


@dataclass(frozen=True)
class ModelSettings:
    """The networks' layout; changing it means new networks. Fields and bounds: `MODEL_SCHEMA`.

    g_batchnorm, d_maxout and pack give PacGAN's networks (Lin et al. 2018, Table 1: G with batch
    norm, D of maxout units with 5 pieces, fed packs of 2 to 4 samples).

    g_batchnorm: batch normalisation of G's hidden layers before the activation, with a learnt scale
    and shift; always with the statistics of the batch at hand, also in evaluation (no running
    averages: a GAN toy draws thousands of samples at once). Batch norm's shift replaces the hidden
    layers' biases (as in PacGAN's code); they stay in the weights, unused, so that the layout and
    the initial weights are those of the same G without batch norm.
    d_maxout: pieces per maxout unit of D's hidden layers (2 or more; 0: `activation` instead).
    pack: D reads packs of `pack` samples (dim * pack inputs): real packs of independent real
    samples, fake packs of independent fakes. As in PacGAN's code, `batch_size` counts packs, so a D
    step sees batch_size * pack samples per side: D gets as many decisions per step as without
    packing, and each decision sees more samples.
    """

    latent_dim: int = 2
    prior: str = "gaussian"
    g_layers: int = 2
    g_width: int = 64
    d_layers: int = 2
    d_width: int = 64
    activation: str = "relu"
    conditional: bool = False
    g_batchnorm: bool = False
    g_vbn: bool = False
    d_maxout: int = 0
    pack: int = 1
    d_kind: str = "mlp"
    d_code: int = 1
    md_kernels: int = 0
    init_std: float = 0.0


@dataclass(frozen=True)
class TrainSettings:
    """Everything about how one GAN trains; every field may change mid-run. Fields: `TRAIN_SCHEMA`."""

    loss: str = "ns"
    k: int = 1
    g_steps: int = 1
    optimizer: str = "adam"
    lr_d: float = 1e-3
    lr_g: float = 1e-3
    beta1: float = 0.5
    beta2: float = 0.999
    momentum: float = 0.9
    batch_size: int = 256
    update: str = "alternating"
    label_smoothing: float = 0.0
    instance_noise: float = 0.0
    noise_anneal: int = 0
    gp: float = 0.0
    r1: float = 0.0
    clip: float = 0.0
    unroll: int = 0
    consensus: float = 0.0
    minibatch_std: bool = False
    minibatch_disc: bool = False
    spectral_norm: bool = False
    margin: float = 1.0
    freeze_g: bool = False

    @classmethod
    def for_loss(cls, loss: str, **overrides) -> "TrainSettings":
        """Settings with the loss's recommended defaults (e.g. WGAN: clipping, k = 5, RMSprop)."""
        changes, _ = switch_loss(asdict(cls()), loss, keep=())
        return cls(**{**changes, **overrides})


# G's normalisation: at most one of these model fields is on (validate_model); the controls offer them,
# and none, as one menu.
G_NORM_FIELDS = ("g_batchnorm", "g_vbn")

TRAIN_FIELDS = tuple(f.name for f in fields(TrainSettings))
MODEL_FIELDS = tuple(f.name for f in fields(ModelSettings))

# The dataclasses and the schema name the same fields, in the same order, with the same defaults.
for _cls, _schema in ((TrainSettings, TRAIN_SCHEMA), (ModelSettings, MODEL_SCHEMA)):
    assert [(f.name, f.default) for f in fields(_cls)] == [(f.name, f.default) for f in _schema], _cls


def switch_loss(current: Mapping[str, Any], loss_id: str, replaced: Optional[Mapping[str, Any]] = None,
                keep: tuple[str, ...] = SHARED_FIELDS) -> tuple[dict, dict]:
    """A switch of the train fields `current` to loss `loss_id` with its recommended settings (e.g.
    WGAN: clip, k = 5, RMSprop); the one place that says what such a switch does.

    `keep`: fields the switch leaves alone (by default those a lockstep set shares; () for one GAN).
    `replaced`: what the previous loss's recommendations replaced (field -> value before); where a
    recommendation is still in force it is given back, so that WGAN -> NS undoes what NS -> WGAN did.
    Returns (changes, replaced): the fields that change (always with "loss"), and what the new
    recommendations replace, for the next switch.
    """
    current = dict(current)
    old = LOSSES[current["loss"]].defaults if current.get("loss") in LOSSES else {}
    base = dict(current)
    for f, before in (replaced or {}).items():
        if f not in keep and current.get(f) == old.get(f):
            base[f] = before
    new = {f: v for f, v in get_loss(loss_id).defaults.items() if f not in keep}
    new_replaced = {f: base[f] for f, v in new.items() if base[f] != v}
    target = {**base, **new, "loss": loss_id}
    changes = {f: v for f, v in target.items() if f == "loss" or v != current.get(f)}
    return changes, new_replaced


def validate_game(table: Mapping[str, Any], prefix: str = "game") -> dict:
    """A [game] table checked against GAME_SCHEMA: unknown keys and values out of range raise
    SettingsError naming the key; returns a copy."""
    for key in table:
        if key not in GAME:
            raise SettingsError(f"{prefix}.{key}: unknown key; {prefix} may set {', '.join(GAME)}")
    for key, value in table.items():
        GAME[key].check(value, prefix)
    return dict(table)


def small_model(table: Mapping[str, Any], prefix: str = "model") -> dict:
    """The exercise model's keys of a [model] table (SMALL_MODEL_SCHEMA) checked and with their defaults; a key
    that needs another choice (theta without discriminator = "linear-logistic") raises SettingsError naming
    it. {} when the table asks for neither a G of points nor a linear-logistic D."""
    out = {f.name: table.get(f.name, f.default) for f in SMALL_MODEL_SCHEMA}
    for key in ("generator", "discriminator"):
        SMALL_MODEL[key].check(out[key], prefix)
    for key, (needs, value) in SMALL_MODEL_NEEDS.items():
        if key in table and out[needs] != value:
            raise SettingsError(f"{prefix}.{key}: read only when {needs} = \"{value}\"; set {prefix}.{needs} = "
                                f"\"{value}\" or leave {key} out")
    for key in ("bias", "learn_bias"):
        SMALL_MODEL[key].check(out[key], prefix)
    if out["generator"] == "network" and out["discriminator"] == "network":
        return {}
    return out


# Where each key of an exercise spec is written in a scenario, for messages.
EXERCISE_FIELDS = {"points": "data.points", "fake_points": "model.fake_points", "theta": "model.theta",
                   "signs": "model.signs", "bias": "model.bias", "learn_bias": "model.learn_bias",
                   "loss": "train.loss", "lr_d": "train.lr_d", "lr_g": "train.lr_g", "k": "train.k",
                   "freeze_g": "train.freeze_g"}


def _points_error(name: str, why: str, value: Any) -> SettingsError:
    text = repr(value)
    if len(text) > 80:
        text = text[:79] + "\u2026"
    return SettingsError(f"{name}: {why} (got {text})")


def validate_exercise(spec: Mapping[str, Any]) -> dict:
    """An exercise model's spec (keys: EXERCISE_FIELDS; a scenario's `exercise` gives it) checked, with the
    shapes its lists must have: the real and fake points one list of numbers each, all of one dimension,
    theta and signs one entry per coordinate, each sign 1 or -1. Raises SettingsError naming the scenario
    field (data.points, model.theta, train.lr_d, ...); returns a copy, signs defaulting to all 1."""
    for key in spec:
        if key not in EXERCISE_FIELDS:
            raise SettingsError(f"{key}: not a field of the exercise model; it reads {', '.join(EXERCISE_FIELDS)}")
    out = dict(spec)
    dim = None
    for key, f in (("points", DATA["points"]), ("fake_points", SMALL_MODEL["fake_points"])):
        name, pts = EXERCISE_FIELDS[key], out.get(key)
        if pts is None:
            raise SettingsError(f"{name}: the exercise model needs its {'real' if key == 'points' else 'fake'} "
                                f"points, e.g. {name.split('.')[1]} = [[1, 2], [3, 4]]")
        shape = (f"must be a list of 1 to {MAX_EXERCISE_POINTS} points, each a list of 1 to {MAX_EXERCISE_DIM} "
                 f"numbers in [{f.lo:g}, {f.hi:g}], e.g. [[1, 2], [3, 4]]")
        if (not isinstance(pts, (list, tuple)) or not 1 <= len(pts) <= MAX_EXERCISE_POINTS
                or not all(isinstance(p, (list, tuple)) and 1 <= len(p) <= MAX_EXERCISE_DIM
                           and all(_in_range(v, f.lo, f.hi) for v in p) for p in pts)):
            raise _points_error(name, shape, pts)
        dims = {len(p) for p in pts}
        if len(dims) > 1 or (dim is not None and dims != {dim}):
            raise _points_error(name, f"every point needs the same number of coordinates"
                                      f"{'' if dim is None else f' as data.points ({dim})'}", pts)
        dim = dims.pop()
        out[key] = [[float(v) for v in p] for p in pts]
    if out.get("signs") is None:
        out["signs"] = [1.0] * dim
    for key in ("theta", "signs"):
        v, name = out.get(key), EXERCISE_FIELDS[key]
        if v is None:
            raise SettingsError(f"{name}: the linear-logistic D needs its initial weights, one per coordinate of "
                                f"data.points, e.g. theta = {[0.1] * dim}")
        if not isinstance(v, (list, tuple)) or len(v) != dim:
            raise _points_error(name, f"must be a list of {dim} numbers, one per coordinate of the points", v)
        SMALL_MODEL[key].check(list(v), "model")
        if key == "signs" and any(s not in (1, -1) for s in v):
            raise _points_error(name, "each sign must be 1 or -1 (u = Σ_j s_j θ_j x_j + b)", v)
        out[key] = [float(x) for x in v]
    for key, f in (("bias", SMALL_MODEL["bias"]), ("learn_bias", SMALL_MODEL["learn_bias"]),
                   ("lr_d", TRAIN["lr_d"]), ("lr_g", TRAIN["lr_g"]), ("k", TRAIN["k"]),
                   ("freeze_g", TRAIN["freeze_g"])):
        out.setdefault(key, f.default)
        f.check(out[key], EXERCISE_FIELDS[key].split(".")[0])
    out.setdefault("loss", "minimax")
    if out["loss"] not in EXERCISE_LOSSES:
        raise SettingsError(f"train.loss: the exercise model's D ascends V = mean ln D(x_i) + mean ln(1 - "
                            f"D(x~_i)), so G's loss is one of {', '.join(EXERCISE_LOSSES)} (got {out['loss']!r})")
    out["bias"] = float(out["bias"])
    out["lr_d"], out["lr_g"] = float(out["lr_d"]), float(out["lr_g"])
    return out


def validate_train(s: TrainSettings, prefix: str = "train") -> None:
    for f in TRAIN_SCHEMA:
        f.check(getattr(s, f.name), prefix)


def validate_model(s: ModelSettings, prefix: str = "model") -> None:
    for f in MODEL_SCHEMA:
        f.check(getattr(s, f.name), prefix)
    if s.d_maxout == 1:
        raise SettingsError(f"{prefix}.d_maxout: must be 0 (no maxout) or a number of pieces in [2, 16] (got 1)")
    if s.g_batchnorm and s.g_vbn:
        raise SettingsError(f"{prefix}.g_vbn: G has either batch norm or virtual batch norm; set "
                            f"g_batchnorm = false or g_vbn = false")
    if s.d_kind == "autoencoder" and s.d_maxout:
        raise SettingsError(f"{prefix}.d_maxout: an autoencoder D has no maxout units; set d_maxout = 0 or "
                            f"d_kind = \"mlp\"")
    if s.pack > 1 and s.conditional:
        raise SettingsError(f"{prefix}.pack: packing is not supported for a conditional GAN; "
                            f"set pack = 1 or conditional = false")


def _changed(settings, fields: dict, validate, prefix: str, changes: dict):
    unknown = [k for k in changes if k not in fields]
    if unknown:
        raise SettingsError(f"{prefix}.{unknown[0]}: unknown setting; choose from {', '.join(fields)}")
    out = replace(settings, **changes)
    validate(out, prefix)
    return out


def with_changes(s: TrainSettings, prefix: str = "train", **changes) -> TrainSettings:
    """`s` with `changes`, validated: an unknown field or a value out of range raises SettingsError."""
    return _changed(s, TRAIN, validate_train, prefix, changes)


def model_with_changes(m: ModelSettings, prefix: str = "model", **changes) -> ModelSettings:
    """`m` with `changes`, validated as `with_changes` validates training settings."""
    return _changed(m, MODEL, validate_model, prefix, changes)


def check_model_train(model: ModelSettings, s: TrainSettings, where: str = "train") -> None:
    """The rules that tie one GAN's training settings to the networks' layout (SettingsError naming the
    field): minibatch discrimination needs D's tensor T, and an autoencoder D's energy is read by the
    ebgan loss only."""
    if s.minibatch_disc and not model.md_kernels:
        raise SettingsError(f"{where}.minibatch_disc: D has no minibatch-discrimination tensor T; set "
                            "model.md_kernels > 0")
    if model.d_kind == "autoencoder" and not get_loss(s.loss).is_energy:
        raise SettingsError(f"{where}.loss: an autoencoder D outputs an energy, which only the ebgan loss "
                            f"reads (got {s.loss!r}); set loss = \"ebgan\" or model.d_kind = \"mlp\"")
