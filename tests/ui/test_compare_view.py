"""The Compare view: one panel per GAN, captions and charts from the snapshot, trails, and
adding, removing and editing panels of a live Session."""
from __future__ import annotations

import dataclasses
import math
import threading

import numpy as np
import pyqtgraph as pg
import pytest
import torch
from PySide6 import QtCore, QtWidgets

from ganviz.core import scenario as S
from ganviz.core.scenario import MAX_PANELS
from ganviz.engine.session import Session
from ganviz.engine.snapshot import frozen
from ganviz.ui import plotting as P
from ganviz.ui.compare_view import N_TRAIL, TRAIL_LENGTH, CompareView
from ganviz.ui.theme import DARK, LIGHT
from ganviz.ui.trails import Trails
from tests.ui.synth import synthetic_snapshot


def replace(snap, **fields):
    return dataclasses.replace(snap, **{k: frozen(v, np.asarray(v).dtype) if isinstance(v, np.ndarray) else v
                                        for k, v in fields.items()})


def small_compare(n_panels: int = 3) -> S.Scenario:
    sc = S.load("compare-losses-ring8")
    model = dataclasses.replace(sc.model, g_width=32, d_width=32)
    return dataclasses.replace(sc, model=model, train=dataclasses.replace(sc.train, batch_size=64),
                               panels=sc.panels[:n_panels])


@pytest.fixture
def session():
    s = Session(small_compare(3)).start()
    yield s
    assert s.stop(5.0)


def scatter_xy(item: pg.ScatterPlotItem) -> np.ndarray:
    return np.column_stack([item.data["x"], item.data["y"]]).astype(float)


def rev_kl(counts, weights) -> float:
    q = np.asarray(counts, float) / np.sum(counts)
    p = np.asarray(weights, float) / np.sum(weights)
    nz = q > 0
    return float(np.sum(q[nz] * np.log(q[nz] / p[nz])))


# ------------------------------------------------------------------------------ synthetic snapshots
def test_panel_count_follows_the_number_of_gans_and_items_are_reused(compare_view, qtbot):
    compare_view.set_snapshot(synthetic_snapshot(dim=2, m=3))
    assert len(compare_view.panels) == 3 and len(compare_view.mode_curves) == 3 and len(compare_view.bar_items) == 3
    assert compare_view.findChild(QtWidgets.QFrame, "comparePanel_2") is compare_view.panels[2]
    first, fake_item = compare_view.panels[0], compare_view.panels[0].fake

    compare_view.set_snapshot(synthetic_snapshot(dim=2, m=3, step=101, seed=1))
    assert compare_view.panels[0] is first and first.fake is fake_item      # same M: setData only

    compare_view.set_snapshot(synthetic_snapshot(dim=2, m=6, step=102))
    assert len(compare_view.panels) == 6 and compare_view.grid.count() == 6
    assert compare_view.panels[0] is first
    compare_view.set_snapshot(synthetic_snapshot(dim=2, m=2, step=103))
    qtbot.wait(1)
    assert len(compare_view.panels) == 2 and compare_view.grid.count() == 2 and len(compare_view.bar_items) == 2
    assert compare_view.findChild(QtWidgets.QFrame, "comparePanel_5") is None


def test_panels_draw_each_gans_fakes_and_the_shared_real_samples(compare_view):
    snap = synthetic_snapshot(dim=2, m=3, n=300)
    compare_view.set_snapshot(snap)
    for i, p in enumerate(compare_view.panels):
        np.testing.assert_allclose(scatter_xy(p.fake), snap.fake[i])
        np.testing.assert_allclose(scatter_xy(p.real), snap.real)
        assert p.title.text() == snap.labels[i]
    assert "Non-saturating" in compare_view.panels[0].subtitle.text()


def test_captions_show_modes_hq_and_reverse_kl(compare_view):
    base = synthetic_snapshot(dim=2, m=2)
    counts = np.array([[10, 10, 10, 10, 10, 10, 10, 10], [80, 0, 0, 0, 0, 0, 0, 0]])
    latest = dict(base.latest)
    latest["modes"] = frozen([8.0, 1.0])
    latest["hq_frac"] = frozen([0.734, 0.05])
    latest["rkl_modes"] = frozen([rev_kl(counts[0], np.full(8, 1 / 8)), rev_kl(counts[1], np.full(8, 1 / 8))])
    snap = replace(base, latest=latest, mode_counts=np.asarray(counts, np.int64))
    compare_view.set_snapshot(snap)
    c0, c1 = (p.caption.text() for p in compare_view.panels)
    assert "modes 8/8" in c0 and "HQ 73%" in c0 and "rev-KL 0.00" in c0
    assert "modes 1/8" in c1 and "HQ 5.0%" in c1 and f"rev-KL {math.log(8):.2f}" in c1
    assert compare_view.findChild(QtWidgets.QLabel, "compareCaption_1") is compare_view.panels[1].caption

    # The caption shows the evaluator's reverse KL over modes (measured against the mixture's weights).
    latest["rkl_modes"] = frozen([0.123, 1.5])
    compare_view.set_snapshot(replace(snap, latest=latest))
    assert "rev-KL 0.12" in compare_view.panels[0].caption.text()
    assert "rev-KL 1.50" in compare_view.panels[1].caption.text()


def test_a_diverged_panel_says_so(compare_view):
    base = synthetic_snapshot(dim=2, m=3)
    compare_view.set_snapshot(replace(base, diverged=np.array([False, True, False])))
    assert compare_view.panels[1].caption.text().startswith("DIVERGED")
    assert compare_view.panels[1].banner.isVisible() and compare_view.panels[1].banner.text() == "diverged"
    assert not compare_view.panels[0].banner.isVisible() and "DIVERGED" not in compare_view.panels[0].caption.text()
    compare_view.set_snapshot(replace(base, step=101, diverged=np.array([False, False, False])))
    assert not compare_view.panels[1].banner.isVisible()


def test_fakes_and_d_never_computed_for_a_gan_are_not_drawn_and_older_fakes_say_so(compare_view):
    # Frames recorded while the Lab tab drew GAN 0 of three hold the others' parts as zeros (step -1: never
    # computed) or from the last picture that drew them; an export of those frames drew every fake of GAN 1
    # on the origin and said nothing of GAN 2's being older than the step.
    compare_view.heat_check.setChecked(True)
    snap = synthetic_snapshot(dim=2, m=3, step=40)
    steps = np.array([40, -1, 25])
    compare_view.set_snapshot(replace(snap, fake_steps=steps, d_grid_steps=steps))
    p0, p1, p2 = compare_view.panels
    assert len(p1.fake.data) == 0 and p1.heat.shown is None
    assert p1.lag.text() == "fakes not recorded" and p1.lag.isVisible()
    np.testing.assert_allclose(scatter_xy(p2.fake), snap.fake[2])
    np.testing.assert_allclose(p2.heat.shown, snap.d_grid[2])
    assert p2.lag.text() == "fakes from step 25"
    np.testing.assert_allclose(scatter_xy(p0.fake), snap.fake[0])
    assert p0.lag.text() == "" and not p0.lag.isVisible()
    # drawn again once computed
    compare_view.set_snapshot(replace(snap, step=41, fake_steps=np.array([41, 41, 41]),
                                      d_grid_steps=np.array([41, 41, 41])))
    np.testing.assert_allclose(scatter_xy(p1.fake), snap.fake[1])
    np.testing.assert_allclose(p1.heat.shown, snap.d_grid[1])
    assert not p1.lag.isVisible() and not p2.lag.isVisible()


def test_bar_chart_holds_the_mode_counts(compare_view):
    snap = synthetic_snapshot(dim=2, m=3)
    compare_view.set_snapshot(snap)
    k = snap.mode_counts.shape[1]
    xs = []
    for i, bars in enumerate(compare_view.bar_items):
        np.testing.assert_array_equal(np.asarray(bars.opts["height"], float), snap.mode_counts[i])
        xs.append(np.asarray(bars.opts["x"], float))
    # Grouped: mode j's bars sit side by side around j + 1, in panel order.
    groups = np.stack(xs)
    np.testing.assert_allclose(groups.mean(axis=0), np.arange(1, k + 1))
    assert np.all(np.diff(groups, axis=0) > 0)
    assert compare_view.findChild(QtWidgets.QWidget, "compareBarsPlot") is compare_view.bars_widget


def test_modes_chart_holds_the_history_and_redraws_only_when_it_moves_on(compare_view):
    snap = synthetic_snapshot(dim=2, m=3, t=40)
    compare_view.set_snapshot(snap)
    for i, curve in enumerate(compare_view.mode_curves):
        x, y = curve.getOriginalDataset()
        np.testing.assert_allclose(x, snap.history_steps)
        np.testing.assert_allclose(y, snap.history["modes"][i])
    assert compare_view.findChild(QtWidgets.QWidget, "compareModesPlot") is compare_view.modes_widget

    other = dict(snap.history)
    other["modes"] = frozen(np.full((3, 40), 5.0))
    compare_view.set_snapshot(replace(snap, step=101, history=other))        # same history_steps: not redrawn
    np.testing.assert_allclose(compare_view.mode_curves[0].getOriginalDataset()[1], snap.history["modes"][0])
    compare_view.set_snapshot(replace(snap, step=102, history=other, history_steps=snap.history_steps + 10))
    np.testing.assert_allclose(compare_view.mode_curves[0].getOriginalDataset()[1], 5.0)


def test_trails_grow_with_distinct_steps_and_reset_when_the_step_goes_back(compare_view):
    base = synthetic_snapshot(dim=2, m=2, n=200)
    fake = np.array(base.fake)
    trails = None
    for s in range(5):
        compare_view.set_snapshot(replace(base, step=100 + s, fake=fake + 0.01 * s))
        trails = compare_view.panels[1].trails
    assert len(trails) == 5
    compare_view.set_snapshot(replace(base, step=104, fake=fake + 0.5))       # same step: no new position
    assert len(trails) == 5
    pos = trails.positions()
    assert pos.shape == (5, N_TRAIL, 2)
    np.testing.assert_allclose(pos[-1], fake[1, :N_TRAIL] + 0.5)     # the newest is the current fakes
    np.testing.assert_allclose(pos[0], fake[1, :N_TRAIL])
    for s in range(5, 5 + 2 * TRAIL_LENGTH):
        compare_view.set_snapshot(replace(base, step=100 + s, fake=fake))
    assert len(trails) == TRAIL_LENGTH
    compare_view.set_snapshot(replace(base, step=3, fake=fake))               # a reset
    assert len(trails) == 1


def test_toggles_show_trails_and_the_d_heatmap(compare_view, qtbot):
    snap = synthetic_snapshot(dim=2, m=2)
    compare_view.set_snapshot(snap)
    p = compare_view.panels[1]
    assert not p.trails.visible() and not p.heat.isVisible()     # both on demand
    compare_view.findChild(QtWidgets.QCheckBox, "compareTrailsCheck").setChecked(True)
    assert p.trails.visible()
    compare_view.findChild(QtWidgets.QCheckBox, "compareTrailsCheck").setChecked(False)
    assert not p.trails.visible()
    compare_view.findChild(QtWidgets.QCheckBox, "compareHeatmapCheck").setChecked(True)
    assert p.heat.isVisible()
    np.testing.assert_allclose(p.heat.image, snap.d_grid[1])


def test_1d_panels_draw_densities(compare_view):
    snap = synthetic_snapshot(dim=1, m=2)
    compare_view.set_snapshot(snap)
    for i, p in enumerate(compare_view.panels):
        x, y = p.p_g.getOriginalDataset()
        np.testing.assert_allclose(x, snap.grid_x)
        np.testing.assert_allclose(y, snap.p_g[i])
        np.testing.assert_allclose(p.p_data.getOriginalDataset()[1], snap.p_data)
        assert p.p_g.isVisible() and not p.fake.isVisible() and not p.trails.visible()


def test_1d_panels_draw_d_and_d_star_on_the_panel_height_and_no_critic(compare_view):
    snap = synthetic_snapshot(dim=1, m=2)
    compare_view.set_snapshot(snap)
    for i, p in enumerate(compare_view.panels):
        top = p._y_range.hi
        np.testing.assert_allclose(p.d.getOriginalDataset()[1], np.clip(snap.d_grid[i], 0, 1) * top)
        mass = P.has_mass(snap.p_data, snap.p_g[i])      # D* is 0/0 where neither density has mass: a gap
        np.testing.assert_allclose(p.d_star.getOriginalDataset()[1],
                                   np.where(mass, np.clip(snap.d_star[i], 0, 1) * top, np.nan))
        assert "D*" in p.d_key.text()
    # A critic has no probability scale: its D is not drawn against D*.
    compare_view.set_snapshot(replace(snap, d_is_prob=(True, False)))
    critic_x = compare_view.panels[1].d.getOriginalDataset()[0]
    assert critic_x is None or len(critic_x) == 0
    assert compare_view.panels[1].d_key.text() == "" and not compare_view.panels[1].d_key.isVisible()
    assert len(compare_view.panels[0].d.getOriginalDataset()[1]) == len(snap.grid_x)


def test_theme_and_presentation_restyle_the_panels(compare_view):
    compare_view.set_snapshot(synthetic_snapshot(dim=2, m=2))
    p = compare_view.panels[0]
    assert p.canvas.backgroundBrush().color().name().upper() == LIGHT.background.upper()
    compare_view.set_theme(DARK)
    assert p.canvas.backgroundBrush().color().name().upper() == DARK.background.upper()
    img = compare_view.grab().toImage()
    assert img.pixelColor(2, img.height() - 2).name().upper() == DARK.background.upper()
    before = compare_view.captions.pt, p.title.font().pointSize()
    compare_view.set_presentation(True)
    assert compare_view.captions.pt > before[0] and p.title.font().pointSize() > before[1]
    assert len({q.caption.font().pointSize() for q in compare_view.panels}) == 1    # side by side, one size


def test_arrangement_uses_at_most_four_columns_and_two_rows(compare_view):
    for m in (1, 3, 6, 8):
        compare_view.set_snapshot(synthetic_snapshot(dim=2, m=m))
        rows = {compare_view.grid.getItemPosition(compare_view.grid.indexOf(p))[0] for p in compare_view.panels}
        cols = {compare_view.grid.getItemPosition(compare_view.grid.indexOf(p))[1] for p in compare_view.panels}
        assert len(rows) <= 2 and len(cols) <= 4 and len(compare_view.panels) == m


def test_trails_on_a_plain_plot(qtbot):
    w = pg.PlotWidget()
    qtbot.addWidget(w)
    t = Trails(w.getPlotItem(), "#7B3FB5", n=4, length=3)
    pts = np.arange(8.0).reshape(4, 2)
    t.push(pts, 1)
    t.push(pts + 1, 2)
    t.push(pts + 2, 3)
    t.push(pts + 3, 4)
    assert len(t) == 3
    np.testing.assert_allclose(t.positions()[:, 0], [[1, 2], [2, 3], [3, 4]])
    r = t.item.boundingRect()
    assert (r.left(), r.top(), r.right(), r.bottom()) == (1.0, 2.0, 9.0, 10.0)   # oldest kept is pts + 1, newest pts + 3
    t.push(pts[:2], 5)                                                # fewer points: starts again
    assert len(t) == 1 and t.positions().shape == (1, 2, 2)
    t.set_visible(False)
    assert not t.item.isVisible()
    t.clear()
    assert len(t) == 0 and t.item.boundingRect().isNull()
    with pytest.raises(ValueError):
        Trails(w.getPlotItem(), "#000000", n=0)


# ------------------------------------------------------------------------------ a live Session
def on_thread(session: Session, fn) -> dict:
    """Queue fn(lab) on the training thread and return the dict it fills."""
    out: dict = {}
    session.call(lambda lab: out.update(fn(lab)))
    return out


def gated(session: Session):
    """Hold the training thread at a command; what is queued meanwhile then runs with no step between."""
    gate = threading.Event()
    before: dict = {}

    def hold(lab):
        gate.wait(10)
        before.update(G=lab.trainer.G.flat.detach().clone(), step=lab.step_count, m=lab.m)

    session.call(hold)
    return gate, before


def weights_now(lab) -> dict:
    return {"G": lab.trainer.G.flat.detach().clone(), "step": lab.step_count, "m": lab.m,
            "losses": [s.loss for s in lab.trainer.settings]}


def live_view(compare_view, session, qtbot, m: int):
    compare_view.attach(session)
    session.play()
    snap = session.wait_for(lambda s: s.step >= 5 and s.n_gans == m, 20)
    assert snap is not None
    compare_view.set_snapshot(snap)
    return snap


def test_add_panel_while_training_keeps_the_others_weights(compare_view, session, qtbot):
    live_view(compare_view, session, qtbot, 3)
    combo = compare_view.findChild(QtWidgets.QComboBox, "compareAddLossCombo")
    combo.setCurrentIndex(combo.findData("hinge"))
    gate, before = gated(session)
    qtbot.mouseClick(compare_view.findChild(QtWidgets.QPushButton, "compareAddButton"),
                     QtCore.Qt.MouseButton.LeftButton)
    after = on_thread(session, weights_now)
    gate.set()
    qtbot.waitUntil(lambda: "G" in after, timeout=10000)
    assert compare_view.error_label.text() == ""
    assert after["m"] == 4 and before["m"] == 3 and after["step"] == before["step"]
    assert torch.equal(after["G"][:3], before["G"])
    assert not any(torch.equal(after["G"][3], before["G"][j]) for j in range(3))   # fresh weights
    assert after["losses"][3] == "hinge" and len(session.scenario.panels) == 4

    snap = session.wait_for(lambda s: s.n_gans == 4 and s.step > after["step"], 20)
    assert snap is not None
    compare_view.set_snapshot(snap)
    assert len(compare_view.panels) == 4 and compare_view.panels[3].subtitle.text().startswith("Hinge")


def test_remove_panel_while_training_keeps_the_others_weights(compare_view, session, qtbot):
    live_view(compare_view, session, qtbot, 3)
    gate, before = gated(session)
    qtbot.mouseClick(compare_view.findChild(QtWidgets.QToolButton, "compareRemove_1"), QtCore.Qt.MouseButton.LeftButton)
    after = on_thread(session, weights_now)
    gate.set()
    qtbot.waitUntil(lambda: "G" in after, timeout=10000)
    assert after["m"] == 2 and after["step"] == before["step"]
    assert torch.equal(after["G"][0], before["G"][0]) and torch.equal(after["G"][1], before["G"][2])
    assert session.scenario.panel_labels() == ["ns", "lsgan"]
    snap = session.wait_for(lambda s: s.n_gans == 2, 20)
    compare_view.set_snapshot(snap)
    assert len(compare_view.panels) == 2 and [p.title.text() for p in compare_view.panels] == ["ns", "lsgan"]


def test_editing_a_panels_loss_changes_only_that_gan_live(compare_view, session, qtbot):
    live_view(compare_view, session, qtbot, 3)
    panel = compare_view.panels[1]
    qtbot.mouseClick(panel.title, QtCore.Qt.MouseButton.LeftButton)
    assert panel.editor.isVisible() and panel.edit_button.isChecked()
    combo = compare_view.findChild(QtWidgets.QComboBox, "compareLossCombo_1")
    gate, before = gated(session)
    idx = combo.findData("hinge")
    combo.setCurrentIndex(idx)
    combo.activated.emit(idx)                                         # what a user's pick emits
    after = on_thread(session, weights_now)
    gate.set()
    qtbot.waitUntil(lambda: "G" in after, timeout=10000)
    assert compare_view.error_label.text() == ""
    assert after["losses"] == ["ns", "hinge", "lsgan"] and before["m"] == 3
    assert after["step"] == before["step"] and torch.equal(after["G"], before["G"])   # no restart
    snap = session.wait_for(lambda s: s.loss_ids[1] == "hinge" and s.step > after["step"], 20)
    assert snap is not None and snap.step > before["step"]                 # training went on
    compare_view.set_snapshot(snap)
    assert compare_view.panels[1].subtitle.text().startswith("Hinge")


def test_editing_k_applies_to_one_panel(compare_view, session, qtbot):
    live_view(compare_view, session, qtbot, 3)
    compare_view.panels[2].set_editor_visible(True)
    spin = compare_view.findChild(QtWidgets.QSpinBox, "compareKSpin_2")
    spin.setValue(3)
    qtbot.waitUntil(lambda: [s.k for s in session.lab.trainer.settings] == [1, 1, 3], timeout=10000)


def test_minibatch_features_and_margin_per_panel(compare_view, session, qtbot):
    live_view(compare_view, session, qtbot, 3)
    compare_view.panels[1].set_editor_visible(True)
    box = compare_view.findChild(QtWidgets.QCheckBox, "compare_minibatch_std_1")
    box.setChecked(True)
    qtbot.waitUntil(lambda: [s.minibatch_std for s in session.lab.trainer.settings] == [False, True, False],
                    timeout=10000)
    margin = compare_view.findChild(QtWidgets.QDoubleSpinBox, "compareMarginSpin_1")
    margin.setValue(2.5)
    qtbot.waitUntil(lambda: session.lab.trainer.settings[1].margin == 2.5, timeout=10000)


def test_errors_show_in_the_view_and_limits_disable_buttons(compare_view):
    s = Session(small_compare(2))                  # never started: commands are only validated
    try:
        compare_view.attach(s)
        compare_view.set_snapshot(synthetic_snapshot(dim=2, m=2))
        assert compare_view.add_button.isEnabled() and compare_view.panels[0].remove_button.isEnabled()
        assert not compare_view.edit_panel(0, lr_d=-1.0)
        assert "lr_d" in compare_view.findChild(QtWidgets.QLabel, "compareError").text()
        assert compare_view.edit_panel(0, lr_d=1e-4) and compare_view.error_label.text() == ""

        compare_view.set_snapshot(synthetic_snapshot(dim=2, m=MAX_PANELS))
        assert not compare_view.add_button.isEnabled()
        compare_view.set_snapshot(synthetic_snapshot(dim=2, m=1))
        assert compare_view.add_button.isEnabled() and not compare_view.panels[0].remove_button.isEnabled()
        compare_view.attach(None)
        assert not compare_view.add_button.isVisible() and not compare_view.panels[0].remove_button.isVisible()
        assert not compare_view.add_panel("ns") and not compare_view.edit_panel(0, k=2)
    finally:
        assert s.stop()


@pytest.mark.parametrize("width, span", [(90.0, 1500.0), (300.0, 6000.0), (1000.0, 300.0), (60.0, 40000.0),
                                         (85.0, 1000.0)])
def test_step_ticks_leave_each_label_its_width(qtbot, width, span):
    from PySide6 import QtGui

    from ganviz.ui.plotting import FittedAxis
    axis = FittedAxis("bottom")
    ((major, _),) = axis.tickSpacing(0.0, span, width)
    label = QtGui.QFontMetricsF(axis.style.get("tickFont") or QtGui.QFont()).horizontalAdvance(f"{span:.0f}")
    assert (span / major + 1) * label <= width + label   # every label but the one at an edge fits
    mantissa = round(major / 10 ** math.floor(math.log10(major)))
    assert mantissa in (1, 2, 5)
    finer = major * (0.4 if mantissa == 5 else 0.5)
    assert span / finer * (label + 14) > width or span / major >= 2   # none coarser than need be
    assert span / major * (label + 4) <= width + 1e-9                 # labels never touch


@pytest.mark.parametrize("height", [45.0, 60.0, 120.0, 300.0, 700.0])
@pytest.mark.parametrize("k", [8, 25])
def test_modes_ticks_are_whole_numbers_that_leave_each_label_its_height(qtbot, height, k):
    # The modes chart labelled every mode from 0 to 8: below three panels in a 1280 x 800 window its plot
    # is ~60 px high, and the nine labels sat on one another.
    from PySide6 import QtGui

    from ganviz.ui.plotting import FittedAxis
    axis = FittedAxis("left", integer=True)
    top = k + max(0.5, 0.08 * k)
    ((major, _),) = axis.tickSpacing(0.0, top, height)
    line = QtGui.QFontMetricsF(axis.style.get("tickFont") or QtGui.QFont()).height()
    assert major >= 1 and major == int(major)
    assert major * height / top >= line          # labels never touch
    if height >= 300 and k == 8:
        assert major == 1                        # every mode where there is room


def test_a_long_panel_title_is_elided_not_cut_and_keeps_its_text(compare_view, qtbot):
    compare_view.set_snapshot(synthetic_snapshot(dim=1, m=2))
    p = compare_view.panels[0]
    label = "minimax log(1 - D(G(z))) with a long name"
    p.set_titles(label, "minimax", "")
    compare_view.resize(420, 300)
    qtbot.waitUntil(lambda: p.title.width() < p.title.fontMetrics().horizontalAdvance(label))
    shown = QtWidgets.QPushButton.text(p.title)
    assert p.title.text() == label
    assert shown.endswith("\u2026") and label.startswith(shown[:-1])
    assert p.title.fontMetrics().horizontalAdvance(shown) <= p.title.width()


def test_a_critic_panel_shows_no_empty_d_key_from_its_first_frame(shown):
    w = shown(CompareView(), 800, 400)
    w.set_snapshot(replace(synthetic_snapshot(dim=1, m=2), d_is_prob=(True, False)))
    assert w.panels[0].d_key.isVisible() and not w.panels[1].d_key.isVisible()


def test_a_short_compare_view_keeps_its_charts_axis_labels_whole(compare_view, qtbot):
    # A 560 x 350 export of three GANs: the bars chart's "HQ samples" ran past its ~50 px axis ("HQ samp").
    compare_view.set_snapshot(synthetic_snapshot(dim=2, m=3))
    compare_view.resize(560, 290)
    qtbot.waitUntil(lambda: compare_view.compact, timeout=2000)
    QtWidgets.QApplication.processEvents()
    for chart in (compare_view.modes_chart, compare_view.bars_chart):
        axis = chart.getAxis("left")
        assert axis.label.boundingRect().width() <= axis.height(), (axis.label.toPlainText(), axis.height())
