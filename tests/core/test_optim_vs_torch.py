"""The hand-written update rules of ganviz/core/optim.py against torch.optim, step for step.

optim.py writes its rules as pure functions on (M, P) weights, one row per GAN with its own
hyperparameters (M, 1), so that unrolled steps can be differentiated. Each rule with a
torch.optim counterpart must move the weights exactly as that optimizer does on the same
gradients; here every row is compared with its own torch optimizer over 20 steps of seeded
random gradients. Where optim.py deliberately leaves torch (negative momentum; the floor under
Adam's and RMSprop's square roots), the test checks the documented behaviour instead.
"""
from __future__ import annotations

import pytest
import torch

from ganviz.core.optim import OPTIMIZERS, FlatOptimizer

M, P, STEPS = 3, 40, 20
RTOL, ATOL = 1e-6, 1e-9

# Per GAN hyperparameters of a lockstep set; rows differ so that a mix-up between rows shows.
LR = (1e-2, 3e-3, 5e-2)
BETA1 = (0.5, 0.9, 0.0)
BETA2 = (0.999, 0.9, 0.99)
MOMENTUM = (0.9, 0.5, 0.0)


def torch_optimizer(kind: str, param: torch.Tensor, row: int) -> torch.optim.Optimizer:
    """The torch.optim counterpart of OPTIMIZERS[kind] with row `row`'s hyperparameters."""
    lr = LR[row]
    if kind == "sgd":
        return torch.optim.SGD([param], lr=lr)
    if kind == "momentum":
        return torch.optim.SGD([param], lr=lr, momentum=MOMENTUM[row], dampening=0.0, nesterov=False)
    if kind == "adam":
        return torch.optim.Adam([param], lr=lr, betas=(BETA1[row], BETA2[row]), eps=1e-8, amsgrad=False,
                                foreach=False, fused=False)
    if kind == "rmsprop":   # optim.py fixes alpha = 0.99 and eps = 1e-8, torch's defaults
        return torch.optim.RMSprop([param], lr=lr, alpha=0.99, eps=1e-8, momentum=0.0, centered=False,
                                   foreach=False)
    raise AssertionError(f"no torch.optim counterpart named for {kind!r}")


def hyper(dtype=torch.float64) -> dict:
    col = lambda vals: torch.tensor(vals, dtype=dtype).view(-1, 1)     # noqa: E731
    return {"lr": col(LR), "beta1": col(BETA1), "beta2": col(BETA2), "momentum": col(MOMENTUM)}


def gradients(dtype=torch.float64, steps: int = STEPS, scale: float = 1.0) -> list[torch.Tensor]:
    """Seeded random gradients whose size changes from step to step (as a GAN's do)."""
    gen = torch.Generator().manual_seed(1234)
    return [scale * torch.exp(torch.randn(M, 1, generator=gen, dtype=dtype))
            * torch.randn(M, P, generator=gen, dtype=dtype) for _ in range(steps)]


def initial(dtype=torch.float64) -> torch.Tensor:
    return torch.randn(M, P, generator=torch.Generator().manual_seed(99), dtype=dtype)


def torch_run(kind: str, grads: list[torch.Tensor], masks=None, dtype=torch.float64) -> torch.Tensor:
    """Each row stepped by its own torch optimizer; a row whose mask is False sits that step out."""
    p0 = initial(dtype)
    rows = []
    for r in range(M):
        param = p0[r].clone().requires_grad_(True)
        opt = torch_optimizer(kind, param, r)
        for i, g in enumerate(grads):
            if masks is not None and not masks[i][r]:
                continue
            param.grad = g[r].clone()
            opt.step()
        rows.append(param.detach())
    return torch.stack(rows)


def test_every_rule_is_checked_here():
    """A rule added to OPTIMIZERS must get its torch counterpart (or a documented difference) here."""
    assert set(OPTIMIZERS) == {"sgd", "momentum", "adam", "rmsprop"}


@pytest.mark.parametrize("kind", list(OPTIMIZERS))
def test_the_pure_rule_moves_every_gan_as_torch_optim_does(kind):
    opt = OPTIMIZERS[kind]
    p = initial()
    st = opt.init_state(p)
    h = hyper()
    for g in gradients():
        p, st = opt.update(p, g, st, h)
    torch.testing.assert_close(p, torch_run(kind, gradients()), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("kind", list(OPTIMIZERS))
def test_flat_optimizer_steps_in_place_as_torch_optim_does(kind):
    p = initial()
    fo = FlatOptimizer(kind, p)
    for g in gradients():
        fo.step(g, hyper(), None)
    torch.testing.assert_close(p, torch_run(kind, gradients()), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("kind", list(OPTIMIZERS))
def test_a_gan_masked_out_keeps_its_weights_and_state_as_if_it_had_not_stepped(kind):
    # exact=True: a GAN with a smaller k in lockstep sits a step out; Adam's step count t stays per GAN.
    gen = torch.Generator().manual_seed(7)
    masks = [torch.rand(M, generator=gen) < 0.6 for _ in range(STEPS)]
    p = initial()
    fo = FlatOptimizer(kind, p)
    for g, mask in zip(gradients(), masks):
        fo.step(g, hyper(), mask.view(-1, 1), exact=True)
    torch.testing.assert_close(p, torch_run(kind, gradients(), masks), rtol=RTOL, atol=ATOL)


def test_adam_with_shared_hyperparameters_uses_torchs_fused_kernel_and_matches_torch_optim():
    # Every GAN shares lr and betas (hyper["uniform"]): FlatOptimizer calls torch._fused_adam_ directly,
    # bumping the step count itself; it must agree with torch.optim.Adam all the same. float32 as in training.
    if not hasattr(torch, "_fused_adam_"):
        pytest.skip("this torch has no fused Adam kernel; the plain rule is checked above")
    lr, b1, b2 = 2e-3, 0.5, 0.999
    f32 = torch.float32
    h = {"lr": torch.full((M, 1), lr), "beta1": torch.full((M, 1), b1), "beta2": torch.full((M, 1), b2),
         "momentum": torch.zeros(M, 1), "uniform": {"lr": lr, "beta1": b1, "beta2": b2}}
    p = initial(f32)
    fo = FlatOptimizer("adam", p)
    grads = gradients(f32)
    for g in grads:
        fo.step(g, h, None, exact=False)
    assert "t0" in fo.state, "the fused kernel was not used"
    assert torch.equal(fo.state["t"], torch.full((M, 1), float(STEPS)))
    ref = initial(f32).clone().requires_grad_(True)
    opt = torch.optim.Adam([ref], lr=lr, betas=(b1, b2), eps=1e-8, foreach=False, fused=False)
    for g in grads:
        ref.grad = g.clone()
        opt.step()
    torch.testing.assert_close(p, ref.detach(), rtol=1e-5, atol=1e-7)


# ------------------------------------------------------------------ where optim.py leaves torch.optim
def test_negative_momentum_follows_the_heavy_ball_recursion_torch_refuses():
    # optim.py allows mu in (-1, 1) (negative momentum, Gidel et al. 2019; validate_train checks the
    # range); torch.optim.SGD rejects mu < 0, so the rule is checked against the closed form instead:
    # a constant gradient g gives b_t = g (1 - mu^t) / (1 - mu) and theta_t = theta_0 - lr * sum_s b_s.
    mu, lr, steps = -0.5, 0.1, 12
    with pytest.raises(ValueError):
        torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr, momentum=mu)
    opt = OPTIMIZERS["momentum"]
    p0 = initial()
    g = torch.randn(M, P, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    h = {"lr": torch.full((M, 1), lr, dtype=torch.float64), "momentum": torch.full((M, 1), mu, dtype=torch.float64)}
    p, st = p0, opt.init_state(p0)
    for _ in range(steps):
        p, st = opt.update(p, g, st, h)
    bufs = sum((1 - mu ** t) / (1 - mu) for t in range(1, steps + 1))
    torch.testing.assert_close(st["buf"], g * (1 - mu ** steps) / (1 - mu), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(p, p0 - lr * bufs * g, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", ["adam", "rmsprop"])
def test_tiny_gradients_still_match_torch_despite_the_floor_under_the_square_root(kind):
    # The 1e-30 under sqrt(v) only matters where v itself is ~1e-30; at gradients of 1e-6 it is invisible.
    grads = gradients(scale=1e-6)
    opt = OPTIMIZERS[kind]
    p, st = initial(), opt.init_state(initial())
    for g in grads:
        p, st = opt.update(p, g, st, hyper())
    torch.testing.assert_close(p, torch_run(kind, grads), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("kind", ["adam", "rmsprop"])
def test_the_floor_keeps_an_unrolled_step_differentiable_where_the_gradient_is_zero(kind):
    # The documented reason for the floor (unrolled GANs, Metz et al. 2016, differentiate through the
    # update): at g = 0, d sqrt(v)/dv is infinite and torch's formula gives NaN; optim.py's stays finite.
    opt = OPTIMIZERS[kind]
    p = initial().requires_grad_(True)
    g = torch.zeros(M, P, dtype=torch.float64, requires_grad=True)
    new_p, _ = opt.update(p, g * p, opt.init_state(p.detach()), hyper())
    (grad_p,) = torch.autograd.grad(new_p.sum(), p)
    assert torch.isfinite(grad_p).all()

    # The same first step without the floor, sqrt(v) + eps as torch.optim writes it, has no usable
    # derivative there: the chain rule multiplies an infinite d sqrt(v)/dv by dv/dp = 0.
    x = g * p
    v = (0.01 if kind == "rmsprop" else 1.0) * x * x     # Adam's first step: v_hat = g^2
    naive = p - 0.01 * x / (v.sqrt() + 1e-8)
    (grad_naive,) = torch.autograd.grad(naive.sum(), p)
    assert not torch.isfinite(grad_naive).all()
