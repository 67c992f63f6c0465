"""An uploaded .zip of one outputs folder (<configuration>/<i>.npy), read as untrusted input.

Nothing is extracted to disk: members are read into memory, after these checks.
Before the directory is parsed: the archive's size, and its member count and
directory size from the end-of-central-directory record (a directory of millions of
entries would otherwise cost memory just to list).  From the directory, before any
member is read: no absolute paths, drive letters, '..' components or symbolic links
(each refuses the whole archive), no encryption, and the per-member and total
uncompressed sizes.  While reading: the same limits again, in case the directory
lies.  `.npy` members are read without unpickling (pickled arrays are refused);
other members (a README, macOS's __MACOSX/ and ._ files) are ignored.
"""

from __future__ import annotations

import io
import re
import stat
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import numpy as np

from .outputs import OutputsError
from .signals import natural_key, read_npy_header

END_OF_DIRECTORY = b"PK\x05\x06"
ZIP64_LOCATOR = b"PK\x06\x07"
ZIP64_END = b"PK\x06\x06"
MAX_COMMENT = 65535


class ArchiveError(OutputsError):
    """An archive that is refused; the message says which member and why."""


@dataclass(frozen=True)
class ArchiveLimits:
    archive_bytes: int = 100 * 2**20  # the .zip file itself
    members: int = 2000  # entries of any kind, directories included
    total_bytes: int = 512 * 2**20  # uncompressed, all .npy members together
    member_bytes: int = 64 * 2**20  # uncompressed, one member


def read_outputs_zip(source: str | Path | BinaryIO, limits: ArchiveLimits = ArchiveLimits()
                     ) -> dict[str, list[np.ndarray]]:
    """{configuration: arrays} from a .zip holding one outputs folder, ready for `external.select_outputs`.

    The folder may be the archive's root (`<configuration>/<i>.npy`) or one folder inside it
    (`outputs/<configuration>/<i>.npy`); files are in numeric-aware order.  Raises `ArchiveError`."""
    handle = open(source, "rb") if isinstance(source, (str, Path)) else source
    try:
        check_directory_size(handle, limits)
        try:
            archive = zipfile.ZipFile(handle)
        except (zipfile.BadZipFile, ValueError, OSError, EOFError) as err:
            raise ArchiveError(f"not a readable zip archive ({err})") from None
        with archive:
            members = checked_members(archive.infolist(), limits)
            return read_members(archive, members, limits)
    finally:
        if handle is not source:
            handle.close()


def check_directory_size(handle: BinaryIO, limits: ArchiveLimits) -> None:
    """Archive size, member count and directory size, from the end record, before zipfile parses the directory."""
    size = handle.seek(0, io.SEEK_END)
    if size > limits.archive_bytes:
        raise ArchiveError(f"the archive is {size / 2**20:.0f} MiB; the limit is "
                           f"{limits.archive_bytes / 2**20:.0f} MiB")
    handle.seek(max(0, size - 22 - MAX_COMMENT - 20))
    tail = handle.read()
    at = len(tail) - 22 if tail[-22:-18] == END_OF_DIRECTORY else tail.rfind(END_OF_DIRECTORY)
    if at < 0 or len(tail) - at < 22:
        raise ArchiveError("not a zip archive (no end-of-directory record)")
    entries, directory_bytes = struct.unpack("<HI", tail[at + 10 : at + 16])
    if (entries == 0xFFFF or directory_bytes == 0xFFFFFFFF) and tail[at - 20 : at - 16] == ZIP64_LOCATOR:
        (offset,) = struct.unpack("<Q", tail[at - 12 : at - 4])
        handle.seek(offset)
        record = handle.read(56)
        if len(record) < 56 or record[:4] != ZIP64_END:
            raise ArchiveError("not a readable zip archive (bad Zip64 end record)")
        entries, directory_bytes = struct.unpack("<QQ", record[32:48])
    handle.seek(0)
    if entries > limits.members:
        raise ArchiveError(f"the archive has {entries:,} members; the limit is {limits.members:,}")
    if directory_bytes > limits.members * 1024:  # ~1 KiB per entry is generous for names and extra fields
        raise ArchiveError(f"the archive's directory is {directory_bytes:,} bytes, too large for "
                           f"{limits.members:,} members")


def unsafe(name: str) -> str | None:
    """Why a member name would land outside an extraction folder, or None."""
    path = name.replace("\\", "/")
    if "\x00" in path:
        return "a NUL byte in its name"
    if path.startswith("/"):
        return "an absolute path"
    if re.match(r"[A-Za-z]:", path):
        return "a drive letter"
    if ".." in path.split("/"):
        return "a '..' component"
    return None


def ignored(name: str) -> bool:
    """Members that are not outputs: folders, other files, macOS's resource forks."""
    path = PurePosixPath(name.replace("\\", "/"))
    return (name.endswith(("/", "\\")) or path.suffix.lower() != ".npy" or "__MACOSX" in path.parts
            or path.name.startswith("."))


def checked_members(infos: list[zipfile.ZipInfo], limits: ArchiveLimits) -> dict[str, list[zipfile.ZipInfo]]:
    """The .npy members by configuration, after the directory's checks (see the module's docstring)."""
    if len(infos) > limits.members:
        raise ArchiveError(f"the archive has {len(infos):,} members; the limit is {limits.members:,}")
    total, folders = 0, {}
    for info in infos:
        reason = unsafe(info.filename)
        if reason is None and stat.S_ISLNK(info.external_attr >> 16):
            reason = "a symbolic link"
        if reason is not None:
            raise ArchiveError(f"member '{info.filename}' has {reason}; the archive is refused")
        if info.flag_bits & 0x1:
            raise ArchiveError(f"member '{info.filename}' is encrypted; the archive is refused")
        if ignored(info.filename):
            continue
        if info.file_size > limits.member_bytes:
            raise ArchiveError(f"member '{info.filename}' is {info.file_size / 2**20:.0f} MiB uncompressed; the "
                               f"limit is {limits.member_bytes / 2**20:.0f} MiB per member")
        total += info.file_size
        if total > limits.total_bytes:
            raise ArchiveError(f"the .npy members hold more than {limits.total_bytes / 2**20:.0f} MiB uncompressed "
                               "(the limit)")
        parts = PurePosixPath(info.filename.replace("\\", "/")).parts
        if len(parts) < 2:
            raise ArchiveError(f"'{info.filename}' is not inside a configuration folder; zip the outputs folder "
                               "(<configuration>/<i>.npy)")
        folders.setdefault(parts[:-2], {}).setdefault(parts[-2], []).append(info)
    if not folders:
        raise ArchiveError("the archive holds no .npy outputs (<configuration>/<i>.npy)")
    if len(folders) > 1:
        places = ", ".join(sorted("/".join(p) or "the top level" for p in folders))
        raise ArchiveError(f"the archive holds configuration folders in several places ({places}); zip one "
                           "outputs folder")
    (configs,) = folders.values()
    return {config: sorted(members, key=lambda i: natural_key(PurePosixPath(i.filename).name))
            for config, members in configs.items()}


def read_members(archive: zipfile.ZipFile, members: dict[str, list[zipfile.ZipInfo]], limits: ArchiveLimits
                 ) -> dict[str, list[np.ndarray]]:
    """Read and parse every .npy member, enforcing the size limits on the bytes actually read."""
    total, outputs = 0, {}
    for config, infos in members.items():
        outputs[config] = []
        for info in infos:
            try:
                with archive.open(info) as member:
                    data = member.read(limits.member_bytes + 1)
            except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, ValueError) as err:
                raise ArchiveError(f"member '{info.filename}' could not be read ({err})") from None
            if len(data) > limits.member_bytes or len(data) != info.file_size:
                raise ArchiveError(f"member '{info.filename}' holds more or less than the archive's directory says; "
                                   "the archive is refused")
            total += len(data)
            if total > limits.total_bytes:
                raise ArchiveError(f"the .npy members hold more than {limits.total_bytes / 2**20:.0f} MiB "
                                   "uncompressed (the limit)")
            outputs[config].append(parse_npy(data, info.filename))
    return outputs


def parse_npy(data: bytes, name: str) -> np.ndarray:
    """A numeric array from .npy bytes; the header is checked first, pickles are never loaded."""
    try:
        read_npy_header(io.BytesIO(data), name, OutputsError)
        return np.load(io.BytesIO(data), allow_pickle=False)
    except OutputsError as err:
        raise ArchiveError(f"member {err}; the archive is refused") from None
    except (ValueError, OSError, EOFError) as err:
        raise ArchiveError(f"member '{name}' is not a complete .npy array ({err})") from None
