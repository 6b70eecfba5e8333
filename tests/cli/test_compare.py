"""`ganviz compare`: a table per loss over seeds, and clear errors."""
import json

import pytest

from ganviz.cli import main


def test_compare_json_has_one_row_per_loss_and_run(capsys):
    rc = main(["compare", "ring8", "--losses", "ns,hinge", "--seeds", "2", "--steps", "20", "--json",
               "--set", "model.g_width=16", "--set", "model.d_width=16", "--set", "train.batch_size=32"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert [r["loss"] for r in out["results"]] == ["ns", "hinge"]
    assert out["seeds"] == [0, 1] and out["modes_total"] == 8
    for r in out["results"]:
        runs = r["modes"]["runs"]
        assert len(runs) == 2 and all(0 <= v <= 8 for v in runs)
        assert r["modes"]["mean"] == sum(runs) / 2
        assert 0.0 <= r["hq_frac"]["mean"] <= 1.0


def test_compare_wgan_panels_get_their_registry_defaults(capsys):
    from ganviz.cli.compare import panels_for
    from ganviz.core import scenario as S

    panels = panels_for(S.load("ring8"), ["ns", "wgan", "wgan-gp"])
    assert panels[0] == {"loss": "ns"}
    assert panels[1]["clip"] == 0.01 and panels[1]["k"] == 5 and "optimizer" not in panels[1]
    assert panels[2]["gp"] == 10.0


def test_compare_user_errors_exit_2(capsys):
    assert main(["compare", "ring8", "--losses", "ns,nope"]) == 2
    assert "nope" in capsys.readouterr().err
    assert main(["compare", "ring8", "--seeds", "0"]) == 2
    assert "--seeds" in capsys.readouterr().err
    assert main(["compare", "no-such-scenario"]) == 2


def test_a_game_scenario_is_refused_in_one_line(capsys):
    assert main(["compare", "bilinear-methods"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "a game-lab scenario has no GAN to train" in err[0]


def test_seeds_trained_in_lockstep_give_each_seeds_numbers_alone(capsys):
    # --seeds 3 trains the three seeds as one batched model; seed 1 alone (--set seed=1) reads the same.
    small = ["--losses", "ns,lsgan", "--steps", "40", "--json", "--set", "model.g_width=16",
             "--set", "model.d_width=16", "--set", "train.batch_size=32"]
    assert main(["compare", "ring8", "--seeds", "3", *small]) == 0
    together = json.loads(capsys.readouterr().out)
    assert main(["compare", "ring8", "--seeds", "1", "--set", "seed=1", *small]) == 0
    alone = json.loads(capsys.readouterr().out)
    assert together["seeds"] == [0, 1, 2] and alone["seeds"] == [1]
    for row_t, row_a in zip(together["results"], alone["results"]):
        for key in ("modes", "hq_frac", "js"):
            assert row_t[key]["runs"][1] == pytest.approx(row_a[key]["runs"][0], abs=2e-3), (row_t["loss"], key)
    assert len({r["js"]["runs"][i] for r in together["results"] for i in range(3)}) > 2
