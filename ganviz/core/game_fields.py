"""The games of the game lab: their vector fields, Jacobians and eigenvalues at the equilibrium.

The bilinear game and the Dirac-GAN (with a loss of the registry and a regulariser); the theory
they show is in `ganviz.core.games`' docstring. Integrators that move on these fields:
`ganviz.core.integrators`; what each method does near the equilibrium, and what a run did:
`ganviz.core.game_verdicts`.
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

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


def _exp_slope(x: np.ndarray) -> np.ndarray:
    return -_ml_slope(x)           # d/dx of exp(x) continued linearly beyond ML_LINEAR_FROM


def _exp_curve(x: np.ndarray) -> np.ndarray:
    return -_ml_curve(x)


def _negated(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    return lambda x: -fn(x)


# The f-GAN family (ganviz.core.losses._f_gan): a(v) = -g_f(v), b(v) = f*(g_f(v)), and G's loss is -b.
_F_GAN_AB: dict[str, tuple[Callable[[np.ndarray], np.ndarray], ...]] = {
    "kl": (_const(-1.0), _const(0.0), lambda f: _exp_slope(f - 1.0), lambda f: _exp_curve(f - 1.0)),
    "rkl": (lambda r: -_exp_slope(-r), lambda r: _exp_curve(-r), _const(1.0), _const(0.0)),
    "pearson": (_const(-1.0), _const(0.0), lambda f: f / 2.0 + 1.0, _const(0.5)),
    "hellinger": (lambda r: -_exp_slope(-r), lambda r: _exp_curve(-r), _exp_slope, _exp_curve),
    "js": (lambda r: _sig(r) - 1.0, _sig_slope, _sig, _sig_slope),
    "gan": (lambda r: _sig(r) - 1.0, _sig_slope, _sig, _sig_slope),
}
# EBGAN with D's softplus energy head, E(u) = softplus(u) of the raw output u = psi x, and the default margin
# m = 1 (the game lab has no margin control): a(u) = E(u), b(u) = max(m - E(u), 0), g(u) = E(u). At (0, 0)
# E = log 2 < m, so the hinge is active there.
_EB_M = 1.0


def _eb_on(u: np.ndarray) -> np.ndarray:
    return (np.logaddexp(0.0, u) < _EB_M).astype(np.float64)


_DIRAC_PARTS["ebgan"] = (_sig, _sig_slope, lambda f: -_sig(f) * _eb_on(f), lambda f: -_sig_slope(f) * _eb_on(f),
                         _sig, _sig_slope)
for _fid, (_a1, _a2, _b1, _b2) in _F_GAN_AB.items():
    _DIRAC_PARTS[f"fgan-{_fid}"] = (_a1, _a2, _b1, _b2, _negated(_b1), _negated(_b2))
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
