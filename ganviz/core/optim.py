"""Optimizers for batched flat weights, with a learning rate per network.

Each update is a pure function (params, grad, state, hyper) -> (params, state), so
that the same code serves the real step and the differentiable unrolled steps of
an unrolled GAN (Metz et al. 2016). Hyperparameters are (M, 1) tensors: every GAN
of a lockstep set has its own learning rate, betas and momentum.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

Tensor = torch.Tensor
State = dict[str, Tensor]


def _sgd(p: Tensor, g: Tensor, st: State, h: dict) -> tuple[Tensor, State]:
    return p - h["lr"] * g, st


def _momentum(p: Tensor, g: Tensor, st: State, h: dict) -> tuple[Tensor, State]:
    buf = h["momentum"] * st["buf"] + g
    return p - h["lr"] * buf, {"buf": buf}


def _adam(p: Tensor, g: Tensor, st: State, h: dict) -> tuple[Tensor, State]:
    b1, b2 = h["beta1"], h["beta2"]
    t = st["t"] + 1
    m = torch.lerp(g, st["m"], b1)          # b1*m + (1-b1)*g
    v = torch.lerp(g * g, st["v"], b2)
    mhat = m / (1 - b1**t)
    vhat = v / (1 - b2**t)
    # The tiny floor keeps d sqrt(v)/dv finite at v = 0 when unrolled steps are differentiated.
    return p - h["lr"] * mhat / ((vhat + 1e-30).sqrt() + 1e-8), {"m": m, "v": v, "t": t}


def _rmsprop(p: Tensor, g: Tensor, st: State, h: dict) -> tuple[Tensor, State]:
    v = torch.lerp(g * g, st["v"], 0.99)
    return p - h["lr"] * g / ((v + 1e-30).sqrt() + 1e-8), {"v": v}


@dataclass(frozen=True)
class Optimizer:
    id: str
    name: str
    rule: str               # the update rule, as text for tooltips and docs
    hyper: tuple[str, ...]  # the hyperparameters it reads besides lr
    state: tuple[str, ...]
    update: Callable[[Tensor, Tensor, State, dict], tuple[Tensor, State]]

    def init_state(self, p: Tensor) -> State:
        st = {name: torch.zeros_like(p) for name in self.state}
        if "t" in st:
            st["t"] = torch.zeros(p.shape[0], 1, device=p.device, dtype=p.dtype)
        return st


OPTIMIZERS: dict[str, Optimizer] = {
    o.id: o
    for o in [
        Optimizer("sgd", "SGD", "theta <- theta - lr * g", (), (), _sgd),
        Optimizer("momentum", "SGD + momentum", "b <- mu * b + g;  theta <- theta - lr * b  (mu < 0: negative momentum)",
                  ("momentum",), ("buf",), _momentum),
        Optimizer("adam", "Adam", "m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;  "
                  "theta <- theta - lr * m_hat / (sqrt(v_hat) + eps)", ("beta1", "beta2"), ("m", "v", "t"), _adam),
        Optimizer("rmsprop", "RMSprop", "v <- 0.99 v + 0.01 g^2;  theta <- theta - lr * g / (sqrt(v) + eps)",
                  (), ("v",), _rmsprop),
    ]
}


class FlatOptimizer:
    """Keeps the state of one optimizer for a (M, P) weight tensor and applies masked steps."""

    def __init__(self, kind: str, params: Tensor):
        self.kind = OPTIMIZERS[kind]
        self.params = params
        self.state = self.kind.init_state(params.detach())
        self._t_uniform = True   # every GAN has taken the same number of steps

    def _fused(self, grad: Tensor, uniform: dict, mask: Tensor | None = None) -> bool:
        """PyTorch's fused Adam kernel: one call instead of ~16 tensor ops, when every GAN shares the
        hyperparameters and the step count (torch >= 2.4 on the CPU; skipped where it is missing).

        mask: (M, 1), False for a blown-up GAN. Its gradient and its first moment are zeroed, so that its
        update lr * m_hat / (sqrt(v_hat) + eps) is exactly 0: with the gradient alone zeroed, the decaying
        moment went on moving the weights of a GAN shown as stopped."""
        if self.kind.id != "adam" or not self._t_uniform or not hasattr(torch, "_fused_adam_"):
            return False
        st = self.state
        if mask is not None:
            grad = torch.where(mask, grad, 0.0)
            st["m"].mul_(mask)
        if "t0" not in st:
            st["t0"] = st["t"].reshape(-1)[0].clone()
        st["t0"] += 1     # the kernel reads the step count; torch.optim increments it before the call
        torch._fused_adam_([self.params], [grad], [st["m"]], [st["v"]], [], [st["t0"]], amsgrad=False,
                           lr=uniform["lr"], beta1=uniform["beta1"], beta2=uniform["beta2"], weight_decay=0.0,
                           eps=1e-8, maximize=False)
        st["t"] = st["t0"].expand_as(st["t"])
        return True

    def step(self, grad: Tensor, hyper: dict, mask: Tensor | None, exact: bool = True) -> None:
        """Update in place; networks whose mask (M, 1) is False keep their weights.

        exact: they keep their optimizer state too (needed when a GAN merely sits out a step, e.g.
        a smaller k in lockstep). Otherwise (only blown-up GANs are masked) the cheaper path zeroes
        their gradient and learning rate (the fused Adam kernel: their first moment), and their moment
        estimates may decay; their weights stay exactly as they were.
        """
        with torch.no_grad():
            p = self.params
            if mask is not None and p.device.type == "cpu" and bool(mask.all()):
                mask = None     # every GAN steps: on the CPU one look costs less than masking (no device to wait on)
            uniform = hyper.get("uniform")
            if not exact and uniform is not None and p.device.type in ("cpu", "cuda"):
                # A blown-up GAN gets a zero gradient and first moment: its weights stay, its v only decays.
                if self._fused(grad, uniform, mask):
                    return
            if mask is not None and not exact:
                grad = torch.where(mask, grad, 0.0)
                hyper = dict(hyper, lr=hyper["lr"] * mask)
                mask = None
            elif mask is not None:
                self._t_uniform = False
            self.state.pop("t0", None)
            new_p, new_st = self.kind.update(p, grad, self.state, hyper)
            if mask is None:
                p.copy_(new_p)
                self.state = new_st
            else:
                p.copy_(torch.where(mask, new_p, p))
                self.state = {k: torch.where(mask, v, self.state[k]) for k, v in new_st.items()}

    def state_changed(self) -> None:
        """Call after writing `state` from outside (e.g. carrying GANs over into a new set): the fused
        Adam kernel may be used only while every GAN has taken the same number of steps."""
        self.state.pop("t0", None)
        if "t" in self.state:
            t = self.state["t"]
            self._t_uniform = bool((t == t.reshape(-1)[0]).all())

    def reset(self, kind: str | None = None) -> None:
        if kind is not None:
            self.kind = OPTIMIZERS[kind]
        self.state = self.kind.init_state(self.params.detach())
        self._t_uniform = True
