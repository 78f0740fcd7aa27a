"""CIS AWS 3.0 1.6 (manual in CIS): the root user's MFA is not a virtual device.

AWS reports that root has MFA (AccountMFAEnabled) but not which kind; a virtual device
assigned to root shows in ListVirtualMFADevices, so MFA without one is hardware or FIDO.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._iam import one_per_account, result


@check(__file__)
class IamRootHardwareMfaEnabled:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        manual, summaries = one_per_account(inventory, "aws.iam.account_summary")
        yield from manual
        for summary in summaries:
            virtual = summary.attributes.get("root_virtual_mfa_devices")
            if not summary.attributes.get("account_mfa_enabled"):
                yield result(Verdict.FAIL, "The root user has no MFA device.", summary)
            elif virtual is None:
                error = summary.attributes.get("errors", {}).get("ListVirtualMFADevices", "")
                reason = f"Root has MFA of unknown kind (ListVirtualMFADevices: {error})."
                yield result(Verdict.MANUAL, reason, summary)
            elif virtual:
                reason = f"The root user's MFA is a virtual device ({', '.join(virtual)})."
                yield result(Verdict.FAIL, reason, summary)
            else:
                yield result(Verdict.PASS, "The root user's MFA is a hardware device.", summary)
