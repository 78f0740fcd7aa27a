"""CIS Debian Linux 12 recommendation 5.2.4 (Level 2).

sudo asks users for their password (no NOPASSWD).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._sudo import password_required
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class SudoPasswordRequired:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield password_required(host)
