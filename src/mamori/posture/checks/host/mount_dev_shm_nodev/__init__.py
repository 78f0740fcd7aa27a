"""CIS Debian Linux 12 recommendation 1.1.2.2.2 (Level 1).

/dev/shm is mounted nodev.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._mounts import option
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class MountDevShmNodev:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield option(host, "/dev/shm", "nodev")
