"""The exercise sheet's Q3 (KCL tutorial 6) computed in plain Python, independently of ganviz: what the
step inspector's tests compare against."""
from __future__ import annotations

import math


def sheet_q3_by_hand() -> tuple[float, tuple[float, float], tuple[float, float]]:
    """V, dV/dtheta and theta after one D step with eta = 0.02, for D(x) = sigma(theta_1 x_1 - theta_2 x_2 - 2),
    theta = (0.1, 0.2), real (1, 2), (3, 4), fake (5, 6), (7, 8)."""
    real, fake, th = [(1, 2), (3, 4)], [(5, 6), (7, 8)], (0.1, 0.2)

    def d(x):
        return 1 / (1 + math.exp(-(th[0] * x[0] - th[1] * x[1] - 2)))

    v = sum(math.log(d(x)) for x in real) / 2 + sum(math.log(1 - d(x)) for x in fake) / 2
    g1 = (sum((1 - d(x)) * x[0] for x in real) - sum(d(x) * x[0] for x in fake)) / 2
    g2 = (sum((1 - d(x)) * -x[1] for x in real) - sum(d(x) * -x[1] for x in fake)) / 2
    return v, (g1, g2), (th[0] + 0.02 * g1, th[1] + 0.02 * g2)
