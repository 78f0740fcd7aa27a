"""False positives on real files: the shared IaC corpus (Terraform, CloudFormation,
Kubernetes, Dockerfiles; ../shared/data/iac-corpus) holds no live credentials, only
example Kubernetes Secrets whose base64 `data` are (example) passwords. Every finding
must be one of those, and scanning must read every file."""

from __future__ import annotations

from mamori.workload.secrets.scan import SecretsScanRequest, run_secrets_scan
from tests.support import need_shared


def test_iac_corpus_findings_are_only_kubernetes_secret_data() -> None:
    root = need_shared("data/iac-corpus")
    report = run_secrets_scan(SecretsScanRequest(path=root)).report
    assert report.stats["files_scanned"] >= 600
    assert report.stats["files_unreadable"] == 0
    for finding in report.findings:
        text = (root / finding.evidence["file"]).read_text(encoding="utf-8", errors="replace")
        line = text.splitlines()[int(finding.evidence["line"]) - 1]
        assert "kind: Secret" in text, finding.evidence
        assert finding.rule_id == "secret_generic_assignment", finding.evidence
        assert line.split(":")[0].strip().lower().endswith("password"), line
    assert len(report.findings) <= 5
