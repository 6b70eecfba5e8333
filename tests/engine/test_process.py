"""The training session in a child process: same commands, snapshots back, clean stop."""
import os
import time

import numpy as np

from ganviz.engine.process import ProcessSession
from ganviz.engine.threads import BACKGROUND_NICE
from tests.engine.test_session import small


def test_process_session_trains_takes_commands_and_stops():
    s = ProcessSession(small()).start()
    try:
        first = s.wait_for(lambda x: True, 60)
        assert first is not None and first.step == 0 and not first.fake.flags.writeable
        s.step(4)
        assert s.wait_for(lambda x: x.step == 4, 10) is not None
        s.set_train(loss="hinge", k=2)
        snap = s.wait_for(lambda x: x.loss_ids == ("hinge",), 5)
        assert snap is not None and snap.extra["settings"][0]["k"] == 2
        assert s.scenario.train.loss == "hinge"          # the mirrored scenario follows
        s.play()
        moving = s.wait_for(lambda x: x.step > 20 and x.running, 10)
        assert moving is not None and np.isfinite(moving.fake).all()
        if hasattr(os, "getpriority"):
            # training runs below the window's priority, so that a frame never waits behind it
            mine = os.getpriority(os.PRIO_PROCESS, 0)
            assert os.getpriority(os.PRIO_PROCESS, s._proc.pid) == min(19, mine + BACKGROUND_NICE)
    finally:
        t0 = time.monotonic()
        assert s.stop(2.0)
        assert time.monotonic() - t0 < 2.0 and not s.alive


def test_bad_settings_are_refused_in_the_parent():
    s = ProcessSession(small())
    try:
        s.set_train(k=0)
    except ValueError as e:
        assert "train.k" in str(e)
    else:
        raise AssertionError("k = 0 was accepted")
    assert s.stop()


ORPHAN = """
import os, sys, time
from ganviz.core import scenario as S
from ganviz.engine.process import ProcessSession
from tests.engine.test_session import small
s = ProcessSession(small()).start()
s.wait_for(lambda x: True, 60)
s.play()
print(s._proc.pid, flush=True)
time.sleep(60)
"""


def test_training_child_ends_when_its_parent_is_killed():
    import os
    import signal
    import subprocess
    import sys

    p = subprocess.Popen([sys.executable, "-c", ORPHAN], stdout=subprocess.PIPE, text=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    try:
        child = int(p.stdout.readline())
        p.send_signal(signal.SIGKILL)
        p.wait(10)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                os.kill(child, 0)
            except ProcessLookupError:
                break
            # A zombie (dead, not yet reaped by init) counts as ended.
            try:
                with open(f"/proc/{child}/stat") as f:
                    if f.read().split()[2] == "Z":
                        break
            except FileNotFoundError:
                break
            time.sleep(0.1)
        else:
            os.kill(child, signal.SIGKILL)
            raise AssertionError("the training child outlived its parent")
    finally:
        if p.poll() is None:
            p.kill()


def test_a_child_killed_for_memory_is_said_and_reset_starts_a_new_one():
    import os
    import signal

    s = ProcessSession(small()).start()
    try:
        assert s.wait_for(lambda x: True, 60) is not None
        os.kill(s._proc.pid, signal.SIGKILL)          # what the kernel's OOM killer does
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not s.error:
            time.sleep(0.05)
        assert s.error and "ended unexpectedly" in s.error and "lack of memory" in s.error
        assert not s.playing
        seen = s.published
        s.reset()                                     # a new child, same scenario
        assert s.alive and s.error is None
        s.step(3)
        assert s.wait_for(lambda x: x.step == 3, 60) is not None and s.published > seen
    finally:
        assert s.stop(3.0)
