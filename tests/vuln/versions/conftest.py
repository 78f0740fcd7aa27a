"""Prints how many pairs each oracle confirmed, and the measured compare() rates."""

from __future__ import annotations

import pytest

from tests.vuln.versions.checks import CHECKED, THROUGHPUT


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not CHECKED and not THROUGHPUT:
        return
    terminalreporter.section("version scheme oracles")
    for oracle, count in sorted(CHECKED.items()):
        terminalreporter.write_line(f"{oracle:>28}: {count} pairs agree")
    for name, rate in sorted(THROUGHPUT.items()):
        terminalreporter.write_line(f"{name:>28}: {rate:,.0f} compare() pairs/s")
