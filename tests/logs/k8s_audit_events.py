"""Kubernetes audit events, one firing and one benign neighbour per rule of Falco's
``k8s_audit_rules.yaml``.

Each event follows the ``audit.k8s.io/v1`` ``Event`` format the API server writes
(kubernetes.io "Auditing" and the apiserver-audit.v1 reference): ``auditID``,
``stage``, ``requestURI``, ``verb``, ``user``, ``sourceIPs``, ``userAgent``,
``objectRef``, ``responseStatus``, ``requestObject``/``responseObject`` at the
RequestResponse level, both timestamps and the authorizer's annotations.

`CASES` maps a rule to ``(fires, quiet)``; `OVERRIDDEN` names the rules that are off in
Falco's file by construction (a macro that is always true or false) and are exercised
with `OVERRIDES`, the local rules a user would add to turn them on.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

Event = dict[str, Any]
_ids = itertools.count(1)

OVERRIDES = """
- macro: allowed_k8s_containers
  condition: (ka.req.pod.containers.image.repository in (docker.io/library/nginx))
  override: {condition: replace}
- macro: consider_all_events
  condition: (k8s_audit_always_true)
  override: {condition: replace}
- macro: allowed_full_admin_users
  condition: (k8s_audit_never_true)
  override: {condition: replace}
- macro: allow_all_k8s_nodes
  condition: (k8s_audit_never_true)
  override: {condition: replace}
- list: allowed_k8s_nodes
  items: [ip-10-0-1-17.ec2.internal]
  override: {items: replace}
"""
OVERRIDDEN = frozenset(
    {
        "Create Disallowed Pod",
        "All K8s Audit Events",
        "Full K8s Administrative Access",
        "Untrusted Node Successfully Joined the Cluster",
        "Untrusted Node Unsuccessfully Tried to Join the Cluster",
    }
)

_PLURAL_API = {
    "pods": "/api/v1",
    "services": "/api/v1",
    "configmaps": "/api/v1",
    "secrets": "/api/v1",
    "serviceaccounts": "/api/v1",
    "namespaces": "/api/v1",
    "nodes": "/api/v1",
    "deployments": "/apis/apps/v1",
    "ingresses": "/apis/networking.k8s.io/v1",
    "roles": "/apis/rbac.authorization.k8s.io/v1",
    "clusterroles": "/apis/rbac.authorization.k8s.io/v1",
    "rolebindings": "/apis/rbac.authorization.k8s.io/v1",
    "clusterrolebindings": "/apis/rbac.authorization.k8s.io/v1",
}
_CLUSTER_SCOPED = frozenset({"namespaces", "nodes", "clusterroles", "clusterrolebindings"})


def audit(
    verb: str,
    resource: str,
    name: str = "",
    namespace: str = "default",
    *,
    user: str = "alice@example.com",
    code: int | None = None,
    stage: str = "ResponseComplete",
    subresource: str = "",
    body: dict[str, Any] | None = None,
    query: str = "",
) -> Event:
    """One audit event as the API server logs it at the RequestResponse level."""
    ns = "" if resource in _CLUSTER_SCOPED else namespace
    base = _PLURAL_API[resource] + (f"/namespaces/{ns}" if ns else "") + f"/{resource}"
    uri = base + (f"/{name}" if name and verb != "create" else "")
    uri += (f"/{subresource}" if subresource else "") + (f"?{query}" if query else "")
    if code is None:
        code = 201 if verb == "create" else 200
    ref: dict[str, Any] = {"resource": resource, "apiVersion": "v1"}
    if ns:
        ref["namespace"] = ns
    if name:
        ref["name"] = name
    if subresource:
        ref["subresource"] = subresource
    n = next(_ids)
    event: Event = {
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "RequestResponse",
        "auditID": f"6f1c2a3e-0b1d-4c5e-9f00-{n:012d}",
        "stage": stage,
        "requestURI": uri,
        "verb": verb,
        "user": {"username": user, "groups": ["system:authenticated"]},
        "sourceIPs": ["198.51.100.23"],
        "userAgent": "kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819",
        "objectRef": ref,
        "responseStatus": {"metadata": {}, "code": code},
        "requestReceivedTimestamp": "2024-03-05T14:21:07.118313Z",
        "stageTimestamp": "2024-03-05T14:21:07.131502Z",
        "annotations": {
            "authorization.k8s.io/decision": "allow" if code < 400 else "forbid",
            "authorization.k8s.io/reason": "RBAC: allowed by ClusterRoleBinding",
        },
    }
    if code >= 400:
        event["responseStatus"].update(status="Failure", reason="Forbidden")
    if body is not None:
        event["requestObject"] = body
        if code < 400:
            event["responseObject"] = {**body, "metadata": {**body.get("metadata", {})}}
    return event


def pod(
    name: str = "web-0",
    image: str = "docker.io/library/alpine:3.19",
    *,
    privileged: bool | None = None,
    host: dict[str, bool] | None = None,
    volumes: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "main", "image": image}
    if privileged is not None:
        container["securityContext"] = {"privileged": privileged}
    spec: dict[str, Any] = {"containers": [container], **(host or {})}
    if volumes is not None:
        spec["volumes"] = volumes
    return {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": name}, "spec": spec}


def create_pod(namespace: str = "default", **kw: Any) -> Event:
    return audit("create", "pods", "web-0", namespace, body=pod(**kw))


def role(resources: list[str], verbs: list[str], kind: str = "ClusterRole") -> dict[str, Any]:
    return {
        "kind": kind,
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "metadata": {"name": "ops"},
        "rules": [{"apiGroups": [""], "resources": resources, "verbs": verbs}],
    }


def binding(role_name: str) -> dict[str, Any]:
    return {
        "kind": "ClusterRoleBinding",
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "metadata": {"name": "ops-binding"},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": role_name,
        },
        "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "bob"}],
    }


def _with(event: Event, **changes: Any) -> Event:
    out = copy.deepcopy(event)
    out.update(changes)
    return out


def _denied(event: Event) -> Event:
    out = copy.deepcopy(event)
    out["responseStatus"] = {
        "metadata": {},
        "status": "Failure",
        "reason": "Forbidden",
        "code": 403,
    }
    out.pop("responseObject", None)
    out["annotations"] = {
        "authorization.k8s.io/decision": "forbid",
        "authorization.k8s.io/reason": "",
    }
    return out


_EXEC_QUERY = "command=sh&command=-c&command=id&container=web&stdin=true&stdout=true&tty=true"
_HOSTPATH = [{"name": "sock", "hostPath": {"path": "/var/run/docker.sock", "type": "Socket"}}]
_CM = {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "app"}}
_SERVICE = {
    "kind": "Service",
    "apiVersion": "v1",
    "metadata": {"name": "web"},
    "spec": {
        "type": "NodePort",
        "ports": [{"port": 80, "targetPort": 8080, "nodePort": 30080, "protocol": "TCP"}],
    },
}
_INGRESS: dict[str, Any] = {
    "kind": "Ingress",
    "apiVersion": "networking.k8s.io/v1",
    "metadata": {"name": "web"},
    "spec": {
        "rules": [
            {
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": "web", "port": {"number": 80}}},
                        }
                    ]
                }
            }
        ]
    },
}
_NODE = {"kind": "Node", "apiVersion": "v1", "metadata": {"name": "rogue-node"}}


def _activity(resource: str, name: str, namespace: str = "dev") -> dict[str, tuple[Event, Event]]:
    """The Created/Deleted pair of rules of one resource: success fires, 403 does not."""
    label = {
        "deployments": "Deployment",
        "services": "Service",
        "configmaps": "ConfigMap",
        "namespaces": "Namespace",
        "serviceaccounts": "Serviceaccount",
        "roles": "Role",
        "clusterroles": "ClusterRole",
        "rolebindings": "RoleBinding",
        "clusterrolebindings": "ClusterRoleBinding",
        "secrets": "Secret",
    }[resource]
    created = audit("create", resource, name, namespace, body={"metadata": {"name": name}})
    deleted = audit("delete", resource, name, namespace)
    return {
        f"K8s {label} Created": (created, _denied(created)),
        f"K8s {label} Deleted": (deleted, _denied(deleted)),
    }


CASES: dict[str, tuple[Event, Event]] = {
    "Disallowed K8s User": (
        audit("list", "secrets", user="mallory"),
        audit("list", "secrets", user="minikube"),
    ),
    "Create Disallowed Pod": (
        create_pod(image="quay.io/evil/xmrig:6.21"),
        create_pod(image="docker.io/library/nginx:1.25"),
    ),
    "Create Privileged Pod": (create_pod(privileged=True), create_pod(privileged=False)),
    "Create Sensitive Mount Pod": (
        create_pod(volumes=_HOSTPATH),
        create_pod(volumes=[{"name": "data", "hostPath": {"path": "/srv/data"}}]),
    ),
    "Create HostNetwork Pod": (
        create_pod(host={"hostNetwork": True}),
        create_pod(host={"hostNetwork": False}),
    ),
    "Create HostPid Pod": (create_pod(host={"hostPID": True}), create_pod()),
    "Create HostIPC Pod": (create_pod(host={"hostIPC": True}), create_pod(host={"hostIPC": False})),
    "Create NodePort Service": (
        audit("create", "services", "web", body=_SERVICE),
        audit("create", "services", "web", body={**_SERVICE, "spec": {"type": "ClusterIP"}}),
    ),
    "Create/Modify Configmap With Private Credentials": (
        audit(
            "update",
            "configmaps",
            "app",
            body={**_CM, "data": {"config.ini": "aws_access_key_id=AKIAIOSFODNN7EXAMPLE"}},
        ),
        audit("update", "configmaps", "app", body={**_CM, "data": {"log.level": "debug"}}),
    ),
    "Anonymous Request Allowed": (
        audit("list", "secrets", namespace="kube-system", user="system:anonymous"),
        _with(audit("get", "nodes", user="system:anonymous"), requestURI="/healthz"),
    ),
    "Attach/Exec Pod": (
        audit(
            "create",
            "pods",
            "web-0",
            stage="ResponseStarted",
            subresource="exec",
            query=_EXEC_QUERY,
        ),
        audit("get", "pods", "web-0", stage="ResponseStarted", subresource="log"),
    ),
    "port-forward": (
        audit("create", "pods", "web-0", stage="ResponseStarted", subresource="portforward"),
        audit("get", "pods", "web-0", subresource="proxy"),
    ),
    "EphemeralContainers Created": (
        audit(
            "patch",
            "pods",
            "web-0",
            subresource="ephemeralcontainers",
            body={"ephemeralContainers": [{"name": "debugger", "image": "busybox:1.36"}]},
        ),
        audit("patch", "pods", "web-0", subresource="status", body={"status": {}}),
    ),
    "Create Disallowed Namespace": (
        audit("create", "namespaces", "miner", body={"metadata": {"name": "miner"}}),
        audit("create", "namespaces", "default", body={"metadata": {"name": "default"}}),
    ),
    "Pod Created in Kube Namespace": (create_pod("kube-system"), create_pod("dev")),
    "Service Account Created in Kube Namespace": (
        audit("create", "serviceaccounts", "backdoor", "kube-system"),
        audit("create", "serviceaccounts", "coredns", "kube-system"),
    ),
    "System ClusterRole Modified/Deleted": (
        audit("update", "clusterroles", "system:node", body=role(["*"], ["*"])),
        audit("update", "clusterroles", "system:coredns", body=role(["endpoints"], ["list"])),
    ),
    "Attach to cluster-admin Role": (
        audit("create", "clusterrolebindings", "ops-binding", body=binding("cluster-admin")),
        audit("create", "clusterrolebindings", "ops-binding", body=binding("view")),
    ),
    "ClusterRole With Wildcard Created": (
        audit("create", "clusterroles", "ops", body=role(["*"], ["get"])),
        audit("create", "clusterroles", "ops", body=role(["pods"], ["get", "list"])),
    ),
    "ClusterRole With Write Privileges Created": (
        audit("create", "roles", "ops", body=role(["deployments"], ["get", "patch"], "Role")),
        audit("create", "roles", "ops", body=role(["deployments"], ["get", "watch"], "Role")),
    ),
    "ClusterRole With Pod Exec Created": (
        audit("create", "clusterroles", "ops", body=role(["pods", "pods/exec"], ["create"])),
        audit("create", "clusterroles", "ops", body=role(["pods", "pods/log"], ["get"])),
    ),
    **_activity("deployments", "web"),
    **_activity("services", "web"),
    **_activity("configmaps", "app"),
    **_activity("namespaces", "staging"),
    **_activity("serviceaccounts", "ci"),
    **_activity("roles", "ops"),
    **_activity("clusterroles", "ops"),
    **_activity("rolebindings", "ops-binding"),
    **_activity("clusterrolebindings", "ops-binding"),
    **_activity("secrets", "db-password"),
    "K8s Secret Get Successfully": (
        audit("get", "secrets", "db-password"),
        _denied(audit("get", "secrets", "db-password")),
    ),
    "K8s Secret Get Unsuccessfully Tried": (
        _denied(audit("get", "secrets", "db-password")),
        audit("get", "secrets", "db-password"),
    ),
    "All K8s Audit Events": (
        audit("list", "pods"),
        audit("list", "pods", stage="RequestReceived"),
    ),
    "Full K8s Administrative Access": (
        audit("list", "pods", user="kubernetes-admin"),
        audit("list", "pods", user="alice@example.com"),
    ),
    "Ingress Object without TLS Certificate Created": (
        audit("create", "ingresses", "web", body=_INGRESS),
        audit(
            "create",
            "ingresses",
            "web",
            body={
                **_INGRESS,
                "spec": {
                    **_INGRESS["spec"],
                    "tls": [{"hosts": ["web.example.com"], "secretName": "web-tls"}],
                },
            },
        ),
    ),
    "Untrusted Node Successfully Joined the Cluster": (
        audit("create", "nodes", "rogue-node", user="system:node:rogue-node", body=_NODE),
        audit("create", "nodes", "ip-10-0-1-17.ec2.internal", user="system:node:x", body=_NODE),
    ),
    "Untrusted Node Unsuccessfully Tried to Join the Cluster": (
        _denied(audit("create", "nodes", "rogue-node", user="system:node:rogue-node")),
        audit("create", "nodes", "rogue-node", user="system:node:rogue-node", body=_NODE),
    ),
}
