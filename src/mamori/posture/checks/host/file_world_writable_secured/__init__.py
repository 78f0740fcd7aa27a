"""CIS Debian Linux 12 recommendation 7.1.11 (Level 1).

No world-writable files or unsticky world-writable directories in system directories.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._files import world_writable
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class FileWorldWritableSecured:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield world_writable(host)
