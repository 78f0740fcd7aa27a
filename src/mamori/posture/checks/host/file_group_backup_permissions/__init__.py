"""CIS Debian Linux 12 recommendation 7.1.4 (Level 1).

/etc/group- is 0644 or stricter and owned by root.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._files import judge_mode
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class FileGroupBackupPermissions:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield judge_mode(host, "/etc/group-", 0o644, groups=("root",))
