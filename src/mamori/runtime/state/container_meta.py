"""Container metadata (name, image, privileged, mounts...) by container id.

Captures carry it in ``container`` events (a JSON document, or four parameters in the
oldest captures); a live agent fills it from the container runtime's API. Bounded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from mamori.model.events import SyscallEvent

_MAX_CONTAINERS = 16384
_TYPES = {0: "docker", 1: "lxc", 2: "libvirt-lxc", 3: "mesos", 4: "rkt", 5: "custom",
          6: "rkt", 7: "cri-o", 8: "containerd", 9: "cri", 10: "bpm", 11: "podman"}  # fmt: skip


@dataclass(slots=True)
class ContainerInfo:
    id: str
    type: str = ""
    name: str = ""
    image: str = ""
    image_repository: str = ""
    image_tag: str = ""
    image_digest: str = ""
    image_id: str = ""
    ip: str = ""
    privileged: bool | None = None
    mounts: tuple[dict[str, str], ...] = ()
    labels: dict[str, str] = field(default_factory=dict)


def split_image(image: str) -> tuple[str, str, str]:
    """``registry:5000/repo/name:tag@sha256:...`` -> (repository, tag, digest)."""
    digest = ""
    if "@" in image:
        image, digest = image.split("@", 1)
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon + 1 :], digest
    return image, "", digest


class ContainerTable:
    def __init__(self, max_containers: int = _MAX_CONTAINERS) -> None:
        self._items: dict[str, ContainerInfo] = {}
        self._max = max_containers

    def __len__(self) -> int:
        return len(self._items)

    def get(self, container_id: str) -> ContainerInfo | None:
        return self._items.get(container_id)

    def add(self, info: ContainerInfo) -> None:
        if info.id not in self._items and len(self._items) >= self._max:
            self._items.pop(next(iter(self._items)))
        self._items[info.id] = info

    def from_event(self, event: SyscallEvent) -> ContainerInfo | None:
        """Record the container an event describes (``container`` events)."""
        p = event.params
        raw = p.get("json")
        if isinstance(raw, str):
            return self._from_json(raw)
        cid, name, image = p.get("id"), p.get("name"), p.get("image")
        if isinstance(cid, str) and cid:
            kind = p.get("type")
            info = ContainerInfo(
                cid,
                _TYPES.get(kind, "") if isinstance(kind, int) else "",
                name if isinstance(name, str) else "",
                image if isinstance(image, str) else "",
            )
            info.image_repository, info.image_tag, info.image_digest = split_image(info.image)
            self.add(info)
            return info
        return None

    def _from_json(self, raw: str) -> ContainerInfo | None:
        try:
            doc = json.loads(raw)
        except ValueError:
            return None
        body = doc.get("container") if isinstance(doc, dict) else None
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            return None
        image = str(body.get("image") or "")
        kind = body.get("type")
        info = ContainerInfo(
            id=body["id"],
            type=_TYPES.get(kind, "") if isinstance(kind, int) else "",
            name=str(body.get("name") or ""),
            image=image,
            image_id=str(body.get("imageid") or ""),
            ip=str(body.get("ip") or ""),
        )
        repo, tag, digest = split_image(image)
        info.image_repository = str(body.get("imagerepo") or repo)
        info.image_tag = str(body.get("imagetag") or tag)
        info.image_digest = str(body.get("imagedigest") or digest)
        if isinstance(body.get("privileged"), bool):
            info.privileged = body["privileged"]
        mounts = body.get("Mounts")
        if isinstance(mounts, list):
            info.mounts = tuple(
                {str(k): str(v) for k, v in m.items()} for m in mounts if isinstance(m, dict)
            )
        labels = body.get("labels")
        if isinstance(labels, dict):
            info.labels = {str(k): str(v) for k, v in labels.items()}
        self.add(info)
        return info
