"""The timeline bar: steps from the mouse, markers with their text, the buttons' states."""
from __future__ import annotations

from PySide6 import QtCore
from PySide6.QtCore import Qt

from ganviz.engine.recording import Event
from ganviz.ui.timeline import Timeline


def make(shown):
    t = shown(Timeline(), 900, 40, exposed=True)
    t.set_state(None, 4000, 0, 400, 50 * 1024**2)
    return t


def test_dragging_the_bar_asks_for_the_steps_under_the_mouse(shown, qtbot):
    t = make(shown)
    bar = t.bar
    asked = []
    t.scrubbed.connect(asked.append)
    y = bar.height() // 2
    qtbot.mousePress(bar, Qt.MouseButton.LeftButton, pos=QtCore.QPoint(int(bar.x_of(1000)), y))
    qtbot.mouseMove(bar, pos=QtCore.QPoint(int(bar.x_of(3000)), y))
    qtbot.mouseRelease(bar, Qt.MouseButton.LeftButton, pos=QtCore.QPoint(int(bar.x_of(3000)), y))
    assert len(asked) >= 2
    assert abs(asked[0] - 1000) <= 4000 / bar.width() * 2
    assert abs(asked[-1] - 3000) <= 4000 / bar.width() * 2
    # beyond the ends: the first and the last recorded step
    assert bar.step_at(-50) == 0 and bar.step_at(bar.width() + 50) == 4000


def test_markers_carry_their_text_and_the_buttons_follow_the_position(shown):
    t = make(shown)
    t.bar.set_events([Event(2000, "mode", "a mode lost: G holds 3 (was 4)"), Event(2100, "bookmark", "here")])
    assert t.bar.event_near(t.bar.x_of(2000)).text.startswith("a mode lost")
    assert t.bar.event_near(t.bar.x_of(3000)) is None
    assert not t.buttons["live"].isEnabled() and not t.buttons["continue"].isEnabled()
    assert "live" in t.label.text()
    t.set_state(1500, 4000, 0, 400, 50 * 1024**2, thinned=12)
    assert t.buttons["live"].isEnabled() and t.buttons["continue"].isEnabled()
    assert "step 1,500" in t.label.text() and "thinned" in t.label.toolTip()


def test_the_bar_draws_the_clip_and_the_moment_shown(shown):
    t = make(shown)
    bar = t.bar
    t.set_state(1000, 4000, 0, 400, 1)
    bar.set_in_out(2000, 3000)
    img = bar.grab().toImage()
    y = bar.height() // 2 + 4
    inside = img.pixelColor(int(bar.x_of(2500)), y)
    outside = img.pixelColor(int(bar.x_of(3600)), y)
    handle = img.pixelColor(int(bar.x_of(1000)), y)
    assert inside != outside, "the clip between in and out is shaded"
    assert handle.red() > 150 and handle.green() < 120, "the moment shown is a red handle"
