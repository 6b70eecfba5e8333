"""Recorded runs: frames as they were shown, checkpoints to go on from, .ganviz files, the memory budget."""
from __future__ import annotations

import dataclasses
import io
import json
import zipfile

import numpy as np
import pytest
import torch

from ganviz.core import scenario as S
from ganviz.engine.checkpoints import from_arrays, to_arrays
from ganviz.engine.lab import Lab
from ganviz.engine.record_run import record
from ganviz.engine.recording import QUANTISED, Recording, RunFileError, store


def small(name="ring8", **train):
    sc = S.load(name)
    return dataclasses.replace(sc, model=dataclasses.replace(sc.model, g_width=16, d_width=16),
                               train=dataclasses.replace(sc.train, batch_size=32, **train))


@pytest.fixture(scope="module")
def recorded():
    lab = Lab(small())
    snaps = []
    rec = record(lab, 60, 10, 2, checkpoint_every=3, on_frame=lambda lab, i: snaps.append(lab._last))
    return rec, snaps


def same_snapshot(a, b, grid_tol):
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if f.name == "timeline":           # which live run of a session: not the picture's, not recorded
            assert y == 0, "a recorded frame carries no session's timeline"
            continue
        if isinstance(x, np.ndarray):
            assert x.shape == y.shape and x.dtype == y.dtype, f.name
            if f.name in QUANTISED:
                span = float(np.nanmax(x) - np.nanmin(x)) if np.isfinite(x).any() else 0.0
                np.testing.assert_allclose(y, x, atol=grid_tol * max(span, 1e-12), err_msg=f.name)
            else:
                np.testing.assert_array_equal(y, x, err_msg=f.name)
        elif f.name in ("history", "latest"):
            assert set(x) == set(y), f.name
            for k in x:
                np.testing.assert_array_equal(np.asarray(y[k]), np.asarray(x[k]), err_msg=f"{f.name}[{k}]")
        elif f.name == "w1_floor":
            assert (np.isnan(x) and np.isnan(y)) or x == y
        else:
            assert x == y, f.name


def test_every_frame_is_the_snapshot_that_was_shown(recorded):
    rec, snaps = recorded
    assert len(rec) == len(snaps) == 7 and list(rec.steps) == [0, 10, 20, 30, 40, 50, 60]
    for i, snap in enumerate(snaps):
        same_snapshot(snap, rec.snapshot(i), grid_tol=1.0 / 65534)
    # the metric history a frame shows is the one shown then, not the run's final one
    assert len(rec.snapshot(1).history_steps) < len(rec.snapshot(6).history_steps)


def test_a_ganviz_file_round_trip_keeps_every_frame_and_checkpoint(recorded, tmp_path):
    rec, snaps = recorded
    path = rec.save(tmp_path / "run.ganviz")
    back = Recording.load(path)
    assert back.scenario == rec.scenario
    assert list(back.steps) == list(rec.steps)
    for i, snap in enumerate(snaps):
        same_snapshot(snap, back.snapshot(i), grid_tol=1.0 / 65534)
    assert [c.step for c in back.checkpoints] == [c.step for c in rec.checkpoints] == [0, 30, 60]
    for a, b in zip(rec.checkpoints, back.checkpoints):
        assert set(a.arrays) == set(b.arrays)
        for k in a.arrays:
            np.testing.assert_array_equal(a.arrays[k], b.arrays[k])
    assert not list(tmp_path.glob(".*part*")), "no temporary left behind"


def test_training_on_from_a_checkpoint_repeats_the_run_exactly(recorded, tmp_path):
    rec, _ = recorded
    back = Recording.load(rec.save(tmp_path / "run.ganviz"))
    ck = back.checkpoint_at(45)
    assert ck.step == 30
    lab = Lab(back.scenario)
    lab.trainer.load_state(from_arrays(ck.arrays, lab.trainer.device))
    lab.train(30)
    straight = Lab(back.scenario)
    straight.train(60)
    for key in ("G", "D"):
        assert torch.equal(lab.trainer.state_dict()[key], straight.trainer.state_dict()[key])
    # and it is the run that was recorded: its last checkpoint holds the same weights
    np.testing.assert_array_equal(back.checkpoints[-1].arrays["G"], straight.trainer.state_dict()["G"].numpy())


def test_checkpoint_arrays_hold_nested_state_without_pickle():
    state = {"G": torch.arange(3.0), "opt": {"m": torch.ones(2)}, "gens": [torch.zeros(4, dtype=torch.uint8)] * 2,
             "empty": [], "step": 7}
    arrays = to_arrays(state)
    assert all(isinstance(a, np.ndarray) and a.dtype != object for a in arrays.values())
    back = from_arrays(arrays)
    assert torch.equal(back["G"], state["G"]) and torch.equal(back["opt"]["m"], state["opt"]["m"])
    assert len(back["gens"]) == 2 and back["empty"] == [] and back["step"] == 7


def test_the_budget_thins_old_frames_and_keeps_the_whole_run(recorded):
    rec, snaps = recorded
    one = Recording(rec.scenario, budget=10**9)
    for s in snaps:
        one.add(s)
    per_frame = one.nbytes / len(snaps)
    small_rec = Recording(rec.scenario, budget=int(per_frame * 40))
    lab = Lab(small())
    for i in range(160):
        if i:
            lab.train(2)
        small_rec.add(lab.snapshot())
    assert small_rec.nbytes <= small_rec.budget
    assert small_rec.thinned > 0 and len(small_rec) < 160
    steps = small_rec.steps
    assert steps[0] == 0 and steps[-1] == 318, "the start and the newest frame stay"
    assert np.all(np.diff(steps) > 0)
    # thinned, not dropped: no gap in the kept frames is wider than a few of the original spacing
    assert np.diff(steps).max() <= 2 * 16


def test_a_step_back_starts_a_branch(recorded):
    rec, snaps = recorded
    branch = Recording(rec.scenario)
    for s in snaps:
        branch.add(s)
    for c in rec.checkpoints:
        branch.add_checkpoint(c.step, c.arrays)
    branch.add(snaps[3])          # step 30 again: what followed it is let go
    assert list(branch.steps) == [0, 10, 20, 30]
    assert [c.step for c in branch.checkpoints] == [0, 30], "the branch point's own state stays"
    same_snapshot(snaps[3], branch.snapshot(3), grid_tol=1.0 / 65534)


def test_frames_between_steps(recorded):
    rec, _ = recorded
    assert [int(rec.steps[i]) for i in rec.between(15, 45)] == [20, 30, 40]
    assert rec.index_at(35) == 3 and rec.index_at(-5) == 0 and rec.index_at(10**6) == 6


def test_sixteen_bit_grids_keep_nan_and_the_range():
    a = np.linspace(-3.0, 5.0, 2048).astype(np.float32)
    a[7] = np.nan
    s = store(a)
    assert s.quantised and s.data.dtype == np.uint16
    b = s.decode()
    assert np.isnan(b[7]) and np.nanmax(np.abs(b - a)) <= 8.0 / 65534
    assert not store(a, quantise=False).quantised


@pytest.mark.parametrize("damage", ["truncated", "not a zip", "foreign zip", "other version", "pickled array",
                                    "bad scenario", "missing blob"])
def test_bad_run_files_are_refused_in_one_sentence(recorded, tmp_path, damage):
    rec, _ = recorded
    good = rec.save(tmp_path / "good.ganviz").read_bytes()
    bad = tmp_path / "bad.ganviz"
    if damage == "truncated":
        bad.write_bytes(good[: len(good) // 2])
    elif damage == "not a zip":
        bad.write_text("hello")
    else:
        src = zipfile.ZipFile(io.BytesIO(good))
        with zipfile.ZipFile(bad, "w") as z:
            for info in src.infolist():
                data = src.read(info.filename)
                if damage == "foreign zip" and info.filename == "run.json":
                    continue
                if info.filename == "run.json":
                    index = json.loads(data)
                    if damage == "other version":
                        index["version"] = 99
                    if damage == "missing blob":
                        index["frames"][0]["arrays"]["fake"] = "nowhere"
                    data = json.dumps(index).encode()
                if damage == "bad scenario" and info.filename == "scenario.toml":
                    data = b"[train]\nk = 0\n"
                if damage == "pickled array" and info.filename.startswith("blobs/fake-"):
                    buf = io.BytesIO()
                    np.save(buf, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
                    data = buf.getvalue()
                z.writestr(info, data)
    with pytest.raises(RunFileError) as e:
        Recording.load(bad)
    msg = str(e.value)
    assert msg.startswith("bad.ganviz: ") and "\n" not in msg


def test_events_are_found_as_frames_arrive_and_saved(recorded, tmp_path):
    rec, snaps = recorded
    base = snaps[-1]
    k = base.mode_counts.shape[1]

    def frame(step, held, evaluation, diverged=False, acc=0.6, k_setting=1):
        counts = np.zeros((1, k), dtype=np.int64)
        counts[0, :held] = 10
        settings = [dict(base.extra["settings"][0], k=k_setting)]
        hist = np.arange(evaluation + 1, dtype=np.int64)
        return dataclasses.replace(base, step=step, mode_counts=counts, diverged=np.array([diverged]),
                                   latest={**base.latest, "d_acc": np.array([acc])},
                                   extra={**base.extra, "settings": settings}, history_steps=hist,
                                   history={kk: np.zeros((1, len(hist))) for kk in base.history}, slow_steps=None)

    r = Recording(rec.scenario)
    seq = [frame(0, 2, 0), frame(10, 3, 1), frame(20, 2, 2),      # a flicker: not an event
           frame(30, 3, 3), frame(35, 3, 3), frame(40, 3, 4),     # 3 modes held over two evaluations
           frame(50, 3, 5, acc=0.995), frame(60, 3, 6, acc=0.995, k_setting=5), frame(70, 3, 7, diverged=True, k_setting=5)]
    for s in seq:
        r.add(s)
    r.bookmark(35, "look here")
    got = [(e.step, e.kind) for e in r.events_sorted()]
    assert got == [(30, "mode"), (35, "bookmark"), (50, "saturated"), (60, "settings"), (70, "diverged")]
    texts = {e.kind: e.text for e in r.events}
    assert "G holds 3 (was 2)" in texts["mode"] and "k 1 \u2192 5" in texts["settings"]
    back = Recording.load(r.save(tmp_path / "ev.ganviz"))
    assert [(e.step, e.kind, e.text) for e in back.events_sorted()] == [(e.step, e.kind, e.text)
                                                                       for e in r.events_sorted()]
    r.truncate(50)
    assert [e.kind for e in r.events_sorted()] == ["mode", "bookmark"]


def test_a_thinned_history_is_recorded_row_for_row(recorded):
    # Past HISTORY_SHOWN evaluations the Lab thins what a snapshot carries (every 2nd, 4th ... row, and the
    # newest): a recorded frame still shows exactly the rows its snapshot showed, with duplicate steps too.
    from ganviz.engine.lab import HISTORY_SHOWN, History
    rec, snaps = recorded
    base = snaps[-1]
    keys = tuple(k for k in base.history if base.slow_steps is None or k not in _slow_keys())
    hist = History(1, keys=keys)
    r = Recording(rec.scenario)
    rng = np.random.default_rng(0)
    shown = []
    for n in range(HISTORY_SHOWN + 300):
        step = n // 2 * 10          # two evaluations at each step
        hist.append(step, {k: rng.normal(size=1) for k in keys})
        if n % 7 == 0 or n > HISTORY_SHOWN + 250:
            steps, values = hist.arrays(HISTORY_SHOWN)
            snap = dataclasses.replace(base, step=step, history_steps=steps, history=values, slow_steps=None)
            r.add(snap)
            shown.append(snap)
    assert len(shown[-1].history_steps) < HISTORY_SHOWN + 300, "the Lab thinned it"
    for i, snap in enumerate(shown):
        back = r.snapshot(i)
        np.testing.assert_array_equal(back.history_steps, snap.history_steps)
        for k in keys:
            np.testing.assert_array_equal(back.history[k], snap.history[k])


def _slow_keys():
    from ganviz.core.metric_info import SLOW_KEYS
    return SLOW_KEYS
