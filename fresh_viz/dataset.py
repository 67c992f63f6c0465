"""FreSh over a dataset: many signals, split across processes, one JSON line per signal
(a `select` result, or a `study` one).

A run lists its signals (a folder, a glob, or `preset:PATTERN` for the built-in
ones), sorts them, keeps every N-th from position K (its shard; K and N default to
the Slurm job array's task), and appends one JSON object per signal to a results
file as soon as that signal is done: written with one system call and fsync'd, so a
killed task loses at most the signal in flight.  Run again, it skips the signals the
file already holds; a line cut short by a hard kill is dropped first.  `merge_results`
joins the shards' files.
"""

from __future__ import annotations

import fnmatch
import glob
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from .signals import (
    ARRAY_SUFFIXES,
    AUDIO_SUFFIXES,
    IMAGE_SUFFIXES,
    PRESETS,
    VIDEO_SUFFIXES,
    SignalError,
    natural_key,
)

SIGNAL_SUFFIXES = IMAGE_SUFFIXES | AUDIO_SUFFIXES | VIDEO_SUFFIXES | ARRAY_SUFFIXES
# With "signal": what makes a line the result a rerun would compute again.  "command" tells a `study` line
# from a `select` line (which has none).
IDENTITY = ("command", "model", "param")

Report = Callable[[str], None]


def stderr_report(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def names_many(pattern: str) -> bool:
    """Whether PATH stands for several signals: a folder, a glob, or a preset pattern."""
    return Path(pattern).is_dir() or any(c in pattern for c in "*?[")


def list_signals(pattern: str) -> list[str]:
    """The signals a folder, a glob (** recurses) or `preset:PATTERN` names, sorted (numbers by value).

    Files whose type `load_signal` does not read, and hidden files, are left out."""
    if pattern.startswith("preset:"):
        names = sorted(fnmatch.filter(PRESETS, pattern.removeprefix("preset:")))
        if not names:
            raise SignalError(f"no preset matches '{pattern}'; presets: {', '.join(PRESETS)}")
        return [f"preset:{name}" for name in names]
    path = Path(pattern)
    if path.is_dir():
        candidates = [str(p) for p in path.iterdir()]
    elif any(c in pattern for c in "*?["):
        candidates = glob.glob(pattern, recursive=True)
    elif path.is_file():
        return [pattern]
    else:
        raise SignalError(f"no such file or folder, and no file matches: {pattern}")
    signals = [c for c in candidates if Path(c).suffix.lower() in SIGNAL_SUFFIXES and
               not Path(c).name.startswith(".") and Path(c).is_file()]
    if not signals:
        known = ", ".join(sorted(SIGNAL_SUFFIXES))
        where = f"{pattern} holds" if path.is_dir() else f"{pattern} matches"
        raise SignalError(f"{where} no signal files ({known})")
    return sorted(signals, key=natural_key)


def shard(items: Sequence[str], task: int, tasks: int) -> list[str]:
    """Task `task` of `tasks` takes every tasks-th item from position `task`: disjoint, and together complete."""
    if tasks < 1 or not 0 <= task < tasks:
        raise ValueError(f"task id {task} is outside 0..{tasks - 1}")
    return list(items[task::tasks])


def slurm_task(environ: Mapping[str, str] = os.environ) -> tuple[int | None, int | None]:
    """(task, tasks) of a Slurm job array, from 0, or None where the variables are absent.

    Arrays need not start at 0 or step by 1 (--array=1-16, --array=0-30:2): the task is
    (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN) / SLURM_ARRAY_TASK_STEP."""
    try:
        task_id = environ.get("SLURM_ARRAY_TASK_ID")
        tasks = environ.get("SLURM_ARRAY_TASK_COUNT")
        first = int(environ.get("SLURM_ARRAY_TASK_MIN") or 0)
        step = int(environ.get("SLURM_ARRAY_TASK_STEP") or 1)
        task = (int(task_id) - first) // max(step, 1) if task_id else None
        return task, int(tasks) if tasks else None
    except ValueError:
        raise ValueError("the SLURM_ARRAY_TASK_* variables are not whole numbers; "
                         "give --task-id and --num-tasks") from None


def read_records(path: Path, report: Report = stderr_report, repair: bool = False) -> list[dict]:
    """The complete JSON lines of a results file.  A last line without its newline (a hard kill in the middle
    of a write) is ignored, and with repair=True cut off the file.  Lines that are not JSON objects with a
    "signal" are reported and skipped."""
    if not path.exists():
        return []
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end < len(data):
        if repair:
            os.truncate(path, end)
        report(f"{path}: {'removed' if repair else 'ignored'} an incomplete last line ({len(data) - end} bytes)")
    records = []
    for number, line in enumerate(data[:end].split(b"\n"), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            record = None
        if not isinstance(record, dict) or not isinstance(record.get("signal"), str):
            report(f"{path}, line {number}: not a result line; skipped")
            continue
        records.append(record)
    return records


def append_record(path: Path, record: dict) -> None:
    """One JSON line, written with a single write call (retried only if the system writes part of it) and fsync'd."""
    data = (json.dumps(record) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        while data:
            data = data[os.write(fd, data):]
        os.fsync(fd)
    finally:
        os.close(fd)


def key(record: Mapping) -> tuple:
    return (record["signal"],) + tuple(record.get(field) for field in IDENTITY)


def run_dataset(signals: Sequence[str], compute: Callable[[str], dict], out: Path, identity: Mapping[str, str],
                describe: Callable[[dict], str], report: Report = stderr_report) -> dict:
    """Run `compute(signal)` -> result fields for every signal not yet in `out`, appending a line each.

    identity: the fields (model, param; a command other than `select` adds "command") that, with the signal,
    say a line holds this run's result; every line carries them.  A signal that fails is recorded as
    {"signal", **identity, "error"} and the run goes on; reruns skip it too (delete its line to try again).
    describe(line) says what a result found, for the progress line.  Returns counts for a summary."""
    start = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    recorded = {key(r) for r in read_records(out, report, repair=True)}
    todo = [s for s in signals if key({"signal": s, **identity}) not in recorded]
    report(f"{len(signals)} signals in this shard, {len(signals) - len(todo)} already in {out}, {len(todo)} to do")
    errors = 0
    for number, signal in enumerate(todo, 1):
        began = time.perf_counter()
        try:
            record = {"signal": signal, **identity, **compute(signal)}
            message = describe(record)
        except Exception as err:  # one unusable signal must not end a long batch job; the line says what happened
            text = str(err) if isinstance(err, (ValueError, OSError)) else f"{type(err).__name__}: {err}"
            record = {"signal": signal, **identity, "error": text}
            message, errors = f"error: {text}", errors + 1
        append_record(out, record)
        report(f"[{number}/{len(todo)}] {signal}: {message} ({time.perf_counter() - began:.1f} s)")
    return {"out": str(out), "signals": len(signals), "skipped": len(signals) - len(todo),
            "done": len(todo) - errors, "errors": errors, "seconds": time.perf_counter() - start}


def merge_results(paths: Iterable[Path], report: Report = stderr_report) -> list[dict]:
    """One record per (signal, model, param) over all files: the last result, and an error only where no
    result exists.  Sorted by signal."""
    merged: dict[tuple, dict] = {}
    for path in paths:
        if not path.is_file():
            raise SignalError(f"no such file: {path}")
        for record in read_records(path, report):
            old = merged.get(key(record))
            if old is None or "error" in old or "error" not in record:
                merged[key(record)] = record
    return [merged[k] for k in sorted(merged, key=lambda k: (natural_key(k[0]),) + tuple(str(f) for f in k[1:]))]


SUMMARY_COLUMNS = ["signal", "model", "param", "best", "distance", "stderr", "seeds", "bins", "mode", "seconds",
                   "device", "error"]


def summary_row(record: Mapping) -> dict:
    """A merged record as one CSV row: the chosen value and its distance, standard error and seed count."""
    row = {column: record.get(column, "") for column in SUMMARY_COLUMNS}
    if "error" not in record:
        i = record["values"].index(record["best"])
        row.update(distance=record["distance"][i], stderr=record["stderr"][i],
                   seeds=record.get("seed_counts", [""] * (i + 1))[i])
    return row
