"""Drawing the data with the mouse: add, move, widen, delete, undo; the trainer and the table follow."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6 import QtCore, QtGui
from PySide6.QtCore import Qt

from ganviz.core import scenario as S
from ganviz.core.scenario import DataSpec
from ganviz.ui.draw_data import MixtureEdit


def test_mixture_edits_keep_a_valid_mixture():
    e = MixtureEdit(DataSpec("ring8"))
    assert len(e.means) == 8 and e.dim == 2
    i = e.add([0.0, 0.0])
    assert i == 8 and e.stds[8] == pytest.approx(np.median(e.stds[:8]))
    e.move(8, [0.5, -0.5])
    e.scale(8, 2.0)
    assert e.means[8] == [0.5, -0.5] and e.stds[8] == pytest.approx(2 * e.stds[0])
    spec = e.spec([[-3, 3], [-3, 3]])
    mix = spec.mixture()
    assert mix.means.shape == (9, 2) and np.isclose(mix.weights.sum(), 1.0) and spec.bounds == [[-3, 3], [-3, 3]]
    # within 10 px at 100 px per unit: 0.1 units
    assert e.nearest([0.55, -0.5], [100, 100], 10) == 8 and e.nearest([0.7, -0.5], [100, 100], 10) is None
    one = MixtureEdit(DataSpec(None, means=[[0.0]], stds=[1.0], weights=[1.0]))
    assert not one.delete(0) and len(one.means) == 1


def small() -> S.Scenario:
    sc = S.load("ring8")
    return dataclasses.replace(sc, model=dataclasses.replace(sc.model, g_width=16, d_width=16),
                               train=dataclasses.replace(sc.train, batch_size=32))


def to_viewport(view, x: float, y: float) -> QtCore.QPoint:
    scene = view.plot.vb.mapViewToScene(QtCore.QPointF(x, y))
    return view.canvas.mapFromScene(scene)


def components(w) -> int:
    return w.session.lab.trainer.mixture.means.shape[0]


def test_drawing_in_the_2d_view_edits_the_data_the_trainer_samples(qtbot, main_window, tmp_path):
    w = main_window(small())
    qtbot.waitUntil(lambda: w._last_snapshot is not None, timeout=10000)
    qtbot.waitExposed(w)
    view, port = w.view2d, w.view2d.canvas.viewport()
    # double-click empty space: a ninth component there
    qtbot.mouseDClick(port, Qt.MouseButton.LeftButton, pos=to_viewport(view, 0.0, 0.0))
    qtbot.waitUntil(lambda: components(w) == 9, timeout=5000)
    mean = w.session.lab.trainer.mixture.means[8]
    assert np.allclose(mean, [0.0, 0.0], atol=0.1)
    assert w.controls.data_section.table.rowCount() == 9
    # drag it to (1, -1)
    qtbot.mousePress(port, Qt.MouseButton.LeftButton, pos=to_viewport(view, *mean))
    qtbot.mouseMove(port, pos=to_viewport(view, 0.5, -0.5))
    qtbot.mouseRelease(port, Qt.MouseButton.LeftButton, pos=to_viewport(view, 1.0, -1.0))
    qtbot.waitUntil(lambda: np.allclose(w.session.lab.trainer.mixture.means[8], [1.0, -1.0], atol=0.1),
                    timeout=5000)
    # the wheel over it widens it
    before = w.session.lab.trainer.mixture.stds[8]
    pos = to_viewport(view, 1.0, -1.0)
    wheel = QtGui.QWheelEvent(QtCore.QPointF(pos), QtCore.QPointF(port.mapToGlobal(pos)), QtCore.QPoint(0, 0),
                              QtCore.QPoint(0, 240), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                              Qt.ScrollPhase.NoScrollPhase, False)
    QtCore.QCoreApplication.sendEvent(port, wheel)
    qtbot.waitUntil(lambda: w.session.lab.trainer.mixture.stds[8] > before * 1.2, timeout=5000)
    # undo: back to its spread before the wheel
    w.undo_action.trigger()
    qtbot.waitUntil(lambda: np.isclose(w.session.lab.trainer.mixture.stds[8], before), timeout=5000)
    # hover and Delete removes it
    qtbot.mouseMove(port, pos=to_viewport(view, 1.0, -1.0))
    w.delete_component_action.trigger()
    qtbot.waitUntil(lambda: components(w) == 8, timeout=5000)
    assert w.controls.data_section.table.rowCount() == 8
    w.undo_action.trigger()
    qtbot.waitUntil(lambda: components(w) == 9, timeout=5000)
    # the drawn mixture is the scenario's: saved with it (the session publishes its scenario after the
    # trainer's mixture has changed: wait for that, as a user's click on Save always does)
    qtbot.waitUntil(lambda: len(w.session.scenario.data.means) == 9, timeout=5000)
    out = tmp_path / "drawn.toml"
    w.save_to(str(out))
    saved = S.load(str(out))
    assert saved.data.preset is None and len(saved.data.means) == 9
    assert np.allclose(saved.data.means[8], [1.0, -1.0], atol=0.1)
