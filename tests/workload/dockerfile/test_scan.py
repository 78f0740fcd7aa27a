"""`mamori scan dockerfile`: discovery, per-file parse errors, suppressions (inline and
`.mamori.yaml`), and the table / JSON / SARIF outputs with secrets masked."""

from __future__ import annotations

import json
import os
from pathlib import Path

from typer.testing import CliRunner

from mamori.cli.main import app
from mamori.model import Finding, FindingStatus, Severity
from mamori.workload.dockerfile.scan import DockerfileScanRequest, run_dockerfile_scan

SECRET = "s3cr3t-Pa55w0rd-Value-77"
DOCKERFILE = f"""FROM python:3.12-slim AS build
RUN pip install --no-cache-dir build
# mamori:ignore dockerfile_base_image_digest tracked by Renovate, see OPS-7
FROM python:3.12-slim
ENV DATABASE_PASSWORD={SECRET}
# mamori:ignore dockerfile_no_sudo
RUN sudo true
USER 10001
"""
runner = CliRunner()


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def by_rule(path: Path, checks: list[str] | None = None) -> dict[str, Finding]:
    report = run_dockerfile_scan(
        DockerfileScanRequest(path=path, checks=checks, include_passed=True)
    ).report
    return {f.rule_id: f for f in report.findings}


def test_discovery_and_parse_errors_per_file(tmp_path: Path) -> None:
    write(tmp_path, "Dockerfile", DOCKERFILE)
    write(tmp_path, "svc/api.Dockerfile", "FROM alpine:3.20\n")
    write(tmp_path, "svc/Containerfile.dev", "FROM alpine:3.20\n")
    write(tmp_path, "svc/README.md", "FROM nothing\n")
    write(tmp_path, "bad/Dockerfile", "RUN echo before from\n")
    write(tmp_path, "env/Dockerfile", f"FROM a\nENV A=1 {SECRET}\n")
    write(tmp_path, "huge/Dockerfile", "FROM a\nRUN " + "x" * (3 << 20) + "\n")
    write(tmp_path, "chain/Dockerfile", "FROM a\n" + "RUN a \\\n" * 30_000)
    write(tmp_path, "big/Dockerfile", "FROM a\n" + "#" * (5 << 20))
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "Dockerfile").write_bytes(b"FROM a\x00\xff\xfe")
    os.symlink("/etc/passwd", tmp_path / "link.Dockerfile")
    outcome = run_dockerfile_scan(DockerfileScanRequest(path=tmp_path))
    report = outcome.report
    assert sorted(d.path for d in outcome.parsed) == [
        "Dockerfile",
        "svc/Containerfile.dev",
        "svc/api.Dockerfile",
    ]
    assert sorted((e.path, e.line) for e in outcome.errors) == [
        ("bad/Dockerfile", 1),
        ("big/Dockerfile", None),
        ("bin/Dockerfile", None),
        ("chain/Dockerfile", 2),
        ("env/Dockerfile", 2),
        ("huge/Dockerfile", 2),
    ]
    assert report.stats["parse_errors"] == 6 and report.stats["files"] == 9
    assert SECRET not in report.model_dump_json()  # error messages never quote values
    assert {n.path for n in report.notices} >= {"bad/Dockerfile", "bin/Dockerfile"}
    assert all(len(n.message) < 400 for n in report.notices)


def test_suppressions_evidence_and_severity_overrides(tmp_path: Path) -> None:
    write(tmp_path, "Dockerfile", DOCKERFILE)
    write(
        tmp_path,
        ".mamori.yaml",
        "exceptions:\n"
        "  - check: dockerfile_healthcheck_present\n"
        "    reason: the orchestrator probes it\n"
        "    kind: Dockerfile\n"
        "    path: 'Docker*'\n"
        "  - check: dockerfile_user_not_root\n"
        "    reason: expired\n"
        "    expires: 2001-01-01\n"
        "  - check: dockerfile_no_such_check\n"
        "    reason: typo\n"
        "severity:\n"
        "  dockerfile_base_image_not_latest: critical\n",
    )
    notices = run_dockerfile_scan(DockerfileScanRequest(path=tmp_path)).report.notices
    unknown = [n.message for n in notices if "known check" in n.message]
    assert unknown == [
        f"{tmp_path / '.mamori.yaml'}: dockerfile_no_such_check is not a known check"
    ]
    assert any("expired" in n.message for n in notices)
    found = by_rule(tmp_path)
    digest = found["dockerfile_base_image_digest"]
    assert digest.status == FindingStatus.IGNORED
    assert digest.reason == "inline: tracked by Renovate, see OPS-7"
    assert digest.evidence["line"] == "1" and digest.evidence["lines"] == "1,4"
    assert digest.provenance.source == "Dockerfile:1"
    health = found["dockerfile_healthcheck_present"]
    assert health.status == FindingStatus.IGNORED
    assert health.reason == ".mamori.yaml: the orchestrator probes it"
    # a reasonless inline ignore is not applied
    assert found["dockerfile_no_sudo"].status == FindingStatus.OPEN
    assert found["dockerfile_user_not_root"].status == FindingStatus.PASS
    assert found["dockerfile_base_image_not_latest"].status == FindingStatus.PASS
    only = by_rule(tmp_path, checks=["dockerfile_no_sudo"])
    assert list(only) == ["dockerfile_no_sudo"]
    write(tmp_path, "Dockerfile", "FROM ubuntu\n")
    assert by_rule(tmp_path)["dockerfile_base_image_not_latest"].severity == Severity.CRITICAL


def test_cli_outputs_never_contain_the_secret(tmp_path: Path) -> None:
    target = write(tmp_path / "src", "Dockerfile", DOCKERFILE)
    outputs = {}
    table = runner.invoke(app, ["scan", "dockerfile", str(target.parent)])
    assert table.exit_code == 0, table.output
    outputs["table"] = table.output
    assert "dockerfile_no_secrets_in_env_arg" in table.output and "Dockerfile:5" in table.output
    for fmt in ("json", "sarif"):
        out = tmp_path / f"r.{fmt}"
        result = runner.invoke(app, ["scan", "dockerfile", str(target), "-f", fmt, "-o", str(out)])
        assert result.exit_code == 0, result.output
        outputs[fmt] = out.read_text()
    for fmt, text in outputs.items():
        assert SECRET not in text and SECRET[:8] not in text, fmt
        assert "s3cr" + "*" in text, fmt
    sarif = json.loads(outputs["sarif"])
    run = sarif["runs"][0]
    hit = next(r for r in run["results"] if r["ruleId"] == "dockerfile_no_secrets_in_env_arg")
    assert hit["locations"][0]["physicalLocation"]["region"]["startLine"] == 5
    assert hit["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "Dockerfile"
    rule = run["tool"]["driver"]["rules"][hit["ruleIndex"]]
    assert "docker history" in rule["fullDescription"]["text"]
    assert "dockerfile" in rule["properties"]["tags"]
    ignored = next(r for r in run["results"] if r["ruleId"] == "dockerfile_base_image_digest")
    assert ignored["suppressions"][0]["kind"] == "inSource"
    fail_on = runner.invoke(app, ["scan", "dockerfile", str(target), "--fail-on", "high"])
    assert fail_on.exit_code == 1
    assert runner.invoke(app, ["scan", "dockerfile", str(tmp_path / "nope")]).exit_code == 2
    bad_check = runner.invoke(app, ["scan", "dockerfile", str(target), "--check", "nope"])
    assert bad_check.exit_code == 2


def test_sarif_validates_against_the_official_schema(tmp_path: Path) -> None:
    from mamori.workload.dockerfile.sarif import dockerfile_sarif_document
    from tests.outputs.schemas import sarif_errors

    write(tmp_path, "Dockerfile", DOCKERFILE)
    write(tmp_path, "x/Dockerfile", "RUN broken\n")
    report = run_dockerfile_scan(DockerfileScanRequest(path=tmp_path, include_passed=True)).report
    doc = dockerfile_sarif_document(report)
    assert not sarif_errors(doc), sarif_errors(doc)[:5]
