"""The two build-info layouts, checked against `go version -m`: the Go >= 1.18 inline
format and the older pointer format, in hand-built ELF files (64/32-bit, little/big
endian) that the Go toolchain itself reads, and in a real pre-1.18 binary (esbuild 0.14.0,
built with Go 1.17.2, from the npm registry)."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from tests.sbom.test_go_binary import assert_agrees
from tests.support import CACHE, need, need_tool

MAGIC = b"\xff Go buildinf:"
SENTINEL_START = bytes.fromhex("3077af0c9274080241e1c107e6d618e6")
SENTINEL_END = bytes.fromhex("f932433186182072008242104116d8f2")


def _uvarint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    return bytes(out + bytes([n]))


def build_go_elf(
    version: str, modinfo: str, *, is64: bool = True, big: bool = False, inline: bool = False
) -> bytes:
    """A minimal ELF with a .go.buildinfo section, in the pre-1.18 or the inline format.

    Old header: magic, pointer size, flags (bit 0 big-endian), then pointers to two Go
    string headers {data pointer, length}: the toolchain version and the sentinel-wrapped
    module info. Inline (flags bit 1): two uvarint-prefixed strings after the 32-byte
    header. One PT_LOAD segment maps the section, as the Go linker's data segment does.
    """
    e, ps, p = (">" if big else "<"), (8 if is64 else 4), ("Q" if is64 else "I")
    base, data_off = 0x500000, 0x1000
    ver_b, mod_b = version.encode(), SENTINEL_START + modinfo.encode() + SENTINEL_END
    if inline:
        blob = (MAGIC + bytes([ps, 2 | (1 if big else 0)])).ljust(32, b"\0")
        blob += _uvarint(len(ver_b)) + ver_b + _uvarint(len(mod_b)) + mod_b
        blob += bytes(16)  # section padding (Go 1.19's reader wants a byte past the string)
    else:
        vhdr, mhdr = 32, 32 + 2 * ps
        vdata = mhdr + 2 * ps
        mdata = vdata + len(ver_b)
        blob = MAGIC + bytes([ps, 1 if big else 0])
        blob += struct.pack(e + p + p, base + vhdr, base + mhdr)
        blob = blob.ljust(32, b"\0")
        blob += struct.pack(e + p + p, base + vdata, len(ver_b))
        blob += struct.pack(e + p + p, base + mdata, len(mod_b)) + ver_b + mod_b
    shstr = b"\0.go.buildinfo\0.shstrtab\0"
    shstr_off = data_off + len(blob)
    shoff = (shstr_off + len(shstr) + 7) & ~7
    ehsize, phent, shent = (64, 56, 64) if is64 else (52, 32, 40)
    ident = b"\x7fELF" + bytes([2 if is64 else 1, 2 if big else 1, 1, 0]) + bytes(8)
    machine = 62 if is64 else (8 if big else 3)
    fmt = e + ("HHIQQQIHHHHHH" if is64 else "HHIIIIIHHHHHH")
    out = bytearray(
        ident
        + struct.pack(fmt, 2, machine, 1, base, ehsize, shoff, 0, ehsize, phent, 1, shent, 3, 2)
    )
    if is64:
        out += struct.pack(e + "IIQQQQQQ", 1, 6, data_off, base, base, len(blob), len(blob), 0x1000)
        sfmt = e + "IIQQQQIIQQ"
    else:
        out += struct.pack(e + "IIIIIIII", 1, data_off, base, base, len(blob), len(blob), 6, 0x1000)
        sfmt = e + "IIIIIIIIII"
    out += bytes(data_off - len(out)) + blob + shstr
    out += bytes(shoff - len(out))
    out += struct.pack(sfmt, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    out += struct.pack(sfmt, 1, 1, 3, base, data_off, len(blob), 0, 0, 16, 0)
    out += struct.pack(sfmt, 15, 3, 0, 0, shstr_off, len(shstr), 0, 0, 1, 0)
    return bytes(out)


OLD_MODINFO = (
    "path\tgithub.com/example/tool\n"
    "mod\tgithub.com/example/tool\tv1.2.0\th1:abc=\n"
    "dep\tgithub.com/pkg/errors\tv0.9.1\th1:FEBLx1zS214owpjy7qsBeixbURkuhQAwrK5UwLGTwt4=\n"
    "dep\tgolang.org/x/sys\tv0.0.0-20200930185726-fdedc70b468f\n"
    "=>\tgolang.org/x/sys\tv0.0.0-20210101000000-abcdefabcdef\th1:xyz=\n"
)


@pytest.mark.parametrize(
    ("is64", "big", "inline"),
    [(True, False, False), (False, True, False), (False, False, False), (True, True, True)],
)
def test_hand_built_formats_agree_with_go(
    tmp_path: Path, is64: bool, big: bool, inline: bool
) -> None:
    path = tmp_path / "old"
    path.write_bytes(build_go_elf("go1.16.15", OLD_MODINFO, is64=is64, big=big, inline=inline))
    oracle = assert_agrees(path)  # go version -m reads the hand-built file too
    assert oracle.go == "go1.16.15"
    assert len(oracle.deps) == 2


def _esbuild_0_14(cache: Path) -> Path:
    """esbuild 0.14.0's Linux binary (Go 1.17.2, pre-1.18 format) from the npm registry."""
    target = cache / "go-old-esbuild" / "esbuild"
    if target.exists():
        return target
    npm = need_tool("npm")
    work = cache / "go-old-esbuild.tmp"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    done = subprocess.run(
        [npm, "pack", "--silent", "esbuild-linux-64@0.14.0"], cwd=work, capture_output=True
    )
    need(done.returncode == 0, "the npm registry is unreachable (esbuild-linux-64@0.14.0)")
    subprocess.run(["tar", "-xzf", next(work.glob("*.tgz")).name], cwd=work, check=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(work / "package" / "bin" / "esbuild", target)
    shutil.rmtree(work)
    return target


@pytest.mark.slow
def test_real_old_format_binary(tmp_path: Path) -> None:
    binary = _esbuild_0_14(CACHE)
    oracle = assert_agrees(binary)
    assert oracle.go == "go1.17.2"
