"""`study`: FreSh's pick against the trained outcome, checked against an independent training loop;
the speed-up and the rank correlation as pure functions; sharded runs, resume and merge of study lines."""

from __future__ import annotations

import csv
import json
import random
import statistics
from pathlib import Path

import pytest
from scipy.stats import spearmanr

from fresh_viz.__main__ import main
from fresh_viz.fresh import select_embedding
from fresh_viz.models import build
from fresh_viz.signals import make_preset
from fresh_viz.study import report_interval, run_study, spearman, speedup, study_table
from fresh_viz.train import fit

# Tiny but telling: SIREN learns blobs at lr 1e-3 fast enough that the values end up dB apart.
VALUES, BUDGETS, SEED, LR = [10.0, 60.0, 90.0], [10, 30], 3, 1e-3  # the default, 30, is off the grid
QUICK = ["--model", "siren", "--values", "10,30,90", "--seeds", "2", "--bins", "16", "--size", "16", "--width", "16",
         "--depth", "1", "--budgets", "5,10", "--lr", "1e-3"]
PRESETS = "preset:[bs]*"  # blobs, siemens, sines: two images and an audio clip
BUDGET_KEYS = {"steps", "train_psnr", "test_psnr", "default", "best", "regret", "gain", "spearman", "speedup"}


@pytest.fixture(scope="module")
def blobs():
    return make_preset("blobs", 24)


@pytest.fixture(scope="module")
def studied(blobs):
    """Every record run_study yields, and the progress it reported."""
    told: list[tuple[float, str]] = []
    records = list(run_study(blobs, "siren", BUDGETS, values=VALUES, seeds=2, width=16, depth=1, seed=SEED, lr=LR,
                             progress=lambda f, m: told.append((f, m))))
    return records, told


def alone(signal, value: float, steps: int, every: int) -> dict[int, tuple[float, float]]:
    """SIREN with omega0 = value trained on its own with `fit`: {step: (trained PSNR, held-out PSNR)}."""
    model = build("siren", signal.ndim, signal.channels, [SEED], 16, 1, {"omega0": value}, shape=signal.spatial_shape)
    return {r.step: (r.train_psnr[0], r.test_psnr[0]) for r in fit(model, signal.values, steps, LR, every, seed=SEED)}


def test_the_study_agrees_with_each_value_trained_alone(blobs, studied):
    record = studied[0][-1]
    assert record["values"] == VALUES and record["default"] == 30.0
    assert record["pick"] == select_embedding(blobs, "siren", VALUES, seeds=2, width=16, depth=1).best
    last = record["budgets"][-1]
    trained = {v: alone(blobs, v, BUDGETS[-1], record["every"])
               for v in {record["pick"], last["best"]["trained"], last["best"]["held_out"], 30.0}}
    assert max(last["train_psnr"]) - min(last["train_psnr"]) > 1.0  # a mix-up of values would show
    for entry in record["budgets"]:
        psnr = {v: trained[v][entry["steps"]] for v in trained}
        for v in set(trained) - {30.0}:
            i = VALUES.index(v)
            assert entry["train_psnr"][i] == pytest.approx(psnr[v][0], abs=0.3)
            assert entry["test_psnr"][i] == pytest.approx(psnr[v][1], abs=0.3)
        default = entry["default"]
        assert (default["value"], default["train_psnr"], default["test_psnr"]) == \
            (30.0, pytest.approx(psnr[30.0][0], abs=0.3), pytest.approx(psnr[30.0][1], abs=0.3))
        pick = psnr[record["pick"]]
        best_trained, best_held = psnr[entry["best"]["trained"]], psnr[entry["best"]["held_out"]]
        assert entry["regret"]["trained"] == pytest.approx(best_trained[0] - pick[0], abs=0.3)
        assert entry["regret"]["held_out"] == pytest.approx(best_held[1] - pick[1], abs=0.3)
        assert entry["gain"]["trained"] == pytest.approx(pick[0] - psnr[30.0][0], abs=0.3)
        assert entry["gain"]["held_out"] == pytest.approx(pick[1] - psnr[30.0][1], abs=0.3)


def test_one_record_per_budget_as_training_goes_and_progress_to_the_end(studied):
    records, told = studied
    assert [[b["steps"] for b in r["budgets"]] for r in records] == [[10], [10, 30]]
    assert records[0]["budgets"][0] == records[1]["budgets"][0] and records[1]["steps"] == 30
    fractions = [f for f, _ in told]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and 0 < fractions[0] < 0.1
    assert told[-1][1].startswith("4 values trained together")  # the grid, and the default off it


def test_every_budget_gets_a_report_and_the_resolution_is_about_a_hundredth():
    assert report_interval([100, 300, 1000]) == 10
    assert report_interval([10, 30]) == 1
    assert report_interval([200, 1000]) == 10
    assert report_interval([250, 5000]) == 50
    assert report_interval([7, 1000]) == 1


def test_speedup_on_a_constructed_curve():
    steps = list(range(0, 101, 10))  # the report at step 0 (untrained) never counts
    curve = [20.0, 10.0, 12.0, 14.0, 16.0, 18.0, 20.0, 22.0, 24.0, 26.0, 28.0]
    assert speedup(steps, curve, 16.0, 100) == {"target_psnr": 16.0, "steps": 40, "factor": 2.5}
    assert speedup(steps, curve, 15.0, 100) == {"target_psnr": 15.0, "steps": 40, "factor": 2.5}  # first above
    assert speedup(steps, curve, 28.0, 100) == {"target_psnr": 28.0, "steps": 100, "factor": 1.0}
    assert speedup(steps, curve, 16.0, 30) == {"target_psnr": 16.0, "steps": None, "factor": None}  # not by then
    assert speedup(steps, curve, 28.5, 100) == {"target_psnr": 28.5, "steps": None, "factor": None}


def test_the_study_speedup_is_the_picks_curve_against_the_defaults_psnr(studied):
    record = studied[0][-1]
    curve = record["curve"]
    assert curve["steps"] == list(range(1, BUDGETS[-1] + 1)) and record["every"] == 1
    for entry in record["budgets"]:
        target = entry["default"]["train_psnr"]
        assert entry["speedup"] == speedup(curve["steps"], curve["pick"], target, entry["steps"])
        assert curve["default"][curve["steps"].index(entry["steps"])] == target
    assert record["speedup"] == record["budgets"][-1]["speedup"]
    assert record["speedup"]["factor"] > 1  # here FreSh's low omega0 outpaces the default's


def test_spearman_matches_scipy_with_ties():
    rng = random.Random(0)
    for n in (2, 3, 5, 20):
        for _ in range(20):
            a = [rng.choice([0.5, 1.0, 2.0, 3.0]) for _ in range(n)]
            b = [rng.choice([1.0, 2.0, 3.0]) if rng.random() < 0.5 else rng.random() for _ in range(n)]
            if len(set(a)) == 1 or len(set(b)) == 1:  # undefined (SciPy: nan and a warning)
                assert spearman(a, b) is None
            else:
                assert spearman(a, b) == pytest.approx(spearmanr(a, b).statistic, abs=1e-12)
    assert spearman([1.0], [2.0]) is None
    assert spearman([3.0, 1.0, 2.0], [30.0, 10.0, 20.0]) == pytest.approx(1.0)


def test_the_records_correlation_is_mean_w_against_psnr(studied):
    record = studied[0][-1]
    for entry in record["budgets"]:
        for side, psnr in (("trained", entry["train_psnr"]), ("held_out", entry["test_psnr"])):
            assert entry["spearman"][side] == pytest.approx(spearmanr(record["distance"], psnr).statistic)


def test_a_time_cap_keeps_the_budgets_reached_and_an_on_grid_default_trains_once(blobs):
    told: list[str] = []
    record = list(run_study(blobs, "fourier", [2, 10**6], values=[1.0, 5.0], seeds=1, width=16, depth=1,
                            max_seconds=3, progress=lambda f, m: told.append(m)))[-1]
    assert record["stopped"] and [b["steps"] for b in record["budgets"]] == [2]
    assert 2 <= record["steps"] < 10**6 and record["speedup"] == record["budgets"][0]["speedup"]
    assert record["default"] == 1.0 and told[-1].startswith("2 values trained together")


# The command line ----------------------------------------------------------------------------------------------

def run_json(capsys, argv) -> dict:
    assert main(argv) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def lines_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_json_has_every_field_and_trains_an_on_grid_default_once(capsys):
    out = run_json(capsys, ["study", "preset:blobs", *QUICK, "--rule", "crop16,within-1se", "--json"])
    assert {"signal", "model", "param", "values", "distance", "stderr", "pick", "default", "budgets",
            "speedup", "rules"} <= set(out)
    assert (out["signal"], out["model"], out["param"], out["default"]) == ("preset:blobs", "siren", "omega0", 30.0)
    assert set(out["rules"]) == {"crop16", "within-1se"} and set(out["speedup"]) == {"target_psnr", "steps", "factor"}
    assert [b["steps"] for b in out["budgets"]] == [5, 10]
    for entry in out["budgets"]:
        assert BUDGET_KEYS | {"rules"} == set(entry)
        assert len(entry["train_psnr"]) == len(entry["test_psnr"]) == len(out["values"]) == 3
        assert set(entry["default"]) == {"value", "train_psnr", "test_psnr"}
        i = out["values"].index(30.0)  # the default sits on the grid: its numbers are the grid's
        assert (entry["default"]["train_psnr"], entry["default"]["test_psnr"]) == \
            (entry["train_psnr"][i], entry["test_psnr"][i])
        for part in ("best", "regret", "gain", "spearman"):
            assert set(entry[part]) == {"trained", "held_out"}
        for name, rule in entry["rules"].items():
            assert rule["pick"] == out["rules"][name] and set(rule) == {"pick", "regret", "gain"}
    assert main(["study", "preset:blobs", *QUICK]) == 0
    text = capsys.readouterr().out
    assert "FreSh picks omega0" in text and "regret (dB)" in text and len(text.splitlines()) >= 6


def test_shards_are_disjoint_complete_and_equal_one_process(tmp_path, capsys, monkeypatch):
    one = run_json(capsys, ["study", PRESETS, "--out", str(tmp_path / "one.jsonl"), *QUICK, "--json"])
    assert (one["done"], one["errors"], one["task_id"], one["num_tasks"]) == (3, 0, 0, 1)
    run_json(capsys, ["study", PRESETS, "--out", str(tmp_path / "shard-0.jsonl"), "--task-id", "0",
                      "--num-tasks", "2", *QUICK, "--json"])
    monkeypatch.setenv("SLURM_ARRAY_TASK_ID", "1")  # the second shard from the Slurm variables
    monkeypatch.setenv("SLURM_ARRAY_TASK_COUNT", "2")
    second = run_json(capsys, ["study", PRESETS, "--out", str(tmp_path / "shard-1.jsonl"), *QUICK, "--json"])
    assert second["task_id"] == 1
    shards = [lines_of(tmp_path / f"shard-{k}.jsonl") for k in range(2)]
    signals = [r["signal"] for part in shards for r in part]
    assert len(signals) == len(set(signals)) == 3 and [len(p) for p in shards] == [2, 1]
    single = {r["signal"]: r for r in lines_of(tmp_path / "one.jsonl")}
    assert set(single) == set(signals) == {"preset:blobs", "preset:siemens", "preset:sines"}
    for record in sum(shards, []):
        mine = single[record["signal"]]
        assert record["command"] == "study" and record["pick"] == mine["pick"]
        for ours, theirs in zip(record["budgets"], mine["budgets"]):
            assert ours["train_psnr"] == pytest.approx(theirs["train_psnr"], abs=1e-3)


def test_a_rerun_skips_what_is_there_and_redoes_a_torn_line(tmp_path, capsys):
    out = tmp_path / "r.jsonl"
    select_line = {"signal": "preset:sines", "model": "siren", "param": "omega0", "best": 10.0}
    out.write_text(json.dumps(select_line) + "\n")  # a select result for a signal is not its study
    first = run_json(capsys, ["study", PRESETS, "--out", str(out), *QUICK, "--json"])
    assert (first["skipped"], first["done"]) == (0, 3)
    before = out.read_bytes()
    again = run_json(capsys, ["study", PRESETS, "--out", str(out), *QUICK, "--json"])
    assert (again["skipped"], again["done"]) == (3, 0) and out.read_bytes() == before
    lines = before.decode().splitlines(keepends=True)
    out.write_text("".join(lines[:3]) + lines[3][: len(lines[3]) // 2])  # a hard kill in the middle of a write
    resumed = run_json(capsys, ["study", PRESETS, "--out", str(out), *QUICK, "--json"])
    assert (resumed["skipped"], resumed["done"]) == (2, 1)
    assert [r.get("command") for r in lines_of(out)] == [None, "study", "study", "study"]
    assert lines_of(out)[3]["signal"] == json.loads(lines[3])["signal"]


def test_merge_prints_and_draws_the_table_per_budget(tmp_path, capsys):
    for task in range(2):
        run_json(capsys, ["study", PRESETS, "--out", str(tmp_path / f"s{task}.jsonl"), "--task-id", str(task),
                          "--num-tasks", "2", *QUICK, "--json"])
    failed = {"signal": "preset:blobs", "command": "study", "model": "siren", "param": "omega0", "error": "no memory"}
    (tmp_path / "old.jsonl").write_text(json.dumps(failed) + "\n")  # an earlier failure: the result wins
    files = [str(tmp_path / f) for f in ("old.jsonl", "s0.jsonl", "s1.jsonl")]
    summary = run_json(capsys, ["merge", *files, "--csv", str(tmp_path / "study.csv"), "--plot",
                                str(tmp_path / "study.png"), "--json"])
    records = [r for f in files[1:] for r in lines_of(Path(f))]
    assert (summary["signals"], summary["errors"]) == (3, 0)
    with (tmp_path / "study.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["signal"], int(r["steps"])) for r in rows] == [(s, b) for s in ("preset:blobs", "preset:siemens",
                                                                               "preset:sines") for b in (5, 10)]
    table = summary["table"]
    assert table == study_table(records) and [(t["steps"], t["signals"]) for t in table] == [(5, 3), (10, 3)]
    for line in table:
        entries = [b for r in records for b in r["budgets"] if b["steps"] == line["steps"]]
        regrets = [b["regret"]["held_out"] for b in entries]
        gains = [b["gain"]["trained"] for b in entries]
        rhos = [b["spearman"]["trained"] for b in entries if b["spearman"]["trained"] is not None]
        factors = [b["speedup"]["factor"] or 0.0 for b in entries]
        assert line["regret_held_out_mean"] == pytest.approx(statistics.mean(regrets))
        assert line["regret_held_out_median"] == pytest.approx(statistics.median(regrets))
        assert line["gain_trained_median"] == pytest.approx(statistics.median(gains))
        assert line["spearman_trained_mean"] == pytest.approx(statistics.mean(rhos))
        assert line["speedup_median"] == pytest.approx(statistics.median(factors))
        assert line["reached"] == pytest.approx(sum(b["speedup"]["factor"] is not None for b in entries) / 3)
    assert (tmp_path / "study.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["merge", *files, "--csv", str(tmp_path / "study.csv")]) == 0
    text = capsys.readouterr().out
    assert "regret trained" in text and "speed-up" in text and len(text.splitlines()) == 6


@pytest.mark.parametrize("argv, message", [
    (["study", "preset:blobs", "--budgets", "0,10"], "from 1"),
    (["study", "preset:blobs", "--budgets", "ten"], "whole numbers"),
    (["study", "preset:blobs", "--rule", "paper,nope"], "unknown rule 'nope'"),
    (["study", "preset:*"], "give --out"),
    (["study", "preset:blobs", "--task-id", "0", "--num-tasks", "2"], "need --out"),
    (["merge", "{tmp}/mixed.jsonl", "--csv", "{tmp}/s.csv"], "both 'select' and 'study'"),
])
def test_usage_errors_exit_2_with_one_line(tmp_path, capsys, monkeypatch, argv, message):
    for name in ("SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT"):
        monkeypatch.delenv(name, raising=False)
    mixed = [{"signal": "a.png", "model": "siren", "param": "omega0", "error": "x"},
             {"signal": "a.png", "command": "study", "model": "siren", "param": "omega0", "error": "x"}]
    (tmp_path / "mixed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in mixed))
    assert main([a.format(tmp=tmp_path) for a in argv]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines
