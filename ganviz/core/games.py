"""Two-player games small enough to see why GAN training cycles instead of converging.

A game has two scalar players, x and y, and a *vector field* v(p) = (v_x, v_y)
that holds each player's descent direction of its own objective: gradient
descent moves p by +lr * v(p). Every integrator in `INTEGRATORS` reads only v
(and, for consensus optimisation, its Jacobian), so the same code runs on every
game.

Whether a method converges is a property of its own one-step map, not of the
field alone: `verdict` gives the spectral radius rho of each method's map
linearised at the equilibrium (rho < 1 converges, = 1 circles, > 1 diverges,
near the equilibrium), and `measure` says what a run actually did, which is
what decides where rho = 1 or the run starts far from the equilibrium.

Bilinear game. V(x, y) = x * y, x minimises and y maximises:
v(x, y) = (-dV/dx, +dV/dy) = (-y, x), a rotation about the equilibrium (0, 0)
whose Jacobian [[0, -1], [1, 0]] has eigenvalues +-i. Some texts write the
game as V(x, y) = -xy: minimising -xy is maximising xy, so with the players'
roles swapped it is this game, and with x still minimising it is the same
rotation turning clockwise instead of anticlockwise.

Dirac-GAN (Mescheder, Geiger & Nowozin 2018, "Which training methods for GANs
actually converge?"). p_data is a point mass at 0, the generator a point mass at
theta, the discriminator D(x) = psi * x; the axes are (x, y) = (theta, psi). Its
field is computed from the loss registry (`ganviz.core.losses.LOSSES`, the one
home of every loss formula): D's logit on the real sample is psi * 0, on the fake
one psi * theta; D minimises the registry's `d_loss` plus a regulariser, G
minimises `g_loss`; the field and its Jacobian come from each loss's first and second
derivatives, in numpy (tests check them against autograd through the torch losses). What the paper
proves, and what this module's tests check numerically:

- Unregularised, most losses have purely imaginary eigenvalues at (0, 0)
  (+-i f'(0); the LSGAN's are 0, 0): the flow does not converge at a linear rate,
  and neither does gradient descent, simultaneous or alternating. For the minimax
  loss and WGAN the flow keeps theta^2 + psi^2 constant (paper, Lemma 2.3),
  simultaneous gradient descent spirals out, alternating gradient descent circles.
  The non-saturating loss breaks the symmetry slightly:
  d(theta^2 + psi^2)/dt = -2 t tanh(t/2) with t = psi theta, a fourth-order
  term, so its circles tighten only sublinearly (|p| ~ 1/sqrt(time)), and under
  simultaneous gradient descent, which pushes out by rho per step, the two settle
  on a cycle of radius ~ sqrt(2 eta). Extragradient, optimistic and consensus
  steps change the map, not the field, and converge linearly for small eta. WGAN
  is modelled without weight clipping; clipping psi does not help (paper, Sec. 3).
- R1 (gamma/2 psi^2), instance noise and the zero-centred gradient penalty give
  eigenvalues with negative real parts (instance noise only for losses with
  f''(0) != 0: WGAN's linear loss is blind to it), and small-lr gradient descent
  converges to (0, 0).
- WGAN-GP's penalty lambda (|grad_x D| - 1)^2 = lambda (|psi| - 1)^2 pushes |psi|
  towards 1, not 0: its field jumps by 4 lambda across psi = 0, so (0, 0) is no
  rest point and its Jacobian there is only one-sided. Numerically the iterates
  never converge to (0, 0): with a weak penalty they settle on a cycle around
  it, with a strong one they stall on the theta axis far from the data (for the
  WGAN loss at theta = +-2 lambda). This is the paper's "WGAN-GP does not always
  converge". The gradient penalty that converges is the zero-centred one
  (`gp0`), which for D(x) = psi x is R1 (grad_x D = psi everywhere).
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Callable, Iterator, Optional

import numpy as np
import scipy.linalg

from ganviz.core.losses import LOSSES, ML_LINEAR_FROM, Loss, get_loss

# An iterate this far from the equilibrium has diverged; stopping there keeps
# every number finite (and JSON-safe) instead of running into inf and nan.
DIVERGED_AT = 1e6

# The flow's RK4 substep. Its error on the rotation is about h^5 / 120 per substep,
# and it shrinks the radius by ~h^6 / 144 per substep: ~1e-7 over 50 time units.
FLOW_MAX_SUBSTEP = 0.05

# |Re λ| below this is 0: the autograd Jacobians are exact to rounding, the noise quadrature to ~1e-9.
EIGEN_TOL = 1e-9

# Gauss-Hermite nodes for instance noise: with 32 the field is exact to ~1e-9 for |psi| <= 2, sigma <= 1
# (the sigmoid's complex poles limit how fast the quadrature converges).
NOISE_NODES = 32


class Game(ABC):
    """A two-player game in the plane (see the module docstring for conventions)."""

    id: str
    name: str
    axes: tuple[str, str]
    equilibrium: np.ndarray
    default_start: tuple[float, float] = (1.0, 1.0)
    # Half-width of the square around the equilibrium that shows the game well.
    extent: float = 2.0

    @property
    def equilibrium_note(self) -> str:
        """Why the eigenvalues at the equilibrium do or do not tell the whole story, for every method."""
        return ""

    @property
    def smooth_at_equilibrium(self) -> bool:
        """False where v is discontinuous at the equilibrium, so its eigenvalues decide nothing."""
        return True

    @abstractmethod
    def vector_field(self, p) -> np.ndarray:
        """Each player's descent direction at p, an array (..., 2) of points; same shape back."""

    def jacobian(self, p) -> np.ndarray:
        """d v / d p at the point p, a (2, 2) array (central differences unless a game knows better)."""
        p = np.asarray(p, dtype=np.float64)
        h = 1e-6 * max(1.0, float(np.abs(p).max()))
        cols = [(self.vector_field(p + e) - self.vector_field(p - e)) / (2 * h) for e in np.eye(2) * h]
        return np.stack(cols, axis=-1)

    def field_and_jacobian(self, p) -> tuple[np.ndarray, np.ndarray]:
        return self.vector_field(p), self.jacobian(p)

    def eigenvalues(self) -> np.ndarray:
        """Eigenvalues of the Jacobian at the equilibrium, sorted by imaginary part."""
        ev = np.linalg.eigvals(self.jacobian(self.equilibrium))
        return ev[np.lexsort((ev.real, ev.imag))]

    def distance(self, points) -> np.ndarray:
        return np.linalg.norm(np.asarray(points, dtype=np.float64) - self.equilibrium, axis=-1)


class Bilinear(Game):
    """V(x, y) = x * y with x minimising and y maximising: v(x, y) = (-y, x)."""

    id = "bilinear"
    name = "Bilinear game V(x, y) = x y"
    axes = ("x (minimises V)", "y (maximises V)")
    equilibrium = np.zeros(2)

    @property
    def equilibrium_note(self) -> str:
        return "a pure rotation: the flow keeps |p| constant"

    def vector_field(self, p) -> np.ndarray:
        p = np.asarray(p, dtype=np.float64)
        return np.stack([-p[..., 1], p[..., 0]], axis=-1)

    def jacobian(self, p) -> np.ndarray:
        return np.array([[0.0, -1.0], [1.0, 0.0]])


@dataclass(frozen=True)
class Regulariser:
    id: str
    name: str
    formula: str          # as a general GAN regulariser
    dirac: str            # what it becomes for D(x) = psi x
    weight_name: str      # the symbol of its weight
    default_weight: float
    reference: str


REGULARISERS: dict[str, Regulariser] = {
    r.id: r
    for r in [
        Regulariser("none", "None", "-", "-", "-", 0.0, ""),
        Regulariser(
            "r1", "R1 penalty", "gamma/2 E_x~p_data[||grad_x D(x)||^2]", "gamma/2 psi^2", "γ", 1.0,
            "Mescheder et al. 2018, Sec. 4.1",
        ),
        Regulariser(
            "gp0", "Zero-centred gradient penalty", "lambda E_x^[||grad_x D(x^)||^2], x^ between real and fake",
            "lambda psi^2 (the same field as R1 with gamma = 2 lambda)", "λ", 0.5,
            "Thanh-Tung et al. 2019; Mescheder et al. 2018",
        ),
        Regulariser(
            "gp", "WGAN-GP penalty", "lambda E_x^[(||grad_x D(x^)|| - 1)^2], x^ between real and fake",
            "lambda (|psi| - 1)^2", "λ", 1.0,
            "Gulrajani et al. 2017; Mescheder et al. 2018, Sec. 3",
        ),
        Regulariser(
            "noise", "Instance noise", "expectation of the losses over real and fake samples + N(0, sigma^2)",
            "E_e[...] by Gauss-Hermite quadrature", "σ", 1.0,
            "Sonderby et al. 2016; Arjovsky & Bottou 2017",
        ),
    ]
}


def _sig(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _sig_slope(x: np.ndarray) -> np.ndarray:
    s = _sig(x)
    return s * (1.0 - s)


def _ml_slope(f: np.ndarray) -> np.ndarray:
    return -np.exp(np.minimum(f, ML_LINEAR_FROM))


def _ml_curve(f: np.ndarray) -> np.ndarray:
    return np.where(f <= ML_LINEAR_FROM, -np.exp(np.minimum(f, ML_LINEAR_FROM)), 0.0)


def _const(c: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda x: np.full_like(x, c)


# Each loss's D objective is separable, mean a(r) + mean b(f) over real and fake raw outputs, and
# its G objective mean g(f): the Dirac-GAN field needs their first and second derivatives,
# (a', a'', b', b'', g', g''). Tests check the field they give against autograd through the
# torch losses of `ganviz.core.loss_fns`.
_CE_D = (lambda r: _sig(r) - 1.0, _sig_slope, _sig, _sig_slope)
_W_D = (_const(-1.0), _const(0.0), _const(1.0), _const(0.0))
_LINEAR_G = (_const(-1.0), _const(0.0))
_DIRAC_PARTS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], ...]] = {
    "minimax": (*_CE_D, lambda f: -_sig(f), lambda f: -_sig_slope(f)),
    "ns": (*_CE_D, lambda f: _sig(f) - 1.0, _sig_slope),
    "logratio": (*_CE_D, *_LINEAR_G),
    "ml": (*_CE_D, _ml_slope, _ml_curve),
    "lsgan": (lambda r: r - 1.0, _const(1.0), lambda f: f + 1.0, _const(1.0), lambda f: f, _const(1.0)),
    "wgan": (*_W_D, *_LINEAR_G),
    "wgan-gp": (*_W_D, *_LINEAR_G),
    "hinge": (lambda r: -(r < 1.0).astype(np.float64), _const(0.0), lambda f: (f > -1.0).astype(np.float64),
              _const(0.0), *_LINEAR_G),
}
assert set(_DIRAC_PARTS) == set(LOSSES), "every registered loss needs its Dirac-GAN derivatives"


class DiracGAN(Game):
    """Mescheder et al. 2018's Dirac-GAN with a loss from the registry and a regulariser.

    `reg=None` means the loss's own regulariser: the WGAN-GP penalty for a loss whose
    registry defaults name a "gp" weight (wgan-gp, lambda = 10), none otherwise. A
    missing weight is that default, or the regulariser's own.
    """

    id = "dirac"
    axes = ("θ (generator)", "ψ (discriminator)")
    equilibrium = np.zeros(2)

    def __init__(self, loss: str = "ns", reg: Optional[str] = None, weight: Optional[float] = None) -> None:
        self.loss: Loss = get_loss(loss)
        own_gp = self.loss.defaults.get("gp")
        if reg is None:
            reg = "none" if own_gp is None else "gp"
        if reg not in REGULARISERS:
            raise ValueError(f"unknown regulariser {reg!r}; choose one of {', '.join(REGULARISERS)}")
        self.reg = REGULARISERS[reg]
        if weight is None:
            weight = own_gp if reg == "gp" and own_gp is not None else self.reg.default_weight
        self.weight = float(weight)
        if self.weight < 0:
            raise ValueError(f"the {self.reg.name} weight {self.reg.weight_name} must be >= 0")
        # The noise's expectation by Gauss-Hermite quadrature, E[f(sigma e)] for e ~ N(0, 1) being
        # sum_i w_i / sqrt(pi) f(sigma sqrt(2) x_i); without noise one node at 0 of weight 1.
        self._eps, self._w = np.zeros(1), np.ones(1)
        if reg == "noise":
            nodes, w = np.polynomial.hermite.hermgauss(NOISE_NODES)
            self._eps, self._w = self.weight * math.sqrt(2.0) * nodes, w / math.sqrt(math.pi)

    @property
    def name(self) -> str:  # type: ignore[override]
        reg = "" if self.reg.id == "none" else f" + {self.reg.name} ({self.reg.weight_name} = {self.weight:g})"
        # The registry's WGAN clips D's weights; this model does not clip psi.
        loss = self.loss.name.split(" (")[0] + " (ψ not clipped)" if "clip" in self.loss.defaults else self.loss.name
        return f"Dirac-GAN, {loss}{reg}"

    @property
    def smooth_at_equilibrium(self) -> bool:
        return not (self.reg.id == "gp" and self.weight > 0)

    @property
    def equilibrium_note(self) -> str:
        if not self.smooth_at_equilibrium:
            return ("the penalty's field jumps by 4λ across ψ = 0, so (0, 0) is no rest point: these are "
                    "one-sided eigenvalues; the iterates cycle around it or stall on the θ axis")
        if self.reg.id == "none" and self.loss.id == "lsgan":
            return "every point with θ = 0 is a rest point of the LSGAN field"
        # the non-saturating loss's fourth-order term acts differently under each method: see `verdict`
        return ""

    # -- the field ---------------------------------------------------------------------------------
    def _reg_slopes(self, psi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The regulariser's first and second derivatives in psi."""
        lam = self.weight
        if self.reg.id == "r1":                     # gamma/2 psi^2
            return lam * psi, np.full_like(psi, lam)
        if self.reg.id == "gp0":                    # lambda psi^2
            return 2 * lam * psi, np.full_like(psi, 2 * lam)
        if self.reg.id == "gp":                     # lambda (|psi| - 1)^2, with sign(0) = 0
            s = np.sign(psi)
            return 2 * lam * (psi * s - 1.0) * s, 2 * lam * s * s
        return np.zeros_like(psi), np.zeros_like(psi)

    def _field(self, p, jacobian: bool) -> tuple[np.ndarray, Optional[np.ndarray]]:
        """v at points (..., 2) and, if asked, d v / d p at each of them, (N, 2, 2).

        D's logits are u_r = psi (0 + e) on the real point and u_f = psi (theta + e') on the fake
        one (e = e' = 0 without instance noise); D minimises mean a(u_r) + mean b(u_f) plus the
        regulariser, G minimises mean g(u_f), and v = (-dG/dtheta, -dD/dpsi).
        """
        flat = np.asarray(p, dtype=np.float64).reshape(-1, 2)
        theta, psi = flat[:, :1], flat[:, 1:]          # (N, 1)
        a1, a2, b1, b2, g1, g2 = _DIRAC_PARTS[self.loss.id]
        w = self._w[None, :]
        r = 0.0 + self._eps[None, :]                   # the real point, with its noise: (1, J)
        f = theta + self._eps[None, :]                 # the fake one: (N, J)
        ur, uf = psi * r, psi * f
        reg1, reg2 = self._reg_slopes(psi[:, 0])
        g_slope, b_slope = g1(uf), b1(uf)
        v = np.stack([-psi[:, 0] * (w * g_slope).sum(-1),
                      -((w * a1(ur) * r).sum(-1) + (w * b_slope * f).sum(-1) + reg1)], axis=-1)
        jac = None
        if jacobian:
            g_curve, b_curve = g2(uf), b2(uf)
            jac = np.empty((len(flat), 2, 2))
            jac[:, 0, 0] = -(w * g_curve).sum(-1) * psi[:, 0] ** 2
            jac[:, 0, 1] = -(w * (g_curve * uf + g_slope)).sum(-1)
            jac[:, 1, 0] = -(w * (b_curve * uf + b_slope)).sum(-1)
            jac[:, 1, 1] = -((w * a2(ur) * r * r).sum(-1) + (w * b_curve * f * f).sum(-1) + reg2)
        return v.reshape(np.shape(p)), jac

    def vector_field(self, p) -> np.ndarray:
        return self._field(p, jacobian=False)[0]

    def eigenvalues(self) -> np.ndarray:
        if self.smooth_at_equilibrium:
            return super().eigenvalues()
        # |psi| has no derivative at 0; the penalty's one-sided Jacobians agree (psi -> 0+ and 0-).
        ev = np.linalg.eigvals(self.jacobian(self.equilibrium + [0.0, 1e-12]))
        return ev[np.lexsort((ev.real, ev.imag))]

    def jacobian(self, p) -> np.ndarray:
        return self._field(p, jacobian=True)[1][0]

    def field_and_jacobian(self, p) -> tuple[np.ndarray, np.ndarray]:
        v, jac = self._field(p, jacobian=True)
        return v, jac[0]


def format_eigenvalues(ev) -> str:
    """Eigenvalues as a lecturer writes them: "0 ± 0.5i", "-0.5, -0.5"."""
    def real(x: float) -> str:
        return f"{0.0 if abs(x) < 5e-13 else x:.4g}"

    ev = list(ev)
    if len(ev) == 2 and abs(ev[0].imag) >= 5e-13 and abs(ev[0] - np.conj(ev[1])) < 1e-12:
        return f"{real(ev[0].real)} ± {abs(ev[0].imag):.4g}i"
    return ", ".join(real(z.real) for z in ev) if all(abs(z.imag) < 5e-13 for z in ev) else \
        ", ".join(f"{real(z.real)} {'+' if z.imag >= 0 else '-'} {abs(z.imag):.4g}i" for z in ev)


GAMES: dict[str, str] = {
    "bilinear": "Bilinear game V(x, y) = x y (x minimises, y maximises)",
    "dirac": "Dirac-GAN (Mescheder et al. 2018): p_data = δ_0, p_g = δ_θ, D(x) = ψ x",
}


def make_game(game: str, loss: str = "ns", reg: Optional[str] = None, weight: Optional[float] = None) -> Game:
    if game == "bilinear":
        return Bilinear()
    if game == "dirac":
        return DiracGAN(loss, reg, weight)
    raise ValueError(f"unknown game {game!r}; choose one of {', '.join(GAMES)}")


def regulariser_effect(loss: str, reg: str, weight: Optional[float] = None) -> str:
    """What `reg` does to the Dirac-GAN's eigenvalues at (0, 0) under `loss`, in one sentence.

    Whether it converges depends on the loss as well (instance noise cannot act on WGAN's loss,
    which is linear in D's logit) and on the method (see `verdict`), so it is computed, not listed.
    """
    g = DiracGAN(loss, reg, weight)
    if not g.smooth_at_equilibrium:
        return ("its field jumps at (0, 0), so no eigenvalue decides; the iterates do not converge to (0, 0) "
                "(Mescheder et al. 2018, Sec. 3)")
    ev = g.eigenvalues()
    top = float(ev.real.max())
    lam = f"with this loss λ = {format_eigenvalues(ev)}"
    if top < -EIGEN_TOL:
        return f"{lam}, all Re λ < 0: the flow converges near (0, 0), and so does each method whose ρ < 1 (small η)"
    if top > EIGEN_TOL:
        return f"{lam}: an Re λ > 0, the equilibrium repels the flow"
    plain = DiracGAN(loss, "none").eigenvalues()
    same = reg != "none" and np.allclose(ev, plain, atol=1e-9)
    why = " as without it (the loss is linear in D's logit, so it cannot act)" if same else ""
    return (f"{lam}{why}, the largest Re λ = 0: the flow has no linear rate, its nonlinear terms decide; "
            "a method converges linearly only where its ρ < 1")


# -- integrators ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Hyper:
    lr: float
    gamma: float
    beta: float
    k: int


PARAM_INFO: dict[str, str] = {
    "lr": "learning rate η (for the flow: the time between samples, t = η i)",
    "gamma": "consensus weight γ on ∇ ½||v||²",
    "beta": "momentum β (negative momentum: β < 0)",
    "k": "discriminator (y) steps per generator (x) step",
}


def _sim_gda(game: Game, p: np.ndarray, h: Hyper) -> Iterator[np.ndarray]:
    while True:
        p = p + h.lr * game.vector_field(p)
        yield p


def _alt_gda(game: Game, p: np.ndarray, h: Hyper) -> Iterator[np.ndarray]:
    x, y = p
    while True:
        for _ in range(h.k):
            y = y + h.lr * game.vector_field(np.array([x, y]))[1]
        x = x + h.lr * game.vector_field(np.array([x, y]))[0]
        yield np.array([x, y])


def _extragradient(game: Game, p: np.ndarray, h: Hyper) -> Iterator[np.ndarray]:
    while True:
        half = p + h.lr * game.vector_field(p)
        p = p + h.lr * game.vector_field(half)
        yield p


def _optimistic(game: Game, p: np.ndarray, h: Hyper) -> Iterator[np.ndarray]:
    # v(p_-1) = v(p_0): the first step is a plain gradient step (Daskalakis et al. 2018).
    v_prev = game.vector_field(p)
    while True:
        v = game.vector_field(p)
        p = p + 2.0 * h.lr * v - h.lr * v_prev
        v_prev = v
        yield p


def _consensus(game: Game, p: np.ndarray, h: Hyper) -> Iterator[np.ndarray]:
    while True:
        v, jac = game.field_and_jacobian(p)
        p = p + h.lr * (v - h.gamma * jac.T @ v)
        yield p


def _momentum(game: Game, p: np.ndarray, h: Hyper) -> Iterator[np.ndarray]:
    # Alternating updates: with simultaneous ones no momentum makes the bilinear game converge,
    # with alternating ones negative momentum does (Gidel et al. 2019).
    x, y = p
    mx = my = 0.0
    while True:
        for _ in range(h.k):
            my = h.beta * my + h.lr * game.vector_field(np.array([x, y]))[1]
            y = y + my
        mx = h.beta * mx + h.lr * game.vector_field(np.array([x, y]))[0]
        x = x + mx
        yield np.array([x, y])


def _flow(game: Game, p: np.ndarray, h: Hyper) -> Iterator[np.ndarray]:
    n = max(1, math.ceil(h.lr / FLOW_MAX_SUBSTEP - 1e-9))
    dt = h.lr / n
    f = game.vector_field
    while True:
        for _ in range(n):
            k1 = f(p)
            k2 = f(p + 0.5 * dt * k1)
            k3 = f(p + 0.5 * dt * k2)
            k4 = f(p + dt * k3)
            p = p + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        yield p


@dataclass(frozen=True)
class Integrator:
    id: str
    name: str
    short: str                    # for legends
    rule: str                     # the textbook update rule, v = descent field, p = (x, y)
    params: tuple[str, ...]       # the hyper-parameters it reads (names of `Hyper` fields)
    reference: str
    steps: Callable[[Game, np.ndarray, Hyper], Iterator[np.ndarray]] = field(repr=False)


INTEGRATORS: dict[str, Integrator] = {
    i.id: i
    for i in [
        Integrator(
            "flow", "Continuous flow", "flow", "dp/dt = v(p), RK4, sampled at t = η i", ("lr",),
            "the limit η → 0 of gradient descent", _flow,
        ),
        Integrator(
            "sim_gda", "Simultaneous GDA", "simultaneous", "p_{t+1} = p_t + η v(p_t)", ("lr",),
            "Mescheder et al. 2017", _sim_gda,
        ),
        Integrator(
            "alt_gda", "Alternating GDA", "alternating",
            "k times: y ← y + η v_y(x, y); then x ← x + η v_x(x, y)", ("lr", "k"),
            "Goodfellow et al. 2014, Algorithm 1", _alt_gda,
        ),
        Integrator(
            "extragradient", "Extragradient", "extragradient",
            "p_{t+½} = p_t + η v(p_t);  p_{t+1} = p_t + η v(p_{t+½})", ("lr",),
            "Korpelevich 1976; Gidel et al. 2019", _extragradient,
        ),
        Integrator(
            "optimistic", "Optimistic GD", "optimistic",
            "p_{t+1} = p_t + 2η v(p_t) − η v(p_{t−1})", ("lr",),
            "Daskalakis et al. 2018", _optimistic,
        ),
        Integrator(
            "consensus", "Consensus optimisation", "consensus",
            "p_{t+1} = p_t + η (v − γ ∇ ½||v||²)(p_t),  ∇ ½||v||² = Jᵀ v", ("lr", "gamma"),
            "Mescheder et al. 2017", _consensus,
        ),
        Integrator(
            "momentum", "Alternating GD + momentum", "momentum",
            "k times: m_y ← β m_y + η v_y, y ← y + m_y; then m_x ← β m_x + η v_x, x ← x + m_x",
            ("lr", "beta", "k"), "Polyak 1964; negative momentum: Gidel et al. 2019", _momentum,
        ),
    ]
}


@dataclass(frozen=True)
class Trajectory:
    method: str
    points: np.ndarray      # (n, 2): the start and one row per iteration (n = steps + 1 unless diverged)
    distance: np.ndarray    # (n,): distance of each row to the equilibrium
    params: dict            # the hyper-parameters the method used
    diverged: bool          # stopped early because an iterate left |p| < DIVERGED_AT

    def to_dict(self) -> dict:
        return {
            "method": self.method,
            "name": INTEGRATORS[self.method].name,
            "params": self.params,
            "diverged": self.diverged,
            "points": self.points.tolist(),
            "distance": self.distance.tolist(),
        }


def hyper(method: str, lr: float, gamma: float = 1.0, beta: float = -0.5, k: int = 1) -> Hyper:
    """Checked hyper-parameters; those the method does not use are accepted and ignored."""
    if method not in INTEGRATORS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(INTEGRATORS)}")
    if not (lr > 0 and math.isfinite(lr)):
        raise ValueError(f"the learning rate must be a positive number, not {lr}")
    if not (gamma >= 0 and math.isfinite(gamma)):
        raise ValueError(f"gamma must be a number >= 0, not {gamma}")
    if not -1 < beta < 1:
        raise ValueError(f"the momentum beta must lie in (-1, 1), not {beta}")
    if int(k) != k or k < 1:
        raise ValueError(f"k must be a whole number >= 1, not {k}")
    return Hyper(lr=float(lr), gamma=float(gamma), beta=float(beta), k=int(k))


class Runner:
    """A trajectory computed a chunk at a time (the view animates it as it grows)."""

    def __init__(self, game: Game, method: str, start, steps: int, lr: float, **params) -> None:
        if int(steps) != steps or steps < 0:
            raise ValueError(f"steps must be a whole number >= 0, not {steps}")
        self.game = game
        self.method = method
        self.hyper = hyper(method, lr, **params)
        self.steps = int(steps)
        p0 = np.asarray(start, dtype=np.float64).reshape(2)
        self._points = [p0]
        self._iterates = INTEGRATORS[method].steps(game, p0.copy(), self.hyper)
        self.diverged = False

    @property
    def done(self) -> bool:
        return self.diverged or len(self._points) > self.steps

    def advance(self, n: int) -> int:
        """Compute up to n more iterates; returns how many were added."""
        added = 0
        while added < n and not self.done:
            p = next(self._iterates)
            if not np.all(np.isfinite(p)) or np.abs(p).max() > DIVERGED_AT:
                self.diverged = True
                break
            self._points.append(p)
            added += 1
        return added

    def points(self) -> np.ndarray:
        return np.array(self._points)

    def trajectory(self) -> Trajectory:
        pts = self.points()
        params = {name: getattr(self.hyper, name) for name in INTEGRATORS[self.method].params}
        return Trajectory(self.method, pts, self.game.distance(pts), params, self.diverged)


def run(game: Game, method: str, start, steps: int, lr: float, **params) -> Trajectory:
    """`steps` iterations of `method` on `game` from `start` (params: gamma, beta, k)."""
    runner = Runner(game, method, start, steps, lr, **params)
    with np.errstate(over="ignore", invalid="ignore"):
        runner.advance(runner.steps)
    return runner.trajectory()


# -- verdicts: the linearised one-step map of each method, and what a run measurably did ------------

# rho within this of 1 counts as 1. An eigenvalue of a Jordan block (the LSGAN's line of rest points,
# alternating GDA at eta = 2 / f'(0)) is computed only to ~sqrt(machine epsilon) ~ 1e-8; the smallest
# rho the lab can show, simultaneous GDA at eta = 0.001 on the bilinear game, is 1 + 5e-7.
RHO_TOL = 1e-7

# rho < 1, rho = 1, rho > 1, and no rho where v jumps at the equilibrium. "circles" covers an eigenvalue 1
# too (the LSGAN's): the linear terms neither pull in nor push out, and the verdict's text says which.
VERDICTS = ("converges", "circles", "diverges", "undecided")


def _half_steps(jac: np.ndarray, h: Hyper) -> tuple[np.ndarray, np.ndarray]:
    """The linearised y (discriminator) and x (generator) half-steps of the alternating methods."""
    ay, ax = np.eye(2), np.eye(2)
    ay[1] += h.lr * jac[1]
    ax[0] += h.lr * jac[0]
    return ay, ax


def step_matrix(jac, method: str, h: Hyper) -> np.ndarray:
    """The one-step map of `method` linearised at a rest point where v has the Jacobian `jac`.

    On the state the method carries: (x, y) for most, (p_t, p_{t-1}) for optimistic GD and
    (x, y, m_x, m_y) for momentum. For the flow it is exp(eta J), the flow over one sample.
    """
    jac = np.asarray(jac, dtype=np.float64).reshape(2, 2)
    eye, eta = np.eye(2), h.lr
    if method == "flow":
        return scipy.linalg.expm(eta * jac)
    if method == "sim_gda":
        return eye + eta * jac
    if method == "alt_gda":
        ay, ax = _half_steps(jac, h)
        return ax @ np.linalg.matrix_power(ay, h.k)
    if method == "extragradient":
        # p + eta J (p + eta J p)
        return eye + eta * jac + eta**2 * jac @ jac
    if method == "optimistic":
        return np.block([[eye + 2 * eta * jac, -eta * jac], [eye, np.zeros((2, 2))]])
    if method == "consensus":
        # d(J(p)^T v(p))/dp = sum_i v_i d(row i of J)/dp + J^T J, and v = 0 at a rest point.
        return eye + eta * (jac - h.gamma * jac.T @ jac)
    if method == "momentum":
        # state (x, y, m_x, m_y); each half-step updates a momentum, then moves its player by it
        def half(i: int) -> np.ndarray:
            m = np.eye(4)
            m[2 + i] = 0.0
            m[2 + i, 2 + i] = h.beta
            m[2 + i, :2] = eta * jac[i]
            move = np.eye(4)
            move[i, 2 + i] = 1.0
            return move @ m
        return half(0) @ np.linalg.matrix_power(half(1), h.k)
    raise ValueError(f"unknown method {method!r}; choose one of {', '.join(INTEGRATORS)}")


def linear_map(game: Game, method: str, h: Hyper) -> np.ndarray:
    """`step_matrix` at the game's equilibrium (only one-sided where v jumps there)."""
    jac = game.jacobian(game.equilibrium) if game.smooth_at_equilibrium else \
        game.jacobian(game.equilibrium + [0.0, 1e-12])
    return step_matrix(jac, method, h)


def spectral_radius(game: Game, method: str, h: Hyper) -> float:
    """The largest |eigenvalue| of the method's linearised one-step map at the equilibrium."""
    if method == "flow":
        # exact where the matrix exponential's eigenvalues would carry its rounding
        return math.exp(h.lr * float(game.eigenvalues().real.max()))
    return float(np.abs(np.linalg.eigvals(linear_map(game, method, h))).max())


def format_rho(rho: float) -> str:
    """rho with as many digits as it takes to tell it from 1 when it is not 1."""
    if abs(rho - 1.0) <= RHO_TOL:
        return "1"
    return _factor_text(rho)


def _factor_text(q: float) -> str:
    text = f"{q:.4f}"
    if float(text) == 1.0:
        return f"1 {'+' if q > 1 else '−'} {abs(q - 1.0):.1e}"
    return text


@dataclass(frozen=True)
class Verdict:
    """What the linearisation at the equilibrium says about one method with its hyper-parameters."""

    method: str
    rho: Optional[float]    # None where v is not differentiable at the equilibrium
    verdict: str            # one of VERDICTS
    text: str               # the verdict as a sentence about the equilibrium, not about a run
    note: str               # what the nonlinear terms do here, where theory knows; else ""

    def to_dict(self) -> dict:
        return {"rho": self.rho, "verdict": self.verdict, "verdict_text": self.text, "note": self.note}


def _nonlinear_note(game: Game, method: str, h: Hyper, verdict: str, rho: float) -> str:
    """The non-saturating Dirac-GAN's fourth-order term, for the methods where theory says what it does."""
    if not (isinstance(game, DiracGAN) and game.loss.id == "ns" and game.reg.id == "none"):
        return ""
    # d|p|^2/dt = -2 t tanh(t/2) ~ -t^2 with t = psi theta: on average -|p|^4 / 8 per unit time, which
    # integrates to |p|^2 ~ 8 / time, and time is eta per step
    if verdict == "circles" and method in ("flow", "alt_gda"):
        return ("the NS loss's 4th-order term, d|p|²/dt = −2ψθ·tanh(ψθ/2), tightens the circles: "
                f"|p| ≈ √(8/(ηt)), sublinearly ({math.sqrt(8 / (h.lr * 1000)):.2g} at t = 1,000)")
    if verdict == "diverges" and method == "sim_gda":
        # the push out, |p|^2 (rho^2 - 1) per step, balances the pull in, eta |p|^4 / 8 per step
        radius = math.sqrt(8 * (rho**2 - 1) / h.lr)
        return ("pushed out ×ρ per step, pulled in by the NS loss's 4th-order term: "
                f"a cycle of radius ≈ √(2η) = {radius:.2g} (small η)")
    return ""


def verdict(game: Game, method: str, h: Hyper) -> Verdict:
    """The spectral radius of `method`'s linearised one-step map and what it says (see `VERDICTS`).

    The verdict is about the equilibrium: a run that starts far from it can do otherwise, and
    where rho = 1 (or v is not smooth there) the nonlinear terms decide; `measure` says what a run did.
    """
    if not game.smooth_at_equilibrium:
        return Verdict(method, None, "undecided",
                       "no ρ: the field jumps at the equilibrium, so no linearisation decides", "")
    rho = spectral_radius(game, method, h)
    if rho < 1.0 - RHO_TOL:
        v, text = "converges", f"ρ = {format_rho(rho)} < 1: converges near the equilibrium"
    elif rho > 1.0 + RHO_TOL:
        v, text = "diverges", f"ρ = {format_rho(rho)} > 1: diverges near the equilibrium, which repels"
    else:
        ev = np.exp(h.lr * game.eigenvalues()) if method == "flow" else np.linalg.eigvals(linear_map(game, method, h))
        unit = ev[np.abs(np.abs(ev) - 1.0) <= RHO_TOL]
        turning = bool(np.any(np.abs(unit.imag) > RHO_TOL) or np.any(unit.real < 0))
        v = "circles"
        text = ("ρ = 1: circles near the equilibrium; the nonlinear terms decide" if turning else
                "ρ = 1, an eigenvalue 1 (along it the linear terms do not move p): the nonlinear terms decide")
    return Verdict(method, rho, v, text, _nonlinear_note(game, method, h, v, rho))


# A run shorter than this says nothing about where it is heading.
MEASURE_MIN_STEPS = 20
# |p| changing by less than this fraction over the later half of a run is no trend.
STEADY_CHANGE = 0.03
# ... and by less than this fraction too little to tell a linear rate from a power law.
MODEL_CHANGE = 0.25
# Closer than this a run has reached the equilibrium: rounding (the instance-noise quadrature's above
# all) moves the computed field's rest point by ~1e-17, and below that |p| is noise, not a trend.
AT_EQUILIBRIUM = 1e-12


@dataclass(frozen=True)
class Measured:
    """What a run did, read off its iterates over the later half of the run."""

    kind: str                  # converges shrinks cycle rests steady unclear grows diverges too_short stays
    text: str                  # what it did over iterations first ... last
    first: int
    last: int
    factor: Optional[float]    # fitted change of |p| per step (kind converges or grows, linear rate)
    exponent: Optional[float]  # fitted b in |p| ~ t^b (kind shrinks or grows, a power law)
    radius: Optional[float]    # typical |p| at the end (cycle, rests, steady)

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("kind", "text", "first", "last", "factor", "exponent", "radius")}


def _fit(cols: list[np.ndarray], logd: np.ndarray) -> tuple[float, float]:
    """Least squares of log|p| on cols; returns (coefficient of cols[1], residual sum of squares)."""
    a = np.stack(cols, -1)
    coef, *_ = np.linalg.lstsq(a, logd, rcond=None)
    return float(coef[1]), float(np.sum((a @ coef - logd) ** 2))


def _steps_text(n: float) -> str:
    return f"{n:,.0f}" if n >= 10 else f"{n:.2g}"


def measure(points, equilibrium=(0.0, 0.0), diverged: bool = False) -> Measured:
    """Describe a run from its iterates: converges linearly, shrinks like a power of t, settles on a
    cycle, comes to rest elsewhere, grows or diverges.

    The later half of the run is fitted twice, log|p| against t (a linear rate) and against log t (a
    power law), and the better fit wins. A trajectory that turns around the equilibrium has |p|
    wobble with its angle phi (an elliptic orbit); regressing on cos/sin of phi and 2 phi as well
    takes that wobble out of the trend.
    """
    rel = np.asarray(points, dtype=np.float64).reshape(-1, 2) - np.asarray(equilibrium, dtype=np.float64)
    d = np.hypot(rel[:, 0], rel[:, 1])
    n = len(d) - 1

    def out(kind, text, first=0, last=n, factor=None, exponent=None, radius=None) -> Measured:
        return Measured(kind, text, int(first), int(last), factor, exponent, radius)

    if diverged:
        return out("diverges", f"diverges: |p| passed {DIVERGED_AT:g} at step {n + 1:,}")
    if n < MEASURE_MIN_STEPS:
        return out("too_short", f"too few steps ({n}) to tell where it is heading")
    near = d < AT_EQUILIBRIUM
    if near.all():
        return out("stays", "stays at the equilibrium")
    # the first step from which the run stays at the equilibrium, if it gets there
    end = n + 1
    while end > 1 and near[end - 1]:
        end -= 1
    reached = end <= n
    if reached and end <= MEASURE_MIN_STEPS:
        return out("converges", f"reaches the equilibrium (|p| < {AT_EQUILIBRIUM:g}) at step {end:,}", 0, end)
    lo = max(1, end // 2)
    t = np.arange(lo, end, dtype=np.float64)
    seg = rel[lo:end]
    keep = d[lo:end] >= AT_EQUILIBRIUM
    phi = np.unwrap(np.arctan2(seg[:, 1], seg[:, 0]))
    turns = abs(phi[-1] - phi[0]) / (2 * math.pi)
    logd = np.log(np.where(keep, d[lo:end], 1.0))
    # over less than a turn the harmonics of phi are nearly collinear with the trend
    harm = [f(m * phi) for m in (1, 2) for f in (np.cos, np.sin)] if turns >= 1 else []
    ones = np.ones_like(t)
    b_lin, rss_lin = _fit([c[keep] for c in [ones, t - t[0], *harm]], logd[keep])
    b_pow, rss_pow = _fit([c[keep] for c in [ones, np.log(t), *harm]], logd[keep])
    linear = rss_lin <= rss_pow
    change = b_lin * (t[-1] - t[0]) if linear else b_pow * math.log(t[-1] / t[0])
    # the last turn, or the last quarter of the half read where it turns less than once
    tail = d[max(lo, end - max(2, int((end - lo) / turns) if turns >= 1 else (end - lo) // 4)):end]
    radius = float(np.mean(tail))
    if reached:
        return out("converges", f"converges: |p| < {AT_EQUILIBRIUM:g} from step {end:,} "
                   f"(×{_factor_text(math.exp(b_lin))} per step before)", lo, end - 1, factor=math.exp(b_lin))
    # A fit finds some trend in any irregular orbit (the WGAN-GP penalty's jumps across psi = 0): it is
    # one only if it exceeds the scatter about the fit, and the raw means of the two halves agree.
    kept = logd[keep]
    half = len(kept) // 2
    raw = float(np.mean(kept[half:]) - np.mean(kept[:half]))
    scatter = math.sqrt(min(rss_lin, rss_pow) / len(kept))
    if abs(change) < max(math.log1p(STEADY_CHANGE), scatter) or raw * change <= 0:
        step = np.hypot(*np.diff(rel[lo:end], axis=0).T)
        k = max(1, len(step) // 10)
        late, early = float(np.mean(step[-k:])), float(np.mean(step[:k]))
        x, y = np.asarray(points, dtype=np.float64).reshape(-1, 2)[end - 1]
        if late < 1e-6 * radius or (turns < 1 and late < 0.1 * early):
            return out("rests", f"stalls at ({x:.3g}, {y:.3g}), |p| = {radius:.3g} from the equilibrium",
                       lo, end - 1, radius=radius)
        if turns >= 1:
            lo_r, hi_r = float(tail.min()), float(tail.max())
            size = f"|p| ≈ {radius:.3g}" if hi_r - lo_r < 0.1 * radius else f"|p| from {lo_r:.3g} to {hi_r:.3g}"
            how = "irregularly" if hi_r > 1.5 * lo_r else "on a cycle"
            return out("cycle", f"circles the equilibrium {how}, {size} ({turns:.1f} turns)",
                       lo, end - 1, radius=radius)
        seg_d = d[lo:end]
        if seg_d.max() > 1.5 * seg_d.min():
            return out("steady", f"|p| swings between {seg_d.min():.3g} and {seg_d.max():.3g} without a trend "
                       "(less than a turn around the equilibrium)", lo, end - 1, radius=radius)
        return out("steady", f"keeps |p| ≈ {radius:.3g} (less than a turn around the equilibrium)",
                   lo, end - 1, radius=radius)
    seg_d = d[lo:end]
    if 0.1 <= turns < 1 and abs(seg_d[-1] - seg_d[0]) < 0.8 * (seg_d.max() - seg_d.min()):
        # an orbit's |p| wobbles within each turn (an ellipse, an off-centre cycle): over part of one
        # turn, and unless |p| moved one way all along, that wobble cannot be told from a trend
        return out("unclear", f"|p| between {seg_d.min():.3g} and {seg_d.max():.3g} in {turns:.1f} of a turn: "
                   "too little to tell a trend from the orbit's wobble", lo, end - 1)
    if abs(change) < math.log1p(MODEL_CHANGE):
        # both fits are near-perfect over so small a change: no rate can be told from a power law
        pct = 100 * math.expm1(change)
        return out("shrinks" if change < 0 else "grows",
                   f"{'shrinks' if change < 0 else 'grows'} by {abs(pct):.0f}% (too little to fit a rate)",
                   lo, end - 1)
    if linear:
        q = math.exp(b_lin)
        every = _steps_text(math.log(2) / abs(b_lin))
        if change < 0:
            return out("converges", f"converges linearly: |p| ×{_factor_text(q)} per step, halving every "
                       f"{every} steps", lo, end - 1, factor=q)
        return out("grows", f"grows exponentially: |p| ×{_factor_text(q)} per step, doubling every {every} steps",
                   lo, end - 1, factor=q)
    if change < 0:
        return out("shrinks", f"shrinks sublinearly, like t^{b_pow:.2f}", lo, end - 1, exponent=b_pow)
    return out("grows", f"grows like t^{b_pow:.2f}", lo, end - 1, exponent=b_pow)


# What a verdict about the equilibrium leads one to expect of a run; circles and undecided expect nothing.
_EXPECTED = {"converges": ("converges", "shrinks"), "diverges": ("grows", "diverges")}


def disagreement(v: Verdict, m: Measured) -> str:
    """"" where the run did what rho says, else why a run may do otherwise, to show beside it."""
    expected = _EXPECTED.get(v.verdict)
    if expected is None or m.kind in expected or m.kind in ("too_short", "unclear", "stays"):
        return ""
    return "unlike ρ: away from the equilibrium the nonlinear terms rule"
