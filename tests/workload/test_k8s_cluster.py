"""`mamori scan k8s --cluster`: live objects through the official `kubernetes` client.

No Kubernetes API server runs here. The test serves recorded-shape API responses
(fixtures/cluster/responses.yaml: PodList, DeploymentList, ... with resourceVersion,
managedFields and status, written for this test) from a real HTTPS server on 127.0.0.1
with a certificate from a CA the test makes, behind a bearer token (401 without), with
`limit` / `continue` paging as the API server does, and 403 for ClusterRoleBindings (an
RBAC denial). The client talks to it through a kubeconfig the test writes.

Oracle: the same objects written as manifest files and scanned by the manifest path;
every check's verdict on every object must be equal.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from mamori.cli.scan_k8s import scan_k8s
from mamori.model import Finding
from mamori.posture.summary import RequirementStatus, framework_summary
from mamori.workload.k8s import cluster
from mamori.workload.k8s.cluster import ClusterError, ClusterTarget, list_objects, skip_owned
from mamori.workload.k8s.cluster_scan import ClusterScanRequest, run_cluster_scan
from mamori.workload.k8s.frameworks import load_k8s_framework
from mamori.workload.k8s.scan import K8sScanRequest, run_k8s_scan
from tests.workload.k8s_api_server import (
    DENIED,
    FIXTURES,
    OWNED,
    RESPONSES,
    TOKEN,
    ApiServer,
    status_doc,
)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    server = ApiServer(tmp_path_factory.mktemp("apiserver"))
    yield server
    server.close()


@pytest.fixture
def kubeconfig(api: ApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(cluster, "PAGE_SIZE", 2)  # the 6 pods come in 3 pages
    monkeypatch.delenv("KUBECONFIG", raising=False)
    api.requests.clear()
    api.override.clear()
    path = tmp_path / "kubeconfig"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {
                        "name": "lab",
                        "cluster": {
                            "server": f"https://127.0.0.1:{api.port}",
                            "certificate-authority": str(api.ca_file),
                        },
                    }
                ],
                "users": [
                    {"name": "scanner", "user": {"token": TOKEN}},
                    {"name": "anon", "user": {}},
                ],
                "contexts": [
                    {"name": "lab-admin", "context": {"cluster": "lab", "user": "scanner"}},
                    {"name": "lab-anon", "context": {"cluster": "lab", "user": "anon"}},
                ],
                "current-context": "lab-admin",
            }
        )
    )
    return path


def key(obj: dict[str, Any]) -> tuple[str, str, str]:
    meta = obj["metadata"]
    return (obj["kind"], meta.get("namespace", ""), meta["name"])


def test_lists_every_kind_paged_skips_owned_and_records_the_denied_kind(
    api: ApiServer, kubeconfig: Path
) -> None:
    found = list_objects(ClusterTarget(kubeconfig=kubeconfig))
    assert found.context == "lab-admin"
    assert set(found.denied) == {"ClusterRoleBinding"}
    assert "403" in found.denied["ClusterRoleBinding"]
    assert "cannot list resource" in found.denied["ClusterRoleBinding"]
    assert all(auth.lower() == f"bearer {TOKEN}".lower() for _, _, auth in api.requests)
    pod_calls = [q for p, q, _ in api.requests if p == "/api/v1/pods"]
    assert len(pod_calls) == 3 and all(q["limit"] == ["2"] for q in pod_calls)
    assert "continue" not in pod_calls[0] and all("continue" in q for q in pod_calls[1:])
    served = {
        (
            RESPONSES[p]["kind"][: -len("List")],
            i["metadata"].get("namespace", ""),
            i["metadata"]["name"],
        )
        for p, listing in RESPONSES.items()
        if p != DENIED
        for i in listing["items"]
    }
    assert {key(o) for o in found.objects} == served - OWNED
    assert found.skipped_owned == len(OWNED)
    # the orphan ReplicaSet, the bare pod and the pod whose owner is gone are judged
    assert {("ReplicaSet", "legacy", "old-api"), ("Pod", "legacy", "debug")} <= served - OWNED
    assert ("Pod", "legacy", "stray-6f5d4-abcde") in {key(o) for o in found.objects}
    for obj in found.objects:
        assert "managedFields" not in obj["metadata"]
        assert list(obj)[:2] == ["apiVersion", "kind"]
    web = next(o for o in found.objects if key(o) == ("Deployment", "shop", "web"))
    assert web["apiVersion"] == "apps/v1" and web["status"]["availableReplicas"] == 2


def _write_manifests(folder: Path) -> None:
    """The served objects as manifest files (apiVersion/kind from the list, owned ones
    left out, managedFields kept: checks must not read it)."""
    for path, listing in RESPONSES.items():
        if path == DENIED:
            continue
        kind = listing["kind"][: -len("List")]
        docs = [
            {"apiVersion": listing["apiVersion"], "kind": kind, **item}
            for item in listing["items"]
            if (kind, item["metadata"].get("namespace", ""), item["metadata"]["name"]) not in OWNED
        ]
        if docs:
            (folder / f"{kind}.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))


def verdicts(findings: tuple[Finding, ...]) -> set[tuple[str, str, str, str, str]]:
    return {
        (
            f.rule_id,
            f.resource.attributes.get("kind", ""),
            f.resource.attributes.get("namespace", ""),
            f.resource.attributes.get("object_name", f.resource.name),
            f.status.value,
        )
        for f in findings
    }


def test_cluster_scan_equals_the_manifest_scan_of_the_same_objects(
    kubeconfig: Path, tmp_path: Path
) -> None:
    live = run_cluster_scan(
        ClusterScanRequest(target=ClusterTarget(kubeconfig=kubeconfig), include_passed=True)
    )
    files = tmp_path / "manifests"
    files.mkdir()
    _write_manifests(files)
    offline = run_k8s_scan(K8sScanRequest(path=files, include_passed=True))
    assert live.check_ids == offline.check_ids and len(live.check_ids) >= 44
    assert verdicts(live.report.findings) == verdicts(offline.report.findings)
    assert len(live.report.findings) > 200
    report = live.report
    assert any("cannot list ClusterRoleBinding" in n.message for n in report.notices)
    assert report.stats["skipped_owned"] == len(OWNED) and report.stats["kinds_denied"] == 1
    debug = next(
        f
        for f in report.findings
        if f.rule_id == "k8s_pss_privileged" and f.resource.attributes["object_name"] == "debug"
    )
    assert debug.status.value == "open"
    assert debug.provenance.source == "cluster:lab-admin/legacy/Pod/debug"
    assert debug.evidence["file"] == "cluster:lab-admin/legacy/Pod/debug"
    pss = {
        f.resource.attributes["object_name"]: f.status.value
        for f in report.findings
        if f.rule_id == "k8s_namespace_pss_enforced"
    }
    assert pss == {"shop": "pass", "legacy": "open"}  # kube-system is not a user namespace
    boundaries = [f for f in report.findings if f.rule_id == "k8s_namespaces_as_boundaries"]
    assert [f.status.value for f in boundaries] == ["pass"]


def test_namespaces_narrow_the_namespaced_lists(api: ApiServer, kubeconfig: Path) -> None:
    found = list_objects(ClusterTarget(kubeconfig=kubeconfig, namespaces=("shop",)))
    paths = {p for p, _, _ in api.requests}
    assert "/api/v1/namespaces/shop/pods" in paths and "/api/v1/pods" not in paths
    namespaces = {o["metadata"].get("namespace") for o in found.objects}
    assert namespaces == {"shop", None}  # None: Namespace and ClusterRole objects
    assert {key(o) for o in found.objects if o["kind"] == "Namespace"} == {
        ("Namespace", "", "shop")
    }


def test_no_token_is_unauthorized(api: ApiServer, kubeconfig: Path) -> None:
    with pytest.raises(ClusterError, match="401"):
        list_objects(ClusterTarget(kubeconfig=kubeconfig, context="lab-anon"))
    assert api.requests and not any(auth for _, _, auth in api.requests)
    with pytest.raises(ClusterError, match="no context 'nope'"):
        list_objects(ClusterTarget(kubeconfig=kubeconfig, context="nope"))


def test_a_kind_not_served_is_a_notice_other_errors_stop(api: ApiServer, kubeconfig: Path) -> None:
    not_found = json.dumps(status_doc(404, "NotFound", "the server could not find it")).encode()
    api.override["/apis/batch/v1/cronjobs"] = (404, not_found)
    found = list_objects(ClusterTarget(kubeconfig=kubeconfig))
    assert (
        set(found.denied) == {"ClusterRoleBinding", "CronJob"} and "404" in found.denied["CronJob"]
    )
    assert not [o for o in found.objects if o["kind"] == "CronJob"]
    # the Job's owner was not read, so the Job is judged itself
    assert ("Job", "legacy", "report-29404980") in {key(o) for o in found.objects}
    api.override["/api/v1/pods"] = (500, b'{"kind":"Status","code":500}')
    with pytest.raises(ClusterError, match="HTTP 500"):
        list_objects(ClusterTarget(kubeconfig=kubeconfig))
    api.override["/api/v1/pods"] = (200, b"<html>a proxy login page</html>")
    with pytest.raises(ClusterError, match="not JSON"):
        list_objects(ClusterTarget(kubeconfig=kubeconfig))
    with pytest.raises(ClusterError, match="does not exist"):
        list_objects(ClusterTarget(kubeconfig=kubeconfig.with_name("absent")))


def test_in_cluster_config_when_there_is_no_kubeconfig(
    api: ApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kubernetes.config import incluster_config

    api.override.clear()
    token = tmp_path / "token"
    token.write_text(TOKEN)
    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(token))
    monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", str(api.ca_file))
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.kube/config
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(api.port))
    found = list_objects(ClusterTarget())
    assert found.context == "in-cluster" and found.objects
    assert provenance_of(found.objects, "debug") == "cluster:in-cluster/legacy/Pod/debug"


def provenance_of(objects: list[dict[str, Any]], name: str) -> str:
    return cluster.provenance(
        "in-cluster", next(o for o in objects if o["metadata"]["name"] == name)
    )


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command()(scan_k8s)
    return app


def test_cli_cluster_scan_and_clear_errors(kubeconfig: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "r.json"
    args = ["--cluster", "--kubeconfig", str(kubeconfig), "-f", "json", "-o", str(out)]
    result = runner.invoke(_cli(), args)
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["target"]["attributes"]["cluster"] == "lab-admin"
    assert runner.invoke(_cli(), [*args, "--fail-on", "high"]).exit_code == 1
    sarif_out = tmp_path / "r.sarif"
    base = ["--cluster", "--kubeconfig", str(kubeconfig)]
    result = runner.invoke(_cli(), [*base, "-f", "sarif", "-o", str(sarif_out)])
    assert result.exit_code == 0, result.output
    run = json.loads(sarif_out.read_text())["runs"][0]
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    }
    assert "cluster:lab-admin/legacy/Pod/debug" in uris
    assert any(
        "ClusterRoleBinding" in n["message"]["text"]
        for n in run["invocations"][0]["toolExecutionNotifications"]
    )
    both = runner.invoke(_cli(), [str(tmp_path), "--cluster"])
    assert both.exit_code == 2 and "exactly one" in both.output
    assert runner.invoke(_cli(), []).exit_code == 2
    assert runner.invoke(_cli(), [str(tmp_path), "--context", "x"]).exit_code == 2
    anon = runner.invoke(
        _cli(), ["--cluster", "--kubeconfig", str(kubeconfig), "--context", "lab-anon"]
    )
    assert anon.exit_code == 2 and "401" in anon.output
    closed = kubeconfig.read_text().replace(
        f"127.0.0.1:{kubeconfig_port(kubeconfig)}", "127.0.0.1:9"
    )
    dead = tmp_path / "dead-kubeconfig"
    dead.write_text(closed)
    unreachable = runner.invoke(_cli(), ["--cluster", "--kubeconfig", str(dead)])
    assert unreachable.exit_code == 2 and "cannot reach" in unreachable.output


def kubeconfig_port(path: Path) -> int:
    server = yaml.safe_load(path.read_text())["clusters"][0]["cluster"]["server"]
    return int(server.rsplit(":", 1)[1])


def test_new_cis_requirements_judged_and_manual_ones_reported_manual() -> None:
    framework = load_k8s_framework("cis_k8s_1.10")
    checks = {r.id: r.checks for r in framework.requirements}
    assert list(checks["5.2.1"]) == ["k8s_namespace_pss_enforced"]
    assert list(checks["5.7.1"]) == ["k8s_namespaces_as_boundaries"]
    for check_id in ("k8s_namespace_pss_enforced", "k8s_namespaces_as_boundaries"):
        for name, status in (("pass.yaml", "pass"), ("fail.yaml", "open")):
            path = FIXTURES / "checks" / check_id / name
            request = K8sScanRequest(path=path, framework="cis_k8s_1.10", include_passed=True)
            report = run_k8s_scan(request).report
            got = {f.status.value for f in report.findings if f.rule_id == check_id}
            assert status in got, (check_id, name, got)
            if status == "pass":
                assert "open" not in got
    report = run_k8s_scan(
        K8sScanRequest(
            path=FIXTURES / "checks" / "k8s_namespace_pss_enforced" / "fail.yaml",
            framework="cis_k8s_1.10",
        )
    ).report
    summary = framework_summary(framework, list(report.findings), evaluated=report.evaluated)
    for manual in ("5.3.1", "5.4.2", "5.5.1"):
        assert summary.status_of(manual) == RequirementStatus.MANUAL
        assert not checks[manual]
    judged = next(r for r in summary.requirements if r.id == "5.2.1")
    assert judged.failed == 2 and judged.passed == 0  # shop (privileged) and billing (no label)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["kind", "metadata", "spec", "apiVersion"]),
            st.recursive(
                st.none() | st.booleans() | st.text(max_size=8) | st.integers(),
                lambda c: (
                    st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3)
                ),
                max_leaves=12,
            ),
        ),
        max_size=6,
    )
)
def test_odd_items_never_crash_the_conversion(items: list[dict[str, Any]]) -> None:
    objects = [cluster.normalize(i, "v1", "Pod") for i in items]
    kept, skipped = skip_owned(objects)
    assert len(kept) + skipped == len(objects)
    found = cluster.ClusterObjects(context="c", objects=kept)
    assert len(cluster.to_resources(found).resources) == len(kept)
