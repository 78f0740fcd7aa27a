"""What the shared configuration SARIF writer (`mamori.workload.sarif`) guarantees, for
each of the five scans that use it (k8s, IaC, Dockerfile, secrets, host), on small real
inputs: the document validates against the official SARIF 2.1.0 schema; every open or
ignored finding is exactly one result, at its file and line (the line is read back from
the scanned file: it holds what the check is about); passes are never results; ignored
findings carry a suppression with the reason (inSource for `# mamori:ignore`, external
for `.mamori.yaml`); each check is one rule, referenced by index; and the scan's warnings
and errors are the invocation's notifications.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest

from mamori.model import FindingStatus, NoticeLevel, ScanReport
from mamori.workload.dockerfile.sarif import dockerfile_sarif_document
from mamori.workload.dockerfile.scan import DockerfileScanRequest, run_dockerfile_scan
from mamori.workload.host.sarif import sarif_document as host_sarif_document
from mamori.workload.host.scan import HostScanRequest, run_host_scan
from mamori.workload.iac.sarif import iac_sarif_document
from mamori.workload.iac.scan import IacScanRequest, run_iac_scan
from mamori.workload.k8s.sarif import sarif_document as k8s_sarif_document
from mamori.workload.k8s.scan import K8sScanRequest, run_k8s_scan
from mamori.workload.secrets.sarif import secrets_sarif_document
from mamori.workload.secrets.scan import SecretsScanRequest, run_secrets_scan
from tests.outputs.schemas import sarif_errors
from tests.workload.host.pairs import FILES, POLICY, SSHD
from tests.workload.host.roots import build
from tests.workload.secrets.tokens import make_tokens

# The SARIF level of a severity, as the SARIF spec's "error/warning/note" ladder reads.
LEVEL = {"critical": "error", "high": "error", "medium": "warning"}
TOKENS = make_tokens()


@dataclass
class Case:
    report: ScanReport
    doc: dict[str, Any]
    line_has: dict[str, str]  # rule id -> text on the line its results point at
    ignored: dict[str, str]  # rule id -> suppression kind of its ignored finding


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def k8s(tmp: Path) -> Case:
    _write(
        tmp,
        {
            "ds.yaml": "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\n"
            "  namespace: kube-system\nspec:\n  template:\n    spec:\n"
            "      hostNetwork: true  # mamori:ignore k8s_pss_host_namespaces CNI\n"
            "      containers:\n      - name: agent\n        image: cilium:1.15\n"
            "        securityContext:\n          privileged: true\n",
            "pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: debug\nspec:\n"
            "  containers:\n  - name: sh\n    image: busybox:1.36\n"
            "    securityContext:\n      privileged: true\n",
            "broken.yaml": "a: [\n",
            ".mamori.yaml": "exceptions:\n  - check: k8s_container_image_digest\n"
            "    reason: pinned by CD\n",
        },
    )
    report = run_k8s_scan(K8sScanRequest(path=tmp, include_passed=True)).report
    return Case(
        report,
        k8s_sarif_document(report),
        {"k8s_pss_privileged": "privileged: true"},
        {"k8s_pss_host_namespaces": "inSource", "k8s_container_image_digest": "external"},
    )


def iac(tmp: Path) -> Case:
    _write(
        tmp,
        {
            "main.tf": 'resource "aws_ebs_volume" "data" {\n  availability_zone = "eu-west-1a"\n'
            "  size = 10\n  encrypted = false\n}\n\n"
            'resource "aws_ebs_volume" "more" {\n  availability_zone = "eu-west-1b"\n'
            "  size = 20\n}\n\n"
            'resource "aws_ebs_volume" "ok" {\n  availability_zone = "eu-west-1a"\n'
            "  size = 10\n  encrypted = true\n}\n\n"
            'resource "aws_kms_key" "k" {\n'
            "  # mamori:ignore kms_cmk_rotation_enabled rotated by the platform team\n"
            '  description = "k"\n}\n',
            "broken.tf": 'resource "aws_s3_bucket" {\n',
        },
    )
    report = run_iac_scan(IacScanRequest(path=tmp, include_passed=True)).report
    return Case(
        report,
        iac_sarif_document(report),
        {"ec2_ebs_volume_encrypted": 'resource "aws_ebs_volume"'},
        {"kms_cmk_rotation_enabled": "inSource"},
    )


def dockerfile(tmp: Path) -> Case:
    _write(
        tmp,
        {
            "Dockerfile": "FROM python:3.12-slim\n# mamori:ignore dockerfile_no_sudo ops only\n"
            "RUN sudo true\nRUN curl -sSL https://example.com/i.sh | sh\nUSER 10001\n",
            "svc/Dockerfile": "FROM alpine:latest\nRUN sudo apk add curl\n",
            "x/Dockerfile": "RUN broken\n",
            ".mamori.yaml": "exceptions:\n  - check: dockerfile_base_image_digest\n"
            "    reason: tracked by Renovate\n",
        },
    )
    report = run_dockerfile_scan(DockerfileScanRequest(path=tmp, include_passed=True)).report
    return Case(
        report,
        dockerfile_sarif_document(report),
        {"dockerfile_no_curl_pipe_shell": "curl -sSL", "dockerfile_no_sudo": "RUN sudo "},
        {"dockerfile_no_sudo": "inSource", "dockerfile_base_image_digest": "external"},
    )


def secrets(tmp: Path) -> Case:
    ghp, glpat, stripe = (
        TOKENS[k] for k in ("secret_github_token", "secret_gitlab_token", "secret_stripe_live_key")
    )
    _write(
        tmp,
        {
            "a.py": f'# mamori:ignore secret_github_token revoked\nT = "{ghp}"\n'
            f'G = "{glpat}"\nS = "{stripe}"\n',
            "fixtures/b.txt": f"{ghp}\n",
            ".mamori.yaml": "exceptions:\n  - check: secret_github_token\n    reason: test data\n"
            "    path: 'fixtures/**'\nseverity:\n  secret_nope: high\n",
        },
    )
    report = run_secrets_scan(SecretsScanRequest(path=tmp)).report
    return Case(
        report,
        secrets_sarif_document(report),
        {"secret_gitlab_token": glpat, "secret_stripe_live_key": stripe},
        {"secret_github_token": "inSource"},  # and external, for fixtures/b.txt
    )


def host(tmp: Path) -> Case:
    defs = "PASS_MAX_DAYS 99999\nPASS_MIN_DAYS 0\nPASS_WARN_AGE 7\n"
    spec = {**FILES, **POLICY, **SSHD, "/etc/login.defs": defs}
    root = build(tmp / "root", spec, ("openssh-server",))
    with (root / "etc/ssh/sshd_config").open("a") as sshd:  # a loop sshd cuts: a warning
        sshd.write("Include /etc/ssh/sshd_config\n")
    config = _write(
        tmp,
        {
            "c.yaml": "exceptions:\n  - check: login_defs_pass_min_days\n"
            "    reason: passwords are managed by SSO\n    path: etc/login.defs\n"
        },
    )
    request = HostScanRequest(root=root, live=False, config=config / "c.yaml")
    report = run_host_scan(request).report
    return Case(
        report,
        host_sarif_document(report),
        {"login_defs_pass_max_days": "PASS_MAX_DAYS 99999"},
        {"login_defs_pass_min_days": "external"},
    )


SCANS: dict[str, Callable[[Path], Case]] = {
    "k8s": k8s,
    "iac": iac,
    "dockerfile": dockerfile,
    "secrets": secrets,
    "host": host,
}


def _base(run: dict[str, Any]) -> Path:
    uri = run["originalUriBaseIds"]["SRCROOT"]["uri"]
    assert uri.startswith("file:///") and uri.endswith("/")
    return Path(unquote(urlparse(uri).path))


@pytest.mark.parametrize("scan", sorted(SCANS))
def test_shared_writer_properties(scan: str, tmp_path: Path) -> None:
    case = SCANS[scan](tmp_path)
    doc, report = case.doc, case.report
    assert not sarif_errors(doc), sarif_errors(doc)[:5]
    (run,) = doc["runs"]
    assert run["tool"]["driver"]["name"] == "mamori"

    shown = [f for f in report.findings if f.status in (FindingStatus.OPEN, FindingStatus.IGNORED)]
    by_print = {r["partialFingerprints"]["mamori/v1"]: r for r in run["results"]}
    assert len(by_print) == len(run["results"]) == len(shown)  # one result per finding
    assert set(by_print) == {f.fingerprint for f in shown}
    if scan != "secrets":  # the secrets scan has no passing checks to list
        assert any(f.status == FindingStatus.PASS for f in report.findings)

    rules = run["tool"]["driver"]["rules"]
    assert len({r["id"] for r in rules}) == len(rules)  # one rule per check
    if scan != "host":  # (a host check has one result per host)
        assert len(rules) < len(run["results"])  # so some check had several results
    assert [r["id"] for r in rules] == list(dict.fromkeys(r["ruleId"] for r in run["results"]))
    assert {r["id"] for r in rules} == {f.rule_id for f in shown}
    assert all("security" in r["properties"]["tags"] and r["help"]["text"] for r in rules)

    base = _base(run)
    kinds: dict[str, set[str]] = {}
    located_rules: set[str] = set()
    for finding in shown:
        result = by_print[finding.fingerprint]
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == finding.rule_id
        assert result["level"] == LEVEL.get(finding.severity.value, "note")
        (location,) = result["locations"]
        if finding.evidence.get("line"):  # else a host fact: no line, perhaps no file
            where = location["physicalLocation"]
            assert where["artifactLocation"]["uri"] == finding.evidence["file"]
            assert where["region"]["startLine"] == int(finding.evidence["line"])
            lines = (base / finding.evidence["file"]).read_text().splitlines()
            located = lines[int(finding.evidence["line"]) - 1]
            if finding.rule_id in case.line_has:
                assert case.line_has[finding.rule_id] in located, (finding.rule_id, located)
                located_rules.add(finding.rule_id)
        else:
            assert scan == "host" and location["logicalLocations"], location
            uri = location.get("physicalLocation", {}).get("artifactLocation", {}).get("uri")
            assert uri == finding.evidence.get("file"), location
        if finding.status == FindingStatus.IGNORED:
            (suppression,) = result["suppressions"]
            assert suppression["justification"] == finding.reason and finding.reason
            kinds.setdefault(finding.rule_id, set()).add(suppression["kind"])
        else:
            assert "suppressions" not in result
    assert set(case.line_has) <= located_rules
    for rule_id, kind in case.ignored.items():
        assert kind in kinds.get(rule_id, set()), (rule_id, kinds)
    assert all(k == {"inSource"} or "inline" not in str(k) for k in kinds.values())

    (invocation,) = run["invocations"]
    notes = [(n["level"], n["message"]["text"]) for n in invocation["toolExecutionNotifications"]]
    expected = [
        ("error" if n.level == NoticeLevel.ERROR else "warning", n.message)
        for n in report.notices
        if n.level != NoticeLevel.INFO
    ]
    assert notes == expected and notes, report.notices


def test_inline_and_config_suppressions_differ_in_kind(tmp_path: Path) -> None:
    """The same check ignored inline in one file and by `.mamori.yaml` in another."""
    case = secrets(tmp_path)
    results = case.doc["runs"][0]["results"]
    ghp = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r["suppressions"][0]
        for r in results
        if r["ruleId"] == "secret_github_token"
    }
    assert ghp["a.py"] == {"kind": "inSource", "justification": "inline: revoked"}
    assert ghp["fixtures/b.txt"] == {"kind": "external", "justification": ".mamori.yaml: test data"}
