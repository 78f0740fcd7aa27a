"""Vulnerability advisories, in the shape of the OSV schema (only what matching needs)."""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import Field

from mamori.model.common import Frozen, Severity


class RangeType(enum.StrEnum):
    ECOSYSTEM = "ECOSYSTEM"
    SEMVER = "SEMVER"
    GIT = "GIT"


class RangeEvent(Frozen):
    """Exactly one of the fields is set, as in OSV."""

    introduced: str | None = None
    fixed: str | None = None
    last_affected: str | None = None
    limit: str | None = None


class VersionRange(Frozen):
    type: RangeType
    events: tuple[RangeEvent, ...]


class Affected(Frozen):
    """One affected package of an advisory. `ecosystem` is the OSV ecosystem string."""

    ecosystem: str  # e.g. "PyPI", "Debian:12", "Alpine:v3.20", "AlmaLinux:9"
    name: str
    ranges: tuple[VersionRange, ...] = ()
    versions: tuple[str, ...] = ()
    purl: str | None = None


class CvssScore(Frozen):
    version: str  # "2.0", "3.0", "3.1", "4.0"
    vector: str
    base_score: float
    severity: Severity


class Advisory(Frozen):
    id: str
    aliases: tuple[str, ...] = ()
    summary: str = ""
    details: str = ""
    published: datetime | None = None
    modified: datetime | None = None
    withdrawn: datetime | None = None
    affected: tuple[Affected, ...] = ()
    cvss: tuple[CvssScore, ...] = ()
    # A severity named by the database itself (e.g. a distro's "important").
    database_severity: Severity | None = None
    references: tuple[str, ...] = ()
    known_exploited: bool = False
    source: str = ""  # which database it came from

    @property
    def severity(self) -> Severity:
        """The highest CVSS rating, else the database's own severity, else UNKNOWN."""
        if self.cvss:
            return max((c.severity for c in self.cvss), key=lambda s: s.rank)
        return self.database_severity or Severity.UNKNOWN

    @property
    def all_ids(self) -> tuple[str, ...]:
        return (self.id, *self.aliases)


class VulnerabilityMatch(Frozen):
    """A package whose installed version lies in an advisory's affected range.

    Several advisories that alias each other (CVE, GHSA, PYSEC, GO...) merge into one match:
    `vulnerability_id` is the preferred id (CVE when there is one), `aliases` the rest.
    """

    package_id: str
    package_name: str
    package_version: str
    package_type: str
    purl: str
    vulnerability_id: str
    aliases: tuple[str, ...] = ()
    advisory_ids: tuple[str, ...] = ()  # the database records merged into this match
    severity: Severity = Severity.UNKNOWN
    cvss: tuple[CvssScore, ...] = ()
    fixed_versions: tuple[str, ...] = ()
    known_exploited: bool = False
    summary: str = ""
    matched_by: str = ""  # e.g. "source-package", "package-name", "purl"
    ecosystem: str = ""
    layer: str | None = None
    locations: tuple[str, ...] = Field(default_factory=tuple)
