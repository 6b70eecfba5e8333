"""The 1D and 2D training views draw exactly what a snapshot holds, on long-lived items."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6 import QtCore

from ganviz.engine.snapshot import frozen
from ganviz.ui import plotting as P
from ganviz.ui.theme import DARK, LIGHT
from ganviz.ui.view1d import View1D
from ganviz.ui.view2d import View2D
from tests.ui.synth import synthetic_snapshot


def replace(snap, **arrays):
    return dataclasses.replace(snap, **{k: (v if v is None or isinstance(v, tuple) else frozen(v))
                                        for k, v in arrays.items()})


@pytest.fixture
def v1(qtbot):
    w = View1D()
    qtbot.addWidget(w)
    w.resize(1280, 720)
    w.show()
    return w


@pytest.fixture
def v2(qtbot):
    w = View2D()
    qtbot.addWidget(w)
    w.resize(1280, 720)
    w.show()
    return w


def xy(item):
    x, y = item.getData()
    return np.asarray(x, float), np.asarray(y, float)


def scatter_xy(item):
    return np.column_stack([item.data["x"], item.data["y"]]).astype(float)


def canvas_corner_colour(view):
    return view.canvas.grab().toImage().pixelColor(1, 1).name().upper()


# ---------------------------------------------------------------------------------- 1D
def test_1d_curves_equal_the_snapshot(v1):
    snap = synthetic_snapshot(dim=1, n=300)
    v1.set_snapshot(snap)
    it = v1.item
    for key, want in (("p_data", snap.p_data), ("p_g", snap.p_g[0]), ("d", snap.d_grid[0]),
                      ("d_star", snap.d_star[0])):
        x, y = xy(it[key])
        np.testing.assert_allclose(x, snap.grid_x, err_msg=key)
        np.testing.assert_allclose(y, want, rtol=1e-6, err_msg=key)
    assert it["d"].getViewBox() is v1.d_view
    assert it["p_data"].getViewBox() is v1.plot.vb
    assert v1.d_view.viewRange()[1][0] < 0 < 1 < v1.d_view.viewRange()[1][1]
    assert "100" in v1.step_text.text()


def test_1d_histogram_is_a_density_of_the_fakes(v1):
    snap = synthetic_snapshot(dim=1, n=400)
    v1.set_snapshot(snap)
    edges, dens = xy(v1.item["hist"])
    assert len(edges) == len(dens) + 1
    area = float(np.sum(dens * np.diff(edges)))
    fake = np.asarray(snap.fake[0, :, 0], float)
    inside = np.mean((fake >= edges[0]) & (fake <= edges[-1]))
    assert area == pytest.approx(inside, abs=1e-9)
    assert area > 0.99
    counts, _ = np.histogram(fake, bins=edges)
    np.testing.assert_allclose(dens, counts / (fake.size * np.diff(edges)), rtol=1e-9)
    # Fakes beyond the grid still count in the normalisation: half outside, half the area.
    shifted = fake.copy()
    shifted[::2] = edges[-1] + 100.0
    v1.set_snapshot(replace(snap, fake=shifted[None, :, None]))
    edges, dens = xy(v1.item["hist"])
    assert float(np.sum(dens * np.diff(edges))) == pytest.approx(np.mean(shifted <= edges[-1]), abs=1e-9)


def test_1d_rug_has_one_tick_per_real_sample_below_zero(v1):
    snap = synthetic_snapshot(dim=1, n=200)
    v1.set_snapshot(snap)
    x, y = xy(v1.item["real"])
    assert len(x) == 2 * 200
    np.testing.assert_allclose(x[0::2], snap.real[:, 0], rtol=1e-6)
    np.testing.assert_allclose(x[1::2], snap.real[:, 0], rtol=1e-6)
    assert np.all(y < 0)


def test_1d_mapping_joins_sorted_latents_to_their_images(v1):
    snap = synthetic_snapshot(dim=1, n=500)
    v1.set_snapshot(snap)
    x, y = xy(v1.item["mapping"])
    k = View1D.MAPPING_LINES
    assert len(x) == 2 * k
    np.testing.assert_array_equal(y[0::2], 0.0)
    np.testing.assert_array_equal(y[1::2], 1.0)
    zpos, ends = x[0::2], x[1::2]
    assert np.all(np.diff(zpos) > 0)
    # Latents are placed by rank of z, so segment j must end at G of the j-th chosen z.
    order = np.argsort(snap.z[:, 0], kind="stable")
    chosen = order[np.round(np.linspace(0, 499, k)).astype(int)]
    np.testing.assert_allclose(ends, snap.fake[0, chosen, 0], rtol=1e-6)
    lo, hi = float(snap.grid_x[0]), float(snap.grid_x[-1])
    assert lo < zpos[0] and zpos[-1] < hi


def test_1d_mapping_with_multidimensional_z_is_ordered_by_image(v1):
    base = synthetic_snapshot(dim=1, n=200)
    z = np.random.default_rng(3).standard_normal((200, 3))
    v1.set_snapshot(replace(base, z=z))
    x, _ = xy(v1.item["mapping"])
    assert np.all(np.diff(x[1::2]) >= 0)
    assert "3-D" in v1.z_note.text()


def test_1d_hiding_layers_hides_their_items(v1):
    v1.set_snapshot(synthetic_snapshot(dim=1))
    items = {"p_data": v1.item["p_data"], "p_g": v1.item["p_g"], "d": v1.item["d"],
             "d_star": v1.item["d_star"], "d_gap": v1.item["d_gap"], "hist": v1.item["hist"],
             "real": v1.item["real"], "mapping": v1.map_plot}
    assert set(items) == set(View1D.LAYERS) == set(View1D.layer_names())
    for name, item in items.items():
        assert item.isVisible(), name
        v1.set_layer_visible(name, False)
        assert not item.isVisible(), name
        assert not v1.layer_visible(name)
        v1.set_layer_visible(name, True)
        assert item.isVisible(), name
    # The shading between D and D* follows its layer, and needs both curves.
    assert v1.gap_fill.isVisible()
    v1.set_layer_visible("d_gap", False)
    assert not v1.gap_fill.isVisible()
    v1.set_layer_visible("d_gap", True)
    v1.set_layer_visible("d", False)
    assert not v1.item["d_half"].isVisible() and not v1.gap_fill.isVisible()
    with pytest.raises(ValueError, match="layer"):
        v1.set_layer_visible("nope", False)


def test_1d_second_snapshot_updates_the_same_items(v1):
    v1.set_snapshot(synthetic_snapshot(dim=1, seed=0))
    before = {k: id(v) for k, v in v1.item.items()}
    children = len(v1.plot.vb.addedItems) + len(v1.d_view.addedItems)
    snap2 = synthetic_snapshot(dim=1, m=2, seed=5, step=200)
    v1.set_snapshot(snap2)
    assert {k: id(v) for k, v in v1.item.items()} == before
    assert len(v1.plot.vb.addedItems) + len(v1.d_view.addedItems) == children
    np.testing.assert_allclose(xy(v1.item["p_g"])[1], snap2.p_g[0], rtol=1e-6)
    assert "200" in v1.step_text.text()


def test_1d_draws_the_chosen_gan(v1):
    snap = synthetic_snapshot(dim=1, m=3)
    v1.index = 2
    v1.set_snapshot(snap)
    np.testing.assert_allclose(xy(v1.item["p_g"])[1], snap.p_g[2], rtol=1e-6)
    edges, dens = xy(v1.item["hist"])
    counts, _ = np.histogram(snap.fake[2, :, 0], bins=edges)
    np.testing.assert_allclose(dens * np.diff(edges) * snap.fake.shape[1], counts, atol=1e-9)
    assert snap.labels[2] in v1.step_text.text()
    v1.index = 0  # a redraw from the stored snapshot
    np.testing.assert_allclose(xy(v1.item["p_g"])[1], snap.p_g[0], rtol=1e-6)
    v1.index = 7  # beyond M: the last GAN, not a crash
    np.testing.assert_allclose(xy(v1.item["p_g"])[1], snap.p_g[2], rtol=1e-6)
    with pytest.raises(ValueError):
        v1.index = -1


def test_1d_critic_gets_its_own_scale_and_label(v1):
    base = synthetic_snapshot(dim=1)
    d = 4.0 * np.sin(np.asarray(base.grid_x))[None] - 1.0
    v1.set_snapshot(replace(base, d_grid=d, d_star=None, d_is_prob=(False,)))
    assert v1.plot.getAxis("right").labelText == "critic D(x)"
    lo, hi = v1.d_view.viewRange()[1]
    assert lo <= d.min() and hi >= d.max()
    np.testing.assert_allclose(xy(v1.item["d"])[1], d[0], rtol=1e-6)
    assert not v1.item["d_half"].isVisible()
    assert not v1.item["d_star"].isVisible()
    assert v1.layer_visible("d_star")  # unavailable, not switched off
    v1.set_snapshot(base)
    assert v1.plot.getAxis("right").labelText == "D(x)"
    assert v1.item["d_star"].isVisible() and v1.item["d_half"].isVisible()


def test_1d_degenerate_inputs(v1):
    base = synthetic_snapshot(dim=1, n=128)
    same = np.full((1, 128, 1), 2.0)
    v1.set_snapshot(replace(base, fake=same))
    edges, dens = xy(v1.item["hist"])
    assert np.count_nonzero(dens) == 1
    assert float(np.sum(dens * np.diff(edges))) == pytest.approx(1.0)
    _, ends = xy(v1.item["mapping"])
    assert np.isfinite(ends).all()

    huge = np.full((1, 128, 1), 1e30)
    huge[0, ::2] = -3e38
    v1.set_snapshot(replace(base, fake=huge, p_g=np.full_like(base.p_g, 1e30)))
    edges, dens = xy(v1.item["hist"])
    assert float(np.sum(dens)) == 0.0
    x, _ = xy(v1.item["mapping"])
    lo, hi = float(base.grid_x[0]), float(base.grid_x[-1])
    assert np.isfinite(x).all() and np.abs(x).max() < 10 * (hi - lo) + abs(lo)
    y_lo, y_hi = v1.plot.vb.viewRange()[1]
    assert np.isfinite([y_lo, y_hi]).all() and y_hi < 1e3

    empty = replace(base, fake=np.zeros((1, 0, 1)), fake_grad=np.zeros((1, 0, 1)), z=np.zeros((0, 1)),
                    fake_d=np.zeros((1, 0)))
    v1.set_snapshot(empty)
    assert float(np.sum(xy(v1.item["hist"])[1])) == 0.0
    assert v1.item["mapping"].getData()[0] is None or len(v1.item["mapping"].getData()[0]) == 0


def test_1d_rejects_a_2d_snapshot(v1):
    with pytest.raises(ValueError, match="dim=2"):
        v1.set_snapshot(synthetic_snapshot(dim=2))


def test_1d_theme_and_presentation(v1):
    v1.set_snapshot(synthetic_snapshot(dim=1))
    assert canvas_corner_colour(v1) == LIGHT.background.upper()
    v1.set_theme(DARK)
    assert canvas_corner_colour(v1) == DARK.background.upper()
    assert v1.item["p_data"].opts["pen"].color().name().upper() == DARK.p_data.upper()
    assert v1.step_text.text_item.brush().color().name().upper() == DARK.foreground.upper()
    width = v1.item["p_g"].opts["pen"].widthF()
    tick_pt = v1.plot.getAxis("left").style["tickFont"].pointSize()
    assert v1.legend.opts["labelTextSize"] == f"{P.sizes(False).legend_pt}pt"
    v1.set_presentation(True)
    assert v1.item["p_g"].opts["pen"].widthF() > width
    assert v1.plot.getAxis("left").style["tickFont"].pointSize() > tick_pt
    assert v1.legend.opts["labelTextSize"] == f"{P.sizes(True).legend_pt}pt"


def test_1d_legend_click_keeps_the_layer_state(v1, qtbot):
    v1.set_snapshot(synthetic_snapshot(dim=1))
    item = v1.item["hist"]
    item.setVisible(False)  # what a click on the legend sample does first
    with qtbot.waitSignal(v1.layerToggled) as sig:
        v1.legend.sigSampleClicked.emit(item)
    assert sig.args == ["hist", False]
    assert not v1.layer_visible("hist")
    v1.set_snapshot(synthetic_snapshot(dim=1, seed=2))
    assert not item.isVisible()


# ---------------------------------------------------------------------------------- 2D
def test_2d_heatmap_holds_d_and_spans_the_grid(v2):
    snap = synthetic_snapshot(dim=2, n=256)
    v2.set_snapshot(snap)
    img = v2.item["heatmap"]
    np.testing.assert_array_equal(img.image, snap.d_grid[0])
    assert tuple(img.getLevels()) == (0.0, 1.0)
    gx, gy = np.asarray(snap.grid_x), np.asarray(snap.grid_y)
    dx, dy = gx[1] - gx[0], gy[1] - gy[0]
    r = img.mapRectToParent(img.boundingRect())
    assert r.left() == pytest.approx(gx[0] - dx / 2)
    assert r.right() == pytest.approx(gx[-1] + dx / 2)
    assert r.top() == pytest.approx(gy[0] - dy / 2)
    assert r.bottom() == pytest.approx(gy[-1] + dy / 2)
    # Row 0 of d_grid is the lowest y: the image must not be drawn upside down.
    assert img.mapToParent(QtCore.QPointF(0.5, 0.5)).y() == pytest.approx(gy[0])


def test_2d_heat_source_switches_to_d_star_and_falls_back(v2):
    snap = synthetic_snapshot(dim=2)
    v2.set_snapshot(snap)
    v2.set_heat_source("d_star")
    np.testing.assert_array_equal(v2.item["heatmap"].image, snap.d_star[0])
    assert v2.heat_shown() == "d_star"
    assert "D*" in v2.colorbar.getAxis("left").labelText
    v2.set_snapshot(replace(snap, d_star=None))
    np.testing.assert_array_equal(v2.item["heatmap"].image, snap.d_grid[0])
    assert v2.heat_source() == "d_star" and v2.heat_shown() == "d"
    assert "showing D" in v2.step_text.text()
    v2.set_heat_source("d")
    assert "showing D" not in v2.step_text.text()
    with pytest.raises(ValueError, match="d_star"):
        v2.set_heat_source("p_g")


def test_2d_critic_levels_are_symmetric(v2):
    snap = synthetic_snapshot(dim=2)
    d = 6.0 * (np.asarray(snap.d_grid) - 0.3)
    v2.set_snapshot(replace(snap, d_grid=d, d_star=None, d_is_prob=(False,)))
    lo, hi = v2.item["heatmap"].getLevels()
    assert lo == pytest.approx(-hi)
    assert hi >= np.abs(d).max()
    assert tuple(v2.colorbar.levels()) == (lo, hi)
    assert v2.colorbar.getAxis("left").labelText.startswith("critic")


def test_2d_samples_and_arrows(v2):
    snap = synthetic_snapshot(dim=2, n=300)
    v2.set_snapshot(snap)
    fake = scatter_xy(v2.item["fake"])
    np.testing.assert_allclose(fake, snap.fake[0], rtol=1e-6)
    np.testing.assert_allclose(scatter_xy(v2.item["real"]), snap.real, rtol=1e-6)

    x, y = xy(v2.item["grad"])
    arrows = np.column_stack([x, y]).reshape(300, 6, 2)
    np.testing.assert_allclose(arrows[:, 0], snap.fake[0], rtol=1e-6, atol=1e-9)
    shaft = arrows[:, 1] - arrows[:, 0]
    g = np.asarray(snap.fake_grad[0], float)
    cross = shaft[:, 0] * g[:, 1] - shaft[:, 1] * g[:, 0]
    assert np.abs(cross).max() < 1e-9
    assert np.all(np.sum(shaft * g, axis=1) > 0)
    width = float(snap.grid_x[-1] - snap.grid_x[0]) * len(snap.grid_x) / (len(snap.grid_x) - 1)
    assert np.hypot(*shaft.T).max() == pytest.approx(View2D.ARROW_FRACTION * width)
    # Both barbs leave the tip and point back towards the tail.
    for barb in (3, 5):
        np.testing.assert_allclose(arrows[:, barb - 1], arrows[:, 1])
        assert np.all(np.sum((arrows[:, barb] - arrows[:, 1]) * shaft, axis=1) < 0)


def test_2d_manifold_rows_and_columns(v2):
    snap = synthetic_snapshot(dim=2)
    v2.set_snapshot(snap)
    man = np.asarray(snap.manifold[0], float)
    r, c, _ = man.shape
    x, y = xy(v2.item["manifold"])
    pts = np.column_stack([x, y])
    assert len(pts) == 2 * r * c
    np.testing.assert_allclose(pts[:c], man[0], rtol=1e-6)
    np.testing.assert_allclose(pts[r * c:r * c + r], man[:, 0], rtol=1e-6)
    connect = v2.item["manifold"].curve.opts["connect"]
    assert connect[c - 1] == 0 and connect[0] == 1
    assert np.count_nonzero(connect == 0) == r + c
    v2.set_snapshot(replace(snap, manifold=None))
    assert v2.item["manifold"].getData()[0] is None or len(v2.item["manifold"].getData()[0]) == 0


def test_2d_contours_are_computed_when_shown(v2):
    snap = synthetic_snapshot(dim=2)
    v2.set_snapshot(snap)
    assert not v2.item["contours"].isVisible()
    v2.set_layer_visible("contours", True)
    x, y = xy(v2.item["contours"])
    ok = np.isfinite(x)
    assert ok.sum() > 8 * 3 * 4  # eight modes, three levels, several points each
    # Every contour point lies near one of the mixture's means.
    pts = np.column_stack([x[ok], y[ok]])
    dist = np.min(np.hypot(*(pts[:, None, :] - np.asarray(snap.means)[None]).transpose(2, 0, 1)), axis=1)
    assert dist.max() < 0.5


def test_2d_hiding_layers_hides_their_items(v2):
    v2.set_snapshot(synthetic_snapshot(dim=2))
    assert set(View2D.layer_names()) >= {"heatmap", "real", "fake", "grad", "manifold"}
    for name in View2D.LAYERS:
        v2.set_layer_visible(name, True)
        assert v2.item[name].isVisible(), name
        v2.set_layer_visible(name, False)
        assert not v2.item[name].isVisible(), name
    assert not v2.colorbar.isVisible()
    with pytest.raises(ValueError, match="layer"):
        v2.set_layer_visible("arrows", True)


def test_2d_second_snapshot_updates_the_same_items(v2):
    v2.set_snapshot(synthetic_snapshot(dim=2, seed=0))
    before = {k: id(v) for k, v in v2.item.items()}
    n_items = len(v2.plot.vb.addedItems)
    range_before = v2.plot.vb.viewRange()
    snap2 = synthetic_snapshot(dim=2, seed=9, step=300)
    v2.set_snapshot(snap2)
    assert {k: id(v) for k, v in v2.item.items()} == before
    assert len(v2.plot.vb.addedItems) == n_items
    assert v2.plot.vb.viewRange() == range_before  # the picture stays still
    np.testing.assert_allclose(scatter_xy(v2.item["fake"]), snap2.fake[0], rtol=1e-6)
    assert "300" in v2.step_text.text()


def test_2d_draws_the_chosen_gan(v2):
    snap = synthetic_snapshot(dim=2, m=3)
    v2.index = 2
    v2.set_snapshot(snap)
    np.testing.assert_allclose(scatter_xy(v2.item["fake"]), snap.fake[2], rtol=1e-6)
    np.testing.assert_array_equal(v2.item["heatmap"].image, snap.d_grid[2])
    np.testing.assert_allclose(xy(v2.item["manifold"])[0][:9], snap.manifold[2, 0, :, 0], rtol=1e-6)


def test_2d_degenerate_inputs(v2):
    base = synthetic_snapshot(dim=2, n=64)
    v2.set_snapshot(replace(base, fake=np.ones((1, 64, 2)), fake_grad=np.zeros((1, 64, 2))))
    assert len(v2.item["fake"].data) == 64
    assert v2.item["grad"].getData()[0] is None or len(v2.item["grad"].getData()[0]) == 0

    huge = np.full((1, 64, 2), 1e30)
    v2.set_snapshot(replace(base, fake=huge, fake_grad=np.full((1, 64, 2), 3e38)))
    pts = scatter_xy(v2.item["fake"])
    assert np.isfinite(pts).all() and np.abs(pts).max() < 100
    x, _ = xy(v2.item["grad"])
    assert np.isfinite(x).all()

    v2.set_snapshot(replace(base, fake=np.zeros((1, 0, 2)), fake_grad=np.zeros((1, 0, 2)),
                            z=np.zeros((0, 2)), fake_d=np.zeros((1, 0))))
    assert len(v2.item["fake"].data) == 0


def test_2d_rejects_a_1d_snapshot(v2):
    with pytest.raises(ValueError, match="dim=1"):
        v2.set_snapshot(synthetic_snapshot(dim=1))


def test_2d_theme_presentation_and_square_plot(v2, qtbot):
    v2.set_snapshot(synthetic_snapshot(dim=2))
    qtbot.waitUntil(lambda: abs(v2.plot.vb.width() - v2.plot.vb.height()) < 4, timeout=2000)
    assert canvas_corner_colour(v2) == LIGHT.background.upper()
    lut_light = v2.item["heatmap"].lut.copy()
    v2.set_theme(DARK)
    assert canvas_corner_colour(v2) == DARK.background.upper()
    assert v2.grab().toImage().pixelColor(1, 1).name().upper() == DARK.background.upper()
    assert not np.array_equal(v2.item["heatmap"].lut, lut_light)
    size = v2.item["fake"].opts["size"]
    v2.set_presentation(True)
    assert v2.item["fake"].opts["size"] > size
    qtbot.waitUntil(lambda: abs(v2.plot.vb.width() - v2.plot.vb.height()) < 4, timeout=2000)


def test_2d_heat_colours_run_from_fake_to_real():
    cmap = P.heat_colormap(LIGHT)
    lut = cmap.getLookupTable(nPts=3, alpha=False).astype(int)
    fake, mid, real = lut
    assert fake[2] > fake[1] and real[1] > real[0]  # purple-ish, green-ish
    assert tuple(mid) == (255, 255, 255)  # LIGHT's neutral is its background


# ---------------------------------------------------------------------------------- helpers
def test_stable_range_grows_at_once_and_shrinks_only_for_a_big_change():
    r = P.StableRange(pad=0.0, shrink_below=0.5)
    assert r.update(0.0, 10.0)
    assert not r.update(0.0, 8.0)
    assert (r.lo, r.hi) == (0.0, 10.0)
    assert r.update(0.0, 12.0) and r.hi == 12.0
    assert r.update(0.0, 3.0) and r.hi == 3.0
    assert not r.update(float("nan"), 1.0)
    assert r.update(5.0, 5.0) and r.lo < 5.0 < r.hi


def test_pin_keeps_values_finite_and_far_off_screen():
    a = P.pin(np.array([np.inf, -np.inf, np.nan, 1e30, 0.5]), 0.0, 1.0)
    assert np.isfinite(a).all()
    assert a[-1] == 0.5 and a[3] == a[0] > 1.0 and a[1] < 0.0


def test_mix_premultiplies_onto_the_background():
    assert P.mix("#000000", "#FFFFFF", 0.25).name().upper() == "#BFBFBF"
    assert P.mix("#1B9E3E", "#16181C", 1.0).name().upper() == "#1B9E3E"
