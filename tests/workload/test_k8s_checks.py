"""Every Kubernetes check against its own passing and failing fixture, and the Pod Security
Standards' version differences (policy versions as Pod Security Admission defines them).

Fixtures: tests/workload/fixtures/checks/<check_id>/{pass,fail}.yaml, written for these
tests. A pass fixture must give at least one PASS and no FAIL; a fail fixture at least one
FAIL (with a line that exists in the file).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mamori.model import CloudResource, Inventory
from mamori.posture.check import Verdict, k8s_checks
from mamori.posture.checks.k8s._pod import parse_version
from mamori.workload.k8s.manifests import load_manifests
from mamori.workload.k8s.scan import K8sScanRequest, line_for, run_k8s_scan

FIXTURES = Path(__file__).parent / "fixtures" / "checks"


def verdicts(check_id: str, path: Path, version: str = "") -> list[tuple[Verdict, str]]:
    manifests = load_manifests(path)
    assert not manifests.errors, manifests.errors
    settings = CloudResource(
        type="k8s.settings", id="settings", account="", attributes={"pss_version": version}
    )
    inventory = Inventory(provider="k8s", resources=(settings, *manifests.resources))
    return [(r.verdict, r.reason) for r in k8s_checks.get(check_id)().run(inventory)]


def test_every_check_has_both_fixtures_and_valid_metadata() -> None:
    names = set(k8s_checks.names())
    assert len(names) >= 40
    assert {p.name for p in FIXTURES.iterdir()} == names
    for name, cls in k8s_checks.items():
        assert cls.metadata.provider == "k8s" and cls.metadata.id == name
        assert name.startswith("k8s_")
        assert cls.metadata.rationale.strip() and cls.metadata.remediation.strip()


@pytest.mark.parametrize("check_id", sorted(p.name for p in FIXTURES.iterdir()))
def test_pass_fixture_passes(check_id: str) -> None:
    got = verdicts(check_id, FIXTURES / check_id / "pass.yaml")
    assert any(v == Verdict.PASS for v, _ in got), got
    assert not [r for v, r in got if v == Verdict.FAIL], got


@pytest.mark.parametrize("check_id", sorted(p.name for p in FIXTURES.iterdir()))
def test_fail_fixture_fails_at_a_real_line(check_id: str) -> None:
    path = FIXTURES / check_id / "fail.yaml"
    got = verdicts(check_id, path)
    assert any(v == Verdict.FAIL for v, _ in got), got
    report = run_k8s_scan(K8sScanRequest(path=path, checks=[check_id])).report
    failed = [f for f in report.findings if f.status.value == "open"]
    assert failed
    lines = path.read_text().splitlines()
    for finding in failed:
        line = int(finding.evidence["line"])
        assert 1 <= line <= len(lines)
        assert finding.provenance.source == f"fail.yaml:{line}"


def _pod(spec: str) -> Path:
    return Path(spec)


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "m.yaml"
    path.write_text(body)
    return path


POD = """apiVersion: v1
kind: Pod
metadata: {{name: p, namespace: shop}}
spec:
{spec}  containers:
  - name: c
    image: busybox:1.36
    securityContext:
{csec}"""


def pod(tmp_path: Path, spec: str = "", csec: str = "      {}\n") -> Path:
    return write(tmp_path, POD.format(spec=spec, csec=csec))


@pytest.mark.parametrize(
    ("sysctl", "version", "expected"),
    [
        ("net.ipv4.tcp_rmem", "v1.31", Verdict.FAIL),
        ("net.ipv4.tcp_rmem", "v1.32", Verdict.PASS),
        ("net.ipv4.ip_local_reserved_ports", "v1.26", Verdict.FAIL),
        ("net.ipv4.ip_local_reserved_ports", "v1.27", Verdict.PASS),
        ("net.ipv4.tcp_keepalive_time", "v1.28", Verdict.FAIL),
        ("net.ipv4.tcp_keepalive_time", "1.29", Verdict.PASS),
        ("net.ipv4.tcp_notsent_lowat", "v1.36", Verdict.FAIL),
        ("net.ipv4.tcp_notsent_lowat", "latest", Verdict.PASS),
        ("kernel.shm_rmid_forced", "v1.0", Verdict.PASS),
        ("net.core.somaxconn", "latest", Verdict.FAIL),
    ],
)
def test_sysctls_follow_the_policy_version(
    tmp_path: Path, sysctl: str, version: str, expected: Verdict
) -> None:
    spec = f"  securityContext:\n    sysctls:\n    - {{name: {sysctl}, value: '1'}}\n"
    assert [v for v, _ in verdicts("k8s_pss_sysctls", pod(tmp_path, spec), version)] == [expected]


def test_selinux_container_engine_t_from_1_31(tmp_path: Path) -> None:
    path = pod(tmp_path, "  securityContext:\n    seLinuxOptions: {type: container_engine_t}\n")
    assert verdicts("k8s_pss_selinux", path, "v1.30")[0][0] == Verdict.FAIL
    assert verdicts("k8s_pss_selinux", path, "v1.31")[0][0] == Verdict.PASS


def test_user_namespaces_relax_baseline_proc_mount_and_run_as_from_1_35(tmp_path: Path) -> None:
    path = pod(tmp_path, "  hostUsers: false\n", "      procMount: Unmasked\n      runAsUser: 0\n")
    assert verdicts("k8s_pss_proc_mount", path, "v1.34")[0][0] == Verdict.FAIL
    assert verdicts("k8s_pss_proc_mount", path, "v1.35")[0][0] == Verdict.PASS
    assert verdicts("k8s_pss_run_as_user", path, "v1.34")[0][0] == Verdict.FAIL
    assert verdicts("k8s_pss_run_as_user", path, "v1.35")[0][0] == Verdict.PASS
    assert verdicts("k8s_pss_run_as_non_root", path, "v1.35")[0][0] == Verdict.PASS
    # Restricted keeps the /proc masks whatever hostUsers says
    assert verdicts("k8s_pss_proc_mount_restricted", path, "v1.35")[0][0] == Verdict.FAIL


def test_controls_are_not_judged_before_they_exist(tmp_path: Path) -> None:
    path = pod(
        tmp_path,
        "",
        "      runAsUser: 0\n    readinessProbe:\n      httpGet: {port: 80, host: example.com}\n",
    )
    assert verdicts("k8s_pss_run_as_user", path, "v1.22") == []
    assert verdicts("k8s_pss_run_as_user", path, "v1.23")[0][0] == Verdict.FAIL
    assert verdicts("k8s_pss_host_probes", path, "v1.33") == []
    assert verdicts("k8s_pss_host_probes", path, "v1.34")[0][0] == Verdict.FAIL
    assert verdicts("k8s_pss_capabilities_restricted", path, "v1.21") == []
    assert verdicts("k8s_pss_seccomp_restricted", path, "v1.18") == []


def test_windows_pods_are_exempt_from_linux_only_controls_from_1_25(tmp_path: Path) -> None:
    path = pod(tmp_path, "  os: {name: windows}\n")
    for check in (
        "k8s_pss_privilege_escalation",
        "k8s_pss_seccomp_restricted",
        "k8s_pss_capabilities_restricted",
    ):
        assert verdicts(check, path, "v1.24")[0][0] == Verdict.FAIL, check
        assert verdicts(check, path, "v1.25")[0][0] == Verdict.PASS, check
    assert verdicts("k8s_pss_run_as_non_root", path, "v1.25")[0][0] == Verdict.FAIL


def test_seccomp_annotations_before_1_19_fields_after(tmp_path: Path) -> None:
    annotated = write(
        tmp_path,
        POD.format(spec="", csec="      {}\n").replace(
            "metadata: {name: p, namespace: shop}",
            "metadata:\n  name: p\n  annotations:\n"
            "    seccomp.security.alpha.kubernetes.io/pod: unconfined",
        ),
    )
    assert verdicts("k8s_pss_seccomp_baseline", annotated, "v1.18")[0][0] == Verdict.FAIL
    assert verdicts("k8s_pss_seccomp_baseline", annotated, "v1.19")[0][0] == Verdict.PASS


def test_init_and_ephemeral_containers_are_judged_and_pod_settings_inherited(
    tmp_path: Path,
) -> None:
    body = (
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: j, namespace: shop}\nspec:\n"
        "  schedule: '* * * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n"
        "          securityContext: {runAsNonRoot: true}\n"
        "          initContainers:\n          - name: init\n            image: busybox:1.36\n"
        "            securityContext: {privileged: true}\n"
        "          containers:\n          - name: main\n            image: busybox:1.36\n"
        "          ephemeralContainers:\n          - name: debug\n            image: busybox:1.36\n"
        "            securityContext: {runAsNonRoot: false}\n"
    )
    path = write(tmp_path, body)
    privileged = verdicts("k8s_pss_privileged", path)
    assert privileged[0][0] == Verdict.FAIL and '"init"' in privileged[0][1]
    non_root = verdicts("k8s_pss_run_as_non_root", path)
    # main inherits the pod's runAsNonRoot: true; the ephemeral container overrides it
    assert non_root[0][0] == Verdict.FAIL and '"debug"' in non_root[0][1]
    assert '"main"' not in non_root[0][1]


def test_parse_version() -> None:
    assert parse_version("latest") == parse_version("") == (1, 37)
    assert parse_version("v1.30") == (1, 30) == parse_version("1.30.2")
    assert parse_version("v1.99") == (1, 37)  # clamped to the newest policy, as PSA does
    with pytest.raises(ValueError):
        parse_version("2.0")


def test_line_for_falls_back_to_the_nearest_ancestor() -> None:
    resource = CloudResource(
        type="k8s.Pod",
        id="x",
        account="",
        attributes={"lines": {"": 3, "/spec": 7, "/spec/containers/0": 9}, "line": 3},
    )
    assert line_for(resource, "/spec/containers/0/securityContext/privileged") == 9
    assert line_for(resource, "/metadata/name") == 3


def test_namespace_enforce_version_label_pins_the_policy(tmp_path: Path) -> None:
    namespace = (
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n"
        "    pod-security.kubernetes.io/enforce: restricted\n"
        "    pod-security.kubernetes.io/enforce-version: v1.22\n---\n"
    )
    path = write(tmp_path, namespace + POD.format(spec="", csec="      runAsUser: 0\n"))
    # v1.22 predates the runAsUser control: not judged under the label...
    assert verdicts("k8s_pss_run_as_user", path, "") == []
    # ...but an explicit version (what-if) wins over the label
    assert verdicts("k8s_pss_run_as_user", path, "v1.30")[0][0] == Verdict.FAIL


def test_restricted_framework_covers_every_baseline_check() -> None:
    from mamori.posture.compliance import mapped_checks
    from mamori.workload.k8s.frameworks import k8s_frameworks, load_k8s_framework

    assert k8s_frameworks() == ["cis_k8s_1.10", "k8s_pss_baseline", "k8s_pss_restricted"]
    baseline = set(mapped_checks(load_k8s_framework("k8s_pss_baseline")))
    restricted = set(mapped_checks(load_k8s_framework("k8s_pss_restricted")))
    pss = {c for c in k8s_checks.names() if c.startswith("k8s_pss_")}
    assert baseline < restricted == pss
    cis = load_k8s_framework("cis_k8s_1.10")
    assert len(cis.requirements) == 35
    assert set(mapped_checks(cis)) <= set(k8s_checks.names())
