"""Every sub-command's numeric options, fuzzed with bad values: one line on stderr naming the option, exit
status 2, nothing on stdout, no traceback and no hang. Run in this process through `ganviz.cli.main`; the
values are refused before anything trains (an export's are checked before its job starts)."""
from __future__ import annotations

import pytest

from ganviz.cli import main
from ganviz.cli.options import checked, number_pair
from ganviz.core.settings import GAME, MAX_SEED, MAX_SEEDS, MAX_STEPS, RUN

BAD = ("-5", "1e12", "1000000000000", "nan", "inf", "abc", "")
# What each command needs besides the option under test: a scenario, an output, a study id.
BASE = {
    "run": ["run", "ring8"], "compare": ["compare", "ring8"], "bench": ["bench"], "game": ["game"],
    "study": ["study", "veegan"], "measure": ["measure", "--reference"], "lessons": ["lessons", "--check"],
    "export": ["export", "ring8", "-o", "{tmp}/x.gif"],
}
# (command, option, values refused beyond BAD: 0 where 0 is out of range, fractions for whole numbers)
OPTIONS = [
    ("run", "--steps", ["2.5", str(MAX_STEPS + 1)]), ("run", "--every", ["0"]), ("run", "--seed", [str(MAX_SEED + 1)]),
    ("compare", "--steps", ["2.5"]), ("compare", "--seeds", ["0", "1000000000", str(MAX_SEEDS + 1)]),
    ("bench", "--seconds", ["0"]), ("bench", "--threads", ["0", "2.5"]),
    ("game", "--lr", ["0"]), ("game", "--gamma", []), ("game", "--momentum", ["1"]), ("game", "--k", ["0"]),
    ("game", "--steps", ["0", "2.5"]), ("game", "--reg-weight", []),
    ("study", "--runs", ["0"]), ("study", "--steps", ["2.5"]), ("study", "--seed", []),
    ("measure", "--seed", ["2.5"]),
    ("lessons", "--seeds", ["0", str(MAX_SEEDS + 1)]),
    ("export", "--frames", ["0"]), ("export", "--until-step", []), ("export", "--fps", ["0"]),
    ("export", "--steps-per-frame", ["0"]), ("export", "--metrics-every", ["0"]), ("export", "--seed", []),
    ("export", "--size", ["0x0", "1e12x1e12"]), ("export", "--gan", ["0", "2", "ns2"]),
]
CASES = [(cmd, opt, v) for cmd, opt, extra in OPTIONS for v in (*BAD, *extra)]


def _one_line_naming(capsys, option: str, command: str) -> str:
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert out == "" and "Traceback" not in err
    assert len(lines) == 1, err
    assert lines[0].startswith(f"ganviz {command}: error: {option}"), lines[0]
    return lines[0]


@pytest.mark.parametrize("command,option,value", CASES)
def test_a_bad_number_is_one_line_naming_the_option_and_status_2(tmp_path, capsys, command, option, value):
    argv = [a.format(tmp=tmp_path) for a in BASE[command]] + [f"{option}={value}"]
    assert main(argv) == 2
    _one_line_naming(capsys, option, command)
    assert list(tmp_path.iterdir()) == []               # an export wrote nothing


@pytest.mark.parametrize("value", ["1", "1e12,1e12", "nan,0", "a,b", "1,2,3"])
def test_a_bad_start_point_is_refused(capsys, value):
    assert main(["game", f"--start={value}"]) == 2
    _one_line_naming(capsys, "--start", "game")


def test_the_message_states_the_range_from_the_schema(capsys):
    # The bug that started this: 10^9 seeds allocated 7 TiB and died with a MemoryError traceback.
    assert main(["compare", "ring8", "--seeds", "1000000000"]) == 2
    line = _one_line_naming(capsys, "--seeds", "compare")
    assert line == f"ganviz compare: error: --seeds: must be an integer in [1, {MAX_SEEDS}] (got '1000000000')"
    assert main(["run", "ring8", "--steps", "1e12"]) == 2
    assert f"[0, {MAX_STEPS}]" in _one_line_naming(capsys, "--steps", "run")
    assert main(["game", "--lr", "9"]) == 2
    assert GAME["lr"].describe_range() in _one_line_naming(capsys, "--lr", "game")


@pytest.mark.parametrize("argv,option,command", [
    (["run", "ring8", "--device", "gpu"], "--device", "run"),
    (["compare", "ring8", "--device", "gpu"], "--device", "compare"),
    (["study", "veegan", "--device", "gpu"], "--device", "study"),
    (["bench", "--device", "gpu"], "--device", "bench"),
    (["export", "ring8", "-o", "x.gif", "--device", "gpu"], "--device", "export"),
    (["game", "--game", "chess"], "--game", "game"),
    (["game", "--start", "-1,2"], "--start", "game"),          # argparse's: a value like an option
    (["run"], "the following arguments are required", "run"),
    (["run", "ring8", "--bogus", "1"], "unrecognized arguments: --bogus 1", "run"),
])
def test_other_bad_options_are_one_line_too(capsys, argv, option, command):
    assert main(argv) == 2
    _one_line_naming(capsys, option, command)


def test_whole_numbers_may_be_written_as_floats_and_ranges_are_closed():
    steps = checked(RUN["steps"])
    assert steps("1e4") == 10_000 and isinstance(steps("1e4"), int)
    assert steps("0") == 0 and steps(str(MAX_STEPS)) == MAX_STEPS
    assert checked(GAME["lr"])("2") == 2.0
    assert number_pair(GAME["start"])(" -1, 2.5") == (-1.0, 2.5)
