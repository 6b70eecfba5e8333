"""Signals to a running export leave no debris: no child process, no temporary file.

Linux only: children are found through /proc."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="children are found through /proc")


def _children(pid: int) -> set[int]:
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.add(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _start_export(out: Path) -> subprocess.Popen:
    # 300 frames: long enough to be caught midway; in a child process (more than 60 frames)
    p = subprocess.Popen([sys.executable, "-m", "ganviz", "export", "ring8", "-o", str(out), "--frames", "300",
                          "--size", "160x120", "--set", "model.g_width=8", "--set", "model.d_width=8"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        if list(out.parent.glob(f".{out.name}.part-*")) and _children(p.pid):
            return p
        if p.poll() is not None:
            raise AssertionError(f"the export ended early: {p.communicate()}")
        time.sleep(0.1)
    p.kill()
    raise AssertionError("the export did not start within 60 s")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_to_an_export_leaves_no_child_and_no_temporary(tmp_path, sig):
    out = tmp_path / "x.gif"
    p = _start_export(out)
    children = _children(p.pid)
    p.send_signal(sig)
    _, err = p.communicate(timeout=30)
    assert p.returncode == 130, err
    assert err.strip().splitlines()[-1].startswith("ganviz export: interrupted"), err
    assert "Traceback" not in err
    deadline = time.time() + 5
    while time.time() < deadline and any(_alive(c) for c in children):
        time.sleep(0.1)
    assert not any(_alive(c) for c in children)
    assert list(tmp_path.iterdir()) == []


def test_after_sigkill_the_children_exit_and_the_next_export_removes_the_stale_temporary(tmp_path):
    out = tmp_path / "x.gif"
    p = _start_export(out)
    children = _children(p.pid)
    p.kill()
    p.wait(10)
    deadline = time.time() + 2.5
    while time.time() < deadline and any(_alive(c) for c in children):
        time.sleep(0.05)
    assert not any(_alive(c) for c in children)          # they watched their parent and left
    stale = list(tmp_path.glob(".x.gif.part-*"))
    assert stale                                         # SIGKILL gives no chance to clean up...
    done = subprocess.run([sys.executable, "-m", "ganviz", "export", "ring8", "-o", str(out), "--frames", "2",
                           "--size", "160x120", "--set", "model.g_width=8", "--set", "model.d_width=8"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.gif"]   # ...the next export does


@pytest.mark.parametrize("args", [["compare", "ring8", "--seeds", "3"], ["run", "ring8", "--steps", "100000"]])
def test_ctrl_c_in_a_command_exits_130_with_one_line(args):
    p = subprocess.Popen([sys.executable, "-m", "ganviz", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    time.sleep(4.0)                                      # past the imports, into the training
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=30)
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert p.returncode == 130, err
    assert "Traceback" not in err and lines[-1].startswith(f"ganviz {args[0]}: interrupted"), err
