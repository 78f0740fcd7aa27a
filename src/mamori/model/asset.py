"""Assets: the things mamori knows about (hosts, images, filesystems, cloud resources)."""

from __future__ import annotations

import enum
import hashlib

from pydantic import Field

from mamori.model.common import Frozen, Identity


class AssetKind(enum.StrEnum):
    HOST = "host"
    FILESYSTEM = "filesystem"
    IMAGE = "image"
    CONTAINER = "container"
    SBOM = "sbom"
    SNAPSHOT = "snapshot"
    CLOUD_RESOURCE = "cloud_resource"


class Asset(Frozen):
    """A scanned or observed thing. `key` is stable across scans of the same thing."""

    kind: AssetKind
    name: str
    identity: Identity = Field(default_factory=Identity)
    attributes: dict[str, str] = Field(default_factory=dict)

    @property
    def key(self) -> str:
        ident = self.identity.model_dump_json(exclude_none=True)
        raw = f"{self.kind}|{self.name}|{ident}".encode()
        return hashlib.sha256(raw).hexdigest()[:32]
