"""Drawing batches of a `Mixture` on a torch device, from a caller's seeded generator."""
from __future__ import annotations

import numpy as np
import torch

from ganviz.core.data import Mixture


def torch_sampler(mixture: Mixture, device: torch.device | str = "cpu", dtype=torch.float32) -> "TorchSampler":
    return TorchSampler(mixture, torch.device(device), dtype)


class TorchSampler:
    """Draws from a Mixture on a torch device with a caller-supplied generator."""

    def __init__(self, mixture: Mixture, device: torch.device, dtype=torch.float32):
        self.mixture = mixture
        self.device = device
        self.means = torch.tensor(mixture.means, dtype=dtype, device=device)
        self.chol = torch.tensor(mixture._chol, dtype=dtype, device=device)
        self.weights = torch.tensor(mixture.weights, dtype=dtype, device=device)
        self.equal_weights = bool(np.allclose(mixture.weights, mixture.weights[0]))
        self.cdf = torch.tensor(np.cumsum(mixture.weights), dtype=torch.float64 if device.type == "cpu" else dtype,
                                device=device)
        self.dim = mixture.dim
        self.isotropic = bool(
            np.allclose(mixture._chol, np.diagonal(mixture._chol, axis1=1, axis2=2)[:, :1, None] * np.eye(mixture.dim))
        )
        self.std = self.chol[:, 0, 0].unsqueeze(1) if self.isotropic else None
        # Means and stds side by side: one gather per batch instead of two.
        self._mean_std = torch.cat([self.means, self.std], dim=1) if self.isotropic else None

    def labels(self, n: int, gen: torch.Generator) -> torch.Tensor:
        if self.equal_weights:
            return torch.randint(0, len(self.cdf), (n,), generator=gen, device=self.device)
        # Inverse-CDF sampling: two cheap ops, where multinomial costs ~20 us a call.
        u = torch.rand(n, generator=gen, device=self.device, dtype=self.cdf.dtype)
        return torch.searchsorted(self.cdf, u, right=True).clamp_(max=len(self.cdf) - 1)

    def sample(self, n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        labels = self.labels(n, gen)
        eps = torch.randn(n, self.dim, generator=gen, device=self.device, dtype=self.means.dtype)
        if self.isotropic:
            ms = self._mean_std[labels]
            x = torch.addcmul(ms[:, :self.dim], ms[:, self.dim:], eps)
        else:
            x = self.means[labels] + torch.bmm(self.chol[labels], eps.unsqueeze(2)).squeeze(2)
        return x, labels
