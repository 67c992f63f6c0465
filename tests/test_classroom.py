"""A small class on one app: previews of the same signal are computed once and shared, and a long
race does not hold the previews up (they have their own queue).  `tools/classroom.py` is the full
measurement (30 students at the app's CPU defaults on one core)."""

from __future__ import annotations

import threading

import pytest
import torch
from api import reply

from fresh_viz.models import FAMILIES
from fresh_viz.state import Budget
from fresh_viz.ui import build_app, serve
from fresh_viz.ui.knobs import to_slider

pytestmark = pytest.mark.slow
SMALL = Budget(size=32, width=32, depth=2, steps=20, max_steps=50000, max_seconds=120.0, video_frames=4,
               study_steps=10, note="test")
PAGE = {"family": "siren", "value": 30.0, "second": 0.0, "seed": 0, "bins": "64", "mode": "paper", "width": 32,
        "depth": 2, "log_y": False}
STUDENTS, DRAG = 6, (40.0, 50.0, 60.0, 70.0)


@pytest.fixture(scope="module")
def url(free_port):
    demo = serve(build_app(torch.device("cpu"), SMALL), server_name="127.0.0.1", server_port=free_port,
                 prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{free_port}/"
    demo.close()


def test_a_class_shares_previews_and_a_race_does_not_hold_them_up(url):
    from gradio_client import Client

    knob = FAMILIES["siren"].knobs[0]
    clients = [Client(url, verbose=False, download_files=False) for _ in range(STUDENTS)]
    for client in clients:
        client.predict("zoneplate", **PAGE, api_name="/choose_preset")
    before = clients[0].predict(api_name="/stats")["previews"]
    race = clients[0].submit(50000, 0.0, **PAGE, api_name="/train")  # runs far longer than the previews
    seen, errors = {}, []

    def student(i: int, client) -> None:
        try:
            for value in DRAG:  # every student drags through the same slider positions
                job = client.submit(to_slider(knob, value), **PAGE, api_name="/preview")
                seen[(i, value)] = reply("preview", job.result(timeout=60))["distance"]  # not queued behind the race
        except Exception as err:  # noqa: BLE001 (collected, asserted below)
            errors.append(repr(err))

    threads = [threading.Thread(target=student, args=(i, c)) for i, c in enumerate(clients[1:], 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(seen) == (STUDENTS - 1) * len(DRAG)
    assert not race.done()  # every preview was answered while the race still ran
    race.cancel()
    after = clients[0].predict(api_name="/stats")["previews"]
    computed, shared = after["misses"] - before["misses"], after["hits"] - before["hits"]
    assert computed == len(DRAG) and shared == (STUDENTS - 2) * len(DRAG)  # each picture computed once
    for value in DRAG:  # and everyone saw the same one
        assert len({seen[(i, value)] for i in range(1, STUDENTS)}) == 1
