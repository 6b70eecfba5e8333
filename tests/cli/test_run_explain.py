"""`ganviz run SCENARIO --explain` for a scenario that trains networks: the step inspector's summary of the last D
step and the last G step, as a table and as JSON lines, with the numbers of the run."""
import json

import pytest

from ganviz.cli import main
from ganviz.core import scenario as S
from ganviz.core.step_summary import fmt
from ganviz.core.train import Trainer

SMALL = ["--set", "model.g_width=16", "--set", "model.d_width=16", "--set", "train.batch_size=32"]


def explained(out: str) -> dict:
    return {r["explain"]: r for r in map(json.loads, out.splitlines()) if "explain" in r}


def test_explain_json_gives_the_last_steps_of_the_run_trained_with_the_summary_all_along(capsys):
    assert main(["run", "ring8", "--steps", "6", "--every", "3", "--explain", "--json", *SMALL]) == 0
    got = explained(capsys.readouterr().out)
    assert set(got) == {"D", "G"}
    # the same run, the summary kept at every step (the CLI keeps it for the last iteration only)
    sc = S.apply_overrides(S.load("ring8"), [a for a in SMALL if a != "--set"])
    t = Trainer(sc.data.mixture(), sc.model, sc.panel_settings(), seed=sc.seed)
    t.inspect = True
    t.step(6)
    want = t.step_summary()[0]
    for player in ("D", "G"):
        g, w = got[player], want[player]
        assert [r["name"] for r in g["layers"]] == [r["name"] for r in w["layers"]]
        for key in ("grad", "update", "norm", "rel"):
            assert [r[key] for r in g["layers"]] == pytest.approx([r[key] for r in w["layers"]], rel=1e-6)
        assert g["fake"]["quantiles"] == pytest.approx(w["fake"]["quantiles"], rel=1e-6)
        assert (g["step"], g["index"]) == (5, 1)          # in the 6th iteration, its only step of the player
    assert got["D"]["value"] == pytest.approx(-got["D"]["d_loss"], rel=1e-6)     # ns: V = -L_D
    assert got["D"]["real"]["n"] == 32 and got["G"]["real"] is None


def test_explain_with_sgd_prints_updates_of_lr_times_the_gradient(capsys):
    args = ["--set", 'train.optimizer="sgd"', "--set", "train.lr_d=0.02", "--set", "train.lr_g=0.01"]
    assert main(["run", "ring8", "--steps", "3", "--every", "3", "--explain", "--json", *SMALL, *args]) == 0
    got = explained(capsys.readouterr().out)
    for player, lr in (("D", 0.02), ("G", 0.01)):
        rows = got[player]["layers"]
        assert [r["update"] for r in rows] == pytest.approx([lr * r["grad"] for r in rows], rel=1e-4)
        assert all(r["grad"] > 0 for r in rows)


def test_explain_prints_a_table_of_the_numbers(capsys):
    assert main(["run", "ring8", "--steps", "4", "--every", "4", "--explain", "--json", *SMALL]) == 0
    want = explained(capsys.readouterr().out)
    assert main(["run", "ring8", "--steps", "4", "--every", "4", "--explain", *SMALL]) == 0
    out = capsys.readouterr().out
    d_part, g_part = out.split("\nG step in iteration 4")
    assert "D step in iteration 4" in d_part and "# The last steps (--explain)" in d_part
    for part, player in ((d_part, "D"), (g_part, "G")):
        for r in want[player]["layers"]:
            line = next(line for line in part.splitlines() if line.strip().startswith(r["name"]))
            assert line.split()[-4:] == [fmt(r["grad"]), fmt(r["update"]), fmt(r["norm"]), fmt(r["rel"])]
    assert f"V(D, G) = E_x[log D(x)] + E_z[log(1 − D(G(z)))] = {fmt(want['D']['value'])}" in d_part
    assert f"mean {fmt(want['D']['real']['mean'])}" in d_part and f"L_G = {fmt(want['G']['g_loss'])}" in g_part


def test_explain_names_each_gan_of_a_compare_scenario(capsys):
    assert main(["run", "k1-vs-k5", "--steps", "2", "--every", "2", "--explain", *SMALL]) == 0
    out = capsys.readouterr().out
    assert "k = 1: D step in iteration 2" in out and "k = 5: D step 5 of 5 in iteration 2" in out
    assert "k = 5: G step in iteration 2" in out
