"""CIS Debian Linux 12 recommendation 5.4.2.1 (Level 1).

root is the only account with uid 0.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._accounts import only_root_uid0
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class AccountsRootOnlyUid0:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield only_root_uid0(host)
