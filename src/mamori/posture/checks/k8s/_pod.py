"""Pods inside Kubernetes objects, and how a pod rule becomes one Result per object.

Objects that carry a pod (a Pod, or a workload's pod template: the manifest loader records
its JSON pointer as `pod_path`) are judged as a whole, as Pod Security Admission judges a
pod: one verdict per object, the reason naming the offending containers, and
`detail["field"]` the JSON pointer of the first offending field (which the scan turns into
a line). Containers are visited as PSA visits them: init containers, containers, then
ephemeral containers. Manifests are untyped, so every accessor tolerates wrong shapes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from mamori.model import CloudResource, Inventory
from mamori.posture.check import Result, Verdict

Path = tuple[str | int, ...]
Version = tuple[int, int]
LATEST: Version = (1, 37)  # newest Pod Security Admission policy version modelled here
SETTINGS_TYPE = "k8s.settings"  # the scan's settings resource (policy version)
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def dig(value: Any, *keys: str) -> Any:
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def pointer(path: Path) -> str:
    """RFC 6901 JSON pointer of a path of keys and indexes."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def parse_version(text: str) -> Version:
    """'latest', 'v1.30' or '1.30' -> (1, 30); ValueError for anything else."""
    value = text.strip().lower()
    if value in ("", "latest"):
        return LATEST
    parts = value.removeprefix("v").split(".")
    if len(parts) < 2 or not all(p.isdigit() for p in parts[:2]) or parts[0] != "1":
        raise ValueError(f"not a Kubernetes version: {text!r} (expected latest or v1.N)")
    return (1, min(int(parts[1]), LATEST[1]))


VERSION_LABEL = "pod-security.kubernetes.io/enforce-version"


def policy_version(inventory: Inventory) -> Version:
    """The scan's explicit policy version (--pss-version, .mamori.yaml), else latest."""
    for resource in inventory.of_type(SETTINGS_TYPE):
        return parse_version(str(resource.attributes.get("pss_version") or "latest"))
    return LATEST


def namespace_versions(inventory: Inventory) -> dict[str, Version]:
    """Namespace -> the PSA version its `enforce-version` label pins, when the scan sets
    none itself (an explicit version wins, as a what-if). Bad label values are ignored."""
    for resource in inventory.of_type(SETTINGS_TYPE):
        if resource.attributes.get("pss_version"):
            return {}
    out: dict[str, Version] = {}
    for namespace in inventory.of_type("k8s.Namespace"):
        labels = as_dict(dig(namespace.attributes.get("manifest"), "metadata", "labels"))
        value = labels.get(VERSION_LABEL)
        if isinstance(value, str):
            try:
                out[str(namespace.attributes.get("name"))] = parse_version(value)
            except ValueError:
                continue
    return out


@dataclass(frozen=True)
class Container:
    spec: dict[str, Any]
    path: Path  # from the object's root
    list_name: str  # initContainers, containers or ephemeralContainers

    @property
    def name(self) -> str:
        return str(self.spec.get("name", "?"))

    @property
    def security(self) -> dict[str, Any]:
        return as_dict(self.spec.get("securityContext"))

    def at(self, *parts: str | int) -> Path:
        return (*self.path, *parts)


@dataclass(frozen=True)
class Pod:
    resource: CloudResource
    meta: dict[str, Any]  # the pod (template) metadata
    spec: dict[str, Any]  # the pod (template) spec
    base: Path  # path of the pod (template) from the object's root
    listed: tuple[Container, ...] = ()  # its containers in PSA's order (see containers())

    @property
    def security(self) -> dict[str, Any]:
        return as_dict(self.spec.get("securityContext"))

    @property
    def windows(self) -> bool:
        return bool(dig(self.spec, "os", "name") == "windows")

    @property
    def user_namespace(self) -> bool:
        """`hostUsers: false`: the pod runs in its own user namespace."""
        return self.spec.get("hostUsers") is False

    def at(self, *parts: str | int) -> Path:
        """A path under the pod spec: pod.at("securityContext", "sysctls")."""
        return (*self.base, "spec", *parts)

    def meta_at(self, *parts: str | int) -> Path:
        return (*self.base, "metadata", *parts)

    def containers(self) -> Iterator[Container]:
        """Init containers, containers, then ephemeral containers."""
        return iter(self.listed)


def _containers(spec: dict[str, Any], base: Path) -> tuple[Container, ...]:
    return tuple(
        Container(item, (*base, "spec", list_name, index), list_name)
        for list_name in CONTAINER_LISTS
        for index, item in enumerate(as_list(spec.get(list_name)))
        if isinstance(item, dict)
    )


def pod_of(resource: CloudResource) -> Pod | None:
    ptr = resource.attributes.get("pod_path")
    if not isinstance(ptr, str):
        return None
    base: Path = tuple(p for p in ptr.split("/") if p)
    template = as_dict(dig(resource.attributes.get("manifest"), *[str(p) for p in base]))
    if not template and ptr:
        return None
    spec = as_dict(template.get("spec"))
    return Pod(resource, as_dict(template.get("metadata")), spec, base, _containers(spec, base))


@dataclass(frozen=True)
class _Derived:
    """What every pod check of one scan derives from the same inventory."""

    pods: tuple[Pod, ...]
    default: Version
    pinned: dict[str, Version]


# The last inventory's derivations. Forty-odd checks judge the same inventory one after
# another, and deriving its pods each time was a third of a manifest scan. One entry,
# matched by identity: it keeps at most one (the last) inventory alive.
_last: list[tuple[Inventory, _Derived]] = []


def _derived(inventory: Inventory) -> _Derived:
    last = _last[0] if _last else None
    if last is not None and last[0] is inventory:
        return last[1]
    found = []
    for resource in inventory.resources:
        if resource.type.startswith("k8s.") and "pod_path" in resource.attributes:
            pod = pod_of(resource)
            if pod is not None:
                found.append(pod)
    derived = _Derived(tuple(found), policy_version(inventory), namespace_versions(inventory))
    _last[:] = [(inventory, derived)]
    return derived


def pods(inventory: Inventory) -> Iterator[Pod]:
    return iter(_derived(inventory).pods)


@dataclass(frozen=True)
class Violation:
    reason: str
    path: Path  # the first offending field, from the object's root


Rule = Callable[[Pod, Version], Violation | None]


def quoted(names: list[str]) -> str:
    unique = list(dict.fromkeys(names))
    return ", ".join(f'"{n}"' for n in unique)


def containers_phrase(names: list[str]) -> str:
    unique = list(dict.fromkeys(names))
    return f"{'container' if len(unique) == 1 else 'containers'} {quoted(unique)}"


def judge_pods(
    inventory: Inventory, rule: Rule, passed: str, since: Version = (1, 0)
) -> Iterator[Result]:
    """One Result per pod-bearing object: FAIL with the rule's violation, else PASS.

    Below `since` (the PSA policy version that introduced the control) nothing is judged.
    """
    derived = _derived(inventory)
    default, pinned = derived.default, derived.pinned
    for pod in derived.pods:
        version = pinned.get(str(pod.resource.attributes.get("namespace") or ""), default)
        if version < since:
            continue
        violation = rule(pod, version)
        if violation is None:
            yield Result(verdict=Verdict.PASS, reason=passed, resource=pod.resource)
        else:
            yield Result(
                verdict=Verdict.FAIL,
                reason=violation.reason,
                resource=pod.resource,
                detail={"field": pointer(violation.path)},
            )


def first_violation(
    found: list[tuple[str, Path]], reason: Callable[[list[str]], str]
) -> Violation | None:
    """A Violation naming every offender (first element: its name) at the first one's path."""
    if not found:
        return None
    return Violation(reason([name for name, _ in found]), found[0][1])
