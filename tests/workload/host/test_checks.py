"""Every host check against its passing and its failing fixture root (directory mode).

The roots are real directories with real modes, owners and symlinks (tests/workload/host/
roots.py); each failing root differs from its passing one only in what the check judges.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mamori.posture.checks.host import host_checks
from mamori.posture.frameworks import FRAMEWORKS_DIR
from mamori.workload.host.result import HostResult, HostVerdict
from mamori.workload.host.view import HostView
from tests.workload.host.pairs_more import PAIRS, failing_root, passing_root

CHECKS = host_checks.names()
# Level 2 in the benchmark: the auditd checks and 5.2.4 (sudo without NOPASSWD)
LEVEL_2 = {"sudo_password_required"}


def _run(check: str, root: Path) -> list[HostResult]:
    view = HostView.open(root, live=False)
    results = list(host_checks.get(check)().run(view))
    assert results, f"{check} returned no verdict"
    return results


def test_at_least_40_checks_each_with_a_fixture_pair() -> None:
    assert len(CHECKS) >= 120
    assert set(PAIRS) == set(CHECKS)


@pytest.mark.parametrize("check", CHECKS)
def test_passing_root_passes(check: str, tmp_path: Path) -> None:
    results = _run(check, passing_root(check, tmp_path))
    assert [r.verdict for r in results] == [HostVerdict.PASS], results


@pytest.mark.parametrize("check", CHECKS)
def test_failing_root_fails_with_evidence(check: str, tmp_path: Path) -> None:
    results = _run(check, failing_root(check, tmp_path))
    assert [r.verdict for r in results] == [HostVerdict.FAIL], results
    assert results[0].reason


def test_evidence_names_file_and_line(tmp_path: Path) -> None:
    [result] = _run(
        "ssh_permit_root_login_disabled", failing_root("ssh_permit_root_login_disabled", tmp_path)
    )
    [first, *_] = result.evidence
    assert (first.source, first.line, first.value) == (
        "/etc/ssh/sshd_config.d/00-weak.conf",
        1,
        "permitrootlogin yes",
    )


def test_metadata_names_a_cis_recommendation() -> None:
    seen = set()
    levels = [host_checks.get(c).metadata.level for c in CHECKS]
    assert levels.count(1) >= 40 and set(levels) <= {1, 2}
    for check in CHECKS:
        meta = host_checks.get(check).metadata
        level = 2 if check.startswith("audit_") or check in LEVEL_2 else 1
        assert meta.provider == "host" and meta.level == level
        assert meta.benchmark.startswith("CIS Debian Linux 12 Benchmark v1.")
        assert meta.cis_id not in seen, f"two checks claim {meta.cis_id}"
        seen.add(meta.cis_id)


def test_framework_file_matches_the_checks() -> None:
    data = yaml.safe_load((FRAMEWORKS_DIR / "host" / "cis_debian_12.yaml").read_text())
    mapped = {r["id"]: r["checks"] for r in data["requirements"]}
    assert {c for checks in mapped.values() for c in checks} == set(CHECKS)
    for check in CHECKS:
        assert mapped[host_checks.get(check).metadata.cis_id] == [check]
