"""KMS keys, per region: every key (AWS- and customer-managed), with rotation status.

`aws.kms.key` (id: the key id; name: its first alias, else the id; arn: the key ARN):

    key_manager           str | None   "CUSTOMER" | "AWS"
    key_spec              str | None   "SYMMETRIC_DEFAULT", "RSA_2048", "HMAC_256", ...
    key_usage             str | None   "ENCRYPT_DECRYPT" | "SIGN_VERIFY" | ...
    key_state             str | None   "Enabled", "Disabled", "PendingDeletion", ...
    origin                str | None   "AWS_KMS" | "EXTERNAL" | "AWS_CLOUDHSM" | ...
    multi_region          bool | None
    description           str
    created               str | None   ISO-8601
    rotation_enabled      bool | None  asked only where AWS rotates automatically:
                                       customer-managed symmetric keys with AWS_KMS key
                                       material not pending deletion; None elsewhere
    rotation_period_days  int | None
    aliases               [str]        "alias/..." names pointing at the key
    errors                {call: "Code: message"}: "describe" (every field above
                          from key_manager to created is then None), "rotation",
                          "aliases" (ListAliases failed for the region)

A key whose policy denies the scanner its DescribeKey shows up with errors["describe"]:
the checks answer MANUAL for it rather than guess whether it is customer-managed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mamori.cloud.aws.context import AwsContext, paginate
from mamori.cloud.aws.resources._common import attempt, each, iso
from mamori.cloud.aws.types import resource_type
from mamori.model import CloudResource

KEY = "aws.kms.key"

_NO_ROTATION_STATES = ("PendingDeletion", "PendingReplicaDeletion", "PendingImport")


def rotates_automatically(meta: dict[str, Any]) -> bool:
    """Whether AWS can rotate this key on a schedule (so asking its status makes sense)."""
    return (
        meta.get("KeyManager") == "CUSTOMER"
        and meta.get("KeySpec", meta.get("CustomerMasterKeySpec")) == "SYMMETRIC_DEFAULT"
        and meta.get("Origin") == "AWS_KMS"
        and meta.get("KeyState") not in _NO_ROTATION_STATES
    )


def _key(
    ctx: AwsContext, listed: dict[str, Any], aliases: dict[str, list[str]], alias_error: str | None
) -> CloudResource:
    kid = str(listed["KeyId"])
    kms = ctx.client("kms")
    errors: dict[str, str] = {} if alias_error is None else {"aliases": alias_error}
    described = attempt(errors, "describe", lambda: kms.describe_key(KeyId=kid))
    meta: dict[str, Any] = {} if described is None else described.get("KeyMetadata", {})
    rotation = None
    if rotates_automatically(meta):
        rotation = attempt(errors, "rotation", lambda: kms.get_key_rotation_status(KeyId=kid))
    known = described is not None
    attributes: dict[str, Any] = {
        "key_manager": meta.get("KeyManager"),
        "key_spec": meta.get("KeySpec", meta.get("CustomerMasterKeySpec")),
        "key_usage": meta.get("KeyUsage"),
        "key_state": meta.get("KeyState"),
        "origin": meta.get("Origin"),
        "multi_region": bool(meta.get("MultiRegion", False)) if known else None,
        "description": str(meta.get("Description", "")),
        "created": iso(meta.get("CreationDate")),
        "rotation_enabled": None
        if rotation is None
        else bool(rotation.get("KeyRotationEnabled", False)),
        "rotation_period_days": None if rotation is None else rotation.get("RotationPeriodInDays"),
        "aliases": sorted(aliases.get(kid, [])),
        "errors": errors,
    }
    names = sorted(aliases.get(kid, []))
    arn = str(listed.get("KeyArn") or ctx.arn("kms", f"key/{kid}", region=ctx.region))
    return ctx.resource(KEY, kid, name=names[0] if names else kid, arn=arn, attributes=attributes)


@resource_type(
    KEY,
    service="kms",
    calls=("ListKeys", "ListAliases", "DescribeKey", "GetKeyRotationStatus"),
    id_field="KeyId",
)
def keys(ctx: AwsContext) -> Iterator[CloudResource]:
    kms = ctx.client("kms")
    listed = paginate(kms, "list_keys", "Keys")
    failed: dict[str, str] = {}
    found = attempt(failed, "aliases", lambda: paginate(kms, "list_aliases", "Aliases"))
    aliases: dict[str, list[str]] = {}
    for alias in found or ():
        if alias.get("TargetKeyId"):
            aliases.setdefault(str(alias["TargetKeyId"]), []).append(str(alias["AliasName"]))
    alias_error = failed.get("aliases")
    yield from each(lambda key: _key(ctx, key, aliases, alias_error), listed)
