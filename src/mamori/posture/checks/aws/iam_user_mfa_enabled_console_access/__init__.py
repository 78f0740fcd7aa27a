"""CIS AWS 3.0 1.10: every IAM user with a console password has an MFA device."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._iam import result, unseen


@check(__file__)
class IamUserMfaEnabledConsoleAccess:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from unseen(inventory, self.metadata.requires)
        for user in inventory.of_type("aws.iam.user"):
            console = user.attributes.get("console_access")
            devices = user.attributes.get("mfa_devices")
            errors = user.attributes.get("errors", {})
            if console is None:
                reason = f"Console access is unknown ({errors.get('GetLoginProfile', '')})."
                yield result(Verdict.MANUAL, reason, user)
            elif not console:
                yield result(Verdict.PASS, "The user has no console password.", user)
            elif devices is None:
                reason = f"MFA devices are unknown ({errors.get('ListMFADevices', '')})."
                yield result(Verdict.MANUAL, reason, user)
            elif devices:
                kinds = ", ".join(sorted({d["kind"] for d in devices}))
                yield result(Verdict.PASS, f"The console user has MFA ({kinds}).", user)
            else:
                yield result(Verdict.FAIL, "The user has a console password but no MFA.", user)
