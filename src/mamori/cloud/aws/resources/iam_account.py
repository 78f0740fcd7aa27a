"""Account-wide IAM settings (global): password policy, account summary, certificates.

`aws.iam.password_policy`, id "password-policy", one per account. Attributes:

    exists                            bool (False: no policy set, IAM defaults apply)
    minimum_length, max_age_days, reuse_prevention        int | None
    require_symbols, require_numbers, require_uppercase,
    require_lowercase, allow_users_to_change_password,
    expire_passwords, hard_expiry                         bool | None

`aws.iam.account_summary`, id "account-summary", one per account. Attributes:

    account_mfa_enabled               bool (the root user has an MFA device)
    account_access_keys_present       bool (the root user has access keys)
    root_virtual_mfa_devices          [serials] | None: virtual MFA devices assigned to
                                      root (None: ListVirtualMFADevices failed, see errors)
    summary                           the whole SummaryMap {name: int}
    errors                            {API call: "Code: message"}

`aws.iam.server_certificate`, id = certificate name, arn = its ARN. Attributes:

    path, certificate_id              str
    uploaded, expiration              ISO-8601 UTC | None
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mamori.cloud.aws.context import AwsContext, paginate
from mamori.cloud.aws.resources._iam import attempt, iso
from mamori.cloud.aws.types import resource_type
from mamori.model import CloudResource

_PASSWORD_FIELDS = {
    "MinimumPasswordLength": "minimum_length",
    "RequireSymbols": "require_symbols",
    "RequireNumbers": "require_numbers",
    "RequireUppercaseCharacters": "require_uppercase",
    "RequireLowercaseCharacters": "require_lowercase",
    "AllowUsersToChangePassword": "allow_users_to_change_password",
    "ExpirePasswords": "expire_passwords",
    "MaxPasswordAge": "max_age_days",
    "PasswordReusePrevention": "reuse_prevention",
    "HardExpiry": "hard_expiry",
}


@resource_type(
    "aws.iam.password_policy",
    service="iam",
    calls=("GetAccountPasswordPolicy",),
    global_=True,
)
def password_policy(ctx: AwsContext) -> Iterator[CloudResource]:
    iam = ctx.client("iam")
    try:
        policy: dict[str, Any] | None = iam.get_account_password_policy()["PasswordPolicy"]
    except iam.exceptions.NoSuchEntityException:
        policy = None  # no policy: a fact to judge, not a collection failure
    attributes: dict[str, Any] = {"exists": policy is not None}
    for field, name in _PASSWORD_FIELDS.items():
        attributes[name] = None if policy is None else policy.get(field)
    yield ctx.resource("aws.iam.password_policy", "password-policy", attributes=attributes)


@resource_type(
    "aws.iam.account_summary",
    service="iam",
    calls=("GetAccountSummary", "ListVirtualMFADevices"),
    global_=True,
)
def account_summary(ctx: AwsContext) -> Iterator[CloudResource]:
    iam = ctx.client("iam")
    summary = {str(k): int(v) for k, v in iam.get_account_summary()["SummaryMap"].items()}
    errors: dict[str, str] = {}
    _, devices = attempt(
        errors,
        "ListVirtualMFADevices",
        lambda: paginate(
            iam, "list_virtual_mfa_devices", "VirtualMFADevices", AssignmentStatus="Assigned"
        ),
    )
    yield ctx.resource(
        "aws.iam.account_summary",
        "account-summary",
        attributes={
            "account_mfa_enabled": summary.get("AccountMFAEnabled", 0) == 1,
            "account_access_keys_present": summary.get("AccountAccessKeysPresent", 0) == 1,
            "root_virtual_mfa_devices": None
            if devices is None
            else sorted(str(d["SerialNumber"]) for d in devices if _is_root(d)),
            "summary": summary,
            "errors": errors,
        },
    )


def _is_root(device: dict[str, Any]) -> bool:
    """Root's virtual device is assigned to the account ARN (`...:root`); the console
    names it root-account-mfa-device."""
    user_arn = str((device.get("User") or {}).get("Arn", ""))
    return user_arn.endswith(":root") or str(device["SerialNumber"]).endswith(
        "/root-account-mfa-device"
    )


@resource_type(
    "aws.iam.server_certificate",
    service="iam",
    calls=("ListServerCertificates",),
    global_=True,
    id_field="ServerCertificateName",
)
def server_certificates(ctx: AwsContext) -> Iterator[CloudResource]:
    iam = ctx.client("iam")
    for cert in paginate(iam, "list_server_certificates", "ServerCertificateMetadataList"):
        yield ctx.resource(
            "aws.iam.server_certificate",
            str(cert["ServerCertificateName"]),
            arn=str(cert["Arn"]),
            attributes={
                "path": cert.get("Path", "/"),
                "certificate_id": cert.get("ServerCertificateId", ""),
                "uploaded": iso(cert.get("UploadDate")),
                "expiration": iso(cert.get("Expiration")),
            },
        )
