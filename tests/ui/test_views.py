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


def xy(item):
    x, y = item.getData()
    return np.asarray(x, float), np.asarray(y, float)


def scatter_xy(item):
    return np.column_stack([item.data["x"], item.data["y"]]).astype(float)


def canvas_corner_colour(view):
    return view.canvas.grab().toImage().pixelColor(1, 1).name().upper()


# ---------------------------------------------------------------------------------- 1D
def test_1d_curves_equal_the_snapshot(view1d):
    snap = synthetic_snapshot(dim=1, n=300)
    view1d.set_snapshot(snap)
    it = view1d.item
    # D* where p_data or p_g has mass; a gap (NaN) where neither has, where it is 0/0 (P.has_mass)
    d_star = np.where(P.has_mass(snap.p_data, snap.p_g[0]), snap.d_star[0], np.nan)
    assert np.isnan(d_star).any() and np.isfinite(d_star).any()
    for key, want in (("p_data", snap.p_data), ("p_g", snap.p_g[0]), ("d", snap.d_grid[0]),
                      ("d_star", d_star)):
        x, y = xy(it[key])
        np.testing.assert_allclose(x, snap.grid_x, err_msg=key)
        np.testing.assert_allclose(y, want, rtol=1e-6, err_msg=key)
    assert it["d"].getViewBox() is view1d.d_view
    assert it["p_data"].getViewBox() is view1d.plot.vb
    assert view1d.d_view.viewRange()[1][0] < 0 < 1 < view1d.d_view.viewRange()[1][1]
    assert "100" in view1d.step_text.text()


def test_1d_histogram_is_a_density_of_the_fakes(view1d):
    snap = synthetic_snapshot(dim=1, n=400)
    view1d.set_snapshot(snap)
    edges, dens = xy(view1d.item["hist"])
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
    view1d.set_snapshot(replace(snap, fake=shifted[None, :, None]))
    edges, dens = xy(view1d.item["hist"])
    assert float(np.sum(dens * np.diff(edges))) == pytest.approx(np.mean(shifted <= edges[-1]), abs=1e-9)


def test_1d_rug_has_one_tick_per_real_sample_below_zero(view1d):
    snap = synthetic_snapshot(dim=1, n=200)
    view1d.set_snapshot(snap)
    x, y = xy(view1d.item["real"])
    assert len(x) == 2 * 200
    np.testing.assert_allclose(x[0::2], snap.real[:, 0], rtol=1e-6)
    np.testing.assert_allclose(x[1::2], snap.real[:, 0], rtol=1e-6)
    assert np.all(y < 0)


def test_1d_mapping_joins_sorted_latents_to_their_images(view1d):
    snap = synthetic_snapshot(dim=1, n=500)
    view1d.set_snapshot(snap)
    x, y = xy(view1d.item["mapping"])
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


def test_1d_mapping_with_multidimensional_z_is_ordered_by_image(view1d):
    base = synthetic_snapshot(dim=1, n=200)
    z = np.random.default_rng(3).standard_normal((200, 3))
    view1d.set_snapshot(replace(base, z=z))
    x, _ = xy(view1d.item["mapping"])
    assert np.all(np.diff(x[1::2]) >= 0)
    assert "3-D" in view1d.z_note.text()


def test_1d_hiding_layers_hides_their_items(view1d):
    view1d.set_snapshot(synthetic_snapshot(dim=1))
    items = {"p_data": view1d.item["p_data"], "p_g": view1d.item["p_g"], "d": view1d.item["d"],
             "d_star": view1d.item["d_star"], "d_gap": view1d.item["d_gap"], "hist": view1d.item["hist"],
             "real": view1d.item["real"], "mapping": view1d.map_plot}
    assert set(items) == set(View1D.LAYERS) == set(View1D.layer_names())
    for name, item in items.items():
        assert item.isVisible(), name
        view1d.set_layer_visible(name, False)
        assert not item.isVisible(), name
        assert not view1d.layer_visible(name)
        view1d.set_layer_visible(name, True)
        assert item.isVisible(), name
    # The shading between D and D* follows its layer, and needs both curves.
    assert view1d.gap_fill.isVisible()
    view1d.set_layer_visible("d_gap", False)
    assert not view1d.gap_fill.isVisible()
    view1d.set_layer_visible("d_gap", True)
    view1d.set_layer_visible("d", False)
    assert not view1d.item["d_half"].isVisible() and not view1d.gap_fill.isVisible()
    with pytest.raises(ValueError, match="layer"):
        view1d.set_layer_visible("nope", False)


def test_1d_second_snapshot_updates_the_same_items(view1d):
    view1d.set_snapshot(synthetic_snapshot(dim=1, seed=0))
    before = {k: id(v) for k, v in view1d.item.items()}
    children = len(view1d.plot.vb.addedItems) + len(view1d.d_view.addedItems)
    snap2 = synthetic_snapshot(dim=1, m=2, seed=5, step=200)
    view1d.set_snapshot(snap2)
    assert {k: id(v) for k, v in view1d.item.items()} == before
    assert len(view1d.plot.vb.addedItems) + len(view1d.d_view.addedItems) == children
    np.testing.assert_allclose(xy(view1d.item["p_g"])[1], snap2.p_g[0], rtol=1e-6)
    assert "200" in view1d.step_text.text()


@pytest.mark.parametrize("dim", [1, 2])
def test_a_gans_fakes_never_computed_are_not_drawn_and_older_ones_say_from_when(view1d, view2d, dim):
    # A recorded picture of a set of GANs has the fakes and D of the GAN the Lab drew while recording; the
    # others' are zeros (step -1) or older. Drawn, the zeros put every fake on the origin.
    view = view1d if dim == 1 else view2d
    snap = synthetic_snapshot(dim=dim, m=3, step=40)
    steps = frozen(np.array([40, -1, 25]), np.int64)
    snap = dataclasses.replace(snap, fake_steps=steps, d_grid_steps=steps, running=False)
    view.index = 1
    view.set_snapshot(snap)
    assert "fakes not recorded at this step" in view.step_text.text()
    if dim == 2:
        assert len(view.item["fake"].data) == 0 and view.item["heatmap"].shown is None
    else:
        assert np.all(xy(view.item["hist"])[1] == 0)
        d_x = view.item["d"].getData()[0]
        assert d_x is None or len(d_x) == 0
    view.index = 2
    assert "fakes from step 25" in view.step_text.text()
    if dim == 2:
        np.testing.assert_allclose(scatter_xy(view.item["fake"]), snap.fake[2], atol=1e-5)
        np.testing.assert_allclose(view.item["heatmap"].shown, snap.d_grid[2])
    view.index = 0
    assert "fakes" not in view.step_text.text()


def test_1d_draws_the_chosen_gan(view1d):
    snap = synthetic_snapshot(dim=1, m=3)
    view1d.index = 2
    view1d.set_snapshot(snap)
    np.testing.assert_allclose(xy(view1d.item["p_g"])[1], snap.p_g[2], rtol=1e-6)
    edges, dens = xy(view1d.item["hist"])
    counts, _ = np.histogram(snap.fake[2, :, 0], bins=edges)
    np.testing.assert_allclose(dens * np.diff(edges) * snap.fake.shape[1], counts, atol=1e-9)
    assert snap.labels[2] in view1d.step_text.text()
    view1d.index = 0  # a redraw from the stored snapshot
    np.testing.assert_allclose(xy(view1d.item["p_g"])[1], snap.p_g[0], rtol=1e-6)
    view1d.index = 7  # beyond M: the last GAN, not a crash
    np.testing.assert_allclose(xy(view1d.item["p_g"])[1], snap.p_g[2], rtol=1e-6)
    with pytest.raises(ValueError):
        view1d.index = -1


def test_1d_critic_gets_its_own_scale_and_label(view1d):
    base = synthetic_snapshot(dim=1)
    d = 4.0 * np.sin(np.asarray(base.grid_x))[None] - 1.0
    view1d.set_snapshot(replace(base, d_grid=d, d_star=None, d_is_prob=(False,)))
    assert view1d.plot.getAxis("right").labelText == "critic D(x)"
    lo, hi = view1d.d_view.viewRange()[1]
    assert lo <= d.min() and hi >= d.max()
    np.testing.assert_allclose(xy(view1d.item["d"])[1], d[0], rtol=1e-6)
    assert not view1d.item["d_half"].isVisible()
    assert not view1d.item["d_star"].isVisible()
    assert view1d.layer_visible("d_star")  # unavailable, not switched off
    view1d.set_snapshot(base)
    assert view1d.plot.getAxis("right").labelText == "D(x)"
    assert view1d.item["d_star"].isVisible() and view1d.item["d_half"].isVisible()


def test_1d_degenerate_inputs(view1d):
    base = synthetic_snapshot(dim=1, n=128)
    same = np.full((1, 128, 1), 2.0)
    view1d.set_snapshot(replace(base, fake=same))
    edges, dens = xy(view1d.item["hist"])
    assert np.count_nonzero(dens) == 1
    assert float(np.sum(dens * np.diff(edges))) == pytest.approx(1.0)
    _, ends = xy(view1d.item["mapping"])
    assert np.isfinite(ends).all()

    huge = np.full((1, 128, 1), 1e30)
    huge[0, ::2] = -3e38
    view1d.set_snapshot(replace(base, fake=huge, p_g=np.full_like(base.p_g, 1e30)))
    edges, dens = xy(view1d.item["hist"])
    assert float(np.sum(dens)) == 0.0
    x, _ = xy(view1d.item["mapping"])
    lo, hi = float(base.grid_x[0]), float(base.grid_x[-1])
    assert np.isfinite(x).all() and np.abs(x).max() < 10 * (hi - lo) + abs(lo)
    y_lo, y_hi = view1d.plot.vb.viewRange()[1]
    assert np.isfinite([y_lo, y_hi]).all() and y_hi < 1e3

    empty = replace(base, fake=np.zeros((1, 0, 1)), fake_grad=np.zeros((1, 0, 1)), z=np.zeros((0, 1)),
                    fake_d=np.zeros((1, 0)))
    view1d.set_snapshot(empty)
    assert float(np.sum(xy(view1d.item["hist"])[1])) == 0.0
    assert view1d.item["mapping"].getData()[0] is None or len(view1d.item["mapping"].getData()[0]) == 0


def test_1d_rejects_a_2d_snapshot(view1d):
    with pytest.raises(ValueError, match="dim=2"):
        view1d.set_snapshot(synthetic_snapshot(dim=2))


def test_1d_theme_and_presentation(view1d):
    view1d.set_snapshot(synthetic_snapshot(dim=1))
    assert canvas_corner_colour(view1d) == LIGHT.background.upper()
    view1d.set_theme(DARK)
    assert canvas_corner_colour(view1d) == DARK.background.upper()
    assert view1d.item["p_data"].opts["pen"].color().name().upper() == DARK.p_data.upper()
    assert view1d.step_text.text_item.brush().color().name().upper() == DARK.foreground.upper()
    width = view1d.item["p_g"].opts["pen"].widthF()
    tick_pt = view1d.plot.getAxis("left").style["tickFont"].pointSize()
    assert view1d.legend.opts["labelTextSize"] == f"{P.sizes(False).legend_pt}pt"
    view1d.set_presentation(True)
    assert view1d.item["p_g"].opts["pen"].widthF() > width
    assert view1d.plot.getAxis("left").style["tickFont"].pointSize() > tick_pt
    assert view1d.legend.opts["labelTextSize"] == f"{P.sizes(True).legend_pt}pt"


def test_1d_legend_click_keeps_the_layer_state(view1d, qtbot):
    view1d.set_snapshot(synthetic_snapshot(dim=1))
    item = view1d.item["hist"]
    item.setVisible(False)  # what a click on the legend sample does first
    with qtbot.waitSignal(view1d.layerToggled) as sig:
        view1d.legend.sigSampleClicked.emit(item)
    assert sig.args == ["hist", False]
    assert not view1d.layer_visible("hist")
    view1d.set_snapshot(synthetic_snapshot(dim=1, seed=2))
    assert not item.isVisible()


# ---------------------------------------------------------------------------------- 2D
def test_2d_heatmap_holds_d_and_spans_the_grid(view2d):
    snap = synthetic_snapshot(dim=2, n=256)
    view2d.set_snapshot(snap)
    img = view2d.item["heatmap"]
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


def test_2d_heat_source_switches_to_d_star_and_falls_back(view2d):
    snap = synthetic_snapshot(dim=2)
    view2d.set_snapshot(snap)
    view2d.set_heat_source("d_star")
    np.testing.assert_array_equal(view2d.item["heatmap"].image, snap.d_star[0])
    assert view2d.heat_shown() == "d_star"
    assert "D*" in view2d.colorbar.getAxis("left").labelText
    view2d.set_snapshot(replace(snap, d_star=None))
    np.testing.assert_array_equal(view2d.item["heatmap"].image, snap.d_grid[0])
    assert view2d.heat_source() == "d_star" and view2d.heat_shown() == "d"
    assert "showing D" in view2d.step_text.text()
    view2d.set_heat_source("d")
    assert "showing D" not in view2d.step_text.text()
    with pytest.raises(ValueError, match="d_star"):
        view2d.set_heat_source("p_g")


def test_2d_critic_levels_are_symmetric(view2d):
    snap = synthetic_snapshot(dim=2)
    d = 6.0 * (np.asarray(snap.d_grid) - 0.3)
    view2d.set_snapshot(replace(snap, d_grid=d, d_star=None, d_is_prob=(False,)))
    lo, hi = view2d.item["heatmap"].getLevels()
    assert lo == pytest.approx(-hi)
    assert hi >= np.abs(d).max()
    assert tuple(view2d.colorbar.levels()) == (lo, hi)
    assert view2d.colorbar.getAxis("left").labelText.startswith("critic")


def test_2d_samples_and_arrows(view2d):
    snap = synthetic_snapshot(dim=2, n=300)
    view2d.set_snapshot(snap)
    fake = scatter_xy(view2d.item["fake"])
    np.testing.assert_allclose(fake, snap.fake[0], rtol=1e-6)
    np.testing.assert_allclose(scatter_xy(view2d.item["real"]), snap.real, rtol=1e-6)

    x, y = xy(view2d.item["grad"])
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


def test_2d_manifold_rows_and_columns(view2d):
    snap = synthetic_snapshot(dim=2)
    view2d.set_snapshot(snap)
    man = np.asarray(snap.manifold[0], float)
    r, c, _ = man.shape
    x, y = xy(view2d.item["manifold"])
    pts = np.column_stack([x, y])
    assert len(pts) == 2 * r * c
    np.testing.assert_allclose(pts[:c], man[0], rtol=1e-6)
    np.testing.assert_allclose(pts[r * c:r * c + r], man[:, 0], rtol=1e-6)
    connect = view2d.item["manifold"].curve.opts["connect"]
    assert connect[c - 1] == 0 and connect[0] == 1
    assert np.count_nonzero(connect == 0) == r + c
    view2d.set_snapshot(replace(snap, manifold=None))
    assert view2d.item["manifold"].getData()[0] is None or len(view2d.item["manifold"].getData()[0]) == 0


def test_2d_contours_are_computed_when_shown(view2d):
    snap = synthetic_snapshot(dim=2)
    view2d.set_snapshot(snap)
    assert not view2d.item["contours"].isVisible()
    view2d.set_layer_visible("contours", True)
    x, y = xy(view2d.item["contours"])
    ok = np.isfinite(x)
    assert ok.sum() > 8 * 3 * 4  # eight modes, three levels, several points each
    # Every contour point lies near one of the mixture's means.
    pts = np.column_stack([x[ok], y[ok]])
    dist = np.min(np.hypot(*(pts[:, None, :] - np.asarray(snap.means)[None]).transpose(2, 0, 1)), axis=1)
    assert dist.max() < 0.5


def test_2d_hiding_layers_hides_their_items(view2d):
    view2d.set_snapshot(synthetic_snapshot(dim=2))
    assert set(View2D.layer_names()) >= {"heatmap", "real", "fake", "grad", "manifold"}
    for name in View2D.LAYERS:
        view2d.set_layer_visible(name, True)
        assert view2d.item[name].isVisible(), name
        view2d.set_layer_visible(name, False)
        assert not view2d.item[name].isVisible(), name
    assert not view2d.colorbar.isVisible()
    with pytest.raises(ValueError, match="layer"):
        view2d.set_layer_visible("arrows", True)


def test_2d_second_snapshot_updates_the_same_items(view2d):
    view2d.set_snapshot(synthetic_snapshot(dim=2, seed=0))
    before = {k: id(v) for k, v in view2d.item.items()}
    n_items = len(view2d.plot.vb.addedItems)
    range_before = view2d.plot.vb.viewRange()
    snap2 = synthetic_snapshot(dim=2, seed=9, step=300)
    view2d.set_snapshot(snap2)
    assert {k: id(v) for k, v in view2d.item.items()} == before
    assert len(view2d.plot.vb.addedItems) == n_items
    assert view2d.plot.vb.viewRange() == range_before  # the picture stays still
    np.testing.assert_allclose(scatter_xy(view2d.item["fake"]), snap2.fake[0], rtol=1e-6)
    assert "300" in view2d.step_text.text()


def test_2d_draws_the_chosen_gan(view2d):
    snap = synthetic_snapshot(dim=2, m=3)
    view2d.index = 2
    view2d.set_snapshot(snap)
    np.testing.assert_allclose(scatter_xy(view2d.item["fake"]), snap.fake[2], rtol=1e-6)
    np.testing.assert_array_equal(view2d.item["heatmap"].image, snap.d_grid[2])
    np.testing.assert_allclose(xy(view2d.item["manifold"])[0][:9], snap.manifold[2, 0, :, 0], rtol=1e-6)


def test_2d_degenerate_inputs(view2d):
    base = synthetic_snapshot(dim=2, n=64)
    view2d.set_snapshot(replace(base, fake=np.ones((1, 64, 2)), fake_grad=np.zeros((1, 64, 2))))
    assert len(view2d.item["fake"].data) == 64
    assert view2d.item["grad"].getData()[0] is None or len(view2d.item["grad"].getData()[0]) == 0

    huge = np.full((1, 64, 2), 1e30)
    view2d.set_snapshot(replace(base, fake=huge, fake_grad=np.full((1, 64, 2), 3e38)))
    pts = scatter_xy(view2d.item["fake"])
    assert np.isfinite(pts).all() and np.abs(pts).max() < 100
    x, _ = xy(view2d.item["grad"])
    assert np.isfinite(x).all()

    view2d.set_snapshot(replace(base, fake=np.zeros((1, 0, 2)), fake_grad=np.zeros((1, 0, 2)),
                            z=np.zeros((0, 2)), fake_d=np.zeros((1, 0))))
    assert len(view2d.item["fake"].data) == 0


def test_2d_rejects_a_1d_snapshot(view2d):
    with pytest.raises(ValueError, match="dim=1"):
        view2d.set_snapshot(synthetic_snapshot(dim=1))


def test_2d_theme_presentation_and_square_plot(view2d, qtbot):
    view2d.set_snapshot(synthetic_snapshot(dim=2))
    qtbot.waitUntil(lambda: abs(view2d.plot.vb.width() - view2d.plot.vb.height()) < 4, timeout=2000)
    assert canvas_corner_colour(view2d) == LIGHT.background.upper()
    lut_light = view2d.item["heatmap"].lut.copy()
    view2d.set_theme(DARK)
    assert canvas_corner_colour(view2d) == DARK.background.upper()
    assert view2d.grab().toImage().pixelColor(1, 1).name().upper() == DARK.background.upper()
    assert not np.array_equal(view2d.item["heatmap"].lut, lut_light)
    size = view2d.item["fake"].opts["size"]
    view2d.set_presentation(True)
    assert view2d.item["fake"].opts["size"] > size
    qtbot.waitUntil(lambda: abs(view2d.plot.vb.width() - view2d.plot.vb.height()) < 4, timeout=2000)


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


def test_d_is_named_for_what_the_loss_reads():
    from ganviz.ui.view1d import d_name
    assert d_name("ns", True) == "D(x)"
    assert d_name("fgan-kl", False) == "critic T(x)"
    assert d_name("ebgan", False) == "energy D(x)"
    assert d_name("wgan", False) == "critic D(x)"


def test_the_line_saying_d_lags_holds_steady_while_training_and_is_exact_when_still():
    note = P.LagNote()
    # D with every other picture at 500 steps a second: 15 steps behind, 0.03 s: nothing to see, nothing said
    assert not any(note.show(15 if k % 2 else 0, 500.0, True, now=k / 30) for k in range(30))
    # Compare's heatmaps a few times a second: 150 steps behind (0.3 s), then fresh: said steadily, not
    # flickering with each refresh, and no longer once D has kept up for a while
    shown = [note.show(150 if k % 10 else 0, 500.0, True, now=1 + k / 30) for k in range(30)]
    assert not shown[0] and all(shown[1:])                 # from the first picture whose D lags on
    assert note.show(0, 500.0, True, now=1 + 29 / 30 + 0.5)
    assert not note.show(0, 500.0, True, now=1 + 29 / 30 + note.HOLD_S + 0.01)
    # a still picture: exactly when its D lags, whatever came before
    note.show(150, 500.0, True, now=100.0)
    assert not note.show(0, 0.0, False, now=100.1) and note.show(2, 0.0, False, now=100.2)
    assert not note.show(-1, 0.0, False)                     # D unknown: nothing to say


def test_a_heat_image_is_uploaded_again_only_when_it_changed(qtbot):
    item = P.HeatImage(axisOrder="row-major")
    img = np.linspace(0, 1, 96 * 96, dtype=np.float32).reshape(96, 96)
    assert item.show_image(img, (0.0, 1.0))
    assert not item.show_image(img.copy(), (0.0, 1.0))            # the same picture again: nothing to do
    assert item.show_image(img, (-1.0, 1.0))                       # other levels
    changed = img.copy()
    changed[3, 4] += 0.5
    assert item.show_image(changed, (-1.0, 1.0))
    assert np.array_equal(item.image, changed)
