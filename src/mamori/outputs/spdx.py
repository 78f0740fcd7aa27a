"""SPDX 2.3 JSON, written by hand.

Why not the `spdx-tools` library: it brings rdflib, ply, xmltodict, beartype and more,
and its object model plus validation take seconds for a few thousand packages, while the
JSON shape mamori needs is small and fixed. Tests validate the output against the
official SPDX 2.3 JSON schema instead.

The document DESCRIBES a root package for the target, which CONTAINS the distro (an
OPERATING-SYSTEM package) and every package, each with its purl as a PACKAGE-MANAGER
external reference. mamori's own facts (locations, layers, source package, licenses as
found) ride in one annotation per package whose comment is `mamori:package <json>`, so
`mamori.sources.sbom_spdx` can read them back exactly.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, ClassVar, TextIO

from mamori.model import AssetKind, Distro, Package, ScanReport
from mamori.outputs import outputs
from mamori.outputs._common import (
    TOOL_NAME,
    iso_seconds,
    license_kind,
    stable_uuid,
    tool_version,
)

NOASSERTION = "NOASSERTION"
ANNOTATION_PREFIX = "mamori:"
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")
PURPOSES = {
    AssetKind.IMAGE: "CONTAINER",
    AssetKind.CONTAINER: "CONTAINER",
    AssetKind.FILESYSTEM: "FILE",
    AssetKind.SNAPSHOT: "FILE",
}


def spdx_id_part(value: str, limit: int = 80) -> str:
    """Characters an SPDXID may hold ([A-Za-z0-9.-]), the rest folded to '-'."""
    return _ID_UNSAFE.sub("-", value).strip("-")[:limit] or "x"


class _Licenses:
    """Turns license strings into SPDX expressions, collecting LicenseRefs for the rest."""

    def __init__(self) -> None:
        self.extracted: dict[str, str] = {}  # LicenseRef id -> original text

    def term(self, value: str) -> str:
        kind, value = license_kind(value)
        if kind == "id":
            return value
        if kind == "expression":
            return f"({value})"
        ref = f"LicenseRef-{spdx_id_part(value, 60)}"
        if ref[len("LicenseRef-") :] != value:
            ref += "-" + hashlib.sha256(value.encode()).hexdigest()[:8]
        self.extracted[ref] = value
        return ref

    def declared(self, values: tuple[str, ...]) -> str:
        terms = list(dict.fromkeys(self.term(v) for v in values if v.strip()))
        if not terms:
            return NOASSERTION
        if len(terms) == 1:
            return (
                terms[0].removeprefix("(").removesuffix(")")
                if terms[0].startswith("(")
                else terms[0]
            )
        return " AND ".join(terms)


class _Writer:
    def __init__(self, report: ScanReport) -> None:
        self.report = report
        self.created = iso_seconds(report.finished_at)
        self.annotator = f"Tool: {TOOL_NAME}-{tool_version(report)}"
        self.licenses = _Licenses()
        self.ids: set[str] = set()

    def unique_id(self, wanted: str) -> str:
        spdx_id, n = wanted, 1
        while spdx_id in self.ids:
            n += 1
            spdx_id = f"{wanted}-{n}"
        self.ids.add(spdx_id)
        return spdx_id

    def annotation(self, kind: str, data: dict[str, Any]) -> dict[str, str]:
        comment = f"{ANNOTATION_PREFIX}{kind} " + json.dumps(
            data, ensure_ascii=False, sort_keys=True
        )
        return {
            "annotationDate": self.created,
            "annotationType": "OTHER",
            "annotator": self.annotator,
            "comment": comment,
        }

    def base(self, spdx_id: str, name: str) -> dict[str, Any]:
        return {
            "name": name,
            "SPDXID": spdx_id,
            "supplier": NOASSERTION,
            "downloadLocation": NOASSERTION,
            "filesAnalyzed": False,
            "licenseConcluded": NOASSERTION,
            "licenseDeclared": NOASSERTION,
            "copyrightText": NOASSERTION,
        }

    def root(self) -> dict[str, Any]:
        target = self.report.target
        kind = target.kind.value
        doc = self.base(
            self.unique_id(
                f"SPDXRef-DocumentRoot-{spdx_id_part(kind)}-{spdx_id_part(target.name)}"
            ),
            target.name,
        )
        doc["primaryPackagePurpose"] = PURPOSES.get(target.kind, "OTHER")
        facts = {
            "kind": kind,
            "identity": target.identity.model_dump(exclude_none=True),
            "attributes": target.attributes,
            "layers": list(self.report.sbom.layers),
        }
        doc["annotations"] = [self.annotation("target", facts)]
        return doc

    def distro(self, distro: Distro) -> dict[str, Any]:
        wanted = (
            f"SPDXRef-OperatingSystem-{spdx_id_part(distro.id)}-{spdx_id_part(distro.version_id)}"
        )
        doc = self.base(self.unique_id(wanted), distro.id)
        if distro.version_id:
            doc["versionInfo"] = distro.version_id
        if distro.pretty_name:
            doc["description"] = distro.pretty_name
        doc["primaryPackagePurpose"] = "OPERATING-SYSTEM"
        doc["annotations"] = [self.annotation("distro", distro.model_dump(mode="json"))]
        return doc

    def package(self, pkg: Package) -> dict[str, Any]:
        wanted = f"SPDXRef-Package-{pkg.type.value}-{spdx_id_part(pkg.name)}-{pkg.id}"
        doc = self.base(self.unique_id(wanted), pkg.name)
        if pkg.version:
            doc["versionInfo"] = pkg.version
        doc["licenseDeclared"] = self.licenses.declared(pkg.licenses)
        paths = ", ".join(loc.path for loc in pkg.locations)
        doc["sourceInfo"] = f"acquired package info from mamori {pkg.cataloger} cataloger" + (
            f": {paths}" if paths else ""
        )
        if pkg.purl and not any(c.isspace() for c in pkg.purl):
            doc["externalRefs"] = [
                {
                    "referenceCategory": "PACKAGE-MANAGER",
                    "referenceType": "purl",
                    "referenceLocator": pkg.purl,
                }
            ]
        doc["primaryPackagePurpose"] = "LIBRARY"
        facts: dict[str, Any] = {
            "type": pkg.type.value,
            "cataloger": pkg.cataloger,
            "locations": [[loc.path, loc.layer] for loc in pkg.locations],
            "licenses": list(pkg.licenses),
            "source_name": pkg.source_name,
            "source_version": pkg.source_version,
            "arch": pkg.arch,
            "metadata": pkg.metadata,
        }
        doc["annotations"] = [self.annotation("package", facts)]
        return doc


def namespace(report: ScanReport) -> str:
    slug = spdx_id_part(report.target.name, 60)
    unique = stable_uuid(report, "spdx")
    return f"https://spdx.org/spdxdocs/{TOOL_NAME}-{report.target.kind.value}-{slug}-{unique}"


def spdx_document(report: ScanReport) -> dict[str, Any]:
    """The SPDX 2.3 document as a JSON-ready dict."""
    writer = _Writer(report)
    root = writer.root()
    packages = [root]
    relationships = [
        {
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relatedSpdxElement": root["SPDXID"],
            "relationshipType": "DESCRIBES",
        }
    ]
    contained: list[dict[str, Any]] = []
    if report.sbom.distro is not None:
        contained.append(writer.distro(report.sbom.distro))
    contained.extend(writer.package(p) for p in report.sbom.packages)
    for doc in contained:
        packages.append(doc)
        relationships.append(
            {
                "spdxElementId": root["SPDXID"],
                "relatedSpdxElement": doc["SPDXID"],
                "relationshipType": "CONTAINS",
            }
        )
    document: dict[str, Any] = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": report.target.name,
        "documentNamespace": namespace(report),
        "creationInfo": {
            "created": writer.created,
            "creators": [f"Tool: {TOOL_NAME}-{tool_version(report)}"],
        },
        "packages": packages,
        "relationships": relationships,
    }
    if writer.licenses.extracted:
        document["hasExtractedLicensingInfos"] = [
            {"licenseId": ref, "extractedText": text, "name": text}
            for ref, text in sorted(writer.licenses.extracted.items())
        ]
    return document


@outputs.register("spdx")
class SpdxOutput:
    name: ClassVar[str] = "spdx"
    description: ClassVar[str] = "SPDX 2.3 JSON SBOM"

    def render(self, report: ScanReport, out: TextIO) -> None:
        json.dump(spdx_document(report), out, indent=2, ensure_ascii=False)
        out.write("\n")
