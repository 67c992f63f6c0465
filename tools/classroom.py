"""A class on one small server: latency per request kind while 30 students use the app at once.

    python tools/classroom.py [--students 30] [--seconds 60] [--racers 3] [--preview-workers 1] [--json OUT.json]

Starts `python -m fresh_viz serve` at the app's CPU defaults pinned to one core (`taskset -c 0`,
as a 1-vCPU Space), and runs the students on the other cores. Each student is a session of a light
asyncio client of Gradio's queue API (30 `gradio_client` sessions saturate a client core of their
own and then measure themselves). The class follows the lecturer: everyone opens one preset, then
drags ω₀ as a lecture asks ("from 30 up to 150"): a preview request, its answer, 0.3 s, the next
slider step; a third of them press Run FreSh once, and `--racers` of them start a race. Reports
p50 / p90 / max per request kind, errors, the server's CPU time per preview (one student alone,
before the class) and the shared caches' hit rates (the app's /stats).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import time
import uuid

import httpx
import psutil
import torch
from app_server import served

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


class Session:
    """One student: Gradio's queue API over one HTTP connection pool (join, then read the event stream)."""

    def __init__(self, http: httpx.AsyncClient, url: str, endpoints: dict[str, int]):
        self.http, self.url, self.endpoints = http, url, endpoints
        self.hash = uuid.uuid4().hex[:11]

    async def call(self, api_name: str, *data) -> list:
        fn = self.endpoints[api_name]
        inputs = [*data, *controls(KNOB.default).values()]
        if api_name != "choose_preset":
            inputs = [None, *inputs]  # the session state comes first; the server keeps it by session_hash
        joined = await self.http.post(f"{self.url}gradio_api/queue/join",
                                      json={"data": inputs, "fn_index": fn, "session_hash": self.hash,
                                            "event_data": None, "trigger_id": None})
        joined.raise_for_status()
        event = joined.json()["event_id"]
        async with self.http.stream("GET", f"{self.url}gradio_api/queue/data",
                                    params={"session_hash": self.hash}) as stream:
            async for line in stream.aiter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("event_id") == event and message["msg"] == "process_completed":
                    if not message.get("success"):
                        raise RuntimeError(str(message.get("output"))[:200])
                    return message["output"]["data"]
        raise RuntimeError(f"the stream closed before {api_name} completed")


def endpoint_indices(url: str) -> dict[str, int]:
    config = httpx.get(f"{url}config", timeout=30).json()
    return {d["api_name"]: d["id"] for d in config["dependencies"] if d.get("api_name")}


def cpu_per_preview(url: str, process: psutil.Process, count: int = 20) -> dict:
    """Server CPU seconds per preview, one student alone, each request answered before the next: half of
    the values asked twice (the second time shared from the cache), as a drag back and forth does."""

    async def run() -> dict:
        async with httpx.AsyncClient(timeout=120) as http:
            me = Session(http, url, endpoint_indices(url))
            await me.call("choose_preset", PRESET)
            positions = [to_slider(KNOB, v) for v in (40, 50, 60, 70, 80, 90, 100, 110, 120, 130)] * 2
            latencies = []
            before = sum(process.cpu_times()[:2])
            for p in positions[:count]:
                start = time.perf_counter()
                await me.call("preview", p)
                latencies.append(time.perf_counter() - start)
            spent = sum(process.cpu_times()[:2]) - before
            return {"previews": count, "cpu_ms_per_preview": round(1000 * spent / count, 1),
                    "alone": percentiles(latencies)}

    return asyncio.run(run())


async def student(me: Session, index: int, seconds: float, presses_fresh: bool, races: bool, steps: int,
                  record: dict[str, list[float]], errors: list[str]) -> None:
    rng = random.Random(index)
    try:
        start = time.perf_counter()
        await me.call("choose_preset", PRESET)
        record["open"].append(time.perf_counter() - start)
        end = time.perf_counter() + seconds
        race = None
        if races:  # in a second tab: one session's event stream carries one event at a time here
            racer = Session(me.http, me.url, me.endpoints)
            await racer.call("choose_preset", PRESET)
            race = asyncio.create_task(racer.call("train", steps, 0.0))
        race_start = time.perf_counter()
        fresh_at = time.perf_counter() + rng.uniform(3, seconds / 2) if presses_fresh else None
        positions = drag(rng)
        i = 0
        while time.perf_counter() < end:
            if fresh_at is not None and time.perf_counter() >= fresh_at:
                t = time.perf_counter()
                await me.call("fresh", False)
                record["fresh"].append(time.perf_counter() - t)
                fresh_at = None
                continue
            t = time.perf_counter()
            await me.call("preview", positions[i % len(positions)])
            record["preview"].append(time.perf_counter() - t)
            i += 1
            await asyncio.sleep(0.3)
        if race is not None:
            await asyncio.wait_for(race, timeout=600)
            record["race"].append(time.perf_counter() - race_start)
    except Exception as err:  # noqa: BLE001 (every failure is a finding of the run)
        errors.append(f"student {index}: {type(err).__name__}: {err}"[:300])


async def lecture(url: str, students: int, seconds: float, pressers: set[int], racers: set[int],
                  record: dict[str, list[float]], errors: list[str]) -> None:
    endpoints = endpoint_indices(url)
    limits = httpx.Limits(max_connections=4 * students, max_keepalive_connections=2 * students)
    async with httpx.AsyncClient(timeout=600, limits=limits) as http:
        tasks = []
        for i in range(students):
            me = Session(http, url, endpoints)
            tasks.append(asyncio.create_task(student(me, i, seconds, i in pressers, i in racers, BUDGET.steps,
                                                     record, errors)))
            await asyncio.sleep(0.05)  # a class opening the page over a second or two
        await asyncio.gather(*tasks)


def stats_result(url: str, started: httpx.Response) -> dict:
    """The /stats endpoint's reply, through Gradio's two-step REST call."""
    event = started.json()["event_id"]
    for line in httpx.get(f"{url}gradio_api/call/stats/{event}", timeout=30).text.splitlines():
        if line.startswith("data:"):
            return json.loads(line[5:])[0]
    return {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--racers", type=int, default=3)
    parser.add_argument("--preview-workers", type=int, default=1, help="the server's previews computed at once")
    parser.add_argument("--json", default=None, help="write the report here too")
    args = parser.parse_args()
    os.sched_setaffinity(0, set(range(1, os.cpu_count() or 2)) or {0})  # the clients off the server's core
    options = [] if args.preview_workers == 1 else ["--preview-workers", str(args.preview_workers)]  # older
    # checkouts have no such flag.  Started outside the checkout, so that PYTHONPATH (another checkout, for a
    # before-and-after) decides which fresh_viz serves.
    with served(options, prefix=["taskset", "-c", "0"], env={**os.environ, "OMP_NUM_THREADS": "1"},
                cwd=tempfile.gettempdir()) as (url, server):
        process = psutil.Process(server.pid)
        process = process.children()[0] if process.name() == "taskset" and process.children() else process
        alone = cpu_per_preview(url, process)
        record: dict[str, list[float]] = {"open": [], "preview": [], "fresh": [], "race": []}
        errors: list[str] = []
        pressers = set(range(0, args.students, 3))
        racers = set(range(1, args.students, max(1, args.students // max(1, args.racers)))[: args.racers])
        cpu_before = sum(process.cpu_times()[:2])
        wall = time.perf_counter()
        asyncio.run(lecture(url, args.students, args.seconds, pressers, racers, record, errors))
        wall = time.perf_counter() - wall
        server_cpu = sum(process.cpu_times()[:2]) - cpu_before
        stats = httpx.post(f"{url}gradio_api/call/stats", json={"data": []}, timeout=30)
        stats = stats_result(url, stats) if stats.status_code == 200 else None  # older apps have no /stats
    report = {"students": args.students, "seconds": args.seconds, "racers": len(racers), "fresh_presses": len(pressers),
              "preview_workers": args.preview_workers,
              "server_core": 0, "alone": alone, **{kind: percentiles(v) for kind, v in record.items()},
              "errors": errors, "server_cpu_share": round(server_cpu / wall, 2),
              "stats": stats}
    print(json.dumps(report, indent=1))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(report, handle, indent=1)


if __name__ == "__main__":
    main()
