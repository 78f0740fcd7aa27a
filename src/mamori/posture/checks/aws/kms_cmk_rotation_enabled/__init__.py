"""CIS AWS 3.0 3.6: enabled customer-managed symmetric KMS keys rotate automatically."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._storage import failed_call, result, unseen


@check(__file__)
class KmsCmkRotationEnabled:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from unseen(inventory, self.metadata.requires)
        for key in inventory.of_type("aws.kms.key"):
            attrs = key.attributes
            if error := failed_call(key, "describe"):
                yield result(Verdict.MANUAL, f"The key could not be described ({error}).", key)
                continue
            in_scope = (attrs.get("key_manager"), attrs.get("key_spec"), attrs.get("key_state"))
            if in_scope != ("CUSTOMER", "SYMMETRIC_DEFAULT", "Enabled"):
                continue  # AWS-managed, asymmetric, HMAC or not enabled: outside the control
            if attrs.get("origin") != "AWS_KMS":
                reason = f"Key material from {attrs.get('origin')} cannot rotate automatically."
                yield result(Verdict.MANUAL, f"{reason} Rotate it by hand.", key)
            elif attrs.get("rotation_enabled") is None:
                error = failed_call(key, "rotation") or "rotation status unknown"
                yield result(Verdict.MANUAL, f"Rotation status could not be read ({error}).", key)
            elif attrs["rotation_enabled"]:
                days = attrs.get("rotation_period_days") or 365
                yield result(
                    Verdict.PASS, f"Automatic rotation is enabled (every {days} days).", key
                )
            else:
                yield result(Verdict.FAIL, "Automatic key rotation is disabled.", key)
