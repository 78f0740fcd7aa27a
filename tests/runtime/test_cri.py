"""Container metadata from CRI-O's info endpoint and Docker's Engine API, and the chain
that merges them with the kubelet's. Neither CRI-O nor Docker (nor a kubelet) can run
on this machine, so RECORDED answers in their documented shapes (CRI-O's
``types.ContainerInfo`` for ``GET /containers/{id}``; ``docker inspect`` for ``GET
/containers/{id}/json``) are served over real unix sockets; the fields the ``syscall``
source's getters return for a thread in the container's cgroup are the assertion."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.runtime.cri import (
    CrioClient,
    DockerClient,
    agent_metadata,
    parse_crio_info,
    parse_docker_inspect,
)
from mamori.runtime.kubelet import KubeletClient
from mamori.runtime.metadata import MetadataChain, find_full_id, merge
from mamori.runtime.podman import ContainerMetadata
from mamori.runtime.state.container_meta import ContainerInfo
from tests.runtime.test_kubelet_helpers import (
    POD_UID,
    Route,
    Served,
    exec_event,
    http_server,
    pipeline,
    settle,
    unix_server,
)

CRIO_ID = "8f3e2d1c0b9a8f7e6d5c4b3a29180f7e6d5c4b3a2918f7e6d5c4b3a291807f6e"
SANDBOX = "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b"
DOCKER_ID = "4b1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f"
CRIO_CGROUP = ("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"
               f"{POD_UID.replace('-', '_')}.slice/crio-{CRIO_ID}.scope")  # fmt: skip
FIELDS = ("container.id", "container.name", "container.image", "container.image.id",
          "container.type", "container.ip", "container.privileged",
          "container.mount.source[/host/etc]", "k8s.ns.name", "k8s.pod.name", "k8s.pod.uid",
          "k8s.pod.sandbox_id", "k8s.pod.label[app]", "k8s.pod.labels")  # fmt: skip
VOLUMES: list[dict[str, Any]] = [
    {"container_path": "/etc/hosts", "host_path": f"/var/lib/kubelet/pods/{POD_UID}/etc-hosts",
     "readonly": False, "propagation": 0, "selinux_relabel": False},
    {"container_path": "/var/run/secrets/kubernetes.io/serviceaccount",
     "host_path": f"/var/lib/kubelet/pods/{POD_UID}/volumes/kubernetes.io~projected/kube-api",
     "readonly": True, "propagation": 0, "selinux_relabel": False},
    {"container_path": "/host/etc", "host_path": "/etc", "readonly": True, "propagation": 1,
     "selinux_relabel": False},
]  # fmt: skip


def crio_info() -> dict[str, Any]:
    """CRI-O 1.28's answer to ``GET /containers/<id>`` for a pod's container."""
    name = f"k8s_api_api-5f7d9c8b7-qm2ts_payments_{POD_UID}_0"
    image_ref = "3f0c4c8e2b1a9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c"
    return {
        "name": name, "pid": 41872, "image": "quay.io/example/api:2.4.1",
        "image_ref": image_ref, "created_time": 1764439331123456789,
        "labels": {"io.kubernetes.container.name": "api",
                   "io.kubernetes.pod.name": "api-5f7d9c8b7-qm2ts",
                   "io.kubernetes.pod.namespace": "payments", "io.kubernetes.pod.uid": POD_UID},
        "annotations": {"io.kubernetes.container.hash": "8a1b2c3d",
                        "io.kubernetes.container.restartCount": "0",
                        "io.kubernetes.container.terminationMessagePath": "/dev/termination-log",
                        "io.kubernetes.container.terminationMessagePolicy": "File",
                        "io.kubernetes.pod.terminationGracePeriod": "30"},
        "crio_annotations": {"io.container.manager": "cri-o",
                             "io.kubernetes.cri-o.ContainerID": CRIO_ID,
                             "io.kubernetes.cri-o.ContainerType": "container",
                             "io.kubernetes.cri-o.Image": image_ref,
                             "io.kubernetes.cri-o.ImageName": "quay.io/example/api:2.4.1",
                             "io.kubernetes.cri-o.ImageRef": image_ref,
                             "io.kubernetes.cri-o.IP.0": "10.85.0.14",
                             "io.kubernetes.cri-o.Name": name,
                             "io.kubernetes.cri-o.SandboxID": SANDBOX,
                             "io.kubernetes.cri-o.Volumes": json.dumps(VOLUMES)},
        "log_path": f"/var/log/pods/payments_api-5f7d9c8b7-qm2ts_{POD_UID}/api/0.log",
        "root": "/var/lib/containers/storage/overlay/9c1d0e/merged",
        "sandbox": SANDBOX, "ip_addresses": ["10.85.0.14"],
    }  # fmt: skip


def docker_inspect(kubernetes: bool) -> dict[str, Any]:
    """``GET /containers/<id>/json`` (Docker 24): a cri-dockerd pod container, or a plain
    one."""
    pod = {"io.kubernetes.container.name": "api", "io.kubernetes.docker.type": "container",
           "io.kubernetes.pod.name": "api-5f7d9c8b7-qm2ts",
           "io.kubernetes.pod.namespace": "payments", "io.kubernetes.pod.uid": POD_UID,
           "io.kubernetes.sandbox.id": SANDBOX}  # fmt: skip
    compose = {"com.docker.compose.project": "shop", "com.docker.compose.service": "cache"}
    labels = pod if kubernetes else compose
    return {
        "Id": DOCKER_ID, "Created": "2026-11-29T18:02:11.1234Z", "Path": "redis-server",
        "Args": [], "State": {"Status": "running", "Running": True, "Pid": 51234},
        "Image": "sha256:" + "7e" * 32,
        "Name": f"/k8s_api_api-5f7d9c8b7-qm2ts_payments_{POD_UID}_0" if kubernetes else "/cache",
        "RestartCount": 0, "Driver": "overlay2", "Platform": "linux",
        "HostConfig": {"Binds": ["/etc:/host/etc:ro"], "NetworkMode": "default",
                       "Privileged": not kubernetes, "ReadonlyRootfs": False},
        "Mounts": [{"Type": "bind", "Source": "/etc", "Destination": "/host/etc", "Mode": "ro",
                    "RW": False, "Propagation": "rprivate"}],
        "Config": {"Hostname": "4b1f0e9d8c7b", "Image": "redis:7.2", "Labels": labels,
                   "Env": ["PATH=/usr/local/sbin"], "Cmd": ["redis-server"]},
        "NetworkSettings": {"IPAddress": "" if kubernetes else "172.17.0.3",
                            "Networks": {"bridge": {"IPAddress": "172.17.0.3"}}},
    }  # fmt: skip


@pytest.fixture
def sockets(tmp_path: Path) -> Iterator[tuple[Path, Path, Served]]:
    served = Served()
    served.json(f"/containers/{CRIO_ID}", crio_info())
    served.json(f"/containers/{DOCKER_ID}/json", docker_inspect(False))
    served.json(f"/containers/{DOCKER_ID[:12]}/json", docker_inspect(False))
    with unix_server(served, tmp_path / "crio.sock") as crio:
        other = Served(routes=served.routes, seen=served.seen, stop=served.stop)
        with unix_server(other, tmp_path / "docker.sock") as docker:
            yield crio, docker, served


def test_recorded_crio_info() -> None:
    info = parse_crio_info(crio_info(), CRIO_ID)
    assert info is not None
    assert (info.id, info.type, info.name, info.image, info.ip) == (
        CRIO_ID[:12], "cri-o", "api", "quay.io/example/api:2.4.1", "10.85.0.14")  # fmt: skip
    assert (info.image_repository, info.image_tag) == ("quay.io/example/api", "2.4.1")
    assert info.image_id == crio_info()["image_ref"] and info.privileged is None
    assert [(m["Source"], m["Destination"], m["RW"], m["Propagation"]) for m in info.mounts] == [
        (v["host_path"], v["container_path"], str(not v["readonly"]).lower(),
         ["rprivate", "rslave"][int(v["propagation"])]) for v in VOLUMES]  # fmt: skip
    assert info.labels["io.kubernetes.sandbox.id"] == SANDBOX
    old = {k: v for k, v in crio_info().items() if k not in ("ip_addresses", "crio_annotations")}
    old["ip_address"] = "10.88.0.4"  # CRI-O < 1.19: one address, annotations in one map
    info = parse_crio_info(old, CRIO_ID)
    assert info is not None and info.ip == "10.88.0.4" and info.mounts == ()


def test_recorded_docker_inspect() -> None:
    pod = parse_docker_inspect(docker_inspect(True))
    plain = parse_docker_inspect(docker_inspect(False))
    assert pod is not None and plain is not None
    assert (pod.type, pod.name, pod.image, pod.privileged) == ("docker", "api", "redis:7.2", False)
    assert (plain.name, plain.ip, plain.privileged) == ("cache", "172.17.0.3", True)
    assert plain.image_id == "7e" * 32 and plain.labels["com.docker.compose.service"] == "cache"
    assert plain.mounts[0] == {"Source": "/etc", "Destination": "/host/etc", "Mode": "ro",
                               "RW": "false", "Propagation": "rprivate"}  # fmt: skip


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["name", "image", "image_ref", "labels", "annotations", "sandbox",
                         "crio_annotations", "ip_addresses", "ip_address", "pid",
                         "io.kubernetes.cri-o.Volumes", "Id", "Config", "Mounts", "x"]),
        inner, max_size=6),
    max_leaves=40,
)  # fmt: skip


@given(JSON, st.text(max_size=20))
@settings(max_examples=300, deadline=None)
def test_parsers_never_crash(doc: object, volumes: str) -> None:
    info = parse_crio_info(doc, CRIO_ID)
    assert info is None or info.id == CRIO_ID[:12]
    parse_docker_inspect(doc)
    crio = crio_info()
    crio["crio_annotations"]["io.kubernetes.cri-o.Volumes"] = volumes
    assert parse_crio_info(crio, CRIO_ID) is not None


def test_clients_over_unix_sockets(sockets: tuple[Path, Path, Served]) -> None:
    crio_sock, docker_sock, served = sockets
    crio, docker = CrioClient(crio_sock), DockerClient(docker_sock)
    info = crio.inspect(CRIO_ID)
    assert info is not None and info.name == "api"
    assert crio.inspect(CRIO_ID[:12]) is None  # CRI-O looks ids up exactly: not asked
    assert crio.inspect("ab" * 32) is None  # 404: unknown
    assert [p for p, _ in served.seen] == [f"/containers/{CRIO_ID}", f"/containers/{'ab' * 32}"]
    found = docker.inspect(DOCKER_ID[:12])
    assert found is not None and found.name == "cache"
    assert docker.inspect("../../x") is None
    assert CrioClient(crio_sock.parent / "absent.sock").inspect(CRIO_ID) is None
    served.routes[f"/containers/{CRIO_ID}"] = Route(body=b"x" * (5 << 20), length=False)
    assert crio.inspect(CRIO_ID) is None  # over the 4 MiB bound
    served.routes[f"/containers/{CRIO_ID}"] = Route(body=b'{"labels": [')
    assert crio.inspect(CRIO_ID) is None
    served.routes[f"/containers/{CRIO_ID}"] = Route(body=b"{}", delay=5)
    started = time.monotonic()
    assert CrioClient(crio_sock, timeout=0.2).inspect(CRIO_ID) is None
    assert time.monotonic() - started < 1.0
    crio.close()
    docker.close()


def test_merge_keeps_the_first_answer_and_fills_gaps() -> None:
    first = ContainerInfo("abc", "cri-o", "api", ip="", labels={"a": "1"})
    second = ContainerInfo("abc", "containerd", "other", "img:1", ip="10.0.0.1", privileged=True,
                           labels={"a": "2", "b": "3"})  # fmt: skip
    merged = merge(first, second)
    assert (merged.type, merged.name, merged.image, merged.ip, merged.privileged) == (
        "cri-o", "api", "img:1", "10.0.0.1", True)  # fmt: skip
    assert merged.labels == {"a": "1", "b": "3"} and first.labels == {"a": "1"}


def test_full_ids_from_the_cgroup_tree(tmp_path: Path) -> None:
    scope = tmp_path / "kubepods.slice" / "kubepods-pod1.slice" / f"crio-{CRIO_ID}.scope"
    scope.mkdir(parents=True)
    (tmp_path / "kubepods.slice" / f"crio-conmon-{SANDBOX}.scope").mkdir()
    assert find_full_id(CRIO_ID[:12], [tmp_path]) == CRIO_ID
    assert find_full_id(SANDBOX[:12], [tmp_path]) == SANDBOX
    assert find_full_id("0" * 12, [tmp_path]) is None
    assert find_full_id(CRIO_ID[:12], [tmp_path], max_dirs=1) is None  # bounded
    assert find_full_id("../", [tmp_path]) is None


def test_crio_pod_fields_through_the_agent(
    sockets: tuple[Path, Path, Served], tmp_path: Path
) -> None:
    """A CRI-O node without a kubelet source: the k8s fields from CRI-O's labels (no pod
    labels: the CRI puts those on the sandbox), the short id expanded from the cgroup
    tree, ``agent_metadata`` as ``mamori agent`` builds it."""
    crio_sock, docker_sock, _ = sockets
    (tmp_path / "cg" / CRIO_CGROUP.removeprefix("0::/")).mkdir(parents=True)
    metadata = agent_metadata(tmp_path / "no-podman.sock", crio_sock, docker_sock, env={})
    assert isinstance(metadata.client, MetadataChain) and metadata.retry_after == 30.0
    metadata.client.cgroup_roots = [tmp_path / "cg"]
    agent, sensor, rows = pipeline(FIELDS, CRIO_CGROUP, metadata)
    sensor.batches = [[exec_event(CRIO_CGROUP, 1_000, 700)]]
    agent.poll(0)
    settle(agent, CRIO_ID[:12])
    sensor.batches = [[exec_event(CRIO_CGROUP, 2_000, 701)]]
    agent.poll(0)
    assert rows[-1] == {
        "container.id": CRIO_ID[:12], "container.name": "api",
        "container.image": "quay.io/example/api:2.4.1",
        "container.image.id": crio_info()["image_ref"], "container.type": "cri-o",
        "container.ip": "10.85.0.14", "container.privileged": None,
        "container.mount.source[/host/etc]": "/etc", "k8s.ns.name": "payments",
        "k8s.pod.name": "api-5f7d9c8b7-qm2ts", "k8s.pod.uid": POD_UID,
        "k8s.pod.sandbox_id": SANDBOX[:12], "k8s.pod.label[app]": None,
        "k8s.pod.labels": None,
    }  # fmt: skip
    agent.stop()


def test_chain_merges_crio_with_the_kubelet(sockets: tuple[Path, Path, Served]) -> None:
    """CRI-O first (mounts, image id), the kubelet (over its read-only port here) fills
    the pod labels and privileged; the kubelet also expands the short id for CRI-O."""
    crio_sock, docker_sock, _ = sockets
    pods = Served()
    pods.json("/pods", {"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": [{
        "metadata": {"name": "api-5f7d9c8b7-qm2ts", "namespace": "payments", "uid": POD_UID,
                     "labels": {"app": "api", "team": "payments"}},
        "spec": {"containers": [{"name": "api", "image": "quay.io/example/api:2.4.1",
                                 "securityContext": {"privileged": False}}]},
        "status": {"podIP": "10.85.0.14", "containerStatuses": [{
            "name": "api", "image": "quay.io/example/api:2.4.1",
            "imageID": "quay.io/example/api@sha256:" + "5d" * 32,
            "containerID": f"cri-o://{CRIO_ID}", "state": {"running": {}}}]}}]})  # fmt: skip
    with http_server(pods) as url:
        chain = MetadataChain([CrioClient(crio_sock), DockerClient(docker_sock),
                               KubeletClient(url)], cgroup_roots=[])  # fmt: skip
        meta = ContainerMetadata(chain)
        meta.request(CRIO_ID[:12])
        (info,) = meta.wait(5.0)
        meta.close()
    assert (info.type, info.name, info.privileged, info.image_digest) == (
        "cri-o", "api", False, "sha256:" + "5d" * 32)  # fmt: skip
    assert info.labels["app"] == "api" and info.labels["io.kubernetes.sandbox.id"] == SANDBOX
    assert info.mounts[2]["Source"] == "/etc" and len(info.mounts) == 3  # CRI-O's, whole
    assert chain.inspect("0" * 12) is None and chain.inspect("../x") is None


class _Broken:
    timeout = 0.1

    def inspect(self, container_id: str) -> ContainerInfo | None:
        raise RuntimeError("a source's bug")

    def full_id(self, short_id: str) -> str | None:
        raise RuntimeError("a source's bug")

    def close(self) -> None:
        return None


def test_agent_sources_order_and_a_broken_source(sockets: tuple[Path, Path, Served]) -> None:
    crio_sock, docker_sock, _ = sockets
    meta = agent_metadata(Path("/nonexistent/podman.sock"), crio_sock, docker_sock,
                          "http://127.0.0.1:9", env={})  # fmt: skip
    assert isinstance(meta.client, MetadataChain) and meta.retry_after == 5.0
    kinds = [type(c).__name__ for c in meta.client.clients]
    assert kinds == ["CrioClient", "DockerClient", "PodmanClient", "KubeletClient"]
    pod_env = {"NODE_NAME": "node-a", "KUBERNETES_SERVICE_HOST": "10.96.0.1"}
    in_pod = agent_metadata(Path("/nonexistent"), env=pod_env)
    assert isinstance(in_pod.client, MetadataChain)
    assert in_pod.client.clients[-1].url == "https://node-a:10250"  # type: ignore[attr-defined]
    chain = MetadataChain([_Broken(), CrioClient(crio_sock)], cgroup_roots=[])
    assert chain.inspect(CRIO_ID) is not None  # the broken source costs nothing else
    assert chain.inspect(CRIO_ID[:12]) is None  # no source knows the full id
    assert chain.timeout == pytest.approx(1.1)
