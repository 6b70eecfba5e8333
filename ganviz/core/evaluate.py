"""What the views and the metric charts need from a Trainer, as numpy.

Evaluation has its own random generators, so that looking never changes how a run
trains, and what it sees at step N depends only on the run's seed and N, so that how
often a run is looked at never changes what it shows (`eval_generator`). It comes in
two weights. `frame(parts, only)` is what a picture needs, and only what it shows: the fixed-z
fakes (milliseconds), with D's reading of them, their gradients, G's manifold and D on the
grid when asked (`FRAME_PARTS`; D on the grid is the costly one: 60 ms for six GANs of
width 128). `metrics()` is 20,000 G samples against a fixed p_data sample: the estimates of
`ganviz.core.estimators` with their errors, D against D*, and the pictures of p_g and D*.
The sample sizes are those the stated accuracy needs (every divergence within 5 % or 0.01 of
the truth at 20,000 samples; the mode statistics' error from 8 disjoint sets of 2,500), so
metrics are not made cheaper by drawing fewer: `freeze()` takes the networks of one step, and
`metrics(state=...)` evaluates them on any thread while training goes on (the app's session
does this on a worker thread, so that a metric evaluation never holds up a picture).
"""
from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping, Optional

import numpy as np
import torch

from ganviz.core import estimators as E
from ganviz.core import metrics as M
from ganviz.core.data import Mixture
from ganviz.core.losses import get_loss
from ganviz.core.metric_info import ESTIMATED, LOWER_FLAG, METRICS, SE_SUFFIX, SLOW_KEYS
from ganviz.core.train import Rows, Trainer

N_SHOW = 512          # fixed latent vectors drawn as fake samples
N_EVAL = 20_000       # G samples behind p_g, the divergences, W1 and the modes
N_REF = 20_000        # p_data samples on the other side of the divergences
N_GAP = 5_000         # points of each side at which D is compared with D*
N_MODES = E.MODE_SET  # samples for mode coverage (the VEEGAN / PacGAN protocol)
REF_SEED_OFFSET = 2
EVAL_SEED_OFFSET = 104729



@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    # One core is left to whoever draws (the app's GUI, an export's encoder): on 2 cores, one worker.
    return ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 1) - 1), thread_name_prefix="ganviz-eval")


def eval_generator(seed: int, step: int, device) -> torch.Generator:
    """The generator behind the evaluation samples at `step`: a function of the run's seed and the step only."""
    gen = torch.Generator(device=device)
    gen.manual_seed((seed * 1_000_003 + step * 7_919 + EVAL_SEED_OFFSET) % (2**63 - 1))
    return gen
# What `frame` can add to the fakes, each computed only when asked for.
FRAME_PARTS = ("fake_d", "grad", "manifold", "d_grid")
GRID_1D = 600
GRID_2D = 96
GRID_CHUNK = 1024     # points of the grid D reads at once on the CPU (see Evaluator._d_on)


@dataclass(frozen=True, eq=False)
class Frozen:
    """The networks and training statistics of one step (copies), for evaluation on another thread
    while the trainer's own weights move on. Made by `Evaluator.freeze` on the training thread."""

    step: int
    g_flat: torch.Tensor
    d_flat: torch.Tensor
    mbstd: Optional[torch.Tensor]
    settings: tuple
    noise: np.ndarray                 # (M,) instance noise std at this step
    stats: dict                       # d_loss, g_loss, grad_norm_d, grad_norm_g: (M,) float64
    version: int                      # the evaluator's data version (see Evaluator.version)


@dataclass
class Grid:
    x: np.ndarray
    y: Optional[np.ndarray]
    points: np.ndarray   # (G, d)
    cell: float          # spacing (1D) or cell area (2D)
    bandwidth: float     # 2D smoothing kernel width (0 in 1D: p_data exact there)

    @property
    def shape(self) -> tuple:
        return (len(self.x),) if self.y is None else (len(self.y), len(self.x))


def make_grid(mixture: Mixture, n1: int = GRID_1D, n2: int = GRID_2D, bounds: Optional[np.ndarray] = None) -> Grid:
    b = mixture.bounds() if bounds is None else np.asarray(bounds, dtype=np.float64)
    if mixture.dim == 1:
        x = np.linspace(b[0, 0], b[0, 1], n1)
        return Grid(x, None, x[:, None], float(x[1] - x[0]), 0.0)
    # Square cells over a square box, so that the heatmap is not stretched.
    c = b.mean(axis=1)
    half = 0.5 * (b[:, 1] - b[:, 0]).max()
    x = np.linspace(c[0] - half, c[0] + half, n2)
    y = np.linspace(c[1] - half, c[1] + half, n2)
    xx, yy = np.meshgrid(x, y)
    dx = float(x[1] - x[0])
    # The 2D densities are compared after smoothing both with the same kernel, about 1.5 cells wide:
    # narrower than that, a grid cannot represent them (ring8's components have std 0.02).
    return Grid(x, y, np.stack([xx.ravel(), yy.ravel()], axis=1), dx * dx, 1.5 * dx)


class Evaluator:
    def __init__(self, trainer: Trainer, seed_offset: int = 104729, bounds: Optional[np.ndarray] = None):
        self.t = trainer
        self.gen = torch.Generator(device=trainer.device)
        self.gen.manual_seed(trainer.seed + seed_offset)
        self._view_class = 0
        self.version = 0        # bumped whenever the data, the grid or the class shown change
        self.z_fixed = trainer.sample_z(N_SHOW, self.gen)
        self.set_mixture(trainer.mixture, bounds)

    @property
    def view_class(self) -> int:
        return self._view_class

    @view_class.setter
    def view_class(self, c: int) -> None:
        self._view_class = c
        self.version += 1

    # -- data-dependent caches --------------------------------------------------
    def set_mixture(self, mixture: Mixture, bounds: Optional[np.ndarray] = None) -> None:
        """New data; bounds: the box to cover ([lo, hi] per dimension), None for one around the data."""
        self.version += 1
        self.mixture = mixture
        self.grid = make_grid(mixture, bounds=bounds)
        rng = np.random.default_rng(self.t.seed + 1)
        self.real, self.real_labels = mixture.sample_numpy(N_SHOW, rng)
        self.real_ref, _ = mixture.sample_numpy(N_MODES, rng)
        self._p_data_cache: dict = {}
        self._ref_cache: dict = {}
        k = mixture.n_components
        self.fixed_labels = np.arange(N_SHOW) % k

    def _class_mixture(self) -> Mixture:
        if not self.t.n_classes:
            return self.mixture
        c = self.view_class
        return Mixture(self.mixture.means[c:c + 1], self.mixture.covs[c:c + 1], np.ones(1))

    def p_data(self) -> np.ndarray:
        key = (self.view_class if self.t.n_classes else None)
        if key not in self._p_data_cache:
            mix, g = self._class_mixture(), self.grid
            if mix.dim == 1:
                p = mix.density(g.points)
            else:
                p = M.data_density_2d(mix, g.x, g.y, g.bandwidth)
            self._p_data_cache[key] = p.reshape(g.shape)
        return self._p_data_cache[key]

    # -- helpers ---------------------------------------------------------------
    def _cond(self, n: int, labels: Optional[np.ndarray] = None) -> Optional[torch.Tensor]:
        if not self.t.n_classes:
            return None
        lab = np.full(n, self.view_class) if labels is None else labels
        return self.t._onehot(torch.as_tensor(lab, device=self.t.device))

    def _to_display(self, raw: np.ndarray, gans: Optional[np.ndarray] = None) -> np.ndarray:
        """Raw D outputs (M, ...) -> each GAN's display units; gans: the GANs the rows are of (None: all)."""
        idx = range(self.t.m) if gans is None else gans
        return np.stack([get_loss(self.t.settings[j].loss).to_prob(raw[r]) for r, j in enumerate(idx)])

    def _mbstd(self):
        return self.t._mbstd_real if self.t._mbstd is not None else None

    def _rows(self, only: Mapping[str, int], *parts: str) -> Optional[Rows]:
        """The GANs to compute `parts` for: the one GAN `only` names for all of them, else all (None)."""
        named = {only.get(p) for p in parts}
        if len(named) != 1 or None in named or self.t.m == 1:
            return None
        (i,) = named
        if not 0 <= i < self.t.m:
            raise ValueError(f"GAN {i} of a set of {self.t.m}: there is no such GAN to draw")
        return self.t.rows_of([i])

    # -- per frame -------------------------------------------------------------
    @torch.no_grad()
    def _d_on(self, pts: np.ndarray, cond, rows: Optional[Rows] = None) -> np.ndarray:
        # With packing: D on a pack of copies of each grid point (Trainer.discriminate_points).
        # In chunks of GRID_CHUNK points: six hidden layers of 128 units on 9,216 points are 28 MB a layer,
        # and chunks that stay in cache took 15-25 % less time (same numbers).
        x = torch.as_tensor(pts, dtype=torch.float32, device=self.t.device)
        x = x.unsqueeze(0).expand(self.t.m if rows is None else rows.n, *x.shape)
        chunk = len(pts) if self.t.device.type != "cpu" else GRID_CHUNK
        out = [self.t.discriminate_points(x[:, lo:lo + chunk], None if cond is None else cond[lo:lo + chunk],
                                          mbstd_value=self._mbstd(), rows=rows) for lo in range(0, len(pts), chunk)]
        return torch.cat(out, dim=1).cpu().numpy()

    def _d_on_grid(self, rows: Optional[Rows], stride: int) -> np.ndarray:
        """D's raw output on the grid, (n, ...); with stride > 1 read on a coarser grid over the same box
        (GRID_2D // stride points a side, corners on the grid's corners) and interpolated onto the grid."""
        g = self.grid
        n = self.t.m if rows is None else rows.n
        if stride <= 1:
            return self._d_on(g.points, self._cond(len(g.points)), rows).reshape((n,) + g.shape)
        k = max(2, len(g.x) // stride)
        x = np.linspace(g.x[0], g.x[-1], k)
        y = np.linspace(g.y[0], g.y[-1], k)
        xx, yy = np.meshgrid(x, y)
        pts = np.stack([xx.ravel(), yy.ravel()], axis=1)
        coarse = torch.as_tensor(self._d_on(pts, self._cond(len(pts)), rows)).reshape(n, 1, k, k)
        fine = torch.nn.functional.interpolate(coarse, size=g.shape, mode="bilinear", align_corners=True)
        return fine.reshape((n,) + g.shape).numpy()

    def frame(self, parts=FRAME_PARTS, only: Optional[Mapping[str, int]] = None, grid_stride: int = 1) -> dict:
        """The fixed-z fakes of every GAN and those of FRAME_PARTS asked for; the others are None.

        only: part -> the one GAN to compute that part for (a view that draws one GAN of a set asks for
        no more). Each array holds the rows of the GANs in "gans" (its key -> their indices).
        grid_stride: in 2D, D is read on a grid `grid_stride` times coarser over the same box and
        interpolated (bilinearly, in D's raw output) onto the grid (small panels: see `_d_on_grid`)."""
        t, g = self.t, self.grid
        parts, only = frozenset(parts), dict(only or {})
        every = np.arange(t.m)

        def gans(rows: Optional[Rows]) -> np.ndarray:
            return every if rows is None or rows.idx is None else rows.idx.cpu().numpy()

        out_gans: dict[str, np.ndarray] = {}
        d_raw, grid_seconds = None, 0.0
        if "d_grid" in parts:
            t0 = time.perf_counter()
            rows = self._rows(only, "d_grid")
            out_gans["d_grid"] = gans(rows)
            d_raw = self._d_on_grid(rows, grid_stride if t.dim == 2 else 1)
            grid_seconds = time.perf_counter() - t0
        cond_show = self._cond(N_SHOW)
        # D's reading of the fakes serves both the loss panel and the arrows: computed once, for the GANs
        # of whichever of the two is asked for (all of them unless both name the same one).
        on_fakes = [p for p in ("fake_d", "grad") if p in parts]
        rows = self._rows(only, *on_fakes) if on_fakes else None
        # The fakes themselves: of the one GAN named for them, if D's reading wants no other's.
        fake_rows = self._rows(only, "fake", *on_fakes)
        n_fake = t.m if fake_rows is None else fake_rows.n
        z = self.z_fixed.unsqueeze(0).expand(n_fake, *self.z_fixed.shape)
        with torch.no_grad():
            xf = t.generate(z, cond_show, flat=None if fake_rows is None else t._g_rows(fake_rows), rows=fake_rows)
        out_gans["fake"] = gans(fake_rows)

        def of_rows(x: torch.Tensor) -> torch.Tensor:       # the fakes of D's rows
            return x if rows is None or fake_rows is not None else rows.take(x)

        f = gx = None
        if "grad" in parts and t._fast_g and rows is None:
            # The plain MLP: the trainer's hand-written backward, about 4x cheaper than autograd here.
            with torch.no_grad():
                out, cache = t.D.forward_cached(t._with_cond(xf, cond_show))
                f = out.squeeze(2)
                _, go = t._logit_grads(f, 0, "g")
                _, gx = t.D.backward_cached(cache, go.unsqueeze(2) * f.shape[1], weights=False, inputs=True)
                gx = gx[:, :, :t.dim]
        elif "grad" in parts:
            with torch.enable_grad():
                xg = of_rows(xf).detach().requires_grad_(True)
                f = t.discriminate_points(xg, cond_show, mbstd_value=self._mbstd(), rows=rows)
                loss = t._per_gan("g_loss", f, rows=rows) * f.shape[1]
                (gx,) = torch.autograd.grad(loss.sum(), xg)
        elif "fake_d" in parts:
            with torch.no_grad():
                f = t.discriminate_points(of_rows(xf), cond_show, mbstd_value=self._mbstd(), rows=rows)
        if f is not None:
            out_gans["fake_d"] = gans(rows)          # free with the arrows: the loss panel may take it
        if gx is not None:
            out_gans["fake_grad"] = gans(rows)
        manifold = None
        if "manifold" in parts and t.dim == 2:
            rows = self._rows(only, "manifold")
            out_gans["manifold"] = gans(rows)
            manifold = self._manifold(rows)
        return {
            "step": t.step_count,
            "d_grid": None if d_raw is None else self._to_display(d_raw, out_gans["d_grid"]),
            "fake": xf.detach().cpu().numpy(),
            "fake_grad": None if gx is None else -gx.cpu().numpy(),
            "fake_d": None if f is None else self._to_display(f.detach().cpu().numpy(), out_gans["fake_d"]),
            "manifold": manifold,
            "gans": out_gans,
            "diverged": t.diverged.view(-1).cpu().numpy().copy(),
            "grid_seconds": grid_seconds,
        }

    @torch.no_grad()
    def _manifold(self, rows: Optional[Rows] = None) -> Optional[np.ndarray]:
        """G on a regular grid over the first two z axes: (M, R, C, 2), or the rows' GANs' (n, R, C, 2)."""
        t = self.t
        if t.dim != 2:
            return None
        n = t.m if rows is None else rows.n
        flat = None if rows is None else t._g_rows(rows)
        zd = t.model.latent_dim
        span = 1.0 if t.model.prior == "uniform" else 2.0
        if zd == 1:
            u = np.linspace(-span, span, 101)[None, :, None]
        else:
            a = np.linspace(-span, span, 21)
            uu, vv = np.meshgrid(a, a)
            u = np.zeros((21, 21, zd))
            u[..., 0], u[..., 1] = uu, vv
        r, c = u.shape[:2]
        z = torch.as_tensor(u.reshape(r * c, zd), dtype=torch.float32, device=t.device)
        if not t.model.g_batchnorm:
            x = t.generate(t._expand(z, n), self._cond(r * c), flat=flat, rows=rows).cpu().numpy()
            return x.reshape(n, r, c, t.dim)
        # Batch norm takes its statistics from the batch, and a grid of z is no sample of the prior:
        # normalise the grid with the statistics of the fixed sample behind the fakes shown.
        z = torch.cat([self.z_fixed, z])
        x = t.generate(t._expand(z, n), self._cond(len(z)), flat=flat, norm_ref=N_SHOW,
                       rows=rows)[:, N_SHOW:].cpu().numpy()
        return x.reshape(n, r, c, t.dim)

    # -- a few times a second ----------------------------------------------------
    def reference(self) -> E.DataReference:
        """The fixed p_data sample (with exact log-densities) that every estimate compares with."""
        key = self.view_class if self.t.n_classes else None
        if key not in self._ref_cache:
            self._ref_cache[key] = E.DataReference.draw(self._class_mixture(), N_REF, self.t.seed + REF_SEED_OFFSET)
        return self._ref_cache[key]

    def support(self) -> E.Support:
        model = self.t.model
        return E.Support.of_generator(model.latent_dim, self.t.dim, model.prior)

    def w1_floor(self) -> float:
        """What W1 (sliced in 2D) reads for a perfect G at N_EVAL samples."""
        return E.perfect_g_w1(self._class_mixture(), N_EVAL)

    @torch.no_grad()
    def freeze(self) -> Frozen:
        """Copies of the networks and statistics at this step (on the training thread; ~microseconds)."""
        t = self.t
        noise = t._noise_std()
        st = t.stats
        return Frozen(
            step=t.step_count, g_flat=t.G.flat.detach().clone(), d_flat=t.D.flat.detach().clone(),
            mbstd=None if self._mbstd() is None else self._mbstd().clone(), settings=tuple(t.settings),
            noise=np.zeros(t.m) if noise is None else noise.view(-1).cpu().numpy().astype(np.float64),
            stats={k: getattr(st, k).cpu().numpy().astype(np.float64)
                   for k in ("d_loss", "g_loss", "grad_norm_d", "grad_norm_g")},
            version=self.version)

    def _discriminate(self, x: torch.Tensor, cond, st: Frozen) -> torch.Tensor:
        return self.t.discriminate(x, cond, flat=st.d_flat, mbstd_value=st.mbstd)

    @torch.no_grad()
    def metrics(self, slow: bool = True, state: Optional[Frozen] = None) -> dict:
        """Pictures of p_g and D*, D's outputs, modes and, with `slow`, the k-NN divergences, W1 and D vs D*.

        Without `slow` the metrics of SLOW are absent from the result (not NaN): they were not looked at.
        state: the networks of the step to evaluate (`freeze`); by default the trainer's now. With a state
        this may run on any thread while the trainer steps on; the result is for state.step.
        """
        t, g = self.t, self.grid
        st = self.freeze() if state is None else state
        # Seeded by the run's seed and the step: the numbers at step N do not depend on how often,
        # or whether, anyone looked before.
        z = t.sample_z(N_EVAL, eval_generator(t.seed, st.step, t.device))
        xs = t.generate(z, self._cond(N_EVAL), flat=st.g_flat).cpu().numpy().astype(np.float64)   # (M, N, d)
        p_data = self.p_data()
        mix = self._class_mixture()
        ref = self.reference()
        support = self.support()
        m = t.m
        res = {k: np.full(m, np.nan) for k in METRICS}
        res.update({k + SE_SUFFIX: np.full(m, np.nan) for k in ESTIMATED})
        res[LOWER_FLAG] = np.zeros(m)
        if not slow:
            for k in SLOW_KEYS:
                res.pop(k)
        notes: list[dict] = [{} for _ in range(m)]
        estimates: list[dict] = [{} for _ in range(m)]
        p_g = np.empty((m,) + g.shape)
        d_star: list = []
        counts = np.zeros((m, mix.n_components), dtype=np.int64)
        # D's statistics on what it is trained on: packs of independent samples, when packing.
        real_t = torch.as_tensor(self.real_ref, dtype=torch.float32, device=t.device)
        real_t = t.pack_samples(real_t.unsqueeze(0).expand(m, *real_t.shape))
        d_real = self._discriminate(real_t, self._cond(real_t.shape[1]), st).cpu().numpy()
        fk = t.pack_samples(torch.as_tensor(xs[:, :N_MODES], dtype=torch.float32, device=t.device))
        d_fake = self._discriminate(fk, self._cond(fk.shape[1]), st).cpu().numpy()
        noise = st.noise
        ratios: list[Optional[E.LogRatio]] = [None] * m
        finite = [bool(np.all(np.isfinite(xs[i]))) for i in range(m)]
        # The GANs' estimates are independent and spend their time in numpy and scipy, which release
        # the GIL: on a multi-core machine they run side by side.
        measured = list(_pool().map(lambda i: E.measure(xs[i], ref, support, slow) if finite[i] else None,
                                    range(m)))
        for i in range(m):
            x = xs[i]
            s = st.settings[i]
            loss = get_loss(s.loss)
            p_g[i] = self._p_g_picture(x, 0.0)
            d_star.append(self._d_star_picture(loss, s.label_smoothing, x, p_data, p_g[i], noise[i], s.margin))
            meas = measured[i]
            if meas is None:
                continue
            estimates[i].update(meas.values)
            for key, est in meas.values.items():
                res[key][i] = est.value
                res[key + SE_SUFFIX][i] = est.se
                if est.note:
                    notes[i][key] = est.note
            if slow:
                res[LOWER_FLAG][i] = float(meas.values["kl_data_g"].kind == E.LOWER_BOUND)
            counts[i] = meas.mode_counts
            ratios[i] = meas.log_ratio
            threshold, real_above, _ = loss.accuracy_rule(s.margin)
            ds = M.discriminator_stats(d_real[i], d_fake[i], loss.to_prob, threshold, real_above)
            res["d_real"][i], res["d_fake"][i], res["d_acc"][i] = ds["d_real"], ds["d_fake"], ds["d_acc"]
        for i, (gap, why) in enumerate(self._d_gaps(xs, ratios, st) if slow else ()):
            res["d_gap"][i], res["d_gap" + SE_SUFFIX][i] = gap.value, gap.se
            estimates[i]["d_gap"] = gap
            if why:
                notes[i]["d_gap"] = why
        res.update({k: v.copy() for k, v in st.stats.items()})
        return {"metrics": res, "p_g": p_g, "p_data": p_data, "d_star": d_star, "mode_counts": counts,
                "step": st.step, "notes": notes, "estimates": estimates, "version": st.version}

    # -- pictures and D against D* -------------------------------------------------
    def d_star_label(self, i: int) -> str:
        """What the D* picture of GAN i is, as its legend names it."""
        s = self.t.settings[i]
        text = get_loss(s.loss).optimal_d_label(s.label_smoothing, s.margin)
        if s.instance_noise > 0 and get_loss(s.loss).d_star is not None:
            text += f", densities noised by \u03c3 = {s.instance_noise:g}"
        if self.t.dim == 2 and get_loss(s.loss).d_star is not None:
            text += " (both smoothed on the grid)"
        return text

    def _p_g_picture(self, x: np.ndarray, noise: float) -> np.ndarray:
        """p_g on the view's grid for drawing: a KDE in 1D, the binned estimate smoothed like p_data in 2D."""
        g = self.grid
        if not np.all(np.isfinite(x)):
            return np.zeros(g.shape)
        if self.t.dim == 1:
            h = None if noise <= 0 else float(np.hypot(M.kde_bandwidth(x[:, 0], g.x), noise))
            return M.kde_1d(x[:, 0], g.x, h)
        return M.hist_density_2d(x, g.x, g.y, float(np.hypot(g.bandwidth, noise)))

    def _d_star_picture(self, loss, smoothing: float, x: np.ndarray, p_data: np.ndarray, p_g: np.ndarray,
                        noise: float, margin: float = 1.0) -> Optional[np.ndarray]:
        """The loss's optimal D on the grid; with instance noise, the optimum for the noised densities."""
        if loss.d_star is None:
            return None
        if noise > 0:
            g, mix = self.grid, self._class_mixture()
            if self.t.dim == 1:
                p_data = M.data_density_1d(mix, g.x, noise)
            else:
                p_data = M.data_density_2d(mix, g.x, g.y, float(np.hypot(g.bandwidth, noise)))
            p_g = self._p_g_picture(x, noise)
        return loss.optimal_d(p_data, p_g, smoothing, margin)

    @torch.no_grad()
    def _d_gaps(self, xs: np.ndarray, ratios: list, st: Frozen) -> list[tuple[E.Estimate, str]]:
        """Per GAN, the RMS of D - D* over (p_data + p_g) / 2 in the loss's display units, or NaN and why not.

        D is read at N_GAP samples of each side, for all GANs in one pass. With instance noise D is
        trained on noised samples, so its optimum is that of the noised densities, read at noised
        points: a second log-ratio fit on noised samples of both sides.
        """
        t, ref, noise = self.t, self.reference(), st.noise
        out: list[tuple[E.Estimate, str]] = [(E.NAN, "")] * t.m
        todo = []
        for i, s in enumerate(st.settings):
            loss = get_loss(s.loss)
            if loss.d_star is None:
                out[i] = (E.NAN, loss.no_optimum_reason)
            elif t.pack > 1:
                out[i] = (E.NAN, f"D judges packs of {t.pack} samples: no D*(x) of single points exists to "
                                 f"compare it with")
            elif ratios[i] is not None:
                todo.append(i)
        if not todo:
            return out
        pts = np.empty((t.m, 2 * N_GAP, t.dim))
        parts: dict[int, E.LogRatio] = {}
        for i in todo:
            x, lr, y = xs[i], ratios[i], ref.y
            if noise[i] > 0:
                rng = np.random.default_rng(t.seed + 7_919 * st.step + 3)
                noised = M.smoothed_mixture(self._class_mixture(), float(noise[i]))
                y = ref.y + noise[i] * rng.standard_normal(ref.y.shape)
                x = x + noise[i] * rng.standard_normal(x.shape)
                lr = E.log_ratio(x, E.DataReference(noised, y, noised.log_density(y)))
            pts[i, :N_GAP], pts[i, N_GAP:] = x[:N_GAP], y[:N_GAP]
            parts[i] = E.LogRatio(lr.at_g[:N_GAP], lr.at_data[:N_GAP], lr.missed[:N_GAP], lr.k)
        pts_t = torch.as_tensor(pts, dtype=torch.float32, device=t.device)
        # D's reading of each point as a pack of `pack` copies of it (as Trainer.discriminate_points).
        raw = self._discriminate(pts_t.repeat(1, 1, t.pack), self._cond(2 * N_GAP), st).cpu().numpy()
        for i in todo:
            s = st.settings[i]
            loss = get_loss(s.loss)
            d = loss.to_prob(raw[i])
            gap = E.d_gap(parts[i], d[:N_GAP], d[N_GAP:],
                          lambda pd, pg, loss=loss, s=s: loss.optimal_d(pd, pg, s.label_smoothing, s.margin),
                          smooth_optimum=loss.has_probability)
            out[i] = (gap, "")
        return out
