"""Property tests: reports with arbitrary strings still give schema-valid SARIF, SPDX and
CycloneDX, and the two SBOM formats read back into the same packages."""

from __future__ import annotations

import json

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packageurl import PackageURL

from mamori.model import Location, Package, PackageType, Sbom, Severity, VulnerabilityMatch
from mamori.sources.sbom_file import parse_sbom
from tests.outputs.factory import DEBIAN, render
from tests.outputs.schemas import sarif_errors, spdx_errors
from tests.sources.sbom_docs import report_of

words = st.text(min_size=1, max_size=24)
LICENSES = ("MIT", "gpl-2.0-only", "MIT OR Apache-2.0", "GPL-2+", "public domain", "(((")


@st.composite
def packages(draw: st.DrawFn) -> Package:
    ptype = draw(st.sampled_from(list(PackageType)))
    # A purl name must keep something once surrounding spaces and slashes are stripped.
    name = draw(words.filter(lambda n: n.strip().strip("/").strip()))
    version = draw(st.text(max_size=16))
    purl = PackageURL(type=ptype.value, name=name, version=version or None).to_string()
    paths = draw(st.lists(st.text(min_size=1, max_size=30).map(lambda p: "/" + p), max_size=3))
    layer = draw(st.sampled_from([None, "sha256:" + "a" * 64]))
    return Package(
        name=name,
        version=version,
        type=ptype,
        purl=purl,
        cataloger=draw(words),
        locations=tuple(Location(path=p, layer=layer) for p in paths),
        source_name=draw(st.none() | words),
        source_version=draw(st.none() | words),
        arch=draw(st.none() | words),
        licenses=tuple(draw(st.lists(st.sampled_from(LICENSES) | words, unique=True, max_size=3))),
        metadata=draw(st.dictionaries(words, st.text(max_size=10), max_size=2)),
    )


def _unique(pkgs: list[Package]) -> tuple[Package, ...]:
    return tuple({p.id: p for p in pkgs}.values())


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.lists(packages(), min_size=1, max_size=6), st.sampled_from(list(Severity)))
def test_arbitrary_strings_stay_valid_and_round_trip(
    pkgs: list[Package], severity: Severity
) -> None:
    sbom = Sbom(distro=DEBIAN, packages=_unique(pkgs), layers=("sha256:" + "a" * 64,))
    first = sbom.packages[0]
    match = VulnerabilityMatch(
        package_id=first.id,
        package_name=first.name,
        package_version=first.version,
        package_type=first.type.value,
        purl=first.purl,
        vulnerability_id=f"CVE-2024-{len(first.name)}",
        severity=severity,
        summary=first.name,
        fixed_versions=(first.version + ".1",),
        locations=tuple(loc.path for loc in first.locations),
    )
    report = report_of(sbom, name=first.name).model_copy(update={"matches": (match,)})

    assert sarif_errors(json.loads(render("sarif", report))) == []
    spdx = render("spdx", report)
    assert spdx_errors(json.loads(spdx)) == []
    cdx = render("cyclonedx", report)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(cdx) is None

    for text in (spdx, cdx):
        doc = parse_sbom(text.encode())
        assert doc.sbom.packages == sbom.packages
        assert doc.sbom.distro == DEBIAN
        assert doc.target == first.name
        assert doc.notices == []
