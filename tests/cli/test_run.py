"""`ganviz run`: tables, JSON, and one-line errors with exit status 2."""
import json
import subprocess
import sys

import pytest

from ganviz.cli import main
from tests.sheet import sheet_q3_by_hand

SMALL = ["--set", "model.g_width=16", "--set", "model.d_width=16", "--set", "train.batch_size=32"]


def test_run_prints_a_metrics_table(capsys):
    assert main(["run", "ring8", "--steps", "20", "--every", "10", *SMALL]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("# Ring of 8")
    # The second comment line says what the ± and ≥ mean and that 2D W1 is sliced, with its floor.
    assert out[1].startswith("# ") and "standard error" in out[1] and "sliced" in out[1]
    assert "JS" in out[2] and "modes" in out[2] and "sliced W1" in out[2]
    rows = [line.split() for line in out[3:]]
    assert [int(r[0]) for r in rows] == [10, 20]
    # Estimated columns carry their standard error.
    assert all("\u00b1" in line for line in out[3:])


def test_run_json_lines_are_finite_and_deterministic(capsys):
    assert main(["run", "goodfellow-fig1", "--steps", "30", "--every", "15", "--json", *SMALL]) == 0
    first = capsys.readouterr().out
    assert main(["run", "goodfellow-fig1", "--steps", "30", "--every", "15", "--json", *SMALL]) == 0
    assert capsys.readouterr().out == first
    recs = [json.loads(line) for line in first.splitlines()]
    assert [r["step"] for r in recs] == [15, 30]
    assert all(isinstance(r["js"], float) and 0 <= r["js"] <= 0.7 for r in recs)


@pytest.mark.parametrize("args,field", [
    (["--set", "train.loss=nope"], "train.loss"),
    (["--set", "train.k=0"], "train.k"),
    (["--set", "train.lr_d=-1"], "train.lr_d"),
    (["--set", "data.weights=[1, -1]", "--set", "data.means=[[0, 0], [1, 1]]"], "data.weights"),
    (["--set", "data.means=[[0, 0, 0]]"], "data.means"),
])
def test_bad_settings_exit_2_with_one_line(capsys, args, field):
    assert main(["run", "ring8", "--steps", "5", *args]) == 2
    cap = capsys.readouterr()
    assert cap.out == ""                           # nothing written
    lines = cap.err.strip().splitlines()
    assert len(lines) == 1 and field in lines[0] and "Traceback" not in cap.err


def test_malformed_file_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[train\nk = 1\n")
    assert main(["run", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "malformed TOML" in err and len(err.strip().splitlines()) == 1


def test_blow_up_stops_with_a_message_not_a_traceback():
    p = subprocess.run([sys.executable, "-m", "ganviz", "run", "ring8", "--steps", "200", "--json", *SMALL,
                        "--set", "train.loss=wgan", "--set", "train.optimizer=sgd",
                        "--set", "train.lr_d=1", "--set", "train.lr_g=1", "--set", "train.k=50"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2
    assert "diverged" in p.stderr and "Traceback" not in p.stderr
    assert "NaN" not in p.stdout and "nan" not in p.stdout


TWO_PANELS = """name = "two panels, one diverges"
steps = 40
[data]
preset = "ring8"
[model]
g_width = 16
d_width = 16
[train]
optimizer = "sgd"
batch_size = 32
[[panels]]
label = "fine"
loss = "ns"
lr_d = 0.01
[[panels]]
label = "boom"
loss = "wgan"
lr_d = 1.0
lr_g = 1.0
k = 50
"""


def test_a_run_where_one_panel_diverges_says_which_keeps_its_table_and_exits_3(capsys, tmp_path):
    path = tmp_path / "two.toml"
    path.write_text(TWO_PANELS)
    assert main(["run", str(path), "--every", "20"]) == 3
    cap = capsys.readouterr()
    rows = [line for line in cap.out.splitlines() if not line.startswith("#")]
    assert len({len(r) for r in rows}) == 1, rows              # header and rows aligned
    assert all("diverged" in r for r in rows if r.startswith("boom"))
    assert not any("nan" in r or "inf" in r for r in rows if r.startswith("fine"))
    err = cap.err.strip().splitlines()
    assert len(err) == 1 and "1 of 2 GANs diverged: boom" in err[0] and "trained to step 40" in err[0]
    assert main(["run", str(path), "--every", "20", "--json"]) == 3
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["diverged"] for r in records if r["gan"] == "boom"] == [True, True]


def test_explain_prints_the_sheets_step_as_a_hand_computation(capsys):
    v, g, new = sheet_q3_by_hand()
    assert main(["run", "kcl-q3-one-step", "--explain"]) == 0
    out = capsys.readouterr().out

    def four(x):
        return f"{x:.4f}".replace("-", "\u2212")

    assert "V(D, G) = " in out and f"= {four(v)}" in out and four(v) == "\u22122.5465"
    d_step = out.split("G step")[0]
    assert f"= {four(g[0])}" in d_step and f"= {four(g[1])}" in d_step
    assert f"= {four(new[0])}" in d_step and f"= {four(new[1])}" in d_step
    assert "D step 1 of 1" in out and "G step" in out


def test_explain_json_has_every_number_to_full_precision(capsys):
    v, g, new = sheet_q3_by_hand()
    assert main(["run", "kcl-q3-one-step", "--explain", "--json", "--steps", "2"]) == 0
    recs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["player"], r["step"]) for r in recs] == [("D", 1), ("G", 1), ("D", 2), ("G", 2)]
    first = recs[0]
    assert first["V"] == pytest.approx(v, abs=1e-12)
    assert [first["gradient"]["theta_1"], first["gradient"]["theta_2"]] == pytest.approx(g, abs=1e-12)
    assert [first["after"]["theta_1"], first["after"]["theta_2"]] == pytest.approx(new, abs=1e-12)
    # the next D step starts where the first left theta
    assert recs[2]["before"] == pytest.approx(first["after"])


def test_an_exercise_run_prints_v_and_theta_per_step(capsys):
    assert main(["run", "kcl-q3-one-step", "--steps", "3"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines() if not line.startswith("#")]
    assert rows[0][:3] == ["step", "V(D,", "G)"] and [r[0] for r in rows[1:]] == ["0", "1", "2", "3"]
    # (--explain of a scenario that trains networks: tests/cli/test_run_explain.py)
    assert main(["run", "kcl-q3-one-step", "--set", "train.lr_d=7"]) == 2
    assert capsys.readouterr().err.strip().endswith("train.lr_d: must be a number in [1e-06, 1] (got 7.0)")
