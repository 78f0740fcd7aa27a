"""`mamori scan k8s`: suppressions (inline and `.mamori.yaml`), severity overrides,
frameworks, and the table / JSON / SARIF outputs through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mamori.cli.main import app
from mamori.model import Finding, FindingStatus, Severity
from mamori.workload.k8s.config import ConfigError, load_config
from mamori.workload.k8s.scan import K8sScanRequest, run_k8s_scan

FIXTURES = Path(__file__).parent / "fixtures" / "checks"
PRIV = "k8s_pss_privileged"

DAEMONSET = """apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: cilium-agent
  namespace: kube-system
spec:
  template:
    spec:
      hostNetwork: true{inline}
      containers:
      - name: agent
        image: cilium:1.15
        securityContext:
          privileged: true
"""


def scan(
    tmp_path: Path, body: str, config: str | None = None, framework: str | None = None
) -> list[Finding]:
    (tmp_path / "ds.yaml").write_text(body)
    if config is not None:
        (tmp_path / ".mamori.yaml").write_text(config)
    report = run_k8s_scan(K8sScanRequest(path=tmp_path, framework=framework)).report
    return list(report.findings)


def status(findings: list[Finding], check: str) -> FindingStatus:
    return next(f.status for f in findings if f.rule_id == check)


def test_inline_suppression_needs_the_check_id_and_a_reason(tmp_path: Path) -> None:
    found = scan(tmp_path, DAEMONSET.format(inline="  # mamori:ignore k8s_pss_host_namespaces CNI"))
    ignored = next(f for f in found if f.rule_id == "k8s_pss_host_namespaces")
    assert ignored.status == FindingStatus.IGNORED and ignored.reason == "inline: CNI"
    assert status(found, PRIV) == FindingStatus.OPEN  # other checks untouched
    bare = run_k8s_scan(K8sScanRequest(path=tmp_path)).report
    (tmp_path / "ds.yaml").write_text(
        DAEMONSET.format(inline="  # mamori:ignore k8s_pss_host_namespaces")
    )
    bare = run_k8s_scan(K8sScanRequest(path=tmp_path)).report
    assert status(list(bare.findings), "k8s_pss_host_namespaces") == FindingStatus.OPEN
    assert any("without a reason" in n.message for n in bare.notices)


CONFIG = """exceptions:
  - check: k8s_pss_privileged
    reason: the CNI agent needs it (SEC-12)
    namespace: kube-*
    kind: DaemonSet
    name: cilium*
    path: "*.yaml"
  - check: k8s_pss_host_namespaces
    reason: expired long ago
    expires: 2020-01-01
severity:
  k8s_pss_host_namespaces: critical
"""


def test_config_exceptions_and_severity_overrides(tmp_path: Path) -> None:
    found = scan(tmp_path, DAEMONSET.format(inline=""), CONFIG)
    priv = next(f for f in found if f.rule_id == PRIV)
    assert priv.status == FindingStatus.IGNORED
    assert priv.reason == ".mamori.yaml: the CNI agent needs it (SEC-12)"
    host = next(f for f in found if f.rule_id == "k8s_pss_host_namespaces")
    assert host.status == FindingStatus.OPEN  # the exception expired
    assert host.severity == Severity.CRITICAL


def test_config_selectors_must_all_match(tmp_path: Path) -> None:
    narrowed = CONFIG.replace("name: cilium*", "name: calico*")
    assert status(scan(tmp_path, DAEMONSET.format(inline=""), narrowed), PRIV) == FindingStatus.OPEN


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("exceptions:\n  - check: x\n", "reason"),
        ("exceptions:\n  - check: x\n    reason: r\n    nmespace: y\n", "nmespace"),
        ("severity:\n  x: urgent\n", "unknown severity"),
        ("- a list\n", "mapping"),
    ],
)
def test_bad_config_is_an_error_naming_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / ".mamori.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_framework_selects_and_annotates(tmp_path: Path) -> None:
    found = scan(tmp_path, DAEMONSET.format(inline=""), framework="cis_k8s_1.10")
    host = [f for f in found if f.rule_id == "k8s_pss_host_namespaces"]
    assert host and host[0].evidence["requirements"] == "5.2.3,5.2.4,5.2.5"
    assert not [f for f in found if f.rule_id == "k8s_container_image_digest"]  # NSA only
    baseline = scan(tmp_path, DAEMONSET.format(inline=""), framework="k8s_pss_baseline")
    assert {f.rule_id for f in baseline} <= {
        c for c in {f.rule_id for f in baseline} if c.startswith("k8s_pss_")
    }
    with pytest.raises(ValueError, match="unknown Kubernetes framework"):
        scan(tmp_path, DAEMONSET.format(inline=""), framework="cis_aws_3.0")


runner = CliRunner()


def test_cli_table_json_sarif_and_fail_on(tmp_path: Path) -> None:
    target = FIXTURES / PRIV / "fail.yaml"
    table = runner.invoke(app, ["scan", "k8s", str(target)])
    assert table.exit_code == 0, table.output
    assert PRIV in table.output and "fail.yaml:" in table.output
    out = tmp_path / "r.json"
    result = runner.invoke(app, ["scan", "k8s", str(target), "-f", "json", "-o", str(out)])
    assert result.exit_code == 0
    doc = json.loads(out.read_text())
    privileged = [f for f in doc["findings"] if f["rule_id"] == PRIV]
    assert privileged[0]["status"] == "open" and privileged[0]["evidence"]["file"] == "fail.yaml"
    sarif_out = tmp_path / "r.sarif"
    result = runner.invoke(app, ["scan", "k8s", str(target), "-f", "sarif", "-o", str(sarif_out)])
    assert result.exit_code == 0
    sarif = json.loads(sarif_out.read_text())
    run = sarif["runs"][0]
    hit = next(r for r in run["results"] if r["ruleId"] == PRIV)
    location = hit["locations"][0]["physicalLocation"]
    line = target.read_text().splitlines()[location["region"]["startLine"] - 1]
    assert "privileged: true" in line and location["artifactLocation"]["uri"] == "fail.yaml"
    assert run["tool"]["driver"]["rules"][hit["ruleIndex"]]["id"] == PRIV
    assert hit["level"] == "error"
    failing = runner.invoke(app, ["scan", "k8s", str(target), "--fail-on", "critical"])
    assert failing.exit_code == 1
    clean = runner.invoke(
        app, ["scan", "k8s", str(FIXTURES / PRIV / "pass.yaml"), "--fail-on", "low"]
    )
    assert clean.exit_code == 0
    bad = runner.invoke(app, ["scan", "k8s", str(target), "--pss-version", "v2.0"])
    assert bad.exit_code == 2


def test_sarif_keeps_suppressed_results_as_suppressions(tmp_path: Path) -> None:
    (tmp_path / "ds.yaml").write_text(
        DAEMONSET.format(inline="  # mamori:ignore k8s_pss_host_namespaces CNI")
    )
    result = runner.invoke(app, ["scan", "k8s", str(tmp_path), "-f", "sarif"])
    sarif = json.loads(result.output)
    hit = next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == "k8s_pss_host_namespaces")
    assert hit["suppressions"] == [{"kind": "inSource", "justification": "inline: CNI"}]


def test_sarif_validates_against_the_official_schema(tmp_path: Path) -> None:
    from mamori.workload.k8s.sarif import sarif_document
    from tests.outputs.schemas import sarif_errors

    (tmp_path / "ds.yaml").write_text(
        DAEMONSET.format(inline="  # mamori:ignore k8s_pss_host_namespaces CNI")
    )
    (tmp_path / "broken.yaml").write_text("a: [\n")
    report = run_k8s_scan(K8sScanRequest(path=tmp_path)).report
    doc = sarif_document(report)
    assert not sarif_errors(doc), sarif_errors(doc)[:5]
    assert doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    json.dumps(doc)  # serialisable as is


def test_framework_scan_reports_requirement_states_and_score(tmp_path: Path) -> None:
    (tmp_path / "ds.yaml").write_text(DAEMONSET.format(inline=""))
    report = run_k8s_scan(K8sScanRequest(path=tmp_path, framework="k8s_pss_baseline")).report
    # privileged and host namespaces fail; the ten other Baseline controls pass
    assert report.stats["requirements_fail"] == 2
    assert report.stats["requirements_pass"] == 10
    assert report.stats["score"] == round(10 / 12, 4)
    table = runner.invoke(app, ["scan", "k8s", str(tmp_path), "--framework", "k8s_pss_baseline"])
    assert "Score" in table.output and "83.3%" in table.output


def test_cli_errors_exit_2(tmp_path: Path) -> None:
    target = FIXTURES / PRIV / "fail.yaml"
    bad_config = tmp_path / "c.yaml"
    bad_config.write_text("exceptions:\n  - check: x\n")
    for args in (
        ["--config", str(bad_config)],
        ["--check", "k8s_no_such_check"],
        ["--framework", "nope"],
        ["-f", "cyclonedx"],
    ):
        result = runner.invoke(app, ["scan", "k8s", str(target), *args])
        assert result.exit_code == 2, (args, result.output)
    missing = runner.invoke(app, ["scan", "k8s", str(tmp_path / "absent")])
    assert missing.exit_code == 2


def test_cli_reads_helm_template_output_from_stdin() -> None:
    rendered = "---\n# Source: agent/templates/ds.yaml\n" + DAEMONSET.format(inline="")
    result = runner.invoke(app, ["scan", "k8s", "-", "-f", "json"], input=rendered)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    privileged = next(f for f in doc["findings"] if f["rule_id"] == PRIV)
    assert privileged["evidence"]["helm_source"] == "agent/templates/ds.yaml"
    assert privileged["evidence"]["file"] == "stdin.yaml"
    assert privileged["evidence"]["line"] == "16"


def test_passes_are_counted_not_listed_unless_asked(tmp_path: Path) -> None:
    """By default a file scan lists failures (and ignored/manual results) only, as
    Checkov's --quiet and Trivy do; the passes are still counted, the framework summary
    is the same, and --include-passed lists them."""
    (tmp_path / "ds.yaml").write_text(DAEMONSET.format(inline=""))
    framework = "k8s_pss_baseline"
    lean = run_k8s_scan(K8sScanRequest(path=tmp_path, framework=framework)).report
    full = run_k8s_scan(K8sScanRequest(path=tmp_path, framework=framework, include_passed=True))
    passes = [f for f in full.report.findings if f.status.value == "pass"]
    assert passes and not any(f.status.value == "pass" for f in lean.findings)
    assert [f for f in full.report.findings if f.status.value != "pass"] == [
        f.model_copy(update={"first_seen": g.first_seen, "last_seen": g.last_seen,
                             "provenance": g.provenance})
        for f, g in zip(lean.findings, [f for f in full.report.findings
                                        if f.status.value != "pass"], strict=True)
    ]  # fmt: skip
    same = ("results_pass", "results_fail", "requirements_pass", "requirements_fail", "score")
    assert {k: lean.stats[k] for k in same} == {k: full.report.stats[k] for k in same}
    assert lean.stats["results_pass"] == len(passes)
    for flag, listed in (([], False), (["--include-passed"], True)):
        out = tmp_path / f"r{len(flag)}.json"
        done = runner.invoke(
            app, ["scan", "k8s", str(tmp_path), "-f", "json", "-o", str(out), *flag]
        )
        assert done.exit_code == 0, done.output
        statuses = {f["status"] for f in json.loads(out.read_text())["findings"]}
        assert ("pass" in statuses) is listed and "open" in statuses
