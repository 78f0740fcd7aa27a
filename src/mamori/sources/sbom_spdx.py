"""SPDX JSON (2.2 and 2.3) to a mamori Sbom.

A package becomes a Package when it has a purl (an external reference of category
PACKAGE-MANAGER and type purl); the package the document DESCRIBES is the target, the
OPERATING-SYSTEM package the distro. mamori's own annotations (`mamori:package <json>`,
see `mamori.outputs.spdx`) restore locations, layers and source packages exactly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mamori.model import Distro, PackageType, Sbom
from mamori.sources._sbom_common import (
    ENTRY_ERRORS,
    MAX_PACKAGES,
    UNREADABLE,
    Draft,
    Notes,
    build_package,
    distro_from_qualifier,
    items,
    mapping,
    parse_purl,
    text,
)

SUPPORTED = ("SPDX-2.2", "SPDX-2.3")
NO_LICENSE = frozenset({"", "NOASSERTION", "NONE"})
_TYPES = {t.value: t for t in PackageType}
_PACKAGE_MANAGER = frozenset({"PACKAGE-MANAGER", "PACKAGE_MANAGER"})


def purl_of(package: Mapping[str, Any]) -> str:
    for ref in items(package.get("externalRefs")):
        ref = mapping(ref)
        if (
            text(ref.get("referenceCategory")) in _PACKAGE_MANAGER
            and text(ref.get("referenceType")).lower() == "purl"
        ):
            return text(ref.get("referenceLocator")).strip()
    return ""


def annotation(package: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    """The JSON object of a `mamori:<kind> {...}` annotation, or {}."""
    prefix = f"mamori:{kind} "
    for note in items(package.get("annotations")):
        comment = text(mapping(note).get("comment"), 1 << 20)
        if comment.startswith(prefix):
            try:
                value = json.loads(comment[len(prefix) :])
            except (ValueError, RecursionError):
                return {}
            return mapping(value)
    return {}


def _strs(value: object) -> list[str]:
    return [v for v in items(value) if isinstance(v, str)]


def _own_facts(d: Draft, facts: Mapping[str, Any]) -> None:
    d.own = True
    d.cataloger = text(facts.get("cataloger")) or d.cataloger
    d.ptype = _TYPES.get(text(facts.get("type")))
    d.locations = []
    for loc in items(facts.get("locations")):
        pair = items(loc)
        if len(pair) == 2 and isinstance(pair[0], str) and pair[0]:
            d.locations.append((pair[0], pair[1] if isinstance(pair[1], str) else None))
    d.licenses = _strs(facts.get("licenses"))
    for attr in ("source_name", "source_version", "arch"):
        value = facts.get(attr)
        setattr(d, attr, value if isinstance(value, str) else None)
    meta = mapping(facts.get("metadata"))
    d.metadata = {k: v for k, v in meta.items() if isinstance(k, str) and isinstance(v, str)}


def _licenses(package: Mapping[str, Any], extracted: Mapping[str, str]) -> list[str]:
    for key in ("licenseDeclared", "licenseConcluded"):
        value = text(package.get(key)).strip()
        if value not in NO_LICENSE:
            return [extracted.get(value, value)]
    return []


def draft(package: Mapping[str, Any], extracted: Mapping[str, str]) -> Draft:
    d = Draft(
        name=text(package.get("name")),
        version=text(package.get("versionInfo")),
        purl=purl_of(package),
        cataloger="sbom-spdx",
        licenses=_licenses(package, extracted),
    )
    facts = annotation(package, "package")
    if facts:
        _own_facts(d, facts)
    return d


def distro(package: Mapping[str, Any]) -> Distro | None:
    facts = annotation(package, "distro")
    name = text(package.get("name"), 64)
    if not facts and not name:
        return None

    def pick(key: str, default: str = "") -> str:
        return text(facts.get(key), 256) or default

    return Distro(
        id=pick("id", name).lower(),
        version_id=pick("version_id", text(package.get("versionInfo"), 64)),
        version_codename=pick("version_codename"),
        name=pick("name"),
        pretty_name=pick("pretty_name", text(package.get("description"), 256)),
        id_like=tuple(_strs(facts.get("id_like"))),
    )


def _described(doc: Mapping[str, Any]) -> list[str]:
    ids = _strs(doc.get("documentDescribes"))
    doc_id = text(doc.get("SPDXID")) or "SPDXRef-DOCUMENT"
    for rel in items(doc.get("relationships")):
        rel = mapping(rel)
        kind = text(rel.get("relationshipType"))
        if kind == "DESCRIBES" and text(rel.get("spdxElementId")) == doc_id:
            ids.append(text(rel.get("relatedSpdxElement")))
        elif kind == "DESCRIBED_BY" and text(rel.get("relatedSpdxElement")) == doc_id:
            ids.append(text(rel.get("spdxElementId")))
    return ids


def read_spdx(doc: Mapping[str, Any], notes: Notes) -> tuple[Sbom, str]:
    """The Sbom and the target's name (the described package) of an SPDX document."""
    version = text(doc.get("spdxVersion"), 16)
    if version not in SUPPORTED:
        notes.warn(f"SPDX version {version or 'missing'} is not 2.2 or 2.3: read as 2.3")
    extracted = {
        text(mapping(e).get("licenseId")): text(mapping(e).get("extractedText"))
        for e in items(doc.get("hasExtractedLicensingInfos"))
    }
    described = set(_described(doc))
    target = ""
    declared_layers: list[str] = []
    packages = []
    found_distro: Distro | None = None
    for package in items(doc.get("packages")):
        if not isinstance(package, dict):
            notes.skip("packages that are not objects", type(package).__name__)
            continue
        try:
            spdx_id = text(package.get("SPDXID"))
            purpose = text(package.get("primaryPackagePurpose"))
            if purpose == "OPERATING-SYSTEM":
                found_distro = found_distro or distro(package)
                continue
            d = draft(package, extracted)
            if spdx_id in described and not d.purl:
                target = target or d.name
                declared_layers += [
                    v
                    for v in items(annotation(package, "target").get("layers"))
                    if isinstance(v, str)
                ]
                continue  # the document's subject, not a package
            if not d.purl and not d.own:
                notes.skip("packages without a purl", d.name or spdx_id)
                continue
            pkg = build_package(d, notes)
        except ENTRY_ERRORS as exc:
            notes.skip(UNREADABLE, repr(exc))
            continue
        if pkg is not None:
            packages.append(pkg)
            if len(packages) >= MAX_PACKAGES:
                notes.warn(f"stopped reading after {MAX_PACKAGES} packages")
                break
    if found_distro is None:
        found_distro = next(
            (q for p in packages if (q := distro_from_qualifier(parse_purl(p.purl)))), None
        )
    layers = declared_layers + [loc.layer for p in packages for loc in p.locations if loc.layer]
    sbom = Sbom(distro=found_distro, packages=tuple(packages), layers=tuple(dict.fromkeys(layers)))
    return sbom, target or text(doc.get("name"))
