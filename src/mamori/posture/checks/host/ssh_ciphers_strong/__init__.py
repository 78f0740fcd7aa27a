"""CIS Debian Linux 12 recommendation 5.1.6 (Level 1).

SSH offers no CBC, RC4 or other weak ciphers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._sshd import judge, none_of
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class SshCiphersStrong:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield judge(
            host,
            "Ciphers",
            none_of(
                "Ciphers",
                (
                    "3des-cbc",
                    "aes*-cbc",
                    "arcfour*",
                    "blowfish-cbc",
                    "cast128-cbc",
                    "rijndael-cbc@lysator.liu.se",
                ),
            ),
            "weak ciphers must not be offered",
        )
