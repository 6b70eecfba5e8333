"""`ganviz lessons`: the list of lessons, their check, and one-line errors with status 2."""
from __future__ import annotations

import json

from ganviz.cli import main


def test_lessons_lists_every_built_in_lesson_with_its_claims(capsys):
    assert main(["lessons"]) == 0
    out = capsys.readouterr().out
    for name in ("bilinear-methods", "dirac-gan", "dirac-gan-r1", "d-converges-to-dstar", "goodfellow-fig1"):
        assert f"{name}:" in out
    assert "consensus optimisation converges fastest" in out


def test_check_judges_a_game_lesson_and_prints_json(capsys):
    assert main(["lessons", "dirac-gan-r1", "--check", "--json"]) == 0
    (lesson,) = json.loads(capsys.readouterr().out)
    assert lesson["lesson"] == "dirac-gan-r1" and lesson["holds"]
    claims = lesson["seeds"][0]["claims"]
    assert len(claims) == 3 and all(c["holds"] and c["measured"] <= c["threshold"] for c in claims)


def test_a_lesson_that_does_not_hold_exits_1(tmp_path, capsys):
    path = tmp_path / "wrong.toml"
    path.write_text('name = "wrong"\nview = "game"\n[game]\ngame = "bilinear"\nmethods = ["sim_gda"]\nsteps = 50\n'
                    '[[claims]]\ntext = "simultaneous GDA converges (it does not)"\nmetric = "distance_ratio"\n'
                    'method = "sim_gda"\nop = "<"\nvalue = 1.0\n')
    assert main(["lessons", str(path), "--check"]) == 1
    out = capsys.readouterr().out
    assert "DOES NOT HOLD" in out and "NO" in out


def test_usage_errors_give_one_line_and_status_2(tmp_path, capsys):
    plain = tmp_path / "plain.toml"
    plain.write_text('name = "plain"\n[data]\npreset = "ring8"\n')
    for args, message in ((["lessons", str(plain), "--check"], "makes no claims"),
                          (["lessons", "--check", "--seeds", "0"], "--seeds"),
                          (["lessons", "no-such-lesson"], "neither a scenario file")):
        assert main(args) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0]
