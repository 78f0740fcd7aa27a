"""RBAC objects in manifests: what a Role or ClusterRole grants, what a binding binds.

A rule grants a (verb, group, resource) when each of its lists holds the value or "*"
(resourceNames narrow a rule but still grant access, so they are ignored here, as CIS's
audits ignore them). Subresources are written "resource/subresource" ("nodes/proxy").
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from mamori.model import CloudResource, Inventory
from mamori.posture.check import Result, Verdict
from mamori.posture.checks.k8s._pod import as_dict, as_list, pointer

ROLE_TYPES = ("k8s.Role", "k8s.ClusterRole")
BINDING_TYPES = ("k8s.RoleBinding", "k8s.ClusterRoleBinding")
ANY = frozenset({"*"})
WRITE = frozenset({"create", "update", "patch", "delete", "deletecollection"})


@dataclass(frozen=True)
class Grant:
    verbs: frozenset[str]  # empty: any verb
    group: str
    resources: frozenset[str]


def _values(rule: dict[str, object], key: str) -> set[str]:
    return {str(v) for v in as_list(rule.get(key))}


def rule_grants(rule: dict[str, object], grant: Grant) -> bool:
    verbs, groups, resources = (_values(rule, k) for k in ("verbs", "apiGroups", "resources"))
    if not (verbs and resources):
        return False
    verb_ok = "*" in verbs or not grant.verbs or bool(verbs & grant.verbs)
    group_ok = "*" in groups or grant.group in groups
    resource_ok = "*" in resources or bool(resources & grant.resources)
    return verb_ok and group_ok and resource_ok


def roles(inventory: Inventory) -> Iterator[CloudResource]:
    for resource in inventory.resources:
        if resource.type in ROLE_TYPES:
            yield resource


def bindings(inventory: Inventory) -> Iterator[CloudResource]:
    for resource in inventory.resources:
        if resource.type in BINDING_TYPES:
            yield resource


def judge_roles(inventory: Inventory, grants: tuple[Grant, ...], what: str) -> Iterator[Result]:
    """PASS/FAIL per Role and ClusterRole: does any rule grant any of `grants`?"""
    for role in roles(inventory):
        rules = as_list(as_dict(role.attributes.get("manifest")).get("rules"))
        hit = next(
            (
                i
                for i, rule in enumerate(rules)
                if isinstance(rule, dict) and any(rule_grants(rule, g) for g in grants)
            ),
            None,
        )
        if hit is None:
            yield Result(verdict=Verdict.PASS, reason=f"No rule grants {what}.", resource=role)
        else:
            yield Result(
                verdict=Verdict.FAIL,
                reason=f"Rule {hit} grants {what}.",
                resource=role,
                detail={"field": pointer(("rules", hit))},
            )


def wildcard_rule(rule: dict[str, object]) -> str | None:
    for key in ("verbs", "resources", "apiGroups", "nonResourceURLs"):
        if "*" in _values(rule, key):
            return key
    return None


def subjects(binding: CloudResource) -> list[tuple[int, dict[str, object]]]:
    items = as_list(as_dict(binding.attributes.get("manifest")).get("subjects"))
    return [(i, s) for i, s in enumerate(items) if isinstance(s, dict)]


def role_ref(binding: CloudResource) -> dict[str, object]:
    return as_dict(as_dict(binding.attributes.get("manifest")).get("roleRef"))


def wildcard_roles(inventory: Inventory) -> Iterator[Result]:
    """CIS 5.1.3: PASS/FAIL per Role and ClusterRole: a "*" in any rule's lists."""
    for role in roles(inventory):
        rules = as_list(as_dict(role.attributes.get("manifest")).get("rules"))
        hit = next(
            (
                (i, key)
                for i, rule in enumerate(rules)
                if isinstance(rule, dict) and (key := wildcard_rule(rule)) is not None
            ),
            None,
        )
        if hit is None:
            yield Result(verdict=Verdict.PASS, reason="No wildcard in any rule.", resource=role)
        else:
            yield Result(
                verdict=Verdict.FAIL,
                reason=f'Rule {hit[0]} has "*" in {hit[1]}.',
                resource=role,
                detail={"field": pointer(("rules", hit[0], hit[1]))},
            )
