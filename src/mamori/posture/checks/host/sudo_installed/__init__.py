"""CIS Debian Linux 12 recommendation 5.2.1 (Level 1).

sudo is installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._sudo import installed
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class SudoInstalled:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield installed(host)
