"""Dataset runs: listing, shards, the JSON-lines file (resume, torn lines, a real SIGKILL), merge."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fresh_viz.__main__ import main
from fresh_viz.dataset import list_signals, read_records, shard, slurm_task
from fresh_viz.signals import PRESETS, SignalError

REPO = Path(__file__).resolve().parent.parent
QUICK = ["--model", "siren", "--values", "10,40,90", "--seeds", "2", "--bins", "16", "--size", "16", "--width", "16",
         "--depth", "1"]


def write_images(folder: Path, names) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    y, x = np.mgrid[0:24, 0:24]
    for k, name in enumerate(names):
        image = 127 + 120 * np.sin(x * (k + 1) / 4.0) * np.cos(y / (k + 2.0))
        Image.fromarray(np.repeat(image[..., None], 3, 2).astype(np.uint8)).save(folder / name)


@pytest.fixture()
def images(tmp_path) -> Path:
    folder = tmp_path / "images"
    write_images(folder, ["1.png", "2.png", "10.png", "a.png", "b.png", "c.png"])
    (folder / "notes.txt").write_text("not a signal")
    write_images(folder, [".hidden.png"])
    return folder


def run_json(capsys, argv):
    assert main(argv) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def lines_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_listing_folders_globs_and_presets(images, tmp_path):
    names = [Path(p).name for p in list_signals(str(images))]
    assert names == ["1.png", "2.png", "10.png", "a.png", "b.png", "c.png"]  # numbers by value; no .txt, no hidden
    assert [Path(p).name for p in list_signals(str(images / "?.png"))] == ["1.png", "2.png", "a.png", "b.png",
                                                                           "c.png"]
    write_images(images / "deeper", ["d.png"])
    assert Path(list_signals(str(tmp_path / "**" / "d.png"))[0]).name == "d.png"
    assert list_signals("preset:*") == [f"preset:{n}" for n in sorted(PRESETS)]
    assert list_signals("preset:[ab]*") == ["preset:astronaut", "preset:blobs"]
    assert list_signals(str(images / "a.png")) == [str(images / "a.png")]
    for pattern in (str(tmp_path / "nothing"), str(tmp_path / "*.wav"), "preset:zz*"):
        with pytest.raises(SignalError):
            list_signals(pattern)


def test_shards_are_disjoint_and_complete():
    items = [f"s{i}" for i in range(11)]
    for tasks in range(1, 6):
        parts = [shard(items, k, tasks) for k in range(tasks)]
        assert sorted(sum(parts, [])) == sorted(items) and sum(len(p) for p in parts) == len(items)
    with pytest.raises(ValueError):
        shard(items, 3, 3)


def test_slurm_array_variables():
    assert slurm_task({}) == (None, None)
    assert slurm_task({"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "8"}) == (3, 8)
    assert slurm_task({"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "16", "SLURM_ARRAY_TASK_MIN": "1"}) \
        == (3, 16)
    assert slurm_task({"SLURM_ARRAY_TASK_ID": "6", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "0",
                       "SLURM_ARRAY_TASK_STEP": "2"}) == (3, 4)


def test_shards_together_equal_one_process(images, tmp_path, capsys, monkeypatch):
    one = run_json(capsys, ["select", str(images), "--out", str(tmp_path / "one.jsonl"), *QUICK, "--json"])
    assert one["done"] == 6 and one["errors"] == 0 and (one["task_id"], one["num_tasks"]) == (0, 1)
    for task in range(3):  # the Slurm variables choose the shard when the flags are absent
        monkeypatch.setenv("SLURM_ARRAY_TASK_ID", str(task + 1))
        monkeypatch.setenv("SLURM_ARRAY_TASK_MIN", "1")
        monkeypatch.setenv("SLURM_ARRAY_TASK_COUNT", "3")
        summary = run_json(capsys, ["select", str(images), "--out", str(tmp_path / f"shard-{task}.jsonl"), *QUICK,
                                    "--json"])
        assert summary["task_id"] == task and summary["done"] == 2
    shards = [lines_of(tmp_path / f"shard-{task}.jsonl") for task in range(3)]
    signals = [r["signal"] for part in shards for r in part]
    assert len(signals) == len(set(signals)) == 6
    single = {r["signal"]: r for r in lines_of(tmp_path / "one.jsonl")}
    assert set(single) == set(signals)
    for record in sum(shards, []):
        mine = single[record["signal"]]
        assert record["distance"] == pytest.approx(mine["distance"], rel=1e-6) and record["best"] == mine["best"]
        assert {"signal", "model", "param", "values", "distance", "stderr", "best", "seconds", "device"} <= set(record)


def test_a_rerun_skips_what_is_there_and_unreadable_signals_become_error_lines(images, tmp_path, capsys):
    (images / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"junk" * 10)
    np.lib.format.write_array((images / "pickled.npy").open("wb"), np.array([{}], dtype=object), allow_pickle=True)
    out = tmp_path / "r.jsonl"
    first = run_json(capsys, ["select", str(images), "--out", str(out), *QUICK, "--json"])
    assert (first["done"], first["errors"]) == (6, 2)
    errors = {Path(r["signal"]).name: r["error"] for r in lines_of(out) if "error" in r}
    assert set(errors) == {"broken.png", "pickled.npy"} and "pickled" in errors["pickled.npy"]
    before = out.read_bytes()
    again = run_json(capsys, ["select", str(images), "--out", str(out), *QUICK, "--json"])
    assert (again["skipped"], again["done"], again["errors"]) == (8, 0, 0) and out.read_bytes() == before
    other_model = run_json(capsys, ["select", str(images / "a.png"), "--out", str(out), *QUICK[2:], "--model",
                                    "fourier", "--json"])
    assert other_model["done"] == 1  # a result for another family is not this one's


def test_a_torn_last_line_is_removed_and_its_signal_run_again(images, tmp_path, capsys):
    out = tmp_path / "r.jsonl"
    run_json(capsys, ["select", str(images), "--out", str(out), *QUICK, "--json"])
    complete = out.read_text().splitlines(keepends=True)
    out.write_text("".join(complete[:4]) + complete[4][: len(complete[4]) // 2])  # a hard kill mid-write
    summary = run_json(capsys, ["select", str(images), "--out", str(out), *QUICK, "--json"])
    assert (summary["skipped"], summary["done"]) == (4, 2)
    records = lines_of(out)
    assert sorted(r["signal"] for r in records) == sorted(json.loads(line)["signal"] for line in complete)
    assert read_records(out) == records


def test_a_real_process_killed_with_sigkill_resumes_where_it_stopped(tmp_path, capsys):
    folder = tmp_path / "many"
    write_images(folder, [f"{i}.png" for i in range(8)])
    out = tmp_path / "r.jsonl"
    argv = [sys.executable, "-m", "fresh_viz", "select", str(folder), "--out", str(out), "--model", "siren",
            "--values", "10,20,30,40,50,60,70,80", "--seeds", "4", "--size", "48", "--width", "128", "--depth", "3"]
    # about 0.3 s a signal on an idle core: time enough to kill it between the second line and the last
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not (out.exists() and out.read_bytes().count(b"\n") >= 2):
            assert process.poll() is None and time.monotonic() < deadline, "the run ended before it was killed"
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    data = out.read_bytes()
    assert data.endswith(b"\n") and 2 <= data.count(b"\n") < 8  # killed in the middle, no half line
    killed = lines_of(out)
    summary = run_json(capsys, argv[3:] + ["--json"])  # resumed, in this process
    assert summary["skipped"] == len(killed) and summary["done"] == 8 - len(killed)
    records = lines_of(out)
    assert records[: len(killed)] == killed
    assert sorted(r["signal"] for r in records) == sorted(str(folder / f"{i}.png") for i in range(8))


def test_merge_writes_one_row_per_signal_and_draws_the_choices(images, tmp_path, capsys):
    for task in range(2):
        run_json(capsys, ["select", str(images), "--out", str(tmp_path / f"s{task}.jsonl"), "--task-id", str(task),
                          "--num-tasks", "2", *QUICK, "--json"])
    # the same signal failed once in an earlier file: the result wins
    failed = {"signal": str(images / "a.png"), "model": "siren", "param": "omega0", "error": "out of memory"}
    (tmp_path / "old.jsonl").write_text(json.dumps(failed) + "\n")
    summary = run_json(capsys, ["merge", str(tmp_path / "old.jsonl"), str(tmp_path / "s0.jsonl"),
                                str(tmp_path / "s1.jsonl"), "--csv", str(tmp_path / "summary.csv"),
                                "--plot", str(tmp_path / "chosen.png"), "--json"])
    with (tmp_path / "summary.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [Path(r["signal"]).name for r in rows] == ["1.png", "2.png", "10.png", "a.png", "b.png", "c.png"]
    assert all(r["error"] == "" and float(r["best"]) in (10.0, 40.0, 90.0) for r in rows)
    records = {r["signal"]: r for f in ("s0", "s1") for r in lines_of(tmp_path / f"{f}.jsonl")}
    for row in rows:
        record = records[row["signal"]]
        assert float(row["distance"]) == pytest.approx(min(record["distance"]))
    assert summary["signals"] == 6 and summary["errors"] == 0
    assert sum(summary["chosen"]["siren omega0"].values()) == 6
    assert (tmp_path / "chosen.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("argv, message", [
    (["select", "{images}"], "give --out"),
    (["select", "{images}/a.png", "--task-id", "0", "--num-tasks", "2"], "need --out"),
    (["select", "{images}", "--out", "{tmp}/r.jsonl", "--task-id", "3", "--num-tasks", "3"], "outside 0..2"),
    (["select", "{images}", "--out", "{tmp}/r.jsonl", "--num-tasks", "3"], "both --task-id and --num-tasks"),
    (["select", "{tmp}/nowhere/*.png", "--out", "{tmp}/r.jsonl"], "matches no signal files"),
    (["merge", "{tmp}/missing.jsonl", "--csv", "{tmp}/s.csv"], "no such file"),
    (["merge", "{tmp}/empty.jsonl", "--csv", "{tmp}/s.csv"], "no result lines"),
])
def test_usage_errors_exit_2_with_one_line(images, tmp_path, capsys, monkeypatch, argv, message):
    for name in ("SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "empty.jsonl").write_text("")
    argv = [a.format(images=images, tmp=tmp_path) for a in argv]
    assert main(argv) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines
