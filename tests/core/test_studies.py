"""The VEEGAN / PacGAN studies (core.studies): their protocols, runs and summaries.

The `ganviz study` command and the README table it feeds: tests/cli/test_study.py."""
import dataclasses

import numpy as np
import pytest

from ganviz.core.data import preset
from ganviz.core.metrics import mode_coverage
from ganviz.core.studies import STUDIES, get_study, run_one, summarise
from ganviz.core.settings import validate_model, validate_train


@pytest.mark.parametrize("sid", list(STUDIES))
def test_every_arm_is_a_valid_setting_with_published_numbers_for_every_dataset(sid):
    st = get_study(sid)
    assert st.runs >= 5 and st.samples == 2500
    for arm in st.arms:
        model, train = st.settings(arm)
        validate_model(model)
        validate_train(train)
        assert set(arm.published) == set(st.datasets)
        for ds, p in arm.published.items():
            assert 0 < p.modes <= preset(ds).n_components and 0 <= p.hq <= 100


def test_the_studies_ring_has_eight_distinct_modes_of_radius_one():
    # The warning: angles on linspace(0, 2 pi, 8) repeat one mode.
    mix = preset("ring8-veegan")
    d = np.linalg.norm(mix.means[:, None] - mix.means[None], axis=2) + np.eye(8) * 9
    assert np.allclose(np.linalg.norm(mix.means, axis=1), 1.0) and d.min() > 0.7
    assert np.allclose(np.sqrt(np.diagonal(mix.covs, axis1=1, axis2=2)), 0.01)


def test_veegan_and_pacgan_follow_their_papers():
    v, p = get_study("veegan"), get_study("pacgan")
    assert (v.model.latent_dim, v.model.g_width, v.model.g_layers, v.model.activation) == (256, 128, 2, "tanh")
    assert (v.train.lr_d, v.train.lr_g, v.train.beta1, v.train.batch_size, v.steps) == (1e-4, 1e-3, 0.5, 512, 25_000)
    assert (p.model.latent_dim, p.model.g_width, p.model.g_layers, p.model.d_width, p.model.d_layers) == \
        (2, 400, 4, 200, 3)
    assert p.model.g_batchnorm and p.model.d_maxout == 5 and p.model.init_std == 0.02 and (p.train.lr_g, p.train.beta1, p.train.batch_size) == \
        (1e-4, 0.8, 100)
    assert [p.settings(a)[0].pack for a in p.arms] == [1, 2, 3, 4]


def small(study_id="veegan"):
    st = get_study(study_id)
    return dataclasses.replace(st, model=dataclasses.replace(st.model, latent_dim=4, g_width=16, d_width=16),
                               train=dataclasses.replace(st.train, batch_size=64))


def test_a_run_is_deterministic_and_measures_its_generator():
    st = small()
    # trimodal1d: a barely trained G already puts high-quality samples on it.
    a = run_one(st, st.arms[0], "trimodal1d", seed=3, steps=100)
    b = run_one(st, st.arms[0], "trimodal1d", seed=3, steps=100)
    c = run_one(st, st.arms[0], "trimodal1d", seed=4, steps=100)
    assert a.hq > 0 and (a.modes, a.hq, a.rev_kl) == (b.modes, b.hq, b.rev_kl)
    assert a.hq != c.hq
    assert a.steps == 100 and not a.diverged and 0 < a.modes <= 3 and a.hq <= 1


def test_summaries_use_the_papers_spread():
    assert summarise([1.0, 3.0], "std") == (2.0, pytest.approx(np.sqrt(2)))
    assert summarise([1.0, 3.0], "se") == (2.0, pytest.approx(1.0))
    assert summarise([float("nan"), 5.0], "se") == (5.0, 0.0)
    assert summarise([], "se") == (None, None)


def test_mode_coverage_of_a_run_matches_the_metric_on_the_same_samples():
    import torch

    from ganviz.core.studies import EVAL_SEED_OFFSET
    from ganviz.core.train import Trainer

    st = small()
    r = run_one(st, st.arms[0], "grid25", seed=1, steps=0)
    model, train = st.settings(st.arms[0])
    tr = Trainer(preset("grid25"), model, train, seed=1)
    gen = torch.Generator()
    gen.manual_seed(1 + EVAL_SEED_OFFSET)
    x = tr.generate(tr.sample_z(2500, gen))[0].detach().numpy().astype(np.float64)
    cov = mode_coverage(x, preset("grid25"))
    assert (r.modes, r.hq) == (cov.modes_captured, cov.hq_frac)



@pytest.mark.parametrize("study_id,init", [("veegan", None), ("veegan", "orthogonal"), ("pacgan", None)])
def test_runs_in_lockstep_give_the_numbers_of_the_runs_alone(study_id, init):
    from ganviz.core.studies import run_many

    st = small(study_id)
    arm = st.arms[1]            # unrolled VEEGAN; PacGAN2 (packing, batch norm, maxout)
    seeds = [3, 8, 5]
    together = run_many(st, arm, "trimodal1d", seeds, steps=60, init=init)
    assert [r.seed for r in together] == seeds
    for r in together:
        alone = run_one(st, arm, "trimodal1d", seed=r.seed, steps=60, init=init)
        assert (r.steps, r.diverged, r.modes) == (alone.steps, alone.diverged, alone.modes)
        # The same samples to float rounding: at most one of 2,500 may fall on the other side of 3 std.
        assert abs(r.hq - alone.hq) <= 1 / 2500 and r.rev_kl == pytest.approx(alone.rev_kl, abs=1e-3)
    if study_id == "veegan":      # (60 iterations of the small PacGAN put every run on one mode alike)
        assert len({(r.hq, r.rev_kl) for r in together}) > 1      # different runs
