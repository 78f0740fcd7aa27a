"""Host hardening checks (CIS Debian Linux 12 Benchmark, Level 1), one folder per check.

    checks/host/<check_id>/__init__.py   the check class, `@host_check(__file__)`
    checks/host/<check_id>/metadata.yaml id, title, severity, rationale, remediation,
                                         cis_id (the benchmark's recommendation number)

A host check receives a `HostView` (mamori.workload.host.view) and returns `HostResult`s
(pass / fail / not applicable, with file:line or live evidence). They have their own
registry, `host_checks`, because they judge a root filesystem, not an Inventory.

Shared logic lives in the private modules: `_sshd`, `_sysctl`, `_mounts`, `_files`
(ownership and modes, world-writable walk), `_cron`, `_audit`, `_policy` (login.defs and
PAM), `_accounts`, `_services`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, ClassVar, Protocol, TypeVar

from pydantic import Field

from mamori.posture.check import CheckMetadata, load_metadata_as
from mamori.registry import Registry

if TYPE_CHECKING:
    from mamori.workload.host.result import HostResult
    from mamori.workload.host.view import HostView

BENCHMARK = "CIS Debian Linux 12 Benchmark v1.1.0"


class HostCheckMetadata(CheckMetadata):
    provider: str = "host"
    resource_type: str = "host"
    requires: tuple[str, ...] = ()
    cis_id: str = Field(pattern=r"^\d+(\.\d+)+$")  # the recommendation's number
    benchmark: str = BENCHMARK
    level: int = 1


class HostCheck(Protocol):
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterable[HostResult]: ...


host_checks: Registry[type[HostCheck]] = Registry("host check", "mamori.posture.checks.host")


def load_host_metadata(init_file: str) -> HostCheckMetadata:
    """The metadata.yaml beside a check's __init__.py, validated; the id must be the folder."""
    return load_metadata_as(init_file, HostCheckMetadata)


C = TypeVar("C")


def host_check(init_file: str) -> Callable[[type[C]], type[C]]:
    """Decorator for a check class in `<check_id>/__init__.py`: `@host_check(__file__)`."""
    meta = load_host_metadata(init_file)

    def decorate(cls: type[C]) -> type[C]:
        cls.metadata = meta  # type: ignore[attr-defined]
        host_checks.add(meta.id, cls)  # type: ignore[arg-type]
        return cls

    return decorate
