"""Container metadata (name, image, labels, privileged, mounts) from podman's REST API.

The state engine knows a process's container id from its cgroup path; the name and image
come from the runtime that started it. Podman serves its libpod API on a unix socket
(``/run/podman/podman.sock`` for root, started by ``podman.socket`` or ``podman system
service``); ``GET /v4.0.0/libpod/containers/{id}/json`` is ``podman inspect``.

Lookups never run on the event path: ``ContainerMetadata.request(id)`` only queues the id
(O(1), never blocks), one worker thread asks podman with a short timeout, and the agent
collects finished answers with ``drain()`` between batches and adds them to the state
engine's ``ContainerTable``. A failed lookup (no socket, timeout, unknown id, malformed
answer) leaves the container unknown and may be retried after ``retry_after`` seconds.
Everything is bounded: the queue, the answer cache and the failure list.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from mamori.runtime.metadata import MetadataChain, MetadataClient
from mamori.runtime.state.container_meta import ContainerInfo, split_image

log = logging.getLogger(__name__)

DEFAULT_SOCKET = Path("/run/podman/podman.sock")
_API = "/v4.0.0/libpod/containers/{id}/json"
_MAX_BODY = 4 << 20  # an inspect document is a few kB; anything huge is not podman
_MAX_TEXT = 4096
_MAX_ITEMS = 256


def _text(value: object) -> str:
    return value[:_MAX_TEXT] if isinstance(value, str) else ""


def _mounts(raw: object) -> tuple[dict[str, str], ...]:
    """Podman's ``Mounts`` -> Falco's mount records (Source, Destination, Mode, RW,
    Propagation as strings), the shape ``container.mount*`` fields read."""
    if not isinstance(raw, list):
        return ()
    out = []
    for item in raw[:_MAX_ITEMS]:
        if not isinstance(item, dict):
            continue
        rw = item.get("RW")
        out.append(
            {
                "Source": _text(item.get("Source")),
                "Destination": _text(item.get("Destination")),
                "Mode": _text(item.get("Mode")),
                "RW": "true" if rw is True else "false" if rw is False else "",
                "Propagation": _text(item.get("Propagation")),
            }
        )
    return tuple(out)


def _labels(raw: object) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    return {str(k)[:_MAX_TEXT]: _text(v) for k, v in list(raw.items())[:_MAX_ITEMS]}


def parse_inspect(doc: object) -> ContainerInfo | None:
    """A libpod ``containers/{id}/json`` document -> ContainerInfo (id: 12 hex digits, as
    Falco's ``container.id``); None when the document is not one."""
    if not isinstance(doc, dict):
        return None
    full = doc.get("Id")
    if not isinstance(full, str) or len(full) < 12:
        return None
    config = doc.get("Config") if isinstance(doc.get("Config"), dict) else {}
    host = doc.get("HostConfig") if isinstance(doc.get("HostConfig"), dict) else {}
    net = doc.get("NetworkSettings") if isinstance(doc.get("NetworkSettings"), dict) else {}
    assert isinstance(config, dict) and isinstance(host, dict) and isinstance(net, dict)
    image = _text(doc.get("ImageName")) or _text(config.get("Image"))
    info = ContainerInfo(
        id=full[:12],
        type="podman",
        name=_text(doc.get("Name")).lstrip("/"),
        image=image,
        image_id=_text(doc.get("Image")).removeprefix("sha256:"),
        ip=_text(net.get("IPAddress")),
        mounts=_mounts(doc.get("Mounts")),
        labels=_labels(config.get("Labels")),
    )
    info.image_repository, info.image_tag, info.image_digest = split_image(image)
    info.image_digest = info.image_digest or _text(doc.get("ImageDigest"))
    privileged = host.get("Privileged")
    if isinstance(privileged, bool):
        info.privileged = privileged
    return info


class PodmanClient:
    """Blocking lookups against podman's API socket; every failure is None (unknown)."""

    def __init__(self, socket_path: Path = DEFAULT_SOCKET, timeout: float = 1.0) -> None:
        self.socket_path = Path(socket_path)
        self.timeout = timeout
        self._client: httpx.Client | None = None

    def _http(self) -> httpx.Client:
        if self._client is None:
            transport = httpx.HTTPTransport(uds=str(self.socket_path))
            self._client = httpx.Client(
                transport=transport, base_url="http://podman", timeout=self.timeout
            )
        return self._client

    def available(self) -> bool:
        return self.socket_path.is_socket()

    def inspect(self, container_id: str) -> ContainerInfo | None:
        """Metadata of one container (full id, 12-digit prefix or name)."""
        if not container_id or not all(c.isalnum() or c in "_.-" for c in container_id):
            return None
        if not self.available():
            return None
        try:
            response = self._http().get(_API.format(id=container_id))
        except (httpx.HTTPError, OSError) as exc:
            log.debug("podman lookup of %s failed: %s", container_id, exc)
            return None
        if response.status_code != 200 or len(response.content) > _MAX_BODY:
            return None
        try:
            return parse_inspect(response.json())
        except ValueError:
            return None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


class ContainerMetadata:
    """Asynchronous, cached container lookups for the agent (see the module docstring).

    `client` is any `mamori.runtime.metadata.MetadataClient` (podman's by default), or
    a sequence of them, asked in order with answers merged (`MetadataChain`: the
    kubelet, CRI-O, Docker, podman)."""

    def __init__(
        self,
        client: MetadataClient | Sequence[MetadataClient] | None = None,
        *,
        max_entries: int = 4096,
        max_pending: int = 256,
        retry_after: float = 30.0,
    ) -> None:
        if client is None:
            client = PodmanClient()
        elif isinstance(client, Sequence):
            client = MetadataChain(client)
        self.client: MetadataClient = client
        self.retry_after = retry_after
        self.max_entries = max_entries
        self.lookups = 0
        self.failures = 0
        self.dropped = 0  # requests refused because the queue was full
        self._cache: OrderedDict[str, ContainerInfo] = OrderedDict()
        self._failed: OrderedDict[str, float] = OrderedDict()
        self._pending: set[str] = set()
        self._queue: queue.Queue[str | None] = queue.Queue(max_pending)
        self._done: queue.SimpleQueue[tuple[str, ContainerInfo | None]] = queue.SimpleQueue()
        self._worker: threading.Thread | None = None

    def get(self, container_id: str) -> ContainerInfo | None:
        return self._cache.get(container_id)

    def request(self, container_id: str) -> None:
        """Ask for a container's metadata; returns at once. Answers come from `drain`."""
        if container_id in self._cache or container_id in self._pending:
            return
        failed = self._failed.get(container_id)
        if failed is not None and time.monotonic() - failed < self.retry_after:
            return
        try:
            self._queue.put_nowait(container_id)
        except queue.Full:
            self.dropped += 1
            return
        self._pending.add(container_id)
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, name="mamori-podman", daemon=True)
            self._worker.start()

    def drain(self) -> list[ContainerInfo]:
        """Answers that arrived since the last call (call from the event thread)."""
        out: list[ContainerInfo] = []
        while True:
            try:
                cid, info = self._done.get_nowait()
            except queue.Empty:
                return out
            self._pending.discard(cid)
            if info is None:
                self.failures += 1
                self._remember(self._failed, cid, time.monotonic())
                continue
            self._failed.pop(cid, None)
            self._remember(self._cache, cid, info)
            out.append(info)

    def wait(self, timeout: float) -> list[ContainerInfo]:
        """`drain` after waiting up to `timeout` for pending lookups (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        found = self.drain()
        while self._pending and time.monotonic() < deadline:
            time.sleep(0.01)
            found += self.drain()
        return found

    def _remember(self, table: OrderedDict[str, Any], key: str, value: Any) -> None:
        table[key] = value
        table.move_to_end(key)
        while len(table) > self.max_entries:
            table.popitem(last=False)

    def _work(self) -> None:
        while True:
            cid = self._queue.get()
            if cid is None:
                return
            self.lookups += 1
            try:
                info = self.client.inspect(cid)
            except Exception:  # a lookup must never take the agent down
                log.exception("podman lookup of %s failed", cid)
                info = None
            if info is not None and info.id != cid[:12]:
                info = None  # podman answered for another container (a name clash)
            self._done.put((cid, info))

    def close(self) -> None:
        if self._worker is not None:
            with contextlib.suppress(queue.Full):
                self._queue.put(None, timeout=1.0)
            self._worker.join(timeout=2 * self.client.timeout + 1)
            self._worker = None
        self.client.close()
