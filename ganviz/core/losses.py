"""The loss registry: every GAN loss ganviz knows, defined once.

The UI's loss menu, the CLI's --loss choices, the scenario validator, the docs
table and the Dirac-GAN game all read `LOSSES`. This module is torch-free (the
ui reads it): a loss's name, formulas, theory, optimal D and its generator loss
in numpy live here; the torch implementations that train with it live in
`ganviz.core.loss_fns`, keyed by the same id.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
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
    # "critic" (an unbounded Wasserstein / hinge critic with no probability reading), "fgan" (below) or
    # "energy" (EBGAN: an energy >= 0, low on data; D's softplus head or an autoencoder's reconstruction
    # error makes it so, and the views draw it as it is).
    output: str
    reference: str = ""
    defaults: dict = field(default_factory=dict)
    d_star: Optional[Callable[[np.ndarray, np.ndarray], np.ndarray]] = None
    # f-GAN losses (output "fgan"): D's raw output v is read through the output activation T = g_f(v)
    # (Nowozin et al. 2016, Table 6), `activation`, and `inverse` maps T back to v; `d_star` is then the
    # optimal critic T*(x) = f'(p_data(x) / p_g(x)) in T's units, and `t_star_formula` says it.
    activation: Optional[Callable[[np.ndarray], np.ndarray]] = None
    inverse: Optional[Callable[[np.ndarray], np.ndarray]] = None
    t_star_formula: str = ""
    # d g_np / d(raw output), in closed form: what backprop hands from G's loss to D's output on a fake
    # (the loss-shape panel's slope view; tests/core/test_losses.py checks it by finite differences)
    g_slope: Optional[Callable[[np.ndarray], np.ndarray]] = None
    activation_text: str = ""       # an f-GAN's g_f(v) in words, as an axis names it

    def optimal_d(self, p_data: np.ndarray, p_g: np.ndarray, smoothing: float = 0.0,
                  margin: float = 1.0) -> Optional[np.ndarray]:
        """The D that minimises this loss's D objective pointwise, in display units (`to_prob`).

        For the cross-entropy and least-squares losses this is (1 - s) p_data / (p_data + p_g)
        with one-sided label smoothing s (real targets 1 - s); the hinge critic's is
        sign(p_data - p_g), which smoothing does not touch; EBGAN's energy is the margin m where
        p_g > p_data and 0 where p_data > p_g. None for Wasserstein critics (see `no_optimum_reason`).
        """
        if self.d_star is None:
            return None
        ds = self.d_star(np.asarray(p_data, dtype=np.float64), np.asarray(p_g, dtype=np.float64))
        if self.output == "energy":
            return margin * ds
        return (1.0 - smoothing) * ds if self.has_probability else ds

    def optimal_d_label(self, smoothing: float = 0.0, margin: float = 1.0) -> str:
        """The formula `optimal_d` draws, as a legend writes it."""
        if self.d_star is None:
            return "none (Wasserstein critic)"
        if self.output == "fgan":
            return f"T* = f′(p_data / p_g) = {self.t_star_formula}"
        if self.output == "energy":
            return f"E* = m · 1[p_g > p_data], m = {margin:g}"
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

    @property
    def is_f_gan(self) -> bool:
        return self.output == "fgan"

    @property
    def is_energy(self) -> bool:
        """D's output is an energy (EBGAN): drawn as it is, labelled "energy", low on data."""
        return self.output == "energy"

    def to_prob(self, out: np.ndarray) -> np.ndarray:
        """D's output in the units the views draw: a probability (what D(x) means in Goodfellow et al.
        2014) for the cross-entropy and least-squares losses, the critic T = g_f(v) for an f-GAN loss,
        the raw output for a Wasserstein or hinge critic and for EBGAN's energy (already >= 0: D's
        softplus head or an autoencoder's reconstruction error)."""
        out = np.asarray(out, dtype=np.float64)
        if self.output == "sigmoid":
            return _sigmoid(out)
        if self.output == "ls":
            return np.clip(0.5 * (out + 1.0), 0.0, 1.0)
        if self.output == "fgan":
            return self.activation(out)
        return out

    def raw_from_display(self, d: np.ndarray) -> np.ndarray:
        """The raw output that `to_prob` shows as d (the inverse of `to_prob`)."""
        if self.has_probability:
            return self.from_prob(d)
        if self.output == "fgan":
            return self.inverse(np.asarray(d, dtype=np.float64))
        return np.asarray(d, dtype=np.float64)

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

    def g_slope_of_d(self, d: np.ndarray) -> np.ndarray:
        """d J(G) / d(D's raw output) as a function of D(G(z)) in (0, 1): for the logit losses the
        derivative with respect to the logit f = log(D / (1 - D)), for LSGAN with respect to its score."""
        return self.g_slope(self.from_prob(d))

    def accuracy_rule(self, margin: float = 1.0) -> tuple[Optional[float], bool, str]:
        """How `d_acc` reads D's raw output on one sample: (threshold, real_above, in words).

        A real sample counts right when its output is above the threshold (below it where
        real_above is False: an energy), a fake one when on the other side, an output exactly
        at the threshold half right. The threshold is where D says p_data = p_g: logit 0
        (D = 1/2), LSGAN's score 0, the hinge critic's 0 (between D* = -1 and +1), an f-GAN's
        v where T = f'(1), and for EBGAN's energy m/2, halfway between D*'s 0 (data) and m
        (fakes). A Wasserstein critic says nothing at any fixed value (its constant is free),
        so its threshold is None: the midpoint of the mean real and mean fake outputs.
        """
        if self.output == "energy":
            return 0.5 * margin, False, f"real if energy < m/2 = {0.5 * margin:g}"
        if self.output == "fgan":
            v0 = float(self.inverse(self.d_star(np.ones(1), np.ones(1)))[0]) + 0.0   # no -0
            return v0, True, f"real if T > f\u2032(1), i.e. v > {v0:g}"
        if self.is_critic and self.d_star is None:
            return None, True, "real if above the midpoint of the mean real and mean fake scores"
        if self.output == "sigmoid":
            return 0.0, True, "real if D > 1/2 (logit > 0)"
        return 0.0, True, "real if the score > 0"


def exp_lin(x: np.ndarray) -> np.ndarray:
    """exp(x), continued linearly beyond ML_LINEAR_FROM (value and slope match): finite in float32."""
    c = ML_LINEAR_FROM
    x = np.asarray(x, dtype=np.float64)
    inside = np.exp(np.minimum(x, c))
    return np.where(x <= c, inside, inside * (1.0 + x - c))


def exp_lin_slope(x: np.ndarray) -> np.ndarray:
    """The derivative of `exp_lin`: exp(x), constant beyond ML_LINEAR_FROM."""
    return np.exp(np.minimum(np.asarray(x, dtype=np.float64), ML_LINEAR_FROM))


def _log_ratio(pd: np.ndarray, pg: np.ndarray) -> np.ndarray:
    """log(p_data / p_g) on a grid, finite: both densities floored at 1e-30 of the larger's peak."""
    floor = 1e-30 * max(float(np.max(pd, initial=0.0)), float(np.max(pg, initial=0.0)), 1e-300)
    return np.log(np.maximum(pd, floor)) - np.log(np.maximum(pg, floor))


def _f_gan(fid: str, name: str, divergence: str, f: str, activation_text: str, conjugate: str,
           t_star: str, activation, inverse, t_star_of_log_u, value: str, follows: str, a_text: str,
           b_text: str) -> "Loss":
    """An f-GAN loss (Nowozin et al. 2016): D maximises E_x[T(x)] - E_z[f*(T(G(z)))] with T = g_f(v),
    and G minimises the same saddle objective, -E_z[f*(T(G(z)))], so that with D at its optimum T*
    G's step follows the gradient of D_f(p_data || p_g) (the envelope theorem). Written as losses of
    the raw output v: D minimises mean a(v_real) + mean b(v_fake), G mean -b(v_fake)."""
    return Loss(
        f"fgan-{fid}", f"f-GAN: {name}",
        f"max_T E_x[T(x)] - E_z[f*(T(G(z)))] = {divergence} at T*, with f(u) = {f}, T = g_f(v) = "
        f"{activation_text}, f*(t) = {conjugate}; as a loss of v: {a_text} + {b_text}",
        f"min_G -E_z[f*(T(G(z)))] = -E_z[{b_text.split('E_z[', 1)[1]}",
        value, follows, lambda v: -_F_GAN_B[fid](v), "fgan",
        "Nowozin et al. 2016, Tables 2 and 6",
        d_star=lambda pd, pg: t_star_of_log_u(_log_ratio(pd, pg)),
        activation=activation, inverse=inverse, t_star_formula=t_star,
        g_slope=lambda v: -_F_GAN_DB[fid](v), activation_text=activation_text,
    )


# The conjugate read through the activation, b(v) = f*(g_f(v)): D's per-sample loss on a fake output.
_F_GAN_B: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "kl": lambda v: exp_lin(np.asarray(v, dtype=np.float64) - 1.0),
    "rkl": lambda v: np.asarray(v, dtype=np.float64) - 1.0,
    "pearson": lambda v: np.asarray(v, dtype=np.float64) ** 2 / 4.0 + v,
    "hellinger": lambda v: exp_lin(v) - 1.0,
    "js": lambda v: _softplus(v) - np.log(2.0),
    "gan": lambda v: _softplus(v),
}

# Their derivatives b'(v).
_F_GAN_DB: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "kl": lambda v: exp_lin_slope(np.asarray(v, dtype=np.float64) - 1.0),
    "rkl": lambda v: np.ones_like(np.asarray(v, dtype=np.float64)),
    "pearson": lambda v: np.asarray(v, dtype=np.float64) / 2.0 + 1.0,
    "hellinger": lambda v: exp_lin_slope(v),
    "js": lambda v: _sigmoid(v),
    "gan": lambda v: _sigmoid(v),
}


def _constant(c: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda x: np.full_like(np.asarray(x, dtype=np.float64), c)


_CE_D = "max_D E_x[log D(x)] + E_z[log(1 - D(G(z)))]"

# EBGAN (Zhao et al. 2017): with D's energy E >= 0 and the margin m, D's optimum for a fixed G is, pointwise,
# the minimiser over E in [0, inf) of p_data E + p_g max(m - E, 0): m where p_g > p_data, 0 where p_data > p_g
# (their Lemma 1; any value in [0, m] where the two are equal). `optimal_d` scales this indicator by m.
_EBGAN_VALUE = ("m P_g(p_g > p_data): 0 only when p_g = p_data almost everywhere; D's objective there is "
                "m ∫ min(p_data, p_g) = m (1 - TV(p_data, p_g)), at most m, and equal to m at a Nash equilibrium "
                "(Thm 1). Thm 2: a Nash equilibrium exists, with p_g = p_data a.e. and E*(x) = a constant "
                "γ in [0, m] a.e. (E >= 0 assumed: D's softplus head or an autoencoder's error)")
_EBGAN_FOLLOWS = ("m TV(p_data, p_g), total variation, as for the hinge loss: at E* = m 1[p_g > p_data] G's "
                  "step is m d/dG P_g(p_g > p_data) with that set held fixed, which is TV's gradient (the envelope "
                  "theorem); E* is flat almost everywhere, so a sample's own gradient there is 0 and G moves on D's "
                  "smooth estimate of E*")
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
            "Goodfellow et al. 2014", d_star=_cross_entropy_d_star, g_slope=lambda f: -_sigmoid(f),
        ),
        Loss(
            "ns", "Non-saturating", _CE_D, "min_G -E_z[log D(G(z))]",
            f"KL(p_g || p_data) - KL(p_g || m) + log 2, {_M} (not KL - 2 JSD)",
            "KL(p_g || p_data) - 2 JSD(p_data || p_g) (Arjovsky & Bottou 2017, Thm 2.5); same fixed point as minimax",
            lambda f: _softplus(-f), "sigmoid",
            "Goodfellow et al. 2014, Sec. 3", d_star=_cross_entropy_d_star,
            g_slope=lambda f: -_sigmoid(-np.asarray(f, dtype=np.float64)),
        ),
        Loss(
            "logratio", "Log-ratio -log(D/(1-D))", _CE_D, "min_G -E_z[log(D(G(z)) / (1 - D(G(z))))]",
            "KL(p_g || p_data)",
            "KL(p_g || p_data): reverse KL, mode-seeking",
            lambda f: -f, "sigmoid",
            "Machine Perception exercise 2.1; Huszar 2016", d_star=_cross_entropy_d_star, g_slope=_constant(-1.0),
        ),
        Loss(
            "ml", "Maximum likelihood -exp(logit D)", _CE_D, "min_G -E_z[exp(sigma^-1(D(G(z))))]",
            "-E_{p_g}[p_data/p_g] = -1 for every G: a constant",
            "KL(p_data || p_g): forward KL, mode-covering",
            _ml_g_np, "sigmoid",
            "Goodfellow 2016 tutorial, Sec. 3.2.3", d_star=_cross_entropy_d_star,
            g_slope=lambda f: -exp_lin_slope(f),
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
            "Mao et al. 2017", d_star=_cross_entropy_d_star, g_slope=lambda f: np.asarray(f, dtype=np.float64),
        ),
        Loss(
            "wgan", "WGAN (weight clipping)", "max_{||D||_L <= 1} E_x[D(x)] - E_z[D(G(z))]", "min_G -E_z[D(G(z))]",
            "-E_z[D*(G(z))] = K W_1(p_data, p_g) - E_x[D*(x)]: W_1 up to the critic's free constant, "
            "K the Lipschitz bound the clipped weights allow",
            "K W_1(p_data, p_g), Wasserstein-1 (earth mover's): D and G share one objective (Arjovsky et al. 2017, Thm 3)",
            lambda f: -f, "critic",
            "Arjovsky et al. 2017", defaults={"clip": 0.01, "k": 5, "optimizer": "rmsprop", "lr_d": 5e-5, "lr_g": 5e-5},
            g_slope=_constant(-1.0),
        ),
        Loss(
            "wgan-gp", "WGAN-GP", "max_D E_x[D(x)] - E_z[D(G(z))] - lambda E[(||grad D(x_hat)|| - 1)^2]",
            "min_G -E_z[D(G(z))]",
            "-E_z[D*(G(z))], approximately W_1(p_data, p_g) - E_x[D*(x)]: the gradient penalty is soft",
            "approximately W_1(p_data, p_g), Wasserstein-1, Lipschitz by a gradient penalty on interpolates",
            lambda f: -f, "critic",
            "Gulrajani et al. 2017", defaults={"gp": 10.0, "k": 5, "beta1": 0.5, "beta2": 0.9}, g_slope=_constant(-1.0),
        ),
        Loss(
            "hinge", "Hinge", "min_D E_x[max(0, 1 - D(x))] + E_z[max(0, 1 + D(G(z)))]", "min_G -E_z[D(G(z))]",
            "P_g(p_g > p_data) - P_g(p_data > p_g), D* = sign(p_data - p_g); "
            "D's objective there is 2 - 2 TV(p_data, p_g)",
            "2 TV(p_data, p_g), total variation TV = 1/2 ∫|p_data - p_g| (Lim & Ye 2017)",
            lambda f: -f, "critic",
            "Lim & Ye 2017; Miyato et al. 2018", d_star=_hinge_d_star, g_slope=_constant(-1.0),
        ),
        Loss(
            "ebgan", "EBGAN (energy, margin m)", "min_D E_x[E(x)] + E_z[max(m - E(G(z)), 0)], E = D's energy >= 0",
            "min_G E_z[E(G(z))]", _EBGAN_VALUE, _EBGAN_FOLLOWS, lambda e: np.asarray(e, dtype=np.float64),
            "energy", "Zhao et al. 2017, Eq. 1-2, Thm 1-2",
            d_star=lambda pd, pg: (pg > pd).astype(np.float64), g_slope=_constant(1.0),
        ),
        _f_gan("kl", "KL", "KL(p_data || p_g)", "u log u", "v", "exp(t - 1)", "1 + log(p_data / p_g)",
               lambda v: np.asarray(v, dtype=np.float64), lambda t: t, lambda lu: 1.0 + lu,
               "-E_{p_g}[f*(T*)] = KL(p_data || p_g) - E_{p_data}[T*], T* = 1 + log(p_data / p_g)",
               "KL(p_data || p_g): forward KL, mode-covering (the f-GAN saddle objective)",
               "-E_x[v]", "E_z[exp(v - 1)]"),
        _f_gan("rkl", "reverse KL", "KL(p_g || p_data)", "-log u", "-exp(-v)", "-1 - log(-t)",
               "-p_g / p_data",
               lambda v: -np.exp(-np.asarray(v, dtype=np.float64)), lambda t: -np.log(-t), lambda lu: -np.exp(-lu),
               "-E_{p_g}[f*(T*)] = KL(p_g || p_data) - E_{p_data}[T*] = KL(p_g || p_data) + 1, T* = -p_g / p_data",
               "KL(p_g || p_data): reverse KL, mode-seeking (the f-GAN saddle objective)",
               "E_x[exp(-v)]", "E_z[v - 1]"),
        _f_gan("pearson", "Pearson χ²", "Pearson chi^2(p_data || p_g)", "(u - 1)^2", "v", "t^2/4 + t",
               "2 (p_data / p_g - 1)",
               lambda v: np.asarray(v, dtype=np.float64), lambda t: t, lambda lu: 2.0 * (np.exp(lu) - 1.0),
               "-E_{p_g}[f*(T*)] = chi^2(p_data || p_g) - E_{p_data}[T*], T* = 2 (p_data / p_g - 1)",
               "chi^2(p_data || p_g) = ∫(p_data - p_g)^2 / p_g, Pearson (the f-GAN saddle objective)",
               "-E_x[v]", "E_z[v^2/4 + v]"),
        _f_gan("hellinger", "squared Hellinger", "∫(√p_data - √p_g)^2", "(√u - 1)^2", "1 - exp(-v)",
               "t / (1 - t)", "1 - √(p_g / p_data)",
               lambda v: 1.0 - np.exp(-np.asarray(v, dtype=np.float64)), lambda t: -np.log1p(-t),
               lambda lu: 1.0 - np.exp(-0.5 * lu),
               "-E_{p_g}[f*(T*)] = ∫(√p_data - √p_g)^2 - E_{p_data}[T*], T* = 1 - √(p_g / p_data)",
               "∫(√p_data - √p_g)^2, the squared Hellinger distance (times 2 with H^2 = 1/2 ∫...; "
               "the f-GAN saddle objective)",
               "E_x[exp(-v) - 1]", "E_z[exp(v) - 1]"),
        _f_gan("js", "Jensen-Shannon", "2 JSD(p_data || p_g)", "u log u - (u + 1) log((u + 1)/2)",
               "log 2 - log(1 + exp(-v))", "-log(2 - exp(t))", "log(2 p_data / (p_data + p_g))",
               lambda v: np.log(2.0) - _softplus(-np.asarray(v, dtype=np.float64)),
               lambda t: -np.log(2.0 * np.exp(-t) - 1.0), lambda lu: np.log(2.0) - _softplus(-lu),
               "-E_{p_g}[f*(T*)] = 2 JSD(p_data || p_g) - E_{p_data}[T*], T* = log(2 p_data / (p_data + p_g))",
               "2 JSD(p_data || p_g), Jensen-Shannon (the f-GAN saddle objective: saturates like minimax)",
               "E_x[log(1 + exp(-v)) - log 2]", "E_z[log(1 + exp(v)) - log 2]"),
        _f_gan("gan", "GAN", "2 JSD(p_data || p_g) - log 4", "u log u - (u + 1) log(u + 1)",
               "-log(1 + exp(-v))", "-log(1 - exp(t))", "log(p_data / (p_data + p_g))",
               lambda v: -_softplus(-np.asarray(v, dtype=np.float64)), lambda t: -np.log(np.exp(-t) - 1.0),
               lambda lu: -_softplus(-lu),
               "-E_{p_g}[f*(T*)] = 2 JSD(p_data || p_g) - log 4 - E_{p_data}[T*], T* = log(p_data / (p_data + p_g))",
               "2 JSD(p_data || p_g) - log 4: the original GAN (minimax), as a member of the f-GAN family",
               "E_x[log(1 + exp(-v))]", "E_z[log(1 + exp(v))]"),
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


def loss_shape_slopes(n: int = 400) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """D in (0, 1), as `loss_shape_curves` samples it, and each probability-reading loss's slope there:
    d J(G) / d(D's raw output) (`Loss.g_slope_of_d`), what backprop hands from G's loss to D's output on a
    fake and on through D's network to G. The saturating loss's -D is flat where D(G(z)) -> 0 (a confident
    D early in training stalls G), the non-saturating loss's -(1 - D) flat where D(G(z)) -> 1, the
    log-ratio's -1 the same everywhere."""
    d = np.linspace(1e-3, 1 - 1e-3, n)
    return d, {lid: l.g_slope_of_d(d) for lid, l in LOSSES.items() if l.has_probability}


@dataclass(frozen=True)
class ShapeCurve:
    """One cost of a loss as a function of D's output on one sample, with its slope."""

    label: str
    value: np.ndarray
    slope: np.ndarray            # d value / d(D's raw output)
    generator: bool = False      # G's cost (the live fakes sit on it), else one of D's costs


@dataclass(frozen=True)
class LossShape:
    """A loss's costs against D's output, in the loss's own units (the loss-shape panel).

    x is D(G(z)) in (0, 1) for a probability-reading loss, the raw score v for a Wasserstein or
    hinge critic and an f-GAN (whose T = g_f(v) the axis names), the energy E in [0, 2m] for EBGAN.
    Slopes are with respect to D's raw output (`wrt`): the logit, a score, v or the energy.
    """

    loss_id: str
    x: np.ndarray
    x_label: str
    wrt: str
    curves: tuple[ShapeCurve, ...]
    marks: tuple[tuple[float, str], ...] = ()

    @property
    def loss(self) -> Loss:
        return LOSSES[self.loss_id]

    def axis_of(self, display: np.ndarray) -> np.ndarray:
        """D's outputs as the views hold them (`Loss.to_prob`, e.g. Snapshot.fake_d) on this x axis."""
        loss = self.loss
        display = np.asarray(display, dtype=np.float64)
        return display if loss.has_probability else loss.raw_from_display(display)

    def g_at(self, x: np.ndarray, slope: bool = False) -> np.ndarray:
        """G's cost (or its slope) at points of this x axis, exactly (no interpolation)."""
        loss = self.loss
        raw = loss.from_prob(x) if loss.has_probability else np.asarray(x, dtype=np.float64)
        return (loss.g_slope if slope else loss.g_np)(raw)


def _steps(x: np.ndarray, at: float, rising: bool) -> np.ndarray:
    """The slope of a hinge with its kink at `at`: 1 beyond it (rising) or -1 before it."""
    return (x > at).astype(np.float64) if rising else -(x < at).astype(np.float64)


def default_span(loss_id: str, margin: float = 1.0) -> tuple[float, float]:
    """The stretch of D's output `loss_shape` covers unless told: (0, 1) for a probability, the energy
    from 0 to 2m (the margin in the middle), a raw score from -3 to 3 (the hinges' kinks at +-1 inside)."""
    loss = get_loss(loss_id)
    if loss.has_probability:
        return 1e-3, 1 - 1e-3
    return (0.0, 2.0 * margin) if loss.is_energy else (-3.0, 3.0)


def loss_shape(loss_id: str, margin: float = 1.0, n: int = 401,
               span: Optional[tuple[float, float]] = None) -> LossShape:
    """The costs of loss `loss_id` against D's output on a sample, in its own units (see `LossShape`).

    Probability-reading losses: G's cost against D(G(z)). Wasserstein critics: G's cost -v; the hinge
    loss adds D's costs max(0, 1 - v) on a real and max(0, 1 + v) on a fake. f-GAN: G's saddle cost
    -f*(g_f(v)), with v where T = f'(1) (D says p_data = p_g) marked. EBGAN: G's cost E (which is also
    D's cost on a real) and D's cost on a fake max(m - E, 0), with the margin m marked. `span`: the
    stretch of the axis drawn (`default_span` unless given; the panel widens it to where the fakes are).
    """
    loss = get_loss(loss_id)
    x = np.linspace(*(span or default_span(loss_id, margin)), n)
    if loss.has_probability:
        wrt = "D's logit f" if loss.output == "sigmoid" else "LSGAN's score"
        return LossShape(loss_id, x, "D(G(z))", wrt,
                         (ShapeCurve("G's cost", loss.g_of_d(x), loss.g_slope_of_d(x), True),))
    if loss.is_energy:
        return LossShape(loss_id, x, "energy E  (D's output, \u2265 0)", "the energy E", (
            ShapeCurve("G's cost E(G(z)) = D's cost on a real E(x)", loss.g_np(x), loss.g_slope(x), True),
            ShapeCurve("D's cost on a fake max(m \u2212 E, 0)", np.maximum(margin - x, 0.0),
                       _steps(x, margin, rising=False)),
        ), ((margin, f"margin m = {margin:g}"),))
    g = ShapeCurve("G's cost", loss.g_np(x), loss.g_slope(x), True)
    if loss.is_f_gan:
        v0, _, _ = loss.accuracy_rule()
        return LossShape(loss_id, x, "D's raw output v  (T = g_f(v))", "v",
                         (replace(g, label="G's cost \u2212f*(T(v))"),), ((v0, "T = f\u2032(1): p_data = p_g"),))
    curves = (replace(g, label="G's cost \u2212v"),)
    if loss.d_star is not None:     # the hinge loss: D's two hinges
        curves += (ShapeCurve("D's cost on a real max(0, 1 \u2212 v)", np.maximum(0.0, 1.0 - x), _steps(x, 1.0, False)),
                   ShapeCurve("D's cost on a fake max(0, 1 + v)", np.maximum(0.0, 1.0 + x), _steps(x, -1.0, True)))
    return LossShape(loss_id, x, "critic score v  (no probability)", "the score v", curves)
