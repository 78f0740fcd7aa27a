"""One OSV record (already decoded from JSON or YAML) -> the typed `Advisory`.

Validation is strict where a wrong value would give a wrong match (ranges, events,
versions) and lenient elsewhere: a record that breaks a matching rule is rejected whole
with a reason, an unscorable CVSS vector only costs that score. Affected entries without
a package (GIT-only records such as the PSF's CPython advisories) are kept out of the
index: there is nothing to look them up by.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from mamori.model import Advisory, Affected, RangeEvent, RangeType, Severity, VersionRange
from mamori.vuln.db.cvss import parse_severity
from mamori.vuln.db.names import ecosystem_base, normalize_name, source_of

MAX_ID = 256
MAX_TEXT = 64 * 1024
EPOCH = "0001-01-01T00:00:00.000000+00:00"
_EVENT_KEYS = ("introduced", "fixed", "last_affected", "limit")
# Red Hat-style advisory summaries start with the rating: "Important: pcs security update".
_RATED_SUMMARY = re.compile(r"^(Critical|Important|Moderate|Low):\s")


class RecordError(ValueError):
    """The record cannot be used; the message says why."""


@dataclass
class ParsedRecord:
    advisory: Advisory
    modified: str  # normalised ISO-8601 UTC, comparable as text
    related: tuple[str, ...]
    index: set[tuple[str, str, str]]  # (ecosystem base, normalised name, ecosystem)
    warnings: list[str] = field(default_factory=list)


def record_key(raw: object) -> tuple[str, str]:
    """The (id, normalised modified) of a raw record, cheaply, for the upsert check."""
    if not isinstance(raw, dict):
        raise RecordError(f"not an OSV record (a {type(raw).__name__}, not an object)")
    ident = raw.get("id")
    if not isinstance(ident, str) or not ident.strip() or len(ident) > MAX_ID:
        raise RecordError("missing or invalid 'id'")
    return ident.strip(), _timestamp(raw.get("modified"), "modified") or EPOCH


def parse_record(raw: object, source: str | None = None) -> ParsedRecord:
    """Build the advisory; raises RecordError for a record that must be skipped."""
    ident, modified = record_key(raw)
    assert isinstance(raw, dict)
    warnings: list[str] = []
    affected = _affected(raw.get("affected"), warnings)
    severity_pairs = _severity_pairs(raw.get("severity"), "severity")
    for entry in _list(raw.get("affected"), "affected"):
        if isinstance(entry, dict):
            severity_pairs += _severity_pairs(entry.get("severity"), "affected[].severity")
    cvss, cvss_warnings = parse_severity(severity_pairs)
    warnings += cvss_warnings
    summary = _text(raw.get("summary"), "summary")
    withdrawn = _timestamp(raw.get("withdrawn"), "withdrawn")
    try:
        advisory = Advisory(
            id=ident,
            aliases=_ids(raw.get("aliases"), "aliases", ident),
            summary=summary,
            details=_text(raw.get("details"), "details"),
            published=_datetime(_timestamp(raw.get("published"), "published")),
            modified=_datetime(modified),
            withdrawn=_datetime(withdrawn),
            affected=tuple(affected),
            cvss=tuple(cvss),
            database_severity=_database_severity(raw, severity_pairs, summary),
            references=_references(raw.get("references")),
            source=source or source_of(ident),
        )
    except ValidationError as exc:
        raise RecordError(f"invalid record: {exc.errors()[0].get('msg', exc)}") from None
    related = _ids(raw.get("related"), "related", ident) + _ids(
        raw.get("upstream"), "upstream", ident
    )
    index = set() if withdrawn else index_keys(advisory)
    return ParsedRecord(advisory, modified, related, index, warnings)


def index_keys(advisory: Advisory) -> set[tuple[str, str, str]]:
    """The index rows of an advisory: (ecosystem base, normalised name, ecosystem)."""
    return {
        (ecosystem_base(a.ecosystem), normalize_name(a.ecosystem, a.name), a.ecosystem)
        for a in advisory.affected
    }


def _list(value: object, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError(f"'{what}' is not a list")
    return value


def _text(value: object, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RecordError(f"'{what}' is not a string")
    return value[:MAX_TEXT]


def _ids(value: object, what: str, own: str) -> tuple[str, ...]:
    out: list[str] = []
    for item in _list(value, what):
        if not isinstance(item, str) or not item.strip() or len(item) > MAX_ID:
            raise RecordError(f"'{what}' holds a non-id {str(item)[:60]!r}")
        if item.strip() != own and item.strip() not in out:
            out.append(item.strip())
    return tuple(out)


def _timestamp(value: object, what: str) -> str | None:
    """RFC 3339 -> normalised UTC ISO text (text order == time order)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("z", "Z"))
        except ValueError:
            raise RecordError(f"'{what}' is not an RFC 3339 time: {value[:40]!r}") from None
    else:
        raise RecordError(f"'{what}' is not a time")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC).isoformat(timespec="microseconds")
    except OverflowError:
        raise RecordError(f"'{what}' is out of range") from None


def _datetime(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _severity_pairs(value: object, what: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for entry in _list(value, what):
        if isinstance(entry, dict):
            kind, score = entry.get("type"), entry.get("score")
            if isinstance(kind, str) and isinstance(score, str):
                pairs.append((kind, score))
    return pairs


def _database_severity(
    raw: dict[str, Any], pairs: list[tuple[str, str]], summary: str
) -> Severity | None:
    """The database's own rating: database_specific.severity, an "Ubuntu" priority, or
    the rating a Red Hat-style summary starts with."""
    candidates: list[str] = []
    specific = raw.get("database_specific")
    if isinstance(specific, dict) and isinstance(specific.get("severity"), str):
        candidates.append(specific["severity"])
    candidates += [score for kind, score in pairs if kind == "Ubuntu"]
    if rated := _RATED_SUMMARY.match(summary):
        candidates.append(rated.group(1))
    for value in candidates:
        severity = Severity.parse(value)
        if severity is not Severity.UNKNOWN:
            return severity
    return None


def _references(value: object) -> tuple[str, ...]:
    urls: list[str] = []
    for entry in _list(value, "references"):
        if isinstance(entry, dict) and isinstance(entry.get("url"), str):
            urls.append(entry["url"][:2048])
    return tuple(urls)


def _affected(value: object, warnings: list[str]) -> list[Affected]:
    out: list[Affected] = []
    for entry in _list(value, "affected"):
        if not isinstance(entry, dict):
            raise RecordError("an 'affected' entry is not an object")
        package = entry.get("package")
        if package is None:
            continue  # GIT-only entry: nothing to look up by name
        if not isinstance(package, dict):
            raise RecordError("'affected[].package' is not an object")
        ecosystem, name = package.get("ecosystem"), package.get("name")
        if not isinstance(ecosystem, str) or not ecosystem.strip():
            raise RecordError("'affected[].package.ecosystem' is missing")
        if not isinstance(name, str) or not name.strip():
            raise RecordError("'affected[].package.name' is missing")
        ecosystem, name = ecosystem.strip(), name.strip()
        purl = package.get("purl")
        versions = _list(entry.get("versions"), "affected[].versions")
        if not all(isinstance(v, str) for v in versions):
            raise RecordError(f"'versions' of {name} holds a non-string")
        ranges = tuple(_range(r, name) for r in _list(entry.get("ranges"), "ranges"))
        if not ranges and not versions:
            warnings.append(f"{ecosystem}/{name}: no ranges and no versions (affects nothing)")
        out.append(
            Affected(
                ecosystem=ecosystem,
                name=name,
                ranges=ranges,
                versions=tuple(versions),
                purl=purl if isinstance(purl, str) else None,
            )
        )
    return out


def _range(value: object, name: str) -> VersionRange:
    if not isinstance(value, dict):
        raise RecordError(f"a range of {name} is not an object")
    kind = value.get("type")
    try:
        range_type = RangeType(str(kind))
    except ValueError:
        raise RecordError(f"a range of {name} has unknown type {str(kind)[:30]!r}") from None
    events: list[RangeEvent] = []
    for event in _list(value.get("events"), "events"):
        if not isinstance(event, dict):
            raise RecordError(f"an event of {name} is not an object")
        keys = [k for k in _EVENT_KEYS if k in event]
        if len(keys) != 1:
            raise RecordError(f"an event of {name} must have exactly one of {_EVENT_KEYS}")
        version = event[keys[0]]
        if not isinstance(version, str) or not version.strip():
            raise RecordError(f"an event of {name} has a non-string version")
        events.append(RangeEvent(**{keys[0]: version.strip()}))
    if range_type is not RangeType.GIT and not any(e.introduced is not None for e in events):
        raise RecordError(f"a {range_type} range of {name} has no 'introduced' event")
    return VersionRange(type=range_type, events=tuple(events))
