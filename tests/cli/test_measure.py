"""`ganviz measure`: the app's metrics for samples from files, and one-line errors with status 2."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from ganviz.cli import main
from ganviz.core import estimators as E
from ganviz.core.data import preset


@pytest.fixture
def ring_samples(tmp_path):
    x, _ = preset("ring8").sample_numpy(5_000, np.random.default_rng(42))
    path = tmp_path / "g.npy"
    np.save(path, x)
    return path, x


def test_measure_prints_every_metric_with_errors(ring_samples, capsys):
    path, _ = ring_samples
    assert main(["measure", str(path), "--data", "ring8"]) == 0
    out = capsys.readouterr().out
    for label in ("JS", "KL(p_data||p_g)", "KL(p_g||p_data)", "sliced W1", "modes", "high quality", "rev KL (modes)"):
        assert label in out
    assert "8 / 8" in out and "\u00b1" in out and "a perfect G reads" in out


def test_measure_json_is_the_apps_estimate_of_the_same_samples(ring_samples, capsys):
    path, x = ring_samples
    assert main(["measure", str(path), "--data", "ring8", "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["n"] == 5_000 and rec["dim"] == 2 and rec["w1_kind"] == "sliced"
    # Samples of p_data itself: every divergence near 0 within a few standard errors.
    for key in ("js", "kl_data_g", "kl_g_data"):
        m = rec["metrics"][key]
        assert m["kind"] == "estimate" and abs(m["value"]) < 0.01 + 4 * m["se"]
    assert rec["metrics"]["modes"]["value"] == 8
    # The same numbers as the estimators called directly with the same reference sample.
    from ganviz.cli.measure import APP_SAMPLES, REF_SEED
    direct = E.measure(x, E.DataReference.draw(preset("ring8"), APP_SAMPLES, REF_SEED)).values
    assert rec["metrics"]["js"]["value"] == pytest.approx(direct["js"].value, rel=1e-12)


def test_measure_reads_csv_with_a_header_and_reports_a_bounded_support(tmp_path, capsys):
    x = np.random.default_rng(0).uniform(-1.0, 3.0, size=(3_000, 1))
    path = tmp_path / "g.csv"
    np.savetxt(path, x, delimiter=",", header="x", comments="")
    assert main(["measure", str(path), "--data", "gauss1d", "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["n"] == 3_000 and rec["w1_kind"] == "exact"
    # Without knowing the generator, bounded support shows as p_data mass beyond the samples: a lower bound.
    kl = rec["metrics"]["kl_data_g"]
    assert kl["kind"] == "lower bound" and rec["metrics"]["missed"]["value"] > 0.005


@pytest.mark.parametrize("content, message", [
    (np.zeros((200, 3)), "3 coordinate"),
    (np.full((200, 2), np.nan), "NaN"),
    (np.zeros((0, 2)), "no samples"),
    (np.zeros((10, 2)), "at least 100"),
    (np.zeros((4, 4, 4)), "(n, d) array"),
    (np.array(["a", "b"] * 100), "real numbers"),
])
def test_bad_sample_files_give_one_line_and_status_2(tmp_path, capsys, content, message):
    path = tmp_path / "bad.npy"
    np.save(path, content)
    assert main(["measure", str(path), "--data", "ring8"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and str(path) in err[0]


def test_files_that_are_not_arrays_and_unknown_data_give_status_2(tmp_path, capsys):
    text = tmp_path / "notes.csv"
    text.write_text("alpha,beta\ngamma,delta\n")
    pickled = tmp_path / "obj.npy"
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    good = tmp_path / "g.npy"
    np.save(good, np.zeros((200, 2)))
    cases = [([str(text), "--data", "ring8"], "not a table of numbers"),
             ([str(pickled), "--data", "ring8"], "not a numeric .npy"),
             ([str(tmp_path / "missing.npy"), "--data", "ring8"], "no such file"),
             ([str(tmp_path / "g.txt.gz"), "--data", "ring8"], "no such file"),
             ([str(good), "--data", "no-such-data"], "neither a data preset"),
             ([str(good)], "--data")]
    for args, message in cases:
        assert main(["measure", *args]) == 2, args
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0], (args, err)


def test_reference_cases_pass_and_print_a_row_per_metric(capsys, monkeypatch):
    from ganviz.core import reference_cases as R
    from ganviz.cli import measure as measure_cli

    # Two cases keep the test short; the full table is `ganviz measure --reference`.
    monkeypatch.setattr(R, "CASES", tuple(c for c in R.CASES if c.id in ("ring8-half", "1d-wide")))
    assert main(["measure", "--reference", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 6 and all(r["ok"] for r in rows)
    half = [r for r in rows if r["case"] == "ring8-half" and r["metric"] == "kl_data_g"][0]
    assert half["kind"] == "lower bound" and half["estimate"] < half["truth"]
    assert measure_cli.APP_SAMPLES == 20_000
    assert not math.isnan(rows[0]["truth"])
