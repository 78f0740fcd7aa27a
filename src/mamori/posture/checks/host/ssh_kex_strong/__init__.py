"""CIS Debian Linux 12 recommendation 5.1.12 (Level 1).

SSH offers no SHA-1 or small-group key exchanges.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._sshd import judge, none_of
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class SshKexStrong:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield judge(
            host,
            "KexAlgorithms",
            none_of(
                "KexAlgorithms",
                (
                    "diffie-hellman-group1-sha1",
                    "diffie-hellman-group14-sha1",
                    "diffie-hellman-group-exchange-sha1",
                ),
            ),
            "weak key exchanges must not be offered",
        )
