"""The 1D curves drawn in device pixels through fewer points (plotting.DeviceCurve, simplify_line)."""
from __future__ import annotations

import numpy as np

from ganviz.ui import plotting as P


def _distance_to_polyline(px, py, qx, qy):
    """Distance of each point (px, py) from the polyline through (qx, qy)."""
    ax, ay, bx, by = qx[:-1], qy[:-1], qx[1:], qy[1:]
    dx, dy = bx - ax, by - ay
    t = np.clip(((px[:, None] - ax) * dx + (py[:, None] - ay) * dy) / np.maximum(dx * dx + dy * dy, 1e-300), 0, 1)
    return np.min(np.hypot(ax + t * dx - px[:, None], ay + t * dy - py[:, None]), axis=1)


def test_simplify_keeps_the_line_within_half_a_pixel_and_drops_the_flat_tails():
    x = np.linspace(0, 800, 600)
    y = 300 - 250 * np.exp(-0.5 * ((x - 300) / 40) ** 2) - 120 * np.exp(-0.5 * ((x - 600) / 6) ** 2)
    sx, sy = P.simplify_line(x, y, P.DeviceCurve.TOLERANCE, P.DeviceCurve.PASSES)
    assert sx[0] == x[0] and sx[-1] == x[-1]           # the ends stay
    assert len(sx) < len(x) / 2                          # the tails are straight: most points go
    assert _distance_to_polyline(x, y, sx, sy).max() <= P.DeviceCurve.TOLERANCE * P.DeviceCurve.PASSES
    narrow = x > 500                                     # the narrow peak keeps its top
    assert abs(sy[sx > 500].min() - y[narrow].min()) < 0.5


def test_simplify_keeps_a_zigzag_whole():
    x = np.arange(50.0)
    y = np.where(np.arange(50) % 2 == 0, 0.0, 3.0)
    sx, sy = P.simplify_line(x, y, 0.08, 6)
    np.testing.assert_array_equal(sx, x)
    np.testing.assert_array_equal(sy, y)


def test_view1d_curves_paint_through_device_paths(view1d):
    from tests.ui.synth import synthetic_snapshot

    view1d.set_snapshot(synthetic_snapshot(dim=1))
    image = view1d.grab().toImage()
    assert not image.isNull()
    curve = view1d.item["p_data"].curve
    assert isinstance(curve, P.DeviceCurve)
    # painted: the path in pixels exists, with fewer points than the grid (flat tails dropped)
    assert curve._device_path is not None
    assert 2 <= curve._device_path.elementCount() < len(curve.xData)
