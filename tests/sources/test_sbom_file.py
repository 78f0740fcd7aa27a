"""read_sbom: round trips through mamori's own CycloneDX and SPDX, hand-written documents
of other producers, format detection and refusal of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mamori.model import Distro, PackageType
from mamori.sbom.build import build_sbom
from mamori.sources.directory import DirectoryTree
from mamori.sources.sbom_file import SbomFormatError, parse_sbom, read_sbom
from tests.outputs.factory import DEBIAN, realistic_sbom
from tests.sources.sbom_docs import sbom_bytes
from tests.targets import bookworm_rootfs


def _key(sbom_packages: tuple) -> list[tuple[str, str, str, str]]:  # type: ignore[type-arg]
    return sorted((p.name, p.version, p.type.value, p.purl) for p in sbom_packages)


@pytest.mark.parametrize("fmt", ["cyclonedx", "spdx"])
def test_round_trip_keeps_every_package_exactly(fmt: str, tmp_path: Path) -> None:
    sbom = realistic_sbom(440)
    path = tmp_path / f"sbom.{fmt}.json"
    path.write_bytes(sbom_bytes(fmt, sbom, name="registry.example/app:1.0"))
    doc = read_sbom(path)
    assert doc.notices == []
    assert doc.target == "registry.example/app:1.0"
    assert _key(doc.sbom.packages) == _key(sbom.packages)
    assert {t for t in PackageType} == {p.type for p in doc.sbom.packages}
    assert doc.sbom.distro == DEBIAN
    # mamori's own properties/annotations restore everything, in order.
    assert doc.sbom.packages == sbom.packages
    assert doc.sbom.layers == sbom.layers


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["cyclonedx", "spdx"])
def test_round_trip_of_a_real_catalogued_rootfs(fmt: str) -> None:
    sbom, _ = build_sbom(DirectoryTree(bookworm_rootfs()))
    assert len(sbom.packages) > 50
    doc = parse_sbom(sbom_bytes(fmt, sbom))
    assert doc.sbom.packages == sbom.packages
    assert doc.sbom.distro == sbom.distro


def test_target_falls_back_to_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "plain.cdx.json"
    path.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.4", "components": []}))
    assert read_sbom(path).target == "plain.cdx.json"


def test_cyclonedx_1_2_from_another_producer() -> None:
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.2",
        "metadata": {"component": {"type": "application", "name": "shop", "version": "2.0"}},
        "components": [
            {
                "type": "library",
                "group": "@babel",
                "name": "core",
                "version": "7.1.0",
                "purl": "pkg:npm/%40babel/core@7.1.0",
                "licenses": [{"license": {"id": "MIT"}}],
                "components": [
                    {"type": "library", "name": "inner", "purl": "pkg:pypi/inner@1.0"},
                    {"type": "library", "name": "no-purl", "version": "1"},
                ],
            },
            {"type": "library", "name": "commons", "purl": "pkg:maven/org.apache/commons@1.2"},
            {
                "type": "library",
                "name": "openssl",
                "version": "1:3.0.7-27.el9",
                "purl": "pkg:rpm/almalinux/openssl@3.0.7-27.el9?arch=x86_64&epoch=1"
                "&upstream=openssl-3.0.7-27.el9.src.rpm&distro=almalinux-9.3",
            },
            {
                "type": "library",
                "purl": "pkg:deb/debian/bsdutils@1:2.38.1-5?upstream=util-linux%402.38.1-5",
            },
            {
                "type": "library",
                "name": "busybox-binsh",
                "purl": "pkg:apk/alpine/busybox-binsh@1.36.1-r5?upstream=busybox",
            },
            {"type": "file", "name": "/etc/passwd"},
            {"type": "library", "name": "bad", "purl": "not a purl"},
        ],
    }
    got = parse_sbom(json.dumps(doc).encode())
    assert got.target == "shop"
    by_name = {p.name: p for p in got.sbom.packages}
    assert set(by_name) == {
        "@babel/core",
        "inner",
        "commons",
        "openssl",
        "bsdutils",
        "busybox-binsh",
    }
    assert by_name["@babel/core"].licenses == ("MIT",)
    assert by_name["inner"].version == "1.0" and by_name["inner"].type is PackageType.PYPI
    rpm = by_name["openssl"]
    assert (rpm.source_name, rpm.source_version, rpm.arch) == (
        "openssl",
        "1:3.0.7-27.el9",
        "x86_64",
    )
    deb = by_name["bsdutils"]
    assert (deb.version, deb.source_name, deb.source_version) == (
        "1:2.38.1-5",
        "util-linux",
        "2.38.1-5",
    )
    apk = by_name["busybox-binsh"]
    assert (apk.source_name, apk.source_version) == ("busybox", "1.36.1-r5")
    assert by_name["commons"].source_name is None
    assert got.sbom.distro == Distro(id="almalinux", version_id="9.3")
    text = " ".join(n.message for n in got.notices)
    assert "skipped 1 components without a purl (no-purl)" in text
    assert "skipped 1 components with an unparsable purl (not a purl)" in text


def test_spdx_2_2_from_another_producer() -> None:
    doc = {
        "spdxVersion": "SPDX-2.2",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "doc",
        "documentDescribes": ["SPDXRef-root"],
        "hasExtractedLicensingInfos": [{"licenseId": "LicenseRef-GPL", "extractedText": "GPL"}],
        "packages": [
            {"SPDXID": "SPDXRef-root", "name": "/srv/app"},
            {
                "SPDXID": "SPDXRef-a",
                "name": "requests",
                "versionInfo": "2.19.0",
                "licenseConcluded": "NOASSERTION",
                "licenseDeclared": "Apache-2.0",
                "externalRefs": [
                    {
                        "referenceCategory": "SECURITY",
                        "referenceType": "cpe23Type",
                        "referenceLocator": "x",
                    },
                    {
                        "referenceCategory": "PACKAGE_MANAGER",
                        "referenceType": "purl",
                        "referenceLocator": "pkg:pypi/requests@2.19.0",
                    },
                ],
            },
            {
                "SPDXID": "SPDXRef-b",
                "name": "libc6",
                "licenseDeclared": "LicenseRef-GPL",
                "externalRefs": [
                    {
                        "referenceCategory": "PACKAGE-MANAGER",
                        "referenceType": "purl",
                        "referenceLocator": "pkg:deb/ubuntu/libc6@2.35-0ubuntu3"
                        "?distro=ubuntu-22.04",
                    }
                ],
            },
            {"SPDXID": "SPDXRef-c", "name": "mystery"},
        ],
    }
    got = parse_sbom(json.dumps(doc).encode())
    assert got.target == "/srv/app"
    by_name = {p.name: p for p in got.sbom.packages}
    assert set(by_name) == {"requests", "libc6"}
    assert by_name["requests"].licenses == ("Apache-2.0",)
    assert by_name["libc6"].version == "2.35-0ubuntu3"  # from the purl: no versionInfo
    assert by_name["libc6"].licenses == ("GPL",)
    assert by_name["libc6"].source_name == "libc6"
    assert got.sbom.distro == Distro(id="ubuntu", version_id="22.04")
    assert any("skipped 1 packages without a purl (mystery)" in n.message for n in got.notices)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "invalid JSON"),
        (b"{not json", "invalid JSON"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b'<?xml version="1.0"?><bom/>', "XML"),
        (b"SPDXVersion: SPDX-2.3\n", "tag-value"),
        (b"[]", "not a CycloneDX or SPDX"),
        (b'{"bomFormat": "SomethingElse"}', "not a CycloneDX or SPDX"),
        (b"[" * 200_000 + b"]" * 200_000, "nested too deeply"),
        (b'{"bomFormat": "CycloneDX", "version": ' + b"9" * 10_000 + b"}", "invalid JSON"),
    ],
)
def test_bad_input_raises_a_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(SbomFormatError, match=message):
        parse_sbom(data)


def test_refuses_files_over_the_cap_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b" " * 2048 + b'{"bomFormat": "CycloneDX"}')
    with pytest.raises(SbomFormatError, match="over the 1024-byte limit"):
        read_sbom(path, max_bytes=1024)
    assert read_sbom(path, max_bytes=4096).sbom.packages == ()


@pytest.mark.parametrize("path", ["/dev/zero", "/", "/nonexistent/sbom.json"])
def test_refuses_what_is_not_a_regular_file(path: str) -> None:
    with pytest.raises(SbomFormatError):
        read_sbom(path)


def test_wrong_types_everywhere_are_skipped_not_fatal() -> None:
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": 1.5,
        "metadata": "nope",
        "components": [
            "string",
            7,
            None,
            {"type": ["library"], "name": {"x": 1}, "purl": 5},
            {"type": "library", "name": "ok", "purl": "pkg:gem/ok@1.0", "properties": "x",
             "licenses": [{"license": "MIT"}, 3, {"expression": 9}], "components": {"a": 1}},
            {"type": "library", "purl": "pkg:cargo/serde@1.0", "properties": [
                {"name": "syft:location:0:path", "value": 3}, {"name": 4}, "x",
                {"name": "syft:location:x:path", "value": "/y"},
                {"name": "syft:location:1:path", "value": "/Cargo.lock"}]},
        ],
    }  # fmt: skip
    got = parse_sbom(json.dumps(doc).encode())
    assert [(p.name, p.version) for p in got.sbom.packages] == [("ok", "1.0"), ("serde", "1.0")]
    assert [loc.path for loc in got.sbom.packages[1].locations] == ["/Cargo.lock"]
    assert any("specVersion" in n.message for n in got.notices)


def test_deep_component_nesting_is_capped_with_a_notice() -> None:
    inner: dict[str, object] = {"type": "library", "name": "leaf", "purl": "pkg:npm/leaf@1.0"}
    for i in range(200):
        inner = {
            "type": "library",
            "name": f"n{i}",
            "purl": f"pkg:npm/n{i}@1.0",
            "components": [inner],
        }
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [inner]}
    got = parse_sbom(json.dumps(doc).encode())
    assert len(got.sbom.packages) == 65  # depths 0..64
    assert any("nested deeper than 64" in n.message for n in got.notices)


def test_many_skipped_entries_make_one_notice() -> None:
    comps = [{"type": "library", "name": f"p{i}"} for i in range(10_000)]
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": comps}
    got = parse_sbom(json.dumps(doc).encode())
    assert len(got.notices) == 1
    assert got.notices[0].message.startswith(
        "skipped 10000 components without a purl (p0, p1, p2, ...)"
    )


@pytest.mark.parametrize("fmt", ["cyclonedx", "spdx"])
def test_package_count_is_capped(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(f"mamori.sources.sbom_{fmt}.MAX_PACKAGES", 25)
    got = parse_sbom(sbom_bytes(fmt, realistic_sbom(60)))
    assert len(got.sbom.packages) == 25
    assert any("stopped reading after 25 packages" in n.message for n in got.notices)


def test_source_packages_from_syft_properties_when_the_purl_has_none() -> None:
    def comp(purl: str, **props: str) -> dict[str, object]:
        return {
            "type": "library",
            "purl": purl,
            "properties": [{"name": f"syft:metadata:{k}", "value": v} for k, v in props.items()],
        }

    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "components": [
            comp(
                "pkg:deb/debian/bsdutils@1:2.38.1-5", source="util-linux", sourceVersion="2.38.1-5"
            ),
            comp("pkg:deb/debian/gcc-12-base@12.2.0-14", source="gcc-12"),
            comp(
                "pkg:rpm/cbl-mariner/audit-libs@3.0.6-1.cm2", sourceRpm="audit-3.0.6-1.cm2.src.rpm"
            ),
            comp("pkg:apk/alpine/ssl_client@1.36.1-r29", originPackage="busybox"),
        ],
    }
    got = {
        p.name: (p.source_name, p.source_version)
        for p in parse_sbom(json.dumps(doc).encode()).sbom.packages
    }
    assert got == {
        "bsdutils": ("util-linux", "2.38.1-5"),
        "gcc-12-base": ("gcc-12", "12.2.0-14"),
        "audit-libs": ("audit", "3.0.6-1.cm2"),
        "ssl_client": ("busybox", "1.36.1-r29"),
    }
