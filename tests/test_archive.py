"""An uploaded .zip of outputs is untrusted: each refusal, and what is read when nothing is wrong."""

from __future__ import annotations

import io
import os
import stat
import struct
import zipfile

import numpy as np
import pytest

from fresh_viz.archive import ArchiveError, ArchiveLimits, read_outputs_zip
from fresh_viz.external import select_outputs


def npy(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def make_zip(members: dict[str, bytes], infos: list[zipfile.ZipInfo] = (), compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for info in infos:
            archive.writestr(info, npy(np.zeros((4, 4, 3))))
    return buffer.getvalue()


def outputs_zip(top: str = "outputs/") -> tuple[bytes, dict[str, list[np.ndarray]]]:
    rng = np.random.default_rng(0)
    arrays = {f"({omega}, 1.0)": [rng.random((8, 8, 3)).astype(np.float32) for _ in range(11)]
              for omega in (30.0, 90.0)}
    members = {f"{top}{config}/{i}.npy": npy(a) for config, items in arrays.items() for i, a in enumerate(items)}
    members[f"{top}README.txt"] = b"outputs of my model"
    members[f"__MACOSX/{top}(30.0, 1.0)/._0.npy"] = b"\x00\x05\x16\x07 AppleDouble"
    return make_zip(members), arrays


@pytest.mark.parametrize("top", ["outputs/", "", "a/b/"])
def test_a_good_archive_reads_in_numeric_order_and_ignores_other_files(top):
    data, arrays = outputs_zip(top)
    read = read_outputs_zip(io.BytesIO(data))
    assert list(read) == list(arrays)  # README.txt and __MACOSX/ are ignored, not refused
    for config in arrays:
        assert len(read[config]) == 11  # 10.npy after 9.npy
        for ours, theirs in zip(read[config], arrays[config]):
            np.testing.assert_array_equal(ours, theirs)
    target = np.random.default_rng(1).random((8, 8, 3))
    assert select_outputs(target, read, bins=8).distance == select_outputs(target, arrays, bins=8).distance


def test_a_file_on_disk_is_read_and_closed(tmp_path):
    data, arrays = outputs_zip()
    (tmp_path / "o.zip").write_bytes(data)
    assert list(read_outputs_zip(tmp_path / "o.zip")) == list(arrays)


def never_opened(monkeypatch):
    """Make reading any member fail the test: a refusal must come before extraction."""
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda *a, **k: pytest.fail("a member was read"))


def test_a_zip_bomb_is_refused_from_the_directory_before_reading(monkeypatch):
    bomb = make_zip({"out/(1,)/0.npy": npy(np.zeros(2**20))})  # 8 MiB of zeros, a few KiB compressed
    assert len(bomb) < 64 * 2**10
    many = make_zip({f"out/(1,)/{i}.npy": npy(np.zeros(2**17)) for i in range(5)})  # 5 x 1 MiB
    never_opened(monkeypatch)
    with pytest.raises(ArchiveError, match="8 MiB uncompressed; the limit is 1 MiB per member"):
        read_outputs_zip(io.BytesIO(bomb), ArchiveLimits(member_bytes=2**20))
    with pytest.raises(ArchiveError, match="more than 4 MiB uncompressed"):
        read_outputs_zip(io.BytesIO(many), ArchiveLimits(total_bytes=4 * 2**20))


def test_a_directory_that_understates_a_member_is_caught_while_reading():
    data = bytearray(make_zip({"out/(1,)/0.npy": npy(np.zeros(2**18))}))  # 2 MiB
    declared = 1000
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # local header, directory entry
        at = data.index(signature)
        data[at + offset : at + offset + 4] = struct.pack("<I", declared)
    with pytest.raises(ArchiveError, match="could not be read|more or less than"):
        read_outputs_zip(io.BytesIO(bytes(data)), ArchiveLimits(member_bytes=2**20))


def link(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.mark.parametrize("name, reason", [
    ("../evil/(1,)/0.npy", "a '..' component"),
    ("out/(1,)/../../../0.npy", "a '..' component"),
    ("/etc/(1,)/0.npy", "an absolute path"),
    ("C:/out/(1,)/0.npy", "a drive letter"),
    ("..\\out\\(1,)\\0.npy", "a '..' component"),
])
def test_paths_outside_the_folder_refuse_the_archive(monkeypatch, name, reason):
    data = make_zip({name: npy(np.zeros((4, 4, 3))), "out/(2,)/0.npy": npy(np.zeros((4, 4, 3)))})
    never_opened(monkeypatch)
    with pytest.raises(ArchiveError, match=f"has {reason}; the archive is refused"):
        read_outputs_zip(io.BytesIO(data))


def test_a_symbolic_link_refuses_the_archive(monkeypatch):
    data = make_zip({}, [link("out/(1,)/0.npy")])
    never_opened(monkeypatch)
    with pytest.raises(ArchiveError, match="a symbolic link"):
        read_outputs_zip(io.BytesIO(data))


class Tripwire:
    """Pickles as a call to os.mkdir(path): unpickling it by any route (pickle.load, pickle.loads, an
    Unpickler, np.load(allow_pickle=True)) creates the folder, so its absence proves nothing unpickled it."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return os.mkdir, (self.path,)


def test_a_pickled_array_is_refused_without_unpickling(tmp_path):
    marker = tmp_path / "unpickled"
    data = make_zip({"out/(1,)/0.npy": npy(np.array([Tripwire(marker)], dtype=object), allow_pickle=True)})
    with pytest.raises(ArchiveError, match="pickled"):
        read_outputs_zip(io.BytesIO(data))
    assert not marker.exists()


def test_too_many_members_are_refused_before_the_directory_is_parsed(monkeypatch):
    data = make_zip({f"out/(1,)/{i}.npy": npy(np.zeros((4, 4))) for i in range(11)})
    monkeypatch.setattr(zipfile, "ZipFile", lambda *a, **k: pytest.fail("the directory was parsed"))
    with pytest.raises(ArchiveError, match="11 members; the limit is 10"):
        read_outputs_zip(io.BytesIO(data), ArchiveLimits(members=10))


def test_an_end_record_that_understates_the_member_count_is_caught():
    data = bytearray(make_zip({f"out/(1,)/{i}.npy": npy(np.zeros((4, 4))) for i in range(11)}))
    at = data.rindex(b"PK\x05\x06")
    data[at + 8 : at + 12] = struct.pack("<HH", 5, 5)
    with pytest.raises(ArchiveError, match="11 members; the limit is 10"):
        read_outputs_zip(io.BytesIO(bytes(data)), ArchiveLimits(members=10))


@pytest.mark.parametrize("members, message", [
    ({"0.npy": npy(np.zeros((4, 4)))}, "not inside a configuration folder"),
    ({"a/(1,)/0.npy": npy(np.zeros((4, 4))), "b/(2,)/0.npy": npy(np.zeros((4, 4)))}, "several places"),
    ({"out/notes.txt": b"x"}, "no .npy outputs"),
    ({"out/(1,)/0.npy": npy(np.zeros((40, 40)))[:200]}, "not a complete .npy array"),
    ({"out/(1,)/0.npy": b"\x93NUMPY garbage"}, "not a valid .npy file"),
    ({"out/(1,)/0.npy": npy(np.zeros((4, 4), dtype=complex))}, "complex"),
])
def test_malformed_archives_are_explained(members, message):
    with pytest.raises(ArchiveError, match=message):
        read_outputs_zip(io.BytesIO(make_zip(members)))


def test_not_a_zip_too_large_and_encrypted_are_refused():
    with pytest.raises(ArchiveError, match="not a zip archive"):
        read_outputs_zip(io.BytesIO(b"PK\x03\x04 this is not really a zip file" * 10))
    with pytest.raises(ArchiveError, match="the limit is 1 MiB"):
        read_outputs_zip(io.BytesIO(b"\x00" * (2 * 2**20)), ArchiveLimits(archive_bytes=2**20))
    data = bytearray(make_zip({"out/(1,)/0.npy": npy(np.zeros((4, 4)))}))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # the "encrypted" flag bit
        data[data.index(signature) + offset] |= 0x1
    with pytest.raises(ArchiveError, match="encrypted"):
        read_outputs_zip(io.BytesIO(bytes(data)))
