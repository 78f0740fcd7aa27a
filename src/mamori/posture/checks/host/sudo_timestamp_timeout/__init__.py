"""CIS Debian Linux 12 recommendation 5.2.6 (Level 1).

sudo asks again for the password after at most 15 minutes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._sudo import timeout
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class SudoTimestampTimeout:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield timeout(host)
