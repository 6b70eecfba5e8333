"""Scenario files: built-ins load, round trip, and every mistake names its field."""
import dataclasses

import pytest

from ganviz.core import scenario as S


def test_every_builtin_loads_and_round_trips(tmp_path):
    names = S.builtin_names()
    assert {"ring8", "goodfellow-fig1", "bilinear-methods", "dirac-gan"} <= set(names)
    for name in names:
        sc = S.load(name)
        path = tmp_path / f"{name}.toml"
        S.save(sc, path)
        assert S.load(path) == sc, name


def test_pacgan_model_keys_round_trip(tmp_path):
    text = ("[data]\npreset = 'grid25'\n[model]\ng_layers = 4\ng_width = 400\nd_layers = 3\nd_width = 200\n"
            "g_batchnorm = true\nd_maxout = 5\npack = 4\n")
    sc = S.loads(text)
    assert (sc.model.g_batchnorm, sc.model.d_maxout, sc.model.pack) == (True, 5, 4)
    S.save(sc, tmp_path / "pacgan.toml")
    assert S.load(tmp_path / "pacgan.toml") == sc
    assert S.apply_overrides(sc, ["model.pack=2"]).model.pack == 2


def test_custom_mixture_round_trip(tmp_path):
    sc = S.loads('[data]\nmeans = [[0.0, 0.0], [2.0, 1.0]]\nstds = [0.1, 0.3]\nweights = [0.7, 0.3]\n')
    mix = sc.data.mixture()
    assert mix.dim == 2 and mix.weights.tolist() == pytest.approx([0.7, 0.3])
    S.save(sc, tmp_path / "c.toml")
    assert S.load(tmp_path / "c.toml").data == sc.data


@pytest.mark.parametrize("text,field", [
    ("[train]\nloss = 'nope'\n", "train.loss"),
    ("[train]\nk = 0\n", "train.k"),
    ("[train]\nlr_d = -0.1\n", "train.lr_d"),
    ("[train]\nk = 1.5\n", "train.k"),
    ("[train]\nbogus = 1\n", "train.bogus"),
    ("[data]\nmeans = [0.0, 1.0]\nweights = [1.0, -1.0]\n", "data.weights"),
    ("[data]\nmeans = [0.0, 1.0]\nstds = [0.1]\nweights = [1.0]\n", "data.weights"),
    ("[data]\nmeans = [[0.0, 0.0], [1.0, 1.0]]\nstds = [0.1, 0.1, 0.1]\n", "data.stds"),
    ("[data]\nmeans = [[0.0, 0.0, 0.0]]\n", "data.means"),
    ("[data]\npreset = 'ring9'\n", "data.preset"),
    ("[data]\npreset = 'ring8'\nbounds = [[-3.0, 3.0]]\n", "data.bounds"),
    ("[data]\nmeans = [0.0]\nbounds = [[2.0, 1.0]]\n", "data.bounds"),
    ("[data]\nmeans = [0.0]\nbounds = [[0.0, 'x']]\n", "data.bounds"),
    ("[model]\nactivation = 'gelu'\n", "model.activation"),
    ("[model]\ng_batchnorm = 1\n", "model.g_batchnorm"),
    ("[model]\nd_maxout = 1\n", "model.d_maxout"),
    ("[model]\nd_maxout = 17\n", "model.d_maxout"),
    ("[model]\npack = 0\n", "model.pack"),
    ("[model]\npack = 9\n", "model.pack"),
    ("[model]\npack = 2.5\n", "model.pack"),
    ("[model]\npack = 2\nconditional = true\n", "model.pack"),
    ("seed = -1\n", "seed"),
    ("steps = 'many'\n", "steps"),
    ("[[panels]]\nloss = 'ns'\n[[panels]]\nbatch_size = 32\n", "panels[1].batch_size"),
    ("[game]\ngame = 'chess'\n", "game.game"),
    ("[game]\ngame = 'dirac'\nmethods = ['newton']\n", "game.methods"),
    ("[train\nk = 1\n", "malformed TOML"),
])
def test_bad_scenarios_name_the_field(text, field):
    with pytest.raises(S.ScenarioError) as e:
        S.loads(text)
    msg = str(e.value)
    assert field in msg and "\n" not in msg


def test_overrides_are_toml_values_and_validated():
    sc = S.apply_overrides(S.load("ring8"), ["train.k=5", "train.loss=hinge", "data.preset=grid25", "seed=7"])
    assert (sc.train.k, sc.train.loss, sc.data.preset, sc.seed) == (5, "hinge", "grid25", 7)
    with pytest.raises(S.ScenarioError, match="train.k"):
        S.apply_overrides(sc, ["train.k=0"])
    with pytest.raises(S.ScenarioError, match="--set"):
        S.apply_overrides(sc, ["k5"])


def test_panels_inherit_train_and_keep_labels():
    sc = S.load("compare-losses-ring8")
    settings = sc.panel_settings()
    assert len(settings) == 6 and settings[0].lr_d == sc.train.lr_d
    assert settings[5].loss == "logratio" and sc.panel_labels()[4] == "wgan-gp"
    assert dataclasses.replace(sc, panels=()).panel_settings() == [sc.train]


def test_save_is_atomic_and_refuses_missing_folders(tmp_path):
    with pytest.raises(S.ScenarioError, match="does not exist"):
        S.save(S.load("ring8"), tmp_path / "missing" / "x.toml")
    S.save(S.load("ring8"), tmp_path / "x.toml")
    assert [p.name for p in tmp_path.iterdir()] == ["x.toml"]


def test_data_bounds_set_the_box_the_views_and_metrics_cover():
    from ganviz.core.evaluate import Evaluator
    from ganviz.core.train import Trainer

    sc = S.loads("[data]\nmeans = [4.0]\nstds = [0.1]\nbounds = [[-1.0, 5.0]]\n")
    assert S.loads(S.dumps(sc)) == sc
    ev = Evaluator(Trainer(sc.data.mixture(), sc.model, sc.train), bounds=sc.data.bounds)
    assert (ev.grid.x[0], ev.grid.x[-1]) == (-1.0, 5.0)
    plain = S.loads("[data]\nmeans = [4.0]\nstds = [0.1]\n")
    assert Evaluator(Trainer(plain.data.mixture(), plain.model, plain.train)).grid.x[0] > 2.0


def test_a_folder_is_not_a_scenario_file_and_saved_files_are_readable_by_others(tmp_path):
    import os
    import stat

    with pytest.raises(S.ScenarioError, match=r"is a folder; give a scenario file"):
        S.load(tmp_path)
    old = os.umask(0o022)
    try:
        S.save(S.load("ring8"), tmp_path / "mine.toml")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "mine.toml").stat().st_mode) == 0o644
