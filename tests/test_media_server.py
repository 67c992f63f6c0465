"""The launched app, its memory capped as on a small host, receiving large media through
gradio_client and still answering a preview afterwards.

The server runs under RLIMIT_AS = 6 GiB (a 4K clip of 200 frames took 4.6 GiB, plus a
float64 copy, before frames were streamed), and its peak resident memory during each
upload and the preview after it must stay under 1 GiB above what it held before.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from api import reply
from media_files import big_gif, encoded_audio, long_wav, pattern_clip

from fresh_viz.models import FAMILIES
from fresh_viz.ui.explore import UPLOAD_TYPES
from fresh_viz.ui.knobs import to_slider

pytestmark = pytest.mark.slow
REPORT = "media_server.json"  # what the `report` fixture writes to artifacts/
MB = 2**20
ADDRESS_SPACE = 6 * 2**30




def cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


@pytest.fixture(scope="module")
def server(free_port):
    """(url, pid) of the app in its own process under the memory cap."""
    env = dict(os.environ, MALLOC_ARENA_MAX="2")  # glibc reserves 64 MB of address space per thread otherwise
    process = subprocess.Popen([sys.executable, "-m", "fresh_viz", "serve", "--host", "127.0.0.1", "--port",
                                str(free_port), "--size", "32", "--width", "32", "--depth", "2"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=cap_memory)
    url = f"http://127.0.0.1:{free_port}/"
    deadline = time.time() + 120
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                break
        except OSError:
            assert process.poll() is None and time.time() < deadline, "the app did not start under the cap"
            time.sleep(0.5)
    yield url, process.pid
    process.terminate()
    process.wait(timeout=30)


def controls() -> dict:
    """The page's controls as the API takes them: by name."""
    return {"family": "siren", "value": 30.0, "second": 0.0, "seed": 0, "bins": "64", "mode": "paper", "width": 32,
            "depth": 2, "log_y": False}


def resident(pid: int, key: str) -> int:
    return int(re.search(key + r":\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text()).group(1)) * 1024


UPLOADS = {  # name: (file type, maker)
    "4K MP4, 200 frames": (".mp4", lambda media: pattern_clip(media, 3840, 2160, 200)),
    "8K MP4, 200 frames": (".mp4", lambda media: pattern_clip(media, 7680, 4320, 200, crf=45)),
    "1080p GIF, 200 frames": (".gif", lambda media: big_gif(media, 1920, 1080, 200)),
    "4-minute WAV": (".wav", lambda media: long_wav(media, 4.0)),
    "4-minute MP3": (".mp3", lambda media: encoded_audio(media, long_wav(media, 4.0), ".mp3")),
    "4-minute FLAC": (".flac", lambda media: encoded_audio(media, long_wav(media, 4.0), ".flac")),
    "4-minute OGG": (".ogg", lambda media: encoded_audio(media, long_wav(media, 4.0), ".ogg")),
}


def test_the_upload_box_takes_every_kind_of_file_the_loaders_read():
    assert {suffix for suffix, _ in UPLOADS.values()} <= set(UPLOAD_TYPES)


@pytest.mark.parametrize("name", list(UPLOADS))
def test_upload_then_preview_under_a_memory_cap(server, media, report, name):
    from gradio_client import Client, handle_file

    url, pid = server
    path = UPLOADS[name][1](media)
    assert path.stat().st_size < 50 * MB  # within the app's upload limit
    client = Client(url, verbose=False)
    client.predict("astronaut", **controls(), api_name="/choose_preset")  # the session and its caches warm
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # the server's peak restarts from here
    before, start = resident(pid, "VmRSS"), time.perf_counter()
    shown = reply("upload", client.predict(handle_file(str(path)), **controls(), api_name="/upload"))
    assert "W = " in shown["distance"]
    info = shown["signal_info"]
    if "minute" in name:  # the page says which window of the recording it analyses: what a CPU previews live
        assert re.search(r"audio, 16384, 2 channel\(s\), 0.00 s to 0.37 s of 240.0\d s", info), info
    else:
        assert re.search(r"video, \d+ x \d+ x \d+, 3 channel\(s\)", info), info
    uploaded = time.perf_counter() - start
    preview = client.predict(to_slider(FAMILIES["siren"].knobs[0], 60.0), **controls(), api_name="/preview")
    assert "W = " in reply("preview", preview)["distance"]
    peak = resident(pid, "VmHWM") - before
    report[name] = {"file_mb": round(path.stat().st_size / MB, 1), "upload_and_first_preview_s": round(uploaded, 2),
                    "server_peak_above_before_mb": round(peak / MB, 1)}
    assert peak < 1024 * MB
