"""Random Sigma-like documents never crash the loader: each one loads, or becomes
clear errors and warnings naming the file; compiled rules never raise on records."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.rules.sigma import load_sigma_text
from tests.rules.sigma import helpers  # noqa: F401 - registers the sources

FIELDS = st.sampled_from(
    ["eventName", "eventSource", "userIdentity.arn", "a.b.c", "x", "requestParameters"]
)
MODS = st.lists(
    st.sampled_from(
        [
            "contains",
            "startswith",
            "endswith",
            "all",
            "re",
            "cidr",
            "base64",
            "base64offset",
            "exists",
            "fieldref",
            "cased",
            "gt",
            "lt",
            "i",
            "windash",
            "expand",
            "nosuch",
            "utf16",
            "neq",
            "minute",
        ]
    ),
    max_size=3,
)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=True),
    st.text(max_size=12), st.sampled_from(["*", "?", "\\*", "10.0.0.0/8", "a.+b", "(", "%x%"]),
)  # fmt: skip
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=4),
    st.dictionaries(st.text(max_size=3), SCALARS, max_size=2),
)


@st.composite
def detections(draw: st.DrawFn) -> Any:
    names = draw(
        st.lists(
            st.sampled_from(["sel", "sel_a", "filter_1", "filter", "k"]),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    det: dict[str, Any] = {}
    for n in names:
        items = {
            f"{draw(FIELDS)}{''.join('|' + m for m in draw(MODS))}": draw(VALUES)
            for _ in range(draw(st.integers(1, 3)))
        }
        det[n] = draw(st.one_of(st.just(items), st.just([items]), st.lists(SCALARS, max_size=3)))
    conditions = ["sel", "1 of sel*", "all of them", "sel and not filter", "not (k or sel_a)",
                  "1 of filter_* or sel", "sel |", "(sel", "nosuch", "", "sel and"]  # fmt: skip
    cond = draw(
        st.one_of(st.sampled_from(conditions), st.sampled_from(conditions), st.text(max_size=15))
    )
    det["condition"] = draw(mostly(cond, st.just([cond, "sel"]), SCALARS))
    return det


def mostly(good: Any, *odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`good` three times in four, else one of the odd strategies: most documents
    get past pySigma's shape checks and reach the compiler."""
    return st.integers(0, 3).flatmap(lambda i: st.just(good) if i < 3 else st.one_of(*odd))


@st.composite
def documents(draw: st.DrawFn) -> str:
    doc: dict[str, Any] = {
        "title": draw(mostly("t", st.text(max_size=10), st.none())),
        "id": draw(mostly("5f0c7c53-5d41-4f38-9f0e-1a4f1c0d1e2f", st.just("not-a-uuid"))),
        "logsource": draw(
            mostly(
                {"product": "aws", "service": "cloudtrail"},
                st.just({"product": "kubernetes", "service": "audit"}),
                st.just({"product": "windows"}),
                SCALARS,
            )
        ),
        "detection": draw(st.one_of(detections(), detections(), detections(), VALUES)),
        "level": draw(mostly("high", st.sampled_from(["low", "critical", "huge", None]))),
        "tags": draw(
            mostly(["attack.t1078", "attack.defense-evasion"], st.lists(st.text(max_size=6)))
        ),
    }
    for key in draw(st.lists(st.sampled_from(list(doc)), max_size=1)):
        doc.pop(key, None)
    text = yaml.safe_dump(doc, sort_keys=False)
    out: str = draw(
        mostly(
            text,
            st.just(text + "---\naction: global\n"),
            st.integers(0, len(text)).map(lambda n: text[:n]),
        )
    )
    return out


RECORDS = [
    {},
    {"eventName": "x", "a": {"b": [{"c": "1"}, None, 3]}, "requestParameters": {"k": [1, "AQ=="]}},
    {"eventName": ["list"], "userIdentity": "str", "x": 10.5, "eventSource": None},
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_random_documents_load_or_report(text: str) -> None:
    result = load_sigma_text(text, "fuzz.yml")
    for msg in result.errors + result.warnings:
        assert msg.path == "fuzz.yml" and msg.message
    for rule in result.rules:
        for rec in RECORDS:
            assert rule.check(rec) in (True, False)
            rule.output.format(rec)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_random_text_never_crashes(text: str) -> None:
    result = load_sigma_text(text, "t.yml")
    for msg in result.errors:
        assert str(msg).startswith("t.yml: ")


JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8)),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)
KEYS = st.sampled_from(
    ["eventName", "eventSource", "userIdentity", "requestParameters", "responseElements",
     "errorCode", "userAgent", "sourceIPAddress", "eventType", "additionalEventData",
     "verb", "objectRef", "requestObject", "responseStatus", "annotations", "requestURI"]
)  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(KEYS, JSON, max_size=8))
def test_sigmahq_rules_never_raise_on_odd_records(record: dict[str, Any]) -> None:

    rules = _sigmahq_rules()
    if not rules:
        return
    for rule in rules:
        assert rule.check(record) in (True, False)
        rule.output.format(record)


_CACHE: list[Any] = []


def _sigmahq_rules() -> list[Any]:
    from mamori.rules.sigma import load_sigma
    from tests.support import SHARED

    if not _CACHE:
        path = SHARED / "anchors/sigma/rules"
        _CACHE.append(load_sigma([path]).rules if path.is_dir() else [])
    return _CACHE[0]  # type: ignore[no-any-return]
