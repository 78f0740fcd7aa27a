"""CIS Debian Linux 12 recommendation 1.5.4 (Level 1).

prelink is not installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._services import not_installed
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class PackagePrelinkNotInstalled:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield not_installed(host, ("prelink",))
