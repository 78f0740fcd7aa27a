"""Every output format: registered under its name, deterministic, robust to empty reports."""

from __future__ import annotations

import json
import time
from functools import cache

import pytest

from mamori.model import ScanReport
from mamori.outputs import outputs
from tests.outputs.factory import empty_report, realistic_report, render

FORMATS = ("cyclonedx", "json", "sarif", "spdx", "table")


def test_all_formats_registered_with_metadata() -> None:
    assert set(FORMATS) <= set(outputs.names())
    for name in FORMATS:
        cls = outputs.get(name)
        assert cls.name == name
        assert cls.description


@pytest.mark.parametrize("name", FORMATS)
def test_same_report_renders_byte_identical(name: str) -> None:
    # Two equal reports built separately: nothing may depend on object identity or time.
    first = render(name, realistic_report(120))
    second = render(name, realistic_report(120))
    assert first == second
    assert first.endswith("\n")


@pytest.mark.parametrize("name", ["cyclonedx", "sarif", "spdx"])
def test_unique_ids_follow_the_scan_id(name: str) -> None:
    report = realistic_report(20)
    other = report.model_copy(update={"scan_id": "scan-0002"})
    a, b = render(name, report), render(name, other)
    assert a != b
    ids = {
        "cyclonedx": lambda d: d["serialNumber"],
        "sarif": lambda d: d["runs"][0]["automationDetails"]["guid"],
        "spdx": lambda d: d["documentNamespace"],
    }[name]
    assert ids(json.loads(a)) != ids(json.loads(b))


@pytest.mark.parametrize("name", FORMATS)
def test_empty_report_renders(name: str) -> None:
    text = render(name, empty_report())
    if name != "table":
        json.loads(text)
    else:
        assert "Packages" in text


@cache
def _large() -> ScanReport:
    return realistic_report(5000, every=5)


@pytest.mark.slow
@pytest.mark.parametrize("name", FORMATS)
def test_five_thousand_packages_render_in_seconds(name: str) -> None:
    # A guard against quadratic behaviour (cyclonedx-python-lib's outputter took 20 s).
    report = _large()
    start = time.perf_counter()
    text = render(name, report)
    assert time.perf_counter() - start < 8
    if name != "table":
        assert len(text) > 1_000_000
