"""IaC resources -> the cloud model's CloudResources, so the AWS posture checks judge them.

One model, several sources: `map_terraform` and `map_cloudformation` produce the same
resource types and attribute names the AWS collectors document (`cloud/aws/resources/`),
so an S3 bucket read from Terraform is judged by the same check code as one read from
the S3 API. Companion resources (a bucket's public-access block, versioning, logging,
policy; security-group rules; a function URL) are `Amend`s applied to the resource they
reference, by address (`Ref`) or by literal name, within the same directory (Terraform)
or file (plan, CloudFormation).

An attribute whose value the reader could not evaluate becomes None and is listed in
`attributes["unknown"]`: `applicability` then drops a verdict that rests on it, instead
of passing or failing on a guess. Every resource keeps its provenance in
`attributes["iac"]` (file, line, address, IaC type, notes) and inline suppressions in
`attributes["suppressions"]`.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mamori.model import CloudResource
from mamori.workload.iac.model import IacResource, Ref, Unknown


@dataclass
class Draft:
    """A model resource under construction (attributes may still hold Unknown/Ref)."""

    type: str
    origin: IacResource
    attrs: dict[str, Any]
    name: Any = None
    derived: list[Callable[[Draft, dict[tuple[str, str, str], Draft]], None]] = field(
        default_factory=list
    )

    @property
    def scope(self) -> str:
        return scope_of(self.origin)


@dataclass
class Amend:
    """Changes one companion resource makes to the resource it references."""

    type: str  # the model type of the target
    target: Any  # a Ref, or the target's literal name
    origin: IacResource
    apply: Callable[[dict[str, Any]], None]


Mapper = Callable[[IacResource], "list[Draft | Amend]"]


def scope_of(resource: IacResource) -> str:
    if resource.source == "terraform":
        return f"{resource.root}|{posixpath.dirname(resource.file)}"
    return resource.file


def unknown(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Unknown | Ref):
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def present(value: Any) -> Any:
    """For settings where only presence matters (a KMS key id): a Ref is a set value."""
    return str(value) if isinstance(value, Ref) else value


def as_bool(value: Any, default: bool | None = None) -> Any:
    if value is None:
        return default
    if isinstance(value, (bool, Unknown | Ref)):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1"):
        return True
    if text in ("false", "no", "0"):
        return False
    return Unknown(str(value))


def as_int(value: Any) -> Any:
    if value is None or isinstance(value, Unknown | Ref | bool):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        return Unknown(str(value))


def block(value: Any) -> Any:
    """An HCL block (a list of one dict) or a CFN mapping as a dict; Unknown passes."""
    if isinstance(value, Unknown | Ref):
        return value
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, dict) else {}


def strings(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, Unknown | Ref):
        return value
    items = value if isinstance(value, list) else [value]
    return [i if isinstance(i, Unknown | Ref) else str(i) for i in items]


def policy_document(value: Any) -> Any:
    """A policy given as JSON text (Terraform) or as a mapping (CloudFormation)."""
    if value is None or value == "":
        return None
    if isinstance(value, (dict, Unknown | Ref)):
        return value
    try:
        parsed = json.loads(str(value))
    except ValueError:
        return Unknown("policy is not JSON")
    return parsed if isinstance(parsed, dict) else Unknown("policy is not a JSON object")


PARTIAL = "__partial__"  # attrs key: attribute names of which only some items are known


def add_rule(attrs: dict[str, Any], direction: str, rule: Any) -> None:
    """Add a separately declared security-group rule. When the group's own rule list is
    unknown (a plan computes it), the known rule still counts: the list becomes partial,
    so a failure it causes stands while a pass does not (see `applicability`)."""
    current = attrs.get(direction)
    if isinstance(current, list):
        attrs[direction] = [*current, rule]
    elif isinstance(current, Unknown | Ref) or direction in attrs.get(PARTIAL, ()):
        attrs[direction] = [rule]
        attrs.setdefault(PARTIAL, set()).add(direction)


Index = dict[tuple[str, str, str], "Draft"]


def link_key(scope: str, type_: str, target: Any) -> tuple[str, str, str] | None:
    """Where a reference points: (scope, model type, "ref:<address>" | "name:<name>")."""
    if isinstance(target, Ref):
        return scope, type_, f"ref:{target.address}"
    if isinstance(target, str) and target:
        return scope, type_, f"name:{target}"
    return None


def build(items: list[Draft | Amend]) -> list[CloudResource]:
    """Apply amendments to their targets, then finish every draft into a CloudResource."""
    drafts = [i for i in items if isinstance(i, Draft)]
    index: Index = {}
    for draft in drafts:
        index.setdefault((draft.scope, draft.type, f"ref:{draft.origin.address}"), draft)
        if isinstance(draft.name, str) and draft.name:
            index.setdefault((draft.scope, draft.type, f"name:{draft.name}"), draft)
    for item in items:
        if isinstance(item, Amend):
            key = link_key(scope_of(item.origin), item.type, item.target)
            target = index.get(key) if key else None
            if target is not None:
                item.apply(target.attrs)
    for draft in drafts:
        for derive in draft.derived:
            derive(draft, index)
    return [finish(d) for d in drafts]


def finish(draft: Draft) -> CloudResource:
    origin = draft.origin
    attrs: dict[str, Any] = {}
    missing: list[str] = []
    partial = sorted(draft.attrs.pop(PARTIAL, ()))
    for key, value in draft.attrs.items():
        if unknown(value):
            attrs[key] = None
            missing.append(key)
        else:
            attrs[key] = value
    name = draft.name if isinstance(draft.name, str) and draft.name else origin.address
    attrs["unknown"] = sorted(missing)
    attrs["partial"] = partial
    attrs["iac"] = {
        "file": origin.file,
        "line": origin.line,
        "address": origin.address,
        "type": origin.type,
        "format": origin.source,
        "notes": list(origin.notes),
    }
    attrs["suppressions"] = dict(origin.suppressions)
    arn = None
    if draft.type == "aws.s3.bucket" and isinstance(draft.name, str) and draft.name:
        arn = f"arn:aws:s3:::{draft.name}"
    return CloudResource(
        type=draft.type, id=origin.key, name=name, arn=arn, account="", attributes=attrs
    )
