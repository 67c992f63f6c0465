"""Chunk sizes measured once per machine and cached."""

from __future__ import annotations

import json

import pytest
import torch

from fresh_viz import tuning
from fresh_viz.tuning import Tuning, machine_key, tuning_for


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FRESH_VIZ_CACHE", str(tmp_path))
    return tmp_path / "tuning.json"


def test_measured_once_then_read_from_the_cache(cache, monkeypatch):
    measured = []
    monkeypatch.setattr(tuning, "measure", lambda device: measured.append(device) or Tuning(2**20, 2**21))
    first = tuning_for("cpu")
    again = tuning_for("cpu")
    assert first == again == Tuning(2**20, 2**21) and len(measured) == 1
    assert json.loads(cache.read_text()) == {machine_key(torch.device("cpu")): {"sweep_bytes": 2**20,
                                                                                  "train_bytes": 2**21}}
    assert first.sweep_points(256) == 1024 and first.train_points(128) == 4096


def test_a_damaged_cache_is_measured_again(cache, monkeypatch):
    cache.write_text("{not json")
    monkeypatch.setattr(tuning, "measure", lambda device: Tuning(2**22, 2**22))
    assert tuning_for("cpu") == Tuning(2**22, 2**22)
    assert json.loads(cache.read_text())  # repaired


def test_the_key_names_what_the_best_chunk_depends_on():
    key = machine_key(torch.device("cpu"))
    assert torch.backends.cpu.get_cpu_capability() in key and torch.__version__ in key
    assert f"threads={torch.get_num_threads()}" in key


def test_measuring_picks_one_of_the_candidates(monkeypatch):
    monkeypatch.setattr(tuning, "CPU_ROWS", (512, 1024))
    measured = tuning.measure(torch.device("cpu"))
    assert measured.sweep_bytes // (256 * 4) in (512, 1024) and measured.train_bytes // (256 * 4) in (512, 1024)


def test_a_slow_spell_does_not_decide_the_chunk():
    """Runs of each candidate are spread over the measurement, so a few slow consecutive calls
    (a neighbour on a shared host) cannot cost the fastest candidate all its runs."""
    import time

    from fresh_viz.tuning import _fastest

    calls = []

    def run(chunk: int) -> None:
        calls.append(chunk)
        spell = 0.02 if len(calls) in (2, 3) else 0.0  # the two calls after the warm-up
        time.sleep(chunk * 0.002 + spell)

    assert _fastest(run, (1, 2, 3), torch.device("cpu")) == 1
