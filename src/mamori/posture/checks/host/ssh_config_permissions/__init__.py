"""CIS Debian Linux 12 recommendation 5.1.1 (Level 1).

sshd_config is owned by root and not readable by others.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._files import judge_mode
from mamori.workload.host.result import HostResult, not_applicable
from mamori.workload.host.view import HostView


@host_check(__file__)
class SshConfigPermissions:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield judge_mode(
            host,
            "/etc/ssh/sshd_config",
            0o600,
            missing=not_applicable("/etc/ssh/sshd_config does not exist"),
        )
