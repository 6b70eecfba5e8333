"""EBGAN's energy where the views draw D: the 2D heatmap, Compare's panels and the loss-shape panel.

An energy E >= 0 is low on data and pushed up to the margin m on fakes (E* = m 1[p_g > p_data]).
The heatmaps draw it in the probability map's colours, turned round so that the colours mean
what they mean for D(x): E = 0 (data) in the real colour, E = m (fakes) in the fake colour, and
m/2, where `d_acc` divides real from fake, on the neutral middle.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ganviz.core.losses import LOSSES
from ganviz.engine.snapshot import Snapshot


def energy_margin(snap: Snapshot, i: int) -> Optional[float]:
    """The margin m of GAN `i` of `snap` when its D outputs an energy (EBGAN), else None."""
    if i >= len(snap.loss_ids):
        return None
    loss = LOSSES.get(snap.loss_ids[i])
    if loss is None or not loss.is_energy:
        return None
    settings = snap.extra.get("settings") if isinstance(snap.extra, dict) else None
    try:
        m = float(settings[i].get("margin", 1.0)) if settings else 1.0
    except (IndexError, AttributeError, TypeError, ValueError):
        m = 1.0
    return m if np.isfinite(m) and m > 0 else 1.0


def energy_as_heat(energy: np.ndarray, m: float) -> np.ndarray:
    """An energy on the probability map's scale [0, 1]: 1 - E/m (E = 0 at 1, the real end; E >= m at 0 or
    below, the fake end, where the map's levels clip it)."""
    return 1.0 - np.asarray(energy, np.float64) / m


def energy_ticks(m: float) -> list:
    """Colour-bar ticks of `energy_as_heat`, in energy units."""
    return [[(1.0, "0"), (0.5, f"{0.5 * m:g}"), (0.0, f"{m:g}")]]


def energy_heat_label(name: str, m: float) -> str:
    return f"energy {name}   0 = data (real), m = {m:g} (fake)"
