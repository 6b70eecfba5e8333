"""Steps per second of ganviz's trainer against the plain tutorial loop, measured side by side (`ganviz bench`).

The tutorial loop is the one a PyTorch GAN tutorial writes: nn.Sequential MLPs with ReLU,
batch 256, Adam, BCEWithLogitsLoss with target tensors, separate D passes on
real and fake, a fresh G forward for the G step. Both train the same model on
the same data (ring8) with the non-saturating loss and k = 1.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import torch
from torch import nn

from ganviz.core.data import preset
from ganviz.core.sampling import torch_sampler
from ganviz.core.settings import ModelSettings, TrainSettings
from ganviz.core.train import Trainer

BATCH = 256
LR = 1e-3


def _mlp(i: int, h: int, o: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(i, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, o))


class TutorialGAN:
    def __init__(self, hidden: int, device: torch.device, seed: int = 0):
        torch.manual_seed(seed)
        self.device = device
        self.G = _mlp(2, hidden, 2).to(device)
        self.D = _mlp(2, hidden, 1).to(device)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=LR, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=LR, betas=(0.5, 0.999))
        self.bce = nn.BCEWithLogitsLoss()
        self.sampler = torch_sampler(preset("ring8"), device)
        self.gen = torch.Generator(device=device)
        self.gen.manual_seed(seed)
        self.ones = torch.ones(BATCH, 1, device=device)
        self.zeros = torch.zeros(BATCH, 1, device=device)

    def step(self) -> None:
        real, _ = self.sampler.sample(BATCH, self.gen)
        z = torch.randn(BATCH, 2, device=self.device, generator=self.gen)
        fake = self.G(z).detach()
        d_loss = self.bce(self.D(real), self.ones) + self.bce(self.D(fake), self.zeros)
        self.opt_d.zero_grad()
        d_loss.backward()
        self.opt_d.step()
        z = torch.randn(BATCH, 2, device=self.device, generator=self.gen)
        g_loss = self.bce(self.D(self.G(z)), self.ones)
        self.opt_g.zero_grad()
        g_loss.backward()
        self.opt_g.step()


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def bench_clock(device: torch.device, threads: tuple[int, int]):
    """CPU time of this thread when all the work runs in it (CPU device, one torch thread): then other
    processes on the machine do not disturb the figures. Wall-clock time otherwise."""
    if device.type == "cpu" and threads == (1, 1):
        return time.thread_time
    return time.perf_counter


def _compare(step_a, step_b, seconds: float, device: torch.device,
             threads: tuple[int, int] = (0, 0)) -> tuple[float, float]:
    """Steps per second of two step functions, measured in alternating slices.

    Alternating short slices (about 0.2 s each) and taking the median rate of each
    side makes the ratio robust to other load on the machine, which a long run of
    one side after the other is not. threads: torch intra-op threads for each side
    (0: leave as it is).
    """
    clock = bench_clock(device, threads)
    for fn in (step_a, step_b):
        for _ in range(20):
            fn()
    _sync(device)
    rates: tuple[list, list] = ([], [])
    end = time.perf_counter() + 2 * seconds
    while time.perf_counter() < end or len(rates[0]) < 3:
        for fn, out, nt in ((step_a, rates[0], threads[0]), (step_b, rates[1], threads[1])):
            if nt:
                torch.set_num_threads(nt)
            n, t0 = 0, clock()
            while True:
                for _ in range(5):
                    fn()
                n += 5
                _sync(device)
                dt = clock() - t0
                if dt >= 0.2:
                    out.append(n / dt)
                    break
    return float(statistics.median(rates[0])), float(statistics.median(rates[1]))


@dataclass
class BenchRow:
    case: str
    ganviz: float     # GAN-steps per second
    tutorial: float

    @property
    def ratio(self) -> float:
        return self.ganviz / self.tutorial


def engine_trainer(hidden: int, m: int, device: torch.device) -> Trainer:
    model = ModelSettings(latent_dim=2, g_width=hidden, d_width=hidden, g_layers=2, d_layers=2, activation="relu")
    settings = [TrainSettings(loss="ns", lr_d=LR, lr_g=LR, batch_size=BATCH) for _ in range(m)]
    return Trainer(preset("ring8"), model, settings, seed=0, device=device)


def run_bench(device: torch.device, seconds: float = 3.0, report=print,
              threads: tuple[int, int] = (0, 0)) -> list[BenchRow]:
    """threads: torch intra-op threads for (ganviz, tutorial); 0 leaves the current setting."""
    rows = []
    for hidden in (32, 128):
        tr = engine_trainer(hidden, 1, device)
        tut = TutorialGAN(hidden, device)
        rows.append(BenchRow(f"M=1, H={hidden}", *_compare(tr.step, tut.step, seconds, device, threads)))
        report(rows[-1])
    m = 6
    for hidden in (32, 128):
        tr = engine_trainer(hidden, m, device)
        tuts = [TutorialGAN(hidden, device, seed=i) for i in range(m)]

        def six_sequential(tuts=tuts) -> None:
            for t in tuts:
                t.step()

        # Both sides counted in GAN-steps: one lockstep step advances 6 GANs, as does one pass of the 6 loops.
        a, b = _compare(tr.step, six_sequential, seconds, device, threads)
        rows.append(BenchRow(f"M={m} lockstep vs {m} sequential, H={hidden}", m * a, m * b))
        report(rows[-1])
    return rows
