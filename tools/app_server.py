"""The app in a process of its own, for the tools that measure or photograph it: started with
`python -m fresh_viz serve` on a free (or given) port, waited for, and stopped afterwards."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence

# Debian's Chromium, headless, as root, with no background traffic on a closed network.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(options: Sequence[str] = (), port: int | None = None, prefix: Sequence[str] = (),
           **popen) -> Iterator[tuple[str, subprocess.Popen]]:
    """(url, process) of `[*prefix] python -m fresh_viz serve --port P [*options]` once its page answers;
    `popen` goes to subprocess.Popen (env, cwd).  The process is stopped on leaving."""
    port = port or free_port()
    command = [*prefix, sys.executable, "-m", "fresh_viz", "serve", "--host", "127.0.0.1", "--port", str(port),
               *options]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **popen)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(240):
            if server.poll() is not None:
                raise RuntimeError(f"the app exited with code {server.returncode}")
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError("the app did not start in 2 minutes")
        yield url, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
