"""What the views and the metric charts need from a Trainer, as numpy.

Evaluation has its own random generator, seeded from the run's seed, so that how
often a run is looked at never changes how it trains. It comes in two weights:
`frame()` (D on the grid, the fixed-z fakes and their gradients: cheap, every
frame) and `metrics()` (p_g from many samples, divergences, W1, mode coverage:
a few times a second).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch

from ganviz.core import metrics as M
from ganviz.core.data import Mixture
from ganviz.core.losses import get_loss
from ganviz.core.train import Trainer

N_SHOW = 512          # fixed latent vectors drawn as fake samples
N_EVAL = 20_000       # G samples behind p_g and the divergences (>= 10k, see the issue)
N_MODES = 2_500       # samples for mode coverage (the VEEGAN / PacGAN protocol)
GRID_1D = 600
MAX_DIVERGENCE_GRID_1D = 20_000   # points of the wider grid the 1D divergences use when G strays off the view
GRID_2D = 96


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
        self.view_class = 0
        self.z_fixed = trainer.sample_z(N_SHOW, self.gen)
        self.set_mixture(trainer.mixture, bounds)

    # -- data-dependent caches --------------------------------------------------
    def set_mixture(self, mixture: Mixture, bounds: Optional[np.ndarray] = None) -> None:
        """New data; bounds: the box to cover ([lo, hi] per dimension), None for one around the data."""
        self.mixture = mixture
        self.grid = make_grid(mixture, bounds=bounds)
        rng = np.random.default_rng(self.t.seed + 1)
        self.real, self.real_labels = mixture.sample_numpy(N_SHOW, rng)
        self.real_ref, _ = mixture.sample_numpy(N_MODES, rng)
        self._p_data_cache: dict = {}
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

    def _divergences_1d(self, x: np.ndarray, p_g: np.ndarray, mix: Mixture) -> dict:
        """JS and both KLs in 1D, on a grid wide enough for G's samples too.

        The view's grid covers the data; a G whose samples lie off it (early on, or on disjoint
        supports) would lose that mass from p_g, and JS would read ln(2)/2 where it is ln 2.
        """
        g = self.grid
        lo, hi = float(x.min()), float(x.max())
        if lo >= g.x[0] and hi <= g.x[-1]:
            return M.divergences(self.p_data(), p_g, g.cell)
        pad = 0.25 * (max(hi, g.x[-1]) - min(lo, g.x[0]))
        a, b = min(lo - pad, g.x[0]), max(hi + pad, g.x[-1])
        n = int(min(MAX_DIVERGENCE_GRID_1D, np.ceil((b - a) / g.cell) + 1))
        xs = np.linspace(a, b, n)
        return M.divergences(mix.density(xs[:, None]), M.kde_1d(x, xs), float(xs[1] - xs[0]))

    # -- helpers ---------------------------------------------------------------
    def _cond(self, n: int, labels: Optional[np.ndarray] = None) -> Optional[torch.Tensor]:
        if not self.t.n_classes:
            return None
        lab = np.full(n, self.view_class) if labels is None else labels
        return self.t._onehot(torch.as_tensor(lab, device=self.t.device))

    def _to_display(self, raw: np.ndarray) -> np.ndarray:
        """Raw D outputs (M, ...) -> each GAN's display units."""
        return np.stack([get_loss(s.loss).to_prob(raw[i]) for i, s in enumerate(self.t.settings)])

    def _mbstd(self):
        return self.t._mbstd_real if self.t._mbstd is not None else None

    # -- per frame -------------------------------------------------------------
    @torch.no_grad()
    def _d_on(self, pts: np.ndarray, cond) -> np.ndarray:
        # With packing: D on a pack of copies of each grid point (Trainer.discriminate_points).
        x = torch.as_tensor(pts, dtype=torch.float32, device=self.t.device)
        x = x.unsqueeze(0).expand(self.t.m, *x.shape)
        return self.t.discriminate_points(x, cond, mbstd_value=self._mbstd()).cpu().numpy()

    def frame(self) -> dict:
        t, g = self.t, self.grid
        cond_grid = self._cond(len(g.points))
        d_raw = self._d_on(g.points, cond_grid).reshape((t.m,) + g.shape)
        z = self.z_fixed.unsqueeze(0).expand(t.m, *self.z_fixed.shape)
        cond_show = self._cond(N_SHOW)
        with torch.no_grad():
            xf = t.generate(z, cond_show)
        if t._fast_g:
            # The plain MLP: the trainer's hand-written backward, about 4x cheaper than autograd here.
            with torch.no_grad():
                out, cache = t.D.forward_cached(t._with_cond(xf, cond_show))
                f = out.squeeze(2)
                _, go = t._logit_grads(f, 0, "g")
                _, gx = t.D.backward_cached(cache, go.unsqueeze(2) * f.shape[1], weights=False, inputs=True)
                gx = gx[:, :, :t.dim]
        else:
            with torch.enable_grad():
                xg = xf.detach().requires_grad_(True)
                f = t.discriminate_points(xg, cond_show, mbstd_value=self._mbstd())
                loss = t._per_gan("g_loss", f) * f.shape[1]
                (gx,) = torch.autograd.grad(loss.sum(), xg)
        fake = xf.detach().cpu().numpy()
        out = {
            "step": t.step_count,
            "d_grid": self._to_display(d_raw),
            "fake": fake,
            "fake_grad": -gx.cpu().numpy(),
            "fake_d": self._to_display(f.detach().cpu().numpy()),
            "manifold": self._manifold(),
            "diverged": t.diverged.view(-1).cpu().numpy().copy(),
        }
        return out

    @torch.no_grad()
    def _manifold(self) -> Optional[np.ndarray]:
        t = self.t
        if t.dim != 2:
            return None
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
            x = t.generate(z, self._cond(r * c)).cpu().numpy()
            return x.reshape(t.m, r, c, t.dim)
        # Batch norm takes its statistics from the batch, and a grid of z is no sample of the prior:
        # normalise the grid with the statistics of the fixed sample behind the fakes shown.
        z = torch.cat([self.z_fixed, z])
        x = t.generate(z, self._cond(len(z)), norm_ref=N_SHOW)[:, N_SHOW:].cpu().numpy()
        return x.reshape(t.m, r, c, t.dim)

    # -- a few times a second ----------------------------------------------------
    @torch.no_grad()
    def metrics(self) -> dict:
        t, g = self.t, self.grid
        z = t.sample_z(N_EVAL, self.gen)
        xs = t.generate(z, self._cond(N_EVAL)).cpu().numpy().astype(np.float64)   # (M, N, d)
        p_data = self.p_data()
        mix = self._class_mixture()
        m = t.m
        res = {k: np.full(m, np.nan) for k in ("js", "kl_data_g", "kl_g_data", "w1", "modes", "hq_frac",
                                                 "d_real", "d_fake", "d_acc")}
        p_g = np.empty((m,) + g.shape)
        counts = np.zeros((m, mix.n_components), dtype=np.int64)
        # D's statistics on what it is trained on: packs of independent samples, when packing.
        real_t = torch.as_tensor(self.real_ref, dtype=torch.float32, device=t.device)
        real_t = t.pack_samples(real_t.unsqueeze(0).expand(m, *real_t.shape))
        d_real = t.discriminate(real_t, self._cond(real_t.shape[1]), mbstd_value=self._mbstd()).cpu().numpy()
        fk = t.pack_samples(torch.as_tensor(xs[:, :N_MODES], dtype=torch.float32, device=t.device))
        d_fake = t.discriminate(fk, self._cond(fk.shape[1]), mbstd_value=self._mbstd()).cpu().numpy()
        for i in range(m):
            x = xs[i]
            if not np.all(np.isfinite(x)):
                continue
            if t.dim == 1:
                p_g[i] = M.kde_1d(x[:, 0], g.x)
                res["w1"][i] = M.w1_1d(x[:, 0], mix)
                div = self._divergences_1d(x[:, 0], p_g[i], mix)
            else:
                p_g[i] = M.hist_density_2d(x, g.x, g.y, g.bandwidth)
                res["w1"][i] = M.sliced_w1(x[:N_MODES], self.real_ref)
                div = M.divergences(p_data, p_g[i], g.cell)
            res["js"][i], res["kl_data_g"][i], res["kl_g_data"][i] = div["js"], div["kl_data_g"], div["kl_g_data"]
            cov = M.mode_coverage(x[:N_MODES], mix)
            res["modes"][i], res["hq_frac"][i] = cov.modes_captured, cov.hq_frac
            counts[i] = cov.counts
            loss = get_loss(t.settings[i].loss)
            ds = M.discriminator_stats(d_real[i], d_fake[i], loss.to_prob)
            res["d_real"][i], res["d_fake"][i], res["d_acc"][i] = ds["d_real"], ds["d_fake"], ds["d_acc"]
        d_star = []
        for i, s in enumerate(t.settings):
            loss = get_loss(s.loss)
            if loss.d_star is None:
                d_star.append(None)
                continue
            ds = loss.d_star(p_data, p_g[i])
            if loss.has_probability:
                # One-sided label smoothing moves the optimum to (1 - s) p_data / (p_data + p_g).
                ds = (1.0 - s.label_smoothing) * ds
            d_star.append(ds)
        st = t.stats
        res.update({
            "d_loss": st.d_loss.cpu().numpy().astype(np.float64),
            "g_loss": st.g_loss.cpu().numpy().astype(np.float64),
            "grad_norm_d": st.grad_norm_d.cpu().numpy().astype(np.float64),
            "grad_norm_g": st.grad_norm_g.cpu().numpy().astype(np.float64),
        })
        return {"metrics": res, "p_g": p_g, "p_data": p_data, "d_star": d_star, "mode_counts": counts,
                "step": t.step_count}

