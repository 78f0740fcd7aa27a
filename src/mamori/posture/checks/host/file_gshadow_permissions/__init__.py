"""CIS Debian Linux 12 recommendation 7.1.7 (Level 1).

/etc/gshadow is 0640 or stricter and owned by root (group root or shadow).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._files import judge_mode
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class FileGshadowPermissions:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield judge_mode(host, "/etc/gshadow", 0o640, groups=("root", "shadow"))
