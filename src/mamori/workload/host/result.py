"""What a host check returns: a verdict, a one-sentence reason and where it was seen."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class HostVerdict(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"  # the thing judged is absent (no sshd, no cron...)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One fact behind a verdict: an in-root file and line, or a live source and value."""

    source: str  # "/etc/ssh/sshd_config", "/proc/sys/net/ipv4/ip_forward", "default"
    value: str = ""
    line: int = 0  # 0: not about a line (a stat, a live value, a default)

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.value}" if self.value else where


@dataclass(frozen=True, slots=True)
class HostResult:
    verdict: HostVerdict
    reason: str
    evidence: tuple[Evidence, ...] = ()


def passed(reason: str, *evidence: Evidence) -> HostResult:
    return HostResult(HostVerdict.PASS, reason, evidence)


def failed(reason: str, *evidence: Evidence) -> HostResult:
    return HostResult(HostVerdict.FAIL, reason, evidence)


def not_applicable(reason: str, *evidence: Evidence) -> HostResult:
    return HostResult(HostVerdict.NOT_APPLICABLE, reason, evidence)
