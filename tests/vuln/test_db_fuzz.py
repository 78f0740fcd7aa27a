"""Fuzzing the importer: malformed JSON, YAML, zip and tar input is skipped with a reason,
the import goes on, and nothing raises."""

from __future__ import annotations

import io
import json
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.vuln.db import VulnDb, import_osv

VALID: dict[str, Any] = {
    "id": "FUZZ-1",
    "modified": "2024-01-01T00:00:00Z",
    "aliases": ["CVE-2099-1234"],
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "x"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1"}]}],
            "versions": ["0.1"],
        }
    ],
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


def mutate(value: Any, path: list[int], replacement: Any) -> Any:
    """Replace the node reached by following `path` (indices into keys/items)."""
    if not path or not isinstance(value, (dict, list)) or not value:
        return replacement
    step, rest = path[0], path[1:]
    if isinstance(value, dict):
        keys = sorted(value)
        key = keys[step % len(keys)]
        return {**value, key: mutate(value[key], rest, replacement)}
    index = step % len(value)
    return [*value[:index], mutate(value[index], rest, replacement), *value[index + 1 :]]


def run(files: dict[str, bytes]) -> tuple[int, int, int]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, data in files.items():
            (root / "src").mkdir(exist_ok=True)
            (root / "src" / name).write_bytes(data)
        with VulnDb.open(root / "db.sqlite") as db:
            result = import_osv(root / "src", db)
            stored = db.conn.execute("SELECT COUNT(*) FROM advisories").fetchone()[0]
        return result.records, result.skipped_count, stored


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=st.lists(json_values, min_size=1, max_size=5))
def test_random_json_values(records: list[Any]) -> None:
    files = {f"r{i}.json": json.dumps(r).encode() for i, r in enumerate(records)}
    files["valid.json"] = json.dumps(VALID).encode()
    accepted, skipped, stored = run(files)
    assert accepted >= 1 and accepted + skipped >= len(files)
    assert stored >= 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.lists(st.integers(0, 10), max_size=6),
    replacement=json_values,
)
def test_mutated_valid_records(path: list[int], replacement: Any) -> None:
    broken = mutate(VALID, path, replacement)
    other = {**VALID, "id": "FUZZ-2"}
    accepted, skipped, _ = run(
        {"a.json": json.dumps(broken).encode(), "b.json": json.dumps(other).encode()}
    )
    assert accepted + skipped >= 2 and accepted >= 1


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=300), text=st.text(max_size=300))
def test_random_bytes_and_yaml(data: bytes, text: str) -> None:
    files = {
        "bytes.json": data,
        "bytes.yaml": data,
        "text.yaml": text.encode("utf-8", "replace"),
        "anchors.yaml": b"a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\nid: [*c]\n",
        "ok.json": json.dumps(VALID).encode(),
    }
    accepted, skipped, _ = run(files)
    assert accepted >= 1 and accepted + skipped >= len(files) - 2


def archive_bytes(kind: str) -> bytes:
    buffer = io.BytesIO()
    records = [{**VALID, "id": f"A-{i}"} for i in range(20)]
    if kind == "zip":
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for r in records:
                zf.writestr(f"{r['id']}.json", json.dumps(r))
    else:
        with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
            for r in records:
                payload = json.dumps(r).encode()
                info = tarfile.TarInfo(f"osv/{r['id']}.json")
                info.size = len(payload)
                tf.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


ARCHIVES = {"zip": archive_bytes("zip"), "tar.gz": archive_bytes("tgz")}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(sorted(ARCHIVES)),
    cut=st.integers(0, 100),
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), max_size=4),
)
def test_damaged_archives(kind: str, cut: int, flips: list[tuple[int, int]]) -> None:
    data = bytearray(ARCHIVES[kind])
    for position, xor in flips:
        data[position % len(data)] ^= xor
    data = data[: max(1, len(data) * (100 - cut // 2) // 100)] if cut else data
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / f"all.{kind}"
        archive.write_bytes(bytes(data))
        with VulnDb.open(Path(tmp) / "db.sqlite") as db:
            result = import_osv(archive, db)
    assert result.records <= 20
    if not flips and not cut:
        assert result.records == 20 and result.skipped_count == 0
    elif result.records < 20:
        assert result.skipped_count >= 1  # every loss is explained


def test_damaged_zip_member_is_skipped_and_the_rest_imported(tmp_path: Path) -> None:
    data = bytearray(ARCHIVES["zip"])
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("A-5.json")
    offset = info.header_offset + 30 + len(info.filename) + 5  # inside A-5's compressed data
    data[offset] ^= 0xFF
    (tmp_path / "all.zip").write_bytes(bytes(data))
    with VulnDb.open(tmp_path / "db.sqlite") as db:
        result = import_osv(tmp_path / "all.zip", db)
    assert result.records == 19
    assert [s.name for s in result.skipped] == ["all.zip:A-5.json"]
