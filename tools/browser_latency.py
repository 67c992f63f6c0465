"""Slider-to-preview latency in a real browser, at the app's default settings.

    python tools/browser_latency.py [--presses 24] [--json]

Starts `python -m fresh_viz serve` on a free port, opens the page in Debian's
Chromium through Playwright, then presses ArrowRight on the parameter slider
and times until the distance shown changes.  Prints median and 90th percentile,
and the server compute the page reports for the same previews.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time

from app_server import CHROMIUM_FLAGS, served
from playwright.sync_api import sync_playwright


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--presses", type=int, default=24)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with served() as (url, _), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.goto(url)
        page.wait_for_selector("#wasserstein-value .w-number", timeout=120_000)
        slider = page.locator("#param-slider input[type=range]")
        slider.focus()
        latencies, computed = [], []
        for _ in range(args.presses):
            before = page.inner_text("#wasserstein-value")
            start = time.perf_counter()
            page.keyboard.press("ArrowRight")
            page.wait_for_function("b => document.querySelector('#wasserstein-value').innerText !== b",
                                   arg=before, timeout=30_000, polling=5)
            latencies.append(time.perf_counter() - start)
            text = page.inner_text("#wasserstein-value")
            computed.append(float(text.split("computed in ")[1].split(" ms")[0]))
            page.wait_for_timeout(150)
        browser.close()
    latencies.sort()
    if args.json:
        print(json.dumps({"presses": len(latencies), "median_ms": 1000 * statistics.median(latencies),
                          "p90_ms": 1000 * latencies[int(0.9 * len(latencies))],
                          "server_compute_median_ms": statistics.median(computed)}))
        return
    print(f"slider to preview in the browser over {len(latencies)} presses: median "
          f"{1000 * statistics.median(latencies):.0f} ms, p90 {1000 * latencies[int(0.9 * len(latencies))]:.0f} ms; "
          f"model compute reported by the page: median {statistics.median(computed):.0f} ms")


if __name__ == "__main__":
    main()
