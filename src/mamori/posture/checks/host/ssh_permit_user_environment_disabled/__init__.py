"""CIS Debian Linux 12 recommendation 5.1.21 (Level 1).

SSH does not read users' environment files.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._sshd import is_, judge
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class SshPermitUserEnvironmentDisabled:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield judge(host, "PermitUserEnvironment", is_("no"), "want no")
