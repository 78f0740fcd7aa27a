"""CIS Debian Linux 12 recommendation 5.1.15 (Level 1).

SSH offers no MD5, RIPEMD, 96-bit or 64-bit MACs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._sshd import judge, none_of
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class SshMacsStrong:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield judge(
            host,
            "MACs",
            none_of("MACs", ("hmac-md5*", "hmac-ripemd160*", "hmac-sha1-96*", "umac-64*")),
            "weak MACs must not be offered",
        )
