"""Hostile zip archives, built in a few milliseconds each (tests) or at full size (bench).

Most bombs need no real gigabytes: auditor judges an archive by its central directory
before it decompresses anything, so a small archive whose directory lies (sizes, flags,
offsets) is what a bomb looks like to it. :func:`zeros_bomb` builds a genuine one, for the
memory and time bounds.
"""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

_CENTRAL = b"PK\x01\x02"
_END = b"PK\x05\x06"


def plain_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _central_records(data: bytes) -> list[int]:
    """Offsets of every central directory record (the EOCD says where they start)."""
    end = data.rindex(_END)
    count = struct.unpack_from("<H", data, end + 10)[0]
    offset = struct.unpack_from("<I", data, end + 16)[0]
    found = []
    for _ in range(count):
        assert data[offset : offset + 4] == _CENTRAL
        found.append(offset)
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, offset + 28)
        offset += 46 + name_len + extra_len + comment_len
    return found


def patch_member(path: Path, index: int, *, file_size: int | None = None, compress_size: int | None = None,
                 flag_bits: int | None = None) -> Path:  # fmt: skip
    """Rewrite fields of one central directory record: the lies bombs tell."""
    data = bytearray(path.read_bytes())
    record = _central_records(bytes(data))[index]
    if flag_bits is not None:
        struct.pack_into("<H", data, record + 8, flag_bits)
    if compress_size is not None:
        struct.pack_into("<I", data, record + 20, compress_size)
    if file_size is not None:
        struct.pack_into("<I", data, record + 24, file_size)
    path.write_bytes(bytes(data))
    return path


def overlapping_zip(path: Path, payload: bytes, copies: int) -> Path:
    """One member's bytes listed ``copies`` times under other names (Fifield's overlap, simplest form)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data/0000.csv", payload)
    data = buffer.getvalue()
    end = data.rindex(_END)
    start = struct.unpack_from("<I", data, end + 16)[0]
    record = data[start:end]
    name_len = struct.unpack_from("<H", record, 28)[0]
    records = [record[:46] + f"data/{i:04d}.csv".encode().ljust(name_len, b"_") + record[46 + name_len :]
               for i in range(copies)]  # fmt: skip
    directory = b"".join(records)
    eocd = bytearray(data[end:])
    struct.pack_into("<HHII", eocd, 8, copies, copies, len(directory), start)
    path.write_bytes(data[:start] + directory + bytes(eocd))
    return path


def nested_zip(path: Path, levels: int, inner: dict[str, bytes]) -> Path:
    """``inner`` at the bottom of ``levels`` archives, each holding the next (and a file of its own)."""
    data = _zip_bytes(inner)
    for level in range(levels - 1, 0, -1):
        data = _zip_bytes({f"level{level + 1}.zip": data, f"level{level}.txt": b"a note at this level\n"})
    path.write_bytes(data)
    return path


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def symlink_zip(path: Path, target: str, beside: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        link = zipfile.ZipInfo("Takeout/Records.json")
        link.create_system = 3  # unix: the mode bits below are read
        link.external_attr = (0o120777 << 16)
        archive.writestr(link, target)
        for name, data in beside.items():
            archive.writestr(name, data)
    return path


def many_members_zip(path: Path, count: int, real: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for index in range(count):
            archive.writestr(f"photos/{index:06d}.json", b'{"title": "IMG_%06d.jpg"}' % index)
        for name, data in real.items():
            archive.writestr(name, data)
    return path


def zeros_bomb(path: Path, name: str, size: int, prefix: bytes = b"") -> Path:
    """A genuine deflate bomb: ``prefix`` then ``size`` zero bytes (about 1000 to 1 compressed)."""
    chunk = bytes(1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open(name, "w", force_zip64=True) as member:
            member.write(prefix)
            left = size
            while left > 0:
                member.write(chunk[: min(left, len(chunk))])
                left -= len(chunk)
    return path
