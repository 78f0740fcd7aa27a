"""CIS Debian Linux 12 recommendation 2.1.6 (Level 1).

An FTP server is not in use.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.posture.checks.host import HostCheckMetadata, host_check
from mamori.posture.checks.host._services import not_in_use
from mamori.workload.host.result import HostResult
from mamori.workload.host.view import HostView


@host_check(__file__)
class ServiceFtpServerNotInUse:
    metadata: ClassVar[HostCheckMetadata]

    def run(self, host: HostView) -> Iterator[HostResult]:
        yield not_in_use(
            host,
            ("vsftpd", "proftpd-basic", "pure-ftpd"),
            ("vsftpd.service", "proftpd.service", "pure-ftpd.service"),
            ("vsftpd", "proftpd", "pure-ftpd"),
        )
