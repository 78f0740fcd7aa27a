"""Per-container metadata from CRI-O's info endpoint and Docker's Engine API.

Both answer over a unix socket, only when it exists (so a node without that runtime
costs one ``stat`` per lookup):

- CRI-O (``/var/run/crio/crio.sock``): ``GET /containers/{id}`` is CRI-O's own
  inspect endpoint (``crictl`` is the CRI, this is the HTTP side of the same socket).
  It knows a container only by its full 64-hex id (`MetadataChain` expands short
  ids), and its answer has no id: ``name``, ``image``, ``image_ref``, ``labels`` (the
  CRI labels: ``io.kubernetes.pod.*``, ``io.kubernetes.container.name``),
  ``annotations`` / ``crio_annotations`` (``io.kubernetes.cri-o.Volumes``: the
  container's bind mounts as JSON), ``sandbox``, ``ip_addresses`` (``ip_address``
  before CRI-O 1.19).
- Docker (``/var/run/docker.sock``): ``GET /containers/{id}/json`` is ``docker
  inspect``, the document podman's compatible API also serves, so it is read with
  `mamori.runtime.podman.parse_inspect`; under Kubernetes (cri-dockerd) the CRI labels
  are Docker labels.

Under Kubernetes ``container.name`` is the pod's container name (the
``io.kubernetes.container.name`` label), as Falco reports it, not the runtime's
``k8s_<container>_<pod>_...`` name.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

import httpx

from mamori.runtime.kubelet import kubelet_from_options
from mamori.runtime.metadata import (
    BodyTooLargeError,
    MetadataChain,
    MetadataClient,
    read_bounded,
)
from mamori.runtime.podman import ContainerMetadata, PodmanClient, parse_inspect
from mamori.runtime.state.container_meta import ContainerInfo, split_image

log = logging.getLogger(__name__)

CRIO_SOCKET = Path("/var/run/crio/crio.sock")
DOCKER_SOCKET = Path("/var/run/docker.sock")
_CONTAINER_NAME = "io.kubernetes.container.name"
_SANDBOX = "io.kubernetes.sandbox.id"
_VOLUMES = "io.kubernetes.cri-o.Volumes"
_MAX_TEXT = 4096
_MAX_ITEMS = 256
_MAX_BODY = 4 << 20
_PROPAGATION = {0: "rprivate", 1: "rslave", 2: "rshared"}  # CRI MountPropagation


def _text(value: object) -> str:
    return value[:_MAX_TEXT] if isinstance(value, str) else ""


def _labels(raw: object) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    return {str(k)[:_MAX_TEXT]: _text(v) for k, v in list(raw.items())[:_MAX_ITEMS]}


def _is_hex(text: str) -> bool:
    return len(text) >= 12 and all(c in "0123456789abcdef" for c in text)


def _crio_mounts(raw: str) -> tuple[dict[str, str], ...]:
    """``io.kubernetes.cri-o.Volumes`` (a JSON list of ``{container_path, host_path,
    readonly, propagation}``) -> Falco's mount records."""
    try:
        items = json.loads(raw) if raw else []
    except ValueError:
        return ()
    out = []
    for item in items[:_MAX_ITEMS] if isinstance(items, list) else []:
        if not isinstance(item, dict) or not _text(item.get("container_path")):
            continue
        propagation = item.get("propagation")
        out.append({
            "Source": _text(item.get("host_path")),
            "Destination": _text(item.get("container_path")),
            "Mode": "",
            "RW": "false" if item.get("readonly") is True else "true",
            "Propagation": _PROPAGATION.get(propagation, "") if isinstance(propagation, int)
            else "",
        })  # fmt: skip
    return tuple(out)


def parse_crio_info(doc: object, container_id: str) -> ContainerInfo | None:
    """CRI-O's ``/containers/{id}`` answer for `container_id` -> ContainerInfo; None
    when the document is not one."""
    if not isinstance(doc, dict) or not _is_hex(container_id.lower()):
        return None
    if not isinstance(doc.get("labels", {}), dict) or not any(
        k in doc for k in ("image", "labels", "sandbox", "pid")
    ):
        return None
    labels = _labels(doc.get("labels"))
    annotations = {**_labels(doc.get("crio_annotations")), **_labels(doc.get("annotations"))}
    sandbox = _text(doc.get("sandbox"))
    if _is_hex(sandbox):
        labels.setdefault(_SANDBOX, sandbox)
    image = _text(doc.get("image"))
    ref = _text(doc.get("image_ref")) or annotations.get("io.kubernetes.cri-o.ImageRef", "")
    ips = doc.get("ip_addresses")
    ip = _text(ips[0]) if isinstance(ips, list) and ips else _text(doc.get("ip_address"))
    info = ContainerInfo(
        id=container_id.lower()[:12],
        type="cri-o",
        name=labels.get(_CONTAINER_NAME) or _text(doc.get("name")),
        image=image,
        image_id="" if "@" in ref else ref.removeprefix("sha256:"),
        ip=ip or annotations.get("io.kubernetes.cri-o.IP.0", ""),
        mounts=_crio_mounts(annotations.get(_VOLUMES, "")),
        labels=labels,
    )
    info.image_repository, info.image_tag, info.image_digest = split_image(image)
    if "@" in ref and not info.image_digest:
        info.image_digest = ref.partition("@")[2]
    return info


def parse_docker_inspect(doc: object) -> ContainerInfo | None:
    """Docker's ``/containers/{id}/json`` -> ContainerInfo (the libpod shape, see
    `parse_inspect`), with Docker's type and, under Kubernetes, the pod's name for it."""
    info = parse_inspect(doc)
    if info is None:
        return None
    info.type = "docker"
    info.name = info.labels.get(_CONTAINER_NAME) or info.name
    return info


class _UnixApi:
    """Blocking GETs over a runtime's unix socket; every failure is None (unknown)."""

    kind = ""

    def __init__(self, socket_path: Path, timeout: float = 1.0) -> None:
        self.socket_path = Path(socket_path)
        self.timeout = timeout
        self._client: httpx.Client | None = None

    def available(self) -> bool:
        return self.socket_path.is_socket()

    def _get_json(self, path: str) -> object | None:
        if not self.available():
            return None
        if self._client is None:
            transport = httpx.HTTPTransport(uds=str(self.socket_path))
            self._client = httpx.Client(
                transport=transport, base_url=f"http://{self.kind}", timeout=self.timeout
            )
        deadline = time.monotonic() + 2 * self.timeout
        try:
            with self._client.stream("GET", path) as response:
                if response.status_code != 200:
                    return None
                body = read_bounded(response, _MAX_BODY, deadline)
            doc: object = json.loads(body)
        except (httpx.HTTPError, OSError, ValueError) as exc:  # BodyTooLargeError is one
            level = logging.WARNING if isinstance(exc, BodyTooLargeError) else logging.DEBUG
            log.log(level, "%s lookup %s failed: %s", self.kind, path, exc)
            return None
        return doc

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


class CrioClient(_UnixApi):
    """CRI-O's info endpoint (full container ids only)."""

    kind = "crio"

    def __init__(self, socket_path: Path = CRIO_SOCKET, timeout: float = 1.0) -> None:
        super().__init__(socket_path, timeout)

    def inspect(self, container_id: str) -> ContainerInfo | None:
        cid = container_id.lower()
        if len(cid) != 64 or not _is_hex(cid):
            return None  # CRI-O looks ids up exactly: a short one is never found
        return parse_crio_info(self._get_json(f"/containers/{cid}"), cid)


class DockerClient(_UnixApi):
    """Docker's Engine API (full or short ids, or names)."""

    kind = "docker"

    def __init__(self, socket_path: Path = DOCKER_SOCKET, timeout: float = 1.0) -> None:
        super().__init__(socket_path, timeout)

    def inspect(self, container_id: str) -> ContainerInfo | None:
        if not container_id or not all(c.isalnum() or c in "_.-" for c in container_id):
            return None
        return parse_docker_inspect(self._get_json(f"/containers/{container_id}/json"))


def node_sources(
    *,
    podman_socket: Path,
    crio_socket: Path = CRIO_SOCKET,
    docker_socket: Path = DOCKER_SOCKET,
    kubelet: MetadataClient | None = None,
) -> list[MetadataClient]:
    """The agent's sources in the order they are asked: the runtimes first (exact
    mounts, image ids, privileged), then the kubelet (pod labels, and everything on
    containerd nodes, whose CRI is gRPC only). A runtime whose socket is absent costs
    one ``stat`` per lookup."""
    sources: list[MetadataClient] = [
        CrioClient(crio_socket),
        DockerClient(docker_socket),
        PodmanClient(podman_socket),
    ]
    if kubelet is not None:
        sources.append(kubelet)
    return sources


def agent_metadata(
    podman_socket: Path,
    crio_socket: Path = CRIO_SOCKET,
    docker_socket: Path = DOCKER_SOCKET,
    kubelet_url: str | None = None,
    token_file: Path | None = None,
    ca_file: Path | None = None,
    insecure: bool = False,
    env: dict[str, str] | None = None,
) -> ContainerMetadata:
    """`mamori agent`'s container metadata from its options (`kubelet_from_options` for
    the kubelet: on by default in a pod). A pod's container reaches the kubelet's list
    a moment after its first process runs, so with a kubelet a miss is retried after
    5 s instead of 30. ValueError: a bad kubelet URL."""
    kube = kubelet_from_options(
        kubelet_url,
        token_file=token_file,
        ca_file=ca_file,
        insecure=insecure,
        env=dict(os.environ) if env is None else env,
    )
    sources = node_sources(
        podman_socket=podman_socket, crio_socket=crio_socket, docker_socket=docker_socket,
        kubelet=kube,
    )  # fmt: skip
    # /proc/1/root: the host's cgroup tree even from a pod (its own cgroup namespace
    # shows only its own subtree under /sys/fs/cgroup); the same tree on the host.
    chain = MetadataChain(sources, cgroup_roots=[Path("/proc/1/root/sys/fs/cgroup")])
    return ContainerMetadata(chain, retry_after=5.0 if kube is not None else 30.0)
