"""The shared real-world corpus (terraform-aws-modules vpc/eks, awslabs CloudFormation
templates): every file is read with zero crashes, errors are per file, and the scan runs
every IaC check over it. `terraform fmt` is the oracle for which .tf files are valid."""

from __future__ import annotations

import subprocess
from pathlib import Path

from mamori.model import NoticeLevel
from mamori.workload.iac.cloudformation import SUFFIXES
from mamori.workload.iac.loader import load_iac
from mamori.workload.iac.model import walk_files
from mamori.workload.iac.scan import IacScanRequest, run_iac_scan
from tests.support import need_shared, oracle_tool


def _listed(corpus: Path, kind: str) -> int:
    sources = (corpus.parent / "SOURCES.tsv").read_text().splitlines()
    return sum(1 for line in sources if line.startswith(f"{kind}\t"))


def test_terraform_corpus_parses_with_zero_errors() -> None:
    corpus = need_shared("data/iac-corpus/terraform")
    loaded = load_iac(corpus, cloudformation=False)
    assert loaded.files == _listed(corpus, "terraform") == 144
    # terraform itself accepts every file (fmt parses without providers): so must we
    terraform = oracle_tool("terraform", "HashiCorp ships it outside Debian")
    check = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-list=false", str(corpus)],
        capture_output=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stderr[-500:]
    assert loaded.errors == []
    assert len(loaded.resources) >= 1500
    print(f"terraform corpus: {loaded.files} files, {len(loaded.resources)} resources")


def test_cloudformation_corpus_parses_with_zero_crashes() -> None:
    corpus = need_shared("data/iac-corpus/cloudformation")
    files = walk_files(corpus, SUFFIXES)
    assert len(files) == _listed(corpus, "cloudformation") == 191
    loaded = load_iac(corpus, terraform=False)
    # the rest are not templates: Lambda test events, a macro's resource spec, a stack
    # policy, a ShortHand-macro list and nothing else
    assert loaded.files >= 185
    for error in loaded.errors:
        assert error.path and error.message
    assert len(loaded.errors) == 0
    assert len(loaded.resources) >= 1000
    print(f"cloudformation corpus: {loaded.files} templates of {len(files)} files")


def test_corpus_scan_has_no_check_errors() -> None:
    corpus = need_shared("data/iac-corpus")
    for kind in ("terraform", "cloudformation"):
        report = run_iac_scan(IacScanRequest(corpus / kind)).report
        assert not [n for n in report.notices if n.level == NoticeLevel.ERROR]
        assert report.stats["results_fail"] > 0 and report.stats["results_pass"] > 0
        for finding in report.findings:
            assert finding.evidence["file"] and int(finding.evidence["line"]) >= 1
