"""CIS Debian Linux 12 recommendation 7.2.2 (Level 1).

No account has an empty password.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._accounts import no_empty_passwords
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class AccountsNoEmptyPasswords:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield no_empty_passwords(host)
