"""A failure in the training process surfaces as a message, pauses on the last good picture,
is written to the log with its traceback, and Reset recovers."""
from __future__ import annotations

import os
from pathlib import Path

from ganviz.engine.lab import Lab
from ganviz.engine.session import Session
from tests.engine.test_session import small


def _log_text() -> str:
    path = Path(os.environ["XDG_STATE_HOME"]) / "ganviz" / "ganviz.log"
    return path.read_text() if path.exists() else ""


def test_an_exception_in_training_pauses_with_a_message_and_a_log_and_reset_recovers(monkeypatch):
    lab = Lab(small())
    assert lab.train(3)
    good = lab.snapshot()

    def boom(n=1):
        raise MemoryError("no room for 10^12 weights")

    monkeypatch.setattr(lab.trainer, "step", boom)
    assert not lab.train(1) and lab.paused_by_error
    assert "MemoryError: no room for 10^12 weights" in lab.message and "press Reset" in lab.message
    assert "Details: " in lab.message and "ganviz.log" in lab.message
    assert "MemoryError: no room for 10^12 weights" in _log_text() and "Traceback" in _log_text()
    shown = lab.snapshot()
    assert shown.message == lab.message and not shown.running and shown.step == good.step
    lab.rebuild()                      # what Reset does
    assert not lab.paused_by_error and lab.message == "" and lab.train(2)


def test_a_failing_metric_evaluation_pauses_instead_of_killing_the_loop(monkeypatch):
    lab = Lab(small())
    lab.train(2)
    monkeypatch.setattr(lab.evaluator, "metrics", lambda slow: (_ for _ in ()).throw(RuntimeError("bad grid")))
    lab.evaluate_metrics()
    assert lab.paused_by_error and "Evaluating the metrics stopped" in lab.message and "RuntimeError: bad grid" in lab.message


def test_a_session_whose_training_raises_says_so_and_resets():
    s = Session(small()).start()
    try:
        assert s.wait_for(lambda snap: snap is not None, 10.0)

        def boom(n=1):
            raise RuntimeError("device lost")

        s.call(lambda lab: setattr(lab.trainer, "step", boom))
        s.play()
        snap = s.wait_for(lambda snap: "device lost" in snap.message, 10.0)
        assert snap is not None and not snap.running
        s.reset()                      # a new trainer: the patched step is gone
        s.play()
        snap = s.wait_for(lambda snap: snap.message == "" and snap.step > 0, 10.0)
        assert snap is not None
    finally:
        assert s.stop(5.0)
