"""SPDX 2.3: the official JSON schema, license expressions, relationships, syft's reading."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from license_expression import get_spdx_licensing

from tests.outputs.factory import realistic_report, render
from tests.outputs.schemas import spdx_errors
from tests.outputs.syft import syft_convert


def _doc(count: int = 330) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(render("spdx", realistic_report(count)))
    return doc


def test_valid_against_the_official_schema() -> None:
    doc = _doc()
    assert spdx_errors(doc) == []
    assert doc["spdxVersion"] == "SPDX-2.3" and doc["dataLicense"] == "CC0-1.0"
    assert doc["creationInfo"]["created"] == "2024-05-01T12:00:42Z"


def test_schema_check_catches_a_broken_document() -> None:
    doc = _doc(22)
    broken = copy.deepcopy(doc)
    broken["packages"][1]["SPDXID"] = "SPDXRef-has spaces/and#slash"
    del broken["packages"][2]["downloadLocation"]
    broken["relationships"][0]["relationshipType"] = "LIKES"
    assert len(spdx_errors(broken)) == 3


def test_document_describes_a_root_that_contains_everything() -> None:
    report = realistic_report(330)
    doc = json.loads(render("spdx", report))
    ids = [p["SPDXID"] for p in doc["packages"]]
    assert len(set(ids)) == len(ids)
    rels = doc["relationships"]
    (describes,) = [r for r in rels if r["relationshipType"] == "DESCRIBES"]
    root = describes["relatedSpdxElement"]
    contained = {r["relatedSpdxElement"] for r in rels if r["relationshipType"] == "CONTAINS"}
    assert all(r["spdxElementId"] == root for r in rels if r["relationshipType"] == "CONTAINS")
    assert contained == set(ids) - {root}
    purls = [
        ref["referenceLocator"]
        for p in doc["packages"]
        for ref in p.get("externalRefs", [])
        if ref["referenceCategory"] == "PACKAGE-MANAGER" and ref["referenceType"] == "purl"
    ]
    assert sorted(purls) == sorted(p.purl for p in report.sbom.packages)
    (os_pkg,) = [p for p in doc["packages"] if p.get("primaryPackagePurpose") == "OPERATING-SYSTEM"]
    assert (os_pkg["name"], os_pkg["versionInfo"]) == ("debian", "12")
    assert doc["documentNamespace"].startswith("https://")


def test_declared_licenses_are_valid_spdx_expressions() -> None:
    doc = _doc()
    licensing = get_spdx_licensing()
    refs = {e["licenseId"]: e["extractedText"] for e in doc.get("hasExtractedLicensingInfos", [])}
    seen_ref = False
    for pkg in doc["packages"]:
        declared = pkg["licenseDeclared"]
        if declared == "NOASSERTION":
            continue
        for symbol in licensing.license_symbols(declared, unique=True):
            if symbol.key.startswith("LicenseRef-"):
                seen_ref = True
                assert symbol.key in refs
        # Replace LicenseRefs (unknown to the SPDX list) and validate what remains.
        checked = declared
        for ref in refs:
            checked = checked.replace(ref, "MIT")
        assert licensing.validate(checked).errors == [], declared
    assert seen_ref and "public-domain" in refs.values()


@pytest.mark.slow
def test_syft_decodes_the_same_packages(tmp_path: Path) -> None:
    report = realistic_report(330)
    path = tmp_path / "sbom.spdx.json"
    path.write_text(render("spdx", report))
    decoded = syft_convert(path)
    # syft lists the OPERATING-SYSTEM package too (it has no purl): compare the purl ones.
    theirs = sorted((a["name"], a["version"], a["purl"]) for a in decoded["artifacts"] if a["purl"])
    assert theirs == sorted((p.name, p.version, p.purl) for p in report.sbom.packages)
    assert decoded["distro"]["id"] == "debian"
