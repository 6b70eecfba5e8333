"""The Step inspector for a scenario that trains networks: the summary of the last D and G step that the session
keeps while the tab is shown, with the snapshot's numbers, updated by the toolbar's Step D and Step G."""
from __future__ import annotations

import pytest

from ganviz.core import scenario as S
from ganviz.core.step_summary import fmt
from ganviz.engine.lab import Lab
from ganviz.ui.inspector_panel import InspectorPanel
from ganviz.ui.theme import DARK

SMALL = ["model.g_width=16", "model.d_width=16", "train.batch_size=32"]


def small(name: str = "ring8") -> S.Scenario:
    return S.apply_overrides(S.load(name), SMALL)


def lab_snapshot(name: str = "ring8", steps: int = 3):
    lab = Lab(small(name))
    lab.set_parts(lab.parts | {"step_summary"})
    lab.train(steps)
    return lab.snapshot()


def cells(panel: InspectorPanel) -> str:
    return " ".join(panel.text.toPlainText().split())


def test_the_panel_shows_the_numbers_of_the_snapshot(shown):
    snap = lab_snapshot()
    panel = shown(InspectorPanel(), 1280, 900)
    panel.show_training("Ring of 8")
    panel.set_snapshot(snap)
    text = cells(panel)
    for player in ("D", "G"):
        s = snap.step_summary[0][player]
        for r in s["layers"]:
            assert f"{r['name']} {fmt(r['grad'])} {fmt(r['update'])} {fmt(r['norm'])} {fmt(r['rel'])}" in text
        assert f"{fmt(s['fake']['mean'])} " in text
    d = snap.step_summary[0]["D"]
    assert f"= {fmt(d['value'])}" in text and f"= {fmt(d['d_loss'])}" in text
    assert "D step in iteration 3" in text and "G step in iteration 3" in text
    assert not panel.step_d_button.isVisible()          # the toolbar's Step D and Step G drive a training run


def test_a_snapshot_without_a_summary_says_how_to_get_one(shown):
    lab = Lab(small())
    lab.train(2)
    panel = shown(InspectorPanel(), 900, 600)
    panel.show_training("Ring of 8")
    panel.set_snapshot(lab.snapshot())
    assert "No step has been taken since the inspector opened" in panel.text.toPlainText()


def test_every_gan_of_a_compare_run_has_its_section(shown):
    snap = lab_snapshot("k1-vs-k5", 2)
    panel = shown(InspectorPanel(), 1280, 900)
    panel.show_training("k1 vs k5")
    panel.set_snapshot(snap)
    text = panel.text.toPlainText()
    assert "k = 1" in text and "k = 5" in text and "D step 5 of 5 in iteration 2" in text


def test_nothing_is_clipped_in_either_theme_or_in_presentation_mode(shown):
    snap = lab_snapshot()
    panel = shown(InspectorPanel(), 1280, 800)
    panel.show_training("Ring of 8: mode collapse")
    panel.set_snapshot(snap)
    for theme, presentation in ((DARK, False), (DARK, True)):
        panel.set_theme(theme)
        panel.set_presentation(presentation)
        assert panel.text.horizontalScrollBar().maximum() == 0


def test_an_exercise_after_a_training_run_gets_its_term_by_term_view_back(shown):
    panel = shown(InspectorPanel(), 900, 700)
    panel.show_training("Ring of 8")
    panel.load(S.load("kcl-q3-one-step").exercise)
    assert not panel.training and panel.step_d_button.isVisible()
    assert "\u22122.5465" in panel.text.toPlainText()


def test_the_window_keeps_the_summary_while_the_tab_shows_and_step_d_updates_it(qtbot, main_window):
    w = main_window(small())
    lab = w.session.lab
    w.session.step(3)
    qtbot.waitUntil(lambda: w.session.latest() is not None and w.session.latest().step == 3, timeout=20000)
    assert not lab.trainer.inspect                      # nobody looks: nothing is kept
    w.tabs.setCurrentWidget(w.inspector)
    qtbot.waitUntil(lambda: lab.trainer.inspect, timeout=5000)
    w.step_d_action.trigger()
    qtbot.waitUntil(lambda: bool(w.session.latest().step_summary)
                    and w.session.latest().step_summary[0]["D"] is not None, timeout=10000)
    snap = w.session.latest()
    d = snap.step_summary[0]["D"]
    assert d["index"] == 0 and d["step"] == 3 and snap.step_summary[0]["G"] is None
    qtbot.waitUntil(lambda: f"{fmt(d['layers'][0]['grad'])}" in w.inspector.text.toPlainText(), timeout=5000)
    assert "D step taken alone after iteration 3" in w.inspector.text.toPlainText()
    w.step_g_action.trigger()
    qtbot.waitUntil(lambda: w.session.latest().step_summary[0]["G"] is not None, timeout=10000)
    g = w.session.latest().step_summary[0]["G"]
    qtbot.waitUntil(lambda: f"{fmt(g['update_total'])}" in cells(w.inspector), timeout=5000)
    assert "G step taken alone after iteration 3" in w.inspector.history.toPlainText()
    w.tabs.setCurrentWidget(w.lab_stack)
    qtbot.waitUntil(lambda: not lab.trainer.inspect, timeout=5000)
    w.session.step(1)
    qtbot.waitUntil(lambda: w.session.latest().step == 4, timeout=10000)
    assert w.session.latest().step_summary == ()


def test_a_recorded_and_saved_moment_keeps_its_summary(tmp_path, shown):
    from ganviz.engine.recording import Recording

    snap = lab_snapshot(steps=2)
    rec = Recording(small())
    rec.add(snap)
    rec.save(tmp_path / "run.ganviz")
    back = Recording.load(tmp_path / "run.ganviz").snapshot(0)
    for player in ("D", "G"):
        mine, theirs = back.step_summary[0][player], snap.step_summary[0][player]
        assert [r["name"] for r in mine["layers"]] == [r["name"] for r in theirs["layers"]]
        assert [r["update"] for r in mine["layers"]] == pytest.approx([r["update"] for r in theirs["layers"]])
        assert mine["fake"]["quantiles"] == pytest.approx(theirs["fake"]["quantiles"])
    panel = shown(InspectorPanel(), 1280, 900)
    panel.show_training("Ring of 8")
    panel.set_snapshot(back)
    assert fmt(snap.step_summary[0]["D"]["value"]) in panel.text.toPlainText()
