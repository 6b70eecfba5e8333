"""EBGAN's energy where the views draw D: labelled energy, 0 on data in the real colour, m on fakes in the fake one."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PySide6 import QtWidgets

from ganviz.core.losses import LOSSES
from ganviz.engine.snapshot import frozen
from ganviz.ui import plotting as P
from ganviz.ui.energy import energy_as_heat, energy_margin
from ganviz.ui.view1d import d_name
from tests.ui.synth import synthetic_snapshot


def ebgan_snapshot(dim, m=1, margin=2.0):
    """D's energy of an EBGAN run: low on data, up to the margin where p_g > p_data; E* = m 1[p_g > p_data]."""
    snap = synthetic_snapshot(dim=dim, m=m, loss_ids=["ebgan"] * m)
    p_data, p_g = np.asarray(snap.p_data), np.asarray(snap.p_g)
    e_star = np.stack([LOSSES["ebgan"].optimal_d(p_data, p_g[i], margin=margin) for i in range(m)])
    energy = 0.8 * e_star + 0.1 * margin
    return replace(snap, loss_ids=("ebgan",) * m, d_is_prob=(False,) * m, d_grid=frozen(energy),
                   d_star=frozen(e_star), extra={"settings": [{"loss": "ebgan", "margin": margin}] * m})


def test_the_margin_comes_from_the_runs_settings_and_only_for_an_energy():
    snap = ebgan_snapshot(2, m=2, margin=3.0)
    assert energy_margin(snap, 0) == 3.0 and energy_margin(snap, 1) == 3.0
    assert energy_margin(synthetic_snapshot(dim=2), 0) is None
    np.testing.assert_allclose(energy_as_heat(np.array([0.0, 1.5, 3.0]), 3.0), [1.0, 0.5, 0.0])


def test_the_2d_heatmap_draws_an_energy_with_data_in_the_real_colour(view2d):
    snap = ebgan_snapshot(2, margin=2.0)
    view2d.set_snapshot(snap)
    img = view2d.item["heatmap"]
    np.testing.assert_allclose(img.image, 1.0 - np.asarray(snap.d_grid[0]) / 2.0)
    assert tuple(img.getLevels()) == (0.0, 1.0)
    label = view2d.colorbar.getAxis("left").labelText
    assert label.startswith("energy") and "0 = data" in label and "m = 2" in label
    assert view2d.colorbar.axis._tickLevels == [[(1.0, "0"), (0.5, "1"), (0.0, "2")]]
    # E* as the heatmap: fakes' side (m) at the fake end of the map, data (0) at the real end
    view2d.set_heat_source("d_star")
    np.testing.assert_allclose(img.image, 1.0 - np.asarray(snap.d_star[0]) / 2.0)
    assert set(np.unique(img.image)) <= {0.0, 1.0}
    # back to a probability: the plain ticks again
    view2d.set_heat_source("d")
    view2d.set_snapshot(synthetic_snapshot(dim=2))
    assert view2d.colorbar.axis._tickLevels == [[(0.0, "0"), (0.5, "0.5"), (1.0, "1")]]
    assert not view2d.colorbar.getAxis("left").labelText.startswith("energy")


def test_the_1d_view_names_and_scales_the_energy(view1d):
    snap = ebgan_snapshot(1, margin=2.0)
    view1d.set_snapshot(snap)
    assert view1d.plot.getAxis("right").labelText == d_name("ebgan", False) == "energy D(x)"
    lo, hi = view1d.d_view.viewRange()[1]
    assert lo <= 0.0 and hi >= 2.0                      # from 0 (data) to the margin (fakes)
    np.testing.assert_allclose(view1d.item["d"].getOriginalDataset()[1], snap.d_grid[0])


def test_compare_draws_an_energy_on_its_panels(compare_view):
    snap = ebgan_snapshot(1, m=2, margin=2.0)
    compare_view.set_snapshot(snap)
    for i, p in enumerate(compare_view.panels):
        top = p._y_range.hi
        np.testing.assert_allclose(p.d.getOriginalDataset()[1], np.clip(snap.d_grid[i] / 2.0, 0, 1) * top)
        np.testing.assert_allclose(p.d_star.getOriginalDataset()[1],
                                   np.where(P.has_mass(snap.p_data, snap.p_g[i]),
                                            np.clip(snap.d_star[i] / 2.0, 0, 1) * top, np.nan))
        assert "energy" in p.d_key.text() and "m = 2" in p.d_key.text()
    snap2 = ebgan_snapshot(2, m=2, margin=2.0)
    compare_view.set_snapshot(snap2)
    compare_view.findChild(QtWidgets.QCheckBox, "compareHeatmapCheck").setChecked(True)
    p = compare_view.panels[1]
    assert p.heat.isVisible()
    np.testing.assert_allclose(p.heat.image, 1.0 - np.asarray(snap2.d_grid[1]) / 2.0)
    assert tuple(p.heat.getLevels()) == pytest.approx((0.0, 1.0))
