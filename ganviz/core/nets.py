"""Batched MLPs: M independent networks stacked on a leading axis, trained in lockstep.

All weights of the M networks live in one flat (M, P) tensor; the layers are views
into it. One matrix product per layer serves all M networks (torch.baddbmm), and
an optimizer updates every weight with a handful of whole-tensor operations. At
the sizes of toy GANs the cost is per-operation overhead, not arithmetic, so this
is what makes ganviz faster than a tutorial loop, and M = 1 is simply the plain
case of the same code.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Optional

import torch
import torch.nn.functional as F

Tensor = torch.Tensor

ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "relu": torch.relu,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "tanh": torch.tanh,
}


@dataclass(frozen=True)
class Layout:
    in_dim: int
    out_dim: int
    hidden: int
    layers: int          # number of hidden layers
    extra_last: int = 0  # extra inputs to the last layer (the minibatch-std feature)

    def shapes(self) -> list[tuple[int, int]]:
        dims = [self.in_dim] + [self.hidden] * self.layers
        shapes = [(dims[i], dims[i + 1]) for i in range(self.layers)]
        shapes.append((dims[-1] + self.extra_last, self.out_dim))
        return shapes

    def size(self) -> int:
        return sum(i * o + o for i, o in self.shapes())


class BatchedMLP:
    """M MLPs with identical layout; weights in `self.flat` (M, P), a leaf tensor."""

    def __init__(self, m: int, layout: Layout, activation: str, device: torch.device,
                 gen: torch.Generator, shared_init: bool = True, dtype=torch.float32):
        if activation not in ACTIVATIONS:
            raise ValueError(f"model.activation: unknown activation {activation!r}; choose one of "
                             f"{', '.join(ACTIVATIONS)}")
        self.m = m
        self.layout = layout
        self.act = ACTIVATIONS[activation]
        self.device = device
        self._slices = []
        off = 0
        for i, o in layout.shapes():
            self._slices.append((off, i, o))
            off += i * o + o
        self.flat = self._init(gen, shared_init, dtype).requires_grad_(True)
        # Power-iteration vectors for spectral normalisation, one per layer and network. A fixed start
        # (no random draw) keeps the random stream independent of M.
        self._sn_u = [torch.full((m, o), o ** -0.5, device=device, dtype=dtype) for _, _, o in self._slices]

    def _init(self, gen: torch.Generator, shared: bool, dtype) -> Tensor:
        # PyTorch's nn.Linear default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases.
        rows = 1 if shared else self.m
        parts = []
        for _, i, o in self._slices:
            bound = 1.0 / math.sqrt(i)
            w = torch.rand(rows, i * o + o, device=self.device, generator=gen, dtype=dtype)
            parts.append((w * 2 - 1) * bound)
        flat = torch.cat(parts, dim=1)
        return flat.expand(self.m, -1).clone() if shared else flat

    @property
    def n_layers(self) -> int:
        return len(self._slices)

    def weights(self, flat: Optional[Tensor] = None) -> list[tuple[Tensor, Tensor]]:
        flat = self.flat if flat is None else flat
        out = []
        for off, i, o in self._slices:
            w = flat[:, off:off + i * o].view(self.m, i, o)
            b = flat[:, off + i * o:off + i * o + o].view(self.m, 1, o)
            out.append((w, b))
        return out

    def _sn_scale(self, layer: int, w: Tensor, update: bool) -> Tensor:
        """Estimated largest singular value of w (M, in, out) per network: (M, 1, 1)."""
        with torch.no_grad():
            u = self._sn_u[layer]
            v = F.normalize(torch.bmm(w, u.unsqueeze(2)).squeeze(2), dim=1)        # (M, in)
            u_new = F.normalize(torch.bmm(v.unsqueeze(1), w).squeeze(1), dim=1)    # (M, out)
            if update:
                self._sn_u[layer] = u_new
        # sigma = v^T W u, differentiable in W as in Miyato et al. 2018.
        sigma = torch.bmm(torch.bmm(v.unsqueeze(1), w), u_new.unsqueeze(2))
        return sigma.clamp_min(1e-8)

    def forward(self, x: Tensor, flat: Optional[Tensor] = None, sn: Optional[Tensor] = None,
                sn_update: bool = False, mbstd: Optional[Tensor] = None, groups: int = 1,
                mbstd_value: Optional[Tensor] = None) -> Tensor:
        """x (M, N, in) -> (M, N, out).

        sn (M, 1, 1) bool: divide each layer by its spectral norm for those networks.
        mbstd (M, 1, 1) float 0/1: append the minibatch standard deviation feature
        (Karras et al. 2018) to the last hidden layer, computed separately for each of
        `groups` equal consecutive chunks of the batch (real and fake are never mixed),
        or taken from `mbstd_value` (M, 1, 1) when given (for evaluation on a grid).
        """
        h = x
        ws = self.weights(flat)
        last = len(ws) - 1
        for li, (w, b) in enumerate(ws):
            if sn is not None:
                w = torch.where(sn, w / self._sn_scale(li, w, sn_update), w)
            if li == last and self.layout.extra_last:
                hid = self.layout.hidden if self.layout.layers else self.layout.in_dim
                out = torch.baddbmm(b, h, w[:, :hid])
                if mbstd is not None:
                    feat = mbstd_value if mbstd_value is not None else self.minibatch_std(h, groups)
                    out = out + (mbstd * feat) * w[:, hid:hid + 1]
                return out
            h = torch.baddbmm(b, h, w)
            if li < last:
                h = self.act(h)
        return h

    @staticmethod
    def minibatch_std(h: Tensor, groups: int) -> Tensor:
        m, n, c = h.shape
        g = h.view(m, groups, n // groups, c)
        # sqrt(var + eps) as in Karras et al. 2018: std's gradient at zero spread would be NaN.
        s = (g.var(dim=2, unbiased=False) + 1e-8).sqrt().mean(dim=2, keepdim=True)  # (M, groups, 1)
        return s.unsqueeze(2).expand(m, groups, n // groups, 1).reshape(m, n, 1)

    def __call__(self, x: Tensor, **kw) -> Tensor:
        return self.forward(x, **kw)
