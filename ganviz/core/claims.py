"""A lesson's claims as data: the [[claims]] tables of a scenario file, parsed and checked for form.

Torch-free, so that the scenario loader (which every layer reads) can parse them; what a claim
means and how a run is checked against it: `ganviz.core.lessons`.
"""
from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Callable, Optional

from ganviz.core.metric_info import METRICS, SLOW

OPS: dict[str, Callable[[float, float], bool]] = {"<=": operator.le, "<": operator.lt, ">=": operator.ge,
                                                  ">": operator.gt}
AT = ("end", "start", "every", "mean", "max", "min")
DERIVED = ("mode_hops", "d_center", "d_max", "batch_coupling", "v_gap", "kl_gap")
GAME_METRICS = ("distance", "distance_ratio")
CLAIM_KEYS = ("text", "metric", "panel", "method", "at", "after", "op", "value", "than", "factor")


class ClaimError(ValueError):
    """A [[claims]] table that cannot be checked: one sentence naming the field."""


@dataclass(frozen=True)
class Claim:
    text: str
    metric: str
    op: str
    value: Optional[float] = None
    panel: Optional[str] = None
    method: Optional[str] = None
    at: str = "end"
    after: int = 0
    than: Optional[str] = None
    factor: float = 1.0

    @property
    def slow(self) -> bool:
        """Needs the k-NN estimates (evaluated less often in the app, costly in a check)."""
        return self.metric in SLOW

    def describe(self) -> str:
        who = f"{self.panel}: " if self.panel else f"{self.method}: " if self.method else ""
        when = {"end": "at the end", "start": "at the start", "every": "at every evaluation",
                "mean": "on average", "max": "at its highest", "min": "at its lowest"}[self.at]
        if self.after and self.at not in ("end", "start"):
            when += f" from step {self.after:,}"
        rhs = (f"{self.factor:g} x {self.than}'s" if self.than else f"{self.value:g}")
        return f"{who}{self.metric} {when} {self.op} {rhs}"


def parse_claims(raw, panels: list[str], game: bool) -> tuple[Claim, ...]:
    """Claims from the scenario's [[claims]] tables, checked against its panels (or game methods)."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(c, dict) for c in raw):
        raise ClaimError("claims: must be an array of tables ([[claims]])")
    out = []
    for i, c in enumerate(raw):
        where = f"claims[{i}]"
        for key in c:
            if key not in CLAIM_KEYS:
                raise ClaimError(f"{where}.{key}: unknown key; a claim may set {', '.join(CLAIM_KEYS)}")
        text = c.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ClaimError(f"{where}.text: say in words what the lesson shows")
        metric = c.get("metric")
        known = GAME_METRICS if game else tuple(METRICS) + DERIVED
        if metric not in known:
            raise ClaimError(f"{where}.metric: must be one of {', '.join(known)} (got {metric!r})")
        op = c.get("op")
        if op not in OPS:
            raise ClaimError(f"{where}.op: must be one of {', '.join(OPS)} (got {op!r})")
        at = c.get("at", "end")
        if at not in AT:
            raise ClaimError(f"{where}.at: must be one of {', '.join(AT)} (got {at!r})")
        after = c.get("after", 0)
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            raise ClaimError(f"{where}.after: must be a whole number of steps >= 0 (got {after!r})")
        value, than = c.get("value"), c.get("than")
        if (value is None) == (than is None):
            raise ClaimError(f"{where}: give either value (a threshold) or than (another panel), not both")
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not math.isfinite(value)):
            raise ClaimError(f"{where}.value: must be a number (got {value!r})")
        factor = c.get("factor", 1.0)
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not factor > 0:
            raise ClaimError(f"{where}.factor: must be a positive number (got {factor!r})")
        names = panels
        for key in ("panel", "than") if not game else ("method", "than"):
            v = c.get(key)
            if v is not None and v not in names:
                raise ClaimError(f"{where}.{key}: {v!r} is not one of this scenario's "
                                 f"{'methods' if game else 'panels'} ({', '.join(names)})")
        if game and c.get("method") is None:
            raise ClaimError(f"{where}.method: a game claim names the method it is about")
        if not game and c.get("method") is not None:
            raise ClaimError(f"{where}.method: only a game scenario's claims name a method")
        if game and c.get("panel") is not None:
            raise ClaimError(f"{where}.panel: a game scenario has methods, not panels")
        out.append(Claim(text.strip(), metric, op, None if value is None else float(value),
                         c.get("panel"), c.get("method"), at, after, than, float(factor)))
    return tuple(out)
