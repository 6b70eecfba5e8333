"""The losses' torch implementations, keyed by the ids of `ganviz.core.losses.LOSSES`.

Losses take raw D outputs ("logits" for the cross-entropy losses) and are written
in softplus form so that nothing overflows at |logit| = 100.

Conventions: `d_loss(real, fake, smooth, margin)` and `g_loss(fake)` take tensors
whose last axis is the batch and return the mean over it (one value per GAN of a
batched set). Both are minimised. `smooth` (one-sided label smoothing) is read by
the cross-entropy and least-squares losses, `margin` by EBGAN only; each is a
number or a per-GAN column. `d_grad` and `g_grad` are the analytic
per-sample gradients with respect to the raw outputs, which let the trainer skip
autograd on the loss; tests check them against autograd, and `g_loss_elem`
against the registry's numpy `g_np`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from ganviz.core.losses import LOSSES, ML_LINEAR_FROM, get_loss

Tensor = torch.Tensor


def _bce_real(r: Tensor, smooth) -> Tensor:
    # Cross-entropy with target t = 1 - smooth: t*softplus(-r) + (1-t)*softplus(r).
    if isinstance(smooth, (int, float)) and smooth == 0:
        return F.softplus(-r)
    return F.softplus(-r) + smooth * r


def _ce_d_loss(r: Tensor, f: Tensor, smooth=0.0, margin=1.0) -> Tensor:
    return _bce_real(r, smooth).mean(-1) + F.softplus(f).mean(-1)


def _ls_d_loss(r: Tensor, f: Tensor, smooth=0.0, margin=1.0) -> Tensor:
    b = 1.0 - 2.0 * smooth  # smoothing by s moves the real target to 1 - s in probability units
    return 0.5 * ((r - b) ** 2).mean(-1) + 0.5 * ((f + 1.0) ** 2).mean(-1)


def _w_d_loss(r: Tensor, f: Tensor, smooth=0.0, margin=1.0) -> Tensor:
    return f.mean(-1) - r.mean(-1)


def _hinge_d_loss(r: Tensor, f: Tensor, smooth=0.0, margin=1.0) -> Tensor:
    return F.relu(1.0 - r).mean(-1) + F.relu(1.0 + f).mean(-1)


# Analytic gradients with respect to the raw outputs, per sample (the batch mean's 1/N is applied by
# the caller).
def _ce_d_grad(r: Tensor, f: Tensor, smooth=0.0, margin=1.0) -> tuple[Tensor, Tensor]:
    return torch.sigmoid(r) - (1.0 - smooth), torch.sigmoid(f)


def _ls_d_grad(r: Tensor, f: Tensor, smooth=0.0, margin=1.0) -> tuple[Tensor, Tensor]:
    return r - (1.0 - 2.0 * smooth), f + 1.0


def _w_d_grad(r: Tensor, f: Tensor, smooth=0.0, margin=1.0) -> tuple[Tensor, Tensor]:
    return torch.full_like(r, -1.0), torch.ones_like(f)


def _hinge_d_grad(r: Tensor, f: Tensor, smooth=0.0, margin=1.0) -> tuple[Tensor, Tensor]:
    return -(r < 1.0).to(r.dtype), (f > -1.0).to(f.dtype)


def _ml_g_grad(f: Tensor) -> Tensor:
    return -torch.exp(torch.clamp(f, max=ML_LINEAR_FROM))


def _ml_g(f: Tensor) -> Tensor:
    c = ML_LINEAR_FROM
    inside = torch.exp(torch.clamp(f, max=c))
    return -torch.where(f <= c, inside, inside * (1.0 + f - c))


def _exp_lin(x: Tensor) -> Tensor:
    """exp(x), continued linearly beyond ML_LINEAR_FROM (the registry's `exp_lin`): finite at |v| = 100."""
    c = ML_LINEAR_FROM
    inside = torch.exp(torch.clamp(x, max=c))
    return torch.where(x <= c, inside, inside * (1.0 + x - c))


def _exp_lin_slope(x: Tensor) -> Tensor:
    return torch.exp(torch.clamp(x, max=ML_LINEAR_FROM))


_LOG2 = math.log(2.0)

# The f-GAN family: D minimises mean a(v_real) + mean b(v_fake), with a(v) = -g_f(v) and b(v) = f*(g_f(v))
# (ganviz.core.losses._f_gan); G minimises mean -b(v_fake), the saddle objective. Per id: (a, a', b, b').
_F_GAN_PARTS: dict[str, tuple[Callable[[Tensor], Tensor], ...]] = {
    "kl": (lambda r: -r, lambda r: torch.full_like(r, -1.0), lambda f: _exp_lin(f - 1.0),
           lambda f: _exp_lin_slope(f - 1.0)),
    "rkl": (lambda r: _exp_lin(-r), lambda r: -_exp_lin_slope(-r), lambda f: f - 1.0, torch.ones_like),
    "pearson": (lambda r: -r, lambda r: torch.full_like(r, -1.0), lambda f: f * f / 4.0 + f, lambda f: f / 2.0 + 1.0),
    "hellinger": (lambda r: _exp_lin(-r) - 1.0, lambda r: -_exp_lin_slope(-r), lambda f: _exp_lin(f) - 1.0,
                  _exp_lin_slope),
    "js": (lambda r: F.softplus(-r) - _LOG2, lambda r: torch.sigmoid(r) - 1.0, lambda f: F.softplus(f) - _LOG2,
           torch.sigmoid),
    "gan": (lambda r: F.softplus(-r), lambda r: torch.sigmoid(r) - 1.0, F.softplus, torch.sigmoid),
}


def _f_gan_torch(fid: str) -> "TorchLoss":
    a, a1, b, b1 = _F_GAN_PARTS[fid]
    return TorchLoss(f"fgan-{fid}",
                     lambda r, f, smooth=0.0, margin=1.0: a(r).mean(-1) + b(f).mean(-1),
                     lambda f: -b(f),
                     lambda r, f, smooth=0.0, margin=1.0: (a1(r), b1(f)),
                     lambda f: -b1(f))


# EBGAN on energies E >= 0 (D's output): D minimises mean E(x) + mean max(m - E(G(z)), 0), G mean E(G(z)).
def _ebgan_d_loss(r: Tensor, f: Tensor, smooth=0.0, margin=1.0) -> Tensor:
    return r.mean(-1) + F.relu(margin - f).mean(-1)


def _ebgan_d_grad(r: Tensor, f: Tensor, smooth=0.0, margin=1.0) -> tuple[Tensor, Tensor]:
    return torch.ones_like(r), -(f < margin).to(f.dtype)


@dataclass(frozen=True)
class TorchLoss:
    id: str
    d_loss: Callable[..., Tensor]
    g_loss_elem: Callable[[Tensor], Tensor]
    d_grad: Callable[..., tuple[Tensor, Tensor]]    # per-sample d(d_loss)/d(real, fake)
    g_grad: Callable[[Tensor], Tensor]              # per-sample d(g_loss)/d(fake)

    def g_loss(self, fake: Tensor) -> Tensor:
        return self.g_loss_elem(fake).mean(-1)


def _minus_ones(f: Tensor) -> Tensor:
    return torch.full_like(f, -1.0)


TORCH_LOSSES: dict[str, TorchLoss] = {
    t.id: t
    for t in [
        TorchLoss("minimax", _ce_d_loss, lambda f: -F.softplus(f), _ce_d_grad, lambda f: -torch.sigmoid(f)),
        TorchLoss("ns", _ce_d_loss, lambda f: F.softplus(-f), _ce_d_grad, lambda f: torch.sigmoid(f) - 1.0),
        TorchLoss("logratio", _ce_d_loss, lambda f: -f, _ce_d_grad, _minus_ones),
        TorchLoss("ml", _ce_d_loss, _ml_g, _ce_d_grad, _ml_g_grad),
        TorchLoss("lsgan", _ls_d_loss, lambda f: 0.5 * f**2, _ls_d_grad, lambda f: f.clone()),
        TorchLoss("wgan", _w_d_loss, lambda f: -f, _w_d_grad, _minus_ones),
        TorchLoss("wgan-gp", _w_d_loss, lambda f: -f, _w_d_grad, _minus_ones),
        TorchLoss("hinge", _hinge_d_loss, lambda f: -f, _hinge_d_grad, _minus_ones),
        TorchLoss("ebgan", _ebgan_d_loss, lambda f: f.clone(), _ebgan_d_grad, torch.ones_like),
        *(_f_gan_torch(fid) for fid in _F_GAN_PARTS),
    ]
}
assert set(TORCH_LOSSES) == set(LOSSES), "every registered loss needs its torch implementation"


def torch_loss(loss_id: str) -> TorchLoss:
    """The torch implementation of a registered loss (UnknownLoss, naming the choices, otherwise)."""
    return TORCH_LOSSES[get_loss(loss_id).id]
