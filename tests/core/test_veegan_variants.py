"""scripts/veegan_baseline.py: TensorFlow-style initialisation, the reference code's ring, and the runs."""
import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from ganviz.core.data import distinct_modes, preset, reference_ring
from ganviz.core.metrics import mode_coverage
from ganviz.core.nets import glorot_bound, reinit_
from ganviz.core.studies import get_study, run_one
from ganviz.core.train import Trainer

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "veegan_baseline.py"


def _script():
    spec = importlib.util.spec_from_file_location("veegan_baseline", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def veegan_trainer(seed=0):
    st = get_study("veegan")
    model, train = st.settings(st.arm("gan"))
    return Trainer(preset("ring8-veegan"), model, train, seed=seed)


def gen(seed=5):
    g = torch.Generator()
    g.manual_seed(seed)
    return g


def test_xavier_gives_zero_biases_and_glorot_uniform_weights():
    tr = veegan_trainer()
    before = tr.G.flat.detach().clone()
    reinit_(tr.G, "xavier", gen())
    reinit_(tr.D, "xavier", gen(6))
    assert not torch.equal(before, tr.G.flat)
    # G: 256 -> 128 -> 128 -> 2, D: 2 -> 128 -> 128 -> 1 (plus the unused minibatch-std input, weight 0).
    for net, fans in ((tr.G, [(256, 128), (128, 128), (128, 2)]), (tr.D, [(2, 128), (128, 128), (128, 1)])):
        for (w, b), (fan_in, fan_out) in zip(net.weights(), fans):
            w, b = w.detach()[0], b.detach()[0]
            assert torch.count_nonzero(b) == 0
            a = glorot_bound(fan_in, fan_out)
            real = w[:fan_in]
            assert torch.count_nonzero(w[fan_in:]) == 0
            assert real.abs().max() <= a and real.abs().max() > 0.9 * a
            if real.numel() >= 1000:     # U(-a, a) has standard deviation a / sqrt(3)
                assert real.std().item() == pytest.approx(a / math.sqrt(3), rel=0.05)
    # A different spread from PyTorch's default U(-1/sqrt(fan_in), ...): D's first layer is narrower.
    assert glorot_bound(2, 128) < 1 / math.sqrt(2)


def test_orthogonal_init_is_orthogonal_times_gain_and_the_trainer_sees_it():
    tr = veegan_trainer()
    reinit_(tr.G, "orthogonal", gen(), gain=1.4)
    for w, b in tr.G.weights():
        w = w.detach()[0].double()
        assert torch.count_nonzero(b) == 0
        small = w.T @ w if w.shape[0] >= w.shape[1] else w @ w.T
        assert torch.allclose(small, 1.96 * torch.eye(small.shape[0], dtype=torch.float64), atol=1e-4)
    # Written in place: the fast path's 2D views and the batched views read the new weights.
    z = torch.randn(1, 64, 256, generator=gen(1))
    with torch.no_grad():
        fast = tr.G.forward_cached(z)[0]
        plain = tr.G.forward(z)
    assert torch.allclose(fast, plain, atol=1e-5)
    with pytest.raises(ValueError, match="unknown scheme"):
        reinit_(tr.G, "he", gen())


def test_reference_ring_repeats_angle_zero_and_has_seven_distinct_modes():
    ring = reference_ring(8, 1.0, 0.01)
    assert ring.n_components == 8
    assert np.allclose(np.linalg.norm(ring.means, axis=1), 1.0)
    # linspace(0, 2 pi, 8): the first and last angles coincide, at (sin 0, cos 0) = (0, 1).
    assert np.allclose(ring.means[0], [0.0, 1.0]) and np.allclose(ring.means[7], ring.means[0])
    d = np.linalg.norm(ring.means[:7, None] - ring.means[None, :7], axis=2) + np.eye(7) * 9
    assert d.min() == pytest.approx(2 * math.sin(math.pi / 7))     # 7 equally spaced modes
    seven = distinct_modes(ring)
    assert seven.n_components == 7
    assert np.allclose(seven.weights, [2 / 8] + [1 / 8] * 6)
    x = np.random.default_rng(0).normal(size=(50, 2))
    assert np.allclose(seven.log_density(x), ring.log_density(x))   # the same distribution
    assert distinct_modes(preset("ring8-veegan")).n_components == 8  # ganviz's ring: nothing to merge
    # Samples of the reference ring: 7 modes, about a quarter of them at (0, 1).
    xs, _ = ring.sample_numpy(4000, np.random.default_rng(1))
    cov = mode_coverage(xs, seven)
    assert cov.modes_captured == 7 and cov.counts[0] / cov.counts.sum() == pytest.approx(0.25, abs=0.03)


def test_a_short_run_of_each_kind_returns_finite_numbers():
    mod = _script()
    rec = mod.run_variant("xavier+ring7", seed=0, steps=20)
    assert rec["steps"] == 20 and rec["dataset"] == "ring7-reference" and rec["modes_possible"] == 7
    assert math.isfinite(rec["modes"]) and 0 <= rec["modes"] <= 7
    assert math.isfinite(rec["hq"]) and 0 <= rec["hq"] <= 1 and rec["seconds"] > 0
    # The unchanged variant is the study's own run, number for number.
    st = get_study("veegan")
    base = run_one(st, st.arm("gan"), "ring8-veegan", seed=0, steps=20)
    again = mod.run_variant("default", seed=0, steps=20)
    assert (again["modes"], again["hq"]) == (base.modes, base.hq)


@pytest.mark.parametrize("args,needle", [
    (["--variants", "xavier,he"], "--variants"),
    (["--variants", ","], "--variants"),
    (["--seeds", "0,x"], "--seeds"),
    (["--seeds", "-1"], "--seeds"),
    (["--steps", "0"], "--steps"),
    (["--steps", "many"], "--steps"),
    (["--out", "/no/such/folder/x.json"], "--out"),
    (["--frobnicate"], "frobnicate"),
])
def test_bad_options_exit_2_with_one_line(capsys, args, needle):
    assert _script().main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0]


def test_out_is_rewritten_per_run_and_keeps_other_pairs(tmp_path, capsys):
    mod = _script()
    out = tmp_path / "v.json"
    assert mod.main(["--variants", "ring7,xavier", "--seeds", "3", "--steps", "2", "--out", str(out)]) == 0
    assert mod.main(["--variants", "xavier", "--seeds", "3", "--steps", "3", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["study"] == "veegan-baseline-variants"
    assert sorted((r["variant"], r["seed"], r["steps"]) for r in data["runs"]) == [("ring7", 3, 2), ("xavier", 3, 3)]
    assert {"variant", "seed", "steps", "modes", "hq", "seconds"} <= set(data["runs"][0])
    assert [f.name for f in tmp_path.iterdir()] == ["v.json"]     # no temporary file left behind
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"study": "veegan", "runs": []}))
    assert mod.main(["--out", str(other)]) == 2 and "--out" in capsys.readouterr().err
