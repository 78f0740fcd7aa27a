"""CIS Debian Linux 12 recommendation 5.3.3.4.1 (Level 1).

pam_unix does not accept empty passwords.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._policy import unix_no_nullok
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class PamUnixNoNullok:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield unix_no_nullok(host)
