"""Rewind in the window: what was shown is recorded, scrubbed back to, branched from, clipped and saved."""
from __future__ import annotations

import dataclasses
import time

import numpy as np
import torch
from PIL import Image, ImageSequence
from PySide6 import QtCore, QtGui

from ganviz.core import scenario as S
from ganviz.engine.checkpoints import from_arrays
from ganviz.engine.lab import Lab


def small(name: str = "ring8") -> S.Scenario:
    sc = S.load(name)
    return dataclasses.replace(sc, model=dataclasses.replace(sc.model, g_width=16, d_width=16),
                               train=dataclasses.replace(sc.train, batch_size=32))


def image(widget) -> np.ndarray:
    img = widget.grab().toImage().convertToFormat(QtGui.QImage.Format.Format_RGB32)
    ptr = img.constBits()
    return np.array(ptr, dtype=np.uint8).reshape(img.height(), img.bytesPerLine())[:, :img.width() * 4].copy()


def run_to(qtbot, w, step: int):
    w.session.step(step - w.session.step_count)
    qtbot.waitUntil(lambda: w._last_snapshot is not None and w._last_snapshot.step == step
                    and not w._last_snapshot.running and w.rewind.viewing is None, timeout=20000)
    for _ in range(5):
        QtCore.QCoreApplication.processEvents()


def test_a_moment_scrubbed_to_is_drawn_as_it_was_live(qtbot, main_window):
    w = main_window(small())
    qtbot.waitUntil(lambda: w._last_snapshot is not None, timeout=10000)
    live = {}
    for step in (10, 20, 30):
        run_to(qtbot, w, step)
        live[step] = image(w.view2d)
    for step in (10, 20):
        w.rewind.scrub(step)
        QtCore.QCoreApplication.processEvents()
        assert w.rewind.shown_step == step and "recorded" in w.status_step.text()
        assert np.array_equal(image(w.view2d), live[step]), f"step {step} looks different scrubbed back to"
    assert not w.session.playing, "scrubbing pauses training"
    w.rewind.go_live()
    assert w.rewind.viewing is None and w._last_snapshot.step == 30


def test_continue_from_here_trains_on_exactly_as_the_run_did(qtbot, main_window):
    sc = small()
    w = main_window(sc)
    qtbot.waitUntil(lambda: w._last_snapshot is not None, timeout=10000)
    run_to(qtbot, w, 15)           # a pause: the session leaves a checkpoint here
    run_to(qtbot, w, 40)
    rec = w.rewind.recording
    assert 15 in [c.step for c in rec.checkpoints]
    first = {step: from_arrays(rec.checkpoint_at(step).arrays) for step in (15, 40)}
    assert rec.checkpoint_at(40).step == 40
    w.rewind.scrub(15)
    w.rewind.continue_here()
    qtbot.waitUntil(lambda: w.session.step_count == 15, timeout=10000)
    run_to(qtbot, w, 40)
    branch = w.session.lab.trainer.state_dict()
    straight = Lab(sc)
    headless = {}
    for step in (15, 40):
        straight.train(step - straight.step_count)
        headless[step] = straight.trainer.state_dict()

    def same(a, b) -> bool:
        return all(torch.equal(a[k], b[k]) for k in ("G", "D")) and all(
            torch.equal(a[o][k], b[o][k]) for o in ("opt_d", "opt_g") for k in a[o] if k != "t0")

    where = (f"checkpoint 15 as headless: {same(first[15], headless[15])}, first run's 40 as headless: "
             f"{same(first[40], headless[40])}, branch's 40 as the first run's: {same(branch, first[40])}")
    # What the button promises: the branch retraces the run it branched from ...
    assert same(branch, first[40]), where
    # ... and the app trains exactly as a headless run of the scenario does.
    assert same(first[15], headless[15]) and same(first[40], headless[40]), where
    # the branch replaced what followed step 15 on the timeline, once
    steps = list(rec.steps)
    assert steps == sorted(steps) and steps[-1] == 40


def test_a_late_picture_of_the_run_continued_from_is_neither_drawn_nor_recorded(qtbot, main_window):
    """The session draws pictures of a paused run a moment after it stopped (the slow metrics come later):
    one drawn just before it takes Continue from here reaches the window after the button was pressed. It
    is not the run any more: drawn, it showed step 40 for a moment and told whoever waited for the branch
    to reach 40 that it had (this test's run_to, which then read the weights mid-branch)."""
    w = main_window(small())
    qtbot.waitUntil(lambda: w._last_snapshot is not None, timeout=10000)
    run_to(qtbot, w, 15)
    run_to(qtbot, w, 40)
    session = w.session
    apply = session._apply

    def late_picture_then_apply(name, args, kw):
        if name == "restore":
            session._publish(session.lab.snapshot(running=False))     # drawn before the command was read
            time.sleep(0.3)                                           # and taken by the window meanwhile
        apply(name, args, kw)

    session._apply = late_picture_then_apply
    shown = []
    draw = w.show_snapshot
    w.show_snapshot = lambda snap, *a, **kw: (shown.append((snap.step, kw.get("live", True))), draw(snap, *a, **kw))
    w.rewind.scrub(15)
    w.rewind.continue_here()
    qtbot.waitUntil(lambda: session.step_count == 15 and w._last_snapshot.step == 15
                    and (15, True) in shown, timeout=10000)
    assert (40, True) not in shown, f"the run before Continue was drawn after it: {shown}"
    assert list(w.rewind.recording.steps)[-1] == 15
    run_to(qtbot, w, 40)
    assert session.step_count == 40


def test_bookmarks_clip_points_and_a_clip_exported_from_the_recording(qtbot, main_window, tmp_path):
    w = main_window(small())
    qtbot.waitUntil(lambda: w._last_snapshot is not None, timeout=10000)
    for step in (5, 10, 15, 20, 25):
        run_to(qtbot, w, step)
    w.rewind.scrub(10)
    qtbot.keyClick(w, QtCore.Qt.Key_B)
    qtbot.keyClick(w, QtCore.Qt.Key_I)
    w.rewind.scrub(20)
    qtbot.keyClick(w, QtCore.Qt.Key_O)
    assert [(e.step, e.kind) for e in w.rewind.recording.events if e.kind == "bookmark"] == [(10, "bookmark")]
    assert w.rewind.clip == [10, 20]
    out = w.rewind.export_clip(str(tmp_path / "clip.gif"))
    assert out is not None
    rec = w.rewind.recording
    with Image.open(out) as im:
        n = sum(1 for _ in ImageSequence.Iterator(im))
    assert n == len(rec.between(10, 20)) >= 3


def test_a_clip_shows_the_tab_on_screen_and_the_labs_clip_the_gan_the_toolbar_shows(qtbot, main_window):
    # A run of several GANs recorded in the Lab tab holds the fakes of the GAN shown alone: its clip exported
    # the scenario's Compare view, five panels of which had no fakes to draw.
    sc = small("compare-losses-ring8")
    sc = dataclasses.replace(sc, panels=sc.panels[:3])
    w = main_window(sc)
    qtbot.waitUntil(lambda: w._last_snapshot is not None and w.gan_combo.count() == 3, timeout=10000)
    w.tabs.setCurrentWidget(w.lab_stack)
    w.gan_combo.setCurrentIndex(2)
    run_to(qtbot, w, 6)
    last = w.rewind.recording.snapshot(len(w.rewind.recording) - 1)
    assert last.step_of("fake", 2) == 6 and last.step_of("fake", 0) < 6 and last.step_of("fake", 1) < 6
    assert w.rewind.clip_view(sc) == {"view": "lab", "gan": 2}
    w.tabs.setCurrentWidget(w.compare_view)
    assert w.rewind.clip_view(sc) == {"view": "compare"}
    one = main_window(small())
    assert one.rewind.clip_view(one.session.scenario) == {"view": "lab"}


def test_a_saved_run_opens_with_the_same_pictures(qtbot, main_window, tmp_path):
    w = main_window(small())
    qtbot.waitUntil(lambda: w._last_snapshot is not None, timeout=10000)
    run_to(qtbot, w, 12)
    shown = image(w.view2d)
    path = w.rewind.save(str(tmp_path / "run.ganviz"))
    assert path is not None and path.exists()
    other = main_window(S.load("goodfellow-fig1"))
    qtbot.waitUntil(lambda: other._last_snapshot is not None, timeout=10000)
    assert other.open_scenario(str(path))
    QtCore.QCoreApplication.processEvents()
    assert other.rewind.shown_step == 12 and other.lab_stack.currentWidget() is other.view2d
    assert np.array_equal(image(other.view2d), shown)
    bad = tmp_path / "bad.ganviz"
    bad.write_bytes(path.read_bytes()[:500])
    assert not other.open_scenario(str(bad))
    assert "bad.ganviz" in other.banner.text()


def test_the_charts_show_the_whole_run_with_a_cursor_at_the_moment(qtbot, main_window):
    w = main_window(small())
    qtbot.waitUntil(lambda: w._last_snapshot is not None, timeout=10000)
    for step in (10, 20, 30):
        run_to(qtbot, w, step)
    w.rewind.scrub(10)
    cursor = w.metrics_panel.cursors["modes"]
    assert cursor.isVisible() and cursor.value() == 10
    # the charts draw the history of the run's last recorded frame (step 30), not the moment's
    drawn = w.metrics_panel.snapshot()
    last = w.rewind.recording.snapshot(len(w.rewind.recording) - 1)
    assert drawn.step == 30 and np.array_equal(drawn.history_steps, last.history_steps)
    w.rewind.scrub(20)
    assert cursor.value() == 20
    w.rewind.go_live()
    assert not cursor.isVisible()


def test_the_timeline_belongs_to_the_training_tabs(qtbot, main_window):
    w = main_window(small())
    assert not w.timeline.isHidden()
    if w.game_view is not None:
        w.tabs.setCurrentWidget(w.game_view)
        assert w.timeline.isHidden()
    w.tabs.setCurrentWidget(w.lab_stack)
    assert not w.timeline.isHidden()
