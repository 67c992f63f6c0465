"""The training loop."""

from __future__ import annotations

import math

import pytest
import torch

from fresh_viz.models import build
from fresh_viz.signals import make_preset
from fresh_viz.train import fit, holdout_split, psnr


@pytest.fixture(scope="module")
def image():
    return make_preset("astronaut", 24)


def test_psnr_rises_on_a_small_image(image):
    model = build("siren", 2, 3, [0], width=64, depth=2)
    reports = list(fit(model, image.values, steps=300, every=100))
    assert [r.step for r in reports] == [0, 100, 200, 300]
    assert reports[-1].psnr[0] > reports[0].psnr[0] + 8
    assert reports[-1].psnr[0] > 20
    assert reports[-1].done and reports[-1].reconstruction.shape == (1, 3, 24, 24)
    assert math.isfinite(reports[-1].test_psnr[0])


def test_training_is_deterministic_for_a_seed(image):
    runs = []
    for _ in range(2):
        model = build("fourier", 2, 3, [1], width=32, depth=2, values={"sigma": 4})
        runs.append([r.psnr[0] for r in fit(model, image.values, steps=20, every=10, seed=3)])
    assert runs[0] == runs[1]


def test_ensemble_members_train_independently(image):
    pair = build("siren", 2, 3, [0, 0], width=32, depth=2, values={"omega0": [30, 60]})
    alone = build("siren", 2, 3, [0], width=32, depth=2, values={"omega0": 60})
    last_pair = list(fit(pair, image.values, steps=30, every=30))[-1]
    last_alone = list(fit(alone, image.values, steps=30, every=30))[-1]
    assert last_pair.psnr[1] == pytest.approx(last_alone.psnr[0], abs=1e-3)


def test_holdout_is_ten_percent_and_disjoint():
    train, test = holdout_split(1000, 0.1, seed=0)
    assert len(test) == 100 and len(train) == 900
    assert len(set(train.tolist()) | set(test.tolist())) == 1000
    assert torch.equal(holdout_split(1000, 0.1, seed=0)[1], test)


def test_psnr_scale():
    # An error of 0.2 on [-1, 1] is 0.1 on [0, 1]: 20 dB.
    assert psnr(torch.tensor(0.04)).item() == pytest.approx(20.0)


def test_wall_time_cap_stops_early(image):
    model = build("siren", 2, 3, [0], width=32, depth=1)
    reports = list(fit(model, image.values, steps=10_000, every=1000, max_seconds=0.0))
    assert reports[-1].stopped == "time" and reports[-1].step == 0 and reports[-1].done


def test_stopping_between_yields_leaves_the_model_usable(image):
    model = build("siren", 2, 3, [0], width=32, depth=1)
    for report in fit(model, image.values, steps=1000, every=5):
        if report.step == 10:
            break
    assert report.step == 10
    assert torch.isfinite(model(torch.zeros(1, 2))).all()


def test_chunked_gradient_equals_full_batch(image, monkeypatch):
    import fresh_viz.train as train
    from fresh_viz.tuning import Tuning

    results = []
    for chunk in (65536, 256):  # one chunk, then three
        monkeypatch.setattr(train, "tuning_for", lambda device, c=chunk: Tuning(c * 16 * 4, c * 16 * 4))
        model = build("siren", 2, 3, [0], width=16, depth=1)
        results.append(list(fit(model, image.values, steps=5, every=5))[-1].psnr[0])
    assert results[0] == pytest.approx(results[1], abs=1e-3)


def test_wall_time_cap_holds_inside_a_step(monkeypatch):
    import time

    import fresh_viz.train

    image = make_preset("astronaut", 64)
    from fresh_viz.tuning import Tuning

    # 256 points per chunk at width 16: many chunks per step
    monkeypatch.setattr(fresh_viz.train, "tuning_for", lambda device: Tuning(256 * 16 * 4, 256 * 16 * 4))
    model = build("siren", 2, 3, [0], width=16, depth=1)
    accumulate = model.accumulate_gradients
    calls = []

    def slow_chunk(points, target, scale):
        calls.append(len(points))
        time.sleep(0.05)
        return accumulate(points, target, scale)

    model.accumulate_gradients = slow_chunk
    reports = list(fit(model, image.values, steps=5, every=1, max_seconds=0.12))
    assert reports[-1].stopped == "time" and reports[-1].step == 0  # the first step was cut short and dropped
    chunks_per_step = -(-round(0.9 * image.values[0].numel()) // 256)
    assert chunks_per_step > 6 and len(calls) <= 4
