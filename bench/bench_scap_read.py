"""Decode throughput of the .scap reader (and of the reader plus the state engine).

Builds a large plain capture in a temp dir by repeating the event blocks of the largest
real capture (its metadata once, then its events N times), then times, in one run:
walking its blocks with every event skipped undecoded (``events(skip=...)``), reading
it with ``ScapReader`` (events/s), and reading it while feeding every event to the
``StateEngine``. With ``--sysdig``, also times ``sysdig -D -r FILE`` reading the
same file with a filter that matches nothing, for scale (``-D`` makes sysdig parse the
libraries' internal events too, as we do; without it sysdig skips them unparsed).

    .venv/bin/python bench/bench_scap_read.py [--events 300000] [--sysdig]
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mamori.captures.scap import EVENTS, ScapReader
from mamori.runtime.state import StateEngine

ROOT = Path(__file__).resolve().parents[1]
CAPTURES = [
    ROOT.parent / "shared/anchors/falco/legacy-tests/test/trace_files",
    ROOT.parent / "shared/anchors/falco/libs-captures",
]
EVENT_BLOCKS = {0x204, 0x216, 0x208, 0x217, 0x221, 0x222, 0x8010ABCD}


def largest_capture() -> Path:
    paths = [p for d in CAPTURES if d.is_dir() for p in d.glob("*.scap")]
    if not paths:
        sys.exit("no captures under ../shared/anchors/falco")
    return max(paths, key=lambda p: len(gzip.decompress(p.read_bytes())))


def build(source: Path, target: Path, events: int) -> int:
    """Metadata of ``source`` once, then its event blocks repeated; returns the count."""
    plain = gzip.decompress(source.read_bytes())
    meta, blocks, offset = bytearray(), [], 0
    while offset + 8 <= len(plain):
        block_type, length = struct.unpack_from("<II", plain, offset)
        chunk = plain[offset : offset + length]
        (blocks.append(chunk) if block_type in EVENT_BLOCKS else meta.extend(chunk))
        offset += length
    written = 0
    with target.open("wb") as out:
        out.write(meta)
        while written < events:
            for block in blocks:
                out.write(block)
            written += len(blocks)
    return written


ALL_CODES = frozenset(range(len(EVENTS)))


def time_reader(path: Path, with_state: bool, skip_all: bool = False) -> tuple[int, float, float]:
    """(events, wall seconds, CPU seconds): CPU time is the fairer figure on a busy host.
    `skip_all`: every event skipped undecoded (`events(skip=...)`), counted by `on_skip`:
    the cost of walking the blocks alone."""
    start, cpu = time.perf_counter(), time.process_time()
    count = 0
    with ScapReader(path) as reader:
        if skip_all:
            times: list[int] = []
            for _ in reader.events(skip=ALL_CODES, on_skip=times.append):
                pass
            count = len(times)
        elif with_state:
            engine = StateEngine()
            engine.load_threads(reader.threads)
            engine.load_fds(reader.fds)
            engine.load_users(reader.users, reader.groups)
            for event in reader.events():
                engine.process(event)
                count += 1
        else:
            for _ in reader.events():
                count += 1
    return count, time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--sysdig", action="store_true")
    parser.add_argument("--capture", help="a capture name instead of the largest one")
    args = parser.parse_args()
    source = largest_capture()
    if args.capture:
        source = next(p for d in CAPTURES for p in d.glob(args.capture))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.scap"
        total = build(source, path, args.events)
        size = path.stat().st_size
        print(f"capture: {source.name} repeated -> {total} events, {size / 1e6:.1f} MB")
        runs = (("reader, skip all:", False, True), ("reader:          ", False, False),
                ("reader + state:  ", True, False))  # fmt: skip
        for label, state, skip_all in runs:
            count, wall, cpu = time_reader(path, with_state=state, skip_all=skip_all)
            print(
                f"{label} {count} events in {wall:.2f} s wall / {cpu:.2f} s CPU = "
                f"{count / wall:,.0f} events/s wall, {count / cpu:,.0f} events/s CPU"
            )
        sysdig = shutil.which("sysdig")
        if args.sysdig and sysdig:
            start = time.perf_counter()
            subprocess.run(
                [sysdig, "-D", "-r", str(path), "-p", "%evt.num", f"evt.num>={total}"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
            seconds = time.perf_counter() - start
            rate = total / seconds
            print(f"sysdig -D -r:   {total} events in {seconds:.2f} s = {rate:,.0f} events/s")


if __name__ == "__main__":
    main()
