"""`ganviz run --save-run` records a run; `ganviz export RUN.ganviz` draws a stretch of it without training."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageSequence

from ganviz.cli import main
from ganviz.engine.recording import Recording

SMALL = ["--set", "model.g_width=16", "--set", "model.d_width=16", "--set", "train.batch_size=32"]


@pytest.fixture(scope="module")
def run_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("recorded")
    path = folder / "ring8.ganviz"
    code = main(["run", "ring8", "--steps", "60", "--every", "30", "--save-run", str(path), "--steps-per-frame", "5",
                 *SMALL])
    assert code == 0
    return path


def one_error_line(capsys, command: str) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"ganviz {command}: error: "), lines
    return lines[0]


def test_the_recording_holds_every_frame_and_checkpoints(run_file):
    rec = Recording.load(run_file)
    assert list(rec.steps) == list(range(0, 65, 5))
    assert rec.checkpoints[0].step == 0 and rec.checkpoints[-1].step == 60
    assert rec.scenario.model.g_width == 16


def test_a_stretch_exports_frame_for_frame_as_recorded(run_file, tmp_path, capsys):
    out = tmp_path / "clip.gif"
    assert main(["export", str(run_file), "-o", str(out), "--from-step", "20", "--to-step", "40",
                 "--size", "320x240"]) == 0, capsys.readouterr().err
    with Image.open(out) as im:
        frames = [f.convert("RGB") for f in ImageSequence.Iterator(im)]
    assert len(frames) == 5 and frames[0].size == (320, 240)      # steps 20, 25, 30, 35, 40


def test_a_recorded_still_is_the_trained_still(run_file, tmp_path, capsys):
    # The same frame trained afresh by `ganviz export` and drawn from the recording: only the 16-bit
    # heatmap may differ, by a level here and there.
    direct, recorded = tmp_path / "direct.png", tmp_path / "recorded.png"
    assert main(["export", "ring8", "-o", str(direct), "--until-step", "45", "--steps-per-frame", "5",
                 "--size", "400x300", *SMALL]) == 0
    assert main(["export", str(run_file), "-o", str(recorded), "--to-step", "45", "--size", "400x300"]) == 0
    a = np.asarray(Image.open(direct).convert("RGB"), dtype=int)
    b = np.asarray(Image.open(recorded).convert("RGB"), dtype=int)
    diff = np.abs(a - b)
    assert diff.max() <= 2 and (diff > 0).mean() < 1e-3


@pytest.mark.parametrize("args,phrase", [
    (["export", "ring8", "-o", "{dir}/x.gif", "--from-step", "3"], "--from-step and --to-step"),
    (["export", "{run}", "-o", "{dir}/x.gif", "--from-step", "500"], "--from-step: no recorded frame"),
    (["export", "{run}", "-o", "{dir}/x.gif", "--set", "train.k=2"], "--set: a recorded run is drawn as it was"),
    (["export", "{run}", "-o", "{dir}/x.gif", "--frames", "3"], "--frames"),
    (["export", "{dir}/missing.ganviz", "-o", "{dir}/x.gif"], "missing.ganviz: no such run file"),
    (["run", "ring8", "--steps", "5", "--save-run", "{dir}/nowhere/r.ganviz"], "--save-run:"),
    (["run", "ring8", "--steps", "5", "--save-run", "{dir}/r.zip"], "--save-run: r.zip: a recorded run is saved"),
    (["run", "ring8", "--steps", "5", "--steps-per-frame", "3"], "--steps-per-frame: it sets the cadence"),
])
def test_user_errors_exit_2_in_one_line_and_write_nothing(run_file, tmp_path, capsys, args, phrase):
    argv = [a.format(dir=tmp_path, run=run_file) for a in args]
    assert main(argv) == 2
    assert phrase in one_error_line(capsys, argv[0])
    assert list(tmp_path.iterdir()) == []


def test_a_truncated_run_file_is_refused_in_one_line(run_file, tmp_path, capsys):
    bad = tmp_path / "cut.ganviz"
    bad.write_bytes(run_file.read_bytes()[:2000])
    assert main(["export", str(bad), "-o", str(tmp_path / "x.gif")]) == 2
    assert "cut.ganviz: " in one_error_line(capsys, "export")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.ganviz"]


@pytest.mark.parametrize("command", [["compare", "kcl-q3-one-step"],
                                     ["export", "kcl-q3-one-step", "-o", "{dir}/x.gif"]])
def test_an_exercise_scenario_is_refused_where_nothing_trains(tmp_path, capsys, command):
    argv = [a.format(dir=tmp_path) for a in command]
    assert main(argv) == 2
    assert "exercise scenario" in one_error_line(capsys, argv[0])
    assert list(tmp_path.iterdir()) == []
