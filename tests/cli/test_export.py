"""`ganviz export`: no display needed, exit codes, one-line errors, no partial files.

The commands in CASES run in real subprocesses, started together (each spends most
of its time importing torch); each test checks one of them. More user errors are
checked in this process, through `ganviz.cli.main`.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageSequence

SMALL = ["--set", "model.g_width=32", "--set", "model.d_width=32", "--device", "cpu"]

# name -> (arguments after OUT's folder is known, expected exit code, a phrase the error must hold)
CASES = {
    "gif": (["ring8", "-o", "{dir}/ring.gif", "--frames", "4", "--size", "320x240", "--steps-per-frame", "2"],
            0, None),
    # 60 frames train in a child process: the path whose clean exit matters most.
    "mp4": (["goodfellow-fig1", "-o", "{dir}/fig1.mp4", "--frames", "60", "--size", "128x96",
             "--steps-per-frame", "1", "--view", "lab+loss", "--no-captions"], 0, None),
    "bad scenario": (["no-such-scenario", "-o", "{dir}/x.mp4"], 2, "no-such-scenario"),
    "unwritable path": (["ring8", "-o", "{dir}/missing/x.mp4", "--frames", "2"], 2, "folder does not exist"),
}

IN_PROCESS_ERRORS = {
    "odd mp4 size": (["ring8", "-o", "{dir}/x.mp4", "--size", "1281x720", "--frames", "2"], "even width and height"),
    "unsupported suffix": (["ring8", "-o", "{dir}/x.avi", "--frames", "2"], "Unsupported output format '.avi'"),
    "zero size": (["ring8", "-o", "{dir}/x.mp4", "--size", "0x0", "--frames", "2"], "--size"),
    "no frames": (["ring8", "-o", "{dir}/x.gif", "--frames", "0"], "--frames"),
    "frames and until": (["ring8", "-o", "{dir}/x.gif", "--frames", "2", "--until-step", "9"], "--until-step"),
    "unknown view": (["ring8", "-o", "{dir}/x.gif", "--view", "sideways"], "--view"),
    "bad override": (["ring8", "-o", "{dir}/x.gif", "--set", "train.k=0"], "train.k"),
    "unknown preset": (["ring8", "-o", "{dir}/x.mp4", "--preset", "quick"], "--preset"),
    "a gan for the compare view": (["k1-vs-k5", "-o", "{dir}/x.png", "--gan", "1"],
                                   "--gan: the compare view draws every GAN"),
    "a gan out of range": (["k1-vs-k5", "-o", "{dir}/x.png", "--view", "lab", "--gan", "3"],
                           "--gan: this run has 2 GANs (1 'k = 1', 2 'k = 5'); got 3"),
    "an unknown gan": (["k1-vs-k5", "-o", "{dir}/x.png", "--view", "lab", "--gan", "k = 3"],
                       "--gan: no GAN is labelled 'k = 3'"),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    root = Path(__file__).resolve().parents[2]
    procs = {}
    for name, (args, _, _) in CASES.items():
        folder = tmp_path_factory.mktemp(name.replace(" ", "_"))
        argv = [a.format(dir=folder) for a in args]
        cmd = [sys.executable, "-m", "ganviz", "export", *argv, *SMALL]
        procs[name] = (folder, subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.PIPE,
                                                stderr=subprocess.PIPE, text=True))
    results = {}
    for name, (folder, proc) in procs.items():
        out, err = proc.communicate(timeout=240)
        results[name] = (folder, proc.returncode, out, err)
    return results


def gif_frames(path: Path) -> list:
    with Image.open(path) as im:
        return [f.convert("RGB") for f in ImageSequence.Iterator(im)]


def test_gif_export_without_a_display_exits_0_with_the_frames_asked_for(runs):
    folder, code, out, err = runs["gif"]
    assert code == 0, err
    frames = gif_frames(folder / "ring.gif")
    assert len(frames) == 4 and all(f.size == (320, 240) for f in frames)
    assert str(folder / "ring.gif") in out
    assert "Traceback" not in err


def test_mp4_export_trained_in_a_child_process_ends_cleanly(runs):
    folder, code, out, err = runs["mp4"]
    assert code == 0, err  # 139: the segfault at exit when a pyqtgraph widget outlives Qt (see ganviz/ui/app.py)
    with av.open(str(folder / "fig1.mp4")) as container:
        frames = list(container.decode(video=0))
    assert len(frames) == 60
    assert (frames[0].width, frames[0].height) == (128, 96)
    assert sorted(p.name for p in folder.iterdir()) == ["fig1.mp4"]


def test_png_still_export_in_process(tmp_path, capsys):
    from ganviz.cli import main

    code = main(["export", "ring8", "-o", str(tmp_path / "still.png"), "--until-step", "3", "--size", "320x240",
                 "--theme", "dark", *SMALL])
    assert code == 0, capsys.readouterr().err
    with Image.open(tmp_path / "still.png") as im:
        assert im.format == "PNG" and im.size == (320, 240)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["still.png"]


def test_gan_picks_the_gan_of_a_run_of_several_by_its_number_or_its_label(tmp_path, capsys):
    from ganviz.cli import main

    def still(name: str, gan: str) -> np.ndarray:
        out = tmp_path / f"{name}.png"
        code = main(["export", "k1-vs-k5", "-o", str(out), "--view", "lab", "--gan", gan, "--until-step", "4",
                     "--size", "320x240", *SMALL])
        assert code == 0, capsys.readouterr().err
        with Image.open(out) as im:
            return np.array(im.convert("RGB"))

    second = still("second", "2")
    assert np.array_equal(still("label", "K = 5"), second)        # a label, in any case
    assert not np.array_equal(still("first", "1"), second)


@pytest.mark.parametrize("name", list(IN_PROCESS_ERRORS))
def test_more_user_errors_exit_2_with_one_line(tmp_path, capsys, name):
    from ganviz.cli import main

    args, phrase = IN_PROCESS_ERRORS[name]
    code = main(["export", *[a.format(dir=tmp_path) for a in args], *SMALL])
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ganviz export: error: ") and phrase in lines[0], err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", [n for n, (_, code, _) in CASES.items() if code == 2])
def test_a_user_error_exits_2_with_one_line_naming_the_cause_and_no_file(runs, name):
    folder, code, out, err = runs[name]
    phrase = CASES[name][2]
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("ganviz export: error: ")
    assert phrase in lines[0]
    assert list(folder.iterdir()) == []


def test_a_game_scenario_in_a_lab_view_is_refused_in_one_line(tmp_path, capsys):
    from ganviz.cli import main

    assert main(["export", "bilinear-methods", "--view", "2d", "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--view" in err[0] and "game-lab scenario" in err[0]
    assert list(tmp_path.iterdir()) == []
