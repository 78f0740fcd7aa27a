"""Block variants the real captures do not contain: large-payload event blocks (32-bit
parameter lengths) and event blocks with flags, written by our writer or patched."""

from __future__ import annotations

import io
import json
import struct
import subprocess
from pathlib import Path

from mamori.captures.scap import ScapReader
from mamori.captures.scap.writer import ScapWriter, newest_code
from mamori.model.events import ThreadInfo
from tests.support import need_tool


def _capture(build: object) -> bytes:
    out = io.BytesIO()
    writer = ScapWriter(out)
    writer.machine()
    build(writer)  # type: ignore[operator]
    return out.getvalue()


def test_large_payload_block() -> None:
    doc = json.dumps({"container": {"id": "0123456789ab", "name": "x" * 70000}})
    data = _capture(lambda w: w.event(5, 0, 324, [doc]))
    assert struct.pack("<I", 0x221) in data  # written as a large-payload block
    with ScapReader(io.BytesIO(data)) as reader:
        (event,) = list(reader.events())
    assert event.name == "container" and event.params["json"] == doc


def test_event_block_with_flags() -> None:
    data = bytearray(_capture(lambda w: w.syscall(7, 42, "close", ">", [3])))
    at = data.rindex(struct.pack("<I", 0x216))
    total = struct.unpack_from("<I", data, at + 4)[0]
    block = data[at : at + total]
    body = block[8:-4]
    # EVF v2: cpu id, then 32 bits of dump flags (1: kept for state only), then the event.
    new_body = body[:2] + struct.pack("<I", 1) + body[2:]
    new_total = 8 + len(new_body) + 4
    patched = struct.pack("<II", 0x217, new_total) + new_body + struct.pack("<I", new_total)
    data[at : at + total] = patched
    with ScapReader(io.BytesIO(bytes(data))) as reader:
        (event,) = list(reader.events())
        assert reader.state_only_events == 1
    assert (event.name, event.dir, event.tid, event.params) == ("close", ">", 42, {"fd": 3})


def test_unknown_event_codes_are_skipped() -> None:
    data = bytearray(_capture(lambda w: w.syscall(7, 42, "close", ">", [3])))
    at = data.rindex(struct.pack("<I", 0x216))
    struct.pack_into("<H", data, at + 8 + 2 + 20, 9999)  # event code past our table
    with ScapReader(io.BytesIO(bytes(data))) as reader:
        assert list(reader.events()) == []
        assert reader.skipped_events == 1


def test_newest_code() -> None:
    assert newest_code("execve", "<") == 293
    assert newest_code("openat", ">") == 306


def test_process_list_strings_are_cut_to_libscap_limits(tmp_path: Path) -> None:
    """A host process with a command line of tens of KB (CI runners have them) must not
    make the whole capture unreadable: libscap refuses args/env/cgroups over 4096 bytes
    and paths over 1024, so the writer cuts them, whole arguments first."""
    args = tuple(f"--option-{i:05d}=value" for i in range(2000))  # ~44 KB
    huge_one = ("x" * 9000,)
    threads = [
        ThreadInfo(tid=10, pid=10, ptid=1, comm="long", exe="/bin/long", exepath="/bin/long",
                   args=args, env=args, cgroups=args, cwd="/" + "d" * 3000, root="/"),
        ThreadInfo(tid=11, pid=11, ptid=1, comm="one", exe="/bin/one", args=huge_one),
    ]  # fmt: skip
    path = tmp_path / "long.scap"
    with ScapWriter(path) as writer:
        writer.machine()
        writer.threads(threads)
        writer.syscall(7, 10, "close", ">", [3])
    with ScapReader(path) as reader:
        list(reader.events())
        long, one = reader.threads
    kept = len(b"".join(a.encode() + b"\0" for a in long.args))
    assert 4096 - 25 < kept <= 4096 and long.args == args[: len(long.args)]
    assert long.env == long.args and long.cgroups == long.args
    assert len(long.cwd) == 1024 and long.cwd == ("/" + "d" * 3000)[:1024]
    assert one.args == ("x" * 4095,)
    sysdig = need_tool("sysdig")  # libscap itself must accept the file
    done = subprocess.run([sysdig, "-r", str(path), "-p", "%proc.name %proc.args"],
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "long --option-00000=value --option-00001=value" in done.stdout
