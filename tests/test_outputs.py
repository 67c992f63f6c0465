"""The `outputs` command against a transcription of the reference's find_optimal_config.py
(tests/reference_outputs.py), on generated folders in the reference's layout."""

from __future__ import annotations

import csv
import json
import os

import numpy as np
import pytest
import torch
from reference_outputs import reference_run, reference_tables

from fresh_viz.__main__ import main
from fresh_viz.external import select_outputs
from fresh_viz.outputs import read_outputs_folder

OMEGAS = (5.0, 10.0, 20.0, 100.0, 200.0)  # "(100.0, 1.0, 6.0)" sorts before "(20.0, 1.0, 6.0)", as in the reference


@pytest.fixture(autouse=True)
def one_thread():
    """The transcription runs hundreds of tiny DFTs and masks; on a busy 2-core machine a second thread
    mostly waits for the first."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def noise(rng: np.random.Generator, h: int, w: int, cutoff: float, channels: int = 3) -> np.ndarray:
    """(H, W, C) Gaussian-filtered white noise: a larger cutoff, more high frequencies."""
    fy, fx = np.fft.fftfreq(h)[:, None], np.fft.fftfreq(w)[None, :]
    gain = np.exp(-(fx**2 + fy**2) * h * w / (2 * cutoff**2))
    planes = [np.fft.ifft2(np.fft.fft2(rng.standard_normal((h, w))) * gain).real for _ in range(channels)]
    return np.stack(planes, -1).astype(np.float32)


def make_folder(root, frames=1, outputs=12, h=40, w=56, frame_axis=False, background=False, channels=3):
    """target.npy and out/<tuple name>/<i>.npy; outputs alternate (H, W, C) and (C, H, W)."""
    rng = np.random.default_rng(frames * 100 + outputs)
    target = np.stack([noise(rng, h, w, 3 + 4 * f, channels) for f in range(frames)])
    if background:  # a black border around the object, as in NeRF views, a different one in each frame
        for f, frame in enumerate(target):
            frame[: 6 + 3 * f], frame[h - 4 - 2 * f :], frame[:, : 9 - 2 * f], frame[:, w - 3 - f :] = 0, 0, 0, 0
    np.save(root / "target.npy", target[0] if frames == 1 else target)
    for k, omega in enumerate(OMEGAS):
        folder = root / "out" / f"({omega}, 1.0, 6.0)"
        folder.mkdir(parents=True)
        for i in range(outputs):
            if frame_axis and k % 2 == 0:
                array = np.stack([noise(rng, h, w, 2 + omega / 10 + f, channels) for f in range(frames)])
            else:
                array = noise(rng, h, w, 2 + omega / 10, channels)
                array = np.moveaxis(array, -1, 0) if i % 2 else array
            np.save(folder / f"{i}.npy", array)
    return root / "target.npy", root / "out"


def run_outputs(capsys, target, out, results, *flags):
    assert main(["outputs", "--dataset", str(target), "--model_output", str(out), "--results_root", str(results),
                 *flags, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def read_csv(path):
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def assert_matches_reference(results, reference, name="target"):
    rows = read_csv(results / "wasserstein_all.csv")
    assert [(r["method"], r["config"]) for r in rows] == [(str(n), c) for n in reference for c in reference[n]]
    for row in rows:
        distances = reference[int(row["method"])][row["config"]]
        assert row["dataset"] == name
        assert float(row["wasserstein"]) == pytest.approx(np.mean(distances), rel=2e-6)
        # each configuration's own standard error, with the reference's formula
        assert float(row["standard_error"]) == pytest.approx(np.std(distances) / np.sqrt(len(distances)), rel=1e-4)
    best = read_csv(results / "wasserstein_best.csv")
    assert list(best[0]) == list(reference_tables(reference, name)[0][0])  # the reference's columns and order
    for row in best:
        means = {c: np.mean(d) for c, d in reference[int(row["spectrum_size"])].items()}
        assert row["best_configuration"] == min(means, key=means.get)
        assert float(row["wasserstein"]) == pytest.approx(min(means.values()), rel=2e-6)


def test_tuple_names_more_than_ten_outputs_and_a_non_square_target(tmp_path, capsys):
    target, out = make_folder(tmp_path, outputs=12)
    result = run_outputs(capsys, target, out, tmp_path / "R")
    assert result["configs"][:3] == ["(10.0, 1.0, 6.0)", "(100.0, 1.0, 6.0)", "(20.0, 1.0, 6.0)"]
    assert result["outputs"] == [12] * 5 and result["sizes"] == [32, 64, 128]
    assert_matches_reference(tmp_path / "R", reference_run(target, out))
    log = (tmp_path / "R" / "target" / "log.txt").read_text()
    assert "*** (20.0, 1.0, 6.0) ***" in log and "Best config is '" in log and "[64] mean Wasserstein is" in log


@pytest.mark.parametrize("outputs", [10, 12])
def test_frame_axis_and_target_frames_pair_as_the_reference(tmp_path, capsys, outputs):
    """Six target frames that differ: a wrong pairing would change W.  Configurations alternate between
    outputs with a frame axis (frame drawn per file) and without (paired with the drawn target frames)."""
    target, out = make_folder(tmp_path, frames=6, outputs=outputs, frame_axis=True)
    reference = reference_run(target, out)
    run_outputs(capsys, target, out, tmp_path / "R")
    assert_matches_reference(tmp_path / "R", reference)
    spread = [np.std(d) / np.mean(d) for sizes in reference.values() for d in sizes.values()]
    assert max(spread) > 0.2  # the frames matter, so this test would see a wrong pairing


def foreground_boxes(target):
    """Each frame's rows and columns around its pixels not zero in every channel, written out here."""
    frames = np.load(target)
    boxes = []
    for frame in frames if frames.ndim == 4 else frames[None]:
        rows, cols = np.nonzero((frame != 0).any(axis=-1))
        boxes.append((rows.min(), rows.max() + 1, cols.min(), cols.max() + 1))
    return boxes


def test_bbox_matches_the_reference(tmp_path, capsys):
    """Each frame has its own box, so one box used for every frame would change W; configurations with a
    frame axis take the box of the frame they draw (the reference's fix listed in fresh_viz.outputs)."""
    target, out = make_folder(tmp_path, frames=3, outputs=11, frame_axis=True, background=True)
    assert len(set(foreground_boxes(target))) == 3
    run_outputs(capsys, target, out, tmp_path / "R", "--bbox")
    reference = reference_run(target, out, bbox=True)
    assert_matches_reference(tmp_path / "R", reference)
    assert reference != reference_run(target, out)  # the box changes the numbers


def test_bbox_leaves_a_grey_target_uncropped_as_the_reference(tmp_path, capsys):
    """The reference's background is where exactly 3 channels are zero: a 1-channel target's black border
    is not background, so --bbox crops nothing and W is the uncropped one."""
    target, out = make_folder(tmp_path, frames=2, outputs=3, background=True, channels=1)
    run_outputs(capsys, target, out, tmp_path / "R", "--bbox")
    reference = reference_run(target, out, bbox=True)
    assert reference == reference_run(target, out)
    assert_matches_reference(tmp_path / "R", reference)
    assert main(["outputs", "--dataset", str(target), "--model_output", str(out), "--results_root",
                 str(tmp_path / "S"), "--bbox", "--sizes", "32"]) == 0
    assert "only a 3-channel target is cropped" in capsys.readouterr().out


@pytest.mark.parametrize("flags", [["--downscale"], ["--bbox", "--downscale"]])
def test_downscale_matches_the_reference(tmp_path, capsys, flags):
    target, out = make_folder(tmp_path, frames=2, outputs=4, h=36, w=30, background=True)
    run_outputs(capsys, target, out, tmp_path / "R", *flags)
    assert_matches_reference(tmp_path / "R", reference_run(target, out, bbox="--bbox" in flags, downscale=True))


def test_hyphenated_flags_sizes_and_the_python_entry_point_agree(tmp_path, capsys):
    target, out = make_folder(tmp_path, frames=4, outputs=5, frame_axis=True)
    result = run_outputs(capsys, target, out, tmp_path / "R", "--sizes", "64", "--mode", "symmetric")
    assert main(["outputs", "--dataset", str(target), "--model-output", str(out), "--results-root",
                 str(tmp_path / "S"), "--sizes", "64", "--mode", "symmetric"]) == 0
    assert read_csv(tmp_path / "R" / "wasserstein_all.csv") == read_csv(tmp_path / "S" / "wasserstein_all.csv")
    outputs = {config: [np.load(f.path) for f in files] for config, files in read_outputs_folder(out).items()}
    selection = select_outputs(np.load(target), outputs, bins=64, mode="symmetric")
    assert selection.param == "configuration[0]" and selection.values == list(OMEGAS)
    assert selection.labels == [f"({omega}, 1.0, 6.0)" for omega in OMEGAS]
    by_label = dict(zip(result["configs"], result["wasserstein"]["64"]))
    assert selection.distance == pytest.approx([by_label[label] for label in selection.labels], rel=1e-9)
    assert selection.best == OMEGAS[int(np.argmin(selection.distance))]


def test_rows_are_added_to_existing_files_as_the_reference_does(tmp_path, capsys):
    target, out = make_folder(tmp_path, outputs=3)
    results = tmp_path / "R"
    results.mkdir()
    # what the reference's pandas code leaves after a first run: extra, empty columns
    (results / "wasserstein_all.csv").write_text(
        "dataset,spectrum_size,config,wasserstein,wasserstein_standard_error,method,standard_error\n"
        "old,,a,1.5,,32,0.1\n")
    run_outputs(capsys, target, out, results, "--sizes", "32")
    run_outputs(capsys, target, out, results, "--sizes", "32")
    rows = read_csv(results / "wasserstein_all.csv")
    assert list(rows[0]) == ["dataset", "spectrum_size", "config", "wasserstein", "wasserstein_standard_error",
                             "method", "standard_error"]
    assert rows[0]["dataset"] == "old" and len(rows) == 1 + 2 * len(OMEGAS)
    assert rows[1:1 + len(OMEGAS)] == rows[1 + len(OMEGAS):]
    assert len(read_csv(results / "wasserstein_best.csv")) == 2


def test_csv_files_are_the_reference_files_column_for_column(tmp_path, capsys):
    """wasserstein_best.csv: the reference's columns in its order and its rows (W not rounded here).
    wasserstein_all.csv: every column the reference fills, by the same name, with its values (the standard
    error each configuration's own here); the two columns no row of the reference fills are left out."""
    target, out = make_folder(tmp_path, frames=2, outputs=3)
    run_outputs(capsys, target, out, tmp_path / "R")
    best_reference, all_reference = reference_tables(reference_run(target, out), "target")
    with (tmp_path / "R" / "wasserstein_best.csv").open(newline="") as handle:
        header = next(csv.reader(handle))
    assert header == list(best_reference[0]) == ["dataset", "spectrum_size", "wasserstein",
                                                 "wasserstein_standard_error", "best_configuration"]
    best = read_csv(tmp_path / "R" / "wasserstein_best.csv")
    assert len(best) == len(best_reference) == 3
    keys = ("dataset", "spectrum_size", "best_configuration")
    for ours, theirs in zip(best, best_reference):
        assert [ours[c] for c in keys] == [theirs[c] for c in keys]
        assert float(ours["wasserstein"]) == pytest.approx(theirs["wasserstein"], abs=0.0051)  # theirs: 2 decimals
        assert float(ours["wasserstein_standard_error"]) == pytest.approx(theirs["wasserstein_standard_error"],
                                                                          rel=1e-4)
    rows = read_csv(tmp_path / "R" / "wasserstein_all.csv")
    filled = [c for c in all_reference[0] if any(row[c] != "" for row in all_reference)]
    assert set(filled) == {"dataset", "config", "wasserstein", "method", "standard_error"}
    assert list(rows[0]) == ["dataset", "method", "config", "wasserstein", "standard_error"]
    assert set(rows[0]) == set(filled) and len(rows) == len(all_reference)
    keys = ("dataset", "method", "config")
    for ours, theirs in zip(rows, all_reference):
        assert [ours[c] for c in keys] == [theirs[c] for c in keys]
        assert float(ours["wasserstein"]) == pytest.approx(theirs["wasserstein"], rel=2e-6)


def test_plots_flag_draws_one_figure_per_configuration(tmp_path, capsys):
    target, out = make_folder(tmp_path, outputs=2)
    result = run_outputs(capsys, target, out, tmp_path / "R", "--plots", "--sizes", "32,64")
    for omega in OMEGAS:
        png = tmp_path / "R" / "target" / "plots" / f"({omega}, 1.0, 6.0).png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and str(png) in result["files"]
    assert result["plot_seconds"] > 0


def test_symmetric_mode_keeps_a_non_square_target_unstretched(tmp_path):
    """50 cycles along the 128-pixel axis of a 64 x 128 image: paper mode resizes it to 64 x 64, where
    50 cycles are above Nyquist and filtered out; the symmetric mode keeps it in bin 50."""
    x = np.arange(128) / 128
    target = np.repeat(np.cos(2 * np.pi * 50 * x)[None, :, None], 64, axis=0).repeat(3, axis=2)
    outputs = {"1": [target.copy()], "2": [np.roll(target, 1, axis=0)]}
    symmetric = select_outputs(target, outputs, bins=64, mode="symmetric")
    assert int(np.argmax(symmetric.target_spectrum)) == 50 - 1  # DC dropped
    paper = select_outputs(target, outputs, bins=64, mode="paper")
    assert max(paper.target_spectrum[40:60]) < 0.05 * max(symmetric.target_spectrum)


def test_grey_outputs_read_the_same_in_every_layout():
    rng = np.random.default_rng(3)
    target, image = rng.random((16, 20, 1)), rng.random((16, 20))
    layouts = {"a": [image[..., None]], "b": [image[None]], "c": [image]}  # (H, W, 1), (1, H, W), (H, W)
    distances = select_outputs(target, layouts, bins=16, mode="symmetric").distance
    assert distances[0] > 0 and distances == pytest.approx([distances[0]] * 3, rel=1e-9)


class Tripwire:
    """Pickles as a call to os.mkdir(path): whatever unpickles it (pickle.load, pickle.loads, an Unpickler,
    np.load(allow_pickle=True)) creates the folder."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return os.mkdir, (self.path,)


def save_pickled(path, marker=None):
    with path.open("wb") as handle:
        item = Tripwire(marker) if marker else {"a": 1}
        np.lib.format.write_array(handle, np.array([item], dtype=object), allow_pickle=True)


@pytest.mark.parametrize("damage, message", [
    (lambda root: None, "no configuration folders"),
    (lambda root: np.save(root / "0.npy", np.zeros((3, 8, 8))), "point at the folder above"),
    (lambda root: save_pickled(root / "(1.0,)" / "0.npy"), "pickled"),
    (lambda root: (root / "(1.0,)" / "0.npy").write_bytes(b"not an array"), "not a valid .npy"),
    (lambda root: np.save(root / "(1.0,)" / "0.npy", np.zeros((2, 2, 3, 8, 8))), "expected (C, H, W)"),
    (lambda root: np.save(root / "(1.0,)" / "0.npy", np.zeros((5, 8, 8, 3))), "has 5 frames"),
    (lambda root: np.save(root / "(1.0,)" / "0.npy", np.full((8, 8, 3), np.nan)), "NaN"),
    (lambda root: np.save(root / "(1.0,)" / "0.npy", np.zeros((8, 8, 3), dtype=complex)), "complex"),
])
def test_a_malformed_folder_exits_2_with_one_line(tmp_path, capsys, damage, message):
    np.save(tmp_path / "target.npy", np.random.default_rng(0).random((8, 8, 3)))
    root = tmp_path / "out"
    root.mkdir()
    if message not in ("no configuration folders", "point at the folder above"):
        (root / "(1.0,)").mkdir()
    damage(root)
    code = main(["outputs", "--dataset", str(tmp_path / "target.npy"), "--model_output", str(root),
                 "--results_root", str(tmp_path / "R")])
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2 and captured.out == "" and len(lines) == 1 and message in lines[0], captured.err


def test_a_missing_target_and_a_pickled_target_exit_2(tmp_path, capsys):
    make_folder(tmp_path, outputs=1)
    for target, message in [(tmp_path / "nothing.npy", "no such file"), (tmp_path / "p.npy", "pickled")]:
        if target.name == "p.npy":
            save_pickled(target)
        assert main(["outputs", "--dataset", str(target), "--model_output", str(tmp_path / "out")]) == 2
        assert message in capsys.readouterr().err


def test_pickle_is_never_loaded(tmp_path, capsys):
    make_folder(tmp_path, outputs=1)
    save_pickled(tmp_path / "out" / "(5.0, 1.0, 6.0)" / "0.npy", marker=tmp_path / "unpickled")
    assert main(["outputs", "--dataset", str(tmp_path / "target.npy"), "--model_output", str(tmp_path / "out"),
                 "--results_root", str(tmp_path / "R")]) == 2
    assert "pickled" in capsys.readouterr().err and not (tmp_path / "unpickled").exists()


def test_an_unwritable_results_root_exits_2_with_one_line(tmp_path, capsys):
    target, out = make_folder(tmp_path, outputs=1)
    (tmp_path / "file").write_text("in the way")
    code = main(["outputs", "--dataset", str(target), "--model_output", str(out), "--results_root",
                 str(tmp_path / "file" / "R")])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "file" in lines[0] and "Traceback" not in lines[0]
