"""CycloneDX 1.6: the OWASP library's strict schema validation, and syft reading it back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from mamori.model import AssetKind
from tests.outputs.factory import DEBIAN, realistic_report, render
from tests.outputs.syft import syft_convert


def _doc(count: int = 330) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(render("cyclonedx", realistic_report(count)))
    return doc


def test_valid_cyclonedx_1_6() -> None:
    # 110 packages (10 of each type): the validator is slow (uniqueItems on components).
    text = render("cyclonedx", realistic_report(110))
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    doc = json.loads(text)
    assert doc["bomFormat"] == "CycloneDX" and doc["specVersion"] == "1.6"


def test_validator_catches_a_broken_bom() -> None:
    doc = _doc(22)
    doc["components"][0]["type"] = "spaceship"
    doc["vulnerabilities"][0]["ratings"][0]["severity"] = "apocalyptic"
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(doc)) is not None


def test_metadata_names_tool_and_target() -> None:
    report = realistic_report(22)
    doc = json.loads(render("cyclonedx", report))
    meta = doc["metadata"]
    assert meta["timestamp"] == "2024-05-01T12:00:42Z"
    assert meta["tools"]["components"][0]["name"] == "mamori"
    assert meta["component"]["name"] == report.target.name
    assert meta["component"]["type"] == "container"
    props = {p["name"]: p["value"] for p in meta["component"]["properties"]}
    assert props["mamori:asset-kind"] == AssetKind.IMAGE.value
    assert props["mamori:identity:image_digest"] == report.target.identity.image_digest
    assert doc["serialNumber"].startswith("urn:uuid:")


def test_components_carry_purl_licenses_and_properties() -> None:
    report = realistic_report(330)
    doc = json.loads(render("cyclonedx", report))
    libs = [c for c in doc["components"] if c["type"] == "library"]
    assert sorted(c["purl"] for c in libs) == sorted(p.purl for p in report.sbom.packages)
    by_ref = {c["bom-ref"]: c for c in libs}
    assert len(by_ref) == len(libs)
    pkg = report.sbom.packages[0]  # a deb with a layer and two locations
    comp = next(c for c in libs if c["purl"] == pkg.purl)
    props = {p["name"]: p["value"] for p in comp["properties"]}
    assert props["mamori:location"] == pkg.locations[0].path
    assert props["mamori:layer"] == pkg.layer
    assert props["mamori:location:1"] == pkg.locations[1].path
    assert props["mamori:cataloger"] == pkg.cataloger
    assert props["mamori:source-name"] == pkg.source_name
    ids = {lic["license"].get("id") for lic in comp["licenses"]}
    assert ids == set(pkg.licenses)
    exprs = [c["licenses"] for c in libs if any("expression" in x for x in c.get("licenses", []))]
    assert exprs and all(len(x) == 1 for x in exprs)  # an expression stands alone
    osc = [c for c in doc["components"] if c["type"] == "operating-system"]
    assert [(c["name"], c["version"]) for c in osc] == [("debian", "12")]


def test_vulnerabilities_point_at_their_packages() -> None:
    report = realistic_report(330)
    doc = json.loads(render("cyclonedx", report))
    purl_of = {c["bom-ref"]: c["purl"] for c in doc["components"] if "purl" in c}
    vulns = doc["vulnerabilities"]
    assert len(vulns) == len(report.matches)
    matches = {(m.vulnerability_id, m.purl): m for m in report.matches}
    for v in vulns:
        (affect,) = v["affects"]
        m = matches[(v["id"], purl_of[affect["ref"]])]
        assert affect["versions"] == [{"version": m.package_version, "status": "affected"}]
        for fixed in m.fixed_versions:
            assert fixed in v["recommendation"]
        rated = {(r.get("method"), r.get("score"), r.get("vector")) for r in v["ratings"]}
        for c in m.cvss:
            assert ("CVSSv31", c.base_score, c.vector) in rated
        assert any(
            r["severity"] == {"negligible": "info"}.get(m.severity, m.severity)
            for r in v["ratings"]
        )
        assert v["advisories"][0]["url"].startswith("https://")
        assert sorted(r["id"] for r in v.get("references", [])) == sorted(m.aliases)


@pytest.mark.slow
def test_syft_decodes_the_same_packages_and_distro(tmp_path: Path) -> None:
    report = realistic_report(330)
    path = tmp_path / "bom.cdx.json"
    path.write_text(render("cyclonedx", report))
    decoded = syft_convert(path)
    theirs = sorted((a["name"], a["version"], a["purl"]) for a in decoded["artifacts"])
    assert theirs == sorted((p.name, p.version, p.purl) for p in report.sbom.packages)
    assert (decoded["distro"]["id"], decoded["distro"]["versionID"]) == (
        DEBIAN.id,
        DEBIAN.version_id,
    )
