"""The ignore file: reasoned, optionally expiring exceptions, validated on load.

Modelled on Trivy's `.trivyignore.yaml` (whose `statement` and `expired_at` keys are
accepted as aliases) and Grype's ignore rules (the `package` selector):

    vulnerabilities:
      - id: CVE-2023-44487              # vulnerability id or any alias (GHSA-..., PYSEC-...)
        reason: HTTP/2 is disabled on every listener; see RISK-112   # required
        expires: 2025-06-30             # date or date-time (UTC if no zone); optional
        purls: ["pkg:golang/golang.org/x/net"]    # optional; no version = any version
        package: {name: net, version: v0.7.0, type: golang}   # optional
        paths: ["usr/local/bin/**"]     # optional globs on the package's locations

All selectors given must match (any purl, any path). A date expires at its start, UTC:
`expires: 2025-06-30` stops applying on 30 June, as in Trivy.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator

from mamori.model import Frozen, Notice, NoticeLevel, PackageType
from mamori.vuln.suppress._files import read_text
from mamori.vuln.suppress._yaml import YamlError, line_of, load_with_lines
from mamori.vuln.suppress.purl import parse_purl
from mamori.vuln.suppress.result import SuppressionError, describe_loc

# Sections of a Trivy ignore file that mamori reads but does not apply yet.
_OTHER_SECTIONS = ("misconfigurations", "secrets", "licenses")


def to_utc(value: Any) -> datetime:
    """A date (its start, UTC) or date-time (UTC when naive) from YAML or text."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                "expected a date (YYYY-MM-DD) or a date-time (YYYY-MM-DDTHH:MM:SSZ)"
            ) from None
    else:
        raise ValueError("expected a date (YYYY-MM-DD) or a date-time")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class PackageSpec(_Spec):
    name: str | None = Field(default=None, min_length=1)
    version: str | None = Field(default=None, min_length=1)
    type: PackageType | None = None


class IgnoreRuleSpec(_Spec):
    """One entry of `vulnerabilities:` as written in the file."""

    id: str = Field(min_length=1, max_length=256)
    reason: str = Field(
        min_length=1, max_length=4096, validation_alias=AliasChoices("reason", "statement")
    )
    expires: datetime | None = Field(
        default=None, validation_alias=AliasChoices("expires", "expired_at")
    )
    purls: tuple[str, ...] = ()
    package: PackageSpec | None = None
    paths: tuple[str, ...] = ()

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("expires", mode="before")
    @classmethod
    def _expiry(cls, value: Any) -> datetime | None:
        return None if value is None else to_utc(value)

    @field_validator("purls")
    @classmethod
    def _purls(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for purl in value:
            if parse_purl(purl.strip()) is None:
                raise ValueError(f"not a package URL: {purl!r} (expected pkg:type/name@version)")
        return tuple(p.strip() for p in value)

    @field_validator("paths")
    @classmethod
    def _paths(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not p.strip() for p in value):
            raise ValueError("a path glob is empty")
        return tuple(p.strip() for p in value)


class IgnoreFileSpec(_Spec):
    vulnerabilities: tuple[IgnoreRuleSpec, ...] = ()
    misconfigurations: Any = None
    secrets: Any = None
    licenses: Any = None


class IgnoreRule(Frozen):
    """A loaded rule: the entry plus where it was written (`origin`, as file:line)."""

    id: str
    reason: str
    origin: str
    expires: datetime | None = None
    purls: tuple[str, ...] = ()
    package_name: str | None = None
    package_version: str | None = None
    package_type: str | None = None
    paths: tuple[str, ...] = ()


class IgnoreFile(Frozen):
    source: str
    rules: tuple[IgnoreRule, ...] = ()
    # Sections present but not applied yet (Trivy's misconfigurations, secrets, licenses).
    unsupported: tuple[str, ...] = ()

    def notices(self) -> list[Notice]:
        """What the user should hear about the file itself (sections mamori skips)."""
        return [
            Notice(
                level=NoticeLevel.WARNING,
                source="vuln.suppress.ignore",
                message=f"{self.source}: the '{section}' section is not applied yet",
                path=self.source,
            )
            for section in self.unsupported
        ]


def parse_ignore_file(text: str, source: str = "<ignore file>") -> IgnoreFile:
    """Read ignore rules from YAML text; raises SuppressionError naming each bad line/field."""
    try:
        data, lines = load_with_lines(text)
    except YamlError as exc:
        where = f"{source}:{exc.line}" if exc.line else source
        raise SuppressionError(source, [f"{where}: {exc}"]) from None
    if data is None:
        return IgnoreFile(source=source)
    if not isinstance(data, dict):
        raise SuppressionError(source, [f"{source}:1: expected a mapping with 'vulnerabilities:'"])
    try:
        spec = IgnoreFileSpec.model_validate(data)
    except ValidationError as exc:
        located = []
        for error in exc.errors(include_url=False):
            loc = tuple(error["loc"])
            line = line_of(lines, loc)
            where = f"{source}:{line}" if line else source
            message = error["msg"].removeprefix("Value error, ")
            located.append((line or 0, f"{where}: {describe_loc(loc)}: {message}"))
        raise SuppressionError(source, [text for _, text in sorted(located)]) from None
    rules = []
    for index, entry in enumerate(spec.vulnerabilities):
        line = line_of(lines, ("vulnerabilities", index))
        package = entry.package or PackageSpec()
        rules.append(
            IgnoreRule(
                id=entry.id,
                reason=re.sub(r"\s+", " ", entry.reason),
                origin=f"{source}:{line}" if line else source,
                expires=entry.expires,
                purls=entry.purls,
                package_name=package.name,
                package_version=package.version,
                package_type=str(package.type) if package.type else None,
                paths=entry.paths,
            )
        )
    unsupported = tuple(s for s in _OTHER_SECTIONS if getattr(spec, s) is not None)
    return IgnoreFile(source=source, rules=tuple(rules), unsupported=unsupported)


def load_ignore_file(path: Path) -> IgnoreFile:
    """Read an ignore file from disk; every failure is a SuppressionError, never a crash."""
    return parse_ignore_file(read_text(path), str(path))
