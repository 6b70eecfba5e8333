"""The game lab's integrators: simultaneous and alternating gradient steps, extragradient,
optimistic, consensus and momentum steps, and the continuous flow, on a `Game`'s field; a
`Runner` advances a trajectory a chunk at a time (the game view animates it so)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np

from ganviz.core.game_fields import DIVERGED_AT, FLOW_MAX_SUBSTEP, Game

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
