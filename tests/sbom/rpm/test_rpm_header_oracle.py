"""The header parser against rpm's own (python3-rpm's rpm.hdr), on real and mutated blobs.

Whenever rpm accepts a blob, we must parse it too and read the same identity tags from
it. (We are more lenient than rpm: we do not verify the region trailer or alignment, so
some blobs rpm rejects still parse here; that is allowed.)
"""

from __future__ import annotations

import json
import struct
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.sbom.catalogers.rpm import header as tags
from mamori.sbom.catalogers.rpm.header import HeaderError, RpmHeader, parse_header
from tests.sbom.rpm._rpmdb import mariner_blobs
from tests.support import need

SYSTEM_PYTHON = "/usr/bin/python3"
COMPARED = {
    "NAME": tags.NAME,
    "VERSION": tags.VERSION,
    "RELEASE": tags.RELEASE,
    "EPOCH": tags.EPOCH,
    "ARCH": tags.ARCH,
    "LICENSE": tags.LICENSE,
    "SOURCERPM": tags.SOURCERPM,
}
ORACLE = """
import json, sys, rpm
out = []
for path in sys.argv[3:]:
    try:
        h = rpm.hdr(open(path, "rb").read())
    except Exception:
        out.append(None)
        continue
    row = {}
    for name in json.loads(sys.argv[2]):
        v = h[getattr(rpm, "RPMTAG_" + name)]
        if isinstance(v, list):
            v = v[0] if v else None
        if isinstance(v, bytes):
            v = v.decode("utf-8", "replace")
        row[name] = v
    out.append(row)
json.dump(out, open(sys.argv[1], "w"))
"""


def rpm_reads(blobs: list[bytes]) -> list[dict[str, Any] | None]:
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import rpm"], capture_output=True, check=False)
    need(probe.returncode == 0, "python3-rpm (Debian's rpm bindings) is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, blob in enumerate(blobs):
            path = Path(tmp) / f"{i}.hdr"
            path.write_bytes(blob)
            paths.append(str(path))
        result = Path(tmp) / "out.json"
        names = json.dumps(sorted(COMPARED))
        subprocess.run([SYSTEM_PYTHON, "-c", ORACLE, str(result), names, *paths], check=True)
        rows: list[dict[str, Any] | None] = json.loads(result.read_text())
        return rows


def ours(header: RpmHeader, name: str) -> Any:
    tag = COMPARED[name]
    return header.integer(tag) if name == "EPOCH" else header.string(tag)


def has_duplicate_tags(blob: bytes) -> bool:
    il = struct.unpack_from(">I", blob)[0]
    found = [struct.unpack_from(">I", blob, 8 + 16 * i)[0] for i in range(il)]
    return len(found) != len(set(found))


def test_every_real_header_reads_as_rpm_reads_it() -> None:
    blobs = [blob for _, blob in mariner_blobs()]
    for blob, row in zip(blobs, rpm_reads(blobs), strict=True):
        assert row is not None
        header = parse_header(blob)
        assert {name: ours(header, name) for name in COMPARED} == row


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(
        st.tuples(
            st.integers(0, 128),  # which real header
            st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 255)), max_size=4),
            st.booleans(),  # aim the edits at the index (offsets, counts, types)?
        ),
        min_size=20,
        max_size=20,
    )
)
def test_mutated_headers_rpm_accepts_read_the_same(
    cases: list[tuple[int, list[tuple[int, int]], bool]],
) -> None:
    real = [blob for _, blob in mariner_blobs()]
    blobs = []
    for which, edits, at_index in cases:
        mutated = bytearray(real[which % len(real)])
        span = 8 + 16 * struct.unpack_from(">I", mutated)[0] if at_index else len(mutated)
        for position, value in edits:
            mutated[position % span] = value
        blobs.append(bytes(mutated))
    for blob, row in zip(blobs, rpm_reads(blobs), strict=True):
        try:
            header = parse_header(blob)
        except HeaderError:
            assert row is None, "rpm reads a header we reject"
            continue
        if row is None or has_duplicate_tags(blob):
            continue
        for name, value in row.items():
            try:
                mine = ours(header, name)
            except HeaderError:
                continue  # a tag whose type the edit changed: rpm converts, we refuse
            if isinstance(mine, str) and "\ufffd" in mine:
                continue
            assert mine == value, name
