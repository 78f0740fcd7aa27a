"""Applying OpenVEX statements to vulnerability matches.

Which statements speak about a match:
- the vulnerability's name, @id or an alias is one of the match's ids;
- a product without subcomponents names the package itself (purl match) or the scanned
  target (an image's `pkg:oci/...` purl, its reference or digest): then it speaks about
  every package of the target;
- a product with subcomponents names the scanned target, or any identifier passed in
  `products` (for example the purl of the application being scanned), and one of its
  subcomponents names the package.

VEX is a timeline: of the statements that speak about a match, the latest (statement
timestamp, else the document's; ties go to the later one read) decides. `not_affected`
and `fixed` suppress the match, `affected` and `under_investigation` keep it. A
`not_affected` statement without justification or impact statement is invalid per the
spec and is skipped with a warning.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from mamori.model import Asset, Notice, NoticeLevel, VulnerabilityMatch
from mamori.vuln.suppress.ignore import match_ids
from mamori.vuln.suppress.openvex import VexComponent, VexDocument, VexStatement, VexStatus
from mamori.vuln.suppress.purl import parse_purl, purl_matches
from mamori.vuln.suppress.result import Suppressed, SuppressionKind

_SOURCE = "vuln.suppress.vex"
_SUPPRESSING = (VexStatus.NOT_AFFECTED, VexStatus.FIXED)


def target_identifiers(asset: Asset) -> tuple[str, ...]:
    """What a VEX product may call the scanned target: for an image, its `pkg:oci` purls
    (with and without digest), its reference and digest; for anything, its name."""
    found = [asset.name]
    image = asset.identity.image
    digest = asset.identity.image_digest
    if image:
        found.append(image)
        reference, _, at_digest = image.partition("@")
        digest = digest or at_digest or None
        repository, tag = reference, ""
        if ":" in reference.rsplit("/", 1)[-1]:
            repository, tag = reference.rsplit(":", 1)
        first = repository.split("/", 1)[0]
        if "/" not in repository or not ("." in first or ":" in first or first == "localhost"):
            # Docker Hub short names: "debian" is docker.io/library/debian
            library = "" if "/" in repository else "library/"
            repository = f"docker.io/{library}{repository}"
        name = repository.rsplit("/", 1)[-1].lower()
        qualifiers = f"repository_url={repository.lower()}" + (f"&tag={tag}" if tag else "")
        version = f"@{digest.replace(':', '%3A')}" if digest else ""
        found.append(f"pkg:oci/{name}{version}?{qualifiers}")
    if digest:
        found.append(digest)
    return tuple(dict.fromkeys(found))


def _names_match(pattern: str, candidates: Sequence[str]) -> bool:
    """A VEX identifier against identifiers of the thing scanned: purls by purl rules,
    other strings (image references, digests, CPEs) by equality."""
    if parse_purl(pattern) is not None:
        return any(purl_matches(pattern, c) for c in candidates)
    folded = pattern.casefold()
    return any(c.casefold() == folded for c in candidates)


def _component_matches(component: VexComponent, candidates: Sequence[str]) -> bool:
    return any(_names_match(name, candidates) for name in component.names)


def statement_applies(
    statement: VexStatement, match: VulnerabilityMatch, targets: Sequence[str]
) -> bool:
    if not statement.vulnerability.ids & match_ids(match):
        return False
    for product in statement.products:
        if product.subcomponents:
            if _component_matches(product, targets) and any(
                _component_matches(sub, (match.purl,)) for sub in product.subcomponents
            ):
                return True
        elif _component_matches(product, (match.purl, *targets)):
            return True
    return False


@dataclass(frozen=True)
class _Entry:
    when: datetime
    order: int
    document: VexDocument
    statement: VexStatement
    source: str


def _reason(statement: VexStatement, document: VexDocument) -> str:
    head = f"VEX {statement.status}"
    if statement.justification:
        head += f" ({statement.justification})"
    texts = (statement.impact_statement, statement.status_notes)
    details = " ".join(t.strip() for t in texts if t and t.strip())
    return (
        f"{head}: {details} (by {document.author})" if details else f"{head} (by {document.author})"
    )


def _entries(documents: Iterable[VexDocument]) -> tuple[list[_Entry], list[Notice]]:
    entries: list[_Entry] = []
    notices: list[Notice] = []
    for document in documents:
        for index, statement in enumerate(document.statements):
            source = statement.id or f"{document.id}#statements[{index}]"
            problem = None
            if not statement.products:
                problem = "names no product"
            elif statement.status is VexStatus.NOT_AFFECTED and not (
                statement.justification or statement.impact_statement
            ):
                problem = "is not_affected without a justification or impact_statement"
            if problem:
                notices.append(
                    Notice(
                        level=NoticeLevel.WARNING,
                        source=_SOURCE,
                        message=f"VEX statement {source} ({statement.vulnerability.name}) "
                        f"{problem}: skipped",
                    )
                )
                continue
            when = statement.timestamp or document.timestamp
            entries.append(_Entry(when, len(entries), document, statement, source))
    return entries, notices


def apply_vex(
    matches: Iterable[VulnerabilityMatch],
    documents: Iterable[VexDocument],
    *,
    target: Asset | None = None,
    products: Iterable[str] = (),
) -> tuple[list[VulnerabilityMatch], list[Suppressed], list[Notice]]:
    """(kept, suppressed, notices) after the VEX statements that speak about each match."""
    entries, notices = _entries(documents)
    targets = (*(target_identifiers(target) if target else ()), *products)
    by_vulnerability: dict[str, list[_Entry]] = {}
    for entry in entries:
        for vid in entry.statement.vulnerability.ids:
            by_vulnerability.setdefault(vid, []).append(entry)
    kept: list[VulnerabilityMatch] = []
    suppressed: list[Suppressed] = []
    for match in matches:
        candidates = {e.order: e for vid in match_ids(match) for e in by_vulnerability.get(vid, ())}
        speaking = [
            e for e in candidates.values() if statement_applies(e.statement, match, targets)
        ]
        if not speaking:
            kept.append(match)
            continue
        last = max(speaking, key=lambda e: (e.when, e.order))
        if last.statement.status not in _SUPPRESSING:
            kept.append(match)
            continue
        suppressed.append(
            Suppressed(
                match=match,
                kind=SuppressionKind.VEX,
                reason=_reason(last.statement, last.document),
                source=last.source,
                vex_status=str(last.statement.status),
                justification=str(last.statement.justification)
                if last.statement.justification
                else None,
            )
        )
    return kept, suppressed, notices
