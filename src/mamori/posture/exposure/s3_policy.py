"""What in an S3 bucket policy or ACL is open to everyone (S3's meaning of "public").

A policy statement is public when it allows a wildcard principal (or uses NotPrincipal)
and no condition pins it to fixed values of a key that identifies who or where the
caller is (source IP range, VPC, endpoint, account, organisation, ARN...). That is how
S3 itself decides (the "meaning of public" in the S3 user guide); S3's own verdict, when
GetBucketPolicyStatus gave one, is preferred by the caller. One deliberate difference:
an aws:SourceIp range wider than /8 (IPv4) or /32 (IPv6) is counted as open, since it
spans a good part of the internet.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from typing import Any

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"

# Condition keys that, set to fixed values, make a statement non-public (lower case:
# IAM condition keys are case-insensitive).
_PINNING_KEYS = frozenset(
    {
        "aws:sourceip",
        "aws:sourcearn",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourceowner",
        "aws:sourceaccount",
        "aws:sourceorgid",
        "aws:sourceorgpaths",
        "aws:principalaccount",
        "aws:principalarn",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:userid",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
        "s3:dataaccesspointaccount",
        "s3:dataaccesspointarn",
    }
)
# Operators that restrict to the listed values (their Not* and *IfExists forms do not).
_POSITIVE = frozenset(
    {"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike", "ipaddress"}
)


def as_list(value: Any) -> list[Any]:
    """A policy element that may be one value or a list, as a list."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def statements(policy: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The statements of a policy document, skipping anything that is not an object."""
    if not policy:
        return []
    return [s for s in as_list(policy.get("Statement")) if isinstance(s, dict)]


def _wildcard_principal(statement: Mapping[str, Any]) -> bool:
    if "NotPrincipal" in statement:
        return True  # allow everyone except the listed: public
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        return "*" in as_list(principal.get("AWS"))
    return False


def _fixed(key: str, value: Any) -> bool:
    text = str(value)
    if not text or "*" in text or "?" in text or "${" in text:
        return False
    if key == "aws:sourceip":
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            return False
        return network.prefixlen >= (8 if network.version == 4 else 32)
    return True


def _pinned(condition: Any) -> bool:
    """Whether some condition limits the statement to fixed callers or places."""
    if not isinstance(condition, Mapping):
        return False
    for operator, entries in condition.items():
        op = str(operator).lower()
        if op.startswith("forallvalues:") or op.endswith("ifexists"):
            continue  # true when the key is absent: restricts nothing
        op = op.removeprefix("foranyvalue:")
        if op not in _POSITIVE or not isinstance(entries, Mapping):
            continue
        for key, values in entries.items():
            key = str(key).lower()
            listed = as_list(values)
            if key in _PINNING_KEYS and listed and all(_fixed(key, v) for v in listed):
                return True
    return False


def _label(statement: Mapping[str, Any], index: int) -> str:
    sid = statement.get("Sid")
    return f"statement {sid!r}" if sid else f"statement #{index + 1}"


def public_statements(policy: Mapping[str, Any] | None) -> Iterator[str]:
    """One sentence per Allow statement that anyone on the internet can use."""
    for index, statement in enumerate(statements(policy)):
        if statement.get("Effect") != "Allow" or not _wildcard_principal(statement):
            continue
        if _pinned(statement.get("Condition")):
            continue
        actions = ", ".join(str(a) for a in as_list(statement.get("Action"))) or "NotAction"
        yield f"bucket policy {_label(statement, index)} allows {actions} to everyone"


def public_grants(acl: Mapping[str, Any] | None) -> Iterator[str]:
    """One sentence per ACL grant to everyone (AllUsers) or to any AWS account."""
    for grant in (acl or {}).get("grants", []):
        who = grant.get("grantee")
        if who == ALL_USERS:
            yield f"bucket ACL grants {grant.get('permission')} to everyone (AllUsers)"
        elif who == AUTHENTICATED_USERS:
            yield (
                f"bucket ACL grants {grant.get('permission')} to any AWS account "
                "(AuthenticatedUsers)"
            )
