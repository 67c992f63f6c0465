"""A class on one small server: latency per request kind while 30 students use the app at once.

    python tools/classroom.py [--students 30] [--seconds 60] [--racers 3] [--preview-workers 1] [--json OUT.json]

Starts `python -m fresh_viz serve` at the app's CPU defaults pinned to one core (`taskset -c 0`,
as a 1-vCPU Space), and runs the students' clients on the other cores. Each student is a
`gradio_client` session that opens a preset (the class follows the lecturer: one preset for
everyone), then drags ω₀ as a lecture asks ("from 30 up to 150"): a preview request, an answer,
0.3 s, the next slider step; a third of them press Run FreSh once, and `--racers` of them start
a race. Reports p50 / p90 / max per request kind, errors, the server's CPU time per preview
(measured alone, before the class), and the preview cache's hit rate (the app's /stats).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

import psutil
import torch
from gradio_client import Client

from fresh_viz.models import FAMILIES
from fresh_viz.state import budget_for
from fresh_viz.ui.knobs import LOG_STEP, to_slider

KNOB = FAMILIES["siren"].knobs[0]
PRESET = "astronaut"


BUDGET = budget_for(torch.device("cpu"))  # the app's CPU defaults


def controls(value: float) -> dict:
    return {"family": "siren", "value": value, "second": 0.0, "seed": 0, "bins": "64", "mode": "paper",
            "width": BUDGET.width, "depth": BUDGET.depth, "log_y": False}


def drag(rng: random.Random) -> list[float]:
    """Slider positions of one drag from the default towards a high ω₀, one arrow key (LOG_STEP) at a time,
    with a student's own pace (some skip steps)."""
    start, stop = to_slider(KNOB, KNOB.default), to_slider(KNOB, 150.0)
    positions, here = [], start
    while here < stop:
        here = round(here + LOG_STEP * rng.choice((1, 1, 2)), 4)
        positions.append(here)
    return positions


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"count": 0}
    ordered = sorted(values)
    return {"count": len(values), "p50_s": round(statistics.median(ordered), 3),
            "p90_s": round(ordered[int(0.9 * (len(ordered) - 1))], 3), "max_s": round(ordered[-1], 3)}


def start_server(port: int, preview_workers: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "fresh_viz", "serve", "--host", "127.0.0.1", "--port", str(port)]
    if preview_workers != 1:  # the app's default; older checkouts have no such flag
        command += ["--preview-workers", str(preview_workers)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    server = subprocess.Popen(["taskset", "-c", "0", *command], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(240):
        try:
            urllib.request.urlopen(url, timeout=2)
            return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise RuntimeError("the app did not start")


def cpu_per_preview(url: str, process: psutil.Process, count: int = 20) -> dict:
    """Server CPU seconds per preview, one student alone, each request answered before the next."""
    client = Client(url, verbose=False, download_files=False)
    client.predict(PRESET, **controls(KNOB.default), api_name="/choose_preset")
    positions = [to_slider(KNOB, v) for v in (40, 50, 60, 70, 80, 90, 100, 110, 120, 130)] * 2
    latencies = []
    before = sum(process.cpu_times()[:2])
    for p in positions[:count]:
        start = time.perf_counter()
        client.predict(p, **controls(KNOB.default), api_name="/preview")
        latencies.append(time.perf_counter() - start)
    spent = sum(process.cpu_times()[:2]) - before
    return {"previews": count, "cpu_ms_per_preview": round(1000 * spent / count, 1), "alone": percentiles(latencies)}


def student(url: str, index: int, seconds: float, presses_fresh: bool, races: bool, steps: int,
            record: dict[str, list[float]], errors: list[str], lock: threading.Lock) -> None:
    rng = random.Random(index)
    try:
        client = Client(url, verbose=False, download_files=False)
        start = time.perf_counter()
        client.predict(PRESET, **controls(KNOB.default), api_name="/choose_preset")
        with lock:
            record["open"].append(time.perf_counter() - start)
        end = time.perf_counter() + seconds
        race = client.submit(steps, 0.0, **controls(KNOB.default), api_name="/train") if races else None
        race_start = time.perf_counter()
        fresh_at = time.perf_counter() + rng.uniform(3, seconds / 2) if presses_fresh else None
        positions = drag(rng)
        i = 0
        while time.perf_counter() < end:
            if fresh_at is not None and time.perf_counter() >= fresh_at:
                t = time.perf_counter()
                client.predict(False, **controls(KNOB.default), api_name="/fresh")
                with lock:
                    record["fresh"].append(time.perf_counter() - t)
                fresh_at = None
                continue
            t = time.perf_counter()
            client.predict(positions[i % len(positions)], **controls(KNOB.default), api_name="/preview")
            with lock:
                record["preview"].append(time.perf_counter() - t)
            i += 1
            time.sleep(0.3)
        if race is not None:
            race.result(timeout=600)
            with lock:
                record["race"].append(time.perf_counter() - race_start)
    except Exception as err:  # noqa: BLE001 (every failure is a finding of the run)
        with lock:
            errors.append(f"student {index}: {type(err).__name__}: {err}"[:300])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--racers", type=int, default=3)
    parser.add_argument("--preview-workers", type=int, default=1, help="the server's previews computed at once")
    parser.add_argument("--json", default=None, help="write the report here too")
    args = parser.parse_args()
    os.sched_setaffinity(0, set(range(1, os.cpu_count() or 2)) or {0})  # the clients off the server's core
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = start_server(port, args.preview_workers)
    url = f"http://127.0.0.1:{port}/"
    try:
        process = psutil.Process(server.pid)
        process = process.children()[0] if process.name() == "taskset" and process.children() else process
        alone = cpu_per_preview(url, process)
        record: dict[str, list[float]] = {"open": [], "preview": [], "fresh": [], "race": []}
        errors: list[str] = []
        lock = threading.Lock()
        pressers = set(range(0, args.students, 3))
        racers = set(range(1, args.students, max(1, args.students // max(1, args.racers)))[: args.racers])
        steps = BUDGET.steps
        threads = [threading.Thread(target=student, args=(url, i, args.seconds, i in pressers, i in racers, steps,
                                                          record, errors, lock)) for i in range(args.students)]
        cpu_before = sum(process.cpu_times()[:2])
        wall = time.perf_counter()
        for thread in threads:
            thread.start()
            time.sleep(0.05)  # a class opening the page over a second or two
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - wall
        server_cpu = sum(process.cpu_times()[:2]) - cpu_before
        try:
            stats = Client(url, verbose=False, download_files=False).predict(api_name="/stats")
        except Exception:  # noqa: BLE001 (an app without /stats: the code before the shared caches)
            stats = None
    finally:
        server.terminate()
        server.wait(timeout=30)
    report = {"students": args.students, "seconds": args.seconds, "racers": len(racers), "fresh_presses": len(pressers),
              "preview_workers": args.preview_workers,
              "server_core": 0, "alone": alone, **{kind: percentiles(v) for kind, v in record.items()},
              "errors": errors, "server_cpu_share": round(server_cpu / wall, 2),
              "stats": json.loads(stats) if isinstance(stats, str) else stats}
    print(json.dumps(report, indent=1))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(report, handle, indent=1)


if __name__ == "__main__":
    main()
