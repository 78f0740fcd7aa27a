"""CIS 5.2.1: Pod Security Admission enforces baseline or restricted in each namespace
that holds user workloads (its `pod-security.kubernetes.io/enforce` label)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import CloudResource, Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.k8s._pod import as_dict, pods

LABEL = "pod-security.kubernetes.io/enforce"
ENFORCING = ("baseline", "restricted")
LEVELS = ("privileged", *ENFORCING)
SYSTEM = frozenset({"kube-system", "kube-public", "kube-node-lease"})
FIELD = "/metadata/labels/pod-security.kubernetes.io~1enforce"


@check(__file__)
class K8sNamespacePssEnforced:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        declared = {
            str(r.attributes.get("name")): r
            for r in inventory.of_type("k8s.Namespace")
            if not r.attributes.get("synthetic")
        }
        users: dict[str, CloudResource] = {}
        for pod in pods(inventory):
            name = str(pod.resource.attributes.get("namespace") or "")
            if name and name not in SYSTEM:
                users.setdefault(name, pod.resource)
        labelled = {
            name
            for name, ns in declared.items()
            if LABEL
            in as_dict(
                as_dict(as_dict(ns.attributes.get("manifest")).get("metadata")).get("labels")
            )
        }
        # an undeclared namespace's labels are unknown (it may exist in the cluster): no verdict
        for name in sorted((set(users) & set(declared)) | labelled):
            namespace = declared[name]
            labels = as_dict(
                as_dict(as_dict(namespace.attributes.get("manifest")).get("metadata")).get("labels")
            )
            level = labels.get(LABEL)
            if level in ENFORCING:
                yield Result(
                    verdict=Verdict.PASS,
                    reason=f"Pod Security Admission enforces {level} in {name!r}.",
                    resource=namespace,
                )
            elif level is None:
                yield Result(
                    verdict=Verdict.FAIL,
                    reason=f"Namespace {name!r} has no {LABEL} label.",
                    resource=namespace,
                    detail={"field": "/metadata"},
                )
            else:
                why = (
                    "privileged (no restriction)" if level == "privileged" else "not a valid level"
                )
                yield Result(
                    verdict=Verdict.FAIL,
                    reason=f"Namespace {name!r} enforces {str(level)[:60]!r}: {why}.",
                    resource=namespace,
                    detail={"field": FIELD},
                )
