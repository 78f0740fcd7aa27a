"""Checks across objects: namespaces and their NetworkPolicies, the default namespace,
service accounts and their tokens, and who is bound to what.

Objects without `metadata.namespace` land in whatever namespace `kubectl apply -n` (or the
current context) gives them; they are grouped as one namespace named "" here.
"""

from __future__ import annotations

from collections.abc import Iterator

from mamori.model import CloudResource, Inventory
from mamori.posture.check import Result, Verdict
from mamori.posture.checks.k8s._pod import as_dict, pods, pointer
from mamori.posture.checks.k8s._rbac import bindings, role_ref, subjects

# Kinds that live outside namespaces (a namespace field on them is ignored by the API).
CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "Node",
        "PersistentVolume",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "StorageClass",
        "PriorityClass",
        "IngressClass",
        "RuntimeClass",
        "CSIDriver",
        "CSINode",
        "VolumeAttachment",
        "APIService",
        "CertificateSigningRequest",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "PodSecurityPolicy",
        "ComponentStatus",
        "FlowSchema",
        "PriorityLevelConfiguration",
        "ClusterIssuer",
        "GatewayClass",
    }
)
LIST_KINDS_SKIPPED = frozenset({"Kustomization", "Chart", "Config"})


def _kind(resource: CloudResource) -> str:
    return str(resource.attributes.get("kind", ""))


def _namespace(resource: CloudResource) -> str:
    return str(resource.attributes.get("namespace") or "")


def namespaced(resource: CloudResource) -> bool:
    return (
        resource.type.startswith("k8s.")
        and resource.type != "k8s.settings"
        and _kind(resource) not in CLUSTER_SCOPED
        and not resource.attributes.get("synthetic")
    )


def namespace_resource(name: str, first: CloudResource) -> CloudResource:
    """A Namespace the manifests use without declaring it (provenance: its first user)."""
    return CloudResource(
        type="k8s.Namespace",
        id=f"namespace:{name or '-'}",
        name=f"Namespace {name or '(unset)'}",
        account="",
        attributes={
            "kind": "Namespace",
            "apiVersion": "v1",
            "name": name,
            "namespace": "",
            "file": first.attributes.get("file", ""),
            "line": first.attributes.get("line", 1),
            "manifest": {},
            "lines": {},
            "suppressions": {},
            "synthetic": True,
        },
    )


def namespace_network_policies(inventory: Inventory) -> Iterator[Result]:
    """Each namespace with pods (declared or used) must hold a NetworkPolicy."""
    declared = {str(r.attributes.get("name")): r for r in inventory.of_type("k8s.Namespace")}
    with_pods: dict[str, CloudResource] = {}
    for pod in pods(inventory):
        with_pods.setdefault(_namespace(pod.resource), pod.resource)
    policies = {_namespace(r) for r in inventory.of_type("k8s.NetworkPolicy")}
    for name in sorted(set(declared) | set(with_pods)):
        subject = declared.get(name) or namespace_resource(name, with_pods[name])
        label = f"namespace {name!r}" if name else "the namespace of objects without one"
        if name in policies:
            yield Result(
                verdict=Verdict.PASS,
                reason=f"A NetworkPolicy selects pods in {label}.",
                resource=subject,
            )
        else:
            yield Result(
                verdict=Verdict.FAIL,
                reason=f"No NetworkPolicy is defined for {label}.",
                resource=subject,
            )


def default_namespace(inventory: Inventory) -> Iterator[Result]:
    for resource in inventory.resources:
        if not namespaced(resource) or _kind(resource) in LIST_KINDS_SKIPPED:
            continue
        namespace = _namespace(resource)
        if namespace and namespace != "default":
            yield Result(
                verdict=Verdict.PASS, reason=f"In namespace {namespace!r}.", resource=resource
            )
        elif namespace == "default":
            yield Result(
                verdict=Verdict.FAIL,
                reason="Placed in the default namespace.",
                resource=resource,
                detail={"field": "/metadata/namespace"},
            )
        else:
            yield Result(
                verdict=Verdict.FAIL,
                reason="No namespace set: lands in the default namespace unless applied with -n.",
                resource=resource,
                detail={"field": "/metadata"},
            )


def default_service_account(inventory: Inventory) -> Iterator[Result]:
    """CIS 5.1.5: `default` ServiceAccounts do not automount tokens and are bound to nothing."""
    for account in inventory.of_type("k8s.ServiceAccount"):
        if account.attributes.get("name") != "default":
            continue
        mount = as_dict(account.attributes.get("manifest")).get("automountServiceAccountToken")
        if mount is False:
            yield Result(
                verdict=Verdict.PASS,
                reason="automountServiceAccountToken: false.",
                resource=account,
            )
        else:
            yield Result(
                verdict=Verdict.FAIL,
                reason="The default service account automounts its token.",
                resource=account,
                detail={"field": "/automountServiceAccountToken"},
            )
    for binding in bindings(inventory):
        for index, subject in subjects(binding):
            if subject.get("kind") == "ServiceAccount" and subject.get("name") == "default":
                yield Result(
                    verdict=Verdict.FAIL,
                    reason="Grants a role to a default service account.",
                    resource=binding,
                    detail={"field": pointer(("subjects", index))},
                )
                break


def token_automount(inventory: Inventory) -> Iterator[Result]:
    """CIS 5.1.6: a pod mounts an API token only when it says so (pod spec, else its SA)."""
    accounts = {
        (_namespace(a), str(a.attributes.get("name"))): as_dict(a.attributes.get("manifest"))
        for a in inventory.of_type("k8s.ServiceAccount")
    }
    for pod in pods(inventory):
        value = pod.spec.get("automountServiceAccountToken")
        name = str(
            pod.spec.get("serviceAccountName") or pod.spec.get("serviceAccount") or "default"
        )
        account = accounts.get((_namespace(pod.resource), name), {})
        if value is False:
            yield Result(
                verdict=Verdict.PASS,
                reason="The pod disables token automount.",
                resource=pod.resource,
            )
        elif value is None and account.get("automountServiceAccountToken") is False:
            reason = f"Service account {name!r} disables token automount."
            yield Result(verdict=Verdict.PASS, reason=reason, resource=pod.resource)
        else:
            yield Result(
                verdict=Verdict.FAIL,
                reason=f"The pod mounts the API token of service account {name!r}.",
                resource=pod.resource,
                detail={
                    "field": pointer(
                        pod.at("automountServiceAccountToken") if value is not None else pod.at()
                    )
                },
            )


def cluster_admin_bindings(inventory: Inventory) -> Iterator[Result]:
    """CIS 5.1.1: only the built-in cluster-admin ClusterRoleBinding binds cluster-admin."""
    for binding in bindings(inventory):
        ref = role_ref(binding)
        if ref.get("kind") == "ClusterRole" and ref.get("name") == "cluster-admin":
            if binding.attributes.get("name") == "cluster-admin":
                yield Result(verdict=Verdict.PASS, reason="The built-in binding.", resource=binding)
            else:
                yield Result(
                    verdict=Verdict.FAIL,
                    reason="Binds the cluster-admin ClusterRole.",
                    resource=binding,
                    detail={"field": "/roleRef/name"},
                )
        else:
            yield Result(
                verdict=Verdict.PASS, reason="Does not bind cluster-admin.", resource=binding
            )


def system_masters(inventory: Inventory) -> Iterator[Result]:
    """CIS 5.1.7: no binding names the system:masters group."""
    for binding in bindings(inventory):
        hit = next(
            (
                i
                for i, s in subjects(binding)
                if s.get("kind") == "Group" and s.get("name") == "system:masters"
            ),
            None,
        )
        if hit is None:
            yield Result(
                verdict=Verdict.PASS, reason="No system:masters subject.", resource=binding
            )
        else:
            yield Result(
                verdict=Verdict.FAIL,
                reason="Binds the system:masters group.",
                resource=binding,
                detail={"field": pointer(("subjects", hit))},
            )
