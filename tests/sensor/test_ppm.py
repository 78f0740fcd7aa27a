"""Kernel -> Falco (PPM) encodings: each kernel constant, taken from Python's ``os`` /
``socket`` / ``fcntl`` modules or from the system's C headers (compiled with clang),
must convert to the PPM value that Falco's own symbolic tables (``runtime.flags``) name
with the same symbol; bit-flag conversions round-trip."""

from __future__ import annotations

import fcntl
import os
import socket
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.runtime.flags import TABLES, render
from mamori.sensor import ppm
from mamori.sensor.decode import Decoder
from mamori.sensor.table import BY_NAME
from tests.sensor.test_decode import record
from tests.support import need_tool


def names(table: str, value: int) -> set[str]:
    return set(render(table, value).split("|")) - {""}


def as_int(value: object) -> int:
    assert isinstance(value, int)
    return value


def falco_value(table: str, name: str) -> int:
    return dict(TABLES[table])[name]


_OPEN_NAMES = [
    n
    for n, _ in TABLES["file"]
    if n not in ("O_NONE", "O_F_CREATED") and hasattr(os, n) and getattr(os, n)
]


@pytest.mark.parametrize("name", _OPEN_NAMES)
def test_every_os_open_flag_gets_its_falco_name(name: str) -> None:
    kernel = getattr(os, name)
    # the names whose kernel bits are all inside this flag (O_SYNC includes O_DSYNC...)
    expected = {
        n
        for n in _OPEN_NAMES
        if n not in ("O_WRONLY", "O_RDWR") and kernel & getattr(os, n) == getattr(os, n)
    }
    access = {os.O_WRONLY: "O_WRONLY", os.O_RDWR: "O_RDWR"}.get(kernel & os.O_ACCMODE, "O_RDONLY")
    assert names("file", ppm.open_flags(kernel)) == expected | {access}


def test_open_access_modes_and_combinations() -> None:
    assert ppm.open_flags(os.O_RDONLY) == falco_value("file", "O_RDONLY")
    assert ppm.open_flags(os.O_WRONLY) == falco_value("file", "O_WRONLY")
    assert ppm.open_flags(os.O_RDWR) == falco_value("file", "O_RDWR")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
    assert names("file", ppm.open_flags(flags)) == {"O_WRONLY", "O_CREAT", "O_TRUNC", "O_CLOEXEC"}
    # a plain O_DIRECTORY open is not O_TMPFILE (whose kernel value includes it)
    assert names("file", ppm.open_flags(os.O_DIRECTORY)) == {"O_DIRECTORY", "O_RDONLY"}
    # the kernel's own O_LARGEFILE (0o100000; glibc's is 0 on 64-bit)
    assert names("file", ppm.open_flags(0o100000)) == {"O_LARGEFILE", "O_RDONLY"}
    assert names("file", ppm.pipe2_flags(os.O_CLOEXEC | os.O_NONBLOCK)) == {
        "O_CLOEXEC",
        "O_NONBLOCK",
    }
    assert names("file", ppm.dup3_flags(os.O_CLOEXEC | os.O_NONBLOCK)) == {"O_CLOEXEC"}


@pytest.mark.parametrize(
    "name", [n for n, v in TABLES["socket_families"] if v and hasattr(socket, n)]
)
def test_socket_families(name: str) -> None:
    assert ppm.socket_family(getattr(socket, name)) == falco_value("socket_families", name)


def test_unknown_socket_family_is_unspec() -> None:
    assert ppm.socket_family(getattr(socket, "AF_VSOCK", 40)) == 0


@pytest.mark.parametrize("name", [n for n, v in TABLES["fcntl"] if v and hasattr(fcntl, n)])
def test_fcntl_commands_from_the_fcntl_module(name: str) -> None:
    assert ppm.fcntl_cmd(getattr(fcntl, name)) == falco_value("fcntl", name)


_C_NAMES = {
    "clone": [n for n, _ in TABLES["clone"] if n.startswith("CLONE_") and n not in (
        "CLONE_INVERTED", "CLONE_STOPPED")],
    # PTRACE_OLDSETOPTIONS (21) is only in <asm/ptrace-abi.h>: checked by value below
    "ptrace": [n for n, v in TABLES["ptrace"] if v and n != "PTRACE_OLDSETOPTIONS"],
}  # fmt: skip
_C_SOURCE = """#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <linux/fcntl.h>
#define PTRACE_PEEKUSR PTRACE_PEEKUSER
#define PTRACE_POKEUSR PTRACE_POKEUSER
int main(void) {
%s
  printf("AT_REMOVEDIR %%d\\nAT_SYMLINK_FOLLOW %%d\\nAT_EMPTY_PATH %%d\\n",
         AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_EMPTY_PATH);
  return 0;
}
"""


@pytest.fixture(scope="module")
def c_constants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    """The kernel's values of every CLONE_* / PTRACE_* symbol Falco names, as the
    system's headers define them (one clang build for the module)."""
    clang = need_tool("clang")
    # CLONE_* are macros (some absent on old headers); <sys/ptrace.h> declares PTRACE_*
    # as an enum, printed unconditionally (PEEKUSR/POKEUSR are glibc's PEEKUSER/POKEUSER)
    lines = [
        f'#ifdef {n}\n  printf("{n} %lu\\n", (unsigned long){n});\n#endif'
        for n in _C_NAMES["clone"]
    ]
    lines += [f'  printf("{n} %lu\\n", (unsigned long){n});' for n in _C_NAMES["ptrace"]]
    work: Path = tmp_path_factory.mktemp("ppm")
    (work / "c.c").write_text(_C_SOURCE % "\n".join(lines))
    subprocess.run([clang, "-w", "-o", str(work / "c"), str(work / "c.c")], check=True)
    out = subprocess.run([str(work / "c")], check=True, capture_output=True, text=True).stdout
    return {name: int(value) for name, value in (ln.split() for ln in out.splitlines())}


def test_clone_flags_from_the_c_headers(c_constants: dict[str, int]) -> None:
    seen = [n for n in _C_NAMES["clone"] if n in c_constants]
    assert "CLONE_THREAD" in seen and "CLONE_NEWUSER" in seen and len(seen) >= 20
    for name in seen:
        assert names("clone", ppm.clone_flags(c_constants[name])) == {name}, name


def test_ptrace_requests_from_the_c_headers(c_constants: dict[str, int]) -> None:
    seen = [n for n in _C_NAMES["ptrace"] if n in c_constants]
    assert "PTRACE_ATTACH" in seen and len(seen) >= 30
    for name in seen:
        assert render("ptrace", ppm.ptrace_request(c_constants[name])) == name, name
    assert render("ptrace", ppm.ptrace_request(21)) == "PTRACE_OLDSETOPTIONS"
    assert ppm.ptrace_request(0x7FFF) == 0  # PTRACE_UNKNOWN


def test_at_flags_from_the_c_headers(c_constants: dict[str, int]) -> None:
    # PPM_AT_* share the kernel's values; only the meaningful bits are kept
    assert ppm.unlinkat_flags(c_constants["AT_REMOVEDIR"] | 1) == c_constants["AT_REMOVEDIR"]
    both = c_constants["AT_SYMLINK_FOLLOW"] | c_constants["AT_EMPTY_PATH"]
    assert ppm.linkat_flags(both | 0x100) == both


def test_mount_magic_and_umount() -> None:
    assert names("mount", ppm.mount_flags(0xC0ED0000 | 1 | 4096)) == {"RDONLY", "BIND"}
    assert names("mount", ppm.mount_flags(16384 | 4096)) == {"REC", "BIND"}
    assert names("umount", ppm.umount_flags(2 | 0x100)) == {"DETACH"}


def _bit_sets(bits: tuple[tuple[int, int], ...]) -> st.SearchStrategy[list[tuple[int, int]]]:
    return st.lists(st.sampled_from(bits), unique=True)


def _back(bits: tuple[tuple[int, int], ...], value: int) -> int:
    kernel = 0
    for k, p in bits:
        if value & p:
            kernel |= k
    return kernel


@settings(max_examples=200, deadline=None)
@given(_bit_sets(ppm.CLONE_BITS), st.integers(0, 0xFF))
def test_clone_flags_round_trip(chosen: list[tuple[int, int]], signal: int) -> None:
    kernel = 0
    for k, _ in chosen:
        kernel |= k
    value = ppm.clone_flags(kernel | signal)  # the low byte (exit signal) is not a flag
    assert value == sum(p for _, p in chosen)
    assert _back(ppm.CLONE_BITS, value) == kernel


@settings(max_examples=200, deadline=None)
@given(_bit_sets(ppm.OPEN_BITS), st.sampled_from([os.O_RDONLY, os.O_WRONLY, os.O_RDWR]))
def test_open_flags_round_trip(chosen: list[tuple[int, int]], access: int) -> None:
    kernel = access
    for k, _ in chosen:
        kernel |= k
    value = ppm.open_flags(kernel)
    assert _back(ppm.OPEN_BITS, value) | access == kernel
    assert value & 3 == {os.O_RDONLY: 1, os.O_WRONLY: 2, os.O_RDWR: 3}[access]


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**64 - 1))
def test_converters_never_raise_and_stay_in_range(value: int) -> None:
    for fn in {id(fn): fn for fn in ppm.CONVERTERS.values()}.values():
        assert 0 <= fn(value) < 2**32
        assert len(fn.cache) <= ppm.Memo.LIMIT  # hostile values cannot grow the memo


def test_the_decoder_applies_the_conversions() -> None:
    clone = BY_NAME["clone"]
    flags = 0x10000 | 0x800 | 0x100 | 17  # CLONE_THREAD|CLONE_SIGHAND|CLONE_VM|SIGCHLD
    raw = record(clone.nr, 0, (flags, 0, 0, 0, 0, 0))
    ev = Decoder(0).decode(raw, 0, len(raw))
    assert ev is not None
    assert names("clone", as_int(ev.params["flags"])) == {
        "CLONE_THREAD",
        "CLONE_SIGHAND",
        "CLONE_VM",
    }
    vfork = record(BY_NAME["vfork"].nr, 0, (0,) * 6)
    ev = Decoder(0).decode(vfork, 0, len(vfork))
    assert ev is not None and names("clone", as_int(ev.params["flags"])) == {
        "CLONE_VM",
        "CLONE_VFORK",
    }
    pt = record(BY_NAME["ptrace"].nr, 0, (16, 1, 0, 0, 0, 0))
    ev = Decoder(0).decode(pt, 0, len(pt))
    assert ev is not None and render("ptrace", as_int(ev.params["request"])) == "PTRACE_ATTACH"


def test_convert_params_for_hand_built_params() -> None:
    params: dict[str, object] = {"res": 0, "flags": os.O_WRONLY | os.O_TRUNC, "name": "/x"}
    ppm.convert_params("openat", params)
    assert names("file", int(str(params["flags"]))) == {"O_WRONLY", "O_TRUNC"}
    assert params["res"] == 0 and params["name"] == "/x"
