"""The page in Debian's Chromium, driven by Playwright.  Screenshots go to
artifacts/ for a person to look at."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import torch

from fresh_viz.state import Budget
from fresh_viz.ui import build_app, serve

pytestmark = [pytest.mark.slow, pytest.mark.browser]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
BUDGET = Budget(size=64, width=64, depth=3, steps=40, max_steps=5000, max_seconds=120.0, video_frames=8, study_steps=20,
                note="Browser test budget.")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def url(free_port):
    port = free_port
    demo = serve(build_app(torch.device("cpu"), BUDGET), server_name="127.0.0.1", server_port=port,
                 prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def open_page(browser, url, errors=None):
    """A new page (in a new context when given the browser) with the app loaded."""
    page = browser.new_page(viewport={"width": 1400, "height": 1600}) if hasattr(browser, "contexts") \
        else browser.new_page()
    if errors is not None:
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector("#wasserstein-value .w-number", state="attached", timeout=60_000)  # maybe on another tab
    page.wait_for_function("document.querySelector('#output-image img') !== null", timeout=30_000)
    return page


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def distance(page) -> str:
    return page.inner_text("#wasserstein-value .w-number")


def output_src(page) -> str:
    return page.get_attribute("#output-image img", "src")


def wait_change(page, read, before, timeout=30.0):
    end = time.time() + timeout
    while time.time() < end:
        now = read(page)
        if now != before:
            return now
        page.wait_for_timeout(100)
    raise AssertionError(f"nothing changed from {before!r} in {timeout} s")


def plot_data(page, elem: str, ready: str = "d.length > 0", timeout: int = 60_000) -> list:
    """The traces of the Plotly figure in `#elem` once the JS condition `ready` on them (`d`) holds.

    Gradio draws a figure after the status beside it has changed, so a test waits for the figure itself.
    """
    page.wait_for_function(f"(() => {{ const p = document.querySelector('#{elem} .js-plotly-plot');"
                           f" const d = p && p.data; return d && ({ready}); }})()", timeout=timeout)
    return page.evaluate(f"document.querySelector('#{elem} .js-plotly-plot').data")


def choose_preset(page, title: str, name: str) -> None:
    """Click a preset's thumbnail and wait until its preview is shown."""
    page.locator("#preset-gallery").get_by_text(title).first.click()
    page.wait_for_function(
        f"document.querySelector('#signal-info').innerText.startsWith('{name}:')", timeout=60_000)
    page.wait_for_selector("#wasserstein-value .w-number", timeout=30_000)


def open_tab(page, title: str) -> None:
    """Click a tab of the page (Explore, Train, Compare families, Your model)."""
    page.get_by_role("tab", name=title, exact=True).click()


def set_steps(page, steps: int) -> None:
    open_tab(page, "Train")
    page.locator("#train-steps input[type=number]").fill(str(steps))
    page.locator("#train-steps input[type=number]").press("Enter")


def start_long_training(page, reports: int) -> None:
    """Start a 5000-step race and wait until the PSNR plot holds `reports` points."""
    set_steps(page, 5000)
    page.click("#train-button")
    plot_data(page, "psnr-plot", f"d[0].x.length >= {reports}", timeout=120_000)


def test_page_loads_without_console_errors(browser, url):
    errors: list[str] = []
    page = open_page(browser, url, errors)
    for elem_id in ["signal-input", "model-family", "param-slider", "seed-slider", "target-image", "output-image",
                    "spectra-plot", "wasserstein-value", "fresh-button", "fresh-hint", "tab-explore"]:
        assert page.locator(f"#{elem_id}").count() == 1, elem_id
    assert page.locator("#fresh-plot").count() == 0  # no empty placeholder: a line says what pressing shows
    open_tab(page, "Train")
    for elem_id in ["train-button", "stop-button", "train-steps", "race-hint", "grid-button", "study-hint"]:
        assert page.locator(f"#{elem_id}").is_visible(), elem_id
    assert page.locator("#psnr-plot").count() == 0 and page.locator("#race-animation").count() == 0
    open_tab(page, "Explore")
    page.wait_for_selector("#spectra-plot .js-plotly-plot", timeout=30_000)
    assert distance(page).startswith("W = ")
    shot(page, "01-loaded")
    assert errors == []
    page.close()


def test_keyboard_on_the_slider_changes_output_and_distance(browser, url):
    page = open_page(browser, url)
    w_before, src_before = distance(page), output_src(page)
    slider = page.locator("#param-slider input[type=range]")
    slider.focus()
    for _ in range(40):
        page.keyboard.press("ArrowRight")
    w_after = wait_change(page, distance, w_before)
    assert w_after != w_before
    wait_change(page, output_src, src_before)
    shot(page, "02-slider-moved")
    page.close()


def test_fresh_button_fills_its_plot_and_moves_the_slider(browser, url):
    page = open_page(browser, url)
    choose_preset(page, "Zone plate", "zoneplate")
    slider = page.locator("#param-slider input[type=range]")
    before = float(slider.input_value())
    page.click("#fresh-button")
    page.wait_for_function("document.querySelector('#fresh-status').innerText.includes('untrained models')",
                           timeout=120_000)
    assert len(plot_data(page, "fresh-plot")) == 3  # mean W, shares of resamples won, the pick
    assert "% of resamples" in page.inner_text("#fresh-status")
    assert not page.locator("#extend-grid-button").is_visible()  # the pick is inside the grid
    after = float(slider.input_value())
    assert after > before  # the zone plate needs a higher ω₀ than the default
    shot(page, "03-fresh")
    page.close()


def test_an_edge_pick_offers_to_extend_the_grid(browser, url):
    page = open_page(browser, url + "?signal=blobs&model=fourier")  # smooth: σ wants the grid's lowest value
    page.wait_for_function("document.querySelector('#signal-info').innerText.startsWith('blobs:')", timeout=30_000)
    page.click("#fresh-button")
    page.wait_for_function("document.querySelector('#fresh-status').innerText.includes('untrained models')",
                           timeout=120_000)
    assert "σ = 1 is the grid's lowest value and W is still falling towards it" in page.inner_text("#fresh-status")
    button = page.locator("#extend-grid-button")
    button.wait_for(state="visible", timeout=10_000)
    assert button.inner_text() == "Extend the grid below 1"
    button.click()
    plot_data(page, "fresh-plot", "d[0].x.includes(0.1)", timeout=120_000)  # σ = 0.1, the knob's lowest, tried
    shot(page, "03b-grid-extended")
    page.close()


def test_training_draws_rising_curves_and_stop_halts_them(browser, url):
    page = open_page(browser, url)
    start_long_training(page, reports=8)
    curve = page.evaluate("document.querySelector('#psnr-plot .js-plotly-plot').data[0].y")
    assert curve[-1] > curve[0] + 2
    page.click("#stop-button")
    page.wait_for_function("document.querySelector('#train-status').innerText.includes('Stopped')", timeout=10_000)
    length = page.evaluate("document.querySelector('#psnr-plot .js-plotly-plot').data[0].x.length")
    page.wait_for_timeout(2500)
    assert page.evaluate("document.querySelector('#psnr-plot .js-plotly-plot').data[0].x.length") == length
    assert "Stopped" in page.inner_text("#train-status")
    shot(page, "04-training-stopped")
    page.close()


def test_two_browsers_do_not_affect_each_other(browser, url):
    size = {"width": 1400, "height": 1600}
    context_a, context_b = browser.new_context(viewport=size), browser.new_context(viewport=size)
    page_a, page_b = open_page(context_a, url), open_page(context_b, url)
    choose_preset(page_a, "Smooth blobs", "blobs")
    choose_preset(page_b, "Siemens star", "siemens")
    assert "blobs" in page_a.inner_text("#signal-info") and "siemens" in page_b.inner_text("#signal-info")
    w_b = distance(page_b)
    slider = page_a.locator("#param-slider input[type=range]")
    slider.focus()
    for _ in range(30):
        page_a.keyboard.press("ArrowLeft")
    wait_change(page_a, distance, distance(page_a))
    page_b.wait_for_timeout(1000)
    assert distance(page_b) == w_b and "siemens" in page_b.inner_text("#signal-info")
    shot(page_a, "05-session-a")
    shot(page_b, "05-session-b")
    context_a.close()
    context_b.close()


def test_a_link_restores_the_state_and_the_share_link_reproduces_it(browser, url):
    query = "?signal=blobs&model=fourier&value=4&seed=5&bins=32&mode=radial"
    errors: list[str] = []
    page = open_page(browser, url + query + "&colour=red", errors)
    page.wait_for_function("document.querySelector('#signal-info').innerText.startsWith('blobs:')", timeout=30_000)
    caption = page.inner_text("#wasserstein-value")
    assert "σ = 4, seed 5; radial mode, 32 bins" in caption
    assert page.locator("#model-family input").input_value() == "Fourier features"
    assert "colour" in page.inner_text("#query-notice")
    assert page.locator("#share-link textarea").input_value() == url + query
    shot(page, "06-restored-from-link")
    assert errors == []
    page.close()


def test_cdf_band_error_and_dft_views_have_data(browser, url):
    page = open_page(browser, url)
    page.locator("#spectra-plot .js-plotly-plot").hover()
    assert page.locator("#spectra-plot .modebar-btn[data-title='Download plot as a PNG']").count() == 1
    page.get_by_role("tab", name="What W measures").click()
    plot_data(page, "cdf-plot", "d.length == 2 && d[1].fill == 'tonexty'", timeout=30_000)
    shot(page, "07-cdf")
    page.get_by_role("tab", name="2-D DFT and bins").click()
    page.wait_for_selector("#dft-plot img", timeout=30_000)
    open_tab(page, "Train")
    page.click("#train-button")
    plot_data(page, "band-error-plot", "d.length == 2 && d[0].x.length >= 3", timeout=120_000)
    page.wait_for_function("document.querySelector('#train-status').innerText.includes('Finished')",
                           timeout=120_000)
    shot(page, "08-band-errors")
    page.close()


def test_presentation_mode_hides_advanced_controls(browser, url):
    page = open_page(browser, url)
    assert page.locator("#advanced").is_visible() and page.locator("#signal-input").is_visible()
    page.locator("#presentation-mode input[type=checkbox]").check()
    page.wait_for_function("document.body.classList.contains('presentation')", timeout=10_000)
    page.wait_for_function("!document.querySelector('#advanced') || document.querySelector('#advanced')"
                           ".offsetParent === null", timeout=10_000)
    assert not page.locator("#signal-input").is_visible()
    assert page.locator("#param-slider").is_visible() and page.locator("#fresh-button").is_visible()
    shot(page, "09-presentation")
    page.close()


def test_the_trust_check_completes_on_a_small_preset(browser, url):
    page = open_page(browser, url + "?signal=blobs&tab=train")  # a link that opens the Train tab
    page.wait_for_function("document.querySelector('#signal-info').textContent.includes('blobs:')", timeout=30_000)
    page.locator("#grid-button").wait_for(state="visible", timeout=10_000)
    assert not page.locator("#fresh-button").is_visible()  # on another tab
    page.click("#grid-button")
    page.wait_for_function("document.querySelector('#study-status').innerText.includes('Done')", timeout=300_000)
    # W, trained and held-out PSNR at each of the three budgets, FreSh's pick, the best held out
    plot_data(page, "study-plot", "d.length == 9")
    assert "rank correlation" in page.inner_text("#study-status")
    shot(page, "10-trust-check")
    page.close()


def test_a_link_opens_the_train_tab_and_the_share_link_keeps_it(browser, url):
    page = open_page(browser, url + "?signal=blobs&tab=train")
    page.locator("#train-button").wait_for(state="visible", timeout=10_000)
    page.wait_for_function("document.querySelector('#share-link textarea').value.includes('tab=train')",
                           timeout=10_000)
    open_tab(page, "Compare families")
    page.wait_for_function("document.querySelector('#share-link textarea').value.includes('tab=compare')",
                           timeout=10_000)
    assert page.locator("#compare-button").is_visible() and not page.locator("#train-button").is_visible()
    page.close()


def test_the_projector_shows_the_first_screen_without_scrolling(browser, url):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = open_page(context, url)
    page.locator("#presentation-mode input[type=checkbox]").check()
    page.wait_for_function("document.body.classList.contains('presentation')", timeout=10_000)
    page.wait_for_timeout(500)  # the layout settles
    for elem_id in ("target-image", "output-image", "param-slider", "wasserstein-value", "spectra-plot",
                    "fresh-button"):
        box = page.locator(f"#{elem_id}").bounding_box()
        assert box is not None and box["width"] > 0, elem_id
        assert box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= 1280, (elem_id, box)
        assert box["y"] + box["height"] <= 720, (elem_id, box)
    assert page.evaluate("window.scrollY") == 0
    shot(page, "16-projector")
    context.close()


def test_a_race_downloads_as_an_animation(browser, url, tmp_path):
    import re
    import subprocess

    from fresh_viz.signals import ffmpeg

    page = open_page(browser, url)
    set_steps(page, 20)
    page.click("#train-button")
    button = page.locator("#race-animation")
    button.wait_for(state="visible", timeout=120_000)
    with page.expect_download(timeout=30_000) as download:
        button.click()
    movie = tmp_path / "race.mp4"
    download.value.save_as(movie)
    decoded = subprocess.run([ffmpeg.executable(), "-i", str(movie), "-f", "null", "-"], capture_output=True,
                             text=True).stderr
    assert int(re.findall(r"frame=\s*(\d+)", decoded)[-1]) == 21  # a frame per report: steps 0 to 20
    assert page.locator("#race-gif").is_visible()
    page.close()


def test_closing_the_tab_stops_training(browser, url):
    import psutil

    page = open_page(browser, url)
    start_long_training(page, reports=3)
    me = psutil.Process()  # the app runs in this process
    me.cpu_percent(None)
    time.sleep(1.0)
    busy = me.cpu_percent(None)
    page.close()
    time.sleep(4.0)
    me.cpu_percent(None)
    time.sleep(1.5)
    idle = me.cpu_percent(None)
    assert busy > 60 and idle < 40, (busy, idle)


def test_the_number_beside_the_slider_is_the_value_itself(browser, url):
    import math

    page = open_page(browser, url)
    number = page.locator("#param-slider input[type=number]").first
    slider = page.locator("#param-slider input[type=range]")
    assert number.is_visible() and float(number.input_value()) == 30.0
    slider.focus()
    for _ in range(60):
        page.keyboard.press("ArrowRight")
    # The slider moves in log10 units; the box shows 10 ** position, not the position (once the
    # last key press has been answered: the events run one after another).
    page.wait_for_function("(() => { const shown = Number(document.querySelector('#param-value input').value);"
                           " const at = Number(document.querySelector('#param-slider input[type=range]').value);"
                           " return shown > 40 && Math.abs(shown - 10 ** at) < 2e-3 * shown; })()", timeout=30_000)
    position = float(slider.input_value())
    assert float(number.input_value()) == pytest.approx(10**position, rel=2e-3)
    w_before = distance(page)
    number.fill("90")
    number.press("Enter")
    wait_change(page, distance, w_before)
    page.wait_for_function(f"Math.abs(Number(document.querySelector('#param-slider input[type=range]').value) - "
                           f"{math.log10(90)}) < 0.01", timeout=30_000)
    assert "ω₀ = 90," in page.inner_text("#wasserstein-value")
    shot(page, "11-typed-value")
    page.close()


def test_the_preset_picker_follows_a_link_and_an_upload(browser, url, tmp_path):
    import numpy as np
    from PIL import Image

    page = open_page(browser, url + "?signal=zoneplate&value=90")
    page.wait_for_function("document.querySelector('#signal-info').innerText.startsWith('zoneplate:')",
                           timeout=30_000)
    assert page.locator("#preset-select input").input_value() == "Zone plate (chirp)"
    assert float(page.locator("#param-value input").input_value()) == 90.0
    picture = tmp_path / "noise.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (40, 60, 3), dtype=np.uint8)).save(picture)
    page.locator("#signal-input input[type=file]").set_input_files(str(picture))
    page.wait_for_function("document.querySelector('#signal-info').innerText.startsWith('noise:')",
                           timeout=60_000)
    assert page.locator("#preset-select input").input_value() == ""
    shot(page, "12-upload-clears-the-preset")
    page.close()


def test_the_comparison_draws_every_family_and_the_gap(browser, url):
    from fresh_viz.models import FAMILIES

    page = open_page(browser, url)
    choose_preset(page, "Smooth blobs", "blobs")
    open_tab(page, "Compare families")
    page.click("#compare-button")
    page.wait_for_function("document.querySelector('#compare-status').innerText.includes('Closest spectra')",
                           timeout=300_000)
    bars = plot_data(page, "compare-plot")[0]["x"]
    assert bars == [cls.title for cls in FAMILIES.values()]
    assert page.locator("#compare-gallery img").count() >= len(FAMILIES)
    set_steps(page, 20)
    open_tab(page, "Compare families")
    page.click("#compare-train-button")
    page.wait_for_function("document.querySelector('#compare-train-status').innerText.includes('Finished')",
                           timeout=300_000)
    plot_data(page, "compare-psnr-plot", f"d.length == {2 * len(FAMILIES)}")  # trained and held-out per family
    gaps = page.evaluate("Array.from(document.querySelectorAll('#compare-psnr-plot .annotation-text'))"
                         ".map(e => e.textContent)")
    assert len(gaps) == len(FAMILIES) and all(text.startswith("gap ") for text in gaps)
    shot(page, "13-family-comparison")
    page.close()


def test_the_race_shades_and_labels_the_gap(browser, url):
    page = open_page(browser, url)
    set_steps(page, 30)
    page.click("#train-button")
    page.wait_for_function("document.querySelector('#train-status').innerText.includes('Finished')",
                           timeout=120_000)
    assert "gap" in page.inner_text("#train-status")
    # One shaded band per race member.
    plot_data(page, "psnr-plot", "d.filter(t => t.fill == 'tonexty').length == 2")
    notes = page.evaluate("Array.from(document.querySelectorAll('#psnr-plot .annotation-text'))"
                          ".map(e => e.textContent)")
    assert len(notes) == 2 and all(text.startswith("gap ") for text in notes)
    page.get_by_text("Why the dashed line can fall").click()  # the guide beside the race explains the gap
    page.wait_for_function("document.querySelector('#trade-off-guide').innerText.includes('spectral bias')",
                           timeout=10_000)
    page.close()


def test_audio_and_video_can_be_played(browser, url):
    page = open_page(browser, url)
    choose_preset(page, "Chirp (audio)", "chirp")
    for elem_id in ("target-audio", "output-audio"):
        page.wait_for_selector(f"#{elem_id} button[aria-label='Play']", timeout=30_000)
        source = page.get_attribute(f"#{elem_id} a[data-testid='download-link']", "href")
        assert source and source.endswith(".wav")
    assert not page.locator("#target-video").is_visible()
    choose_preset(page, "Orbiting dot (video)", "orbit")
    for elem_id in ("target-video", "output-video"):
        page.wait_for_selector(f"#{elem_id} video", state="attached", timeout=30_000)
        source = page.get_attribute(f"#{elem_id} video", "src")
        assert source and source.endswith(".mp4")
    playable = page.evaluate("document.querySelector('#target-video video').canPlayType('video/mp4; codecs=\"avc1\"')")
    assert playable in ("probably", "maybe")
    assert not page.locator("#target-audio").is_visible()
    shot(page, "14-video-players")
    page.close()


def test_saved_outputs_of_your_own_model(browser, url, tmp_path):
    import io
    import zipfile

    import numpy as np

    rng = np.random.default_rng(0)
    with zipfile.ZipFile(tmp_path / "mine.zip", "w") as archive:
        for width in (1, 4, 16):  # smoothed noise: a larger window, a lower spectrum
            for i in range(3):
                noise = rng.standard_normal((64, 64, 3))
                kernel = np.ones(width) / width
                smooth = np.apply_along_axis(lambda r, k=kernel: np.convolve(r, k, "same"), 0, noise)
                buffer = io.BytesIO()
                np.save(buffer, smooth.astype(np.float32))
                archive.writestr(f"outputs/blur{width}/{i}.npy", buffer.getvalue())
    page = open_page(browser, url)
    open_tab(page, "Your model")
    page.locator("#outputs-zip input[type=file]").set_input_files(str(tmp_path / "mine.zip"))
    page.wait_for_function("document.querySelector('#outputs-status').innerText.includes('Best:')",
                           timeout=120_000)
    points = plot_data(page, "outputs-plot")[0]["x"]
    assert sorted(points) == ["blur1", "blur16", "blur4"]
    plot_data(page, "outputs-spectra-plot")
    shot(page, "15-saved-outputs")
    page.close()
