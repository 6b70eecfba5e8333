"""The loss-shape panel in a loss's own units (critics, f-GANs, EBGAN's energy) and its slope view."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6.QtWidgets import QCheckBox

from ganviz.core.losses import LOSSES, loss_shape, loss_shape_curves, loss_shape_slopes
from ganviz.engine.snapshot import frozen
from ganviz.ui.loss_panel import SLOPE_TEXT, LossShapePanel
from tests.ui.synth import synthetic_snapshot

NO_PROBABILITY = [lid for lid, l in LOSSES.items() if not l.has_probability]
PROB = [lid for lid, l in LOSSES.items() if l.has_probability]


def own_snapshot(loss_id, raw, margin=1.0, m=1):
    """A snapshot of GANs trained with `loss_id` whose fakes' raw D outputs are `raw`."""
    loss = LOSSES[loss_id]
    snap = synthetic_snapshot(m=m, n=len(raw), loss_ids=[loss_id] * m)
    display = np.stack([loss.to_prob(np.asarray(raw, np.float64)) for _ in range(m)])
    return dataclasses.replace(snap, d_is_prob=tuple(False for _ in range(m)), fake_d=frozen(display, np.float64),
                               extra={"settings": [{"loss": loss_id, "margin": margin}] * m})


def data(item):
    x, y = item.getOriginalDataset()
    return np.asarray(x), np.asarray(y)


@pytest.mark.parametrize("loss_id", NO_PROBABILITY)
def test_a_loss_without_probability_is_drawn_in_its_own_units_with_the_fakes_on_g_cost(docked, loss_id):
    panel = docked(LossShapePanel())
    rng = np.random.default_rng(1)
    raw = rng.uniform(0.1, 1.8, 64) if LOSSES[loss_id].is_energy else rng.uniform(-1.5, 1.5, 64)
    panel.set_loss(loss_id)
    panel.set_snapshot(own_snapshot(loss_id, raw))
    shape = loss_shape(loss_id)
    assert panel.shape is not None and panel.shape.loss_id == loss_id
    assert not any(c.isVisible() for c in panel.curves.values()), "the probability family is not drawn"
    for item, c in zip(panel.own_curves, shape.curves):
        x, y = data(item)
        np.testing.assert_allclose(x, shape.x)
        np.testing.assert_allclose(y, c.value)
    assert [c.isVisible() for c in panel.own_curves] == [k < len(shape.curves) for k in range(3)]
    # The fakes sit on G's cost at their own outputs, computed exactly (not read off the curve).
    x, y = panel.markers.getData()
    np.testing.assert_allclose(x, raw, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(y, LOSSES[loss_id].g_np(raw), rtol=1e-6, atol=1e-6)
    assert panel.hist.isVisible()
    edges, counts = panel.hist.getData()
    assert edges[0] == pytest.approx(shape.x[0]) and edges[-1] == pytest.approx(shape.x[-1])
    heights, _ = np.histogram(raw, bins=edges)
    assert np.argmax(counts) == np.argmax(heights)
    # The axis says what the units are.
    assert panel._rug.getAxis("bottom").labelText == shape.x_label
    assert LOSSES[loss_id].name in panel._plot.titleLabel.text


def test_ebgan_draws_the_energy_the_margin_hinge_and_the_margin_of_the_run(docked):
    panel = docked(LossShapePanel())
    panel.set_loss("ebgan")
    raw = np.array([0.2, 0.9, 1.4, 2.5, 3.1])
    panel.set_snapshot(own_snapshot("ebgan", raw, margin=2.0))
    (x0, x1), _ = panel._plot.viewRange()
    assert (x0, x1) == pytest.approx((0.0, 4.0))                  # 0 to 2m, with m from the run's settings
    g, d_fake = (data(c) for c in panel.own_curves[:2])
    np.testing.assert_allclose(g[1], g[0])                          # G's cost E
    np.testing.assert_allclose(d_fake[1], np.maximum(2.0 - d_fake[0], 0.0))   # D's cost on a fake
    assert panel.mark_line.isVisible() and panel.mark_line.value() == pytest.approx(2.0)
    assert "margin m = 2" in panel.legend.text
    assert "energy" in panel._rug.getAxis("bottom").labelText
    np.testing.assert_allclose(panel.markers.getData()[1], raw)


def test_a_critic_axis_widens_to_where_its_scores_are(docked):
    # A Wasserstein critic's constant is free: its scores may sit far from 0.
    panel = docked(LossShapePanel())
    panel.set_loss("wgan")
    raw = np.linspace(35.0, 45.0, 50)
    panel.set_snapshot(own_snapshot("wgan", raw))
    (x0, x1), (y0, y1) = panel._plot.viewRange()
    assert x0 <= -3.0 and x1 >= 45.0
    x, y = panel.markers.getData()
    np.testing.assert_allclose(x, raw)
    np.testing.assert_allclose(y, -raw)
    gx, gy = data(panel.own_curves[0])
    assert gx[-1] >= 45.0


def test_another_losss_outputs_are_not_put_on_this_losss_axis(docked):
    panel = docked(LossShapePanel())
    panel.set_loss("fgan-kl")
    panel.set_snapshot(own_snapshot("ebgan", np.array([0.5, 1.0])))
    assert len(panel.markers.getData()[0]) == 0 and not panel.hist.isVisible()


def test_the_slope_toggle_draws_every_probability_losss_slope(docked):
    panel = docked(LossShapePanel())
    toggle = panel.findChild(QCheckBox, "lossSlopeToggle")
    assert toggle is panel.slope_toggle and not toggle.isChecked()
    panel.set_loss("minimax")
    snap = synthetic_snapshot()
    panel.set_snapshot(snap)
    d, slopes = loss_shape_slopes()
    toggle.setChecked(True)
    assert panel.slope
    for loss_id, item in panel.curves.items():
        x, y = data(item)
        np.testing.assert_allclose(x, d)
        np.testing.assert_allclose(y, slopes[loss_id])
    # minimax's slope -D: the fakes at small D get almost nothing
    x, y = panel.markers.getData()
    fake_d = np.asarray(snap.fake_d[0], np.float64)
    np.testing.assert_allclose(x, fake_d)
    np.testing.assert_allclose(y, -fake_d, rtol=1e-6)
    assert "logit" in panel._plot.getAxis("left").labelText
    toggle.setChecked(False)
    _, curves = loss_shape_curves()
    np.testing.assert_allclose(data(panel.curves["ns"])[1], curves["ns"])
    np.testing.assert_allclose(panel.markers.getData()[1], LOSSES["minimax"].g_of_d(fake_d), rtol=1e-6)


def test_the_slope_view_of_ebgan_is_one_for_g_and_the_margin_step_for_d(docked):
    panel = docked(LossShapePanel())
    panel.set_loss("ebgan")
    panel.set_slope(True)
    assert panel.slope_toggle.isChecked()
    raw = np.array([0.3, 1.7])
    panel.set_snapshot(own_snapshot("ebgan", raw, margin=1.0))
    gx, gy = data(panel.own_curves[0])
    dx, dy = data(panel.own_curves[1])
    np.testing.assert_allclose(gy, 1.0)
    np.testing.assert_allclose(dy, np.where(dx < 1.0, -1.0, 0.0))
    np.testing.assert_allclose(panel.markers.getData()[1], [1.0, 1.0])


@pytest.mark.parametrize("loss_id", ["ebgan", "fgan-js", "hinge", "wgan-gp", "ns"])
@pytest.mark.parametrize("slope", [False, True])
@pytest.mark.parametrize("width", [420, 210])      # the app's right dock, and that dock in a 1280-wide window
def test_the_panels_text_fits_its_width(shown, loss_id, slope, width):
    panel = shown(LossShapePanel(), width, 520, exposed=True)
    panel.set_loss(loss_id)
    panel.set_slope(slope)
    panel.set_snapshot(own_snapshot(loss_id, np.array([0.4, 0.6])) if loss_id != "ns" else synthetic_snapshot())
    width = panel.width()
    assert panel.legend.boundingRect().width() <= width
    assert panel._plot.titleLabel.boundingRect().width() <= width
    for plot, name in ((panel._plot, "left"), (panel._rug, "bottom")):
        axis = plot.getAxis(name)
        label = axis.label.mapRectToScene(axis.label.boundingRect())
        assert label.left() >= 0 and label.top() >= 0, axis.labelText
        assert label.right() <= panel._view.width() and label.bottom() <= panel._view.height(), axis.labelText
    toggle = panel.findChild(QCheckBox, "lossSlopeToggle")
    assert toggle.geometry().right() < width and toggle.sizeHint().width() <= toggle.width(), toggle.text()
    # Only a narrow panel drops the axis labels' parentheses and the toggle's derivative.
    whole = width == 420
    assert (toggle.text() == SLOPE_TEXT) == whole
    if loss_id in NO_PROBABILITY and not slope:
        assert (panel._rug.getAxis("bottom").labelText == loss_shape(loss_id).x_label) == whole
