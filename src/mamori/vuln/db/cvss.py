"""CVSS vectors from OSV `severity` entries, scored with the PyPI `cvss` library.

OSV gives vectors, not scores: the base score and its qualitative rating are computed
here. CVSS v2 has no "critical" rating (NVD: low < 4.0 <= medium < 7.0 <= high), v3 and
v4 use the library's own rating. A vector the library rejects is reported, not fatal.
"""

from __future__ import annotations

from collections.abc import Iterable

from cvss import CVSS2, CVSS3, CVSS4
from cvss.exceptions import CVSSError

from mamori.model import CvssScore, Severity


class CvssParseError(ValueError):
    """A severity entry whose vector cannot be scored."""


def score_vector(kind: str, vector: str) -> CvssScore:
    """Score one OSV severity entry: `kind` is CVSS_V2, CVSS_V3 or CVSS_V4."""
    vector = vector.strip()
    try:
        if kind == "CVSS_V3":
            v3 = CVSS3(vector)
            base = float(v3.base_score)
            version = "3.0" if vector.startswith("CVSS:3.0/") else "3.1"
            return CvssScore(
                version=version,
                vector=v3.clean_vector(),
                base_score=base,
                severity=Severity.parse(str(v3.severities()[0])),
            )
        if kind == "CVSS_V4":
            v4 = CVSS4(vector)
            return CvssScore(
                version="4.0",
                vector=v4.clean_vector(),
                base_score=float(v4.base_score),
                severity=Severity.parse(str(v4.severity)),
            )
        if kind == "CVSS_V2":
            v2 = CVSS2(vector.removeprefix("(").removesuffix(")"))
            base = float(v2.base_score)
            return CvssScore(
                version="2.0", vector=v2.clean_vector(), base_score=base, severity=_v2(base)
            )
    except (CVSSError, ValueError, KeyError, IndexError, TypeError, ArithmeticError) as exc:
        raise CvssParseError(f"invalid {kind} vector {vector[:120]!r}: {exc}") from None
    raise CvssParseError(f"not a CVSS severity type: {kind!r}")


def _v2(base: float) -> Severity:
    if base < 4.0:
        return Severity.LOW
    if base < 7.0:
        return Severity.MEDIUM
    return Severity.HIGH


CVSS_TYPES = frozenset({"CVSS_V2", "CVSS_V3", "CVSS_V4"})


def parse_severity(entries: Iterable[tuple[str, str]]) -> tuple[list[CvssScore], list[str]]:
    """Score (type, score) pairs; returns the scores and one warning per rejected vector.

    Non-CVSS types (e.g. "Ubuntu" priorities) are left to the caller and not reported.
    """
    scores: list[CvssScore] = []
    warnings: list[str] = []
    seen: set[str] = set()
    for kind, value in entries:
        if kind not in CVSS_TYPES:
            continue
        try:
            score = score_vector(kind, value)
        except CvssParseError as exc:
            warnings.append(str(exc))
            continue
        if score.vector not in seen:
            seen.add(score.vector)
            scores.append(score)
    return scores, warnings
