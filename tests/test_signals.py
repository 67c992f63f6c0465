"""Loading and normalising signals; presets.  Files are made by the tests."""

from __future__ import annotations

import struct

import numpy as np
import pytest
import torch
from PIL import Image

from fresh_viz.signals import (
    PRESETS,
    SignalError,
    grid_coords,
    load_signal,
    make_preset,
    resize_longest,
    resize_signal,
    signal_from_array,
    write_audio,
)


def ramp(h: int = 6, w: int = 8) -> np.ndarray:
    return np.tile(np.linspace(0, 255, w), (h, 1)).astype(np.uint8)


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp", ".bmp", ".tif"])
def test_image_formats_load_as_channels_first_in_range(tmp_path, suffix):
    rgb = np.stack([ramp(), ramp()[::-1], np.full((6, 8), 128, np.uint8)], -1)
    path = tmp_path / f"x{suffix}"
    Image.fromarray(rgb).save(path)
    signal = load_signal(path)
    assert signal.kind == "image" and signal.values.shape == (3, 6, 8)
    assert signal.values.dtype == torch.float32
    assert -1 <= signal.values.min() and signal.values.max() <= 1
    if suffix in (".png", ".bmp", ".tif"):  # lossless: exact mapping 0 -> -1, 255 -> 1
        assert signal.values[0, 0, 0] == -1 and signal.values[0, 0, -1] == 1


@pytest.mark.parametrize("mode, channels", [("1", 1), ("L", 1), ("LA", 1), ("P", 3), ("RGB", 3), ("RGBA", 4),
                                            ("CMYK", 3), ("I", 1), ("F", 1)])
def test_every_pillow_mode_normalises(tmp_path, mode, channels):
    image = Image.fromarray(np.stack([ramp()] * 3, -1)).convert(mode)
    path = tmp_path / ("x.tif" if mode in ("I", "F", "CMYK") else "x.png")
    image.save(path)
    signal = load_signal(path)
    assert signal.values.shape == (channels, 6, 8)
    assert signal.values.min() >= -1 and signal.values.max() <= 1


def test_sixteen_bit_images_keep_their_precision(tmp_path):
    data = np.linspace(0, 65535, 64).astype(np.uint16).reshape(8, 8)
    path = tmp_path / "deep.png"
    Image.fromarray(data).save(path)
    values = load_signal(path).values[0].numpy()
    assert values.min() == -1 and values.max() == 1
    assert len(np.unique(values)) == 64  # no clipping, no 8-bit quantisation


def test_exif_orientation_is_respected(tmp_path):
    image = Image.fromarray(np.zeros((4, 10), np.uint8) + np.arange(10, dtype=np.uint8) * 20)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    path = tmp_path / "turned.jpg"
    image.save(path, exif=exif, quality=100)
    assert load_signal(path).values.shape == (1, 10, 4)


def wav_file(path, wave: np.ndarray, width: int, float_: bool, extensible: bool = False, rate: int = 8000) -> None:
    """Write (C, L) samples in [-1, 1] as a WAV file, byte by byte (independent of any library)."""
    channels = wave.shape[0]
    if float_:
        raw = wave.T.astype("<f4" if width == 4 else "<f8").tobytes()
    elif width == 1:
        raw = np.round(wave.T * 127 + 128).astype(np.uint8).tobytes()  # 8-bit WAV is unsigned
    else:
        full = 2 ** (8 * width - 1) - 1
        ints = np.round(wave.T * full).astype(np.int64)
        raw = b"".join(int(v).to_bytes(width, "little", signed=True) for v in ints.ravel())
    tag = 3 if float_ else 1
    fmt = struct.pack("<HHIIHH", 0xFFFE if extensible else tag, channels, rate, rate * width * channels,
                      width * channels, 8 * width)
    if extensible:  # cbSize, valid bits, channel mask, then the sub-format GUID whose first two bytes are the tag
        guid = struct.pack("<H", tag) + bytes.fromhex("000000001000800000aa00389b71")
        fmt += struct.pack("<HHI", 22, 8 * width, 0) + guid
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(raw)) + raw
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)


@pytest.mark.parametrize("extensible", [False, True])
@pytest.mark.parametrize("width, float_", [(1, False), (2, False), (3, False), (4, False), (4, True), (8, True)])
@pytest.mark.parametrize("channels", [1, 2])
def test_wav_sample_widths(tmp_path, width, float_, channels, extensible):
    t = np.arange(400) / 8000
    wave = np.stack([np.sin(2 * np.pi * 440 * t), 0.5 * np.cos(2 * np.pi * 220 * t)])[:channels]
    path = tmp_path / "tone.wav"
    wav_file(path, wave, width, float_, extensible)
    signal = load_signal(path)
    assert signal.kind == "audio" and signal.sample_rate == 8000
    assert signal.values.shape == (channels, 400) and signal.values.dtype == torch.float32
    expected = wave / np.abs(wave).max()
    tolerance = 0.02 if width == 1 else 1e-3
    np.testing.assert_allclose(signal.values.numpy(), expected, atol=tolerance)
    assert signal.window.start == 0 and signal.window.duration == signal.window.total == 0.05


def test_wav_round_trip_and_bad_wavs(tmp_path):
    path = write_audio(np.sin(np.linspace(0, 20, 300))[None], 16000, tmp_path, "a")
    assert load_signal(path).values.shape == (1, 300)
    (tmp_path / "junk.wav").write_bytes(b"RIFF1234WAVEjunk" * 4)
    with pytest.raises(SignalError, match="not a readable audio file"):
        load_signal(tmp_path / "junk.wav")
    silent = write_audio(np.zeros((1, 100)), 8000, tmp_path, "silent")
    with pytest.raises(SignalError, match="silent"):
        load_signal(silent)


def test_gif_and_mp4_load_as_video(tmp_path):
    import imageio.v3 as iio

    frames = np.stack([np.roll(ramp(16, 16), 2 * i, axis=1) for i in range(5)])
    rgb = np.repeat(frames[..., None], 3, -1)
    iio.imwrite(tmp_path / "clip.gif", rgb, duration=100, loop=0)
    gif = load_signal(tmp_path / "clip.gif")
    assert gif.kind == "video" and gif.values.shape == (3, 5, 16, 16)
    assert gif.sample_rate == pytest.approx(10) and gif.window.total == pytest.approx(0.5)
    iio.imwrite(tmp_path / "clip.mp4", rgb, fps=5)
    mp4 = load_signal(tmp_path / "clip.mp4")
    assert mp4.kind == "video" and mp4.values.shape[0] == 3 and mp4.values.shape[2:] == (16, 16)
    assert mp4.values.shape[1] >= 4 and mp4.values.dtype == torch.float32


@pytest.mark.parametrize("shape, kind, channels", [((100,), "audio", 1), ((20, 30), "image", 1),
                                                   ((20, 30, 3), "image", 3), ((6, 20, 30), "video", 1),
                                                   ((6, 10, 12, 2), "video", 2)])
def test_npy_shapes(tmp_path, shape, kind, channels):
    array = np.random.default_rng(0).normal(size=shape)
    np.save(tmp_path / "a.npy", array)
    signal = load_signal(tmp_path / "a.npy")
    assert signal.kind == kind and signal.channels == channels
    assert signal.values.min() == -1 and signal.values.max() == 1


@pytest.mark.parametrize("array, message", [
    (np.array([1.0, np.nan, 2.0]), "NaN"),
    (np.ones((8, 8)), "constant"),
    (np.zeros((0, 4)), "empty"),
    (np.zeros((2, 3, 4, 5, 6)), "spatial axes"),
    (np.ones((4, 4)) * (1 + 1j), "complex"),
])
def test_bad_arrays_are_rejected(tmp_path, array, message):
    np.save(tmp_path / "bad.npy", array)
    with pytest.raises(SignalError, match=message):
        load_signal(tmp_path / "bad.npy")


def test_pickled_npy_is_never_unpickled(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    np.save(tmp_path / "evil.npy", np.array([Evil()], dtype=object), allow_pickle=True)
    with pytest.raises(SignalError, match="pickled"):
        load_signal(tmp_path / "evil.npy")
    assert not marker.exists()


@pytest.mark.parametrize("name, content, message", [
    ("empty.png", b"", "empty"),
    ("noise.png", bytes(range(256)) * 4, "not a readable image"),
    ("x.svg", b"<svg/>", "unsupported file type"),
])
def test_bad_files_are_rejected(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(SignalError, match=message):
        load_signal(tmp_path / name)


def test_truncated_jpeg_is_rejected(tmp_path):
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(tmp_path / "a.jpg")
    data = (tmp_path / "a.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 3])
    with pytest.raises(SignalError):
        load_signal(tmp_path / "cut.jpg")


def test_huge_header_is_rejected_before_decoding(tmp_path):
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 60000, 60000, 8, 0, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b"")
    (tmp_path / "bomb.png").write_bytes(png)
    with pytest.raises(SignalError, match="too large|limit"):
        load_signal(tmp_path / "bomb.png")


def test_resize_longest_side_and_coords():
    values = torch.rand(3, 40, 20) * 2 - 1
    assert resize_longest(values, 16).shape == (3, 16, 8)
    assert resize_longest(torch.rand(1, 4, 40, 20), 10, axes=2).shape == (1, 4, 10, 5)
    coords = grid_coords((3, 5))
    assert coords.shape == (15, 2) and coords.min() == -1 and coords.max() == 1
    assert coords[1].tolist() == [-1.0, -0.5]


def test_all_presets(tmp_path):
    assert len(PRESETS) >= 6
    assert {p.kind for p in PRESETS.values()} == {"image", "audio", "video"}
    for name, preset in PRESETS.items():
        signal = make_preset(name, 64)
        assert signal.kind == preset.kind, name
        assert signal.values.min() >= -1 and signal.values.max() <= 1, name
        assert torch.isfinite(signal.values).all(), name
        if preset.kind == "image":
            assert max(signal.spatial_shape) == 64, name
    with pytest.raises(SignalError, match="unknown preset"):
        make_preset("nope")


def test_array_with_channels_last_is_detected():
    signal = signal_from_array(np.random.default_rng(1).random((10, 12, 4)))
    assert signal.values.shape == (4, 10, 12)


@pytest.mark.parametrize("mode", ["1", "L", "P", "RGB", "RGBA", "I", "F"])
def test_images_shrunk_while_decoding_match_images_resized_after(tmp_path, mode):
    y, x = np.mgrid[0:600, 0:800]
    smooth = (127.5 + 127.5 * np.sin(x / 40.0) * np.cos(y / 55.0)).astype(np.uint8)
    image = Image.fromarray(np.stack([smooth, smooth[::-1], smooth[:, ::-1]], -1)).convert(mode)
    path = tmp_path / ("x.tif" if mode in ("I", "F") else "x.png")
    image.save(path)
    shrunk, full = load_signal(path, 64), resize_signal(load_signal(path), 64)
    assert shrunk.values.shape == full.values.shape and shrunk.values.shape[1:] == (48, 64)
    # Box averaging then a short filter, against one long filter: close, not equal.
    assert (shrunk.values - full.values).abs().mean() < 0.03


def test_large_jpeg_is_decoded_small(tmp_path):
    y, x = np.mgrid[0:3000, 0:4000]
    Image.fromarray((127.5 + 127.5 * np.sin(x / 300.0 + y / 500.0)).astype(np.uint8)).save(tmp_path / "big.jpg")
    with Image.open(tmp_path / "big.jpg") as image:
        image.draft("L", (128, 128))
        assert max(image.size) <= 4000 // 8  # JPEG's DCT scaling: decoded at an eighth of the size
    signal = load_signal(tmp_path / "big.jpg", 128)
    assert signal.values.shape == (1, 96, 128)
    assert (signal.values - resize_signal(load_signal(tmp_path / "big.jpg"), 128).values).abs().mean() < 0.02
