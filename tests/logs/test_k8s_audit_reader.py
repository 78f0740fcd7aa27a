"""`mamori.logs.k8s_audit`: JSON-lines audit logs and EventList documents, bounded.

Oracle: ``json.loads`` per line / of the whole document; hostile input gives warnings,
never an exception; events read from files fire Falco's k8s audit rules.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.logs import Limits, read_k8s_audit, read_k8s_audit_stream
from mamori.model import Notice
from mamori.rules.engine import load_files
from tests.logs.k8s_audit_events import CASES, OVERRIDDEN
from tests.support import need_shared

EVENTS = [CASES[name][0] for name in sorted(CASES)]


def _lines(events: list[Any]) -> bytes:
    return b"".join(json.dumps(e, separators=(",", ":")).encode() + b"\n" for e in events)


def _event_list(events: list[Any], indent: int | None = 2) -> bytes:
    doc = {"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "metadata": {}, "items": events}
    return json.dumps(doc, indent=indent).encode()


def test_json_lines_plain_and_gzip(tmp_path: Path) -> None:
    (tmp_path / "audit.log").write_bytes(_lines(EVENTS[:10]))
    (tmp_path / "audit-2024-03-05.log.gz").write_bytes(gzip.compress(_lines(EVENTS[10:])))
    notices: list[Notice] = []
    got = list(read_k8s_audit(tmp_path, notices=notices))
    assert sorted(e["auditID"] for e in got) == sorted(e["auditID"] for e in EVENTS)
    assert notices == []
    assert list(read_k8s_audit(tmp_path / "audit.log")) == EVENTS[:10]


def test_event_list_documents(tmp_path: Path) -> None:
    pretty = tmp_path / "batch.json"
    pretty.write_bytes(_event_list(EVENTS))
    one_line = tmp_path / "batch-line.json"
    one_line.write_bytes(_event_list(EVENTS[:3], None) + b"\n" + _lines(EVENTS[3:5]))
    notices: list[Notice] = []
    assert list(read_k8s_audit(pretty, notices=notices)) == EVENTS
    assert list(read_k8s_audit(one_line, notices=notices)) == EVENTS[:5]
    huge = _event_list(EVENTS, None)  # one line longer than the cap: streamed as a document
    got = list(read_k8s_audit_stream(io.BytesIO(huge), limits=Limits(max_record_bytes=4096)))
    assert [e["auditID"] for e in got] == [
        e["auditID"] for e in EVENTS if len(json.dumps(e)) < 4000
    ]
    assert notices == []


def test_events_from_a_log_fire_falco_rules(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    path.write_bytes(_lines(EVENTS))
    rs = load_files([need_shared("anchors/falco/plugin-rules/k8s_audit_rules.yaml")])
    fired = {m.name for ev in read_k8s_audit(path) for m in rs.match(ev, "k8s_audit")}
    assert fired == set(CASES) - OVERRIDDEN


def test_bad_lines_are_warnings_and_reading_goes_on(tmp_path: Path) -> None:
    big = json.dumps({**EVENTS[0], "requestObject": {"data": "x" * 10_000}}).encode()
    data = b"\n".join(
        [
            json.dumps(EVENTS[0]).encode(),
            b"{not json",
            big,
            b"[1, 2]",
            b"",
            b"   ",
            json.dumps({"kind": "EventList", "items": [EVENTS[1], 3]}).encode(),
            json.dumps({"kind": "EventList", "items": "x"}).encode(),
            json.dumps(EVENTS[2]).encode(),
        ]
    )
    path = tmp_path / "audit.log"
    path.write_bytes(data)
    notices: list[Notice] = []
    got = list(read_k8s_audit(path, notices=notices, limits=Limits(max_record_bytes=4096)))
    assert got == [EVENTS[0], EVENTS[1], EVENTS[2]]
    kinds = [n.message.split(":")[0] for n in notices]
    assert len(notices) == 5, kinds
    assert any("over 4096 bytes" in n.message for n in notices)


def test_truncated_gzip_keeps_what_was_read(tmp_path: Path) -> None:
    data = gzip.compress(_lines(EVENTS * 20))
    path = tmp_path / "audit.log.gz"
    path.write_bytes(data[: len(data) // 2])
    notices: list[Notice] = []
    got = list(read_k8s_audit(path, notices=notices))
    assert 0 < len(got) < len(EVENTS) * 20 and got == (EVENTS * 20)[: len(got)]
    assert len(notices) == 1


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=15,
)
_objects = st.lists(st.dictionaries(st.text(max_size=8), _json, max_size=5), max_size=6)


@settings(max_examples=150, deadline=None)
@given(_objects)
def test_lines_and_lists_match_json_loads(events: list[dict[str, Any]]) -> None:
    events = [e for e in events if e.get("kind") != "EventList"]
    assert list(read_k8s_audit_stream(io.BytesIO(_lines(events)))) == events
    assert list(read_k8s_audit_stream(io.BytesIO(_event_list(events)))) == events


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.integers(min_value=0, max_value=600))
def test_hostile_bytes_never_raise(noise: bytes, cut: int) -> None:
    base = _lines(EVENTS[:2])
    for data in (
        noise,
        base[:cut] + noise,
        gzip.compress(base)[:cut],
        _event_list(EVENTS[:1])[:cut],
    ):
        notices: list[Notice] = []
        for ev in read_k8s_audit_stream(
            io.BytesIO(data), notices=notices, limits=Limits(max_record_bytes=200)
        ):
            assert isinstance(ev, dict)
