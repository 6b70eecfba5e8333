"""The training step: M GANs in lockstep, every switch (loss, k, regularisers, ...) live.

One `Trainer` holds M generator/discriminator pairs as batched networks. Each GAN
has its own `TrainSettings` (loss, k, learning rates, regularisers ...), all of
which can change between steps without touching the weights. The networks'
layout (`ModelSettings`) is fixed for the life of a trainer.

Data batches and latent vectors come from one seeded torch.Generator on the
training device, in an order that does not depend on the settings: the same
scenario and seed give the same numbers, and a GAN trained in lockstep with
others sees exactly the batches it would see alone. Instance noise and the
gradient penalty's interpolation weights come from a second generator, drawn
only while some GAN of the set uses them, so that they cost nothing otherwise
and never shift the data stream.

Independent runs in lockstep: `seed` may be a list of R seeds. The trainer then holds R runs of the
given GANs (GAN r * M0 + i is GAN i of run r, M0 = len(settings)), each with the initial weights,
batches, latent vectors and noise of its own seed: a generator and a noise generator per run, each
drawn in the order above, so that run r in lockstep sees exactly what a trainer with seed[r] alone
would see (the draws are a loop over the runs; the networks' arithmetic is batched). The GANs of one
run share that run's batches, as above. A run whose GANs have all diverged stops there (`run_trainer`
holds it as it was), as the run alone would have stopped; the others go on.

Per-GAN costs stay per GAN: a gradient penalty, R1 (each a double backward) and unrolled D steps are
computed on the rows of the GANs that use them only (`BatchedMLP.rows`), and the others take the
hand-written backward as if no GAN of the set used them.

Why one long module: the Trainer's four D-update paths (hand-written backward, autograd,
joint simultaneous steps, unrolled) share one RNG order, one stats record and one set of
per-GAN masks; the order of draws is what makes a run reproducible and a GAN in lockstep see
the batches it would see alone, and it is easiest to keep right where the paths sit side by
side. The settings it reads are `ganviz.core.settings`'.
"""
from __future__ import annotations

import copy
import math
from dataclasses import replace
from typing import Callable, Optional, Sequence

import numpy as np
import torch

from ganviz.core.data import Mixture
from ganviz.core.loss_fns import torch_loss
from ganviz.core.losses import get_loss
from ganviz.core.nets import BatchedMLP, Layout
from ganviz.core.optim import FlatOptimizer
from ganviz.core.sampling import torch_sampler
from ganviz.core.settings import (SHARED_FIELDS, ModelSettings, SettingsError, TrainSettings, check_model_train,
                                  validate_model, validate_train)
from ganviz.core.step_summary import param_blocks, player_summary

Tensor = torch.Tensor

class TrainingDiverged(RuntimeError):
    """Every GAN of the set produced a non-finite loss or gradient."""


def runs_per_lockstep(model: ModelSettings, settings: Sequence[TrainSettings], dim: int, n_classes: int = 0) -> int:
    """How many independent runs of these GANs one lockstep trainer may hold within the memory budget
    (`budget.MAX_BYTES`): more runs are trained in several locksteps, one after the other."""
    from ganviz.core.budget import MAX_BYTES, estimate

    return max(1, int(MAX_BYTES // max(1.0, estimate(model, list(settings), dim, n_classes).bytes)))


def resolve_device(name: str = "auto") -> torch.device:
    """'auto' picks cuda, then mps, then cpu; an explicit choice is honoured (or refused clearly)."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name not in ("cpu", "cuda", "mps") and not name.startswith("cuda:"):
        raise SettingsError(f"device: must be auto, cpu, cuda or mps (got {name!r})")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise SettingsError("device: cuda was asked for but no CUDA GPU is available")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise SettingsError("device: mps was asked for but Apple's Metal backend is not available")
    return torch.device(name)


class Interrupted(Exception):
    """Raised at a yield point to abandon the step in progress (see Trainer.step_interruptible)."""


class StepStats:
    """The last step's losses, gradients and D outputs, reduced only when someone reads them."""

    def __init__(self, m: int, device: torch.device):
        zero = torch.zeros(m, device=device)
        self._d_loss = self._g_loss = zero
        self._gd = self._gg = zero.view(m, 1)
        self._r = self._f = zero.view(m, 1)

    def record_d(self, loss: Tensor, grad: Tensor, real: Tensor, fake: Tensor) -> None:
        self._d_loss, self._gd, self._r, self._f = loss.detach(), grad, real.detach(), fake.detach()

    def record_g(self, loss: Tensor, grad: Tensor) -> None:
        self._g_loss, self._gg = loss.detach(), grad

    # The step inspector's per-GAN record of the last D and G step (Trainer.inspect): a dict of (M, ...)
    # tensors and a list of where each GAN's step sat, replaced (never changed in place), so that a
    # rolled-back step's copy of the stats keeps the summary of the last completed step.
    summary_d: Optional[tuple] = None
    summary_g: Optional[tuple] = None

    d_loss = property(lambda self: self._d_loss)
    g_loss = property(lambda self: self._g_loss)
    grad_norm_d = property(lambda self: self._gd.norm(dim=1))
    grad_norm_g = property(lambda self: self._gg.norm(dim=1))
    d_real = property(lambda self: self._r.mean(1))   # mean raw D output on the last real batch
    d_fake = property(lambda self: self._f.mean(1))


class Rows:
    """Some of the GANs of a set (those that use a penalty, or unrolling): their indices and loss groups.

    idx is None when they are all of them, so that the common case indexes nothing.
    """

    def __init__(self, idx: Sequence[int], losses: Sequence[str], device: torch.device,
                 md_on: Sequence[bool] = ()):
        self.n = len(idx)
        self.idx = None if list(idx) == list(range(len(losses))) else torch.tensor(list(idx), device=device)
        self.loss_groups, self.loss_order = _loss_groups([losses[i] for i in idx], device)
        # Which of these rows have minibatch discrimination (md_on: per GAN of the set), so that its
        # O(N^2) features cost only them: None when all do, empty when none does.
        on = [r for r, i in enumerate(idx) if i < len(md_on) and md_on[i]]
        self.md_pos = None if len(on) == self.n else torch.tensor(on, dtype=torch.long, device=device)

    def take(self, t):
        """These GANs' rows of a per-GAN tensor (M, ...); None stays None."""
        return t if t is None or self.idx is None else t.index_select(0, self.idx)

    def spread(self, part: Tensor, m: int) -> Tensor:
        """(M,) with these GANs' values `part` and 0 elsewhere (differentiable in part)."""
        return part if self.idx is None else part.new_zeros(m).index_add(0, self.idx, part)

    def put(self, full: Tensor, part: Tensor) -> Tensor:
        """`full` (M, ...) with these GANs' rows replaced by `part` (out of place; differentiable in part)."""
        return part if self.idx is None else full.index_copy(0, self.idx, part)


def _loss_groups(losses: Sequence[str], device: torch.device):
    """GANs grouped by loss, one loss call per distinct loss: [(loss, rows or None)], and the order that
    puts the groups' concatenated results back in GAN order (None for a single group)."""
    groups: dict[str, list[int]] = {}
    for i, lid in enumerate(losses):
        groups.setdefault(lid, []).append(i)
    if len(groups) == 1:
        return [(torch_loss(losses[0]), None)], None
    order = [i for idx in groups.values() for i in idx]
    return ([(torch_loss(lid), torch.tensor(idx, device=device)) for lid, idx in groups.items()],
            torch.tensor(np.argsort(order), device=device))


class Trainer:
    def __init__(self, mixture: Mixture, model: ModelSettings = ModelSettings(),
                 settings: Sequence[TrainSettings] | TrainSettings = TrainSettings(),
                 seed: int | Sequence[int] = 0, device: str | torch.device = "cpu", shared_init: bool = True):
        """settings: one per GAN; seed: one seed, or one per independent run of those GANs (see above)."""
        if isinstance(settings, TrainSettings):
            settings = [settings]
        settings = list(settings)
        if not settings:
            raise SettingsError("at least one GAN is needed")
        validate_model(model)
        for i, s in enumerate(settings):
            validate_train(s, "train" if len(settings) == 1 else f"panels[{i}]")
        self.device = device if isinstance(device, torch.device) else resolve_device(device)
        self.seeds = [int(seed)] if isinstance(seed, (int, np.integer)) else [int(s) for s in seed]
        if not self.seeds:
            raise SettingsError("seed: at least one seed is needed")
        self.runs = len(self.seeds)
        self.per_run = len(settings)
        settings = settings * self.runs
        self.m = len(settings)
        self.model = model
        self.seed = self.seeds[0]
        self.shared_init = shared_init
        self.gens = [self._generator(s) for s in self.seeds]
        self.noise_gens = [self._generator(s + 104729) for s in self.seeds]
        self.gen, self.noise_gen = self.gens[0], self.noise_gens[0]
        self._stopped: dict[int, "Trainer"] = {}     # run -> that run alone as it was when all its GANs diverged
        self._set_mixture(mixture)
        self.dim = mixture.dim
        n_cls = mixture.n_components if model.conditional else 0
        self.n_classes = n_cls
        self.pack = model.pack
        g_layout = Layout(model.latent_dim + n_cls, mixture.dim, model.g_width, model.g_layers,
                          batchnorm=model.g_batchnorm or model.g_vbn)
        d_in = mixture.dim * model.pack + n_cls
        md = dict(extra_last=1 + model.md_kernels, md_kernels=model.md_kernels)
        if model.d_kind == "autoencoder":
            # EBGAN's autoencoder D: d_layers of d_width, a bottleneck of d_code, d_layers of d_width, and back
            # to the samples it reads; its output is the reconstruction error, an energy.
            widths = (model.d_width,) * model.d_layers + (model.d_code,) + (model.d_width,) * model.d_layers
            d_layout = Layout(d_in, mixture.dim * model.pack, model.d_width, len(widths), widths=widths,
                              autoencoder=True, **md)
        else:
            d_layout = Layout(d_in, 1, model.d_width, model.d_layers, pieces=max(1, model.d_maxout), **md)
        init_gen = self.gen if self.runs == 1 else self.gens
        self.G = BatchedMLP(self.m, g_layout, model.activation, self.device, init_gen, shared_init,
                            init_std=model.init_std)
        self.D = BatchedMLP(self.m, d_layout, model.activation, self.device, init_gen, shared_init,
                            init_std=model.init_std)
        # Virtual batch norm's reference batch of z (and labels), drawn once from a generator of its own per run,
        # so that the data stream is that of the same G with batch norm.
        self._vbn_ref = self._vbn_reference() if model.g_vbn else None
        self._md_ref: Optional[Tensor] = None
        self.step_count = 0
        self.d_step_count = 0
        self._healthy = torch.ones(self.m, 1, dtype=torch.bool, device=self.device)
        self._all_healthy = True        # no GAN has blown up (see _finite_mask; kept by _health_changed)
        self.stats = StepStats(self.m, self.device)
        self._mbstd_real = torch.zeros(self.m, 1, 1, device=self.device)
        self.settings: list[TrainSettings] = []
        self.fast = True    # use the hand-written MLP backward where it applies (tests compare both)
        self.opt_d: Optional[FlatOptimizer] = None
        self.opt_g: Optional[FlatOptimizer] = None
        # Called between the pieces of a step (see step_interruptible); None: not interruptible.
        self.yield_point: Optional[Callable[[], None]] = None
        # Keep the step inspector's summary of each D and G step (`step_summary`): a copy of the weights
        # before each update and a few norms per parameter block. Off unless someone looks.
        self.inspect = False
        self._g_read: Optional[Tensor] = None    # D's raw outputs on the fakes G's last loss read (M, N)
        self._begin_steps(False)
        self.apply_settings(settings)

    VBN_REF = 256   # samples in virtual batch norm's reference batch

    def _vbn_reference(self) -> Tensor:
        draws = []
        for s in self.seeds:
            g = self._generator(s + 15485863)
            z = self.sample_z(self.VBN_REF, g)
            draws.append(self._with_cond(z.unsqueeze(0), self._onehot(self.sampler.labels(self.VBN_REF, g)))[0]
                         if self.n_classes else z)
        return self._per_run(draws)

    def _generator(self, seed: int) -> torch.Generator:
        g = torch.Generator(device=self.device)
        g.manual_seed(seed)
        return g

    # -- settings, live ------------------------------------------------------
    def apply_settings(self, settings: Sequence[TrainSettings]) -> None:
        """Change any training setting; the networks' weights are kept.

        A change of optimizer starts that optimizer with fresh state; all other
        changes keep the optimizer state too.
        """
        settings = list(settings)
        if len(settings) != self.m:
            raise SettingsError(f"expected settings for {self.m} GANs, got {len(settings)}")
        for i, s in enumerate(settings):
            validate_train(s, "train" if self.m == 1 else f"panels[{i}]")
        for name in SHARED_FIELDS:
            if len({getattr(s, name) for s in settings}) > 1:
                raise SettingsError(f"train.{name}: GANs trained in lockstep must share {name}")
        first = settings[0]
        if self.model.g_batchnorm and first.batch_size * self.pack < 2:
            raise SettingsError("train.batch_size: batch norm in G needs at least 2 samples per batch (got 1)")
        for i, s in enumerate(settings):
            where = "train" if self.m == 1 else f"panels[{i % self.per_run}]"
            check_model_train(self.model, s, where)
        if self.opt_d is None or self.opt_d.kind.id != first.optimizer:
            self.opt_d = FlatOptimizer(first.optimizer, self.D.flat)
            self.opt_g = FlatOptimizer(first.optimizer, self.G.flat)
        self.settings = settings
        dev = self.device

        def col(name: str, dtype=torch.float32) -> Tensor:
            return torch.tensor([float(getattr(s, name)) for s in settings], dtype=dtype, device=dev).view(-1, 1)

        def any_(name: str) -> bool:
            return any(getattr(s, name) for s in settings)

        self._hyper_d = {"lr": col("lr_d"), "beta1": col("beta1"), "beta2": col("beta2"), "momentum": col("momentum")}
        self._hyper_g = dict(self._hyper_d, lr=col("lr_g"))

        def uniform(lr: str) -> Optional[dict]:
            # Python numbers when every GAN shares them: the optimizer's fused kernel can then be used.
            vals = {k: {float(getattr(s, n)) for s in settings} for k, n in (("lr", lr), ("beta1", "beta1"),
                                                                               ("beta2", "beta2"))}
            return {k: v.pop() for k, v in vals.items()} if all(len(v) == 1 for v in vals.values()) else None

        self._hyper_d["uniform"] = uniform("lr_d")
        self._hyper_g["uniform"] = uniform("lr_g")
        self._k = [s.k for s in settings]
        self._g_steps = [0 if s.freeze_g else s.g_steps for s in settings]
        self._unroll = [s.unroll for s in settings]
        self._smooth = col("label_smoothing") if any_("label_smoothing") else 0.0
        self._gp = col("gp").view(-1) if any_("gp") else None
        self._r1 = col("r1").view(-1) if any_("r1") else None
        self._clip = col("clip") if any_("clip") else None
        self._clip_on = (self._clip > 0) if self._clip is not None else None
        self._consensus = col("consensus").view(-1) if any_("consensus") else None
        self._sn = col("spectral_norm").bool().view(-1, 1, 1) if any_("spectral_norm") else None
        # Both minibatch features read a real batch when D is evaluated on points that are no batch (a grid):
        # `_mbstd` is set when either is on (the evaluator passes `_mbstd_real` then), 0 for the GANs without
        # the std feature.
        self._md = col("minibatch_disc").view(-1, 1, 1) if any_("minibatch_disc") else None
        self._mbstd = (col("minibatch_std").view(-1, 1, 1) if any_("minibatch_std") or self._md is not None
                       else None)
        md_on = [s.minibatch_disc for s in settings]
        self._md_idx = (torch.tensor([i for i, f in enumerate(md_on) if f], device=dev)
                        if any(md_on) and not all(md_on) else None)
        self._margin = col("margin")
        # EBGAN's softplus energy head on an MLP D, for the GANs whose loss reads an energy.
        energy = [get_loss(s.loss).is_energy and self.model.d_kind == "mlp" for s in settings]
        self.D.head = torch.tensor(energy, device=dev).view(-1, 1, 1) if any(energy) else None
        self._noise = [(s.instance_noise, s.noise_anneal) for s in settings]
        self._draw_noise = any_("instance_noise") or self._gp is not None
        self.batch_size = first.batch_size
        self.joint = first.update == "simultaneous" or self._consensus is not None
        losses = [s.loss for s in settings]
        self._loss_groups, self._loss_order = _loss_groups(losses, dev)

        def rows(flags: list[bool]) -> Optional[Rows]:
            idx = [i for i, f in enumerate(flags) if f]
            return self.rows_of(idx) if idx else None

        # Penalties and unrolling are computed for the GANs that use them only (their coefficients per row).
        self._gp_rows = rows([s.gp > 0 for s in settings])
        self._r1_rows = rows([s.r1 > 0 for s in settings])
        self._unroll_rows = rows([s.unroll > 0 for s in settings])
        # The hand-written backward covers the plain MLP (with penalties added by autograd on their rows);
        # spectral norm and batch-coupled features go through autograd.
        plain = self._sn is None and self._mbstd is None
        m = self.model
        plain = plain and not (m.g_batchnorm or m.g_vbn or m.d_maxout or m.pack > 1 or m.d_kind != "mlp")
        self._fast_d = self.fast and plain
        self._fast_g = self.fast and plain
        self._fast_joint = self._fast_g and self._consensus is None
        if self._md is not None and self._md_ref is None:
            self._mbstd_real = self._mbstd_feature_real(self.batch_size)   # also draws the reference batch
        self._analytic = all(l.d_grad is not None and l.g_grad is not None for l, _ in self._loss_groups)

    def update_settings(self, index: int = 0, **changes) -> None:
        new = list(self.settings)
        new[index] = replace(new[index], **changes)
        self.apply_settings(new)

    def set_mixture(self, mixture: Mixture) -> None:
        """Change the data (same dimension and, for a conditional GAN, the same number of classes)."""
        if mixture.dim != self.dim:
            raise SettingsError(f"data: a {mixture.dim}D mixture cannot replace the {self.dim}D data of this run")
        if self.n_classes and mixture.n_components != self.n_classes:
            raise SettingsError("data: a conditional GAN needs the same number of components to keep its weights")
        self._set_mixture(mixture)

    def _set_mixture(self, mixture: Mixture) -> None:
        self.mixture = mixture
        self.sampler = torch_sampler(mixture, self.device)

    # -- sampling ------------------------------------------------------------
    def _expand(self, t: Tensor, m: Optional[int] = None) -> Tensor:
        return t.unsqueeze(0).expand(self.m if m is None else m, *t.shape)

    def _onehot(self, labels: Tensor) -> Tensor:
        return torch.nn.functional.one_hot(labels, self.n_classes).to(torch.float32)

    def _per_run(self, parts: list[Tensor]) -> Tensor:
        """One draw per run (each (N, ...)) -> (M, N, ...): run r's draw for each of its GANs."""
        x = torch.stack(parts)
        if self.per_run == 1:
            return x
        return x.unsqueeze(1).expand(self.runs, self.per_run, *x.shape[1:]).reshape(self.m, *x.shape[1:])

    def _real(self, n: int) -> tuple[Tensor, Optional[Tensor]]:
        """A real batch for every GAN: (M, n, d) and its one-hot labels ((n, C), or (M, n, C) with runs)."""
        if self.runs == 1:
            x, lab = self.sampler.sample(n, self.gen)
            return self._expand(x), (self._onehot(lab) if self.n_classes else None)
        xs, labs = zip(*[self.sampler.sample(n, g) for g in self.gens])
        return self._per_run(list(xs)), (self._onehot(self._per_run(list(labs))) if self.n_classes else None)

    def sample_z(self, n: int, gen: Optional[torch.Generator] = None) -> Tensor:
        gen = self.gen if gen is None else gen
        if self.model.prior == "uniform":
            return torch.rand(n, self.model.latent_dim, generator=gen, device=self.device) * 2 - 1
        return torch.randn(n, self.model.latent_dim, generator=gen, device=self.device)

    def _latent(self, n: int) -> tuple[Tensor, Optional[Tensor]]:
        if self.runs == 1:
            z = self._expand(self.sample_z(n))
            return z, (self._onehot(self.sampler.labels(n, self.gen)) if self.n_classes else None)
        draws = [(self.sample_z(n, g), self.sampler.labels(n, g) if self.n_classes else None) for g in self.gens]
        z = self._per_run([d[0] for d in draws])
        return z, (self._onehot(self._per_run([d[1] for d in draws])) if self.n_classes else None)

    def _with_cond(self, x: Tensor, cond: Optional[Tensor]) -> Tensor:
        if not self.n_classes:
            return x
        if cond is None:
            raise ValueError("a conditional GAN needs class labels")
        if cond.dim() == 2:
            cond = self._expand(cond, x.shape[0])
        return torch.cat([x, cond], dim=2)

    def generate(self, z: Tensor, cond: Optional[Tensor] = None, flat: Optional[Tensor] = None,
                 norm_ref: int | None = None, rows: Optional[Rows] = None) -> Tensor:
        """z (M, N, latent) or (N, latent) -> x (M, N, d).

        norm_ref: with g_batchnorm, normalise with the statistics of the first `norm_ref` rows only.
        rows: `flat` and z hold these GANs only.
        """
        if z.dim() == 2:
            z = self._expand(z)
        if self.n_classes:
            if cond is None:
                raise ValueError("a conditional generator needs class labels")
            if cond.dim() == 2:
                cond = self._expand(cond, z.shape[0])
            z = torch.cat([z, cond], dim=2)
        vbn = None
        if self._vbn_ref is not None:
            vbn = self._vbn_ref if rows is None else rows.take(self._vbn_ref)
            vbn = vbn if vbn.shape[0] == z.shape[0] else vbn[:1].expand(z.shape[0], *vbn.shape[1:])
        return self.G(z, flat=flat, norm_ref=norm_ref, rows=None if rows is None else rows.idx, vbn_ref=vbn)

    def discriminate(self, x: Tensor, cond: Optional[Tensor] = None, flat: Optional[Tensor] = None,
                     groups: int = 1, sn_update: bool = False, mbstd_value: Optional[Tensor] = None,
                     rows: Optional[Rows] = None) -> Tensor:
        """x (M, N, d * pack), N packs (see `pack_samples`) -> raw D output (M, N).

        rows: `flat` and x hold these GANs only (a per-GAN cond too).
        """
        if self.n_classes:
            if cond is None:
                raise ValueError("a conditional discriminator needs class labels")
            if cond.dim() == 2:
                cond = self._expand(cond, x.shape[0])
            x = torch.cat([x, cond], dim=2)
        sn, mbstd, md = self._sn, self._mbstd, self._md
        # Points that are no batch (mbstd_value given: a grid) read the minibatch features of a real batch.
        md_ref = self._md_ref if md is not None and mbstd_value is not None else None
        md_idx = self._md_idx if rows is None and x.shape[0] == self.m else None
        if rows is not None:
            sn, mbstd, mbstd_value = rows.take(sn), rows.take(mbstd), rows.take(mbstd_value)
            md, md_ref, md_idx = rows.take(md), rows.take(md_ref), rows.md_pos
            if md_idx is not None and not len(md_idx):
                md = md_ref = md_idx = None           # none of these GANs has minibatch discrimination
        if md_ref is not None and md_ref.shape[0] != x.shape[0]:
            md_ref = md_ref[:1].expand(x.shape[0], *md_ref.shape[1:])
        out = self.D(x, flat=flat, sn=sn, sn_update=sn_update, mbstd=mbstd, groups=groups,
                     mbstd_value=mbstd_value, rows=None if rows is None else rows.idx, md=md, md_ref=md_ref,
                     md_idx=md_idx)
        return out.squeeze(2)

    def pack_samples(self, x: Tensor) -> Tensor:
        """Samples (M, N, d) -> packs (M, N // pack, d * pack) of consecutive samples; a remainder is dropped.

        Consecutive draws are independent, so a pack holds `pack` independent samples of one kind.
        """
        if self.pack == 1:
            return x
        n = x.shape[1] // self.pack
        return x[:, :n * self.pack].reshape(x.shape[0], n, self.pack * x.shape[2])

    def discriminate_points(self, x: Tensor, cond: Tensor | None = None,
                            mbstd_value: Tensor | None = None, rows: Optional[Rows] = None) -> Tensor:
        """D's reading of each point x (M, N, d) as a pack of `pack` copies of it: (M, N).

        rows: x holds these GANs' points only (a view that draws one GAN of a set).

        With packing, D scores packs, not points; a pack of identical points is how a heatmap or a
        single fake can be put to it (and D may well find such a pack suspicious: packing is there
        to catch a lack of variety).
        """
        flat = None if rows is None else self._d_rows(rows)
        return self.discriminate(x.repeat(1, 1, self.pack), cond, flat=flat, mbstd_value=mbstd_value, rows=rows)

    def _noise_std(self) -> Optional[Tensor]:
        vals = []
        for std, anneal in self._noise:
            if anneal > 0:
                std = std * max(0.0, 1.0 - self.step_count / anneal)
            vals.append(std)
        if not any(vals):
            return None
        return torch.tensor(vals, device=self.device).view(-1, 1, 1)

    # -- losses --------------------------------------------------------------
    def _grouped(self, fn, *args, rows: Optional[Rows] = None):
        """fn(loss, *rows) applied to each loss group's rows of the (M, ...) arguments, reassembled in
        GAN order; fn may return a tensor or a tuple of tensors with a leading GAN axis.
        rows: the arguments hold these GANs' rows only."""
        groups, order = (self._loss_groups, self._loss_order) if rows is None else (rows.loss_groups, rows.loss_order)
        if order is None:
            return fn(groups[0][0], *args)
        outs = []
        for loss, idx in groups:
            outs.append(fn(loss, *[a.index_select(0, idx) if torch.is_tensor(a) and a.dim() else a for a in args]))
        if isinstance(outs[0], tuple):
            return tuple(torch.cat(parts).index_select(0, order) for parts in zip(*outs))
        return torch.cat(outs).index_select(0, order)

    def _per_gan(self, fn_name: str, *args, rows: Optional[Rows] = None) -> Tensor:
        """Each GAN's own loss on its rows of the (M, ...) arguments: (M,) (or the rows' own with `rows`)."""
        return self._grouped(lambda loss, *a: getattr(loss, fn_name)(*a), *args, rows=rows)

    def _d_objective(self, xr: Tensor, xf: Tensor, cr, cf,
                     noise: tuple[Tensor, Tensor, Tensor]) -> tuple[Tensor, Tensor, Tensor]:
        """D's loss per GAN (M,) with penalties, and the raw outputs on real and fake packs."""
        xr, xf = self._seen(xr, xf, noise)
        xr, xf = self.pack_samples(xr), self.pack_samples(xf)
        b = xr.shape[1]
        # R1's pass before the main one: with spectral norm, both then see the same power iteration.
        r1 = self._r1_loss(xr, cr)
        cond = torch.cat([cr, cf], dim=-2) if self.n_classes else None
        out = self.discriminate(torch.cat([xr, xf], dim=1), cond, groups=2, sn_update=True)
        r, f = out[:, :b], out[:, b:]
        loss = self._per_gan("d_loss", r, f, self._smooth, self._margin)
        gp = self._gp_loss(xr, xf, cr, noise)
        for pen in (r1, gp):
            if pen is not None:
                loss = loss + pen
        return loss, r, f

    def _penalised(self, loss: Tensor, g: Tensor, xr: Tensor, xf: Tensor, cr, noise) -> tuple[Tensor, Tensor]:
        """D's loss and gradient from the hand-written backward, with the penalties of the GANs that use them
        added (autograd on their rows only)."""
        pens = [p for p in (self._r1_loss(xr, cr), self._gp_loss(xr, xf, cr, noise)) if p is not None]
        if not pens:
            return loss, g
        self._yield()
        with torch.enable_grad():
            pen = pens[0] if len(pens) == 1 else pens[0] + pens[1]
            g_pen = self.D.flat_grad(pen.sum())
        return loss + pen.detach(), g + g_pen

    def rows_of(self, idx: Sequence[int]) -> Rows:
        """Some GANs of the set, for a pass of those alone (their losses, their minibatch features)."""
        return Rows(idx, [s.loss for s in self.settings], self.device,
                    [s.minibatch_disc for s in self.settings])

    def _d_rows(self, rows: Rows) -> Optional[Tensor]:
        """D's weights for a pass of these GANs only, differentiable in D's parameters (None: all of them)."""
        return None if rows.idx is None else self.D.rows(rows.idx)

    def _gp_loss(self, xr: Tensor, xf: Tensor, cr, noise) -> Optional[Tensor]:
        """The gradient penalty (Gulrajani et al. 2017) of the GANs that use it, (M,) with 0 for the others,
        from a pass of their rows only. xr, xf: packs as D sees them."""
        rows = self._gp_rows
        if rows is None:
            return None
        eps = noise[2][..., ::self.pack, :]      # one interpolation weight per pack: GP's points lie between packs
        if eps.dim() == 3:
            eps = rows.take(eps)
        with torch.enable_grad():
            xh = (eps * rows.take(xr).detach() + (1 - eps) * rows.take(xf).detach()).requires_grad_(True)
            ch = (rows.take(cr) if cr.dim() == 3 else cr) if self.n_classes else None
            oh = self.discriminate(xh, ch, flat=self._d_rows(rows), groups=1, rows=rows)
            (gx,) = torch.autograd.grad(oh.sum(), xh, create_graph=True)
            return rows.spread(rows.take(self._gp) * ((gx.norm(dim=2) - 1) ** 2).mean(1), self.m)

    def _r1_loss(self, xr: Tensor, cr) -> Optional[Tensor]:
        """R1 (Mescheder et al. 2018), 1/2 r1 E|grad D(x_real)|^2, of the GANs that use it, (M,) with 0 for
        the others, from a pass of their rows only. xr: real packs as D sees them."""
        rows = self._r1_rows
        if rows is None:
            return None
        with torch.enable_grad():
            x = rows.take(xr).detach().requires_grad_(True)
            c = (rows.take(cr) if cr.dim() == 3 else cr) if self.n_classes else None
            r = self.discriminate(x, c, flat=self._d_rows(rows), groups=1, rows=rows)
            (gx,) = torch.autograd.grad(r.sum(), x, create_graph=True)
            return rows.spread(0.5 * rows.take(self._r1) * (gx ** 2).sum(2).mean(1), self.m)

    def _noise_draws(self, b: int) -> Optional[tuple[Tensor, Tensor, Tensor]]:
        """Instance noise for real and fake, and the gradient penalty's interpolation weights; None when no
        GAN uses them. From their own generator, so that the data stream does not depend on the settings.
        Shared by the GANs ((b, d), (b, d), (b, 1)), or with runs one draw per run ((M, b, d), ...)."""
        if not self._draw_noise:
            return None
        if self.runs == 1:
            n = torch.randn(2, b, self.dim, generator=self.noise_gen, device=self.device)
            eps = torch.rand(b, 1, generator=self.noise_gen, device=self.device)
            return n[0], n[1], eps
        draws = [(torch.randn(2, b, self.dim, generator=g, device=self.device),
                  torch.rand(b, 1, generator=g, device=self.device)) for g in self.noise_gens]
        n = self._per_run([d[0] for d in draws])
        return n[:, 0], n[:, 1], self._per_run([d[1] for d in draws])

    # -- updates -------------------------------------------------------------
    @property
    def diverged(self) -> Tensor:
        """(M, 1) bool: the GANs that produced a NaN or infinite loss or gradient (their weights are frozen)."""
        return ~self._healthy

    def _finite_mask(self, loss: Tensor, grad: Tensor, active: Optional[Tensor]) -> Optional[Tensor]:
        """(M, 1) bool: the GANs that step (healthy and active), after marking unhealthy those whose loss or
        gradient is not finite (their weights freeze); None when every GAN steps."""
        # A sum is non-finite when any term is (or when it overflows, which is no better): one cheap check.
        if active is None and self._all_healthy and grad.device.type == "cpu":
            # On the CPU, while no GAN has blown up, one total looked at says that none does now: fewer
            # operations than the per-GAN mask, and no mask for the optimizer to look at (3 % of a lockstep
            # step of six small GANs). A non-finite total (or one that overflowed) takes the per-GAN path.
            if math.isfinite(float(loss.detach().sum() + grad.sum())):
                return None
        # s - s is 0 for finite s and NaN for inf or NaN: two ops, where torch.isfinite takes five.
        s = loss.detach() + grad.sum(dim=1)
        ok = (s - s == 0).view(-1, 1)
        if active is None:
            self._healthy &= ok
            mask = self._healthy
        else:
            self._healthy &= ok | ~active
            mask = self._healthy & active
        if self._all_healthy:           # (a GAN that blew up stays stopped: only a rollback heals it)
            self._health_changed()
        return mask

    def _health_changed(self) -> None:
        if self.device.type == "cpu":       # (elsewhere the flag is not read: no device to wait on)
            self._all_healthy = bool(self._healthy.all())

    def _active(self, counts: list[int], i: int) -> Optional[Tensor]:
        if all(c > i for c in counts):
            return None
        return torch.tensor([c > i for c in counts], device=self.device).view(-1, 1)

    def _seen(self, xr: Optional[Tensor], xf: Tensor, noise,
              rows: Optional[Rows] = None) -> tuple[Optional[Tensor], Tensor]:
        """Real and fake samples as D sees them: with instance noise, when it is on.
        rows: xr and xf hold these GANs only."""
        sigma = self._noise_std()
        if sigma is None:
            return xr, xf
        nr, nf = noise[0], noise[1]
        if rows is not None:
            sigma = rows.take(sigma)
            nr, nf = (rows.take(nr), rows.take(nf)) if nr.dim() == 3 else (nr, nf)
        return (None if xr is None else xr + sigma * nr), xf + sigma * nf

    def _logit_grads(self, out: Tensor, b: int, which: str) -> tuple[Tensor, Tensor]:
        """Loss per GAN and its gradient with respect to D's raw outputs (M, N).

        which "d": D's loss on out = [real (b) | fake]; "g": G's loss on the fake part (out[:, b:]).
        The registry's analytic gradients are used when every loss has them; otherwise autograd
        differentiates the registry's loss alone.
        """
        o = out.detach()
        if self._analytic:
            if which == "d":
                r, f = o[:, :b], o[:, b:]
                loss = self._per_gan("d_loss", r, f, self._smooth, self._margin)
                gr, gf = self._grouped(lambda l, *a: l.d_grad(*a), r, f, self._smooth, self._margin)
                # Real and fake batches have the same size b: one scaling for both halves.
                return loss, torch.cat([gr, gf], dim=1).mul_(1.0 / b)
            f = o[:, b:]
            loss = self._per_gan("g_loss", f)
            gf = self._grouped(lambda l, x: l.g_grad(x), f) / f.shape[1]
            return loss, (torch.cat([torch.zeros_like(o[:, :b]), gf], dim=1) if b else gf)
        o = o.requires_grad_(True)
        with torch.enable_grad():
            if which == "d":
                loss = self._per_gan("d_loss", o[:, :b], o[:, b:], self._smooth, self._margin)
            else:
                loss = self._per_gan("g_loss", o[:, b:])
            (go,) = torch.autograd.grad(loss.sum(), o)
        return loss.detach(), go

    def _yield(self) -> None:
        if self.yield_point is not None:
            self.yield_point()

    def d_step(self, active: Optional[Tensor] = None) -> None:
        self._yield()
        b = self.batch_size
        n = b * self.pack               # batch_size counts packs
        xr, cr = self._real(n)
        z, cf = self._latent(n)
        noise = self._noise_draws(n)
        if self._fast_d:
            with torch.no_grad():
                xf = self.G.forward_cached(self._with_cond(z, cf))[0]
                xr_s, xf_s = self._seen(xr, xf, noise)
                cond = torch.cat([cr, cf], dim=-2) if self.n_classes else None
                out, cache = self.D.forward_cached(self._with_cond(torch.cat([xr_s, xf_s], dim=1), cond))
                out = out.squeeze(2)
                loss, go = self._logit_grads(out, b, "d")
                self._yield()
                g, _ = self.D.backward_cached(cache, go.unsqueeze(2))
            loss, g = self._penalised(loss, g, xr_s, xf_s, cr, noise)
            with torch.no_grad():
                self._apply_d(g, loss, out[:, :b], out[:, b:], active)
            return
        with torch.no_grad():
            xf = self.generate(z, cf)
        loss, r, f = self._d_objective(xr, xf, cr, cf, noise)
        self._yield()
        g = self.D.flat_grad(loss.sum())
        self._apply_d(g, loss, r, f, active)

    def _apply_d(self, g: Tensor, loss: Tensor, r: Tensor, f: Tensor, active: Optional[Tensor]) -> None:
        mask = self._finite_mask(loss, g, active)
        before = self.D.flat.detach().clone() if self.inspect else None
        self.opt_d.step(g, self._hyper_d, mask, exact=active is not None)
        if self._clip is not None:
            with torch.no_grad():
                p = self.D.flat
                on = self._clip_on if mask is None else self._clip_on & mask
                p.copy_(torch.where(on, torch.clamp(p, -self._clip, self._clip), p))
        self.d_step_count += 1
        self.stats.record_d(loss, g, r, f)
        if before is not None:
            self._record_summary("D", before, g, loss, r, f, active)
        if self._mbstd is not None:
            with torch.no_grad():
                self._mbstd_real = self._mbstd_feature_real(r.shape[1])

    # -- the step inspector -------------------------------------------------------
    def _blocks(self, player: str) -> list[tuple[str, int, int]]:
        net = self.D if player == "D" else self.G
        if getattr(net, "_summary_blocks", None) is None:
            net._summary_blocks = param_blocks(net.layout, player)
        return net._summary_blocks

    def _block_matrix(self, player: str) -> Tensor:
        """(P, L) 0/1: which parameter block each weight of the flat layout belongs to. One product with it
        sums the squares of every block at once (a slice and a norm per block cost ten times more)."""
        net = self.D if player == "D" else self.G
        if getattr(net, "_summary_matrix", None) is None:
            blocks = self._blocks(player)
            mat = torch.zeros(net.flat.shape[1], len(blocks), device=self.device)
            for j, (_, a, b) in enumerate(blocks):
                mat[a:b, j] = 1.0
            net._summary_matrix = mat
        return net._summary_matrix

    @torch.no_grad()
    def _record_summary(self, player: str, before: Tensor, g: Tensor, loss: Tensor, r: Optional[Tensor],
                        f: Optional[Tensor], active: Optional[Tensor]) -> None:
        """Keep this step's summary (see `step_summary`) for the GANs that took it (`active`); the others keep
        their last one."""
        net = self.D if player == "D" else self.G
        m = self.m
        # ||∇θ||, ||Δθ|| and ||θ|| (before the step) of every block of every GAN: one product
        parts = torch.cat([g.detach(), net.flat.detach() - before, before]).square_()
        grad, update, norm = (parts @ self._block_matrix(player)).sqrt_().split(m)
        taken = [True] * m if active is None else active.view(-1).tolist()
        counts = self._taken[player]
        for i, on in enumerate(taken):
            counts[i] += on
        rec = {"grad": grad, "update": update, "norm": norm, "loss": loss.detach().view(-1)}
        if f is not None:
            rec["fake"] = f.detach()
        if player == "D":
            rec["real"] = r.detach()
            rec["g_loss"] = self._per_gan("g_loss", f).view(-1)
            # D's objective on the batch without its penalties (the loss is that when there are none)
            rec["objective"] = (rec["loss"] if self._gp_rows is None and self._r1_rows is None else
                                self._per_gan("d_loss", r, f, self._smooth, self._margin).view(-1))
        # Where each GAN's step sat (None: it took none yet), as Python numbers: no tensor per number.
        where = (self.step_count, self.d_step_count, self._in_iteration)
        rows = [(*where, counts[i]) if on else None for i, on in enumerate(taken)]
        old = self.stats.summary_d if player == "D" else self.stats.summary_g
        if active is not None and old is not None and old[0].keys() == rec.keys() and all(
                old[0][k].shape == v.shape for k, v in rec.items()):
            # The GANs that did not take this step keep their last one.
            keep = active.view(-1)
            rec = {k: torch.where(keep.view(-1, *([1] * (v.dim() - 1))), v, old[0][k]) for k, v in rec.items()}
            rows = [mine if on else theirs for mine, theirs, on in zip(rows, old[1], taken)]
        if player == "D":
            self.stats.summary_d = (rec, rows)
        else:
            self.stats.summary_g = (rec, rows)

    def step_summary(self) -> tuple:
        """The step inspector's summary of each GAN's last D step and last G step, for the steps taken while
        `inspect` was on: per GAN {"D": summary or None, "G": summary or None}, each a plain dict
        (`ganviz.core.step_summary.player_summary`): D's outputs on the batch in display units, V(D, G) or
        the loss's own D objective, each player's loss, and per parameter block the gradient norm, the
        update ||Δθ|| made and ||Δθ|| / ||θ||. In lockstep, GAN r * M0 + i is GAN i of run r."""
        recs = {}
        for player, kept in (("D", self.stats.summary_d), ("G", self.stats.summary_g)):
            recs[player] = None if kept is None else ({k: v.detach().cpu().numpy() for k, v in kept[0].items()},
                                                      kept[1])
        out = []
        for i, s in enumerate(self.settings):
            per = {}
            for player, kept in recs.items():
                if kept is None or kept[1][i] is None:
                    per[player] = None
                    continue
                rec, (step, d_steps, in_iteration, index) = kept[0], kept[1][i]
                penalised = bool(s.gp or s.r1)
                per[player] = player_summary(
                    player, s.loss, step, d_steps, index if in_iteration else 0, s.k if player == "D" else s.g_steps,
                    [n for n, _, _ in self._blocks(player)], rec["grad"][i], rec["update"][i], rec["norm"][i],
                    float(rec["loss"][i]), rec["fake"][i] if "fake" in rec else np.zeros(0),
                    raw_real=rec["real"][i] if "real" in rec else None,
                    other_loss=float(rec["g_loss"][i]) if "g_loss" in rec else None,
                    d_objective_loss=float(rec["objective"][i]) if "objective" in rec else None,
                    penalised=penalised)
            out.append(per)
        return tuple(out)

    def _mbstd_feature_real(self, b: int) -> Tensor:
        # The feature a real batch of b packs gives D, reused when D is evaluated on a grid (which is no batch).
        xr, cr = self._real_eval(b * self.pack)
        x = self._with_cond(self.pack_samples(xr), cr)
        if self._md is not None:
            self._md_ref = x            # minibatch discrimination's reference batch (inputs: no weights in it)
        h = self.D.features(x, sn=self._sn)
        return BatchedMLP.minibatch_std(h, 1)[:, :1, :]

    def _real_eval(self, n: int):
        if self.runs == 1:
            x, lab = self.sampler.sample(n, self._eval_gen())
            return self._expand(x), (self._onehot(lab) if self.n_classes else None)
        xs, labs = zip(*[self.sampler.sample(n, g) for g in self._eval_gens()])
        return self._per_run(list(xs)), (self._onehot(self._per_run(list(labs))) if self.n_classes else None)

    def _eval_gen(self) -> torch.Generator:
        return self._eval_gens()[0]

    def _eval_gens(self) -> list[torch.Generator]:
        # Made on first use: a run that never needs them draws nothing.
        if not hasattr(self, "_egens"):
            self._egens = [self._generator(s + 7919) for s in self.seeds]
        return self._egens

    def _unrolled_d(self) -> Optional[Tensor]:
        """The weights of the unrolling GANs' Ds after their `unroll` differentiable optimizer steps (Metz et
        al. 2016), (rows, P) for `self._unroll_rows`; None when no GAN unrolls. Each step draws a batch for
        every GAN (the draws do not depend on who unrolls), but only the unrolling GANs' rows are computed."""
        rows = self._unroll_rows
        if rows is None:
            return None
        counts = [self._unroll[i] for i in (range(self.m) if rows.idx is None else rows.idx.tolist())]
        flat = rows.take(self.D.flat).detach().requires_grad_(True)
        st = {k: rows.take(v).detach() for k, v in self.opt_d.state.items() if k != "t0"}
        hyper = {k: rows.take(v) for k, v in self._hyper_d.items() if k != "uniform"}
        smooth = rows.take(self._smooth) if torch.is_tensor(self._smooth) else self._smooth
        margin = rows.take(self._margin)
        b = self.batch_size
        for i in range(max(counts)):
            self._yield()
            xr, cr = self._real(b * self.pack)
            z, cf = self._latent(b * self.pack)
            noise = self._noise_draws(b * self.pack)
            # G's gradient runs back through these fakes too: D's unrolled steps depend on G (Metz et al.).
            xf = self.generate(rows.take(z), self._rows_cond(rows, cf) if self.n_classes else None,
                               flat=self._g_rows(rows), rows=rows)
            xr = rows.take(xr)
            x = torch.cat([self.pack_samples(v) for v in self._seen(xr, xf, noise, rows)], dim=1)
            cond = self._rows_cond(rows, torch.cat([cr, cf], dim=-2)) if self.n_classes else None
            out = self.discriminate(x, cond, flat=flat, groups=2, rows=rows)
            loss = self._per_gan("d_loss", out[:, :b], out[:, b:], smooth, margin, rows=rows)
            (g,) = torch.autograd.grad(loss.sum(), flat, create_graph=True)
            new_flat, new_st = self.opt_d.kind.update(flat, g, st, hyper)
            keep = self._active(counts, i)
            if keep is None:
                flat, st = new_flat, new_st
            else:
                flat = torch.where(keep, new_flat, flat)
                st = {k: torch.where(keep, v, st[k]) for k, v in new_st.items()}
            if self.yield_point is not None:
                # G's backward runs back through every unrolled step: a yield point in each of them.
                flat.register_hook(self._yield_in_backward)
        return flat

    @staticmethod
    def _rows_cond(rows: Rows, cond: Tensor) -> Tensor:
        return rows.take(cond) if cond.dim() == 3 else cond

    def _g_rows(self, rows: Rows) -> Optional[Tensor]:
        """G's weights for a pass of these GANs only, differentiable in G's parameters (None: all of them)."""
        return None if rows.idx is None else self.G.rows(rows.idx)

    def _yield_in_backward(self, grad: Tensor) -> None:
        self._yield()

    @torch.no_grad()
    def _g_fast(self, z: Tensor, cf, noise) -> tuple[Tensor, Tensor]:
        xf, g_cache = self.G.forward_cached(self._with_cond(z, cf))
        _, xf_s = self._seen(None, xf, noise)
        out, d_cache = self.D.forward_cached(self._with_cond(xf_s, cf))
        self._g_read = out.squeeze(2)
        loss, go = self._logit_grads(self._g_read, 0, "g")
        _, gx = self.D.backward_cached(d_cache, go.unsqueeze(2), weights=False, inputs=True)
        g, _ = self.G.backward_cached(g_cache, gx[:, :, :self.dim].contiguous() if self.n_classes else gx)
        return loss, g

    def _g_unrolled(self, d_flat: Tensor, z: Tensor, cf, noise) -> tuple[Tensor, Tensor]:
        """G's loss and gradient for the unrolling GANs' rows only, against their unrolled Ds."""
        rows = self._unroll_rows
        with torch.enable_grad():
            cond = self._rows_cond(rows, cf) if self.n_classes else None
            xf = self.generate(rows.take(z), cond, flat=self._g_rows(rows), rows=rows)
            _, xf = self._seen(None, xf, noise, rows)
            f = self.discriminate(self.pack_samples(xf), cond, flat=d_flat, groups=1, rows=rows)
            loss = self._per_gan("g_loss", f, rows=rows)
            if self._g_read is not None and self._g_read.shape[1] == f.shape[1]:
                self._g_read = rows.put(self._g_read, f.detach())
            self._yield()
            # Through d_flat too: the unrolled steps trained D on G's fakes.
            g = rows.take(self.G.flat_grad(loss.sum()))
        return loss.detach(), g

    def _g_loss_grad(self, z: Tensor, cf, noise, d_flat: Optional[Tensor]) -> tuple[Tensor, Tensor]:
        """G's loss per GAN and its gradient (M, P) on this batch; the unrolling GANs' against their
        unrolled D (`d_flat`, their rows)."""
        if self._fast_g:
            loss, g = self._g_fast(z, cf, noise)
            if d_flat is None:
                return loss, g
            rows = self._unroll_rows
            loss_u, g_u = self._g_unrolled(d_flat, z, cf, noise)
            return rows.put(loss, loss_u), rows.put(g, g_u)
        if d_flat is not None:
            d_flat = self._unroll_rows.put(self.D.flat.detach(), d_flat)
        _, xf = self._seen(None, self.generate(z, cf), noise)
        f = self.discriminate(self.pack_samples(xf), cf, flat=d_flat, groups=1)
        self._g_read = f.detach()
        loss = self._per_gan("g_loss", f)
        self._yield()
        return loss.detach(), self.G.flat_grad(loss.sum())

    def g_step(self, active: Optional[Tensor] = None) -> None:
        self._yield()
        b = self.batch_size
        d_flat = self._unrolled_d()        # drawn before this step's latent batch
        z, cf = self._latent(b * self.pack)
        noise = self._noise_draws(b * self.pack)
        loss, g = self._g_loss_grad(z, cf, noise, d_flat)
        self._apply_g(g, loss, active)

    def _apply_g(self, g: Tensor, loss: Tensor, active: Optional[Tensor]) -> None:
        mask = self._finite_mask(loss, g, active)
        before = self.G.flat.detach().clone() if self.inspect else None
        self.opt_g.step(g, self._hyper_g, mask, exact=active is not None)
        self.stats.record_g(loss, g)
        if before is not None:
            self._record_summary("G", before, g, loss, None, self._g_read, active)

    def joint_step(self, d_active: Optional[Tensor], g_active: Optional[Tensor]) -> None:
        """Simultaneous update: D and G from the same batches and the same weights (with consensus, if set)."""
        self._yield()
        b = self.batch_size
        n = b * self.pack               # batch_size counts packs
        xr, cr = self._real(n)
        z, cf = self._latent(n)
        noise = self._noise_draws(n)
        # G's loss reads the unrolled D, when unrolling (drawn after this step's batch, as in g_step).
        d_flat = self._unrolled_d()
        if self._fast_joint:
            self._joint_fast(b, xr, cr, z, cf, noise, d_active, g_active, d_flat)
            return
        if d_flat is not None:
            d_flat = self._unroll_rows.put(self.D.flat.detach(), d_flat)
        xf = self.generate(z, cf)
        consensus = self._consensus is not None
        loss_d, r, f = self._d_objective(xr, xf.detach(), cr, cf, noise)
        _, xf_seen = self._seen(None, xf, noise)
        f_g = self.discriminate(self.pack_samples(xf_seen), cf, flat=d_flat, groups=1)
        self._g_read = f_g.detach()
        loss_g = self._per_gan("g_loss", f_g)
        self._yield()
        gd = self.D.flat_grad(loss_d.sum(), create_graph=consensus, retain_graph=True)
        gg = self.G.flat_grad(loss_g.sum(), create_graph=consensus)
        if consensus:
            # Consensus optimisation: both players also descend L = 1/2 ||v||^2, v the joint gradient field.
            reg = 0.5 * (self._consensus * ((gd**2).sum(1) + (gg**2).sum(1))).sum()
            rd = self.D.flat_grad(reg, retain_graph=True)
            rg = self.G.flat_grad(reg)
            gd, gg = (gd + rd).detach(), (gg + rg).detach()
        self._apply_d(gd, loss_d, r, f, d_active)
        self._apply_g(gg, loss_g, g_active)

    def _joint_fast(self, b, xr, cr, z, cf, noise, d_active, g_active, d_flat) -> None:
        with torch.no_grad():
            xf, g_cache = self.G.forward_cached(self._with_cond(z, cf))
            xr_s, xf_s = self._seen(xr, xf, noise)
            cond = torch.cat([cr, cf], dim=-2) if self.n_classes else None
            out, d_cache = self.D.forward_cached(self._with_cond(torch.cat([xr_s, xf_s], dim=1), cond))
            out = out.squeeze(2)
            self._g_read = out[:, b:]
            loss_d, go_d = self._logit_grads(out, b, "d")
            loss_g, go_g = self._logit_grads(out, b, "g")
            gd, _ = self.D.backward_cached(d_cache, go_d.unsqueeze(2))
            # G's loss reads only the fake half (go_g is zero on the real half): backpropagate to D's input.
            _, gx = self.D.backward_cached(d_cache, go_g.unsqueeze(2), weights=False, inputs=True)
            gg, _ = self.G.backward_cached(g_cache, gx[:, b:, :self.dim].contiguous())
        if d_flat is not None:
            rows = self._unroll_rows
            loss_u, gg_u = self._g_unrolled(d_flat, z, cf, noise)
            loss_g, gg = rows.put(loss_g, loss_u), rows.put(gg, gg_u)
        loss_d, gd = self._penalised(loss_d, gd, xr_s, xf_s, cr, noise)
        with torch.no_grad():
            self._apply_d(gd, loss_d, out[:, :b], out[:, b:], d_active)
            self._apply_g(gg, loss_g, g_active)

    def step(self, n: int = 1) -> None:
        """n generator iterations, each with k D steps (per GAN) and g_steps G steps."""
        for _ in range(n):
            self._iteration()

    def step_interruptible(self, should_stop: Callable[[], bool]) -> bool:
        """One generator iteration that `should_stop` may abandon at any of its yield points.

        The yield points sit between the pieces of a step: each D step, each G step, each unrolled D
        step, and between a forward pass and its backward (in G's backward through an unrolled D, at each
        unrolled step). An abandoned iteration is rolled back: weights, optimiser state, random streams
        and records are as before it, so that a run paused mid-step and resumed gives the same numbers as
        a run never paused. True when the iteration completed.
        """
        saved = self._rollback_state()

        def point() -> None:
            if should_stop():
                raise Interrupted()

        self.yield_point = point
        try:
            self._iteration()
        except Interrupted:
            self._roll_back(saved)
            return False
        finally:
            self.yield_point = None
        return True

    def _rollback_state(self) -> dict:
        st = self.state_dict()
        st.update(d_steps=self.d_step_count, stats=copy.copy(self.stats), healthy=self._healthy.clone(),
                  mbstd=self._mbstd_real, md_ref=self._md_ref, sn_u=list(self.D._sn_u), stopped=dict(self._stopped),
                  egens=[g.get_state() for g in self._egens] if hasattr(self, "_egens") else None)
        return st

    def _roll_back(self, st: dict) -> None:
        self.load_state(st)
        self.d_step_count, self.stats, self._mbstd_real = st["d_steps"], st["stats"], st["mbstd"]
        self._md_ref = st["md_ref"]
        self._healthy.copy_(st["healthy"])
        self._health_changed()
        self.D._sn_u = st["sn_u"]
        self._stopped = st["stopped"]
        if st["egens"] is not None:
            for g, state in zip(self._egens, st["egens"]):
                g.set_state(state)
        for opt in (self.opt_d, self.opt_g):
            opt.state_changed()
        self._begin_steps(False)

    def _begin_steps(self, in_iteration: bool) -> None:
        """For the step inspector: whether the steps now taken belong to a generator iteration (or are taken
        alone, the toolbar's Step D and Step G), and each GAN's D and G steps counted from here."""
        self._in_iteration = in_iteration
        self._taken = {"D": [0] * self.m, "G": [0] * self.m}

    def _iteration(self) -> None:
        self._begin_steps(True)
        kmax = max(self._k)
        gmax = max(self._g_steps)
        if self.joint and gmax > 0:
            k_alone = [k - 1 for k in self._k]
            for i in range(kmax - 1):
                self.d_step(self._active(k_alone, i))
            self.joint_step(None, self._active(self._g_steps, 0))
            for j in range(1, gmax):
                self.g_step(self._active(self._g_steps, j))
        else:
            for i in range(kmax):
                self.d_step(self._active(self._k, i))
            for j in range(gmax):
                self.g_step(self._active(self._g_steps, j))
        self.step_count += 1
        self._begin_steps(False)
        # As often as a set of this many GANs alone looks (each look waits for the device).
        if self.per_run == 1 or self.step_count % 16 == 0:
            if self.runs == 1:
                self.check_diverged()
            else:
                self._stop_diverged_runs()

    def _stop_diverged_runs(self) -> None:
        """Runs whose GANs have all diverged stop, as they would alone: `run_trainer` keeps them as they are now."""
        dead = (~self._healthy).view(self.runs, self.per_run).all(dim=1).tolist()
        for r, d in enumerate(dead):
            if d and r not in self._stopped:
                self._stopped[r] = self.run_trainer(r)
        if len(self._stopped) == self.runs:
            raise TrainingDiverged(f"Training diverged at step {self.step_count}: every run produced a NaN or "
                                   "infinite value.")

    def run_diverged(self, r: int) -> bool:
        """Whether run r stopped because all its GANs diverged (alone: raised TrainingDiverged)."""
        return r in self._stopped or (self.runs == 1 and bool(self.diverged.all()))

    def run_steps(self, r: int) -> int:
        """The generator iterations run r has trained: the step it stopped at, if it diverged."""
        return self._stopped[r].step_count if r in self._stopped else self.step_count

    def run_trainer(self, r: int) -> "Trainer":
        """Run r as a trainer of its own, as if it had been trained alone (its seed, weights, optimizer state,
        random streams and step; for a stopped run, as it was when it stopped): what evaluates a run."""
        if r in self._stopped:
            return self._stopped[r]
        if self.runs == 1:
            return self
        lo, hi = r * self.per_run, (r + 1) * self.per_run
        t = Trainer(self.mixture, self.model, self.settings[lo:hi], seed=self.seeds[r], device=self.device,
                    shared_init=self.shared_init)
        if t.fast != self.fast:
            t.fast = self.fast
            t.apply_settings(t.settings)
        with torch.no_grad():
            t.G.flat.copy_(self.G.flat[lo:hi])
            t.D.flat.copy_(self.D.flat[lo:hi])
        for mine, theirs in ((t.opt_d, self.opt_d), (t.opt_g, self.opt_g)):
            mine.state = {k: v[lo:hi].clone() for k, v in theirs.state.items() if k != "t0"}
            mine.state_changed()
        t.step_count, t.d_step_count = self.step_count, self.d_step_count
        t.gen.set_state(self.gens[r].get_state())
        t.noise_gen.set_state(self.noise_gens[r].get_state())
        if hasattr(self, "_egens"):
            t._eval_gen().set_state(self._egens[r].get_state())
        t._healthy.copy_(self._healthy[lo:hi])
        t._health_changed()
        t._mbstd_real = self._mbstd_real[lo:hi].clone()
        t._md_ref = None if self._md_ref is None else self._md_ref[lo:hi].clone()
        t.D._sn_u = [u[lo:hi].clone() for u in self.D._sn_u]
        t.inspect = self.inspect
        t.stats.summary_d, t.stats.summary_g = (None if kept is None else
                                                ({k: v[lo:hi].clone() for k, v in kept[0].items()}, kept[1][lo:hi])
                                                for kept in (self.stats.summary_d, self.stats.summary_g))
        return t

    def check_diverged(self) -> None:
        if bool(self.diverged.all()):
            s = self.settings[0]
            raise TrainingDiverged(
                f"Training diverged at step {self.step_count}: a loss or gradient became NaN or infinite "
                f"(loss {s.loss}, lr_d {s.lr_d:g}, lr_g {s.lr_g:g}); the last finite weights are kept."
                if self.m == 1 else
                f"Training diverged at step {self.step_count}: every GAN produced a NaN or infinite value."
            )

    # -- state ---------------------------------------------------------------
    def state_dict(self) -> dict:
        return {
            "G": self.G.flat.detach().clone(), "D": self.D.flat.detach().clone(),
            "opt_d": {k: v.clone() for k, v in self.opt_d.state.items()},
            "opt_g": {k: v.clone() for k, v in self.opt_g.state.items()},
            "step": self.step_count, "gen": self.gen.get_state(), "noise_gen": self.noise_gen.get_state(),
            # Every run's streams (run 0's are "gen" and "noise_gen" too, as they always were).
            "gens": [g.get_state() for g in self.gens], "noise_gens": [g.get_state() for g in self.noise_gens],
        }

    def load_state(self, state: dict) -> None:
        """Restore weights, optimizer state, step count and random stream from `state_dict()`."""
        self.stats.summary_d = self.stats.summary_g = None     # of steps that are no longer this run's
        with torch.no_grad():
            self.G.flat.copy_(state["G"])
            self.D.flat.copy_(state["D"])
        self.opt_d.state = {k: v.clone() for k, v in state["opt_d"].items()}
        self.opt_g.state = {k: v.clone() for k, v in state["opt_g"].items()}
        self.step_count = state["step"]
        self.gen.set_state(state["gen"])
        self.noise_gen.set_state(state["noise_gen"])
        if self.runs > 1:
            if len(state.get("gens", ())) != self.runs:
                raise SettingsError(f"seed: this state holds {len(state.get('gens', [0]))} runs' random streams, "
                                    f"not {self.runs}")
            for gens, key in ((self.gens, "gens"), (self.noise_gens, "noise_gens")):
                for g, st in zip(gens, state[key]):
                    g.set_state(st)
