"""Does a resource policy (Lambda, ECR) grant anything to anyone?

A statement is public when it Allows a wildcard principal ("*", {"AWS": "*"}, or any
NotPrincipal) and no condition narrows who may call: a positive condition on one of the
keys below (source ARN/account, principal org/account/ARN, source VPC or endpoint, a
source IP range other than the whole internet). Negated operators (StringNotEquals...)
and `...IfExists` operators do not narrow an anonymous caller, so they do not count.
NotAction is taken as "*": it grants everything but a few actions.
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any

NARROWING_KEYS = frozenset(
    {
        "aws:sourcearn",
        "aws:sourceaccount",
        "aws:sourceowner",
        "aws:sourceorgid",
        "aws:sourceorgpaths",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:principalaccount",
        "aws:principalarn",
        "aws:userid",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourceip",
    }
)
WORLD = frozenset({"0.0.0.0/0", "::/0"})


def parse(text: str | None) -> dict[str, Any] | None:
    """A policy document from its JSON text; None when absent or unparsable."""
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _wildcard_principal(statement: dict[str, Any]) -> bool:
    if "NotPrincipal" in statement:
        return True
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any("*" in _list(principal.get(k)) for k in ("AWS", "CanonicalUser"))
    return False


def _narrowed(condition: Any) -> bool:
    if not isinstance(condition, dict):
        return False
    for operator, clauses in condition.items():
        op = str(operator).lower()
        if "not" in op or op.endswith("ifexists") or not isinstance(clauses, dict):
            continue
        for key, value in clauses.items():
            values = {str(v) for v in _list(value)}
            if str(key).lower() not in NARROWING_KEYS or not values or "*" in values:
                continue
            if str(key).lower() == "aws:sourceip" and values & WORLD:
                continue
            return True
    return False


def public_actions(policy: dict[str, Any] | None) -> list[str]:
    """Actions that public statements of `policy` allow, sorted ("*" for NotAction)."""
    found: set[str] = set()
    for statement in _list((policy or {}).get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        if not _wildcard_principal(statement) or _narrowed(statement.get("Condition")):
            continue
        actions = ["*"] if "NotAction" in statement else _list(statement.get("Action"))
        found.update(str(a) for a in actions)
    return sorted(found)


def allows(actions: list[str], wanted: str) -> bool:
    """Whether any of `actions` (IAM wildcards, case-insensitive) covers `wanted`."""
    target = wanted.lower()
    return any(fnmatchcase(target, a.lower()) for a in actions)
