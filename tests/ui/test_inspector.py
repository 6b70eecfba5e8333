"""The step inspector, driven as a lecturer drives it: open the sheet's exercise, read, press Step D and Step G."""
from __future__ import annotations


import pytest
from PySide6.QtCore import Qt

from ganviz.core import scenario as S
from ganviz.ui.inspector_panel import InspectorPanel
from ganviz.ui.theme import DARK
from tests.sheet import sheet_q3_by_hand


def four(x: float) -> str:
    return f"{x:.4f}".replace("-", "\u2212")


@pytest.fixture
def inspector(shown):
    panel = InspectorPanel()
    panel.load(S.load("kcl-q3-one-step").exercise)
    return shown(panel, 900, 800)


def test_the_panel_shows_the_step_about_to_run_with_the_sheets_numbers(inspector):
    v, _, new = sheet_q3_by_hand()
    text = inspector.text.toPlainText()
    assert "About to run: step 1, D step 1 of 1" in text
    assert f"= {four(v)}" in text and four(v) == "\u22122.5465"
    assert f"= {four(new[0])}" in text and f"= {four(new[1])}" in text


def test_step_d_and_step_g_advance_one_step_each_and_reset_goes_back(qtbot, inspector):
    v, _, new = sheet_q3_by_hand()
    qtbot.mouseClick(inspector.step_d_button, Qt.LeftButton)
    assert inspector.exercise.theta.tolist() == pytest.approx(new, abs=1e-12)
    assert "G step" in inspector.text.toPlainText()           # next: G's step (k = 1)
    assert f"V = {four(v)}" in inspector.history.toPlainText()
    fakes = inspector.exercise.fake.copy()
    qtbot.mouseClick(inspector.step_g_button, Qt.LeftButton)
    assert (inspector.exercise.fake != fakes).any()
    assert inspector.exercise.theta.tolist() == pytest.approx(new, abs=1e-12)   # G's step leaves D
    assert "step 2, D step 1 of 1" in inspector.text.toPlainText()
    assert len(inspector.history.toPlainText().splitlines()) == 2
    qtbot.mouseClick(inspector.reset_button, Qt.LeftButton)
    assert inspector.exercise.theta.tolist() == [0.1, 0.2] and "None yet" in inspector.history.toPlainText()


def test_nothing_is_clipped_in_either_theme_or_in_presentation_mode(inspector):
    for theme, presentation in ((DARK, False), (DARK, True)):
        inspector.set_theme(theme)
        inspector.set_presentation(presentation)
        inspector.step("D")
        # the report wraps to the panel's width: no horizontal scrolling, every line readable
        assert inspector.text.horizontalScrollBar().maximum() == 0


def test_the_main_window_opens_an_exercise_in_the_inspector(main_window):
    w = main_window(S.load("ring8"))
    assert w.open_scenario("kcl-q3-one-step")
    assert w.tabs.currentWidget() is w.inspector
    assert not w.controls_dock.isVisible()            # the lab's docks give the inspector the room
    assert "\u22122.5465" in w.inspector.text.toPlainText()
