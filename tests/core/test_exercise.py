"""The exercise model (KCL tutorial 6, Q3): its numbers against a hand computation written out here in plain
Python, its gradients against finite differences, its SGD against the optimizer registry's, its scenario
table's checks."""
from __future__ import annotations

import math

import pytest

from ganviz.core import scenario as S
from ganviz.core.exercise import Exercise, format_report

REAL = [(1.0, 2.0), (3.0, 4.0)]
FAKE = [(5.0, 6.0), (7.0, 8.0)]
THETA = (0.1, 0.2)
ETA = 0.02


def hand_d(theta, x):
    """The sheet's D(x) = 1 / (1 + exp(-(theta_1 x_1 - theta_2 x_2 - 2)))."""
    return 1.0 / (1.0 + math.exp(-(theta[0] * x[0] - theta[1] * x[1] - 2.0)))


def hand_value(theta):
    return (sum(math.log(hand_d(theta, x)) for x in REAL) / len(REAL)
            + sum(math.log(1.0 - hand_d(theta, x)) for x in FAKE) / len(FAKE))


def hand_gradient(theta):
    """dV/dtheta by the chain rule: d ln D / du = 1 - D, d ln(1 - D) / du = -D, du/dtheta_1 = x_1 and
    du/dtheta_2 = -x_2 (the minus of the sheet's form)."""
    m = len(REAL)
    g1 = (sum((1 - hand_d(theta, x)) * x[0] for x in REAL) - sum(hand_d(theta, x) * x[0] for x in FAKE)) / m
    g2 = (sum((1 - hand_d(theta, x)) * -x[1] for x in REAL) - sum(hand_d(theta, x) * -x[1] for x in FAKE)) / m
    return g1, g2


def test_the_sheets_value_gradient_and_update_match_a_hand_computation():
    ex = Exercise.from_table(S.load("kcl-q3-one-step").exercise)
    assert ex.value() == pytest.approx(hand_value(THETA), abs=1e-12)
    assert round(hand_value(THETA), 4) == -2.5465
    g = hand_gradient(THETA)
    report = ex.step_d()
    assert report.value == pytest.approx(hand_value(THETA), abs=1e-12)
    assert [gr.value for gr in report.gradients] == pytest.approx(g, abs=1e-12)
    new = (THETA[0] + ETA * g[0], THETA[1] + ETA * g[1])
    assert [u.after for u in report.updates] == pytest.approx(new, abs=1e-12)
    assert ex.theta.tolist() == pytest.approx(new, abs=1e-12)
    # theta_2 falls: the real points' larger x_2 pulls its gradient negative through the minus sign.
    assert g[1] < 0 and new[1] < THETA[1]
    # each sample's D(x) and log-term
    assert [s.d for s in report.samples] == pytest.approx([hand_d(THETA, x) for x in REAL + FAKE], abs=1e-12)
    assert [s.term for s in report.samples] == pytest.approx(
        [math.log(hand_d(THETA, x)) for x in REAL] + [math.log(1 - hand_d(THETA, x)) for x in FAKE], abs=1e-12)


def test_the_printed_step_carries_the_hand_computations_numbers():
    text = format_report(Exercise.from_table({}).step_d())
    g = hand_gradient(THETA)

    def four(x):
        return f"{x:.4f}".replace("-", "\u2212")

    assert f"= {four(hand_value(THETA))}" in text and "\u22122.5465" in text
    assert f"= {four(g[0])}" in text and f"= {four(g[1])}" in text
    assert f"\u03b8\u2081 \u2190 0.1000 + 0.02 \u00d7 {four(g[0])} = {four(THETA[0] + ETA * g[0])}" in text
    assert f"= {four(THETA[1] + ETA * g[1])}" in text
    # the formula with the numbers put in: D of the first real point and the first fake's coordinate
    assert f"(1 \u2212 {four(hand_d(THETA, REAL[0]))})(1)" in text
    assert f"({four(hand_d(THETA, FAKE[0]))})(\u22126)" in text


def _numeric_grad(f, x, h=1e-6):
    return [(f(x[:i] + [x[i] + h] + x[i + 1:]) - f(x[:i] + [x[i] - h] + x[i + 1:])) / (2 * h) for i in range(len(x))]


@pytest.mark.parametrize("loss", ["minimax", "ns", "logratio", "ml"])
def test_gradients_match_finite_differences_for_every_loss_and_a_learnt_bias(loss):
    table = {"points": [[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]], "fake_points": [[2.0, 1.0, 0.0], [-1.0, 0.5, 1.0],
                                                                            [0.0, 0.0, 3.0]],
             "theta": [0.3, -0.2, 0.4], "signs": [1, -1, 1], "bias": 0.5, "learn_bias": True, "loss": loss}
    ex = Exercise.from_table(table)

    def value(params):
        e = Exercise.from_table({**table, "theta": params[:3], "bias": params[3]})
        return e.value()

    want = _numeric_grad(value, [0.3, -0.2, 0.4, 0.5])
    assert ex.grad_d().tolist() == pytest.approx(want, abs=1e-6)

    def g_loss(flat):
        e = Exercise.from_table({**table, "fake_points": [flat[0:3], flat[3:6], flat[6:9]]})
        return e.g_loss()

    flat = [v for p in table["fake_points"] for v in p]
    assert ex.grad_g().ravel().tolist() == pytest.approx(_numeric_grad(g_loss, flat), abs=1e-6)
    before = ex.g_loss()
    ex.step_g()
    assert ex.g_loss() < before            # a small step down G's own loss lowers it


def test_the_update_is_the_optimizer_registrys_sgd():
    torch = pytest.importorskip("torch")
    from ganviz.core.optim import OPTIMIZERS

    ex = Exercise.from_table({})
    grad_v = ex.grad_d()[:2]
    p = torch.tensor([list(THETA)], dtype=torch.float64)
    want, _ = OPTIMIZERS["sgd"].update(p, -torch.tensor([grad_v.tolist()], dtype=torch.float64), {},
                                       {"lr": ETA})
    ex.step_d()
    assert ex.theta.tolist() == pytest.approx(want[0].tolist(), abs=1e-15)


def test_k_d_steps_then_g_and_a_frozen_g_leaves_the_fakes():
    ex = Exercise.from_table({"k": 2, "freeze_g": True})
    assert [ex.next_player() for _ in range(1)] == ["D"]
    reports = ex.iterate()
    assert [(r.player, r.index) for r in reports] == [("D", 1), ("D", 2), ("G", 1)]
    assert reports[-1].frozen and not reports[-1].updates
    assert ex.fake.tolist() == [list(p) for p in FAKE]
    assert ex.iteration == 1 and ex.next_player() == "D"
    moved = Exercise.from_table({})
    moved.iterate()
    assert moved.fake.tolist() != [list(p) for p in FAKE]


SHEET = """view = "exercise"
[data]
points = [[1, 2], [3, 4]]
[model]
generator = "points"
fake_points = [[5, 6], [7, 8]]
discriminator = "linear-logistic"
theta = [0.1, 0.2]
signs = [1, -1]
bias = -2.0
[train]
loss = "minimax"
optimizer = "sgd"
lr_d = 0.02
lr_g = 0.02
"""


def sheet_with(line: str, table: str, drop: str = "") -> str:
    """The sheet's scenario with `line` added to its `table` (and the line starting with `drop` taken out)."""
    lines = [x for x in SHEET.splitlines() if not (drop and x.startswith(drop))]
    at = lines.index(f"[{table}]") + 1
    return "\n".join(lines[:at] + ([line] if line else []) + lines[at:]) + "\n"


def test_the_built_in_sheet_is_written_in_the_general_tables():
    sc = S.load("kcl-q3-one-step")
    assert sc.data.points == [[1, 2], [3, 4]] and sc.data.preset is None
    assert sc.small_model["generator"] == "points" and sc.small_model["discriminator"] == "linear-logistic"
    assert sc.train.optimizer == "sgd" and sc.train.lr_d == 0.02 and sc.train.loss == "minimax"
    assert sc.exercise == S.loads(SHEET).exercise
    assert sc.dim == 2 and sc.data.mixture().n_components == 2     # the app's data table shows the points


@pytest.mark.parametrize("line,table,drop,field", [
    ("k = 0", "train", "", "train.k"),
    ("lr_d = 5.0", "train", "lr_d", "train.lr_d"),
    ("", "data", "points", "data.points"),
    ("points = [[1, 2], [3]]", "data", "points", "data.points"),
    ("points = [[1, 2, 3], [4, 5, 6]]", "data", "points", "model.fake_points"),   # 2D fakes
    ('preset = "ring8"', "data", "", "data.preset"),
    ("means = [[0, 0]]", "data", "", "data.means"),
    ("fake_points = [[1, 2, 3]]", "model", "fake_points", "model.fake_points"),
    ("", "model", "fake_points", "model.fake_points"),
    ("theta = [0.1]", "model", "theta", "model.theta"),
    ("", "model", "theta", "model.theta"),
    ("signs = [1, 2]", "model", "signs", "model.signs"),
    ('generator = "mlp"', "model", "generator", "model.generator"),
    ('generator = "network"', "model", "generator", "model.fake_points"),        # fakes need a G of points
    ('discriminator = "network"', "model", "discriminator", "model.theta"),     # theta the linear D
    ("bias = true", "model", "bias", "model.bias"),
    ("g_layers = 3", "model", "", "model.g_layers"),
    ("colour = 1", "model", "", "model.colour"),
    ("loss = 'wgan'", "train", "loss", "train.loss"),
    ("loss = 'ls'", "train", "loss", "train.loss"),
    ("optimizer = 'adam'", "train", "optimizer", "train.optimizer"),
    ("", "train", "optimizer", "train.optimizer"),          # the default, Adam, is named as the field to set
    ("batch_size = 2", "train", "", "train.batch_size"),
    ("gp = 1.0", "train", "", "train.gp"),
    ("g_steps = 2", "train", "", "train.g_steps"),
])
def test_a_bad_exercise_scenario_names_its_field_in_one_sentence(line, table, drop, field):
    with pytest.raises(S.ScenarioError) as e:
        S.loads(sheet_with(line, table, drop))
    msg = str(e.value)
    assert msg.startswith(field + ":") and "\n" not in msg


@pytest.mark.parametrize("text,field", [
    ('[data]\npoints = [[1, 2]]\n', "data.points"),                                  # not view = "exercise"
    ('[model]\ndiscriminator = "linear-logistic"\ntheta = [1, 2]\n', "model.discriminator"),
    ('[model]\ngenerator = "points"\nfake_points = [[1, 2]]\n', "model.generator"),
    ('[model]\ntheta = [1, 2]\n', "model.theta"),                                   # without the linear D
    ('[model]\nfake_points = [[1, 2]]\n', "model.fake_points"),
    ('view = "exercise"\n[exercise]\nk = 2\n', "exercise"),                         # the table of before
])
def test_the_exercise_models_fields_outside_an_exercise_scenario_are_refused_in_one_sentence(text, field):
    with pytest.raises(S.ScenarioError) as e:
        S.loads(text)
    msg = str(e.value)
    assert msg.startswith(field + ":") and "\n" not in msg
    if field == "exercise":
        assert "[data] points" in msg and "fake_points" in msg and "[train]" in msg


def test_points_have_one_or_two_coordinates_as_every_data_set():
    text = SHEET.replace("[[1, 2], [3, 4]]", "[[1, 2, 0], [3, 4, 0]]").replace("[[5, 6], [7, 8]]", "[[5, 6, 0]]")
    text = text.replace("[0.1, 0.2]", "[0.1, 0.2, 0.3]").replace("[1, -1]", "[1, -1, 1]")
    with pytest.raises(S.ScenarioError, match=r"^data\.points: each point needs 1 or 2 coordinates"):
        S.loads(text)


def test_a_network_scenario_reads_no_exercise_fields():
    sc = S.load("ring8")
    assert sc.small_model == {} and sc.exercise == {} and sc.data.points is None
    assert "points" not in S.dumps(sc) and "discriminator" not in S.dumps(sc)


def test_an_exercise_scenario_round_trips_and_takes_overrides(tmp_path):
    text = sheet_with("k = 2", "train").replace("points = [[1, 2], [3, 4]]", "points = [[1], [2]]")
    text = text.replace("fake_points = [[5, 6], [7, 8]]", "fake_points = [[3]]").replace(
        "theta = [0.1, 0.2]", "theta = [0.5]").replace("signs = [1, -1]", "signs = [-1]")
    sc = S.loads(text + "[model]\n" if False else text)
    assert sc.exercise["k"] == 2 and sc.exercise["bias"] == -2.0 and sc.dim == 1
    S.save(sc, tmp_path / "e.toml")
    assert S.load(tmp_path / "e.toml") == sc
    assert S.apply_overrides(sc, ["train.lr_d=0.1"]).exercise["lr_d"] == 0.1
    frozen = S.apply_overrides(sc, ["train.freeze_g=true"])
    assert Exercise.from_scenario(frozen).step_g().frozen
    # signs default to all 1
    assert S.loads(sheet_with("", "model", "signs")).exercise["signs"] == [1.0, 1.0]
