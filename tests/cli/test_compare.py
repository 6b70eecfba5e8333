"""`ganviz compare`: a table per loss over seeds, and clear errors."""
import json

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
