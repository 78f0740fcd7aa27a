"""The streaming tar reader, differential against Python's tarfile (the oracle for
well-formed archives) and fuzzed with corrupt input."""

from __future__ import annotations

import io
import tarfile
import tracemalloc

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mamori.sources.safe_tar import MemberType, TarCorruptError, TarError, TarReader

_KINDS = {
    "file": (tarfile.REGTYPE, MemberType.FILE),
    "dir": (tarfile.DIRTYPE, MemberType.DIR),
    "symlink": (tarfile.SYMTYPE, MemberType.SYMLINK),
    "hardlink": (tarfile.LNKTYPE, MemberType.HARDLINK),
    "fifo": (tarfile.FIFOTYPE, MemberType.FIFO),
    "char": (tarfile.CHRTYPE, MemberType.CHAR),
}
_NAME_CHARS = st.sampled_from([*list("abc./-_é✓ "), "..", "x" * 60])
names = (
    st.lists(_NAME_CHARS, min_size=1, max_size=12)
    .map("".join)
    .filter(lambda n: n.strip("/") != "" and "\0" not in n)
)
member = st.tuples(
    names,
    st.sampled_from(sorted(_KINDS)),
    st.binary(max_size=1500),
    names,
    st.integers(0, 0o7777),
)


def build(members: list[tuple[str, str, bytes, str, int]], fmt: int) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for name, kind, data, link, mode in members:
            info = tarfile.TarInfo(name)
            info.type = _KINDS[kind][0]
            info.mode = mode
            if kind in ("symlink", "hardlink"):
                info.linkname = link
            if kind == "file":
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
            else:
                tf.addfile(info)
    return buf.getvalue()


def read_all(data: bytes, chunk: int = 1 << 20) -> list[tuple[str, MemberType, int, str, bytes]]:
    reader = TarReader(io.BytesIO(data), chunk=chunk)
    out = []
    for m in reader:
        body = reader.read_data(1 << 20) if m.type is MemberType.FILE else b""
        link = m.linkname if m.type in (MemberType.SYMLINK, MemberType.HARDLINK) else ""
        # tarfile drops trailing slashes (of directories, and of any pax path)
        out.append((m.name.rstrip("/"), m.type, m.mode, link, body))
    assert reader.complete
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    members=st.lists(member, max_size=8),
    fmt=st.sampled_from([tarfile.GNU_FORMAT, tarfile.PAX_FORMAT, tarfile.USTAR_FORMAT]),
    chunk=st.sampled_from([1, 7, 512, 513, 4096, 1 << 20]),
)
def test_same_members_as_tarfile(
    members: list[tuple[str, str, bytes, str, int]], fmt: int, chunk: int
) -> None:
    try:
        data = build(members, fmt)
    except ValueError:
        assume(False)  # ustar cannot store that name: nothing to compare
        return
    expected = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tf:
        for info in tf:
            f = tf.extractfile(info) if info.isreg() else None
            link = info.linkname if info.issym() or info.islnk() else ""
            kind = next(k for t, k in _KINDS.values() if t == info.type)
            body = f.read() if f else b""
            expected.append((info.name.rstrip("/"), kind, info.mode, link, body))
    assert read_all(data, chunk) == expected


@settings(max_examples=200, deadline=None)
@given(
    members=st.lists(member, min_size=1, max_size=5),
    flips=st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(1, 255)), max_size=6),
    cut=st.integers(0, 1 << 16),
)
def test_corrupt_archives_raise_only_tar_errors(
    members: list[tuple[str, str, bytes, str, int]],
    flips: list[tuple[int, int]],
    cut: int,
) -> None:
    data = bytearray(build(members, tarfile.PAX_FORMAT))
    for pos, xor in flips:
        data[pos % len(data)] ^= xor
    del data[cut % (len(data) + 1) :]
    reader = TarReader(io.BytesIO(bytes(data)), chunk=700)
    try:
        for m in reader:
            if m.type is MemberType.FILE and m.size < 1 << 20:
                reader.read_data(1 << 20)
    except TarError:
        pass


def _header(name: bytes, flag: bytes, size: int) -> bytes:
    block = bytearray(512)
    block[: len(name)] = name
    block[100:108] = b"0000644\0"
    block[124:136] = f"{size:011o}\0".encode()
    block[156:157] = flag
    block[257:263] = b"ustar\0"
    block[148:156] = b" " * 8
    block[148:156] = f"{sum(block):06o}\0 ".encode()
    return bytes(block)


@pytest.mark.parametrize("flag", [b"x", b"L", b"g"])
def test_huge_metadata_headers_are_refused_without_reading_them(flag: bytes) -> None:
    """tarfile would read a pax header or long name of any claimed size into memory."""
    data = _header(b"evil", flag, 8 * 1024**3) + b"\0" * 4096
    tracemalloc.start()
    with pytest.raises(TarCorruptError, match=r"exceeds? the limit"):
        list(TarReader(io.BytesIO(data), max_metadata=1 << 20))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 4 * 1024 * 1024


def test_truncation_and_corruption_are_reported() -> None:
    data = build(
        [("a", "file", b"x" * 2000, "", 0o644), ("b", "file", b"y", "", 0o644)], tarfile.PAX_FORMAT
    )
    reader = TarReader(io.BytesIO(data[:1500]))
    with pytest.raises(TarError, match="ended"):
        for _ in reader:
            reader.read_data(1 << 20)
    bad = bytearray(data)
    bad[2560 + 10] ^= 0x55  # the second header's name: checksum no longer matches
    with pytest.raises(TarCorruptError, match="checksum"):
        list(TarReader(io.BytesIO(bytes(bad))))
    # a clean end of stream without the end-of-archive marker is not "complete"
    reader = TarReader(io.BytesIO(data[:3584]))
    assert [m.name for m in reader] == ["a", "b"]
    assert not reader.complete
