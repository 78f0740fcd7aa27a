"""CIS AWS 3.0 1.12: no console password or active access key unused for 45 days.

Never-used credentials count from when they were created (the login profile, the key),
as CIS counts from `password_last_changed` / `access_key_N_last_rotated`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._iam import now, older_than, result, unseen

DAYS = 45


@check(__file__)
class IamUserCredentialsUnused45Days:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from unseen(inventory, self.metadata.requires)
        at = now(inventory)
        for user in inventory.of_type("aws.iam.user"):
            attrs = user.attributes
            stale, unknown = [], []
            if attrs.get("console_access") is None:
                unknown.append("console password")
            elif attrs["console_access"]:
                profile = attrs.get("login_profile") or {}
                if older_than(attrs.get("password_last_used") or profile.get("created"), at, DAYS):
                    stale.append("console password")
            if attrs.get("access_keys") is None:
                unknown.append("access keys")
            for key in [k for k in attrs.get("access_keys") or [] if k["status"] == "Active"]:
                if key.get("last_used_error"):
                    unknown.append(f"access key {key['id']}")
                elif older_than(key.get("last_used") or key.get("created"), at, DAYS):
                    stale.append(f"access key {key['id']}")
            if stale:
                reason = f"Unused for {DAYS} days or more: {', '.join(stale)}."
                yield result(Verdict.FAIL, reason, user)
            elif unknown:
                reason = f"Last use could not be read for: {', '.join(unknown)}."
                yield result(Verdict.MANUAL, reason, user)
            else:
                reason = f"Every enabled credential was used in the last {DAYS} days."
                yield result(Verdict.PASS, reason, user)
