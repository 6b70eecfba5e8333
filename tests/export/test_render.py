"""The export renderer: exact frame counts and sizes, determinism, cancel and errors that leave nothing behind."""
from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

import os
import time

import av
from PySide6 import QtCore
import numpy as np
import pytest
from PIL import Image, ImageSequence

from ganviz.core import scenario as S
from ganviz.core.games import INTEGRATORS
from ganviz.export import producer, writers
from ganviz.engine.lab import Lab
from ganviz.export.captions import claim_text, snapshot_captions
from ganviz.export.game import GameSpec
from ganviz.export.job import Cancelled, ExportJob, export
from ganviz.export.options import VIEWS, OptionError
from ganviz.export.renderer import Renderer
from ganviz.export.writers import ExportError
from tests.export.fakes import FillingFile
from tests.ui.synth import synthetic_snapshot

SMALL = ["model.g_width=32", "model.d_width=32", 'device="cpu"']
SIZE = (320, 240)


def small(name: str = "ring8", *extra: str) -> S.Scenario:
    return S.apply_overrides(S.load(name), SMALL + list(extra))


def mp4_frames(path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        return [f.to_ndarray(format="rgb24") for f in container.decode(stream)]


def gif_frames(path) -> list[np.ndarray]:
    with Image.open(path) as im:
        assert im.info.get("loop") == 0  # loops forever
        return [np.array(f.convert("RGB")) for f in ImageSequence.Iterator(im)]


def leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_mp4_decodes_to_exactly_the_requested_frames_and_size(tmp_path):
    out = export(small(), tmp_path / "ring.mp4", frames=6, size=SIZE, steps_per_frame=2)
    frames = mp4_frames(out)
    assert len(frames) == 6
    assert all(f.shape == (240, 320, 3) for f in frames)
    # Training moves the fakes: the clip is not one picture repeated.
    assert not np.array_equal(frames[0], frames[-1])


def test_gif_decodes_to_exactly_the_requested_frames_and_an_odd_size(tmp_path):
    out = export(small("goodfellow-fig1"), tmp_path / "fig1.gif", frames=5, size=(321, 241), steps_per_frame=2)
    frames = gif_frames(out)
    assert len(frames) == 5
    assert all(f.shape == (241, 321, 3) for f in frames)


def test_two_exports_of_a_scenario_give_identical_frames(tmp_path):
    a = mp4_frames(export(small(), tmp_path / "a.mp4", frames=4, size=SIZE, steps_per_frame=3))
    b = mp4_frames(export(small(), tmp_path / "b.mp4", frames=4, size=SIZE, steps_per_frame=3))
    assert len(a) == len(b) == 4
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def test_training_in_a_child_process_gives_the_same_frames_as_on_a_thread(tmp_path):
    common = dict(frames=4, size=SIZE, steps_per_frame=3)
    a = export(small(), tmp_path / "thread.gif", trainer="thread", **common)
    b = export(small(), tmp_path / "process.gif", trainer="process", **common)
    assert a.read_bytes() == b.read_bytes()


def test_cancel_midway_raises_and_leaves_no_file(tmp_path):
    seen = []
    with pytest.raises(Cancelled):
        export(small(), tmp_path / "c.mp4", frames=40, size=SIZE, steps_per_frame=1,
               progress=lambda done, total: seen.append(done), cancel=lambda: bool(seen) and seen[-1] >= 2)
    assert seen[-1] >= 2
    assert leftovers(tmp_path) == []


def test_an_unwritable_path_fails_before_anything_is_trained(tmp_path, monkeypatch):
    built = []
    monkeypatch.setattr(producer, "Lab", lambda *a, **k: built.append(a))
    with pytest.raises(ExportError, match="folder does not exist"):
        export(small(), tmp_path / "missing" / "x.mp4", frames=3, size=SIZE)
    with pytest.raises(ExportError, match="even width and height"):
        export(small(), tmp_path / "odd.mp4", frames=3, size=(321, 240))
    with pytest.raises(ExportError, match="Unsupported output format"):
        export(small(), tmp_path / "x.avi", frames=3, size=SIZE)
    with pytest.raises(OptionError, match="frames"):
        export(small(), tmp_path / "x.gif", frames=0, size=SIZE)
    assert built == []
    assert leftovers(tmp_path) == []


def test_a_full_disk_during_the_export_stops_it_with_a_clear_message_and_no_file(tmp_path, monkeypatch):
    monkeypatch.setattr(writers, "_open_binary", lambda path: FillingFile(15_000))  # a few frames fit
    with pytest.raises(ExportError, match="the disk is full; nothing was written"):
        export(small(), tmp_path / "full.gif", frames=12, size=SIZE, steps_per_frame=1)
    assert leftovers(tmp_path) == []


def test_a_run_that_diverges_stops_with_a_clear_message_and_no_file(tmp_path):
    sc = small("ring8", "model.latent_dim=2", "model.d_layers=2", 'train.optimizer="sgd"', 'train.loss="wgan"', "train.clip=0.0",
               "train.lr_d=1.0", "train.lr_g=1.0", "train.k=50")
    with pytest.raises(ExportError, match=r"diverged at step \d+.*nothing was written"):
        export(sc, tmp_path / "boom.gif", frames=6, size=SIZE, steps_per_frame=2)
    assert leftovers(tmp_path) == []


def test_png_sequence_until_a_step_ends_on_that_step_and_a_png_still_is_its_last_frame(tmp_path):
    # until_step=5 at 2 steps per frame: frames at steps 0, 2, 4 and 5.
    folder = export(small(), tmp_path / "frames", until_step=5, size=SIZE, steps_per_frame=2)
    names = leftovers(folder)
    assert names == [f"frame_{i:05d}.png" for i in range(4)]
    last = np.array(Image.open(folder / names[-1]).convert("RGB"))
    assert last.shape == (240, 320, 3)

    still = export(small(), tmp_path / "still.png", until_step=5, size=SIZE, steps_per_frame=2)
    with Image.open(still) as im:
        assert im.format == "PNG" and im.size == SIZE
        np.testing.assert_array_equal(np.array(im.convert("RGB")), last)


def test_svg_still_is_a_valid_drawing_of_the_requested_size(tmp_path):
    from PySide6.QtSvg import QSvgRenderer

    out = export(small(), tmp_path / "ring.svg", until_step=4, size=SIZE, steps_per_frame=2)
    root = ET.parse(out).getroot()
    assert root.tag.endswith("svg")
    assert root.get("viewBox") == "0 0 320 240"
    texts = "".join(root.itertext())
    assert "step 4" in texts  # the caption, as text
    assert QSvgRenderer(str(out)).isValid()


def test_a_still_cannot_have_several_frames(tmp_path):
    with pytest.raises(OptionError, match="holds one still"):
        ExportJob(small(), tmp_path / "x.png", frames=3, size=SIZE)
    assert leftovers(tmp_path) == []


def test_captions_are_drawn_in_the_strip_across_the_top():
    snap = synthetic_snapshot(dim=2, step=100)
    later = synthetic_snapshot(dim=2, step=2_500)
    with Renderer("2d", SIZE, captions=True, title="Ring of 8") as r:
        bar = r.caption.height()
        r.show(snap)
        a = r.frame()
        r.show(later)
        b = r.frame()
    with Renderer("2d", SIZE, captions=False) as plain:
        plain.show(snap)
        c = plain.frame()
    assert a.shape == b.shape == c.shape == (240, 320, 3)
    # The step counter changes the strip; without captions the strip is plot background, not text.
    assert not np.array_equal(a[:bar], b[:bar])
    strip = a[: bar - 1]
    assert len(np.unique(strip.reshape(-1, 3), axis=0)) > 10  # antialiased text on the band
    assert not np.array_equal(a[: bar - 1], c[: bar - 1])


def test_a_lessons_claims_are_printed_under_the_caption_in_at_most_three_lines():
    from PySide6 import QtWidgets
    sc = S.load("ring8")
    text = claim_text(sc.claims)
    assert sc.claims[0].text.rstrip(".") in text and sc.claims[1].text.rstrip(".") in text
    with Renderer("2d", (560, 350), title=sc.name, claim=text) as r:
        line = r.root.findChild(QtWidgets.QWidget, "exportClaimLine")
        assert line is not None and 1 <= len(line.lines) <= 2
        shown = " ".join(line.lines)
        assert shown.startswith(sc.claims[0].text.split()[0]) and len(shown) >= 0.8 * len(text)
        r.show(synthetic_snapshot(dim=2, step=10))
        assert r.frame().shape == (350, 560, 3)
    for captions in (False, ("title", "step")):        # switched off: no claim line
        with Renderer("2d", (560, 350), captions=captions, claim=text) as r:
            assert r.root.findChild(QtWidgets.QWidget, "exportClaimLine") is None
    with Renderer("2d", (560, 350), claim="") as r:      # a scenario without claims
        assert r.root.findChild(QtWidgets.QWidget, "exportClaimLine") is None


@pytest.mark.parametrize("name", ["dirac-gan", "bilinear-methods", "saturating-vs-nonsaturating"])
def test_claims_that_do_not_all_fit_are_shown_whole_with_a_count_of_the_rest(name):
    # Two lines cut the Dirac-GAN's third claim mid-word at 560 x 350 ("... after 400 step…"): a lecture
    # slide then said half of what the lesson claims.
    from PySide6 import QtWidgets
    sc = S.load(name)
    claims = [c.text.rstrip(".") for c in sc.claims]
    with Renderer("game" if sc.view == "game" else "compare", (560, 350), title=sc.name,
                  claim=claim_text(sc.claims)) as r:
        line = r.root.findChild(QtWidgets.QWidget, "exportClaimLine")
        shown = " ".join(line.lines)
        assert 1 <= len(line.lines) <= 3 and 1 <= line.shown_claims <= len(claims)
        for c in claims[:line.shown_claims]:
            assert " ".join(c.split()) in shown                  # every claim shown is whole
        rest = len(claims) - line.shown_claims
        assert shown.endswith(f"\u2026 ({rest} more)") if rest else "\u2026" not in shown
    if name == "dirac-gan":
        assert line.shown_claims == len(claims) == 3


def test_every_view_renders_at_the_requested_size():
    snap = synthetic_snapshot(dim=2, m=2, step=50)
    for view in [v for v in VIEWS if v not in ("1d", "game")]:
        with Renderer(view, (480, 320), dim=2) as r:
            r.show(snap)
            frame = r.frame()
        assert frame.shape == (320, 480, 3), view
        assert frame.std() > 0, view  # something is drawn


def test_the_lab_view_of_a_run_of_several_gans_draws_the_gan_asked_for_and_names_it():
    with Renderer("lab+loss", SIZE, gan=1) as r:
        assert (r.lab_view.index, r.loss_panel.index) == (1, 1)
    snap = Lab(small("k1-vs-k5")).snapshot()
    assert snapshot_captions(snap)["k"] == "k = 1 / 5"                  # the Compare view: every GAN's
    one = snapshot_captions(snap, 1)
    assert one["k"] == "k = 5" and one["loss"] == "k = 5 \u00b7 loss: Non-saturating"
    # Labels that are the loss's own id are not repeated.
    assert snapshot_captions(Lab(small("compare-losses-ring8")).snapshot(), 4)["loss"] == "loss: WGAN-GP"


def test_an_export_computes_the_shown_gans_parts_alone_and_draws_the_same_picture(tmp_path, monkeypatch):
    def still(name: str, gan) -> np.ndarray:
        out = export(small("k1-vs-k5"), tmp_path / f"{name}.png", view="lab+loss", gan=gan, until_step=4,
                     size=SIZE, steps_per_frame=2)
        return np.array(Image.open(out).convert("RGB"))

    second = still("alone", "k = 5")
    assert not np.array_equal(still("first", 0), second)
    monkeypatch.setattr(producer, "PER_GAN_PARTS", ())                  # every GAN's parts
    assert np.array_equal(still("all", 1), second)


@pytest.mark.parametrize("kwargs,phrase", [
    (dict(view="compare", gan=0), "the compare view draws every GAN"),
    (dict(view="metrics", gan="k = 1"), "the metrics view draws every GAN"),
    (dict(view="lab", gan=2), "index from 0 to 1"),
    (dict(view="lab", gan=True), "index from 0 to 1"),
    (dict(view="lab", gan="k = 2"), "no GAN is labelled 'k = 2'; this run's GANs are 'k = 1', 'k = 5'"),
])
def test_a_gan_the_view_cannot_draw_is_refused_naming_gan(tmp_path, kwargs, phrase):
    with pytest.raises(OptionError, match="^gan: ") as e:
        ExportJob(small("k1-vs-k5"), tmp_path / "x.png", size=SIZE, **kwargs)
    assert phrase in str(e.value)
    assert leftovers(tmp_path) == []


def test_a_label_two_gans_share_is_refused_with_their_positions(tmp_path):
    sc = dataclasses.replace(small("k1-vs-k5"), panels=[{"loss": "ns"}, {"loss": "ns", "k": 5}], claims=())
    with pytest.raises(OptionError, match="'ns' labels more than one GAN \\(the 1st and the 2nd\\)"):
        ExportJob(sc, tmp_path / "x.png", view="lab", gan="ns", size=SIZE)
    assert ExportJob(sc, tmp_path / "x.png", view="lab", gan=1, size=SIZE).gan == 1


def test_a_game_scenario_animates_its_trajectories(tmp_path):
    sc = S.from_dict({"name": "Dirac-GAN", "view": "game",
                      "game": {"game": "dirac", "loss": "ns", "reg": "r1", "methods": ["sim_gda", "alt_gda"],
                               "lr": 0.1, "steps": 40, "start": [1.0, 0.5]}})
    out = export(sc, tmp_path / "game.gif", frames=3, size=(640, 480), steps_per_frame=20)
    frames = gif_frames(out)
    assert len(frames) == 3
    assert not np.array_equal(frames[1], frames[2])
    # The schema's range, where the value enters: a scenario refuses it, and so does an export's game table.
    with pytest.raises(S.ScenarioError, match=r"game\.lr: must be a number in \[0.001, 2\]"):
        S.from_dict({"view": "game", "game": {"lr": 50}})
    with pytest.raises(OptionError, match="game.lr"):
        GameSpec.from_table({"lr": 50})


def _rect_in_frame(root, item):
    import pyqtgraph as pg
    from PySide6 import QtCore

    for view in root.findChildren(pg.GraphicsView):
        if item.scene() is view.scene():
            rect = view.mapFromScene(item.sceneBoundingRect()).boundingRect()
            return rect.translated(view.mapTo(root, QtCore.QPoint(0, 0)))
    raise AssertionError(f"{item} is not drawn in the frame")


def test_a_small_2d_export_gives_the_plot_the_frame_and_keeps_the_legend_compact():
    # A lecturer's 560x350 clip: the square plot takes most of the height, the legend a narrow column.
    width, height = 560, 350
    with Renderer("2d", (width, height), dim=2) as r:
        r.show(synthetic_snapshot(dim=2, step=200))
        r.frame()
        view = r.lab_view
        plot = _rect_in_frame(r.root, view.plot.vb)
        legend = _rect_in_frame(r.root, view.legend)
    assert plot.height() >= 0.6 * height, plot
    assert abs(plot.width() - plot.height()) <= 2, plot
    assert legend.width() <= 0.3 * width, legend
    assert not legend.intersects(plot), (legend, plot)
    assert 0 <= plot.left() and plot.bottom() <= height and legend.right() <= width


def test_a_small_compare_export_keeps_its_modes_chart_tall_enough_to_read():
    width, height = 560, 350
    with Renderer("compare", (width, height), dim=2) as r:
        r.show(synthetic_snapshot(dim=2, m=2, step=200))
        r.frame()
        compare = r.panels[0]
        chart = _rect_in_frame(r.root, compare.modes_chart.vb)
        label = compare.modes_chart.getAxis("left").label
        # The rotated axis label fits the chart's height, so it is not cut.
        assert label.boundingRect().width() <= compare.modes_chart.getAxis("left").height()
    assert chart.height() >= 0.2 * height, chart


def _bilinear_spec(methods: list[str]) -> GameSpec:
    return GameSpec.from_table({"game": "bilinear", "methods": methods, "lr": 0.1, "steps": 300})


ALL_SIX = ["flow", "sim_gda", "alt_gda", "extragradient", "optimistic", "consensus"]


def test_a_small_game_export_moves_the_legend_beside_the_field_and_drops_the_text():
    # At 560x350 the legend under the field took half its height and the verdicts scrolled.
    width, height = 560, 350
    with Renderer("game", (width, height), game=_bilinear_spec(ALL_SIX)) as r:
        r.show(300)
        r.frame()
        view = r.game_view
        field = _rect_in_frame(r.root, view.field_plot.getPlotItem().vb)
        legend = _rect_in_frame(r.root, view._host_legend)
        distance = _rect_in_frame(r.root, view.dist_plot.getPlotItem().vb)
        label = view.dist_plot.getPlotItem().getAxis("left").label
        assert [lab.text for _, lab in view._host_legend.items] == [INTEGRATORS[m].short for m in ALL_SIX]
        assert not view.legend.items                     # the legend under the field is empty
        assert not view._text_scroll.isVisible()
        # the distance axis's rotated label fits its height
        assert label.boundingRect().width() <= view.dist_plot.getPlotItem().getAxis("left").height()
    assert field.height() >= 0.55 * height, field
    assert not legend.intersects(field) and not legend.intersects(distance), (legend, field, distance)
    assert legend.right() <= width and legend.bottom() <= height, legend


def test_a_large_game_export_fits_the_verdicts_without_a_scroll_bar():
    with Renderer("game", (1280, 720), game=_bilinear_spec(ALL_SIX)) as r:
        r.show(300)
        r.frame()
        view = r.game_view
        scroll = view._text_scroll
        assert scroll.isVisible() and not scroll.verticalScrollBar().isVisible()
        content = scroll.widget()
        # the whole text is inside the visible part of the scroll area
        assert content.heightForWidth(scroll.viewport().width()) <= scroll.viewport().height() + 4
        assert len(view.legend.items) == 6 and not view._host_legend.items


def test_a_compare_export_has_no_toolbar_and_whole_panel_titles_at_560x350():
    from ganviz.ui.compare_view import caption_text

    with Renderer("compare", (560, 350), dim=2) as r:
        snap = synthetic_snapshot(dim=2, m=6, step=200)
        r.show(snap)
        r.frame()
        compare = r.panels[0]
        toolbar = (compare.add_button, compare.add_combo, compare.trails_check, compare.heat_check,
                   compare.step_label)
        assert not any(w.isVisible() for w in toolbar)
        for p in compare.panels:
            fm = p.title.fontMetrics()
            assert fm.horizontalAdvance(p.title.text()) <= p.title.width(), p.title.text()
            assert not p.subtitle.isVisible()
            # the caption's text fits its label: nothing is cut at either side
            assert p.caption.fontMetrics().horizontalAdvance(p.caption.text()) <= p.caption.width()
            assert "rev-KL" not in p.caption.text()
    assert "rev-KL" in caption_text(3, 8, 0.5, 0.2, False) and "rev-KL" not in caption_text(3, 8, 0.5, 0.2, False, True)


def test_a_metrics_export_fits_its_plots_without_a_scroll_bar_or_a_cut():
    # At 960x540 the seven charts cannot all be read: those that fit are drawn whole, the rest left out.
    with Renderer("lab+metrics", (960, 540), dim=2) as r:
        r.show(synthetic_snapshot(dim=2, step=300))
        r.frame()
        panel = r.metrics_panel
        assert not panel._scroll.verticalScrollBar().isVisible()
        shown = [p for p in panel.plots.values() if p.isVisible()]
        assert 2 <= len(shown) < len(panel.plots)
        bottom = max(_rect_in_frame(r.root, p).bottom() for p in shown)
        assert bottom <= 540, bottom
        # the lowest chart keeps its step axis
        assert shown[-1].getAxis("bottom").isVisible()


def test_a_game_frame_does_not_depend_on_the_clock():
    # The field was re-sampled by a 60 ms timer after the view's range settled: whether it had
    # fired before a frame was grabbed decided which arrows the frame showed.
    frames = []
    for delay in (0.0, 0.2):
        with Renderer("game", (560, 350), game=_bilinear_spec(["sim_gda"])) as r:
            end = time.perf_counter() + delay
            while time.perf_counter() < end:          # events handled for a while, or not at all
                QtCore.QCoreApplication.processEvents()
            r.show(0)
            frames.append(r.frame())
    assert np.array_equal(frames[0], frames[1])


def test_an_export_from_an_unguarded_script_does_not_run_the_script_again(tmp_path):
    # The export dialog's training child is spawned; spawn re-runs an unguarded main script
    # (a lecturer's own, say) in the child unless the main module is hidden from it.
    import subprocess
    import sys
    import textwrap

    runs = tmp_path / "runs.txt"
    script = tmp_path / "lecture.py"
    script.write_text(textwrap.dedent(f"""
        import os
        with open({str(runs)!r}, "a") as f:
            f.write(str(os.getpid()) + "\\n")
        from ganviz.export.offscreen import ensure_app
        ensure_app()                              # a QApplication: the child is spawned, not forked
        from ganviz.core import scenario as S
        from ganviz.export.job import export
        sc = S.apply_overrides(S.load("ring8"), ["model.g_width=8", "model.d_width=8"])
        export(sc, {str(tmp_path / 'x.gif')!r}, frames=3, size=(160, 120), trainer="process")
    """))
    p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "x.gif").exists()
    assert len(runs.read_text().split()) == 1
