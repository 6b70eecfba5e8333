"""The Game page, driven the way a lecturer drives it: clicks, sliders, combos."""
from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from ganviz.core.games import INTEGRATORS, REGULARISERS
from ganviz.ui.game_view import DEFAULT_METHODS, _lr_of
from ganviz.ui.theme import DARK


def click_field(qtbot, game_view, x, y):
    """Left-click the field plot at the pixel that shows data point (x, y)."""
    plot = game_view.field_plot
    scene = plot.getPlotItem().getViewBox().mapViewToScene(QPointF(x, y))
    qtbot.mouseClick(plot.viewport(), Qt.LeftButton, pos=plot.mapFromScene(scene))


def pixel(game_view) -> float:
    px = game_view.field_plot.getPlotItem().getViewBox().viewPixelSize()
    return max(px)


def curve_points(game_view, mid) -> np.ndarray:
    x, y = game_view._curves[mid].getData()
    return np.stack([x, y], -1)


def arrow_segments(game_view) -> np.ndarray:
    """All drawn arrow points, (n, 6, 2): shaft tail, tip, then the two head strokes."""
    parts = []
    for item in game_view._arrows:
        x, y = item.getData()
        if x is not None and len(x):
            parts.append(np.stack([x, y], -1).reshape(-1, 6, 2))
    return np.concatenate(parts)


def test_clicking_the_field_starts_every_checked_method_there(qtbot, game_view):
    click_field(qtbot, game_view, 0.5, -0.7)
    x, y = game_view.start()
    assert abs(x - 0.5) < 2 * pixel(game_view) and abs(y + 0.7) < 2 * pixel(game_view)
    game_view.finish_animation()
    trs = game_view.trajectories()
    assert set(trs) == set(DEFAULT_METHODS)
    for mid in trs:
        pts = curve_points(game_view, mid)
        assert len(pts) > 1
        np.testing.assert_allclose(pts[0], [x, y])
        np.testing.assert_allclose(pts, trs[mid])


def test_a_click_outside_the_plot_area_is_ignored(qtbot, game_view):
    before = game_view.start()
    plot = game_view.field_plot
    # the bottom-left corner of the widget lies under the axes, outside the view box
    corner = plot.viewport().rect().bottomLeft() + QPointF(3, -3).toPoint()
    assert not plot.getPlotItem().getViewBox().sceneBoundingRect().contains(plot.mapToScene(corner))
    qtbot.mouseClick(plot.viewport(), Qt.LeftButton, pos=corner)
    assert game_view.start() == before


def test_trajectories_grow_while_they_animate(qtbot, game_view):
    game_view.steps_slider.setValue(600)
    steps = game_view.params()["steps"]
    qtbot.waitUntil(lambda: 1 < len(curve_points(game_view, "sim_gda")) < steps + 1, timeout=5000)
    assert game_view.animating()
    qtbot.waitUntil(lambda: not game_view.animating(), timeout=20000)
    for mid in DEFAULT_METHODS:
        assert len(curve_points(game_view, mid)) == steps + 1


def test_finish_animation_draws_steps_plus_one_points(game_view):
    game_view.steps_slider.setValue(120)
    game_view.finish_animation()
    assert not game_view.animating()
    for mid in DEFAULT_METHODS:
        assert len(curve_points(game_view, mid)) == 121
        d = game_view._dist_curves[mid].yData  # getData() would give log10 of it (log mode)
        assert len(d) == 121
        np.testing.assert_allclose(d, np.hypot(*curve_points(game_view, mid).T), rtol=1e-12)


def test_advance_to_draws_the_first_n_iterations_whatever_the_clock(qtbot, game_view):
    """What an export's frames use: from a stopped start, the same n gives the same picture."""
    game_view.steps_slider.setValue(200)
    game_view.finish_animation()
    full = game_view.trajectories()
    game_view.steps_slider.setValue(201)
    game_view.steps_slider.setValue(200)   # the same runs again, from their start
    game_view.stop_animation()
    assert not game_view.animating()
    for n in (0, 30, 80):
        assert game_view.advance_to(n) == n and not game_view.animating()
        for mid in DEFAULT_METHODS:
            np.testing.assert_array_equal(curve_points(game_view, mid), full[mid][:n + 1])
    assert game_view.advance_to(10_000) == 200
    for mid in DEFAULT_METHODS:
        np.testing.assert_array_equal(game_view.trajectories()[mid], full[mid])


def test_the_controls_column_can_be_hidden(game_view):
    game_view.set_controls_visible(False)
    assert not game_view.steps_slider.isVisibleTo(game_view)
    game_view.set_controls_visible(True)
    assert game_view.steps_slider.isVisibleTo(game_view)


def test_lr_slider_changes_the_trajectories(game_view):
    game_view.finish_animation()
    before = game_view.trajectories()
    game_view.lr_slider.setValue(game_view.lr_slider.value() + 20)
    game_view.finish_animation()
    after = game_view.trajectories()
    lr = game_view.params()["lr"]
    assert lr == pytest.approx(_lr_of(game_view.lr_slider.value()))
    for mid in DEFAULT_METHODS:
        assert before[mid].shape != after[mid].shape or not np.allclose(before[mid], after[mid])
    # the new learning rate reaches the integrator: sim. GDA grows by sqrt(1 + lr^2) per step
    r = np.hypot(*after["sim_gda"].T)
    np.testing.assert_allclose(r[1:] / r[:-1], math.sqrt(1 + lr**2), rtol=1e-9)
    np.testing.assert_allclose(curve_points(game_view, "sim_gda"), after["sim_gda"])


@pytest.mark.parametrize("slider,method,untouched", [
    ("gamma_slider", "consensus", "sim_gda"),
    ("momentum_slider", "momentum", "alt_gda"),
    ("k_slider", "alt_gda", "extragradient"),
])
def test_each_parameter_slider_reaches_its_methods_only(game_view, slider, method, untouched):
    game_view.set_methods([method, untouched])
    game_view.finish_animation()
    before = game_view.trajectories()
    s = getattr(game_view, slider)
    s.setValue(s.value() + 3)
    game_view.finish_animation()
    after = game_view.trajectories()
    assert not np.allclose(before[method], after[method])
    np.testing.assert_array_equal(before[untouched], after[untouched])


def test_method_list_decides_curves_and_legend(game_view):
    game_view.set_methods(["optimistic", "consensus", "momentum"])
    game_view.finish_animation()
    assert set(game_view.trajectories()) == {"optimistic", "consensus", "momentum"}
    assert [label.text for _, label in game_view.legend.items] == [
        INTEGRATORS[m].short for m in ("optimistic", "consensus", "momentum")]
    item = game_view.method_list.item(0)  # the flow
    item.setCheckState(Qt.Checked)
    assert "flow" in game_view.trajectories()
    assert len(game_view.legend.items) == 4


def test_arrows_are_unit_length_and_point_along_the_field(game_view):
    segs = arrow_segments(game_view)
    shaft = segs[:, 1] - segs[:, 0]
    lengths = np.hypot(*shaft.T)
    np.testing.assert_allclose(lengths, lengths[0], rtol=1e-9)
    mid = 0.5 * (segs[:, 0] + segs[:, 1])
    v = game_view.game().vector_field(mid)
    np.testing.assert_allclose(shaft / lengths[:, None], v / np.hypot(*v.T)[:, None], atol=1e-9)
    assert len(segs) >= 100


def test_switching_to_the_dirac_gan_changes_field_axes_and_eigenvalues(qtbot, game_view):
    game_view.steps_slider.setValue(150)
    label_before = game_view.eigen_label.text()
    assert "± 1i" in label_before.replace("&nbsp;", " ")
    game_view.game_combo.setCurrentIndex(game_view.game_combo.findData("dirac"))
    assert game_view.game().id == "dirac"
    segs = arrow_segments(game_view)
    mid = 0.5 * (segs[:, 0] + segs[:, 1])
    shaft = segs[:, 1] - segs[:, 0]
    # the bilinear field (-y, x) no longer matches the drawn arrows
    assert not np.allclose(shaft / np.hypot(*shaft.T)[:, None],
                           np.stack([-mid[:, 1], mid[:, 0]], -1) / np.hypot(*mid.T)[:, None], atol=1e-3)
    text = game_view.eigen_label.text().replace("&nbsp;", " ")
    assert text != label_before and "0 ± 0.5i" in text
    assert "θ" in game_view.field_plot.getPlotItem().getAxis("bottom").labelText
    game_view.finish_animation()
    assert all(len(p) == game_view.params()["steps"] + 1 for p in game_view.trajectories().values())

    game_view.reg_combo.setCurrentIndex(game_view.reg_combo.findData("r1"))
    assert game_view.reg_weight.value() == 1.0
    assert "-0.5, -0.5" in game_view.eigen_label.text().replace("&nbsp;", " ")
    game_view.finish_animation()
    sim = game_view.trajectories()["sim_gda"]
    assert np.hypot(*sim[-1]) < 0.02 * np.hypot(*sim[0])


def test_wgan_gp_loss_brings_its_penalty_and_a_warning(game_view):
    game_view.game_combo.setCurrentIndex(game_view.game_combo.findData("dirac"))
    game_view.loss_combo.setCurrentIndex(game_view.loss_combo.findData("wgan-gp"))
    assert game_view.reg_combo.currentData() == "gp" and game_view.reg_weight.value() == 10.0
    assert game_view.game().reg.id == "gp" and game_view.game().weight == 10.0
    assert "discontinuous" in game_view.eigen_label.text()


def test_zooming_out_resamples_the_field_over_the_new_range(qtbot, game_view):
    game_view.field_plot.getPlotItem().getViewBox().setRange(xRange=(-8, 8), yRange=(-8, 8), padding=0)
    qtbot.waitUntil(lambda: np.abs(arrow_segments(game_view)).max() > 6, timeout=3000)


def test_theme_and_presentation_mode(game_view):
    game_view.set_theme(DARK)
    assert game_view.field_plot.backgroundBrush().color().name().lower() == DARK.background.lower()
    assert game_view.dist_plot.backgroundBrush().color().name().lower() == DARK.background.lower()
    small = game_view.eigen_label.font().pointSize()
    game_view.set_presentation(True)
    assert game_view.presentation and game_view.eigen_label.font().pointSize() > small
    game_view.finish_animation()
    assert all(len(curve_points(game_view, m)) > 1 for m in DEFAULT_METHODS)


def test_the_grid_is_opaque_under_the_arrows_in_the_theme_shown(game_view):
    # the plots repaint at every frame of an animation: pyqtgraph's translucent grid over them cost more
    # than the rest of the frame
    from PySide6 import QtGui, QtWidgets

    game_view.set_theme(DARK)
    bg, fg = QtGui.QColor(DARK.background), QtGui.QColor(DARK.foreground)
    for plot in (game_view.field_plot, game_view.dist_plot):
        pi = plot.getPlotItem()
        for side in ("left", "bottom"):
            axis = pi.getAxis(side)
            assert axis.cacheMode() == QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache
            assert axis.zValue() < pi.getViewBox().zValue()
            img = QtGui.QImage(300, 200, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
            painter = QtGui.QPainter(img)
            _, ticks, _ = axis.generateDrawSpecs(painter)
            painter.end()
            assert ticks and all(pen.color().alpha() == 255 for pen, _, _ in ticks)
            grid = min(ticks, key=lambda t: abs(t[0].color().lightness() - bg.lightness()))[0].color()
            assert abs(grid.lightness() - bg.lightness()) < abs(grid.lightness() - fg.lightness())


def test_every_control_has_an_object_name_and_a_tooltip(game_view):
    from PySide6.QtWidgets import QWidget

    for name in ("gameCombo", "gameLossCombo", "gameRegCombo", "gameMethodList", "gameLrSlider",
                 "gameGammaSlider", "gameMomentumSlider", "gameKSlider", "gameStepsSlider", "gameEigenLabel",
                 "gameVerdictLabel"):
        w = game_view.findChild(QWidget, name)
        assert w is not None, name
        assert w.toolTip(), name
    # (the sliders' ranges are the schema's: tests/ui/test_schema_controls.py)


def plain(label) -> str:
    return label.text().replace("&nbsp;", " ")


def test_each_method_shows_its_rho_verdict_and_what_its_run_did(game_view):
    game_view.set_methods(list(INTEGRATORS))
    game_view.finish_animation()
    lr = game_view.params()["lr"]
    v = game_view.verdicts()
    assert list(v) == list(INTEGRATORS)
    assert v["sim_gda"].rho == pytest.approx(math.sqrt(1 + lr**2)) and v["sim_gda"].verdict == "diverges"
    assert v["extragradient"].rho == pytest.approx(math.sqrt(1 - lr**2 + lr**4))
    assert v["alt_gda"].verdict == "circles" and v["flow"].verdict == "circles"
    text = plain(game_view.verdict_label)
    assert f"ρ = {math.sqrt(1 + lr**2):.4f} &gt; 1" in text
    for mid in INTEGRATORS:
        assert f"<b>{INTEGRATORS[mid].short}</b>" in text
    assert text.count("this run:") == len(INTEGRATORS) and "computing" not in text
    m = game_view.measured()
    # sim. GDA grows by exactly sqrt(1 + lr^2) per step, extragradient shrinks by its own rho
    assert m["sim_gda"].kind == "grows" and m["sim_gda"].factor == pytest.approx(math.sqrt(1 + lr**2), rel=1e-6)
    assert m["extragradient"].kind == "converges"
    assert m["extragradient"].factor == pytest.approx(math.sqrt(1 - lr**2 + lr**4), rel=1e-6)
    assert m["alt_gda"].kind == "cycle" and m["alt_gda"].text in text

    game_view.lr_slider.setValue(game_view.lr_slider.value() + 30)
    lr2 = game_view.params()["lr"]
    assert game_view.verdicts()["sim_gda"].rho == pytest.approx(math.sqrt(1 + lr2**2))
    assert "computing" in plain(game_view.verdict_label)
    game_view.finish_animation()
    assert "computing" not in plain(game_view.verdict_label)


def test_non_saturating_dirac_gan_notes_are_per_method_and_agree_with_the_runs(game_view):
    game_view.game_combo.setCurrentIndex(game_view.game_combo.findData("dirac"))
    game_view.set_methods(["flow", "sim_gda", "alt_gda", "extragradient"])
    game_view.finish_animation()
    eigen, text = plain(game_view.eigen_label), plain(game_view.verdict_label)
    # the issue: a note for every method, and "plain gradient steps cannot converge" beside one that does
    assert "cannot converge" not in eigen and "1/√t" not in eigen
    v = game_view.verdicts()
    assert [v[m].verdict for m in ("flow", "sim_gda", "alt_gda", "extragradient")] == [
        "circles", "diverges", "circles", "converges"]
    assert v["sim_gda"].rho == pytest.approx(math.sqrt(1 + game_view.params()["lr"] ** 2 / 4))
    assert "√(8/(ηt))" in v["alt_gda"].note and "√(8/(ηt))" in v["flow"].note
    assert "cycle of radius" in v["sim_gda"].note and v["extragradient"].note == ""
    assert text.count("√(8/(ηt))") == 2
    runs = game_view.trajectories()
    for mid, m in game_view.measured().items():
        d = np.hypot(*runs[mid].T)
        # every method's run creeps in from (1, 1) over these 300 steps, whatever its rho
        assert m.kind in ("shrinks", "converges") and d[-1] < d[len(d) // 2]


def test_regulariser_tooltips_follow_the_loss(game_view):
    game_view.game_combo.setCurrentIndex(game_view.game_combo.findData("dirac"))
    noise = game_view.reg_combo.findData("noise")
    assert "Re λ < 0" in game_view.reg_combo.itemData(noise, Qt.ToolTipRole)
    game_view.loss_combo.setCurrentIndex(game_view.loss_combo.findData("wgan"))
    tip = game_view.reg_combo.itemData(noise, Qt.ToolTipRole)
    assert "cannot act" in tip and "Re λ < 0" not in tip
    for i in range(game_view.reg_combo.count()):
        reg = game_view.reg_combo.itemData(i)
        assert REGULARISERS[reg].reference in game_view.reg_combo.itemData(i, Qt.ToolTipRole)
    game_view.reg_combo.setCurrentIndex(noise)
    game_view.finish_animation()
    v = game_view.verdicts()
    assert v["sim_gda"].verdict == "diverges" and v["alt_gda"].verdict == "circles"
    assert game_view.measured()["sim_gda"].kind == "grows"


def test_wgan_gp_has_no_rho(game_view):
    game_view.game_combo.setCurrentIndex(game_view.game_combo.findData("dirac"))
    game_view.loss_combo.setCurrentIndex(game_view.loss_combo.findData("wgan-gp"))
    assert all(v.rho is None and v.verdict == "undecided" for v in game_view.verdicts().values())
    assert plain(game_view.verdict_label).count("no ρ") == len(game_view.checked_methods())
