"""Hand-built snapshots for view tests, with known contents (no training needed)."""
from __future__ import annotations

import numpy as np

from ganviz.engine.snapshot import METRIC_KEYS, Snapshot, frozen


def synthetic_snapshot(dim: int = 1, m: int = 1, n: int = 256, step: int = 100, t: int = 50,
                       loss_ids=None, seed: int = 0) -> Snapshot:
    rng = np.random.default_rng(seed)
    loss_ids = tuple(loss_ids or ["ns"] * m)
    if dim == 1:
        gx = np.linspace(-4, 6, 200)
        gy = None
        means = np.array([[2.0]])
        p_data = np.exp(-0.5 * ((gx - 2.0) / 0.5) ** 2) / (0.5 * np.sqrt(2 * np.pi))
        p_g = np.stack([np.exp(-0.5 * ((gx - 1.0 - i) / 0.8) ** 2) / (0.8 * np.sqrt(2 * np.pi)) for i in range(m)])
        real = 2.0 + 0.5 * rng.standard_normal((n, 1))
        fake = np.stack([1.0 + i + 0.8 * rng.standard_normal((n, 1)) for i in range(m)])
        z = rng.standard_normal((n, 1))
        manifold = None
    else:
        gx = np.linspace(-3, 3, 64)
        gy = np.linspace(-3, 3, 48)
        ang = 2 * np.pi * np.arange(8) / 8
        means = 2.0 * np.stack([np.cos(ang), np.sin(ang)], 1)
        xx, yy = np.meshgrid(gx, gy)
        p_data = sum(np.exp(-((xx - mx) ** 2 + (yy - my) ** 2) / (2 * 0.1**2)) for mx, my in means) / 8
        p_g = np.stack([np.exp(-(xx**2 + yy**2) / 2) / (2 * np.pi) for _ in range(m)])
        lab = rng.integers(0, 8, n)
        real = means[lab] + 0.02 * rng.standard_normal((n, 2))
        fake = np.stack([rng.standard_normal((n, 2)) for _ in range(m)])
        z = rng.standard_normal((n, 2))
        u = np.linspace(-2, 2, 9)
        uu, vv = np.meshgrid(u, u)
        manifold = np.stack([np.stack([uu, vv], -1) * (1 + 0.1 * i) for i in range(m)])
    total = p_data[None] + p_g
    d_star = p_data[None] / np.maximum(total, 1e-12)
    d_grid = np.clip(d_star + 0.05, 0, 1)
    k = len(means)
    hist = {key: np.abs(rng.standard_normal((m, t))).astype(np.float32) for key in METRIC_KEYS}
    return Snapshot(
        step=step, dim=dim, loss_ids=loss_ids, labels=tuple(f"GAN {i + 1} ({l})" for i, l in enumerate(loss_ids)),
        grid_x=frozen(gx), grid_y=None if gy is None else frozen(gy),
        p_data=frozen(p_data), p_g=frozen(p_g), d_grid=frozen(d_grid), d_star=frozen(d_star),
        d_is_prob=tuple(True for _ in range(m)),
        real=frozen(real), real_labels=frozen(np.zeros(n) if dim == 1 else lab, np.int64),
        fake=frozen(fake), fake_labels=None,
        fake_grad=frozen(0.1 * rng.standard_normal((m, n, dim))),
        fake_d=frozen(rng.uniform(0.05, 0.4, (m, n))),
        z=frozen(z), manifold=None if manifold is None else frozen(manifold),
        means=frozen(means), mode_counts=frozen(rng.integers(0, 50, (m, k)), np.int64),
        latest={key: frozen(v[:, -1]) for key, v in hist.items()},
        history_steps=frozen(np.arange(t) * 10, np.int64),
        history={key: frozen(v) for key, v in hist.items()},
        diverged=frozen(np.zeros(m, bool), bool), running=True, steps_per_sec=500.0,
    )
