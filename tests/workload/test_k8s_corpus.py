"""The shared real-world corpus (kubernetes/examples, microservices-demo, istio manifests):
every file parses without a crash, every object is judged by every check, and what cannot
be parsed is a per-file error. Plus Helm-style output of the same objects."""

from __future__ import annotations

from pathlib import Path

from mamori.model import FindingStatus, NoticeLevel
from mamori.posture.check import k8s_checks
from mamori.workload.k8s.manifests import ManifestSet, load_file, manifest_files
from mamori.workload.k8s.scan import K8sScanRequest, run_k8s_scan
from tests.support import need_shared


def test_every_corpus_file_loads_without_a_crash() -> None:
    corpus = need_shared("data/iac-corpus/kubernetes")
    found = ManifestSet(root=str(corpus))
    for path in manifest_files(corpus):
        load_file(path, corpus, found)  # raising here would be the failure
    sources = (corpus.parent / "SOURCES.tsv").read_text().splitlines()
    listed = sum(1 for line in sources if line.startswith("kubernetes\t"))
    assert found.files == listed == 253
    assert len(found.resources) >= 300
    print(
        f"corpus: {found.files} files, {found.documents} documents, "
        f"{len(found.resources)} objects, {len(found.errors)} errors"
    )
    for error in found.errors:  # reported per file, with a message
        assert error.path and error.message


def test_corpus_scan_runs_every_check_without_errors() -> None:
    corpus = need_shared("data/iac-corpus/kubernetes")
    report = run_k8s_scan(K8sScanRequest(path=corpus)).report
    assert not [n for n in report.notices if n.level == NoticeLevel.ERROR]
    assert not [f for f in report.findings if f.status == FindingStatus.MANUAL]
    assert set(report.evaluated) == set(k8s_checks.names())
    kinds = {f.resource.attributes.get("kind") for f in report.findings}
    assert {"Deployment", "StatefulSet", "DaemonSet", "ReplicationController", "Pod"} <= kinds
    for finding in report.findings:
        if finding.status == FindingStatus.OPEN and finding.evidence.get("file"):
            path = corpus / finding.evidence["file"]
            assert 1 <= int(finding.evidence["line"]) <= len(path.read_text().splitlines())


def test_corpus_as_one_helm_style_stream(tmp_path: Path) -> None:
    """All corpus manifests concatenated the way `helm template` prints them."""
    corpus = need_shared("data/iac-corpus/kubernetes")
    parts = []
    for path in manifest_files(corpus):
        rel = path.relative_to(corpus).as_posix()
        lines = ["---", *path.read_text(encoding="utf-8").splitlines()]
        for line in lines:  # every document gets its own Source comment, as Helm prints
            parts.append(line)
            if line.rstrip() == "---":
                parts.append(f"# Source: corpus/templates/{rel}")
    rendered = tmp_path / "rendered.yaml"
    rendered.write_text("\n".join(parts))
    found = ManifestSet(root=str(tmp_path))
    load_file(rendered, tmp_path, found)
    assert len(found.resources) >= 300
    sources = {r.attributes["helm_source"] for r in found.resources}
    assert all(s and s.startswith("corpus/templates/") for s in sources)


def test_every_yaml_file_of_the_corpus_loads_including_cloudformation() -> None:
    """CloudFormation's custom tags (!Ref, !Sub, !GetAtt) and other non-Kubernetes YAML are
    read without errors and skipped as not being Kubernetes objects."""
    corpus = need_shared("data/iac-corpus")
    found = ManifestSet(root=str(corpus))
    for path in manifest_files(corpus):
        load_file(path, corpus, found)
    assert found.files >= 370 and not found.errors
    assert found.skipped >= 100
    assert all(r.type.startswith("k8s.") for r in found.resources)
