"""`ganviz study`: one-line errors with status 2, and --out files that feed the README table.

The studies themselves (protocols, runs, summaries): tests/core/test_studies.py."""
import json

import pytest

from ganviz.cli import docs
from ganviz.cli import main


@pytest.mark.parametrize("args,needle", [
    (["nope"], "unknown study 'nope'"),
    (["veegan", "--arms", "gan,vae"], "--arms"),
    (["veegan", "--data", "ring8"], "--data"),
    (["veegan", "--runs", "0"], "--runs"),
    (["veegan", "--out", "/no/such/folder/x.json"], "--out"),
])
def test_bad_arguments_exit_2_with_one_line(capsys, args, needle):
    assert main(["study", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0]


def test_out_keeps_the_other_cells_and_feeds_the_readme_table(tmp_path, capsys, monkeypatch):
    out = tmp_path / "veegan.json"
    base = ["study", "veegan", "--arms", "gan", "--runs", "2", "--steps", "0", "--out", str(out)]
    assert main([*base, "--data", "ring8-veegan"]) == 0
    assert main([*base, "--data", "grid25"]) == 0
    table = capsys.readouterr().out
    assert "2D grid" in table and "3.3" in table        # the paper's GAN on the grid, next to ganviz's
    runs = json.loads(out.read_text())["runs"]
    assert sorted((r["dataset"], r["seed"]) for r in runs) == [("grid25", 0), ("grid25", 1),
                                                              ("ring8-veegan", 0), ("ring8-veegan", 1)]
    # The untrained generator's numbers are what the metric says about its own samples.
    ring = [r for r in runs if r["dataset"] == "ring8-veegan"]
    assert all(0 <= r["modes"] <= 8 for r in ring)
    monkeypatch.setattr(docs, "STUDY_RESULTS", tmp_path)
    md = docs.studies_table()
    row = next(line for line in md.splitlines() if line.startswith("| 2D grid | GAN |"))
    assert "| 3.3 |" in row and "2 × 0" in row
    assert "not run" in md                               # arms without results say so
