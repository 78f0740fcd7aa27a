"""OpenVEX: documents modelled on the spec's examples, and how statements suppress."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mamori.model import Asset, AssetKind, Identity, VulnerabilityMatch
from mamori.vuln.suppress import (
    SuppressionError,
    SuppressionKind,
    VexStatus,
    apply_vex,
    load_vex,
    parse_vex,
    target_identifiers,
)

FIXTURES = Path(__file__).parent / "fixtures" / "openvex"
DIGEST = "sha256:" + "5e" * 32


def vmatch(purl: str, vuln: str, *, aliases: tuple[str, ...] = ()) -> VulnerabilityMatch:
    name, _, version = purl.split("?")[0].rsplit("/", 1)[-1].partition("@")
    return VulnerabilityMatch(
        package_id=purl[-16:],
        package_name=name,
        package_version=version,
        package_type=purl[4:].split("/", 1)[0],
        purl=purl,
        vulnerability_id=vuln,
        aliases=aliases,
    )


def shop_api(
    image: str = "registry.example.com/shop/api:1.4.2", digest: str | None = DIGEST
) -> Asset:
    return Asset(
        kind=AssetKind.IMAGE, name=image, identity=Identity(image=image, image_digest=digest)
    )


def test_documents_parse() -> None:
    spring = load_vex(FIXTURES / "spring-boot.openvex.json")
    assert spring.version == 1 and spring.author.startswith("Spring Builds")
    # Nanosecond timestamps (as vexctl writes them) keep their instant, to the microsecond.
    assert spring.timestamp == datetime(2023, 1, 17, 1, 7, 16, 853479, tzinfo=UTC)
    (statement,) = spring.statements
    assert statement.status is VexStatus.NOT_AFFECTED
    assert statement.vulnerability.aliases == ("GHSA-jfh8-c2jp-5v3q",)
    assert statement.products[0].hashes["sha-256"].startswith("e3b0c442")
    legacy = load_vex(FIXTURES / "legacy-v001.openvex.json")
    assert legacy.statements[0].vulnerability.name == "CVE-2023-12345"
    assert [p.id for p in legacy.statements[0].products] == [
        "pkg:apk/wolfi/git@2.39.0-r1?arch=armv7",
        "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64",
    ]


def test_spring_boot_not_affected_by_log4shell() -> None:
    doc = load_vex(FIXTURES / "spring-boot.openvex.json")
    boot = vmatch("pkg:maven/org.springframework.boot/spring-boot@2.6.0-M3", "CVE-2021-44228")
    by_alias = vmatch(
        "pkg:maven/org.springframework.boot/spring-boot@2.6.0-M3",
        "GHSA-jfh8-c2jp-5v3q",
    )
    other_version = vmatch("pkg:maven/org.springframework.boot/spring-boot@2.6.1", "CVE-2021-44228")
    log4j = vmatch("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "CVE-2021-44228")
    other_cve = vmatch("pkg:maven/org.springframework.boot/spring-boot@2.6.0-M3", "CVE-2022-22965")
    kept, suppressed, notices = apply_vex([boot, by_alias, other_version, log4j, other_cve], [doc])
    assert [s.match for s in suppressed] == [boot, by_alias]
    assert kept == [other_version, log4j, other_cve] and notices == []
    first = suppressed[0]
    assert first.kind is SuppressionKind.VEX and first.vex_status == "not_affected"
    assert first.justification == "vulnerable_code_not_in_execute_path"
    assert first.reason.startswith(
        "VEX not_affected (vulnerable_code_not_in_execute_path): Spring Boot users are only"
    )
    assert first.reason.endswith("(by Spring Builds <spring-builds@users.noreply.github.com>)")
    assert first.source == f"{doc.id}#statements[0]"


def test_timeline_latest_statement_wins_and_qualifiers() -> None:
    doc = load_vex(FIXTURES / "wolfi-git.openvex.json")
    armv7 = vmatch("pkg:apk/wolfi/git@2.39.0-r1?arch=armv7&distro=wolfi-20230201", "CVE-2023-12345")
    x86 = vmatch("pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64", "CVE-2023-12345")
    older = vmatch("pkg:apk/wolfi/git@2.38.1-r0?arch=armv7", "CVE-2023-12345")
    kept, suppressed, _ = apply_vex([armv7, x86, older], [doc])
    assert [s.match for s in suppressed] == [armv7]  # "fixed" (doc time) beats the earlier one
    assert suppressed[0].vex_status == "fixed"
    assert kept == [x86, older]

    # Swap the statements in the file: the timestamps, not the order, decide.
    raw = json.loads((FIXTURES / "wolfi-git.openvex.json").read_text())
    raw["statements"].reverse()
    assert apply_vex([armv7], [parse_vex(json.dumps(raw))])[1][0].vex_status == "fixed"
    # A later under_investigation statement takes the suppression back.
    raw["statements"][1]["timestamp"] = "2023-01-10T00:00:00Z"
    kept, suppressed, _ = apply_vex([armv7], [parse_vex(json.dumps(raw))])
    assert kept == [armv7] and suppressed == []


def test_image_product_with_subcomponents() -> None:
    doc = load_vex(FIXTURES / "image-subcomponents.openvex.json")
    curl = vmatch("pkg:deb/debian/curl@7.88.1-10?arch=amd64&distro=debian-12", "CVE-2023-38545")
    libcurl = vmatch("pkg:deb/debian/libcurl4@7.88.1-10?arch=amd64", "CVE-2023-38545")
    curl_arm = vmatch("pkg:deb/debian/curl@7.88.1-10?arch=arm64", "CVE-2023-38545")
    stdlib = vmatch("pkg:golang/stdlib@1.21.6", "CVE-2024-24790")
    zlib = vmatch("pkg:deb/debian/zlib1g@1.2.13", "CVE-2023-45853")
    openssl = vmatch("pkg:deb/debian/openssl@3.0.11-1", "CVE-2024-2511")
    everything = [curl, libcurl, curl_arm, stdlib, zlib, openssl]

    kept, suppressed, notices = apply_vex(everything, [doc], target=shop_api())
    assert {s.match.purl for s in suppressed} == {curl.purl, libcurl.purl, stdlib.purl, zlib.purl}
    # A statement's own @id locates it; otherwise the document and the statement index.
    sources = {s.match.purl: s.source for s in suppressed}
    assert sources[curl.purl] == "https://openvex.dev/docs/public/shop-api-1.4.2#curl"
    assert sources[zlib.purl] == "https://openvex.dev/docs/public/shop-api-1.4.2#statements[3]"
    assert kept == [curl_arm, openssl]
    # The not_affected statement with no justification is invalid: skipped, with a warning.
    (notice,) = notices
    assert "statements[4]" in notice.message and "justification" in notice.message

    # The statement on the digest only covers that digest; the others cover the repository.
    other_build = shop_api(digest="sha256:" + "77" * 32)
    _, suppressed, _ = apply_vex(everything, [doc], target=other_build)
    assert {s.match.purl for s in suppressed} == {stdlib.purl, zlib.purl}
    # Another image, or no target at all: statements about the image do not apply.
    for target in (shop_api("registry.example.com/shop/web:1.0"), None):
        kept, suppressed, _ = apply_vex(everything, [doc], target=target)
        assert suppressed == [] and kept == everything
    # The caller can name the product itself.
    _, suppressed, _ = apply_vex(
        [stdlib], [doc], products=["pkg:oci/api?repository_url=registry.example.com/shop/api"]
    )
    assert [s.match for s in suppressed] == [stdlib]


def test_target_identifiers() -> None:
    ids = target_identifiers(shop_api())
    assert ids[0] == "registry.example.com/shop/api:1.4.2"
    assert (
        "pkg:oci/api@sha256%3A"
        + "5e" * 32
        + "?repository_url=registry.example.com/shop/api&tag=1.4.2"
    ) in ids
    assert DIGEST in ids
    hub = target_identifiers(shop_api("debian:12", digest=None))
    assert "pkg:oci/debian?repository_url=docker.io/library/debian&tag=12" in hub
    assert "pkg:oci/app?repository_url=docker.io/acme/app" in target_identifiers(
        shop_api("acme/app", digest=None)
    )


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda d: d.update({"@context": "https://example.com/ns"}), "@context: not an OpenVEX"),
        (
            lambda d: d["statements"][0].update(status="maybe"),
            "statements[0].status: Input should be",
        ),
        (
            lambda d: d["statements"][0].update(justification="trust_me"),
            "statements[0].justification",
        ),
        (
            lambda d: d["statements"][0]["vulnerability"].pop("name"),
            "statements[0].vulnerability.name",
        ),
        (lambda d: d.update(timestamp="yesterday"), "timestamp: expected an RFC 3339"),
        (lambda d: d.pop("author"), "author: Field required"),
        (lambda d: d.update(statements={"a": 1}), "statements: Input should be a valid"),
    ],
)
def test_invalid_documents_name_the_field(mutate: object, fragment: str) -> None:
    raw = json.loads((FIXTURES / "spring-boot.openvex.json").read_text())
    mutate(raw)  # type: ignore[operator]
    with pytest.raises(SuppressionError) as info:
        parse_vex(json.dumps(raw), "doc.json")
    assert any(fragment in p for p in info.value.problems), info.value.problems


def test_unreadable_documents(tmp_path: Path) -> None:
    with pytest.raises(SuppressionError, match=r"doc.json:3: invalid JSON"):
        parse_vex('{\n  "@context": "https://openvex.dev/ns",\n  oops\n}', "doc.json")
    with pytest.raises(SuppressionError, match="expected a JSON object"):
        parse_vex("[1, 2]", "doc.json")
    with pytest.raises(SuppressionError, match="too deep"):
        parse_vex("[" * 100_000 + "]" * 100_000, "doc.json")
    with pytest.raises(SuppressionError, match="cannot read"):
        load_vex(tmp_path / "missing.json")
