"""The ignore file: validation with file:line errors, and applying rules to matches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mamori.model import NoticeLevel, VulnerabilityMatch
from mamori.vuln.suppress import (
    IgnoreRule,
    SuppressionError,
    SuppressionKind,
    apply_ignores,
    load_ignore_file,
    parse_ignore_file,
)

FIXTURE = Path(__file__).parent / "fixtures" / "ignore" / "mamori-ignore.yaml"
NOW = datetime(2025, 5, 1, tzinfo=UTC)


def vmatch(
    purl: str,
    vuln: str,
    *,
    aliases: tuple[str, ...] = (),
    locations: tuple[str, ...] = ("/var/lib/dpkg/status",),
) -> VulnerabilityMatch:
    name, _, version = purl.split("?")[0].rsplit("/", 1)[-1].partition("@")
    ptype = purl[4:].split("/", 1)[0]
    return VulnerabilityMatch(
        package_id=purl[-16:],
        package_name=name,
        package_version=version,
        package_type=ptype,
        purl=purl,
        vulnerability_id=vuln,
        aliases=aliases,
        locations=locations,
    )


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing `needle` (independent of the parser)."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_fixture_loads_with_origins_and_aliases() -> None:
    text = FIXTURE.read_text()
    loaded = load_ignore_file(FIXTURE)
    ids = [r.id for r in loaded.rules]
    assert ids == ["CVE-2023-44487", "GHSA-2gwj-7jmv-h26r", "CVE-2022-40897", "CVE-2023-29383"]
    for rule in loaded.rules:
        assert rule.origin == f"{FIXTURE}:{line_of(text, f'- id: {rule.id}')}"
    first, django, setuptools, shadow = loaded.rules
    assert (
        first.reason
        == "HTTP/2 is terminated at the load balancer; the service only speaks HTTP/1.1."
    )
    assert first.expires == datetime(2099, 1, 1, tzinfo=UTC)
    assert django.reason.startswith("Django admin is not deployed")  # Trivy's `statement`
    assert (django.package_name, django.package_version, django.package_type) == (
        "django",
        "3.2.0",
        "pypi",
    )
    assert setuptools.expires == datetime(2024, 6, 30, 10, 0, tzinfo=UTC)  # Trivy's expired_at
    assert shadow.paths == ("/var/lib/dpkg/status",)


def test_fixture_applied_to_matches() -> None:
    rules = load_ignore_file(FIXTURE).rules
    x_net = vmatch("pkg:golang/golang.org/x/net@v0.7.0", "CVE-2023-44487")
    django = vmatch("pkg:pypi/django@3.2.0", "CVE-2023-31047", aliases=("GHSA-2gwj-7jmv-h26r",))
    django_new = vmatch("pkg:pypi/django@4.2.1", "CVE-2023-31047", aliases=("GHSA-2gwj-7jmv-h26r",))
    setuptools = vmatch(
        "pkg:pypi/setuptools@65.5.0",
        "CVE-2022-40897",
        locations=("/usr/local/lib/python3.11/site-packages/setuptools-65.5.0.dist-info/METADATA",),
    )
    shadow = vmatch("pkg:deb/debian/passwd@4.13?arch=amd64", "CVE-2023-29383")
    shadow_elsewhere = vmatch(
        "pkg:deb/debian/passwd@4.13", "CVE-2023-29383", locations=("/opt/status",)
    )
    kept, ignored, notices = apply_ignores(
        [x_net, django, django_new, setuptools, shadow, shadow_elsewhere], rules, NOW
    )
    assert kept == [django_new, setuptools, shadow_elsewhere]
    assert [s.match for s in ignored] == [x_net, django, shadow]
    assert all(s.kind is SuppressionKind.IGNORE for s in ignored)
    assert ignored[0].source.endswith(f":{line_of(FIXTURE.read_text(), '- id: CVE-2023-44487')}")
    # The expired setuptools rule is named in a warning and suppresses nothing.
    (notice,) = notices
    assert notice.level is NoticeLevel.WARNING
    assert "CVE-2022-40897" in notice.message and "expired" in notice.message
    assert notice.path == rules[2].origin


def rule(**fields: object) -> IgnoreRule:
    return IgnoreRule(**{"id": "CVE-2024-1", "reason": "r", "origin": "f:1", **fields})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pattern", "purl", "hit"),
    [
        ("pkg:deb/debian/curl", "pkg:deb/debian/curl@7.88.1-10?arch=amd64&distro=debian-12", True),
        ("pkg:deb/debian/curl@7.88.1-10", "pkg:deb/debian/curl@7.88.1-10?arch=amd64", True),
        ("pkg:deb/debian/curl@7.88.1-9", "pkg:deb/debian/curl@7.88.1-10?arch=amd64", False),
        ("pkg:deb/debian/curl?arch=arm64", "pkg:deb/debian/curl@7.88.1-10?arch=amd64", False),
        ("pkg:deb/debian/curl?arch=amd64", "pkg:deb/debian/curl@7.88.1-10?arch=amd64", True),
        ("pkg:deb/ubuntu/curl", "pkg:deb/debian/curl@7.88.1-10", False),
        ("pkg:rpm/debian/curl", "pkg:deb/debian/curl@7.88.1-10", False),
        ("pkg:pypi/Jinja2", "pkg:pypi/jinja2@2.10", True),
        ("pkg:pypi/ruamel_yaml", "pkg:pypi/ruamel.yaml@0.17", True),
        ("pkg:npm/%40babel/traverse@7.23.0", "pkg:npm/%40babel/traverse@7.23.0", True),
        ("pkg:npm/traverse", "pkg:npm/%40babel/traverse@7.23.0", False),
        ("pkg:deb/debian/libc6@2.36-9%2Bdeb12u4", "pkg:deb/debian/libc6@2.36-9+deb12u4", True),
    ],
)
def test_purl_selectors(pattern: str, purl: str, hit: bool) -> None:
    match = vmatch(purl, "CVE-2024-1")
    kept, ignored, _ = apply_ignores([match], [rule(purls=(pattern,))], NOW)
    assert bool(ignored) is hit and bool(kept) is not hit


@pytest.mark.parametrize(
    ("glob", "path", "hit"),
    [
        ("usr/lib/**", "/usr/lib/python3/dist-packages/x.py", True),
        ("/usr/lib/*", "/usr/lib/python3/dist-packages/x.py", False),
        ("usr/lib/*/dist-packages/*.py", "/usr/lib/python3/dist-packages/x.py", True),
        ("**/node_modules/lodash/package.json", "/app/node_modules/lodash/package.json", True),
        ("**/node_modules/lodash/package.json", "/node_modules/lodash/package.json", True),
        ("app/?.jar", "/app/a.jar", True),
        ("app/?.jar", "/app/ab.jar", False),
        ("app/a+b[1].jar", "/app/a+b[1].jar", True),  # regex characters are literal
    ],
)
def test_path_globs(glob: str, path: str, hit: bool) -> None:
    match = vmatch("pkg:generic/x@1", "CVE-2024-1", locations=("/elsewhere", path))
    _, ignored, _ = apply_ignores([match], [rule(paths=(glob,))], NOW)
    assert bool(ignored) is hit


def test_ids_aliases_and_case() -> None:
    match = vmatch("pkg:pypi/x@1", "CVE-2024-9", aliases=("PYSEC-2024-77",))
    match = match.model_copy(update={"advisory_ids": ("GHSA-xxxx-yyyy-zzzz",)})
    for rule_id, hit in [
        ("cve-2024-9", True),
        ("PYSEC-2024-77", True),
        ("ghsa-xxxx-yyyy-zzzz", True),
        ("CVE-2024-90", False),
    ]:
        _, ignored, _ = apply_ignores([match], [rule(id=rule_id)], NOW)
        assert bool(ignored) is hit, rule_id


def test_package_selector_needs_every_field() -> None:
    match = vmatch("pkg:pypi/pyyaml@5.3", "CVE-2020-14343")
    cases = [
        ({"package_name": "PyYAML"}, True),  # PEP 503 names
        ({"package_name": "pyyaml", "package_version": "5.3", "package_type": "pypi"}, True),
        ({"package_name": "pyyaml", "package_version": "5.4"}, False),
        ({"package_name": "pyyaml", "package_type": "npm"}, False),
    ]
    for fields, hit in cases:
        _, ignored, _ = apply_ignores([match], [rule(id="CVE-2020-14343", **fields)], NOW)
        assert bool(ignored) is hit, fields


def test_expiry_boundary_and_first_rule_wins() -> None:
    match = vmatch("pkg:pypi/x@1", "CVE-2024-1")
    at = NOW
    expired = rule(reason="old", expires=at, origin="f:1")
    live = rule(reason="current", expires=at + timedelta(microseconds=1), origin="f:5")
    also = rule(reason="second", origin="f:9")
    _, ignored, notices = apply_ignores([match], [expired, live, also], at)
    assert [s.reason for s in ignored] == ["current"]
    assert len(notices) == 1 and "f:1" in notices[0].message
    _, ignored, notices = apply_ignores([match], [expired, live, also], at + timedelta(seconds=1))
    assert [s.reason for s in ignored] == ["second"] and len(notices) == 2


def problems(text: str) -> list[str]:
    with pytest.raises(SuppressionError) as info:
        parse_ignore_file(text, "ignore.yaml")
    return info.value.problems


def test_errors_name_file_line_and_field() -> None:
    text = (
        "vulnerabilities:\n"
        "  - id: CVE-2024-1\n"
        "    reason: fine\n"
        "  - id: CVE-2024-2\n"
        "    purls: [pkg:deb/debian/curl]\n"
        "  - id: CVE-2024-3\n"
        "    reason: ok\n"
        "    reasn: typo\n"
        "    expires: next tuesday\n"
        "    purls: ['not-a-purl']\n"
        "    package: {name: x, type: cobol}\n"
    )
    found = problems(text)
    assert "ignore.yaml:4: vulnerabilities[1].reason: Field required" in found
    assert any(p.startswith("ignore.yaml:8: vulnerabilities[2].reasn: Extra inputs") for p in found)
    assert any(p.startswith("ignore.yaml:9: vulnerabilities[2].expires:") for p in found)
    assert any(
        p.startswith("ignore.yaml:10: vulnerabilities[2].purls:") and "not-a-purl" in p
        for p in found
    )
    assert any(p.startswith("ignore.yaml:11: vulnerabilities[2].package.type:") for p in found)
    assert len(found) == 5


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("vulnerabilities:\n  - id: [unclosed\n", "ignore.yaml:3: invalid YAML"),
        ("- just\n- a list\n", "expected a mapping"),
        (
            "vulnerabilities:\n  - id: CVE-1\n    reason: ''\n",
            "reason: String should have at least 1",
        ),
        (
            "vulnerabilities:\n  - id: CVE-1\n    reason: x\n    expires: 2024-13-45\n",
            "invalid YAML value",
        ),
        ("vulnerabilities: {id: CVE-1}\n", "vulnerabilities: Input should be a valid"),
        ("vulnerabilities:\n  - !!python/object:os.system {}\n", "invalid YAML"),
        ("a: &a [1, 2]\nb: *a\nc: [*a, *a]\nvulnerabilities: []\n", "a: Extra inputs"),
    ],
)
def test_malformed_files_give_clear_errors(text: str, fragment: str) -> None:
    assert any(fragment in p for p in problems(text)), problems(text)


def test_yaml_bomb_is_refused_quickly() -> None:
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 10)]
    found = problems("\n".join(lines) + "\n")
    assert any("expands to more than" in p for p in found)


def test_empty_file_and_trivy_sections(tmp_path: Path) -> None:
    assert parse_ignore_file("").rules == ()
    assert parse_ignore_file("# nothing yet\n").rules == ()
    loaded = parse_ignore_file("misconfigurations:\n  - id: AVD-AWS-0086\nvulnerabilities: []\n")
    assert loaded.unsupported == ("misconfigurations",)
    (notice,) = loaded.notices()
    assert "misconfigurations" in notice.message and notice.level is NoticeLevel.WARNING
    binary = tmp_path / "ignore.yaml"
    binary.write_bytes(b"vulnerabilities:\n  - id: \xff\xfe\n")
    with pytest.raises(SuppressionError, match="not UTF-8"):
        load_ignore_file(binary)
    with pytest.raises(SuppressionError, match="cannot read"):
        load_ignore_file(tmp_path / "absent.yaml")
