"""The exercise model: a GAN step small enough to compute by hand, computed and shown term by term.

Pen-and-paper sheets pose one training step of a GAN on a handful of points (KCL 7CCSMPNN tutorial 6,
Q3): real samples x_i and generated samples x~_i given as numbers, a linear-logistic discriminator

    D(x) = sigma(u(x)),   u(x) = sum_j s_j theta_j x_j + b      (the sheet: theta_1 x_1 - theta_2 x_2 - 2)

with fixed signs s_j and a bias b (fixed, unless `learn_bias`), the value

    V(D, G) = (1/m) sum_i ln D(x_i) + (1/n) sum_i ln(1 - D(x~_i)),

and plain SGD on the whole set (the minibatch is every point): D ascends V, theta <- theta + eta grad V.
The generator is the fake points themselves (each x~_i is a parameter of G, so a G step moves it down the
gradient of G's loss), or frozen. A scenario with `view = "exercise"` gives all of it in its general tables:

    [data]   points = [[1, 2], [3, 4]]                          the real x_i
    [model]  generator = "points", fake_points = [[5, 6], [7, 8]]
             discriminator = "linear-logistic", theta = [0.1, 0.2], signs = [1, -1], bias = -2.0,
             learn_bias = false
    [train]  loss = "minimax", optimizer = "sgd", lr_d = 0.02, lr_g = 0.02, k = 1 (freeze_g = true: G frozen)

`Scenario.exercise` collects them into this model's spec, checked by `ganviz.core.settings.validate_exercise`
(the [model] keys' schema is `settings.SMALL_MODEL_SCHEMA`); the built-in kcl-q3-one-step is the sheet's Q3.

Why a model of its own, in numpy, rather than a mode of the trainer: the trainer (`core/train.py`) trains
M batched MLPs on batches drawn from a mixture, with every regulariser the app offers; fixed points, a
hand-written logit form and a fixed bias would thread through its sampling, its networks, its snapshots
and every view, for a model whose whole point is to be read number by number. This one is a few dozen
lines of float64 arithmetic that the ui's inspector panel can call on the GUI thread (no torch, so the ui
stays torch-free, as the game lab's `core/games.py` is), whose every intermediate value is kept so that
the step can be printed as a hand computation, and whose result a test checks against plain Python math.

One idea, one home: the per-sample derivatives of D's and G's losses in the logit u are the loss
registry's, through the Dirac-GAN's table (`core.game_fields`: a', b', g'), and G's loss values are the
registry's `g_np`; the update is the registry's plain SGD rule (`OPTIMIZER_CHOICES["sgd"]`,
theta <- theta - lr * g on D's loss -V), written out here in numpy because `core.optim` is torch (a
test checks the two agree).
"""
from __future__ import annotations

import copy
import math
import unicodedata
from dataclasses import dataclass, field
from typing import Mapping, Optional

import numpy as np

from ganviz.core.game_fields import _DIRAC_PARTS
from ganviz.core.losses import LOSSES
from ganviz.core.settings import EXERCISE_FIELDS, EXERCISE_LOSSES, validate_exercise

SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")

# G's loss per fake sample and its slope in the logit u, in D's words (the registry has them as functions).
G_LOSS_TEXT: dict[str, tuple[str, str]] = {
    "minimax": ("ln(1 − D(x̃ᵢ))", "−D(x̃ᵢ)"),
    "ns": ("−ln D(x̃ᵢ)", "−(1 − D(x̃ᵢ))"),
    "logratio": ("−ln(D(x̃ᵢ)/(1 − D(x̃ᵢ)))", "−1"),
    "ml": ("−D(x̃ᵢ)/(1 − D(x̃ᵢ))", "−D(x̃ᵢ)/(1 − D(x̃ᵢ))"),
}
assert set(G_LOSS_TEXT) == set(EXERCISE_LOSSES), "every exercise loss needs its words"


def ascii_name(param: str) -> str:
    """A parameter's name for JSON: θ₁ -> theta_1, b -> b, x̃₁,₂ -> fake_1_2."""
    digits = param.translate(str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")).replace(",", "_")
    return digits.replace("θ", "theta_").replace("x\u0303", "fake_")


def num(x: float, digits: int = 4) -> str:
    """A number as a hand computation writes it: 4 decimals, a true minus sign, no '-0.0000'."""
    text = f"{x:.{digits}f}"
    if float(text) == 0:
        text = f"{0:.{digits}f}"
    return text.replace("-", "−")


def paren(x: float) -> str:
    """A factor after ×: (−2.3596) in brackets when negative."""
    text = num(x)
    return f"({text})" if text.startswith("−") else text


def width(text: str) -> int:
    """Columns a string takes on a terminal: a combining tilde (x̃) takes none."""
    return sum(not unicodedata.combining(c) for c in text)


def pad(text: str, n: int) -> str:
    return text + " " * max(0, n - width(text))


def coord(x: float) -> str:
    """A data coordinate or sign as given: 3, 0.5, −2."""
    return f"{x:g}".replace("-", "−")


def sigmoid(u: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(u, dtype=np.float64)))


def log_d(u: np.ndarray) -> np.ndarray:
    """ln D = ln sigma(u) = -softplus(-u), finite at any u."""
    return -np.logaddexp(0.0, -np.asarray(u, dtype=np.float64))


def log_one_minus_d(u: np.ndarray) -> np.ndarray:
    """ln(1 - D) = ln sigma(-u) = -softplus(u)."""
    return -np.logaddexp(0.0, np.asarray(u, dtype=np.float64))


@dataclass(frozen=True)
class Sample:
    """One point as a step sees it."""

    label: str              # "x₁", "x̃₂"
    real: bool
    x: tuple                # its coordinates
    u: float                # D's logit
    d: float                # D(x)
    term_text: str          # "ln D(x₁)", "ln(1 − D(x̃₁))", G's "ln(1 − D(x̃₁))"
    term: float             # that term's value


@dataclass(frozen=True)
class Gradient:
    """The gradient of the stepping player's objective in one parameter, as formula, numbers and value."""

    param: str              # "θ₁", "b", "x̃₁₂"
    formula: str            # with symbols
    numbers: str            # the same with the numbers put in
    value: float


@dataclass(frozen=True)
class Update:
    param: str
    before: float
    after: float
    rule: str               # "θ₁ ← 0.1000 + 0.02 × 1.5004 = 0.1300"


@dataclass(frozen=True)
class StepReport:
    """Everything one step computes: what the inspector shows and `ganviz run --explain` prints."""

    player: str             # "D" or "G"
    step: int               # the iteration (1-based) this step belongs to
    index: int              # which of the iteration's D steps (1..k); 1 for G
    k: int
    objective: str          # what the player does, in words
    samples: tuple          # of Sample
    value: float            # V(D, G) before the step
    value_text: str         # V's sum with the numbers put in
    g_loss: float           # G's loss before the step
    gradients: tuple        # of Gradient
    updates: tuple          # of Update
    frozen: bool = False    # a G step of a frozen G: nothing changes

    def to_dict(self) -> dict:
        return {
            "player": self.player, "step": self.step, "index": self.index, "k": self.k,
            "samples": [{"label": ascii_name(s.label), "real": s.real, "x": list(s.x), "u": s.u, "d": s.d,
                         "term": s.term} for s in self.samples],
            "V": self.value, "g_loss": self.g_loss, "frozen": self.frozen,
            "gradient": {ascii_name(g.param): g.value for g in self.gradients},
            "before": {ascii_name(u.param): u.before for u in self.updates},
            "after": {ascii_name(u.param): u.after for u in self.updates},
        }


def sheet_spec() -> dict:
    """The spec of the built-in kcl-q3-one-step (the KCL sheet's Q3): what an empty table gives."""
    from ganviz.core.scenario import load
    return load("kcl-q3-one-step").exercise


@dataclass
class Exercise:
    """The exercise model's state: D's weights and bias, the points, and how many steps were taken.
    `spec`: the model's fields, keyed as `settings.EXERCISE_FIELDS` (a scenario's `exercise` gives them)."""

    spec: dict
    theta: np.ndarray = field(init=False)
    bias: float = field(init=False)
    real: np.ndarray = field(init=False)
    fake: np.ndarray = field(init=False)
    iteration: int = 0          # completed iterations (k D steps and a G step)
    d_done: int = 0             # D steps of the current iteration already taken

    def __post_init__(self) -> None:
        self.spec = validate_exercise(self.spec)
        self.theta = np.array(self.spec["theta"], dtype=np.float64)
        self.signs = np.array(self.spec["signs"], dtype=np.float64)
        self.bias = float(self.spec["bias"])
        self.real = np.array(self.spec["points"], dtype=np.float64)
        self.fake = np.array(self.spec["fake_points"], dtype=np.float64)
        self.loss = LOSSES[self.spec["loss"]]
        a1, _, b1, _, g1, _ = _DIRAC_PARTS[self.loss.id]
        self._slope_real, self._slope_fake, self._slope_g = a1, b1, g1

    @classmethod
    def from_table(cls, table: Optional[Mapping] = None) -> "Exercise":
        """The model of a spec (`Scenario.exercise`); keys left out are the sheet's (kcl-q3-one-step), so an
        empty table is the sheet's Q3."""
        table = dict(table or {})
        if set(table) != set(EXERCISE_FIELDS):
            table = {**sheet_spec(), **table}
        return cls(table)

    @classmethod
    def from_scenario(cls, scenario) -> "Exercise":
        return cls(scenario.exercise)

    def copy(self) -> "Exercise":
        return copy.deepcopy(self)

    # -- the model ----------------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return self.theta.size

    @property
    def k(self) -> int:
        return int(self.spec["k"])

    def logit(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=np.float64) @ (self.signs * self.theta) + self.bias

    def d(self, x: np.ndarray) -> np.ndarray:
        return sigmoid(self.logit(x))

    def value(self) -> float:
        """V(D, G) = mean ln D(x_i) + mean ln(1 - D(x~_i))."""
        return float(log_d(self.logit(self.real)).mean() + log_one_minus_d(self.logit(self.fake)).mean())

    def g_loss(self) -> float:
        """G's loss, the registry's per-sample g(u) averaged over the fakes."""
        return float(np.mean(self.loss.g_np(self.logit(self.fake))))

    def grad_d(self) -> np.ndarray:
        """dV/d(theta, b): D's loss is -V, whose slope in a real logit is a'(u) = -(1 - D), in a fake one b'(u) = D."""
        ur, uf = self.logit(self.real), self.logit(self.fake)
        dv_dur = -self._slope_real(ur) / len(ur)           # (1 - D(x_i)) / m
        dv_duf = -self._slope_fake(uf) / len(uf)           # -D(x~_i) / n
        g_theta = self.signs * (dv_dur @ self.real + dv_duf @ self.fake)
        return np.append(g_theta, dv_dur.sum() + dv_duf.sum())

    def grad_g(self) -> np.ndarray:
        """d(G's loss)/d x~_ij = (1/n) g'(u_i) s_j theta_j, (n, dim)."""
        uf = self.logit(self.fake)
        return np.outer(self._slope_g(uf) / len(uf), self.signs * self.theta)

    def form(self) -> str:
        """D's logit as the sheet writes it: θ₁ x₁ − θ₂ x₂ − 2."""
        text = ""
        for j, s in enumerate(self.signs, start=1):
            term = f"θ{str(j).translate(SUB)} x{str(j).translate(SUB)}"
            text += (("−" if s < 0 else "") + term) if j == 1 else f" {'−' if s < 0 else '+'} {term}"
        if self.spec["learn_bias"]:
            text += " + b"
        elif self.bias:
            text += f" {'+' if self.bias > 0 else '−'} {coord(abs(self.bias))}"
        return text

    def describe(self) -> str:
        """The model in one line: D's form, its parameters, the points and the rule."""
        pts = lambda a: ", ".join("(" + ", ".join(coord(v) for v in p) + ")" for p in a)  # noqa: E731
        theta = ", ".join(coord(t) for t in self.theta)
        bias = f"b = {coord(self.bias)} ({'learnt' if self.spec['learn_bias'] else 'fixed'})"
        g = ("G frozen" if self.spec["freeze_g"]
             else f"G's parameters are the fakes, G's loss (1/n) Σ {G_LOSS_TEXT[self.loss.id][0]}, "
                  f"η_G = {coord(self.spec['lr_g'])}")
        return (f"D(x) = σ({self.form()}), θ = ({theta}), {bias}; real {pts(self.real)}; fake {pts(self.fake)}; "
                f"plain SGD on all points, η_D = {coord(self.spec['lr_d'])}, k = {self.k}; {g}")

    # -- the steps ----------------------------------------------------------------------------------
    def next_player(self) -> str:
        """Who steps next in Algorithm 1: D until its k steps are done, then G."""
        return "D" if self.d_done < self.k else "G"

    def _samples(self, g_terms: bool = False) -> tuple:
        out = []
        for real, pts in ((True, self.real), (False, self.fake)):
            u = self.logit(pts)
            d = sigmoid(u)
            for i, (x, ui, di) in enumerate(zip(pts, u, d), start=1):
                sub = str(i).translate(SUB)
                if real:
                    label, text, term = f"x{sub}", f"ln D(x{sub})", float(log_d(ui))
                elif g_terms:
                    label = f"x̃{sub}"
                    text = G_LOSS_TEXT[self.loss.id][0].replace("ᵢ", sub)
                    term = float(self.loss.g_np(np.array([ui]))[0])
                else:
                    label, text, term = f"x̃{sub}", f"ln(1 − D(x̃{sub}))", float(log_one_minus_d(ui))
                out.append(Sample(label, real, tuple(float(v) for v in x), float(ui), float(di), text, term))
        return tuple(out)

    def _value_text(self, samples) -> str:
        real = [s for s in samples if s.real]
        fake = [s for s in samples if not s.real]
        def mean(group, terms) -> str:
            return f"(1/{len(group)})(" + " + ".join(num(t) for t in terms).replace("+ −", "− ") + ")"
        return (f"{mean(real, [float(log_d(s.u)) for s in real])} + "
                f"{mean(fake, [float(log_one_minus_d(s.u)) for s in fake])} = {num(self.value())}")

    def _d_gradients(self, samples, grad: np.ndarray) -> tuple:
        real = [s for s in samples if s.real]
        fake = [s for s in samples if not s.real]
        m, n = len(real), len(fake)
        out = []
        names = [f"θ{str(j).translate(SUB)}" for j in range(1, self.dim + 1)]
        for j, name in enumerate(names):
            s = self.signs[j]
            jj = str(j + 1).translate(SUB)
            xr, xf = (f"xᵢ{jj}", f"x̃ᵢ{jj}") if s > 0 else (f"(−xᵢ{jj})", f"(−x̃ᵢ{jj})")
            formula = f"∂V/∂{name} = (1/m) Σᵢ (1 − D(xᵢ)) {xr} − (1/n) Σᵢ D(x̃ᵢ) {xf}"
            left = " + ".join(f"(1 − {num(r.d)})({coord(s * r.x[j])})" for r in real)
            right = " + ".join(f"({num(f.d)})({coord(s * f.x[j])})" for f in fake)
            numbers = f"(1/{m})[{left}] − (1/{n})[{right}] = {num(grad[j])}"
            out.append(Gradient(name, formula, numbers, float(grad[j])))
        if self.spec["learn_bias"]:
            left = " + ".join(f"(1 − {num(r.d)})" for r in real)
            right = " + ".join(num(f.d) for f in fake)
            out.append(Gradient("b", "∂V/∂b = (1/m) Σᵢ (1 − D(xᵢ)) − (1/n) Σᵢ D(x̃ᵢ)",
                                f"(1/{m})[{left}] − (1/{n})[{right}] = {num(grad[-1])}", float(grad[-1])))
        return tuple(out)

    def step_d(self) -> StepReport:
        """One D step: D ascends V by plain SGD on all the points; the report holds every number on the way."""
        samples = self._samples()
        grad = self.grad_d()
        eta = float(self.spec["lr_d"])
        report_grads = self._d_gradients(samples, grad)
        v, gl, v_text = self.value(), self.g_loss(), self._value_text(samples)
        # The registry's SGD rule on D's loss -V: theta <- theta - eta * (-grad V).
        new_theta = self.theta - eta * (-grad[:-1])
        updates = [Update(g.param, float(b), float(a), f"{g.param} ← {num(b)} + {coord(eta)} × {paren(g.value)} = "
                                                        f"{num(a)}")
                   for g, b, a in zip(report_grads, self.theta, new_theta)]
        if self.spec["learn_bias"]:
            new_bias = self.bias - eta * (-grad[-1])
            updates.append(Update("b", self.bias, float(new_bias),
                                  f"b ← {num(self.bias)} + {coord(eta)} × {paren(grad[-1])} = {num(new_bias)}"))
            self.bias = float(new_bias)
        self.theta = new_theta
        self.d_done += 1
        return StepReport("D", self.iteration + 1, self.d_done, self.k,
                          f"D ascends V: θ ← θ + η ∇_θ V, η = {coord(eta)}", samples, v,
                          v_text, gl, report_grads, tuple(updates))

    def step_g(self) -> StepReport:
        """One G step: each fake point moves down the gradient of G's loss (nothing moves when G is frozen).
        It ends the iteration, whether or not D took its k steps first."""
        samples = self._samples(g_terms=True)
        v, gl, v_text = self.value(), self.g_loss(), self._value_text(self._samples())
        eta = float(self.spec["lr_g"])
        frozen = self.spec["freeze_g"]
        grads, updates = [], []
        if not frozen:
            grad = self.grad_g()
            uf = self.logit(self.fake)
            slope_text = G_LOSS_TEXT[self.loss.id][1]
            new_fake = self.fake - eta * grad
            n = len(self.fake)
            for i in range(n):
                si = str(i + 1).translate(SUB)
                for j in range(self.dim):
                    sj = str(j + 1).translate(SUB)
                    name = f"x̃{si},{sj}"
                    st = coord(self.signs[j]) if self.signs[j] < 0 else ""
                    formula = (f"∂L_G/∂{name} = (1/n) ({slope_text.replace('ᵢ', si)}) "
                               f"{'(−θ' + sj + ')' if st else 'θ' + sj}")
                    numbers = (f"(1/{n})({num(float(self._slope_g(uf[i:i + 1])[0]))})"
                               f"({num(self.signs[j] * self.theta[j])}) = {num(grad[i, j])}")
                    grads.append(Gradient(name, formula, numbers, float(grad[i, j])))
                    rule = (f"{name} ← {num(self.fake[i, j])} − {coord(eta)} × {paren(grad[i, j])} = "
                            f"{num(new_fake[i, j])}")
                    updates.append(Update(name, float(self.fake[i, j]), float(new_fake[i, j]), rule))
            self.fake = new_fake
        report = StepReport("G", self.iteration + 1, 1, self.k,
                            "G is frozen: the fake points stay" if frozen else
                            f"G descends its loss L_G = (1/n) Σ {G_LOSS_TEXT[self.loss.id][0]}: "
                            f"x̃ ← x̃ − η ∇ L_G, η = {coord(eta)}",
                            samples, v, v_text, gl, tuple(grads), tuple(updates), frozen)
        self.iteration += 1
        self.d_done = 0
        return report

    def preview(self, player: Optional[str] = None) -> StepReport:
        """The report of the step about to run (D's or G's; default: the next of Algorithm 1), leaving this
        model as it is."""
        player = player or self.next_player()
        twin = self.copy()
        return twin.step_d() if player == "D" else twin.step_g()

    def step(self) -> StepReport:
        """The next step of Algorithm 1 (k D steps, then a G step)."""
        return self.step_d() if self.next_player() == "D" else self.step_g()

    def iterate(self) -> list[StepReport]:
        """The rest of the current iteration: the D steps still due, then G's."""
        out = [self.step_d() for _ in range(self.k - self.d_done)]
        out.append(self.step_g())
        return out


def format_report(r: StepReport) -> str:
    """A step as a hand computation, for the terminal."""
    head = (f"== step {r.step}: D step {r.index} of {r.k}" if r.player == "D" else f"== step {r.step}: G step")
    lines = [f"{head} — {r.objective}"]
    xs = ["(" + ", ".join(coord(v) for v in s.x) + ")" for s in r.samples]
    lw = max(width(s.label) for s in r.samples)
    xw = max(width(x) for x in xs)
    tw = max(width(s.term_text) for s in r.samples)
    lines.append(f"  {pad('', lw)}  {pad('x', xw)}  {'u':>8}  {'D(x)':>7}  term")
    for s, x in zip(r.samples, xs):
        lines.append(f"  {pad(s.label, lw)}  {pad(x, xw)}  {num(s.u):>8}  {num(s.d):>7}  "
                     f"{pad(s.term_text, tw)} = {num(s.term)}")
    lines.append(f"  V(D, G) = {r.value_text}")
    if r.player == "G":
        lines.append(f"  G's loss L_G = {num(r.g_loss)}")
    if r.frozen:
        lines.append("  (G is frozen: no gradient, no update)")
    for g in r.gradients:
        lines.append(f"  {g.formula}")
        lines.append(f"  {' ' * width(g.formula.split('=')[0])}= {g.numbers}")
    for u in r.updates:
        lines.append(f"  {u.rule}")
    return "\n".join(lines)


def is_finite(e: Exercise) -> bool:
    return bool(np.all(np.isfinite(e.theta)) and np.all(np.isfinite(e.fake)) and math.isfinite(e.bias))
