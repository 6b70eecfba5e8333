"""The training process's torch threads: chosen by measurement, never more than help."""
from __future__ import annotations

import dataclasses

import pytest
import torch

from ganviz.core import scenario as S
from ganviz.engine import threads as T


def never(*_):
    raise AssertionError("no calibration was needed")


def test_candidates_leave_one_core_to_the_gui():
    assert T.candidates(1) == [1] and T.candidates(2) == [1]
    assert T.candidates(3) == [1, 2]
    assert T.candidates(8) == [1, 2, 4, 7]
    assert T.candidates(16) == [1, 2, 4, 8, 15]


def test_more_threads_must_be_clearly_faster_to_be_chosen():
    assert T.pick({1: 100.0, 2: 110.0}) == 1            # within the margin: fewer threads share better
    assert T.pick({1: 100.0, 2: 130.0}) == 2
    assert T.pick({1: 100.0, 2: 200.0, 4: 210.0}) == 2
    assert T.pick({1: 300.0, 2: 40.0}) == 1              # OpenMP threads fighting for shared cores


def test_two_cores_train_on_one_thread_without_measuring():
    choice = T.choose_threads(S.load("compare-losses-ring8"), "cpu", cpus=2, measure=never)
    assert choice.threads == 1 and not choice.rates and "2 core" in choice.why


def test_a_gpu_or_a_tiny_network_needs_no_calibration():
    assert T.choose_threads(S.load("ring8"), "cuda", cpus=16, measure=never).threads == 1
    sc = S.load("goodfellow-fig1")
    tiny = dataclasses.replace(sc, model=dataclasses.replace(sc.model, g_width=4, d_width=4, g_layers=1,
                                                             d_layers=1),
                               train=dataclasses.replace(sc.train, batch_size=8))
    choice = T.choose_threads(tiny, "cpu", cpus=16, measure=never)
    assert choice.threads == 1 and "overhead" in choice.why


def test_many_cores_measure_each_candidate_and_keep_the_fastest():
    sc = S.load("compare-losses-ring8")
    seen = []

    def measure(scenario, device, n):
        seen.append(n)
        return {1: 40.0, 2: 75.0, 4: 120.0, 7: 125.0}[n]

    choice = T.choose_threads(sc, "cpu", cpus=8, measure=measure)
    assert seen == [1, 2, 4, 7] and choice.threads == 4 and choice.rates[7] == 125.0
    assert "4 torch thread(s)" in T.describe(choice) and "7: 125" in T.describe(choice)


def test_the_real_measurement_trains_a_copy_and_restores_the_thread_count():
    before = torch.get_num_threads()
    sc = S.load("ring8")
    rate = T._steps_per_second(sc, "cpu", 1)
    assert rate > 0 and torch.get_num_threads() == before


@pytest.mark.parametrize("cpus", [2, 3])
def test_the_choice_is_within_the_machines_usable_cores(cpus):
    choice = T.choose_threads(S.load("ring8"), "cpu", cpus=cpus, measure=lambda *_: 1.0)
    assert 1 <= choice.threads <= max(1, cpus - 1)
