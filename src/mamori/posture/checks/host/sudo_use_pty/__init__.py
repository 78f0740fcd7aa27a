"""CIS Debian Linux 12 recommendation 5.2.2 (Level 1).

sudo runs commands in a pseudo-terminal.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._sudo import flag_on
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class SudoUsePty:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield flag_on(host, "use_pty")
