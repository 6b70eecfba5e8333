"""Published mode-collapse studies, rerun with ganviz's own trainer and metric.

Each `Study` follows one paper's protocol (data, networks, optimizer, batch,
iterations, number of runs, evaluation) and carries that paper's published
numbers, so that `ganviz study` can print them next to ganviz's own. The two
protocols differ, and so do their vanilla-GAN baselines: under VEEGAN's
(Srivastava et al. 2017) a GAN captures 1 of the ring's 8 modes, under PacGAN's
(Lin et al. 2018) about 6. ganviz's runs do not reproduce that gap (7.2 and 7.7
ring modes); which of the protocols' differences would is untested.

The metric is the one both papers use (`metrics.mode_coverage`): a sample is
high quality within 3 standard deviations of its nearest component mean, and a
mode is captured when it is the nearest mean of at least one high-quality
sample. The reverse KL is PacGAN's: KL between the high-quality samples'
distribution over modes and the mixture weights.
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
import torch

from ganviz.core.data import Mixture, preset
from ganviz.core.metrics import mode_coverage, reverse_kl_modes
from ganviz.core.nets import reinit_
from ganviz.core.settings import ModelSettings, SettingsError, TrainSettings
from ganviz.core.train import Trainer, TrainingDiverged, runs_per_lockstep

EVAL_SEED_OFFSET = 99991   # the evaluation samples' generator: seed + this, apart from training's stream
INIT_SEED_OFFSET = 7717    # run_one(init=...)'s generator for the re-initialised weights


@dataclass(frozen=True)
class Published:
    """One cell of a paper's table: modes captured, % high quality, reverse KL, with the paper's spread."""

    modes: float
    hq: float                          # percent
    rev_kl: Optional[float] = None
    modes_err: Optional[float] = None
    hq_err: Optional[float] = None
    rev_kl_err: Optional[float] = None


@dataclass(frozen=True)
class Arm:
    """One method of a study: settings on top of the study's, and its published numbers per dataset."""

    id: str
    label: str
    model: dict = field(default_factory=dict)
    train: dict = field(default_factory=dict)
    published: dict = field(default_factory=dict)   # dataset id -> Published


@dataclass(frozen=True)
class Study:
    id: str
    name: str
    reference: str
    protocol: str                 # what is followed, in one paragraph
    deviations: str               # where ganviz differs from the paper, and why
    datasets: dict                # dataset id (a preset) -> label in the paper's table
    model: ModelSettings
    train: TrainSettings
    steps: int                    # generator iterations
    runs: int
    spread: str                   # how the paper reports spread: "std" or "se" (standard error)
    arms: tuple
    samples: int = 2500

    def arm(self, arm_id: str) -> Arm:
        for a in self.arms:
            if a.id == arm_id:
                return a
        raise SettingsError(f"--arms: unknown arm {arm_id!r} of study {self.id}; choose from "
                            f"{', '.join(a.id for a in self.arms)}")

    def settings(self, arm: Arm) -> tuple[ModelSettings, TrainSettings]:
        return dataclasses.replace(self.model, **arm.model), dataclasses.replace(self.train, **arm.train)


def _veegan() -> Study:
    return Study(
        id="veegan",
        name="VEEGAN, Table 1 (2D ring and grid)",
        reference="Srivastava, Valkov, Russell, Gutmann, Sutton: VEEGAN: Reducing mode collapse in GANs using "
                  "implicit variational learning. NeurIPS 2017, Table 1 and Section 5.1",
        protocol="Ring of 8 Gaussians of radius 1 and std 0.01; grid of 25 at {-4,-2,0,2,4}^2 with std 0.05. "
                 "z ~ N(0, I) in R^256; G and D with two tanh hidden layers of 128; Adam with beta1 0.5, "
                 "lr 1e-4 for D and 1e-3 for G; batch 512; 25,000 iterations of one D and one G step; "
                 "2,500 generated samples per run; mean over 5 runs.",
        deviations="The paper does not spell out its GAN's loss or update order; ganviz follows the unrolled-GAN "
                   "reference code (Poole et al.) its 2D experiments build on: G minimises -L_D (the saturating "
                   "minimax loss) and D and G are updated simultaneously from one batch. Weights start from "
                   "PyTorch's default initialisation (the reference code: orthogonal with gain 1.4, biases 0). "
                   "The ring has 8 distinct modes; the reference sampler puts its 8 angles on "
                   "linspace(0, 2 pi, 8), which repeats one. Neither difference, nor TensorFlow's default "
                   "Xavier initialisation, gives the paper's GAN on the ring (1 mode, 99.3 % high quality) in "
                   "3 runs each (scripts/veegan_baseline.py). The unrolled GAN unrolls 5 D steps through "
                   "ganviz's differentiable Adam, each on a fresh batch.",
        datasets={"ring8-veegan": "2D ring", "grid25": "2D grid"},
        model=ModelSettings(latent_dim=256, g_layers=2, g_width=128, d_layers=2, d_width=128, activation="tanh"),
        train=TrainSettings(loss="minimax", optimizer="adam", lr_d=1e-4, lr_g=1e-3, beta1=0.5, beta2=0.999,
                            batch_size=512, update="simultaneous"),
        steps=25_000,
        runs=5,
        spread="none",
        arms=(
            Arm("gan", "GAN", published={"ring8-veegan": Published(1.0, 99.3), "grid25": Published(3.3, 0.5)}),
            Arm("unrolled", "Unrolled GAN (5 steps)", train={"unroll": 5},
                published={"ring8-veegan": Published(7.6, 35.6), "grid25": Published(23.6, 16.0)}),
        ),
    )


def _pacgan() -> Study:
    def pub(m, me, h, he, r, re):
        return Published(m, h, r, me, he, re)

    return Study(
        id="pacgan",
        name="PacGAN, Table 1 (2D ring and grid)",
        reference="Lin, Khetan, Fanti, Oh: PacGAN: The power of two samples in generative adversarial networks. "
                  "NeurIPS 2018, Table 1; hyperparameters from the authors' code (fjxmlzn/PacGAN)",
        protocol="Same data as VEEGAN. z ~ N(0, I) in R^2; G with four ReLU hidden layers of 400 and batch "
                 "normalisation; D with three maxout hidden layers of 200 units (5 pieces); weights N(0, 0.02^2), "
                 "biases 0; Adam with lr 1e-4 and beta1 0.8 for both; batch 100 (packs, for PacGAN); "
                 "400 epochs of 100,000 samples (400,000 iterations); 2,500 samples; 10 trials, "
                 "mean and standard error. PacGANm feeds D packs of m samples.",
        deviations="Batch normalisation uses batch statistics also when sampling (the authors' code keeps running "
                   "averages; on 2,500 samples at once the two agree closely) and normalises G's batch of "
                   "100 x m latent vectors at once (their code normalises each of the m slots of 100 apart). "
                   "beta1 0.8 is read in the usual convention (Blocks >= 0.2; older Blocks meant 1 - beta1). "
                   "The full protocol is 400,000 iterations per trial, 2 to 6 CPU-hours here (the recorded runs took "
                   "19-54 ms per iteration): the README's figures use fewer and say how many.",
        datasets={"ring8-veegan": "2D ring", "grid25": "2D grid"},
        model=ModelSettings(latent_dim=2, g_layers=4, g_width=400, d_layers=3, d_width=200, activation="relu",
                            g_batchnorm=True, d_maxout=5, init_std=0.02),
        train=TrainSettings(loss="ns", optimizer="adam", lr_d=1e-4, lr_g=1e-4, beta1=0.8, beta2=0.999,
                            batch_size=100),
        steps=400_000,
        runs=10,
        spread="se",
        arms=(
            Arm("gan", "GAN", published={"ring8-veegan": pub(6.3, 0.5, 98.2, 0.2, 0.45, 0.09),
                                         "grid25": pub(17.3, 0.8, 94.8, 0.7, 0.70, 0.07)}),
            Arm("pac2", "PacGAN2", model={"pack": 2},
                published={"ring8-veegan": pub(7.9, 0.1, 95.6, 2.0, 0.07, 0.03),
                           "grid25": pub(23.8, 0.7, 91.3, 0.8, 0.13, 0.04)}),
            Arm("pac3", "PacGAN3", model={"pack": 3},
                published={"ring8-veegan": pub(7.8, 0.1, 97.7, 0.3, 0.10, 0.02),
                           "grid25": pub(24.6, 0.4, 94.2, 0.4, 0.06, 0.02)}),
            Arm("pac4", "PacGAN4", model={"pack": 4},
                published={"ring8-veegan": pub(7.8, 0.1, 95.9, 1.4, 0.07, 0.02),
                           "grid25": pub(24.8, 0.2, 93.6, 0.6, 0.04, 0.01)}),
        ),
    )


STUDIES: dict[str, Callable[[], Study]] = {"veegan": _veegan, "pacgan": _pacgan}


def get_study(study_id: str) -> Study:
    if study_id not in STUDIES:
        raise SettingsError(f"study: unknown study {study_id!r}; choose one of {', '.join(STUDIES)}")
    return STUDIES[study_id]()


@dataclass
class RunResult:
    arm: str
    dataset: str
    seed: int
    steps: int
    modes: float
    hq: float              # fraction
    rev_kl: float
    diverged: bool
    seconds: float


CHUNK = 100    # iterations between progress reports; a diverged run counts the chunks it completed


def run_one(study: Study, arm: Arm, dataset: str, seed: int, steps: Optional[int] = None,
            device: str = "cpu", on_progress: Optional[Callable[[int], None]] = None,
            mixture: Optional[Mixture] = None, eval_mixture: Optional[Mixture] = None,
            init: Optional[str] = None, init_gain: float = 1.0) -> RunResult:
    """One run of `arm` on `dataset`: `run_many` with one seed."""
    return run_many(study, arm, dataset, [seed], steps, device, on_progress, mixture, eval_mixture, init,
                    init_gain)[0]


def run_many(study: Study, arm: Arm, dataset: str, seeds: list[int], steps: Optional[int] = None,
             device: str = "cpu", on_progress: Optional[Callable[[int], None]] = None,
             mixture: Optional[Mixture] = None, eval_mixture: Optional[Mixture] = None,
             init: Optional[str] = None, init_gain: float = 1.0) -> list[RunResult]:
    """Train independent GANs of `arm` on `dataset` under the study's protocol, one per seed, and measure each
    on the study's samples.

    The runs are trained in lockstep (`Trainer(seed=seeds)`, as many at a time as the memory budget allows):
    each has its own initial weights, batches and latent vectors, and gives the numbers it gives trained
    alone. on_progress(done): the iterations done so far, summed over the runs. A result's
    `seconds` is its lockstep's time shared equally by its runs.

    For controlled departures from the protocol (scripts/veegan_baseline.py): `mixture` trains on
    that data instead of the preset `dataset` (which then only labels the result), `eval_mixture`
    counts modes against its components instead (default: the training data), and `init`, a scheme
    of `nets.reinit_`, re-initialises G's and D's weights after construction from a generator of
    their own (seed + INIT_SEED_OFFSET), so that the batches and latent vectors stay those of the
    same seed without it.
    """
    steps = study.steps if steps is None else steps
    model, train = study.settings(arm)
    mixture = preset(dataset) if mixture is None else mixture
    eval_mixture = mixture if eval_mixture is None else eval_mixture
    per = runs_per_lockstep(model, [train], mixture.dim)
    out: list[RunResult] = []
    for lo in range(0, len(seeds), per):
        group = list(seeds[lo:lo + per])
        report = None if on_progress is None else (lambda d, base=lo * steps, k=len(group): on_progress(base + d * k))
        out += _lockstep(study, arm, dataset, group, steps, device, report, mixture, eval_mixture, init, init_gain)
    return out


def _lockstep(study, arm, dataset, seeds, steps, device, on_progress, mixture, eval_mixture, init,
              init_gain) -> list[RunResult]:
    model, train = study.settings(arm)
    t0 = time.perf_counter()
    tr = Trainer(mixture, model, train, seed=seeds, device=device)
    if init is not None:
        init_gens = [torch.Generator(device=tr.device).manual_seed(s + INIT_SEED_OFFSET) for s in seeds]
        reinit_(tr.G, init, init_gens, init_gain)
        reinit_(tr.D, init, init_gens, init_gain)
    done = 0
    try:
        while done < steps:
            n = min(CHUNK, steps - done)
            tr.step(n)
            done += n
            if on_progress:
                on_progress(done)
    except TrainingDiverged:
        pass
    seconds = (time.perf_counter() - t0) / len(seeds)
    results = []
    for r, seed in enumerate(seeds):
        run = tr.run_trainer(r)
        diverged = tr.run_diverged(r)
        # Alone, a run that diverges stops inside a chunk and reports the chunks before it.
        done_r = (run.step_count - 1) // CHUNK * CHUNK if diverged else run.step_count
        gen = torch.Generator(device=run.device)
        gen.manual_seed(seed + EVAL_SEED_OFFSET)
        with torch.no_grad():
            x = run.generate(run.sample_z(study.samples, gen))[0].cpu().numpy().astype(np.float64)
        cov = mode_coverage(x, eval_mixture)
        results.append(RunResult(arm.id, dataset, seed, done_r, float(cov.modes_captured), cov.hq_frac,
                                 reverse_kl_modes(cov.counts, eval_mixture.weights), diverged, seconds))
    return results


def summarise(values: list[float], spread: str) -> tuple[Optional[float], Optional[float]]:
    """Mean and spread (standard error for "se", standard deviation otherwise) of the finite values."""
    v = np.asarray([x for x in values if x is not None and math.isfinite(x)], dtype=np.float64)
    if v.size == 0:
        return None, None
    if v.size == 1:
        return float(v[0]), 0.0
    sd = float(v.std(ddof=1))
    return float(v.mean()), (sd / math.sqrt(v.size) if spread == "se" else sd)
