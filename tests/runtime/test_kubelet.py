"""Pod metadata from the kubelet's ``GET /pods``. A real kubelet cannot run here (no
cluster, no container runtime behind it), so a recorded PodList in the kubelet's exact
shape is served by a real HTTPS server on 127.0.0.1 (a CA made by the test, the bearer
token checked, 401 otherwise); the values the ``syscall`` source's getters return for a
thread in that pod's cgroup are the assertion, through the real agent pipeline. Failure
cases: kubelet down, 401, bad JSON, slow and dripping servers, huge answers, unknown
containers."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.runtime.kubelet import (
    KubeletClient,
    default_url,
    kubelet_from_options,
    parse_pod_list,
    split_container_id,
)
from mamori.runtime.podman import ContainerMetadata
from tests.runtime.test_kubelet_helpers import (
    DEBUG,
    INIT,
    KUBEPODS,
    NGINX,
    POD_UID,
    SIDECAR,
    TOKEN,
    Route,
    Served,
    exec_event,
    http_server,
    https_server,
    make_ca,
    pipeline,
    pod_list,
    settle,
)

FIELDS = ("container.id", "container.full_id", "container.name", "container.image",
          "container.image.repository", "container.image.tag", "container.image.digest",
          "container.type", "container.privileged", "container.ip",
          "container.mount.source[/host/*]",
          "k8s.ns.name", "k8s.pod.name", "k8s.pod.uid", "k8s.pod.labels", "k8s.pod.label[app]",
          "k8s.pod.label[io.kubernetes.pod.name]")  # fmt: skip


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, Path]:
    tmp = tmp_path_factory.mktemp("pki")
    ca, cert, key = make_ca(tmp)
    token = tmp / "token"
    token.write_text(TOKEN + "\n")
    return ca, cert, key, token


@pytest.fixture
def kubelet(pki: tuple[Path, Path, Path, Path]) -> Iterator[tuple[str, Served]]:
    served = Served(token=TOKEN)
    served.json("/pods", pod_list())
    with https_server(served, pki[1], pki[2]) as url:
        yield url, served


def _client(url: str, pki: tuple[Path, Path, Path, Path], **kw: Any) -> KubeletClient:
    return KubeletClient(url, token_file=pki[3], ca_file=pki[0], **kw)


def test_recorded_pod_list_maps_every_container() -> None:
    found = parse_pod_list(pod_list())
    assert set(found) == {NGINX, INIT, DEBUG, SIDECAR}  # the waiting container has no id
    web = found[NGINX]
    assert (web.id, web.type, web.name, web.ip) == (NGINX[:12], "containerd", "nginx",
                                                     "10.244.1.23")  # fmt: skip
    assert web.image == "docker.io/library/nginx:1.25.3"
    assert (web.image_repository, web.image_tag, web.image_digest) == (
        "docker.io/library/nginx", "1.25.3", "sha256:" + "ab" * 32)  # fmt: skip
    assert web.privileged is True and found[INIT].privileged is None
    assert web.mounts == ({"Source": "/var/log", "Destination": "/host/var/log", "Mode": "",
                           "RW": "false", "Propagation": "rslave"},)  # fmt: skip
    assert web.labels == {
        "io.kubernetes.pod.name": "web-6d4cf56db6-x7k2p", "io.kubernetes.pod.namespace": "shop",
        "io.kubernetes.pod.uid": POD_UID, "io.kubernetes.container.name": "nginx",
        "app": "web", "pod-template-hash": "6d4cf56db6", "tier": "frontend"}  # fmt: skip
    assert found[INIT].name == "migrate" and found[DEBUG].name == "debugger-w2x8z"
    assert found[INIT].image_repository == "registry.example:5000/shop/migrate"
    assert found[SIDECAR].labels["io.kubernetes.pod.name"] == "db-0"


def test_container_ids_of_every_runtime() -> None:
    doc: Any = pod_list()
    (status,) = doc["items"][0]["status"]["containerStatuses"]
    status["containerID"] = f"docker://{NGINX}"  # dockershim / cri-dockerd statuses
    status["imageID"] = "docker-pullable://nginx@sha256:" + "12" * 32
    info = parse_pod_list(doc)[NGINX]
    assert (info.type, info.image_digest, info.image_id) == ("docker", "sha256:" + "12" * 32, "")
    status["imageID"] = "docker://sha256:" + "34" * 32  # a local image: its id, no digest
    status["image"] = "nginx:local"
    info = parse_pod_list(doc)[NGINX]
    assert (info.image_id, info.image_digest, info.image_tag) == ("34" * 32, "", "local")
    assert split_container_id(f"cri-o://{NGINX}") == ("cri-o", NGINX)
    assert split_container_id(f"docker://{NGINX}") == ("docker", NGINX)
    assert split_container_id(NGINX) == ("", "")  # no scheme: not a status containerID
    assert split_container_id("containerd://../../etc") == ("", "")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["kind", "items", "metadata", "spec", "status", "containerStatuses",
                         "containerID", "name", "labels", "volumes", "volumeMounts",
                         "hostPath", "containers", "securityContext", "image", "x"]),
        inner, max_size=6),
    max_leaves=40,
)  # fmt: skip


@given(JSON)
@settings(max_examples=300, deadline=None)
def test_parse_pod_list_never_crashes(doc: object) -> None:
    for cid, info in parse_pod_list(doc).items():
        assert info.id == cid[:12] and all(isinstance(v, str) for v in info.labels.values())


@given(st.integers(0, 3), st.sampled_from(list(json.dumps(pod_list())[:4000])))
@settings(max_examples=60, deadline=None)
def test_parse_pod_list_survives_mangled_pods(index: int, char: str) -> None:
    doc: Any = pod_list()
    doc["items"][0]["status"]["containerStatuses"][0]["containerID"] = char * index
    doc["items"][0]["spec"]["volumes"] = [char] * index
    parse_pod_list(doc)


def test_https_with_token_and_ca(
    kubelet: tuple[str, Served], pki: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, served = kubelet
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # never used: no token to it
    client = _client(url, pki)
    info = client.inspect(NGINX[:12])
    assert info is not None and info.name == "nginx"
    assert served.seen == [("/pods", f"Bearer {TOKEN}")]
    assert client.full_id(NGINX[:12]) == NGINX and client.inspect(NGINX) is not None
    assert client.inspect("f" * 12) is None  # unknown (asked within min_refresh: no fetch)
    assert len(served.seen) == 1
    assert client.inspect("../../x") is None
    client.close()


def test_tls_is_verified_by_default(kubelet: tuple[str, Served], pki: Any) -> None:
    url, served = kubelet
    strict = KubeletClient(url, token_file=pki[3])  # the system CAs: the test CA is unknown
    assert strict.inspect(NGINX[:12]) is None and "SSL" in strict.last_error.upper()
    assert served.seen == []  # the token never left: the handshake failed first
    loose = KubeletClient(url, token_file=pki[3], insecure=True)  # --kubelet-insecure
    assert loose.inspect(NGINX[:12]) is not None


def test_wrong_token_is_401_and_never_logged(
    kubelet: tuple[str, Served], pki: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url, served = kubelet
    wrong = tmp_path / "token"
    wrong.write_text("not-the-token-s3cr3t")
    client = KubeletClient(url, token_file=wrong, ca_file=pki[0], min_refresh=60)
    with caplog.at_level(logging.DEBUG):
        assert client.inspect(NGINX[:12]) is None
        assert client.inspect(NGINX[:12]) is None  # rate-limited: not asked again
    assert "401" in client.last_error and "nodes/pods" in client.last_error
    assert len(served.seen) == 1 and client.errors == 1
    assert "s3cr3t" not in caplog.text and TOKEN not in caplog.text
    assert "401" in caplog.text
    wrong.write_text("s3cr3t\nwith\x01control")  # a broken file: never quoted anywhere
    client = KubeletClient(url, token_file=wrong, ca_file=pki[0])
    with caplog.at_level(logging.DEBUG):
        assert client.inspect(NGINX[:12]) is None
    assert "no usable token" in client.last_error and "s3cr3t" not in caplog.text
    assert len(served.seen) == 1  # not sent


def test_token_never_goes_over_plain_http(pki: Any) -> None:
    served = Served()
    served.json("/pods", pod_list())
    with http_server(served) as url:  # the read-only port (10255)
        client = KubeletClient(url, token_file=pki[3])
        assert client.inspect(NGINX[:12]) is not None
    assert served.seen == [("/pods", None)]


def test_new_containers_refresh_the_list_rate_limited(
    kubelet: tuple[str, Served], pki: Any
) -> None:
    url, served = kubelet
    doc: Any = pod_list()
    doc["items"] = doc["items"][:1]
    served.json("/pods", doc)
    client = _client(url, pki, min_refresh=0.3)
    assert client.inspect(NGINX[:12]) is not None and client.inspect(SIDECAR[:12]) is None
    assert client.fetches == 1  # the miss came right after a fetch: not asked again yet
    served.json("/pods", pod_list())  # the kubelet now reports the second pod
    time.sleep(0.35)
    assert client.inspect(SIDECAR[:12]) is not None and client.fetches == 2
    client.max_age = 0.0  # periodic refresh: an old list is fetched again even on a hit
    time.sleep(0.35)
    assert client.inspect(NGINX[:12]) is not None and client.fetches == 3


def test_kubelet_down_is_unknown_and_fast(pki: Any) -> None:
    client = KubeletClient("https://127.0.0.1:9", token_file=pki[3], ca_file=pki[0])
    started = time.monotonic()
    assert client.inspect(NGINX[:12]) is None
    assert client.inspect(INIT[:12]) is None  # within min_refresh: no second connect
    assert time.monotonic() - started < 1.0 and client.fetches == 1
    assert "ConnectError" in client.last_error


@pytest.mark.parametrize(("body", "error"), [
    (b"{not json", "JSONDecodeError"),
    (b'{"kind":"Status","status":"Failure"}', "not a PodList"),
    (b"\xff\xfe" * 10, "DecodeError"),  # read as UTF-16 by json, still not JSON
])  # fmt: skip
def test_bad_answers_are_unknown(
    kubelet: tuple[str, Served], pki: Any, body: bytes, error: str
) -> None:
    url, served = kubelet
    served.routes["/pods"] = Route(body=body)
    client = _client(url, pki)
    assert client.inspect(NGINX[:12]) is None
    assert error in client.last_error


def test_huge_answers_are_refused(kubelet: tuple[str, Served], pki: Any) -> None:
    url, served = kubelet
    big = json.dumps({**pod_list(), "padding": "x" * (1 << 20)}).encode()
    for announced in (True, False):  # Content-Length, or a body that just keeps coming
        served.routes["/pods"] = Route(body=big, length=announced)
        client = _client(url, pki, max_body=256 << 10)
        assert client.inspect(NGINX[:12]) is None
        assert "too large" in client.last_error


def test_slow_and_dripping_kubelets_time_out(kubelet: tuple[str, Served], pki: Any) -> None:
    url, served = kubelet
    body = json.dumps(pod_list()).encode()
    for route in (Route(body=body, delay=10), Route(body=body, drip=0.05)):
        served.routes["/pods"] = route
        client = _client(url, pki, timeout=0.3)
        started = time.monotonic()
        assert client.inspect(NGINX[:12]) is None
        assert time.monotonic() - started < 1.5, route  # 2 x timeout, whatever it sends
        assert "Timeout" in client.last_error


def test_k8s_fields_of_a_thread_in_the_pod(kubelet: tuple[str, Served], pki: Any) -> None:
    url, _served = kubelet
    agent, sensor, rows = pipeline(FIELDS, KUBEPODS, ContainerMetadata([_client(url, pki)]))
    sensor.batches = [[exec_event(KUBEPODS, 1_000, 500)]]
    agent.poll(0)
    assert rows[0]["container.id"] == NGINX[:12] and rows[0]["k8s.pod.uid"] == POD_UID
    assert rows[0]["container.name"] is None  # metadata not there yet (Falco: <NA> too)
    settle(agent, NGINX[:12])  # the answer is added by the agent, between batches
    sensor.batches = [[exec_event(KUBEPODS, 2_000, 501)]]
    agent.poll(0)
    assert rows[-1] == {
        "container.id": NGINX[:12], "container.full_id": NGINX[:12], "container.name": "nginx",
        "container.image": "docker.io/library/nginx:1.25.3",
        "container.image.repository": "docker.io/library/nginx", "container.image.tag": "1.25.3",
        "container.image.digest": "sha256:" + "ab" * 32, "container.type": "containerd",
        "container.privileged": True, "container.ip": "10.244.1.23",
        "container.mount.source[/host/*]": "/var/log",
        "k8s.ns.name": "shop", "k8s.pod.name": "web-6d4cf56db6-x7k2p", "k8s.pod.uid": POD_UID,
        "k8s.pod.labels": "app:web, pod-template-hash:6d4cf56db6, tier:frontend",
        "k8s.pod.label[app]": "web", "k8s.pod.label[io.kubernetes.pod.name]": None,
    }  # fmt: skip
    agent.stop()


def test_a_hung_kubelet_never_blocks_the_agent(kubelet: tuple[str, Served], pki: Any) -> None:
    url, served = kubelet
    served.routes["/pods"] = Route(body=b"{}", delay=10)
    agent, sensor, rows = pipeline(
        FIELDS, KUBEPODS, ContainerMetadata([_client(url, pki, timeout=1.0)])
    )
    slowest = 0.0
    for i in range(30):
        sensor.batches = [[exec_event(KUBEPODS, 1_000 + i, 600 + i)]]
        started = time.monotonic()
        agent.poll(0)
        slowest = max(slowest, time.monotonic() - started)
    assert slowest < 0.05 and len(rows) == 30  # the lookup waits on its own thread
    assert all(r["k8s.pod.name"] is None and r["k8s.pod.uid"] == POD_UID for r in rows)
    agent.stop()


def test_options_and_environment(tmp_path: Path) -> None:
    pod_env = {"NODE_NAME": "node-a", "KUBERNETES_SERVICE_HOST": "10.96.0.1"}
    assert default_url(pod_env) == "https://node-a:10250"
    assert default_url({"NODE_NAME": "node-a"}) is None  # not in a pod
    assert default_url({"NODE_NAME": "fd00::5", "KUBERNETES_SERVICE_HOST": "x"}) == (
        "https://[fd00::5]:10250")  # fmt: skip
    assert kubelet_from_options(None, env={}) is None
    assert kubelet_from_options("none", env=pod_env) is None
    client = kubelet_from_options(None, env=pod_env, ca_file=tmp_path / "ca.crt")
    assert client is not None and client.url == "https://node-a:10250"
    explicit = kubelet_from_options("http://10.0.3.17:10255/", env={})
    assert explicit is not None and explicit.url == "http://10.0.3.17:10255"
    with pytest.raises(ValueError, match="http"):
        kubelet_from_options("unix:///run/kubelet.sock", env={})
    with pytest.raises(ValueError, match="kubelet URL"):
        kubelet_from_options("https://[::1", env={})
    shown = KubeletClient("https://user:pw@node-a:10250/?token=x").shown
    assert shown == "https://node-a:10250"  # what the logs name
