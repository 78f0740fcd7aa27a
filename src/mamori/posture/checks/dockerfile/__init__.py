"""Dockerfile checks: one folder per check (`provider: dockerfile` in its metadata),
judging parsed Dockerfiles (`mamori.workload.dockerfile`) handed over as CloudResources
of type `dockerfile.file` whose attribute `dockerfile` is the parsed file.

The registry lives here, not in `posture.check`, so adding this provider changed no
contract file: `dockerfile_check(__file__)` is `check(__file__)` for this registry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from mamori.posture.check import Check, load_metadata
from mamori.registry import Registry

PROVIDER = "dockerfile"
RESOURCE_TYPE = "dockerfile.file"

dockerfile_checks: Registry[type[Check]] = Registry(
    "dockerfile check", "mamori.posture.checks.dockerfile"
)

C = TypeVar("C")


def dockerfile_check(init_file: str) -> Callable[[type[C]], type[C]]:
    """Decorator for a check class in `<check_id>/__init__.py`: attaches the folder's
    validated metadata (provider must be `dockerfile`) and registers the class."""
    meta = load_metadata(init_file)
    if meta.provider != PROVIDER:
        raise ValueError(f"{meta.id}: provider {meta.provider!r}, expected {PROVIDER!r}")

    def decorate(cls: type[C]) -> type[C]:
        cls.metadata = meta  # type: ignore[attr-defined]
        dockerfile_checks.add(meta.id, cls)  # type: ignore[arg-type]
        return cls

    return decorate
