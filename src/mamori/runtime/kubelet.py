"""Pod metadata from the node's kubelet: ``GET /pods`` (a ``v1`` ``PodList``).

The kubelet serves the pods bound to its node, with the statuses it reports (so a
container's ``containerID`` shows up there before it reaches the API server). Every
``status.containerStatuses[]``, ``initContainerStatuses[]`` and
``ephemeralContainerStatuses[]`` entry with a ``containerID`` (``containerd://<64 hex>``,
``cri-o://...``, ``docker://...``) becomes a `ContainerInfo` carrying the labels CRI
runtimes put on pod containers (``io.kubernetes.pod.name``/``namespace``/``uid``,
``io.kubernetes.container.name``) plus the pod's own labels: exactly what the
``k8s.*`` fields read (`mamori.rules.syscall_extract.identity`).

Access: ``https://NODE:10250/pods`` with a bearer token (the pod's service-account
token; RBAC ``get`` on ``nodes/pods``, or ``nodes/proxy`` before Kubernetes 1.33's
fine-grained kubelet authorization) verified against a CA (the cluster CA, or the one
that signed the kubelet's serving certificate), or the read-only ``http://NODE:10255``
where it is enabled. The token is read from its file at each fetch (projected tokens
rotate), sent only over HTTPS, and never logged.

The list is cached: fetched again when an unknown container is asked for (at most every
`min_refresh` seconds, failures included) and when older than `max_age`. Bounded: the
answer's size (`max_body`), the pods and containers kept, every string.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import ssl
import time
from pathlib import Path

import httpx

from mamori.runtime.metadata import BodyTooLargeError, read_bounded
from mamori.runtime.state.container_meta import ContainerInfo, split_image

log = logging.getLogger(__name__)

SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
DEFAULT_PORT = 10250
_MAX_TEXT = 4096
_MAX_LABELS = 256
_MAX_PODS = 4096
_MAX_CONTAINERS = 16384
_STATUSES = ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses")
_SPECS = {"containerStatuses": "containers", "initContainerStatuses": "initContainers",
          "ephemeralContainerStatuses": "ephemeralContainers"}  # fmt: skip
_TYPES = {"containerd": "containerd", "cri-o": "cri-o", "docker": "docker"}
_PROPAGATION = {"HostToContainer": "rslave", "Bidirectional": "rshared"}


def _text(value: object) -> str:
    return value[:_MAX_TEXT] if isinstance(value, str) else ""


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _list(value: object, limit: int = _MAX_LABELS) -> list[object]:
    return value[:limit] if isinstance(value, list) else []


def _labels(raw: object) -> dict[str, str]:
    return {str(k)[:_MAX_TEXT]: _text(v) for k, v in list(_dict(raw).items())[:_MAX_LABELS]}


def split_container_id(value: str) -> tuple[str, str]:
    """``containerd://<hex>`` -> (``containerd``, ``<hex>``); ("", "") when not one."""
    scheme, sep, cid = value.partition("://")
    cid = cid.strip().lower()
    if not sep or len(cid) < 12 or not all(c in "0123456789abcdef" for c in cid):
        return "", ""
    return scheme, cid


def _image_ref(image_id: str) -> tuple[str, str]:
    """A status ``imageID`` -> (image id, digest): ``docker.io/x@sha256:...`` is a
    digest, ``docker://sha256:<hex>`` or a bare hex id is an image id."""
    ref = image_id.partition("://")[2] if "://" in image_id else image_id
    if "@" in ref:
        return "", ref.partition("@")[2]
    return ref.removeprefix("sha256:"), ""


def _mounts(spec: dict[str, object], volumes: dict[str, dict[str, object]]) -> tuple[
        dict[str, str], ...]:  # fmt: skip
    """The container's hostPath mounts, as Falco's mount records (the host paths that
    matter to rules; other volume types live under the kubelet's own directory)."""
    out = []
    for raw in _list(spec.get("volumeMounts")):
        mount = _dict(raw)
        host = _dict(volumes.get(_text(mount.get("name")), {}).get("hostPath"))
        if not host:
            continue
        out.append({
            "Source": _text(host.get("path")),
            "Destination": _text(mount.get("mountPath")),
            "Mode": "",
            "RW": "false" if mount.get("readOnly") is True else "true",
            "Propagation": _PROPAGATION.get(_text(mount.get("mountPropagation")), "rprivate"),
        })  # fmt: skip
    return tuple(out)


def parse_pod_list(doc: object) -> dict[str, ContainerInfo]:
    """A kubelet ``PodList`` -> {full container id: ContainerInfo}; {} when `doc` is not
    one. Containers without an id yet (waiting to be created) are left out."""
    found: dict[str, ContainerInfo] = {}
    body = _dict(doc)
    if body.get("kind") not in ("PodList", None) or not isinstance(body.get("items"), list):
        return found
    for raw in _list(body.get("items"), _MAX_PODS):
        pod = _dict(raw)
        meta, spec, status = (_dict(pod.get(k)) for k in ("metadata", "spec", "status"))
        base = {
            "io.kubernetes.pod.name": _text(meta.get("name")),
            "io.kubernetes.pod.namespace": _text(meta.get("namespace")),
            "io.kubernetes.pod.uid": _text(meta.get("uid")),
        }
        pod_labels = _labels(meta.get("labels"))
        volumes = {_text(_dict(v).get("name")): _dict(v) for v in _list(spec.get("volumes"))}
        for key in _STATUSES:
            specs = {_text(_dict(c).get("name")): _dict(c) for c in _list(spec.get(_SPECS[key]))}
            for entry in _list(status.get(key)):
                if len(found) >= _MAX_CONTAINERS:
                    return found
                st = _dict(entry)
                runtime, full = split_container_id(_text(st.get("containerID")))
                if not full:
                    continue
                name = _text(st.get("name"))
                image = _text(st.get("image"))
                image_id, digest = _image_ref(_text(st.get("imageID")))
                labels = {**base, "io.kubernetes.container.name": name}
                for k, v in pod_labels.items():
                    labels.setdefault(k, v)
                info = ContainerInfo(
                    id=full[:12],
                    type=_TYPES.get(runtime, runtime[:32]),
                    name=name,
                    image=image,
                    image_id=image_id,
                    ip=_text(status.get("podIP")),
                    labels=labels,
                )
                info.image_repository, info.image_tag, info.image_digest = split_image(image)
                info.image_digest = info.image_digest or digest
                container_spec = specs.get(name, {})
                privileged = _dict(container_spec.get("securityContext")).get("privileged")
                if isinstance(privileged, bool):
                    info.privileged = privileged
                info.mounts = _mounts(container_spec, volumes)
                found[full] = info
    return found


def default_url(env: dict[str, str]) -> str | None:
    """In a pod (``KUBERNETES_SERVICE_HOST`` set) with ``NODE_NAME`` from the downward
    API: ``https://$NODE_NAME:10250``; None elsewhere."""
    node = env.get("NODE_NAME", "").strip()
    if node and env.get("KUBERNETES_SERVICE_HOST"):
        host = f"[{node}]" if ":" in node else node
        return f"https://{host}:{DEFAULT_PORT}"
    return None


class KubeletClient:
    """The kubelet's pod list as a container metadata source (module docstring)."""

    def __init__(
        self,
        url: str,
        *,
        token_file: Path | None = None,
        ca_file: Path | None = None,
        insecure: bool = False,
        timeout: float = 2.0,
        min_refresh: float = 5.0,
        max_age: float = 60.0,
        max_body: int = 16 << 20,
    ) -> None:
        self.url = url.rstrip("/")
        parsed = httpx.URL(self.url)  # what logs show: never userinfo or a query
        self.shown = f"{parsed.scheme}://{parsed.host}:{parsed.port or ''}".rstrip(":")
        self.token_file = token_file
        self.ca_file = ca_file
        self.insecure = insecure
        self.timeout = timeout
        self.min_refresh = min_refresh
        self.max_age = max_age
        self.max_body = max_body
        self.fetches = self.errors = 0
        self.last_error = ""
        self._client: httpx.Client | None = None
        self._by_short: dict[str, ContainerInfo] = {}
        self._full: dict[str, str] = {}
        self._fetched = float("-inf")  # last successful fetch
        self._tried = float("-inf")  # last attempt, failed or not

    def _http(self) -> httpx.Client:
        if self._client is None:
            verify: ssl.SSLContext | bool = True
            if self.insecure:
                verify = False
            elif self.ca_file is not None:
                verify = ssl.create_default_context(cafile=str(self.ca_file))
            # trust_env off: a cluster-wide HTTPS_PROXY must not carry the token off
            # the node, and the kubelet is always reached directly
            self._client = httpx.Client(verify=verify, timeout=self.timeout, trust_env=False)
        return self._client

    def _headers(self) -> dict[str, str]:
        if self.token_file is None or not self.url.startswith("https://"):
            return {}  # a token never goes over plain HTTP
        token = self.token_file.read_text(encoding="ascii", errors="replace").strip()
        if not token:
            return {}
        if not all(33 <= ord(c) < 127 for c in token):  # else the HTTP library's error
            raise ValueError(f"{self.token_file} holds no usable token")  # would quote it
        return {"Authorization": f"Bearer {token}"}

    def _fail(self, message: str) -> None:
        self.errors += 1
        if message != self.last_error:  # once per distinct failure, not per retry
            log.warning("kubelet %s/pods: %s", self.shown, message)
        self.last_error = message

    def refresh(self) -> bool:
        """Fetch the pod list now; False (and the old list kept) when that fails."""
        self._tried = time.monotonic()
        self.fetches += 1
        try:
            headers = self._headers()
            deadline = time.monotonic() + 2 * self.timeout
            with self._http().stream("GET", f"{self.url}/pods", headers=headers) as response:
                if response.status_code != 200:
                    hint = " (token or RBAC: get nodes/pods or nodes/proxy)" if (
                        response.status_code in (401, 403)) else ""  # fmt: skip
                    self._fail(f"HTTP {response.status_code}{hint}")
                    return False
                body = read_bounded(response, self.max_body, deadline)
            doc = json.loads(body)
            if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
                self._fail("the answer is not a PodList")
                return False
            containers = parse_pod_list(doc)
        except BodyTooLargeError as exc:
            self._fail(f"answer too large ({exc})")
            return False
        except (httpx.HTTPError, OSError, ValueError) as exc:
            self._fail(f"{type(exc).__name__}: {str(exc)[:200]}")  # no headers in these
            return False
        self._by_short = {full[:12]: info for full, info in containers.items()}
        self._full = {full[:12]: full for full in containers}
        self._fetched = time.monotonic()
        if self.last_error:
            log.info("kubelet %s/pods: answering again", self.shown)
        self.last_error = ""
        return True

    def _lookup(self, container_id: str) -> ContainerInfo | None:
        now = time.monotonic()
        if now - self._fetched >= self.max_age and now - self._tried >= self.min_refresh:
            self.refresh()
        info = self._by_short.get(container_id[:12])
        if info is None and time.monotonic() - self._tried >= self.min_refresh:
            self.refresh()  # a container started since the last fetch
            info = self._by_short.get(container_id[:12])
        if info is None:
            return None
        if len(container_id) > 12 and not self._full[container_id[:12]].startswith(container_id):
            return None
        return info

    def inspect(self, container_id: str) -> ContainerInfo | None:
        """The pod container with this id (12 digits or full); None when unknown."""
        container_id = container_id.lower()
        if len(container_id) < 12 or not all(c in "0123456789abcdef" for c in container_id):
            return None
        info = self._lookup(container_id)
        return None if info is None else dataclasses.replace(info, labels=dict(info.labels))

    def full_id(self, short_id: str) -> str | None:
        """The full id of a container the pod list names (fetched as `inspect` does;
        the chain's `inspect` that follows answers from the cache)."""
        short_id = short_id.lower()
        if len(short_id) < 12 or not all(c in "0123456789abcdef" for c in short_id):
            return None
        if self._lookup(short_id) is None:
            return None
        return self._full.get(short_id[:12])

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def kubelet_from_options(
    url: str | None,
    *,
    token_file: Path | None = None,
    ca_file: Path | None = None,
    insecure: bool = False,
    env: dict[str, str] | None = None,
) -> KubeletClient | None:
    """The agent's kubelet source from its options: `url` None means the default
    (`default_url`: only in a pod), ``""``/``none`` means off. The token and CA default
    to the pod's service-account files when they exist. ValueError: a bad URL."""
    if url is None:
        url = default_url(env if env is not None else {})
    if not url or url.lower() == "none":
        return None
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ValueError(f"bad kubelet URL {url!r}: {exc}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(f"kubelet URL must be http(s)://HOST:PORT, not {url!r}")
    if token_file is None and (SERVICE_ACCOUNT / "token").is_file():
        token_file = SERVICE_ACCOUNT / "token"
    if ca_file is None and not insecure and (SERVICE_ACCOUNT / "ca.crt").is_file():
        ca_file = SERVICE_ACCOUNT / "ca.crt"
    return KubeletClient(url, token_file=token_file, ca_file=ca_file, insecure=insecure)
