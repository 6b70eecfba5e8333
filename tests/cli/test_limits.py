"""Under a 4 GB address-space limit, what froze or exhausted memory before ends at once with one line
and exit 2; a scenario file drawn at random runs, or is refused in one line, within 30 s.

Linux (and macOS) only: the limit is set with resource.setrlimit in the child."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings

from tests.core.test_fuzz_scenarios import scenarios

resource = pytest.importorskip("resource")

LIMIT = 4 << 30


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


def _ganviz(*args: str) -> tuple[subprocess.CompletedProcess, float]:
    t = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "ganviz", *args], capture_output=True, text=True, timeout=30,
                       preexec_fn=_limited)
    return p, time.monotonic() - t


@pytest.mark.parametrize("args, option", [
    (["run", "ring8", "--steps", "1e12"], "--steps"),
    (["compare", "ring8", "--seeds", "1000000000"], "--seeds"),
    (["run", "ring8", "--set", "train.batch_size=100000000"], "train.batch_size"),
    (["run", "ring8", "--set", "train.k=1000000000"], "train.k"),
    (["run", "ring8", "--set", "model.g_width=4096", "--set", "model.g_layers=4096"], "model.g_layers"),
    (["run", "ring8", "--set", "model.g_width=1024", "--set", "model.g_layers=8", "--set", "model.d_width=1024",
      "--set", "model.d_layers=8", "--set", "train.batch_size=8192", "--set", "train.k=50"], "model.g_width"),
    (["game", "--steps", "1000000000000"], "--steps"),
    (["game", "--k", "1000000000"], "--k"),
])
def test_what_froze_or_filled_memory_is_refused_at_once_in_one_line(args, option):
    p, seconds = _ganviz(*args)
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 2 and len(lines) == 1 and option in lines[0], p.stderr
    assert seconds < 30


def _toml(value) -> str:
    import json
    import math

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    return "[" + ", ".join(_toml(v) for v in value if v is not None) + "]"


def _dump(d: dict) -> str:
    """A scenario dict as TOML (None values left out: TOML has none)."""
    head, tables = [], []
    for key, value in d.items():
        if value is None:
            continue
        if isinstance(value, dict):
            tables.append(f"[{key}]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in value.items() if v is not None))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for v in value:
                tables.append(f"[[{key}]]\n" + "".join(f"{k} = {_toml(x)}\n" for k, x in v.items() if x is not None))
        else:
            head.append(f"{key} = {_toml(value)}\n")
    return "".join(head) + "\n".join(tables)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(d=scenarios)
def test_a_random_scenario_file_runs_or_is_refused_in_one_line(tmp_path, d):
    path = tmp_path / "fuzzed.toml"
    path.write_text(_dump(d))
    p, seconds = _ganviz("run", str(path), "--steps", "2")
    assert seconds < 30
    if p.returncode != 0:
        lines = p.stderr.strip().splitlines()
        assert p.returncode == 2 and len(lines) == 1 and "Traceback" not in p.stderr, (path.read_text(), p.stderr)
