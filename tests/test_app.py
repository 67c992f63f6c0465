"""The explorer's handlers, called directly and through gradio_client."""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
import torch
from PIL import Image

from fresh_viz.app import Explorer, build_app, from_slider, load_preset, serve, to_slider
from fresh_viz.models import FAMILIES
from fresh_viz.state import Budget

SMALL = Budget(size=32, width=32, depth=2, steps=20, max_steps=200, max_seconds=60.0, video_frames=4, grid_steps=10,
               note="test")
CPU = torch.device("cpu")
# family, slider position, second knob, seed, bins, mode, width, depth, log y
DEFAULTS = ("siren", to_slider(FAMILIES["siren"].knobs[0], 30.0), 0.0, 0, "64", "paper", 32, 2, False)
PAGE_CONTRACT = ["signal-input", "model-family", "param-slider", "seed-slider", "target-image", "output-image",
                 "spectra-plot", "wasserstein-value", "fresh-button", "fresh-plot", "train-button",
                 "stop-button", "psnr-plot"]


@pytest.fixture(scope="module")
def explorer():
    return Explorer(CPU, SMALL)


def distance_of(html: str) -> float:
    return float(html.split("W = ")[1].split("<")[0])


def pixels(path: str) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def test_log_slider_round_trip():
    knob = FAMILIES["siren"].knobs[0]
    assert from_slider(knob, to_slider(knob, 90.0)) == pytest.approx(90.0)
    assert from_slider(knob, 10.0) == knob.high  # clamped
    integer = FAMILIES["posenc"].knobs[0]
    assert from_slider(integer, 6.4) == 6.0


def test_choosing_a_preset_shows_target_and_preview(explorer):
    state, target, info, slider, output, figure, html, cdf, dft, link = explorer.choose_preset("zoneplate", *DEFAULTS)
    assert state.signal.spatial_shape == (32, 32) and "zoneplate" in info
    assert "Drag ω₀ up" in info  # the preset's guide
    assert link == "?signal=zoneplate&model=siren&value=30&seed=0&bins=64&mode=paper"
    assert len(cdf.data) == 2 and cdf.data[1].fill == "tonexty"
    assert pixels(dft).shape[1] > pixels(dft).shape[0]  # target and model side by side
    assert pixels(target).shape[2] == 3 and pixels(output).shape == pixels(target).shape
    assert len(figure.data) == 2 and distance_of(html) > 0
    assert slider["value"] == pytest.approx(to_slider(FAMILIES["siren"].knobs[0], 30.0))


def test_moving_the_slider_changes_output_and_distance(explorer):
    state = load_preset("zoneplate", SMALL)
    knob = FAMILIES["siren"].knobs[0]
    low = explorer.preview(state, "siren", to_slider(knob, 10.0), *DEFAULTS[2:])
    high = explorer.preview(state, "siren", to_slider(knob, 50.0), *DEFAULTS[2:])
    assert not np.array_equal(pixels(low[0]), pixels(high[0]))
    assert distance_of(high[2]) < distance_of(low[2])  # the zone plate wants a higher ω₀


def test_preview_of_every_family_audio_and_video(explorer):
    for name in ("chirp", "orbit", "astronaut"):
        state = load_preset(name, SMALL)
        for family, cls in FAMILIES.items():
            knob = cls.knobs[0].for_ndim(state.signal.ndim)
            output, figure, html, cdf, dft, link = explorer.preview(
                state, family, to_slider(knob, knob.default), 0.5, 1, "32", "radial", 16, 1, True)
            assert f"model={family}" in link and (dft is None) == (name != "astronaut")
            assert pixels(output).ndim == 3 and figure.layout.yaxis.type == "log" and distance_of(html) >= 0


def test_family_change_sets_sliders_and_learning_rate(explorer):
    state = load_preset("chirp", SMALL)
    param, second, lr = explorer.family_changed(state, "finer")
    assert second["visible"] is True and lr == FAMILIES["finer"].lr
    assert param["maximum"] > 4  # audio: log10 of tens of thousands
    _, second, _ = explorer.family_changed(state, "posenc")
    assert second["visible"] is False


def test_fresh_moves_the_slider_to_the_winner(explorer):
    state = load_preset("zoneplate", SMALL)
    seen = []
    out = explorer.fresh(state, False, *DEFAULTS, progress=lambda f, desc=None: seen.append(f))
    selection = state.selection
    assert out[2]["value"] == pytest.approx(to_slider(FAMILIES["siren"].knobs[0], selection.best), abs=1e-3)
    assert len(out[1].data) == 2 and f"{selection.best:g}" in out[3]
    assert seen and max(seen) == pytest.approx(1.0)


def test_training_race_yields_rising_psnr(explorer):
    state = load_preset("astronaut", SMALL)
    updates = list(explorer.train(state, 60, None, *DEFAULTS))
    figure, default_picture, tuned_picture, status, bands = updates[-1]
    assert len(bands.data) == 2 and bands.data[0].z.shape[1] == len(figure.data[0].x)
    assert "Finished" in status and len(figure.data) == 4
    trained = figure.data[0].y
    assert trained[-1] > trained[0] + 3
    assert pixels(default_picture).shape == pixels(tuned_picture).shape


def test_bad_upload_gives_a_clear_error(explorer, tmp_path):
    bad = tmp_path / "fake.png"
    bad.write_bytes(b"not an image at all")
    with pytest.raises(gr.Error, match="not a readable image"):
        explorer.upload(str(bad), None, *DEFAULTS)


def test_upload_of_a_real_image(explorer, tmp_path):
    path = tmp_path / "wide.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (40, 100, 3), dtype=np.uint8)).save(path)
    state, *_ = explorer.upload(str(path), None, *DEFAULTS)
    assert state.signal.spatial_shape == (13, 32) and state.source == "wide.png"


def test_page_contract_elem_ids():
    demo = build_app(CPU, SMALL)
    ids = {block.elem_id for block in demo.blocks.values() if getattr(block, "elem_id", None)}
    assert set(PAGE_CONTRACT) <= ids


@pytest.fixture(scope="module")
def launched(free_port):
    port = free_port
    demo = serve(build_app(CPU, SMALL), server_name="127.0.0.1", server_port=port, prevent_thread_lock=True,
                 quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.mark.slow
def test_gradio_client_sessions_are_separate(launched):
    from gradio_client import Client

    first, second = Client(launched, verbose=False), Client(launched, verbose=False)
    a = first.predict("zoneplate", *DEFAULTS, api_name="/choose_preset")
    b = second.predict("blobs", *DEFAULTS, api_name="/choose_preset")
    assert "zoneplate" in a[1] and "blobs" in b[1]
    # Each session's preview is computed on its own signal.
    again_a = first.predict(*DEFAULTS, api_name="/preview")
    again_b = second.predict(*DEFAULTS, api_name="/preview")
    assert distance_of(again_a[2]) == pytest.approx(distance_of(a[5]), abs=1e-3)
    assert distance_of(again_b[2]) == pytest.approx(distance_of(b[5]), abs=1e-3)
    assert distance_of(again_a[2]) != pytest.approx(distance_of(again_b[2]), abs=1e-3)


@pytest.mark.slow
def test_gradio_client_fresh_and_train(launched):
    from gradio_client import Client

    client = Client(launched, verbose=False)
    client.predict("zoneplate", *DEFAULTS, api_name="/choose_preset")
    fresh = client.predict(False, *DEFAULTS, api_name="/fresh")
    assert "untrained models" in fresh[2]
    job = client.submit(30, 0.0, *DEFAULTS, api_name="/train")
    final = job.result(timeout=120)
    assert "Finished" in final[3]


def test_picture_files_are_unique_and_pruned(tmp_path):
    from fresh_viz.app import OutputFiles

    files = OutputFiles(keep=3)
    paths = [files.save(np.full((4, 4, 3), 7, np.uint8)) for _ in range(5)]
    assert len(set(paths)) == 5  # same picture, separate files: nothing is rewritten in place
    assert [Path(p).exists() for p in paths] == [False, False, True, True, True]


def test_fresh_offers_the_selection_as_json(explorer):
    state = load_preset("blobs", SMALL)
    out = explorer.fresh(state, False, *DEFAULTS, progress=lambda f, desc=None: None)
    saved = json.loads(Path(out[4]["value"]).read_text())
    assert saved["signal"] == "blobs" and saved["best"] == state.selection.best
    assert len(saved["target_spectrum"]) == 64 and len(saved["model_spectra"]) == len(saved["values"])


def test_grid_check_trains_every_value(explorer):
    state = load_preset("zoneplate", SMALL)
    explorer.fresh(state, False, *DEFAULTS, progress=lambda f, desc=None: None)
    figure, status = list(explorer.grid_check(state, None, *DEFAULTS))[-1]
    grid = FAMILIES["siren"].knobs[0].grid
    assert "Done" in status and "FreSh chose" in status
    psnr = [trace for trace in figure.data if "held-out" in trace.name][0]
    assert len(psnr.y) == len(grid) and all(np.isfinite(psnr.y))


def test_page_query_sets_the_controls(explorer):
    class Request:
        query_params = {"signal": "blobs", "model": "fourier", "value": "4", "seed": "5", "bins": "32",
                        "mode": "radial", "colour": "red"}

    out = explorer.open_page(Request(), "astronaut", *DEFAULTS)
    state, notice = out[0], out[-1]
    assert state.preset == "blobs"
    assert out[3]["value"] == pytest.approx(to_slider(FAMILIES["fourier"].knobs[0], 4.0))
    assert "σ = 4, seed 5; radial mode, 32 bins" in out[6]
    assert out[9] == "?signal=blobs&model=fourier&value=4&seed=5&bins=32&mode=radial"
    assert "colour" in notice


def test_query_parsing_ignores_bad_values():
    from fresh_viz.state import Controls, controls_from_query

    preset, controls, notices = controls_from_query(
        {"signal": "../etc", "model": "mlp", "value": "1e9", "seed": "-3", "bins": "33", "mode": "x"},
        Controls(), ["blobs"], {"blobs": 2})
    assert preset is None and controls == Controls()
    assert len(notices) == 6


def test_grid_check_without_a_fresh_run_computes_one(explorer):
    state = load_preset("blobs", SMALL)
    figure, status = list(explorer.grid_check(state, None, *DEFAULTS))[-1]
    assert state.selection is not None and f"FreSh chose {state.selection.best:g}" in status
    assert len(figure.data) == 4  # W, PSNR trained / held out, FreSh's choice
