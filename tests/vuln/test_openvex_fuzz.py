"""Fuzzing the OpenVEX parser and matcher: clear errors, never a crash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.model import Asset, AssetKind, Identity, VulnerabilityMatch
from mamori.vuln.suppress import SuppressionError, apply_vex, parse_vex

FIXTURES = Path(__file__).parent / "fixtures" / "openvex"
DOCS = [json.loads(p.read_text()) for p in sorted(FIXTURES.glob("*.json"))]
TEXTS = [p.read_text() for p in sorted(FIXTURES.glob("*.json"))]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KEYS = [
    "@context",
    "@id",
    "author",
    "timestamp",
    "version",
    "statements",
    "vulnerability",
    "name",
    "aliases",
    "products",
    "subcomponents",
    "identifiers",
    "purl",
    "status",
    "justification",
    "impact_statement",
    "hashes",
]
TARGET = Asset(
    kind=AssetKind.IMAGE,
    name="registry.example.com/shop/api:1.4.2",
    identity=Identity(
        image="registry.example.com/shop/api:1.4.2", image_digest="sha256:" + "5e" * 32
    ),
)
MATCHES = [
    VulnerabilityMatch(
        package_id="a",
        package_name="curl",
        package_version="7.88.1-10",
        package_type="deb",
        purl="pkg:deb/debian/curl@7.88.1-10?arch=amd64",
        vulnerability_id="CVE-2023-38545",
    ),
    VulnerabilityMatch(
        package_id="b",
        package_name="git",
        package_version="2.39.0-r1",
        package_type="apk",
        purl="pkg:apk/wolfi/git@2.39.0-r1?arch=armv7",
        vulnerability_id="CVE-2023-12345",
    ),
]

json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        st.text(max_size=20),
        st.sampled_from(
            [
                "https://openvex.dev/ns/v0.2.0",
                "not_affected",
                "fixed",
                "component_not_present",
                "pkg:deb/debian/curl",
                "CVE-2023-38545",
                "2023-01-08T18:02:03.647787998-06:00",
                "pkg:oci/api",
            ]
        ),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), inner, max_size=6),
    ),
    max_leaves=30,
)


def check(text: str) -> None:
    try:
        doc = parse_vex(text, "fuzz.json")
    except SuppressionError as exc:
        assert exc.problems and all(p.startswith("fuzz.json") for p in exc.problems)
        return
    for target in (TARGET, None):
        kept, suppressed, _ = apply_vex(MATCHES, [doc], target=target, products=["pkg:oci/api"])
        assert len(kept) + len(suppressed) == len(MATCHES)
        assert all(s.vex_status in ("not_affected", "fixed") for s in suppressed)


@FUZZ
@given(st.text(max_size=300))
def test_arbitrary_text(text: str) -> None:
    check(text)


@FUZZ
@given(json_values)
def test_arbitrary_json(value: Any) -> None:
    check(json.dumps(value))


@FUZZ
@given(
    st.sampled_from(range(len(DOCS))),
    st.lists(st.tuples(st.sampled_from(KEYS), json_values), max_size=4),
)
def test_fixture_with_fields_replaced(index: int, edits: list[tuple[str, Any]]) -> None:
    """Real-shaped documents with fields swapped for junk, at the top and in statements."""
    doc = json.loads(json.dumps(DOCS[index]))
    for n, (key, value) in enumerate(edits):
        statements = doc.get("statements") if isinstance(doc, dict) else None
        if (
            n % 2
            and isinstance(statements, list)
            and statements
            and isinstance(statements[0], dict)
        ):
            statements[0][key] = value
        elif isinstance(doc, dict):
            doc[key] = value
    check(json.dumps(doc))


@FUZZ
@given(st.data())
def test_mutated_fixture_text(data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(TEXTS))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 10))
        text = (
            text[:at] + data.draw(st.text(alphabet='{}[]",:\\ 0aZ', max_size=5)) + text[at + cut :]
        )
    check(text)
