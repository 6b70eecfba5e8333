"""Issue 16's losses in lockstep: the six f-GAN losses and EBGAN among plain panels give the numbers of the
same GANs alone, and D's accuracy reads each one's output at its own threshold."""
import numpy as np
import torch

from ganviz.core import metrics as M
from ganviz.core.evaluate import Evaluator
from ganviz.core.losses import LOSSES
from ganviz.core.settings import TrainSettings
from tests.core.test_train import _alone_equals_lockstep, small_trainer

F_GANS = [lid for lid, l in LOSSES.items() if l.is_f_gan]


def test_f_gan_panels_in_lockstep_match_the_same_gans_alone():
    panels = [TrainSettings(batch_size=48, loss=lid) for lid in F_GANS] + [TrainSettings(batch_size=48)]
    group = small_trainer(panels)
    group.step(6)
    assert not group.diverged.any()
    for i, s in enumerate(panels):
        alone = small_trainer(s)
        alone.step(6)
        _alone_equals_lockstep(group, alone, i)
    assert not torch.allclose(group.G.flat[0], group.G.flat[1], atol=1e-5), "the losses differ"


def test_d_accuracy_of_every_new_loss_is_judged_at_its_own_threshold(monkeypatch):
    panels = [TrainSettings(batch_size=32, loss=lid) for lid in F_GANS + ["wgan"]]
    panels.append(TrainSettings(batch_size=32, loss="ebgan", margin=0.6))
    t = small_trainer(panels)
    t.step(3)
    seen = []
    stats = M.discriminator_stats

    def spy(real, fake, to_prob, threshold=0.0, real_above=True):
        seen.append((threshold, real_above))
        return stats(real, fake, to_prob, threshold, real_above)

    monkeypatch.setattr(M, "discriminator_stats", spy)
    acc = Evaluator(t).metrics()["metrics"]["d_acc"]
    assert seen == [LOSSES[s.loss].accuracy_rule(s.margin)[:2] for s in panels]
    assert seen[-1] == (0.3, False) and seen[F_GANS.index("fgan-kl")] == (1.0, True) and seen[-2] == (None, True)
    assert acc.shape == (len(panels),) and np.isfinite(acc).all()
    assert ((acc >= 0.0) & (acc <= 1.0)).all()
