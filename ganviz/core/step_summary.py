"""The step inspector's summary of one training step of a GAN, in numpy (torch-free: the ui reads it).

For the last D step and the last G step of each GAN, the trainer (`Trainer.inspect`, then
`Trainer.step_summary()`) keeps what a lecturer pauses to show: D's outputs on the batch's real and fake
samples in display units (the loss's `to_prob`: a probability for the cross-entropy and least-squares
losses), the game's value on that batch, each player's loss, and for every parameter block (each Linear
layer's W and b, batch norm's scale and shift, minibatch discrimination's T) the gradient norm, the
update ||Δθ|| the optimizer actually made (clipping included) and ||Δθ|| / ||θ||.

A summary is a plain dict of numbers, strings and lists (JSON-able), so that a snapshot that carries it
can be recorded, pickled to the window and printed by `ganviz run --explain --json` as it is.
"""
from __future__ import annotations

import math
from typing import Mapping, Optional, Sequence

import numpy as np

from ganviz.core.losses import get_loss

# The quantiles of D's outputs a summary keeps (with the mean and a histogram): enough for a box plot.
QUANTILES = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)
HIST_BINS = 10

_CE_V = "V(D, G) = E_x[log D(x)] + E_z[log(1 − D(G(z)))]"


def param_blocks(layout, who: str) -> list[tuple[str, int, int]]:
    """(name, start, stop) of each parameter block of a network with this `nets.Layout`, in the order of
    its flat weights: per Linear layer W then b ("D layer 1 (2→128) W"), then batch norm's scale and shift
    per hidden layer, then minibatch discrimination's tensor T."""
    out = []
    off = 0
    shapes = layout.shapes()
    for li, (i, o) in enumerate(shapes):
        # The last layer's extra inputs (the minibatch features' slots) are rows of its W, not named apart.
        extra = layout.extra_last if li == len(shapes) - 1 else 0
        where = f"{who} layer {li + 1} ({i - extra}→{o})"
        out.append((f"{where} W", off, off + i * o))
        out.append((f"{where} b", off + i * o, off + i * o + o))
        off += i * o + o
    if layout.norm_size():
        h = layout.hidden
        for li in range(layout.layers):
            out.append((f"{who} batch norm {li + 1} scale", off, off + h))
            out.append((f"{who} batch norm {li + 1} shift", off + h, off + 2 * h))
            off += 2 * h
    if layout.md_size():
        out.append((f"{who} minibatch discrimination T", off, off + layout.md_size()))
    return out


def _finite(x) -> Optional[float]:
    x = float(x)
    return x if math.isfinite(x) else None


def _spread(values: np.ndarray, edges: np.ndarray) -> dict:
    """Mean, quantiles and a histogram (counts on `edges`) of one batch of D outputs in display units."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if not v.size:
        return {"n": 0, "mean": None, "quantiles": [None] * len(QUANTILES), "hist": [0] * (len(edges) - 1)}
    counts, _ = np.histogram(np.clip(v, edges[0], edges[-1]), bins=edges)
    return {"n": int(v.size), "mean": float(v.mean()), "quantiles": [float(q) for q in np.quantile(v, QUANTILES)],
            "hist": [int(c) for c in counts]}


def objective(loss_id: str, raw_real: np.ndarray, raw_fake: np.ndarray, d_objective_loss: float,
              penalised: bool = False) -> tuple[str, Optional[float]]:
    """What the D step's batch value is and its value: V(D, G) itself for the cross-entropy losses (exact,
    from D's raw outputs, without label smoothing), else the loss's own D objective (its registry formula;
    `d_objective_loss` is the registry's D loss on the batch, without penalties, whose sign the formula's
    max or min gives)."""
    loss = get_loss(loss_id)
    if loss.output == "sigmoid":
        r = np.asarray(raw_real, dtype=np.float64)
        f = np.asarray(raw_fake, dtype=np.float64)
        # log D(x) = -softplus(-r), log(1 - D(G(z))) = -softplus(f): finite at any logit
        v = -np.logaddexp(0.0, -r).mean() - np.logaddexp(0.0, f).mean()
        return _CE_V, _finite(v)
    text = f"D's objective ({loss.name}): {loss.d_formula}"
    if penalised:
        text += " (without the penalty, which D's loss includes)"
    value = -d_objective_loss if loss.d_formula.startswith("max") else d_objective_loss
    return text, _finite(value)


def player_summary(player: str, loss_id: str, step: int, d_steps: int, index: int, of: int, layers: Sequence[str],
                   grad: np.ndarray, update: np.ndarray, norm: np.ndarray, loss_value: float,
                   raw_fake: np.ndarray, raw_real: Optional[np.ndarray] = None,
                   other_loss: Optional[float] = None, d_objective_loss: Optional[float] = None,
                   penalised: bool = False) -> dict:
    """One GAN's summary of one step of `player` ("D" or "G").

    step: the generator iterations completed before this step (it ran in iteration step + 1, or after
    iteration `step` when taken alone); d_steps: the trainer's D steps so far, this one included for a D step;
    index: this player's step of its iteration (1 to `of`: k for D, g_steps for G), 0 for a step taken alone
    (the app's Step D and Step G). grad, update, norm: per block (L,);
    norm is ||θ|| before the step. loss_value: the stepping player's loss as trained (D's with penalties);
    other_loss: for a D step, G's loss on the same fakes. raw_*: D's raw outputs on the batch.
    """
    loss = get_loss(loss_id)
    fake = loss.to_prob(raw_fake)
    real = None if raw_real is None else loss.to_prob(raw_real)
    if loss.has_probability:
        edges = np.linspace(0.0, 1.0, HIST_BINS + 1)
        units = "probability"
    else:
        both = np.concatenate([a[np.isfinite(a)] for a in (fake, real) if a is not None])
        lo, hi = (float(both.min()), float(both.max())) if both.size else (0.0, 1.0)
        hi = hi if hi > lo else lo + 1.0
        edges = np.linspace(lo, hi, HIST_BINS + 1)
        units = {"critic": "critic value", "energy": "energy", "fgan": "T = g_f(v)"}.get(loss.output, "raw")
    grad, update, norm = (np.asarray(a, dtype=np.float64) for a in (grad, update, norm))
    rel = np.divide(update, norm, out=np.full_like(update, np.nan), where=norm > 0)
    out = {
        "player": player, "loss": loss_id, "step": int(step), "d_steps": int(d_steps), "index": int(index),
        "of": int(of), "units": units,
        "edges": [float(e) for e in edges],
        "real": None if real is None else _spread(real, edges), "fake": _spread(fake, edges),
        "layers": [{"name": n, "grad": _finite(g), "update": _finite(u), "norm": _finite(p), "rel": _finite(r)}
                   for n, g, u, p, r in zip(layers, grad, update, norm, rel)],
        "grad_total": _finite(np.sqrt((grad ** 2).sum())), "update_total": _finite(np.sqrt((update ** 2).sum())),
        "d_loss": None, "g_loss": None, "objective": None, "value": None,
    }
    if player == "D":
        out["d_loss"] = _finite(loss_value)
        out["g_loss"] = None if other_loss is None else _finite(other_loss)
        out["objective"], out["value"] = objective(loss_id, raw_real, raw_fake, d_objective_loss, penalised)
    else:
        out["g_loss"] = _finite(loss_value)
    return out


# -- as text (ganviz run --explain; the app's Step inspector lays out the same) -----------------------------
BARS = "▁▂▃▄▅▆▇█"


def sparkline(counts: Sequence[int]) -> str:
    """A histogram as a line of block characters (the tallest bin a full block, an empty one a space)."""
    top = max(counts, default=0)
    return "".join(" " if c == 0 else BARS[min(len(BARS) - 1, int(len(BARS) * c / (top + 1e-9)))] for c in counts)


def fmt(x: Optional[float], digits: int = 4) -> str:
    """A summary's number as the tables print it: 4 decimals, or scientific notation when tiny or huge."""
    if x is None:
        return "–"
    if x != 0 and (abs(x) < 1e-3 or abs(x) >= 1e5):
        return f"{x:.{digits - 1}e}"
    return f"{x:.{digits}f}"


def describe_step(s: Mapping) -> str:
    """The heading of one player's step: "D step 2 of 5 in iteration 4", "G step taken alone after iteration 3"."""
    who = s["player"]
    if not s["index"]:
        return f"{who} step taken alone after iteration {s['step']:,}"
    of = f" {s['index']} of {s['of']}" if s["of"] > 1 else ""
    return f"{who} step{of} in iteration {s['step'] + 1:,}"


def values_line(s: Mapping, which: str) -> str:
    """D's outputs on the batch's real or fake samples: mean and quantiles."""
    sp = s[which]
    if sp is None:
        return ""
    qs = " ".join(fmt(q, 3) for q in sp["quantiles"])
    name = "D(x), real" if which == "real" else "D(G(z)), fake"
    return f"{name:<14} mean {fmt(sp['mean'])}  quantiles 0/10/25/50/75/90/100 %: {qs}  |{sparkline(sp['hist'])}|"


def format_table(s: Mapping) -> str:
    """One player's step as the table `ganviz run --explain` prints."""
    n = (s["real"] or s["fake"])["n"]
    lines = [f"{describe_step(s)}: D's outputs on the batch ({n} each) in {s['units']} units, histograms over "
             f"{fmt(s['edges'][0], 3)} to {fmt(s['edges'][-1], 3)}"]
    for which in ("real", "fake"):
        if s[which] is not None:
            lines.append("  " + values_line(s, which))
    if s["player"] == "D":
        lines.append(f"  {s['objective']} = {fmt(s['value'])}")
        lines.append(f"  D's loss L_D = {fmt(s['d_loss'])}   G's loss on these fakes L_G = {fmt(s['g_loss'])}")
    else:
        lines.append(f"  G's loss L_G = {fmt(s['g_loss'])}   (a G step draws no real batch: no V)")
    width = max(24, max(len(r["name"]) for r in s["layers"]) + 2)
    lines.append(f"  {'parameters':<{width}} {'‖∇θ‖':>11} {'‖Δθ‖':>11} {'‖θ‖':>11} {'‖Δθ‖/‖θ‖':>11}")
    for r in s["layers"]:
        lines.append(f"  {r['name']:<{width}} {fmt(r['grad']):>11} {fmt(r['update']):>11} {fmt(r['norm']):>11} "
                     f"{fmt(r['rel']):>11}")
    lines.append(f"  {'all of ' + s['player']:<{width}} {fmt(s['grad_total']):>11} {fmt(s['update_total']):>11}")
    return "\n".join(lines)
