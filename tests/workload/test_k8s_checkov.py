"""mamori's Kubernetes checks against Checkov's CKV_K8S checks that judge the same thing,
on this suite's own fixtures (every verdict must agree, except the documented differences
below) and on the shared real-world corpus (agreement measured and bounded)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mamori.model import FindingStatus
from mamori.workload.k8s.scan import K8sScanRequest, run_k8s_scan
from tests.support import need, need_shared
from tests.workload.checkov_oracle import (
    Difference,
    Key,
    compare,
    install_checkov,
    run_checkov,
)

FIXTURES = Path(__file__).parent / "fixtures" / "checks"


# Where the two tools mean different things by design (docs/workload.md, "Checkov"):
# - CKV_K8S_38 reads only the pod spec; CIS 5.1.6 (and mamori) also accept a pod whose
#   service account (anywhere in the scanned manifests) disables automount.
# - CKV_K8S_26 fails any hostPort key; PSS allows hostPort: 0.
# - CKV_K8S_31 reads the pod-level profile only; PSA fails a container that overrides a
#   good pod profile with Unconfined.
# - CKV_K8S_37 asks only for drop ALL; PSS Restricted also allows no add but
#   NET_BIND_SERVICE.
# - CKV_K8S_49 passes a rule with "*" resources and verbs under one named API group; CIS
#   5.1.3 asks for no wildcard at all.
def known(d: Difference) -> bool:
    file = d.key[0]
    return (
        (d.check == "k8s_pod_token_automount_disabled" and d.mamori_passed)
        or (d.check == "k8s_pss_host_ports" and d.mamori_passed and file.endswith("pass.yaml"))
        or (
            d.check == "k8s_pss_seccomp_restricted" and file == "k8s_pss_seccomp_baseline/fail.yaml"
        )
        or (d.check == "k8s_rbac_wildcards" and not d.mamori_passed)
        or (d.check == "k8s_pss_capabilities_restricted" and not d.mamori_passed)
    )


def mamori_verdicts(directory: Path) -> dict[Key, dict[str, bool]]:
    report = run_k8s_scan(K8sScanRequest(path=directory, include_passed=True)).report
    out: dict[Key, dict[str, bool]] = {}
    for f in report.findings:
        a = f.resource.attributes
        if f.status not in (FindingStatus.PASS, FindingStatus.OPEN) or "kind" not in a:
            continue
        key = (a["file"], a["kind"], a["namespace"], a["object_name"])
        verdicts = out.setdefault(key, {})
        verdicts[f.rule_id] = verdicts.get(f.rule_id, True) and f.status == FindingStatus.PASS
    return out


@pytest.fixture(scope="module")
def checkov_available() -> None:
    need(install_checkov(), "checkov cannot be installed from PyPI into .cache/bench")


@pytest.mark.slow
def test_fixtures_agree_with_checkov(checkov_available: None) -> None:
    result = compare(mamori_verdicts(FIXTURES), run_checkov(FIXTURES))
    unexplained = [str(d) for d in result.differences if not known(d)]
    assert result.compared >= 300, result.compared
    assert not unexplained, "\n".join(unexplained)
    assert len(result.differences) <= 8  # 975/982 agree when measured
    print(f"fixtures: {result.agreed}/{result.compared} verdicts agree ({result.rate:.1%})")


@pytest.mark.slow
def test_corpus_agrees_with_checkov(checkov_available: None) -> None:
    corpus = need_shared("data/iac-corpus/kubernetes")
    result = compare(mamori_verdicts(corpus), run_checkov(corpus))
    for check, (n, ok) in sorted(result.per_check.items()):
        print(f"{check}: {ok}/{n}")
    print(f"corpus: {result.agreed}/{result.compared} ({result.rate:.1%})")
    print("\n".join(str(d) for d in result.differences[:40]))
    assert result.compared >= 2000
    assert result.rate >= 0.99, result.rate
    assert all(known(d) for d in result.differences), result.differences
