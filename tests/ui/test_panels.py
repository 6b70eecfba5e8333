"""The side panels: loss shape (Goodfellow 2016, Fig. 16), metric history, loss info."""
from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest
from PySide6 import QtGui
from PySide6.QtGui import QPalette

from ganviz.core.losses import LOSSES, UnknownLoss, loss_shape_curves
from ganviz.engine.snapshot import METRIC_KEYS, frozen
from ganviz.ui.info_panel import InfoPanel, formula_html
from ganviz.ui.loss_panel import LossShapePanel
from ganviz.ui.metrics_panel import PLOTS, MetricsPanel
from ganviz.ui.theme import DARK, LIGHT
from tests.ui.synth import synthetic_snapshot

PROB_LOSSES = [lid for lid, l in LOSSES.items() if l.has_probability]
CRITIC_LOSSES = [lid for lid, l in LOSSES.items() if l.is_critic]


def _with_history(snap, key, member, values):
    hist = {k: np.array(v) for k, v in snap.history.items()}
    hist[key][member] = values
    return dataclasses.replace(snap, history={k: frozen(v) for k, v in hist.items()})


def _with_latest(snap, **values):
    latest = {k: np.array(v) for k, v in snap.latest.items()}
    for key, v in values.items():
        latest[key][:] = v
    return dataclasses.replace(snap, latest={k: frozen(v) for k, v in latest.items()})


def _critic_snapshot(m=1, dim=1):
    snap = synthetic_snapshot(dim=dim, m=m, loss_ids=["wgan"] * m)
    # Critic scores are unbounded; drawn as probabilities they would land off the axis.
    return dataclasses.replace(snap, d_is_prob=tuple(False for _ in range(m)),
                               fake_d=frozen(np.asarray(snap.fake_d) * 40 - 20))


# -- loss shape panel ---------------------------------------------------------------------------

def test_loss_panel_draws_every_probability_loss_from_the_registry(docked):
    panel = docked(LossShapePanel())
    assert panel.objectName() == "lossShapePanel"
    d, curves = loss_shape_curves()
    assert sorted(panel.curves) == sorted(PROB_LOSSES)
    for loss_id, item in panel.curves.items():
        x, y = item.getOriginalDataset()
        np.testing.assert_allclose(x, d)
        np.testing.assert_allclose(y, curves[loss_id])
    legend = panel.legend.text
    for loss_id in PROB_LOSSES:
        assert LOSSES[loss_id].name in legend


@pytest.mark.parametrize("loss_id", PROB_LOSSES)
def test_set_loss_highlights_exactly_that_curve(docked, loss_id):
    panel = docked(LossShapePanel())
    panel.set_loss(loss_id)
    widths = {lid: item.opts["pen"].widthF() for lid, item in panel.curves.items()}
    others = [w for lid, w in widths.items() if lid != loss_id]
    assert widths[loss_id] > max(others)
    assert panel.curves[loss_id].opts["pen"].color().alpha() == 255
    assert all(item.opts["pen"].color().alpha() < 255 for lid, item in panel.curves.items() if lid != loss_id)
    assert panel.shape is None and not any(c.isVisible() for c in panel.own_curves)


@pytest.mark.parametrize("loss_id", ["minimax", "ns", "ml", "lsgan"])
def test_markers_sit_on_the_selected_curve_at_the_fakes_d(docked, loss_id):
    panel = docked(LossShapePanel())
    snap = synthetic_snapshot(m=3)
    panel.set_loss(loss_id)
    panel.index = 2
    panel.set_snapshot(snap)
    x, y = panel.markers.getData()
    np.testing.assert_allclose(x, snap.fake_d[2])
    # Checked against the registry's exact loss, not the panel's interpolated curve.
    np.testing.assert_allclose(y, LOSSES[loss_id].g_of_d(np.asarray(snap.fake_d[2], np.float64)), atol=2e-3)
    assert panel.hist.isVisible()
    edges, counts = panel.hist.getData()
    heights, _ = np.histogram(snap.fake_d[2], bins=edges)
    assert np.argmax(counts) == np.argmax(heights)

    panel.index = 0
    x, _ = panel.markers.getData()
    np.testing.assert_allclose(x, snap.fake_d[0])


def test_critic_scores_are_not_drawn_on_a_probability_curve(docked):
    # The loss menu can run a frame ahead of the training thread: a critic's snapshot
    # may arrive while a probability loss is already selected.
    panel = docked(LossShapePanel())
    panel.set_loss("ns")
    panel.set_snapshot(_critic_snapshot())
    assert len(panel.markers.getData()[0]) == 0
    assert not panel.hist.isVisible()


def test_loss_panel_rejects_an_unknown_loss(docked):
    panel = docked(LossShapePanel())
    with pytest.raises(UnknownLoss, match="no-such-loss"):
        panel.set_loss("no-such-loss")


# -- metrics panel ------------------------------------------------------------------------------

def _keys(dim):
    return [s.key for spec in PLOTS if dim == 2 or not spec.only_2d for s in spec.series]


def _drawn(panel, key, member):
    item = panel.curves.get((key, member))
    if item is None or not item.isVisible():
        return False
    x = item.getOriginalDataset()[0]
    return x is not None and len(x) > 0


def test_metrics_curves_hold_the_history_and_are_reused(docked):
    panel = docked(MetricsPanel(), 800)
    assert panel.objectName() == "metricsPanel"
    panel.index = 1
    first = synthetic_snapshot(dim=2, m=2, seed=0)
    panel.set_snapshot(first)
    items = {key: panel.curves[(key, 1)] for key in _keys(2)}
    for key, item in items.items():
        x, y = item.getOriginalDataset()
        np.testing.assert_array_equal(x, first.history_steps)
        np.testing.assert_allclose(y, first.history[key][1])
        assert item.isVisible()
        assert not _drawn(panel, key, 0), "only member `index` is drawn"

    second = synthetic_snapshot(dim=2, m=2, seed=1, t=60)
    second = dataclasses.replace(second, history_steps=frozen(np.arange(60) * 10 + 500, np.int64))
    panel.set_snapshot(second)
    for key, item in items.items():
        assert panel.curves[(key, 1)] is item
        x, y = item.getOriginalDataset()
        np.testing.assert_array_equal(x, second.history_steps)
        np.testing.assert_allclose(y, second.history[key][1])


@pytest.mark.parametrize("key", ["d_real", "js"])
def test_metrics_leave_gaps_at_nan(docked, key):
    panel = docked(MetricsPanel(), 800)
    snap = synthetic_snapshot(t=40)
    values = np.array(snap.history[key][0], dtype=np.float64) + 0.1
    values[15:20] = np.nan
    panel.set_snapshot(_with_history(snap, key, 0, values))
    path = panel.curves[(key, 0)].curve.getPath()
    points = [path.elementAt(i) for i in range(path.elementCount())]
    assert points, "the finite parts are drawn"
    assert all(np.isfinite(p.x) and np.isfinite(p.y) for p in points)
    assert sum(p.isMoveTo() for p in points) >= 2, "the line breaks at the NaN run instead of bridging it"


def test_modes_plot_only_in_2d_with_k_as_ceiling(docked):
    panel = docked(MetricsPanel(), 800)
    panel.set_snapshot(synthetic_snapshot(dim=1))
    assert not panel.plots["modes"].isVisible()
    assert panel.plots["losses"].isVisible()
    snap = synthetic_snapshot(dim=2)
    panel.set_snapshot(snap)
    assert panel.plots["modes"].isVisible()
    assert panel.mode_ceiling.value() == len(snap.means)
    panel.set_snapshot(synthetic_snapshot(dim=1))
    assert not panel.plots["modes"].isVisible()


def test_a_metric_that_is_nan_throughout_hides_its_plot(docked):
    panel = docked(MetricsPanel(), 800)
    snap = synthetic_snapshot(dim=2, t=30)
    panel.set_snapshot(_with_history(snap, "hq_frac", 0, np.full(30, np.nan)))
    assert not panel.plots["hq_frac"].isVisible()
    panel.set_snapshot(snap)
    assert panel.plots["hq_frac"].isVisible()


def test_show_all_draws_every_member_in_its_series_colour(docked):
    panel = docked(MetricsPanel(), 800)
    snap = synthetic_snapshot(dim=2, m=3)
    panel.set_snapshot(snap)
    assert sum(_drawn(panel, "js", m) for m in range(3)) == 1
    panel.show_all = True
    colours = set()
    for m in range(3):
        assert _drawn(panel, "js", m)
        item = panel.curves[("js", m)]
        np.testing.assert_allclose(item.getOriginalDataset()[1], snap.history["js"][m])
        assert item.opts["pen"].color().name().lower() == LIGHT.series(m).lower()
        colours.add(item.opts["pen"].color().name())
    assert len(colours) == 3
    assert panel.member_legend.isVisible()
    for label in snap.labels:
        assert label in panel.member_legend.text
    panel.show_all = False
    assert sum(_drawn(panel, "js", m) for m in range(3)) == 1


def test_critic_scores_drop_the_equilibrium_line(docked):
    panel = docked(MetricsPanel(), 800)
    panel.set_snapshot(synthetic_snapshot())
    assert panel.equilibrium.isVisible()
    panel.set_snapshot(_critic_snapshot())
    assert not panel.equilibrium.isVisible()


# -- info panel ---------------------------------------------------------------------------------

@pytest.mark.parametrize("loss_id", list(LOSSES))
def test_info_panel_typesets_the_registry_entry(docked, loss_id):
    panel = docked(InfoPanel())
    assert panel.objectName() == "infoPanel"
    panel.set_loss(loss_id)
    loss = LOSSES[loss_id]
    text = panel.plain_text()
    assert loss.name in text
    assert loss.reference in text
    greek = {"lambda", "sigma", "chi", "grad"}
    # The two claims at D* each come with the words that say which claim it is, value first.
    assert text.index("value of G's loss") < text.index("G's gradient follows")
    shown = " ".join((loss.value_at_d_star, loss.gradient_follows, loss.d_formula))
    for word in re.findall(r"[A-Za-z]{4,}", shown):
        if word not in greek:
            assert word in text, word
    for raw in ("||", "_", "^", "<=", ">="):
        assert raw not in text, f"{raw!r} left untypeset"
    assert ("critic" in text) == loss.is_critic


def test_formula_html_replacements():
    assert formula_html("E_z[x]") == "E<sub>z</sub>[x]"
    assert "p<sub>data</sub>" in formula_html("KL(p_data || p_g)")
    assert "\u2016" in formula_html("KL(p_data || p_g)")
    assert "\u03c3<sup>\u22121</sup>" in formula_html("exp(sigma^-1(D))")
    assert "\u03bb" in formula_html("- lambda E[x]")
    assert "\u03c7<sup>2</sup>" in formula_html("Pearson chi^2(p)")
    assert "\u2265" in formula_html("a >= b") and "\u2264" in formula_html("a <= b")
    assert formula_html("1 - D") == "1 \u2212 D"
    assert formula_html("-log 4") == "\u2212log 4"
    assert formula_html("Jensen-Shannon, mode-seeking") == "Jensen-Shannon, mode-seeking"
    assert formula_html("a < b & c") == "a &lt; b &amp; c"


def test_info_panel_shows_the_latest_numbers(docked):
    panel = docked(InfoPanel())
    panel.set_loss("ns")
    snap = synthetic_snapshot(dim=2, m=2, step=1234)
    panel.index = 1
    panel.set_snapshot(_with_latest(snap, js=0.1234567, w1=2.5, modes=5.0, hq_frac=0.5))
    text = panel.plain_text()
    assert "JS: 0.123" in text
    assert "W1: 2.5" in text
    assert "1,234" in text
    assert f"5 / {len(snap.means)}" in text and "50%" in text
    panel.set_snapshot(_with_latest(snap, js=0.4567))
    text = panel.plain_text()
    assert "JS: 0.457" in text and "0.123" not in text


def test_info_panel_reads_member_index(docked):
    panel = docked(InfoPanel())
    snap = synthetic_snapshot(m=2)
    latest = {k: np.array(v) for k, v in snap.latest.items()}
    latest["js"][:] = [0.111, 0.222]
    panel.set_snapshot(dataclasses.replace(snap, latest={k: frozen(v) for k, v in latest.items()}))
    assert "JS: 0.111" in panel.plain_text()
    panel.index = 1
    assert "JS: 0.222" in panel.plain_text()
    assert snap.labels[1] in panel.plain_text()


def test_info_panel_modes_row_only_in_2d_and_nan_as_dash(docked):
    panel = docked(InfoPanel())
    panel.set_snapshot(_with_latest(synthetic_snapshot(dim=1), w1=np.nan))
    text = panel.plain_text()
    assert "modes" not in text
    assert "W1: \u2014" in text
    panel.set_snapshot(synthetic_snapshot(dim=2))
    assert "modes captured" in panel.plain_text()


def test_switching_loss_changes_the_text(docked):
    panel = docked(InfoPanel())
    panel.set_loss("ns")
    ns = panel.plain_text()
    panel.set_loss("wgan")
    wgan = panel.plain_text()
    assert ns != wgan
    assert LOSSES["wgan"].name in wgan and LOSSES["ns"].name not in wgan
    assert "Arjovsky et al. 2017" in wgan and "Arjovsky et al. 2017" not in ns


def test_info_panel_shows_training_switches(docked):
    panel = docked(InfoPanel())
    snap = synthetic_snapshot()
    panel.set_snapshot(snap)
    assert "optimizer" not in panel.plain_text()
    panel.set_snapshot(dataclasses.replace(snap, extra={"settings": {"k": 5, "optimizer": "rmsprop"}}))
    text = panel.plain_text()
    assert "k: 5" in text and "optimizer: rmsprop" in text


# -- all panels ---------------------------------------------------------------------------------

PANELS = [LossShapePanel, MetricsPanel, InfoPanel]


def _drive(panel, snap):
    if hasattr(panel, "set_loss"):
        panel.set_loss("minimax")
    panel.set_snapshot(snap)


@pytest.mark.parametrize("cls", PANELS)
def test_index_must_not_be_negative(docked, cls):
    panel = docked(cls())
    assert panel.index == 0
    with pytest.raises(ValueError, match="index"):
        panel.index = -1


@pytest.mark.parametrize("cls", PANELS)
@pytest.mark.parametrize("theme", [LIGHT, DARK])
def test_panels_render_something_in_both_themes(docked, cls, theme):
    panel = docked(cls(theme=DARK if theme is LIGHT else LIGHT))
    panel.set_theme(theme)
    _drive(panel, synthetic_snapshot(dim=2, m=2))
    image = panel.grab().toImage()
    corner = image.pixelColor(2, image.height() - 2).name().lower()
    assert corner == theme.background.lower()
    colours = {image.pixel(x, y) for x in range(0, image.width(), 3) for y in range(0, image.height(), 3)}
    assert len(colours) > 20, "the panel drew next to nothing"


def test_presentation_mode_thickens_lines_and_enlarges_text(docked):
    loss = docked(LossShapePanel())
    loss.set_loss("ns")
    thin = loss.curves["ns"].opts["pen"].widthF()
    loss.set_presentation(True)
    assert loss.curves["ns"].opts["pen"].widthF() > thin

    metrics = docked(MetricsPanel(), 800)
    metrics.set_snapshot(synthetic_snapshot())
    thin = metrics.curves[("js", 0)].opts["pen"].widthF()
    metrics.set_presentation(True)
    assert metrics.curves[("js", 0)].opts["pen"].widthF() > thin

    info = docked(InfoPanel())
    info.set_loss("ns")
    info.title.ensurePolished()
    small = info.title.font().pointSizeF()
    info.set_presentation(True)
    info.title.ensurePolished()
    assert info.title.font().pointSizeF() > small


def test_info_panel_follows_the_theme(docked):
    panel = docked(InfoPanel())
    panel.set_theme(DARK)
    panel.title.ensurePolished()
    assert panel.title.palette().color(QPalette.ColorRole.WindowText).name().lower() == DARK.foreground.lower()
    panel.set_theme(LIGHT)
    panel.title.ensurePolished()
    assert panel.title.palette().color(QPalette.ColorRole.WindowText).name().lower() == LIGHT.foreground.lower()


def test_metric_keys_cover_every_plotted_series():
    plotted = {s.key for spec in PLOTS for s in spec.series}
    assert plotted <= set(METRIC_KEYS)


# -- errors, bounds and infinities ------------------------------------------------------------------

def test_estimated_metrics_carry_a_band_of_one_standard_error(docked):
    panel = docked(MetricsPanel(), 900)
    snap = synthetic_snapshot(t=5)
    js = np.array([0.5, 0.4, 0.3, 0.2, 0.1])
    se = np.array([0.05, 0.04, 0.03, 0.02, 0.01])
    snap = _with_history(_with_history(snap, "js", 0, js), "js_se", 0, se)
    panel.set_snapshot(snap)
    lo, hi, band = panel.bands[("js", 0)]
    assert band.isVisible()
    # The divergence plot is logarithmic: the band's edges are drawn at log10 of value -+ error.
    np.testing.assert_allclose(lo.getData()[1], np.log10(js - se), rtol=1e-5)
    np.testing.assert_allclose(hi.getData()[1], np.log10(js + se), rtol=1e-5)
    # Metrics without an error (the losses, D's mean output) have no band.
    assert ("d_loss", 0) not in panel.bands and ("d_real", 0) not in panel.bands


def test_an_infinite_divergence_leaves_a_gap_and_says_inf(docked):
    panel = docked(MetricsPanel(), 900)
    snap = synthetic_snapshot(t=4)
    snap = _with_history(snap, "kl_data_g", 0, np.array([1.0, 2.0, np.inf, np.inf]))
    panel.set_snapshot(snap)
    y = panel.curves[("kl_data_g", 0)].yData
    assert np.all(np.isfinite(y[:2])) and np.all(np.isnan(y[2:]))
    assert "= inf" in panel.plots["divergences"].titleLabel.text


def test_info_panel_prints_errors_bounds_and_inf_with_the_missed_mass(docked):
    panel = docked(InfoPanel())
    snap = _with_latest(synthetic_snapshot(dim=2), js=0.1234, js_se=0.0041, kl_data_g=4.851, kl_data_g_lower=1.0,
                        missed=0.31, w1=0.05, w1_se=0.002)
    snap = dataclasses.replace(snap, w1_floor=0.009, notes=({"kl_data_g": "31.0% of p_data lies beyond"},))
    panel.set_snapshot(snap)
    assert panel.live["js"].text() == "0.123 \u00b1 0.0041"
    assert panel.live["kl_data_g"].text().startswith("\u2265 4.85") and "31% of p<sub>data</sub> missed" in \
        panel.live["kl_data_g"].text()
    assert "sliced W" in panel._live_names["w1"].text()
    assert "perfect G reads 0.009" in panel.live["w1"].toolTip()
    assert "31.0% of p_data lies beyond" in panel.live["kl_data_g"].toolTip()
    panel.set_snapshot(_with_latest(snap, kl_data_g=np.inf, kl_data_g_lower=0.0))
    assert panel.live["kl_data_g"].text().startswith("inf")


@pytest.mark.parametrize("height", [60, 100, 200, 600])
@pytest.mark.parametrize("decades", [(-1.2, -0.4), (-1.0, 0.5), (-2.0, 1.0), (-0.2, 0.7)])
def test_log_axis_labels_clear_each_other_on_a_short_chart(docked, height, decades):
    # Within a decade or two pyqtgraph labels every 2..9 times a power of ten however short the axis: on the
    # metrics panel's divergence chart, 100 px high in a 1280 x 800 window, they piled into one smudge.
    from ganviz.ui.plotting import LogAxis
    axis = LogAxis("left")
    lo, hi = decades
    axis.setLogMode(False, True)
    values = sorted({round(v, 9) for _, level in axis.tickValues(lo, hi, height) for v in level})
    rows = [v for v in values if lo <= v <= hi]
    height_px = QtGui.QFontMetricsF(axis.style.get("tickFont") or QtGui.QFont()).height()
    gaps = np.diff(rows) * height / (hi - lo)
    assert rows, "some label is left"
    assert gaps.size == 0 or gaps.min() >= height_px, (rows, gaps)
    if height >= 200 and hi - lo <= 1.5:
        assert len(rows) >= 3      # room for more than the powers of ten: they are there


def test_log_axis_within_half_a_decade_labels_halves_to_two_digits(docked):
    # The Dirac-GAN's distance chart spans 1.3 to 3 (log 0.107 to 0.477, 327 px): the whole numbers leave
    # "2" alone; halves give it 1.5, 2 and 2.5, written as such (pyqtgraph's one digit reads 1.5 as "2").
    from ganviz.ui.plotting import LogAxis
    axis = LogAxis("left")
    axis.setLogMode(False, True)
    (level,) = axis.tickValues(0.107, 0.4767, 327.0)
    values = level[1]
    assert axis.tickStrings(values, 1.0, 0.1) == ["1.5", "2", "2.5"]
    # a short axis over the same range keeps to what fits
    (short,) = axis.tickValues(0.107, 0.4767, 60.0)
    height = QtGui.QFontMetricsF(axis.style.get("tickFont") or QtGui.QFont()).height()
    assert len(short[1]) <= 2 and np.all(np.diff(short[1]) * 60.0 / 0.3697 >= height)
