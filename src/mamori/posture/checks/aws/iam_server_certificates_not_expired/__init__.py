"""CIS AWS 3.0 1.19: no expired SSL/TLS certificate is stored in IAM."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._iam import now, parse_time, result, unseen


@check(__file__)
class IamServerCertificatesNotExpired:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from unseen(inventory, self.metadata.requires)
        at = now(inventory)
        for cert in inventory.of_type("aws.iam.server_certificate"):
            expiration = parse_time(cert.attributes.get("expiration"))
            if expiration is None:
                yield result(Verdict.MANUAL, "The certificate's expiration is unknown.", cert)
            elif expiration <= at:
                reason = f"The certificate expired on {expiration.date().isoformat()}."
                yield result(Verdict.FAIL, reason, cert)
            else:
                reason = f"The certificate is valid until {expiration.date().isoformat()}."
                yield result(Verdict.PASS, reason, cert)
