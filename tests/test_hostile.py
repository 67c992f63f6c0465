"""Hostile and odd files, made by the tests: each one is either rejected with a
clear message (SignalError; exit code 2 and one line from the CLI) or
normalised correctly, and nothing is unpickled or written."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from PIL import Image

from fresh_viz.__main__ import main
from fresh_viz.signals import MAX_FRAMES, SignalError, load_signal


def wav_bytes(samples: np.ndarray, rate: int, channels: int, tag: int = 1, width: int = 2) -> bytes:
    raw = samples.tobytes()
    return struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(raw), b"WAVE", b"fmt ", 16, tag, channels, rate,
                       rate * width * channels, width * channels, 8 * width, b"data", len(raw)) + raw


def hostile_files(tmp_path):
    """(name, bytes, expected message) for files that must be rejected."""
    rng = np.random.default_rng(0)
    yield "zero.png", b"", "empty"
    yield "random.png", rng.bytes(4096), "not a readable image"
    yield "random.jpg", rng.bytes(4096), "not a readable image"
    yield "random.wav", rng.bytes(4096), "not a readable audio file"
    yield "random.mp3", rng.bytes(4096), "not a readable audio file"
    yield "random.flac", rng.bytes(4096), "not a readable audio file"
    yield "random.ogg", rng.bytes(4096), "not a readable audio file"
    yield "random.gif", rng.bytes(4096), "not a readable image"
    yield "random.npy", rng.bytes(4096), "not a valid .npy"
    yield "random.mp4", rng.bytes(4096), "not a readable video"
    yield "random.webm", rng.bytes(4096), "not a readable video"
    yield "playlist.mp4", b"#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:1.0,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n", \
        "not a readable video"
    yield "header-only.gif", b"GIF89a\x10\x00\x10\x00\x00\x00\x00;", "not a readable image|no frames|decoded"
    yield "page.eps", b"%!PS-Adobe-3.0 EPSF-3.0\n", "unsupported file type"
    yield "drawing.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "unsupported file type"
    yield "zero-rate.wav", wav_bytes(np.arange(100, dtype="<i2"), 0, 1), "not a readable audio file"
    yield "fast.wav", wav_bytes(np.arange(100, dtype="<i2"), 50_000_000, 1), "sample rate"
    yield "crowd.wav", wav_bytes(np.arange(1700, dtype="<i2"), 8000, 17), "channels"
    yield "nan.wav", wav_bytes(np.array([0.1, np.nan, 0.3, 0.2], dtype="<f4"), 8000, 1, 3, 4), "NaN"
    yield "unknown-encoding.wav", wav_bytes(np.arange(100, dtype="<i2"), 8000, 1, 0x1234), "not a readable audio file"
    yield "one-sample.wav", wav_bytes(np.arange(1, dtype="<i2"), 8000, 1), "no audio samples"


def test_hostile_files_are_rejected_by_library_and_cli(tmp_path, capfd):
    for name, content, message in hostile_files(tmp_path):
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(SignalError, match=message):
            load_signal(path)
        capfd.readouterr()
        assert main(["select", str(path), "--seeds", "1"]) == 2, name
        # Read at the file descriptor: a decoder written in C prints there, past sys.stderr.
        err = capfd.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("fresh_viz: error:"), (name, err)


def test_npy_with_a_huge_shape_or_header_is_rejected_before_reading(tmp_path):
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000), }"
    body = header.ljust(118) + "\n"
    (tmp_path / "claims.npy").write_bytes(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(body)) + body.encode())
    with pytest.raises(SignalError, match="elements"):
        load_signal(tmp_path / "claims.npy")
    huge = "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), " + " " * 20000 + "}\n"
    (tmp_path / "header.npy").write_bytes(b"\x93NUMPY\x02\x00" + struct.pack("<I", len(huge)) + huge.encode())
    with pytest.raises(SignalError, match="not a valid .npy"):
        load_signal(tmp_path / "header.npy")


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation(tmp_path, orientation):
    array = np.zeros((4, 10), np.uint8)
    array[0, 0] = 255  # a bright corner to follow
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "o.png"
    Image.fromarray(array).save(path, exif=exif)
    values = load_signal(path).values[0]
    assert values.shape == ((10, 4) if orientation >= 5 else (4, 10))
    corner = np.unravel_index(int(values.argmax()), values.shape)
    expected = {1: (0, 0), 2: (0, 9), 3: (3, 9), 4: (3, 0), 5: (0, 0), 6: (0, 3), 7: (9, 3), 8: (9, 0)}
    assert tuple(int(c) for c in corner) == expected[orientation]


def test_palette_with_transparency_and_16_bit_grey(tmp_path):
    palette = Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8)).convert("P")
    palette.info["transparency"] = 0
    palette.save(tmp_path / "p.png", transparency=0)
    assert load_signal(tmp_path / "p.png").values.shape == (4, 8, 8)
    deep = Image.fromarray(np.array([[0, 1000], [40000, 65535]], dtype=np.uint16))
    deep.save(tmp_path / "d.png")
    values = load_signal(tmp_path / "d.png").values[0]
    assert values[0, 0] == -1 and values[1, 1] == 1 and -1 < values[0, 1] < values[1, 0] < 1


def test_gif_with_thousands_of_frames_keeps_frames_across_the_clip(tmp_path):
    frames = [Image.fromarray(np.full((8, 8), i % 256, np.uint8)) for i in range(2000)]
    frames[0].save(tmp_path / "long.gif", save_all=True, append_images=frames[1:], duration=20)
    signal = load_signal(tmp_path / "long.gif")
    assert signal.kind == "video" and signal.values.shape == (3, MAX_FRAMES, 8, 8)
    # Frame i is grey level i % 256: the kept ones are i = round(j * 1999 / 255), first to last.
    levels = np.round((signal.values[0, :, 0, 0].numpy() + 1) * 127.5)
    expected = np.floor(np.arange(MAX_FRAMES) * 1999 / (MAX_FRAMES - 1) + 0.5) % 256
    np.testing.assert_array_equal(levels, expected)
    assert signal.window.total == pytest.approx(40.0)


def test_many_channel_and_odd_rate_wavs_are_fine(tmp_path):
    samples = (np.sin(np.arange(800) / 5)[:, None] * np.arange(1, 9) * 3000).astype("<i2")
    (tmp_path / "eight.wav").write_bytes(wav_bytes(samples, 11_025, 8))
    signal = load_signal(tmp_path / "eight.wav")
    assert signal.values.shape == (8, 800) and signal.sample_rate == 11_025


def test_gif_whose_canvas_is_huge_is_rejected_before_decoding(tmp_path):
    header = b"GIF89a" + struct.pack("<HH", 60000, 60000) + b"\x00\x00\x00"
    image = b"\x2c" + struct.pack("<HHHH", 0, 0, 1, 1) + b"\x00" + b"\x02\x02\x44\x01\x00" + b";"
    (tmp_path / "wide.gif").write_bytes(header + image)
    with pytest.raises(SignalError, match="too large|limit"):
        load_signal(tmp_path / "wide.gif")
