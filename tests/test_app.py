"""The explorer's handlers, called directly and through gradio_client."""

from __future__ import annotations

import json
import re
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
import torch
from api import reply
from PIL import Image

from fresh_viz.models import FAMILIES
from fresh_viz.state import Budget, Controls
from fresh_viz.ui import build_app, serve
from fresh_viz.ui.explore import Explore, load_preset
from fresh_viz.ui.knobs import from_slider, to_slider
from fresh_viz.ui.page import Context
from fresh_viz.ui.training import Training

SMALL = Budget(size=32, width=32, depth=2, steps=20, max_steps=200, max_seconds=60.0, video_frames=4, study_steps=10,
               note="test")
CPU = torch.device("cpu")
DEFAULTS = Controls("siren", 30.0, width=32, depth=2)
# The same controls as the page sends them to the API: by name, raw widget values.
PAGE = {"family": "siren", "value": 30.0, "second": 0.0, "seed": 0, "bins": "64", "mode": "paper", "width": 32,
        "depth": 2, "log_y": False}
PAGE_CONTRACT = ["signal-input", "model-family", "param-slider", "seed-slider", "target-image", "output-image",
                 "spectra-plot", "wasserstein-value", "fresh-button", "fresh-plot", "train-button", "train-steps",
                 "stop-button", "psnr-plot", "trade-off-guide", "band-error-plot", "cdf-plot", "dft-plot",
                 "share-link", "presentation-mode", "grid-button", "preset-select", "compare-button",
                 "compare-plot", "tab-explore", "tab-train", "tab-compare", "tab-yours", "race-animation",
                 "sweep-animation"]


@pytest.fixture(scope="module")
def explorer():
    return Explore(Context(CPU, SMALL))


@pytest.fixture(scope="module")
def training(explorer):
    return Training(explorer.ctx)


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
    view = explorer.choose_preset("zoneplate", DEFAULTS)
    state, info = view["session"], view["signal_info"]
    assert state.signal.spatial_shape == (32, 32) and "zoneplate" in info
    assert "Drag ω₀ up" in info  # the preset's guide
    assert view["share_query"] == "?signal=zoneplate&model=siren&value=30&seed=0&bins=64&mode=paper"
    assert len(view["cdf"]["data"]) == 2 and view["cdf"]["data"][1]["fill"] == "tonexty"
    dft = pixels(view["dft"])
    assert dft.shape[1] > dft.shape[0]  # target and model side by side
    target, output = pixels(view["target_image"]), pixels(view["output_image"])
    assert target.shape[2] == 3 and output.shape == target.shape
    assert len(view["spectra"]["data"]) == 2 and distance_of(view["distance"]) > 0
    assert view["param_position"]["value"] == pytest.approx(to_slider(FAMILIES["siren"].knobs[0], 30.0))
    assert view["param_value"]["value"] == 30.0 and view["preset"]["value"] == "zoneplate"


def test_moving_the_slider_changes_output_and_distance(explorer):
    state = load_preset("zoneplate", SMALL)
    knob = FAMILIES["siren"].knobs[0]
    low = explorer.preview_at_position(state, to_slider(knob, 10.0), DEFAULTS)
    high = explorer.preview_at_position(state, to_slider(knob, 50.0), DEFAULTS)
    assert not np.array_equal(pixels(low["output_image"]), pixels(high["output_image"]))
    assert distance_of(high["distance"]) < distance_of(low["distance"])  # the zone plate wants a higher ω₀
    # The number beside the slider is the value itself, not the slider's log position.
    assert low["param_value"]["value"] == 10.0 and high["param_value"]["value"] == 50.0


def test_typing_a_value_moves_the_slider_and_the_preview(explorer):
    state = load_preset("zoneplate", SMALL)
    knob = FAMILIES["siren"].knobs[0]
    typed = explorer.preview_at_value(state, Controls("siren", 90.0, width=32, depth=2))
    assert typed["param_position"]["value"] == pytest.approx(to_slider(knob, 90.0))
    assert typed["param_value"]["value"] == 90.0 and "ω₀ = 90" in typed["distance"]
    clamped = explorer.preview_at_value(state, Controls("siren", 1e6, width=32, depth=2))
    assert clamped["param_value"]["value"] == knob.high


def test_preview_of_every_family_audio_and_video(explorer):
    for name in ("chirp", "orbit", "astronaut"):
        state = load_preset(name, SMALL)
        for family in FAMILIES:
            view = explorer.preview(state, Controls(family, None, 0.5, 1, 32, "radial", 16, 1, log_y=True))
            assert f"model={family}" in view["share_query"]
            released = explorer.released(state, Controls(family, None, 0.5, 1, 32, "radial", 16, 1))
            assert (released["dft"] is None) == (name != "astronaut")  # the DFT view follows a let-go slider
            assert pixels(view["output_image"]).ndim == 3 and view["spectra"]["layout"]["yaxis"]["type"] == "log"
            assert distance_of(view["distance"]) >= 0


def test_family_change_sets_sliders_and_learning_rate(explorer):
    state = load_preset("chirp", SMALL)
    view = explorer.family_changed(state, Controls("finer", 77.0, width=32, depth=2))
    assert view["second"]["visible"] is True and view["lr"] == FAMILIES["finer"].lr
    assert view["param_position"]["maximum"] > 4  # audio: log10 of tens of thousands
    assert view["param_value"]["value"] == FAMILIES["finer"].knobs[0].for_ndim(1).default  # back to the default
    assert distance_of(view["distance"]) >= 0  # and previewed at once
    assert explorer.family_changed(state, Controls("posenc", width=32, depth=2))["second"]["visible"] is False


def test_fresh_moves_the_slider_to_the_winner(explorer):
    state = load_preset("zoneplate", SMALL)
    seen = []
    view = explorer.fresh(state, False, DEFAULTS, lambda fraction, message: seen.append(fraction))
    selection = state.selection
    assert view["param_position"]["value"] == pytest.approx(to_slider(FAMILIES["siren"].knobs[0], selection.best),
                                                            abs=1e-3)
    assert view["param_value"]["value"] == selection.best
    assert len(view["fresh_plot"].data) == 3 and f"{selection.best:g}" in view["fresh_status"]  # W, shares, pick
    assert seen and max(seen) == pytest.approx(1.0)


def test_fresh_says_how_sure_it_is_and_extends_a_grid_cut_short_at_its_edge(explorer):
    state = load_preset("zoneplate", SMALL)
    inside = explorer.fresh(state, False, DEFAULTS)
    assert "as likely; chosen in" in inside["fresh_status"] and "% of resamples" in inside["fresh_status"]
    assert inside["extend_button"]["visible"] is False
    wire = Controls("wire", None, width=32, depth=2)  # at 32 px WIRE's W on the zone plate falls below ω₀ = 4
    view = explorer.fresh(state, True, wire, values=[4.0, 8.0, 16.0, 32.0])
    status, selection = view["fresh_status"], state.selection
    assert re.search(r"\*\*ω₀ = 4; .* as likely; chosen in \d+ % of resamples\*\*", status)
    assert "ω₀ = 4 is the grid's lowest value and W is still falling towards it" in status
    assert view["extend_button"]["visible"] is True and view["extend_button"]["value"] == "Extend the grid below 4"
    figure = view["fresh_plot"]  # the shares of resamples as bars, the plausible values shaded
    assert figure.data[1].type == "bar" and list(figure.data[1].y) == selection.pick_frequency
    band, low, high = figure.layout.shapes[0], selection.plausible[0], selection.plausible[-1]
    assert low / 2 < band.x0 < low and high < band.x1 < 2 * high  # half-way (in log) to the next grid values
    extended = explorer.extend(state, True, wire)
    grown = state.selection
    assert grown.candidates == [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0]  # as many again, the spacing continued
    assert grown.best < 4 and extended["param_value"]["value"] == grown.best  # the slider follows the new pick
    with pytest.raises(gr.Error, match="nothing to extend"):
        explorer.extend(state, True, DEFAULTS)  # no result for these settings yet


def test_training_race_yields_rising_psnr(explorer, training):
    state = load_preset("astronaut", SMALL)
    last = list(training.train(state, 60, None, DEFAULTS))[-1]
    figure, bands, status = last["psnr_plot"], last["band_plot"], last["train_status"]
    default_picture, tuned_picture = last["default_image"], last["fresh_image"]
    assert len(bands.data) == 2 and bands.data[0].z.shape[1] == len(figure.data[0].x)
    assert "Finished" in status and len(figure.data) == 4
    trained = figure.data[0].y
    assert trained[-1] > trained[0] + 3
    assert pixels(default_picture).shape == pixels(tuned_picture).shape


def test_bad_upload_gives_a_clear_error(explorer, tmp_path):
    bad = tmp_path / "fake.png"
    bad.write_bytes(b"not an image at all")
    with pytest.raises(gr.Error, match="not a readable image"):
        explorer.upload(str(bad), None, DEFAULTS)


def test_upload_of_a_real_image(explorer, tmp_path):
    path = tmp_path / "wide.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (40, 100, 3), dtype=np.uint8)).save(path)
    view = explorer.upload(str(path), None, DEFAULTS)
    state = view["session"]
    assert state.signal.spatial_shape == (13, 32) and state.source == "wide.png"
    assert view["preset"]["value"] is None  # the preset picker no longer names a preset


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
    position = to_slider(FAMILIES["siren"].knobs[0], 30.0)
    a = first.predict("zoneplate", **PAGE, api_name="/choose_preset")
    b = second.predict("blobs", **PAGE, api_name="/choose_preset")
    a, b = reply("choose_preset", a), reply("choose_preset", b)
    assert "zoneplate" in a["signal_info"] and "blobs" in b["signal_info"]
    # Each session's preview is computed on its own signal.
    again_a = first.predict(position, **PAGE, api_name="/preview")
    again_b = second.predict(position, **PAGE, api_name="/preview")
    again_a, again_b = reply("preview", again_a)["distance"], reply("preview", again_b)["distance"]
    assert distance_of(again_a) == pytest.approx(distance_of(a["distance"]), abs=1e-3)
    assert distance_of(again_b) == pytest.approx(distance_of(b["distance"]), abs=1e-3)
    assert distance_of(again_a) != pytest.approx(distance_of(again_b), abs=1e-3)


@pytest.mark.slow
def test_per_session_state_is_capped(monkeypatch):
    """Beyond SESSIONS_KEPT sessions the least recently used one's state (its signal, caches) goes."""
    import socket

    from gradio_client import Client

    import fresh_viz.ui

    monkeypatch.setattr(fresh_viz.ui, "SESSIONS_KEPT", 3)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo = serve(build_app(CPU, SMALL), server_name="127.0.0.1", server_port=port, prevent_thread_lock=True,
                 quiet=True)
    try:
        for name in ("zoneplate", "blobs", "grass", "astronaut", "siemens"):
            Client(f"http://127.0.0.1:{port}/", verbose=False).predict(name, **PAGE, api_name="/choose_preset")
        kept = [state for session in demo.state_holder.session_data.values()
                for state in session.state_data.values() if hasattr(state, "preset")]
        assert sorted(state.preset for state in kept) == ["astronaut", "grass", "siemens"]
    finally:
        demo.close()


@pytest.mark.slow
def test_gradio_client_fresh_and_train(launched):
    from gradio_client import Client

    client = Client(launched, verbose=False)
    client.predict("zoneplate", **PAGE, api_name="/choose_preset")
    fresh = client.predict(False, **PAGE, api_name="/fresh")
    assert "untrained models" in reply("fresh", fresh)["fresh_status"]
    with pytest.raises(Exception, match="nothing to extend"):  # wired, and refuses a pick inside the grid
        client.predict(False, **PAGE, api_name="/extend_grid")
    job = client.submit(30, 0.0, **PAGE, api_name="/train")
    final = job.result(timeout=120)
    assert "Finished" in reply("train", final)["train_status"]


def test_picture_files_are_unique_and_pruned(tmp_path):
    from fresh_viz.ui.files import OutputFiles

    files = OutputFiles(keep=3)
    paths = [files.save(np.full((4, 4, 3), 7, np.uint8)) for _ in range(5)]
    assert len(set(paths)) == 5  # same picture, separate files: nothing is rewritten in place
    assert [Path(p).exists() for p in paths] == [False, False, True, True, True]


def test_fresh_offers_the_selection_as_json(explorer):
    state = load_preset("blobs", SMALL)
    view = explorer.fresh(state, False, DEFAULTS)
    saved = json.loads(Path(view["export"]["value"]).read_text())
    assert saved["signal"] == "blobs" and saved["best"] == state.selection.best
    assert len(saved["target_spectrum"]) == 64 and len(saved["model_spectra"]) == len(saved["values"])


def test_the_trust_check_trains_every_value_and_says_what_the_pick_is_worth(explorer, training):
    state = load_preset("zoneplate", SMALL)
    views = list(training.study(state, ["4", "8"], None, DEFAULTS))
    last = views[-1]
    figure, status = last["study_plot"], last["study_status"]
    grid = FAMILIES["siren"].knobs[0].grid
    assert len(views) == 2 and "Done" in status  # one view per budget
    assert "**4 steps**" in status and "**8 steps**" in status and "rank correlation" in status
    assert "regret" not in status and "loses" in status and "over the default 30" in status
    held_out = [trace for trace in figure.data if trace.name.startswith("held out")]
    assert len(held_out) == 2 and all(len(t.y) == len(grid) and all(np.isfinite(t.y)) for t in held_out)
    assert any(trace.name.startswith("FreSh's pick") for trace in figure.data)


def test_page_query_sets_the_controls(explorer):
    class Request:
        query_params = {"signal": "blobs", "model": "fourier", "value": "4", "seed": "5", "bins": "32",
                        "mode": "radial", "colour": "red", "tab": "train"}

    view = explorer.open_page(Request(), "astronaut", DEFAULTS)
    state, notice = view["session"], view["notice"]
    assert state.preset == "blobs" and view["preset"]["value"] == "blobs"  # the picker follows the link
    assert view["param_position"]["value"] == pytest.approx(to_slider(FAMILIES["fourier"].knobs[0], 4.0))
    assert view["param_value"]["value"] == 4.0
    assert "σ = 4, seed 5; radial mode, 32 bins" in view["distance"]
    assert view["share_query"] == "?signal=blobs&model=fourier&value=4&seed=5&bins=32&mode=radial"
    assert "colour" in notice and view["current_tab"] == "train" and view["tabs"].selected == "train"


def test_query_parsing_ignores_bad_values():
    from fresh_viz.state import Controls, controls_from_query

    preset, controls, tab, notices = controls_from_query(
        {"signal": "../etc", "model": "mlp", "value": "1e9", "seed": "-3", "bins": "33", "mode": "x", "tab": "x"},
        Controls(), ["blobs"], {"blobs": 2})
    assert preset is None and controls == Controls() and tab == "explore"
    assert len(notices) == 7


def test_comparison_runs_fresh_for_every_family_then_trains_them(explorer):
    from fresh_viz.ui.compare import FamilyComparison

    comparison = FamilyComparison(explorer.ctx)
    state = load_preset("zoneplate", SMALL)
    with pytest.raises(gr.Error, match="compare the families first"):
        next(comparison.train_all(state, 20, DEFAULTS))
    view = comparison.compare(state, False, DEFAULTS)
    bars = view["compare_plot"].data[0]
    assert list(bars.x) == [cls.title for cls in FAMILIES.values()]
    assert all(np.isfinite(bars.y)) and len(bars.error_y.array) == len(FAMILIES)
    assert len(view["compare_gallery"]) == len(FAMILIES)
    assert len(view["compare_spectra"].data) == len(FAMILIES) + 1  # the target and each family
    for name, selection in state.extras["comparison"].items():
        assert f"= {selection.best:g}" in bars.text[list(FAMILIES).index(name)]
    last = list(comparison.train_all(state, 20, DEFAULTS))[-1]
    figure = last["compare_psnr"]
    assert len(figure.data) == 2 * len(FAMILIES)  # trained and held-out per family
    assert "Finished" in last["compare_train_status"] and last["compare_train_status"].count("gap") == len(FAMILIES)
    gaps = [a.text for a in figure.layout.annotations]
    assert len(gaps) == len(FAMILIES) and all(text.startswith("gap ") for text in gaps)


def test_race_shows_the_gap_between_trained_and_held_out(explorer, training):
    state = load_preset("grass", SMALL)
    last = list(training.train(state, 40, None, DEFAULTS))[-1]
    figure = last["psnr_plot"]
    held_out = [trace for trace in figure.data if "held-out" in trace.name]
    assert len(held_out) == 2 and all(trace.fill == "tonexty" for trace in held_out)
    trained = [trace for trace in figure.data if "trained" in trace.name]
    for train_trace, test_trace, note in zip(trained, held_out, figure.layout.annotations):
        assert note.text == f"gap {train_trace.y[-1] - test_trace.y[-1]:+.1f} dB"


def test_an_audio_upload_gets_players_and_a_movable_window(explorer, tmp_path):
    import soundfile

    rate = 44100
    t = np.arange(2 * rate) / rate
    soundfile.write(tmp_path / "tone.flac", np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 880 * t)]).T,
                    rate)
    view = explorer.upload(str(tmp_path / "tone.flac"), None, DEFAULTS)
    signal = view["session"].signal
    assert signal.kind == "audio" and signal.values.shape == (2, SMALL.audio_samples)  # the preview budget
    for name in ("target", "output"):
        assert view[f"{name}_audio"]["visible"] and Path(view[f"{name}_audio"]["value"]).suffix == ".wav"
        assert view[f"{name}_video"]["visible"] is False
    assert view["default_audio"]["visible"] and view["default_audio"]["value"] is None  # emptied for a new signal
    assert view["audio_start"]["visible"] and "of 2.00 s" in view["audio_start"]["label"]
    moved = explorer.move_window(view["session"], 1.5, DEFAULTS)
    assert moved["session"].signal.window.start == pytest.approx(1.5)
    assert "1.50 s to" in moved["signal_info"]
    played = explorer.released(moved["session"], Controls("siren", 3000.0, width=32, depth=2))
    assert Path(played["output_audio"]["value"]).exists()


def test_a_video_gets_players_for_target_output_and_both_reconstructions(explorer, training):
    state = load_preset("orbit", SMALL)
    view = explorer.show_signal(state, DEFAULTS)
    for name in ("target", "output"):
        assert view[f"{name}_video"]["visible"] and Path(view[f"{name}_video"]["value"]).suffix == ".mp4"
        assert view[f"{name}_audio"]["visible"] is False
    assert view["audio_start"]["visible"] is False  # a preset has no recording to move through
    last = list(training.train(state, 10, None, DEFAULTS))[-1]
    assert Path(last["default_video"]["value"]).exists() and Path(last["fresh_video"]["value"]).exists()


def test_an_image_hides_every_player(explorer):
    view = explorer.show_signal(load_preset("blobs", SMALL), DEFAULTS)
    assert all(view[f"{name}_{kind}"]["visible"] is False for name in ("target", "output", "default", "fresh")
               for kind in ("audio", "video"))


def _outputs_zip(path: Path, side: int, members: dict[str, bytes] | None = None) -> Path:
    """A zip of untrained SIREN outputs in the reference's layout, `(omega, 1.0, 6.0)/<i>.npy`."""
    import io
    import zipfile

    from fresh_viz.models import build, render
    from fresh_viz.signals import grid_coords

    with zipfile.ZipFile(path, "w") as archive:
        for omega in (10.0, 60.0, 200.0):
            for seed in range(3):
                model = build("siren", 2, 3, [seed], 16, 1, {"omega0": omega})
                with torch.inference_mode():
                    out = render(model, grid_coords((side, side)))[0].reshape(3, side, side).numpy()
                buffer = io.BytesIO()
                np.save(buffer, out)
                archive.writestr(f"outputs/({omega}, 1.0, 6.0)/{seed}.npy", buffer.getvalue())
        for name, data in (members or {}).items():
            archive.writestr(name, data)
    return path


def test_saved_outputs_panel_compares_every_configuration(explorer, tmp_path):
    from fresh_viz.ui.yours import SavedOutputs

    panel = SavedOutputs(explorer.ctx)
    state = load_preset("zoneplate", SMALL)
    view = panel.load(state, str(_outputs_zip(tmp_path / "out.zip", 48)), DEFAULTS)
    labels = state.extras["outputs"].labels
    assert labels == ["(10.0, 1.0, 6.0)", "(60.0, 1.0, 6.0)", "(200.0, 1.0, 6.0)"]
    curve = view["outputs_plot"].data[0]
    assert list(curve.x) == labels and len(curve.error_y.array) == 3 and all(np.isfinite(curve.y))
    best = view["outputs_config"]["value"]
    status = view["outputs_status"]
    assert best in labels and f"**Best: {best}**" in status and "3 outputs each" in status
    assert best != labels[0]  # the zone plate's fine rings want more than ω₀ = 10
    shown = panel.show(state, labels[0])["outputs_spectra"]
    assert len(shown["data"]) == 2 and labels[0] in shown["data"][1]["name"]


def test_saved_outputs_panel_refuses_hostile_archives(explorer, tmp_path):
    import io
    import zipfile

    from fresh_viz.ui.yours import SavedOutputs

    panel = SavedOutputs(explorer.ctx)
    state = load_preset("blobs", SMALL)
    outside = _outputs_zip(tmp_path / "outside.zip", 16, {"../evil/0.npy": b"x"})
    with pytest.raises(gr.Error, match=r"\.\./evil"):
        panel.load(state, str(outside), DEFAULTS)
    pickled = io.BytesIO()
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(gr.Error, match="pickle|object"):
        panel.load(state, str(_outputs_zip(tmp_path / "pickled.zip", 16, {"outputs/(5.0, 1.0, 6.0)/0.npy":
                                                                              pickled.getvalue()})), DEFAULTS)
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("outputs/(1.0,)/0.npy", b"\0" * (600 * 2**20))
    with pytest.raises(gr.Error, match="MiB|large|limit"):
        panel.load(state, str(bomb), DEFAULTS)
    assert "outputs" not in state.extras


def test_finer_fresh_holds_the_bias_where_the_reference_does(explorer, training):
    state = load_preset("zoneplate", SMALL)
    view = explorer.fresh(state, False, Controls("finer", None, width=32, depth=2))
    assert state.selection.fixed == {"bias_scale": 0.0}  # finer_best_omega.yaml: ω₀ tuned with k = 0
    assert view["second"]["value"] == 0.0 and "k = 0" in view["distance"]
    race = list(training.train(state, 10, None, Controls("finer", state.selection.best, 0.0, width=32, depth=2)))[-1]
    names = [trace.name for trace in race["psnr_plot"].data]
    assert any(name.startswith("default ω₀=30") for name in names)
    assert any(f"ω₀={state.selection.best:g}, first-layer bias k=0" in name for name in names)


def test_every_family_has_its_knobs_on_the_page(explorer):
    state = load_preset("coffee", SMALL)
    for name, cls in FAMILIES.items():
        view = explorer.family_changed(state, Controls(name, width=32, depth=2))
        assert view["param_value"]["value"] == cls.knobs[0].default
        assert view["second"]["visible"] is (len(cls.knobs) > 1)
        if len(cls.knobs) > 1:
            assert cls.knobs[1].label in view["second"]["label"]
        assert distance_of(view["distance"]) >= 0


def test_the_race_ends_with_an_animation_of_every_report(explorer, training):
    import subprocess

    from fresh_viz.signals import ffmpeg

    state = load_preset("blobs", SMALL)
    views = list(training.train(state, 20, None, DEFAULTS))
    last = views[-1]
    movie, gif = Path(last["race_animation"]), Path(last["race_gif"])
    assert movie.suffix == ".mp4" and gif.suffix == ".gif" and movie.stat().st_size < 5 * 2**20
    decoded = subprocess.run([ffmpeg.executable(), "-i", str(movie), "-f", "null", "-"], capture_output=True,
                             text=True).stderr
    frames = int(re.findall(r"frame=\s*(\d+)", decoded)[-1])
    assert frames == 21  # one frame per report: steps 0, 1, ..., 20
    with Image.open(gif) as picture:
        assert picture.n_frames == 21


def test_a_sweep_movie_has_a_frame_per_grid_value(explorer):
    import subprocess

    from fresh_viz.signals import ffmpeg

    state = load_preset("blobs", SMALL)
    view = explorer.sweep_movie(state, DEFAULTS)
    movie = Path(view["sweep_animation"]["value"])
    decoded = subprocess.run([ffmpeg.executable(), "-i", str(movie), "-f", "null", "-"], capture_output=True,
                             text=True).stderr
    assert int(re.findall(r"frame=\s*(\d+)", decoded)[-1]) == len(FAMILIES["siren"].knobs[0].grid)
    assert "20 values of ω₀" in view["sweep_status"]


def test_sessions_share_previews_and_selections_of_the_same_signal():
    ctx = Context(CPU, SMALL)
    first, second = Explore(ctx), Explore(ctx)
    a, b = load_preset("zoneplate", SMALL), load_preset("zoneplate", SMALL)  # two sessions, one signal
    assert a.key == b.key and a is not b
    view = first.preview(a, DEFAULTS)
    misses = ctx.previews.misses
    again = second.preview(b, DEFAULTS)
    assert ctx.previews.misses == misses and ctx.previews.hits >= 1  # computed once
    assert again["output_image"] == view["output_image"] and again["distance"] == view["distance"]
    other = second.preview(load_preset("blobs", SMALL), DEFAULTS)
    assert other["distance"] != view["distance"] and ctx.previews.misses == misses + 1
    first.fresh(a, False, DEFAULTS)
    second.fresh(b, False, DEFAULTS)
    assert a.selection is b.selection and ctx.selections.stats()["hits"] == 1
    assert ctx.stats()["previews"]["hit_rate"] > 0


def test_result_widgets_wait_hidden_with_a_line_saying_what_will_show():
    demo = build_app(CPU, SMALL)
    by_id = {block.elem_id: block for block in demo.blocks.values() if getattr(block, "elem_id", None)}
    for result, hint in (("fresh-plot", "fresh-hint"), ("psnr-plot", "race-hint"), ("band-error-plot", "race-hint"),
                         ("study-plot", "study-hint"), ("compare-plot", "compare-hint"),
                         ("outputs-plot", "outputs-hint"), ("race-animation", "race-hint")):
        assert by_id[result].visible is False and "Press" in by_id[hint].value or "Upload" in by_id[hint].value


def test_heavy_work_falls_back_to_the_cpu_when_the_gpu_quota_is_spent(monkeypatch):
    """A stand-in for Hugging Face's `spaces`: its GPU decorator raises as ZeroGPU does for a spent quota."""
    import sys
    import types

    from fresh_viz.ui import page

    calls, warnings, refusal = [], [], []

    def GPU(duration):  # noqa: N802 (the spaces package's name)
        calls.append(duration)

        def decorate(fn):
            def on_card(*args, **kwargs):
                raise refusal[0]
            return on_card
        return decorate

    monkeypatch.setitem(sys.modules, "spaces", types.SimpleNamespace(GPU=GPU))
    monkeypatch.setattr(gr, "Warning", warnings.append)
    refusal.append(gr.Error("You have exceeded your GPU quota (60s requested vs. 0s left). Try again later."))
    assert page.on_gpu(lambda x: x + 1, 60)(1) == 2  # ran on the CPU instead
    streamed = page.on_gpu(lambda n: (yield from range(n)), 120)
    assert list(streamed(3)) == [0, 1, 2] and calls == [60, 120]
    assert len(warnings) == 2 and "quota" in warnings[0]
    refusal[0] = RuntimeError("CUDA error: an illegal memory access")  # anything else is not hidden
    with pytest.raises(RuntimeError, match="illegal memory access"):
        page.on_gpu(lambda x: x + 1, 60)(1)
    assert len(warnings) == 2
