"""The loss registry: every GAN loss ganviz knows, defined once.

The UI's loss menu, the CLI's --loss choices, the scenario validator, the docs
table and the Dirac-GAN game all read `LOSSES`. This module is torch-free (the
ui reads it): a loss's name, formulas, theory, optimal D and its generator loss
in numpy live here; the torch implementations that train with it live in
`ganviz.core.loss_fns`, keyed by the same id.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

# Beyond this logit the maximum-likelihood loss -exp(logit) is continued linearly
# (value and slope match at the joint) so that it stays finite in float32.
ML_LINEAR_FROM = 30.0


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))


def _cross_entropy_d_star(pd: np.ndarray, pg: np.ndarray) -> np.ndarray:
    total = pd + pg
    return np.divide(pd, total, out=np.full_like(total, 0.5), where=total > 0)


def _hinge_d_star(pd: np.ndarray, pg: np.ndarray) -> np.ndarray:
    # The hinge discriminator's optimum is +1 where p_data > p_g and -1 where p_data < p_g.
    return np.sign(pd - pg)


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def _ml_g_np(f: np.ndarray) -> np.ndarray:
    c = ML_LINEAR_FROM
    inside = np.exp(np.minimum(f, c))
    return -np.where(f <= c, inside, inside * (1.0 + f - c))


# Why a Wasserstein critic has no pointwise optimum to draw or to measure D against.
_NO_CRITIC_OPTIMUM = ("a Wasserstein critic's optimum is a Kantorovich potential: defined only up to an added "
                      "constant (and, with weight clipping, a scale), so no pointwise D* exists to compare with")


@dataclass(frozen=True)
class Loss:
    id: str
    name: str
    d_formula: str
    g_formula: str
    # What the theory says at D* (the optimum of this loss's own D objective), as two separate claims:
    # the value G's loss takes there, and what G's gradient follows with D held at D* (what a G step
    # does). They differ: for `ml` the value is the constant -1 yet the gradient is forward KL's, and
    # for LSGAN D and G minimise different objectives, so no envelope argument ties the two together.
    # tests/core/test_loss_theory.py checks each claim by quadrature.
    value_at_d_star: str
    gradient_follows: str
    # G's loss per sample as a function of D's raw output, in numpy (loss_fns has the torch twin)
    g_np: Callable[[np.ndarray], np.ndarray]
    # How to read D's raw output: "sigmoid" (a logit), "ls" (LSGAN's real-valued score in [-1, 1]),
    # or "critic" (an unbounded Wasserstein / hinge critic with no probability reading).
    output: str
    reference: str = ""
    defaults: dict = field(default_factory=dict)
    d_star: Optional[Callable[[np.ndarray, np.ndarray], np.ndarray]] = None

    def optimal_d(self, p_data: np.ndarray, p_g: np.ndarray, smoothing: float = 0.0) -> Optional[np.ndarray]:
        """The D that minimises this loss's D objective pointwise, in display units (`to_prob`).

        For the cross-entropy and least-squares losses this is (1 - s) p_data / (p_data + p_g)
        with one-sided label smoothing s (real targets 1 - s); the hinge critic's is
        sign(p_data - p_g), which smoothing does not touch. None for Wasserstein critics
        (see `no_optimum_reason`).
        """
        if self.d_star is None:
            return None
        ds = self.d_star(np.asarray(p_data, dtype=np.float64), np.asarray(p_g, dtype=np.float64))
        return (1.0 - smoothing) * ds if self.has_probability else ds

    def optimal_d_label(self, smoothing: float = 0.0) -> str:
        """The formula `optimal_d` draws, as a legend writes it."""
        if self.d_star is None:
            return "none (Wasserstein critic)"
        if not self.has_probability:
            return "D* = sign(p_data − p_g)"
        scale = f"{1.0 - smoothing:g} · " if smoothing else ""
        return f"D* = {scale}p_data / (p_data + p_g)"

    @property
    def no_optimum_reason(self) -> str:
        """Why this loss has no pointwise optimal D ("" when it has one)."""
        return "" if self.d_star is not None else _NO_CRITIC_OPTIMUM

    @property
    def is_critic(self) -> bool:
        return self.output == "critic"

    @property
    def has_probability(self) -> bool:
        return self.output in ("sigmoid", "ls")

    def to_prob(self, out: np.ndarray) -> np.ndarray:
        """D's output in probability units (what D(x) means in Goodfellow et al. 2014)."""
        out = np.asarray(out, dtype=np.float64)
        if self.output == "sigmoid":
            return _sigmoid(out)
        if self.output == "ls":
            return np.clip(0.5 * (out + 1.0), 0.0, 1.0)
        return out

    def from_prob(self, d: np.ndarray) -> np.ndarray:
        d = np.asarray(d, dtype=np.float64)
        if self.output == "sigmoid":
            return np.log(d) - np.log1p(-d)
        if self.output == "ls":
            return 2.0 * d - 1.0
        raise ValueError(f"{self.id}: a critic's output has no probability reading")

    def g_of_d(self, d: np.ndarray) -> np.ndarray:
        """The generator loss as a function of D(G(z)) in (0, 1) (Goodfellow 2016, Fig. 16)."""
        return self.g_np(self.from_prob(d))


_CE_D = "max_D E_x[log D(x)] + E_z[log(1 - D(G(z)))]"
_M = "m = (p_data + p_g)/2"

LOSSES: dict[str, Loss] = {
    l.id: l
    for l in [
        Loss(
            "minimax", "Minimax (saturating)", _CE_D, "min_G E_z[log(1 - D(G(z)))]",
            f"KL(p_g || m) - log 2, {_M}; with D's term E_x[log D*(x)] the game's value is "
            "C(G) = -log 4 + 2 JSD(p_data || p_g)",
            "2 JSD(p_data || p_g), Jensen-Shannon: D and G share one objective (envelope theorem)",
            lambda f: -_softplus(f), "sigmoid",
            "Goodfellow et al. 2014", d_star=_cross_entropy_d_star,
        ),
        Loss(
            "ns", "Non-saturating", _CE_D, "min_G -E_z[log D(G(z))]",
            f"KL(p_g || p_data) - KL(p_g || m) + log 2, {_M} (not KL - 2 JSD)",
            "KL(p_g || p_data) - 2 JSD(p_data || p_g) (Arjovsky & Bottou 2017, Thm 2.5); same fixed point as minimax",
            lambda f: _softplus(-f), "sigmoid",
            "Goodfellow et al. 2014, Sec. 3", d_star=_cross_entropy_d_star,
        ),
        Loss(
            "logratio", "Log-ratio -log(D/(1-D))", _CE_D, "min_G -E_z[log(D(G(z)) / (1 - D(G(z))))]",
            "KL(p_g || p_data)",
            "KL(p_g || p_data): reverse KL, mode-seeking",
            lambda f: -f, "sigmoid",
            "Machine Perception exercise 2.1; Huszar 2016", d_star=_cross_entropy_d_star,
        ),
        Loss(
            "ml", "Maximum likelihood -exp(logit D)", _CE_D, "min_G -E_z[exp(sigma^-1(D(G(z))))]",
            "-E_{p_g}[p_data/p_g] = -1 for every G: a constant",
            "KL(p_data || p_g): forward KL, mode-covering",
            _ml_g_np, "sigmoid",
            "Goodfellow 2016 tutorial, Sec. 3.2.3", d_star=_cross_entropy_d_star,
        ),
        Loss(
            "lsgan", "Least squares (LSGAN)",
            "min_D 1/2 E_x[(D(x) - 1)^2] + 1/2 E_z[(D(G(z)) + 1)^2]", "min_G 1/2 E_z[D(G(z))^2]",
            "1/2 E_{p_g}[(D*)^2], D* = (p_data - p_g)/(p_data + p_g) as a raw score; with Mao et al.'s "
            "1/2 E_x[D(x)^2] term (omitted here): 1/2 ∫(p_data - p_g)^2/(p_data + p_g), "
            "their 1/2 Pearson chi^2(p_data + p_g || 2 p_g)",
            "no divergence of its own: D and G minimise different objectives, so G's step at D* is not that "
            "chi^2's gradient, and p_g = p_data, though stationary, can be a saddle",
            lambda f: 0.5 * f**2, "ls",
            "Mao et al. 2017", d_star=_cross_entropy_d_star,
        ),
        Loss(
            "wgan", "WGAN (weight clipping)", "max_{||D||_L <= 1} E_x[D(x)] - E_z[D(G(z))]", "min_G -E_z[D(G(z))]",
            "-E_z[D*(G(z))] = K W_1(p_data, p_g) - E_x[D*(x)]: W_1 up to the critic's free constant, "
            "K the Lipschitz bound the clipped weights allow",
            "K W_1(p_data, p_g), Wasserstein-1 (earth mover's): D and G share one objective (Arjovsky et al. 2017, Thm 3)",
            lambda f: -f, "critic",
            "Arjovsky et al. 2017", defaults={"clip": 0.01, "k": 5, "optimizer": "rmsprop", "lr_d": 5e-5, "lr_g": 5e-5},
        ),
        Loss(
            "wgan-gp", "WGAN-GP", "max_D E_x[D(x)] - E_z[D(G(z))] - lambda E[(||grad D(x_hat)|| - 1)^2]",
            "min_G -E_z[D(G(z))]",
            "-E_z[D*(G(z))], approximately W_1(p_data, p_g) - E_x[D*(x)]: the gradient penalty is soft",
            "approximately W_1(p_data, p_g), Wasserstein-1, Lipschitz by a gradient penalty on interpolates",
            lambda f: -f, "critic",
            "Gulrajani et al. 2017", defaults={"gp": 10.0, "k": 5, "beta1": 0.5, "beta2": 0.9},
        ),
        Loss(
            "hinge", "Hinge", "min_D E_x[max(0, 1 - D(x))] + E_z[max(0, 1 + D(G(z)))]", "min_G -E_z[D(G(z))]",
            "P_g(p_g > p_data) - P_g(p_data > p_g), D* = sign(p_data - p_g); "
            "D's objective there is 2 - 2 TV(p_data, p_g)",
            "2 TV(p_data, p_g), total variation TV = 1/2 ∫|p_data - p_g| (Lim & Ye 2017)",
            lambda f: -f, "critic",
            "Lim & Ye 2017; Miyato et al. 2018", d_star=_hinge_d_star,
        ),
    ]
}


class UnknownLoss(ValueError):
    pass


def get_loss(loss_id: str) -> Loss:
    try:
        return LOSSES[loss_id]
    except KeyError:
        raise UnknownLoss(f"unknown loss {loss_id!r}; choose one of {', '.join(LOSSES)}") from None


def loss_shape_curves(n: int = 400) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """D in (0, 1) and each probability-reading loss's G objective there (for the loss-shape panel)."""
    d = np.linspace(1e-3, 1 - 1e-3, n)
    return d, {lid: l.g_of_d(d) for lid, l in LOSSES.items() if l.has_probability}
