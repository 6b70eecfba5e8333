"""The training process keeps the memory a step frees: what it frees is not refaulted at the next step (glibc)."""
import subprocess
import sys

import pytest

# A step's pattern: many blocks of a few hundred KiB (activations, gradients), all freed at its end.
CODE = """
import resource, sys, torch
from ganviz.engine.memory import keep_freed_memory
kept = (keep_freed_memory(), keep_freed_memory()) if sys.argv[1] == "keep" else ()
def step():
    blocks = [torch.ones(50_000) for _ in range(100)]     # 100 x 200 KB
    del blocks
for _ in range(5):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    step()
print(kept, (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10)
"""


def _faults(mode: str) -> tuple[str, float]:
    out = subprocess.run([sys.executable, "-c", CODE, mode], capture_output=True, text=True, timeout=120, check=True)
    kept, faults = out.stdout.strip().rsplit(" ", 1)
    return kept, float(faults)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc thresholds: Linux only")
def test_a_freed_step_is_not_faulted_in_again():
    # fresh processes: the thresholds belong to the process and are set once
    kept, faults = _faults("keep")
    assert kept == "(True, True)"              # set, and a second call says so without setting again
    assert faults < 5.0
    _, default = _faults("default")
    assert default > 1000.0                     # glibc's own thresholds give the 20 MB back at every step


def test_elsewhere_it_changes_nothing(monkeypatch):
    import ganviz.engine.memory as M

    monkeypatch.setattr(M, "_done", None)
    monkeypatch.setattr(M.sys, "platform", "darwin")
    assert M.keep_freed_memory() is False
