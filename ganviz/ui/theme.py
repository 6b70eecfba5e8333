"""Colours and fonts shared by every view, in a light and a dark theme.

Colours follow the lecture figures: p_data / real samples in green, p_g / fake
samples in purple, D in blue (dashed in Goodfellow et al. 2014, Figure 1), D* in
orange.
"""
from __future__ import annotations

from dataclasses import dataclass

# A palette for up to 8 GANs or methods side by side (Okabe-Ito, colour-blind safe).
SERIES = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]


@dataclass(frozen=True)
class Theme:
    name: str
    background: str
    foreground: str
    grid_alpha: float
    real: str
    fake: str
    p_data: str
    p_g: str
    d: str
    d_star: str
    arrow: str
    manifold: str
    highlight: str
    # Diverging colour map for the D heatmap: colours at D = 0 (looks fake), 1/2, 1 (looks real).
    heat: tuple

    def series(self, i: int) -> str:
        if self.name == "dark" and SERIES[i % len(SERIES)] == "#000000":
            return "#FFFFFF"
        return SERIES[i % len(SERIES)]


LIGHT = Theme(
    name="light", background="#FFFFFF", foreground="#202020", grid_alpha=0.15,
    real="#1B9E3E", fake="#7B3FB5", p_data="#1B9E3E", p_g="#7B3FB5",
    d="#1F5FD1", d_star="#E07B00", arrow="#444444", manifold="#9A9A9A", highlight="#D62728",
    heat=((123, 63, 181), (255, 255, 255), (27, 158, 62)),
)

DARK = Theme(
    name="dark", background="#16181C", foreground="#E6E6E6", grid_alpha=0.2,
    real="#4CD07A", fake="#B98CF0", p_data="#4CD07A", p_g="#B98CF0",
    d="#6EA8FF", d_star="#FFA43A", arrow="#D0D0D0", manifold="#6A6A6A", highlight="#FF6B6B",
    heat=((92, 44, 140), (22, 24, 28), (30, 120, 60)),
)

THEMES = {"light": LIGHT, "dark": DARK}
