"""`ganviz game`, driven through `ganviz.cli.main` as the command line calls it."""
from __future__ import annotations

import json
import math

import pytest

from ganviz.cli import main
from ganviz.core.games import INTEGRATORS


def call(argv, capsys):
    rc = main(["game", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_json_holds_the_trajectory_and_its_distance(capsys):
    rc, out, err = call(["--method", "sim_gda", "--lr", "0.1", "--steps", "5", "--start", "1,0", "--json"], capsys)
    assert rc == 0 and err == ""
    d = json.loads(out)
    assert d["game"] == "bilinear" and d["equilibrium"] == [0.0, 0.0]
    assert sorted(d["eigenvalues"]) == [[0.0, -1.0], [0.0, 1.0]]
    tr = d["trajectories"]["sim_gda"]
    assert len(tr["points"]) == 6 and tr["diverged"] is False
    # x' = x - lr y, y' = y + lr x from (1, 0)
    assert tr["points"][1] == pytest.approx([1.0, 0.1])
    assert tr["distance"] == pytest.approx([math.sqrt(1.01) ** i for i in range(6)])


def test_methods_repeat_or_comma_separate_and_default_to_all(capsys):
    rc, out, _ = call(["--method", "flow,extragradient", "--method", "alt_gda", "--method", "flow",
                       "--steps", "2", "--json"], capsys)
    assert rc == 0
    assert list(json.loads(out)["trajectories"]) == ["flow", "extragradient", "alt_gda"]
    rc, out, _ = call(["--steps", "2", "--json"], capsys)
    assert list(json.loads(out)["trajectories"]) == list(INTEGRATORS)
    rc, out, _ = call(["--method", "sim_gda,", "--steps", "2", "--json"], capsys)  # a stray comma is harmless
    assert rc == 0 and list(json.loads(out)["trajectories"]) == ["sim_gda"]


def test_method_parameters_reach_the_integrators(capsys):
    rc, out, _ = call(["--method", "alt_gda,momentum,consensus", "--k", "3", "--momentum", "0.25",
                       "--gamma", "0.5", "--steps", "1", "--start", "1,2", "--json"], capsys)
    trs = json.loads(out)["trajectories"]
    assert trs["alt_gda"]["params"] == {"lr": 0.1, "k": 3}
    # three y steps of +0.1 * x, then x - 0.1 * y
    assert trs["alt_gda"]["points"][1] == pytest.approx([1 - 0.1 * 2.3, 2.3])
    assert trs["momentum"]["params"] == {"lr": 0.1, "beta": 0.25, "k": 3}
    # J^T v = p on the bilinear game: p + 0.1 ((-2, 1) - 0.5 (1, 2))
    assert trs["consensus"]["points"][1] == pytest.approx([0.75, 2.0])


def test_dirac_gan_with_a_regulariser(capsys):
    rc, out, _ = call(["--game", "dirac", "--loss", "ns", "--reg", "r1", "--reg-weight", "1",
                       "--method", "sim_gda", "--steps", "200", "--json"], capsys)
    d = json.loads(out)
    assert (d["loss"], d["reg"], d["reg_weight"]) == ("ns", "r1", 1.0)
    assert all(re < 0 for re, _ in d["eigenvalues"])
    dist = d["trajectories"]["sim_gda"]["distance"]
    assert dist[-1] < 1e-2 * dist[0]


def test_wgan_gp_loss_defaults_to_its_penalty(capsys):
    rc, out, _ = call(["--game", "dirac", "--loss", "wgan-gp", "--method", "sim_gda", "--steps", "1", "--json"], capsys)
    d = json.loads(out)
    assert (d["reg"], d["reg_weight"]) == ("gp", 10.0)


def test_diverging_run_is_flagged_and_stays_finite(capsys):
    rc, out, _ = call(["--method", "sim_gda", "--lr", "1", "--steps", "100", "--json"], capsys)
    tr = json.loads(out)["trajectories"]["sim_gda"]
    assert tr["diverged"] is True and len(tr["points"]) < 101
    assert all(math.isfinite(c) for p in tr["points"] for c in p)


def test_table_lists_selected_iterates_and_eigenvalues(capsys):
    rc, out, err = call(["--game", "dirac", "--loss", "wgan", "--method", "alt_gda", "--steps", "40"], capsys)
    assert rc == 0 and err == ""
    assert "0 ± 1i" in out
    assert "Alternating GDA [alt_gda]" in out and "θ (generator)" in out and "distance" in out
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert rows[0][0] == "0" and rows[-1][0] == "40"
    assert 5 <= len(rows) <= 12
    assert [float(c) for c in rows[0][1:]] == pytest.approx([1.0, 1.0, math.sqrt(2)], rel=1e-5)


def test_each_method_carries_rho_verdict_and_what_the_run_did(capsys):
    lr = 0.2
    rc, out, err = call(["--method", "sim_gda,extragradient,alt_gda,consensus", "--lr", str(lr), "--gamma", "0.5",
                         "--steps", "300", "--json"], capsys)
    assert rc == 0 and err == ""
    trs = json.loads(out)["trajectories"]
    assert trs["sim_gda"]["rho"] == pytest.approx(math.sqrt(1 + lr**2)) and trs["sim_gda"]["verdict"] == "diverges"
    assert trs["extragradient"]["rho"] == pytest.approx(math.sqrt(1 - lr**2 + lr**4))
    assert trs["extragradient"]["verdict"] == "converges"
    assert trs["alt_gda"]["rho"] == pytest.approx(1.0) and trs["alt_gda"]["verdict"] == "circles"
    # consensus on V = xy: eigenvalues 1 - lr gamma +- i lr
    assert trs["consensus"]["rho"] == pytest.approx(math.hypot(1 - lr * 0.5, lr))
    m = trs["sim_gda"]["measured"]
    assert m["kind"] == "grows" and m["factor"] == pytest.approx(math.sqrt(1 + lr**2), rel=1e-6)
    assert trs["alt_gda"]["measured"]["kind"] == "cycle"
    assert trs["extragradient"]["measured"]["kind"] == "converges"


def test_table_prints_rho_verdict_theory_and_the_run(capsys):
    rc, out, _ = call(["--game", "dirac", "--loss", "ns", "--method", "sim_gda,alt_gda", "--lr", "0.3",
                       "--steps", "500"], capsys)
    assert rc == 0
    assert f"ρ = {math.sqrt(1 + 0.3**2 / 4):.4f} > 1: diverges near the equilibrium" in out
    assert "ρ = 1: circles near the equilibrium" in out
    assert out.count("theory:") == 2 and out.count("this run (steps 250–500):") == 2
    assert "shrinks sublinearly, like t^-0.4" in out


def test_a_run_that_defies_its_verdict_says_so(capsys):
    rc, out, _ = call(["--game", "dirac", "--loss", "ml", "--method", "optimistic", "--steps", "300", "--json"], capsys)
    tr = json.loads(out)["trajectories"]["optimistic"]
    assert tr["verdict"] == "converges" and tr["diverged"] and tr["measured"]["kind"] == "diverges"
    assert "nonlinear terms rule" in tr["measured"]["disagreement"]
    rc, out, _ = call(["--method", "extragradient", "--steps", "300", "--json"], capsys)
    assert json.loads(out)["trajectories"]["extragradient"]["measured"]["disagreement"] == ""


def test_wgan_gp_penalty_has_no_rho(capsys):
    rc, out, _ = call(["--game", "dirac", "--loss", "wgan-gp", "--method", "sim_gda", "--steps", "50", "--json"], capsys)
    d = json.loads(out)
    tr = d["trajectories"]["sim_gda"]
    assert tr["rho"] is None and tr["verdict"] == "undecided" and "jumps" in d["note"]


@pytest.mark.parametrize("argv,option", [
    (["--method", "adam"], "--method"),
    (["--steps", "-1"], "--steps"),
    (["--steps", "2.5"], "--steps"),
    (["--start", "1"], "--start"),
    (["--start", "1,a"], "--start"),
    (["--start", "1,2,3"], "--start"),
    (["--lr", "0"], "--lr"),
    (["--lr", "fast"], "--lr"),
    (["--momentum", "1"], "--momentum"),
    (["--k", "0"], "--k"),
    (["--gamma", "-1"], "--gamma"),
    (["--game", "chess"], "--game"),
    (["--game", "dirac", "--loss", "nope"], "--loss"),
    (["--game", "dirac", "--reg", "dropout"], "--reg"),
    (["--game", "dirac", "--reg", "r1", "--reg-weight", "-2"], "--reg-weight"),
])
def test_user_errors_are_one_line_naming_the_option(argv, option, capsys):
    rc, out, err = call([*argv, "--steps", "1"] if "--steps" not in argv else argv, capsys)
    assert rc == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert option in err
