"""Container metadata from several sources, tried in order and merged.

A node can have more than one place that knows a container: the runtime's own API
(podman's libpod socket, Docker's Engine API, CRI-O's info endpoint) and, on a
Kubernetes node, the kubelet, which alone knows a pod's labels. `MetadataChain` asks
each available source in turn and merges the answers: the first answer's non-empty
fields win, later answers fill what it left empty (labels are merged key by key, the
earlier source winning a clash). It is a `MetadataClient` itself, so
`mamori.runtime.podman.ContainerMetadata` runs it on its worker thread exactly as it
runs one `PodmanClient`: never on the agent's event path.

CRI-O's endpoint only knows full 64-hex ids while the state engine asks with Falco's
12-digit ``container.id``: the chain expands a short id first, from any source that
knows full ids (the kubelet's pod list) or, failing that, from a bounded walk of the
cgroup tree (a container's cgroup directory is named after its full id).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import httpx

from mamori.runtime.state.container_meta import ContainerInfo

log = logging.getLogger(__name__)

_HEX64 = re.compile(r"[0-9a-f]{64}")
_MAX_WALK = 20000  # cgroup directories visited per walk
_WALK_EVERY = 2.0  # seconds between walks of the cgroup tree


class MetadataClient(Protocol):
    """What `ContainerMetadata` needs of a source: blocking lookups, None = unknown."""

    @property
    def timeout(self) -> float: ...

    def inspect(self, container_id: str) -> ContainerInfo | None: ...

    def close(self) -> None: ...


@runtime_checkable
class FullIdSource(Protocol):
    """A source that can expand a 12-digit id into the runtime's full id."""

    def full_id(self, short_id: str) -> str | None: ...


class BodyTooLargeError(ValueError):
    """An answer over the size bound (not the API we expected, or hostile)."""


def read_bounded(response: httpx.Response, limit: int, deadline: float) -> bytes:
    """A streamed response's body, at most `limit` bytes and read before `deadline`
    (``time.monotonic()``): httpx's timeouts bound each read, not a server that drips."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLargeError(f"{declared} bytes announced")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError(f"over {limit} bytes")
        if time.monotonic() > deadline:
            raise httpx.ReadTimeout("answer not complete in time")
        chunks.append(chunk)
    return b"".join(chunks)


def merge(base: ContainerInfo, extra: ContainerInfo) -> ContainerInfo:
    """`base` with its empty fields filled from `extra` (labels: union, base wins)."""
    out = dataclasses.replace(base, labels=dict(base.labels))
    for f in dataclasses.fields(ContainerInfo):
        if f.name in ("id", "labels"):
            continue
        if getattr(out, f.name) in ("", None, ()):
            setattr(out, f.name, getattr(extra, f.name))
    for key, value in extra.labels.items():
        out.labels.setdefault(key, value)
    return out


def find_full_id(short_id: str, roots: Iterable[Path], max_dirs: int = _MAX_WALK) -> str | None:
    """The 64-hex id starting with `short_id` among the cgroup directory names under
    `roots` (``crio-<id>.scope``, ``cri-containerd-<id>.scope``, ``docker-<id>.scope``,
    ``<id>``...), visiting at most `max_dirs` directories."""
    if len(short_id) < 12 or not all(c in "0123456789abcdef" for c in short_id):
        return None
    seen = 0
    for root in roots:
        for _base, dirs, _files in os.walk(root):
            seen += 1
            if seen > max_dirs:
                return None
            for name in dirs:
                if short_id in name:
                    for match in _HEX64.finditer(name):
                        if match.group(0).startswith(short_id):
                            return match.group(0)
    return None


class MetadataChain:
    """Several sources, asked in order, answers merged (see the module docstring)."""

    def __init__(
        self,
        clients: Sequence[MetadataClient],
        *,
        cgroup_roots: Sequence[Path] = (Path("/sys/fs/cgroup"),),
    ) -> None:
        self.clients = list(clients)
        self.cgroup_roots = list(cgroup_roots)
        self._walked = 0.0
        self._expanded: dict[str, str] = {}

    @property
    def timeout(self) -> float:
        """The longest a lookup can take: every source timing out in turn."""
        return sum(c.timeout for c in self.clients) or 1.0

    def expand(self, container_id: str) -> str:
        """The full id of a 12-digit id when some source knows it, else the id as is."""
        if len(container_id) >= 64:
            return container_id
        found = self._expanded.get(container_id)
        if found:
            return found
        for client in self.clients:
            if isinstance(client, FullIdSource):
                try:
                    found = client.full_id(container_id)
                except Exception:  # a source's bug must not stop the others
                    log.exception("full id lookup failed")
                    found = None
                if found:
                    break
        if not found and self.cgroup_roots and time.monotonic() - self._walked >= _WALK_EVERY:
            self._walked = time.monotonic()
            found = find_full_id(container_id, self.cgroup_roots)
        if not found:
            return container_id
        if len(self._expanded) >= 4096:
            self._expanded.pop(next(iter(self._expanded)))
        self._expanded[container_id] = found
        return found

    def inspect(self, container_id: str) -> ContainerInfo | None:
        if not container_id or not all(c.isalnum() or c in "_.-" for c in container_id):
            return None
        full = self.expand(container_id)
        result: ContainerInfo | None = None
        for client in self.clients:
            try:
                info = client.inspect(full)
            except Exception:  # one broken source must not hide the others' answers
                log.exception("container lookup failed in %s", type(client).__name__)
                info = None
            if info is None or info.id != container_id[:12]:
                continue
            result = info if result is None else merge(result, info)
        return result

    def close(self) -> None:
        for client in self.clients:
            client.close()
