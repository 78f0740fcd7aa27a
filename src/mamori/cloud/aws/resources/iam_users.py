"""IAM users (global): identity, console password, MFA devices, access keys, policies.

`aws.iam.user`, id = user name, arn = user ARN. Attributes:

    path, user_id, created            str (created: ISO-8601 UTC)
    password_last_used                ISO str | None (never, or not recorded)
    console_access                    bool | None (None: GetLoginProfile failed, see errors)
    login_profile                     {"created": ISO, "password_reset_required": bool} | None
    mfa_devices                       [{"serial", "kind", "enabled"}] | None (None: unknown)
                                      kind: "virtual" | "fido" | "hardware"
    access_keys                       [{"id", "status", "created", "last_used",
                                        "last_used_service", "last_used_region",
                                        "last_used_error"}] | None
                                      (last_used None and last_used_error None: never used)
    attached_policies                 [{"name", "arn"}]
    inline_policies                   [{"name", "document"}]  (document: policy JSON)
    groups                            [group names]
    permissions_boundary              policy ARN | None
    tags                              {key: value}
    errors                            {API call: "Code: message"} for per-user sub-calls
                                      that failed; the matching attribute is None

Principals and policies come from GetAccountAuthorizationDetails (one paginated call
for all users); the credentials need one to three calls per user, run concurrently.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mamori.cloud.aws.context import AwsContext, paginate
from mamori.cloud.aws.resources._iam import attempt, each, inline, iso, policy_refs, tags
from mamori.cloud.aws.types import resource_type
from mamori.model import CloudResource


def mfa_kind(serial: str) -> str:
    """Virtual devices have an `:mfa/` ARN as serial, FIDO keys a `:u2f/` ARN, hardware
    TOTP tokens the serial printed on them."""
    if serial.startswith("arn:") and ":mfa/" in serial:
        return "virtual"
    if serial.startswith("arn:") and ":u2f/" in serial:
        return "fido"
    return "hardware"


@resource_type(
    "aws.iam.user",
    service="iam",
    calls=(
        "GetAccountAuthorizationDetails",
        "ListUsers",
        "GetLoginProfile",
        "ListMFADevices",
        "ListAccessKeys",
        "GetAccessKeyLastUsed",
    ),
    global_=True,
    id_field="UserName",
)
def users(ctx: AwsContext) -> Iterator[CloudResource]:
    iam = ctx.client("iam")
    details = paginate(iam, "get_account_authorization_details", "UserDetailList", Filter=["User"])
    # PasswordLastUsed is only in ListUsers/GetUser, not in the authorization details.
    last_used = {
        u["UserName"]: u.get("PasswordLastUsed") for u in paginate(iam, "list_users", "Users")
    }

    def build(user: dict[str, Any]) -> CloudResource:
        name = str(user["UserName"])
        attributes = {
            "path": user.get("Path", "/"),
            "user_id": user.get("UserId", ""),
            "created": iso(user.get("CreateDate")),
            "password_last_used": iso(last_used.get(name)),
            **_credentials(iam, name),
            "attached_policies": policy_refs(user.get("AttachedManagedPolicies", [])),
            "inline_policies": inline(user.get("UserPolicyList", [])),
            "groups": sorted(str(g) for g in user.get("GroupList", [])),
            "permissions_boundary": (user.get("PermissionsBoundary") or {}).get(
                "PermissionsBoundaryArn"
            ),
            "tags": tags(user.get("Tags")),
        }
        return ctx.resource("aws.iam.user", name, arn=str(user["Arn"]), attributes=attributes)

    yield from each(build, details)


def _credentials(iam: Any, name: str) -> dict[str, Any]:
    errors: dict[str, str] = {}
    ok, profile = attempt(
        errors,
        "GetLoginProfile",
        lambda: iam.get_login_profile(UserName=name)["LoginProfile"],
        missing="NoSuchEntity",
    )
    login = (
        {
            "created": iso(profile.get("CreateDate")),
            "password_reset_required": bool(profile.get("PasswordResetRequired", False)),
        }
        if profile
        else None
    )
    _, devices = attempt(
        errors,
        "ListMFADevices",
        lambda: paginate(iam, "list_mfa_devices", "MFADevices", UserName=name),
    )
    _, keys = attempt(
        errors,
        "ListAccessKeys",
        lambda: paginate(iam, "list_access_keys", "AccessKeyMetadata", UserName=name),
    )
    return {
        "console_access": (profile is not None) if ok else None,
        "login_profile": login,
        "mfa_devices": None
        if devices is None
        else [
            {
                "serial": str(d["SerialNumber"]),
                "kind": mfa_kind(str(d["SerialNumber"])),
                "enabled": iso(d.get("EnableDate")),
            }
            for d in devices
        ],
        "access_keys": None if keys is None else [_key(iam, k, errors) for k in keys],
        "errors": errors,
    }


def _key(iam: Any, key: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    key_id = str(key["AccessKeyId"])
    call = f"GetAccessKeyLastUsed:{key_id}"
    _, used = attempt(
        errors,
        call,
        lambda: iam.get_access_key_last_used(AccessKeyId=key_id)["AccessKeyLastUsed"],
    )
    used = used or {}

    def known(value: Any) -> str | None:
        return None if value in (None, "", "N/A") else str(value)

    return {
        "id": key_id,
        "status": str(key.get("Status", "")),
        "created": iso(key.get("CreateDate")),
        "last_used": iso(used.get("LastUsedDate")),
        "last_used_service": known(used.get("ServiceName")),
        "last_used_region": known(used.get("Region")),
        "last_used_error": errors.get(call),
    }
