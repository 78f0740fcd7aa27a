"""Real rpm databases for the tests, and the real rpm (and Berkeley DB) to check them with.

- the CBL-Mariner 2.0 sqlite rpmdb from ../shared, placed in a fake root with an os-release;
- Berkeley DB hash "Packages" files holding the same header blobs, written by the real
  Berkeley DB library (Perl's DB_File over libdb5.3) and read back by rpm's bdb_ro;
- NDB "Packages.db" files written here following rpm's own writer (rpmpkg.c): this rpm
  is built without NDB, so no tool on the machine can write or read one.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

from tests.support import need, need_shared, need_tool

MARINER = "data/targets/rpmdb/mariner2"
OS_RELEASE = 'NAME="Common Base Linux Mariner"\nID=mariner\nVERSION_ID="2.0"\n'
QUERY = (
    "%{NAME}\t%{EPOCH}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\t%{LICENSE}"
    "\t%{VENDOR}\t%{MODULARITYLABEL}\n"
)
FILES = "[%{=NAME}\t%{=ARCH}\t%{FILENAMES}\t%{FILEMODES:perms}\n]"


def mariner_sqlite() -> Path:
    return need_shared(MARINER) / "rpmdb.sqlite"


def mariner_blobs() -> list[tuple[int, bytes]]:
    uri = f"file:{mariner_sqlite()}?mode=ro&immutable=1"
    with sqlite3.connect(uri, uri=True) as conn:
        return list(conn.execute("SELECT hnum, blob FROM Packages ORDER BY hnum"))


def fake_root(tmp: Path, db_path: str, source: Path | None = None) -> Path:
    """A root holding only an os-release and (a copy of) a database at `db_path`."""
    root = tmp / "root"
    (root / "etc").mkdir(parents=True, exist_ok=True)
    (root / "etc/os-release").write_text(OS_RELEASE)
    target = root / db_path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    if source is not None:
        shutil.copy(source, target)
    return root


def rpm_query(db_dir: Path, fmt: str, backend: str | None = None) -> list[list[str]]:
    """`rpm -qa --qf fmt` on a private copy of db_dir (rpm may write beside a database)."""
    rpm = need_tool("rpm")
    with tempfile.TemporaryDirectory(prefix="rpm-oracle-") as tmp:
        copy = Path(tmp) / "db"
        shutil.copytree(db_dir, copy)
        args = [rpm, "--dbpath", str(copy), "-qa", "--qf", fmt]
        if backend:
            args[1:1] = ["--define", f"_db_backend {backend}"]
        out = subprocess.run(args, capture_output=True, text=True, check=True)
    return [line.split("\t") for line in out.stdout.splitlines()]


_PERL_WRITER = r"""
use strict; use DB_File; use Fcntl;
my ($file, $lorder, $bsize, $records) = @ARGV;
my $info = DB_File::HASHINFO->new(); $info->{lorder} = $lorder; $info->{bsize} = $bsize;
tie my %h, "DB_File", $file, O_RDWR|O_CREAT, 0644, $info or die "tie: $!";
open my $in, "<:raw", $records or die; local $/; my $d = <$in>; my $o = 0;
my $fmt = $lorder == 4321 ? "N" : "V";
while ($o < length $d) {
    my ($k, $n) = unpack("VV", substr($d, $o, 8));
    $h{pack($fmt, $k)} = substr($d, $o + 8, $n); $o += 8 + $n;
}
untie %h or die;
"""


def write_bdb(
    path: Path, records: list[tuple[int, bytes]], *, big_endian: bool = False, page: int = 4096
) -> None:
    """A Berkeley DB hash file written by libdb itself (Perl DB_File), as rpm's db3 did."""
    perl = need_tool("perl")
    probe = subprocess.run([perl, "-MDB_File", "-e1"], capture_output=True, check=False)
    need(probe.returncode == 0, "Perl's DB_File (Berkeley DB) is not installed")
    data = path.with_suffix(".records")
    data.write_bytes(b"".join(struct.pack("<II", k, len(v)) + v for k, v in records))
    order = "4321" if big_endian else "1234"
    subprocess.run([perl, "-e", _PERL_WRITER, str(path), order, str(page), str(data)], check=True)
    data.unlink()


def write_ndb(path: Path, records: list[tuple[int, bytes]], *, seed: int = 1) -> None:
    """An NDB Packages.db laid out as rpm's rpmpkg.c writes one: two slot pages, free
    slots between used ones, blobs in shuffled order with free gaps between them."""
    rng = random.Random(seed)
    npages = 2
    slots = [struct.pack("<4I", 0x746F6C53, 0, 0, 0)] * (npages * 256 - 2)
    free = list(range(len(slots)))
    rng.shuffle(free)
    out = bytearray(npages * 4096)
    struct.pack_into("<5I", out, 0, 0x506D7052, 0, 7, npages, max(k for k, _ in records) + 1)
    order = list(records)
    rng.shuffle(order)
    for pkgidx, blob in order:
        if rng.random() < 0.2:
            out += bytes(16 * rng.randint(1, 4))  # a hole left by an erased blob
        blkoff = len(out) // 16
        head = struct.pack("<4I", 0x53626C42, pkgidx, 1700000000, len(blob))
        pad = bytes((-(16 + len(blob) + 12)) % 16)
        body = head + blob + pad
        out += body + struct.pack("<3I", zlib.adler32(body), len(blob), 0x45626C42)
        slots[free.pop()] = struct.pack("<4I", 0x746F6C53, pkgidx, blkoff, (len(body) + 12) // 16)
    table = b"".join(slots)
    out[32 : 32 + len(table)] = table
    path.write_bytes(bytes(out))
