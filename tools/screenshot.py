"""The README's screenshot: the app in headless Chromium, saved as assets/screenshot.png.

    python tools/screenshot.py [--out assets/screenshot.png] [--port 7861] [--width 1280] [--height 900]

Starts `python -m fresh_viz serve --size 64 --width 32` (small, so the first preview is quick) on
the port, opens the page in Debian's Chromium through Playwright, waits until the distance shows
"W =", takes a screenshot of the top of the page and stops the server it started.  Rerun it when
the layout changes.
"""

from __future__ import annotations

import argparse
import io
import shutil
from pathlib import Path

from app_server import CHROMIUM_FLAGS, served
from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "assets" / "screenshot.png")
    parser.add_argument("--port", type=int, default=7861)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--max-kb", type=int, default=300, help="quantise the PNG's colours above this size")
    args = parser.parse_args()
    with served(["--size", "64", "--width", "32"], args.port, cwd=ROOT) as (url, _), \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        page.goto(url)
        page.wait_for_function("() => (document.querySelector('#wasserstein-value') || {}).innerText"
                               "?.includes('W =')", timeout=180_000, polling=200)
        page.wait_for_timeout(1500)  # let the plots finish drawing
        png = page.screenshot(full_page=False)
        browser.close()
    image = Image.open(io.BytesIO(png)).convert("RGB")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    image.save(args.out, optimize=True)
    if args.out.stat().st_size > args.max_kb * 1024:
        image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(args.out, optimize=True)
    print(f"{args.out}: {image.width} x {image.height}, {args.out.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
