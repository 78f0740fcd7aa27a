"""Every Kubernetes check over manifests of arbitrary shape: untyped YAML (a list where a
mapping belongs, a mapping where a string belongs...) must never make a check raise (a
raising check leaves a MANUAL "check could not run" finding, which this test forbids)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.model import CloudResource, FindingStatus, Inventory
from mamori.posture.check import k8s_checks
from mamori.posture.runner import run_checks
from mamori.workload.k8s.manifests import to_resource

_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 70000),
    st.sampled_from(["ALL", "NET_RAW", "RuntimeDefault", "Unmasked", "*", "0", "", "windows"]),
    st.text(max_size=6),
)
_any = st.recursive(
    _leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=12,
)
FIELDS = [
    "securityContext",
    "capabilities",
    "add",
    "drop",
    "ports",
    "hostPort",
    "volumes",
    "hostPath",
    "sysctls",
    "name",
    "image",
    "env",
    "envFrom",
    "resources",
    "limits",
    "seLinuxOptions",
    "appArmorProfile",
    "seccompProfile",
    "type",
    "livenessProbe",
    "httpGet",
    "host",
    "lifecycle",
    "os",
    "hostUsers",
    "runAsUser",
    "runAsNonRoot",
    "procMount",
    "windowsOptions",
    "automountServiceAccountToken",
    "serviceAccountName",
    "annotations",
]
_shaped: st.SearchStrategy[Any] = st.recursive(
    _any,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELDS), inner, max_size=5)
    ),
    max_leaves=25,
)


def _maybe(shape: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A mapping with any subset of these keys, each value well- or ill-shaped."""
    return st.fixed_dictionaries({}, optional=shape) | _any


_profile = _maybe({"type": _any})
_security = _maybe(
    {
        "capabilities": _maybe({"add": st.lists(_any, max_size=3) | _any, "drop": _any}),
        "seccompProfile": _profile,
        "appArmorProfile": _profile,
        "seLinuxOptions": _maybe({"type": _any, "user": _any, "role": _any}),
        "windowsOptions": _maybe({"hostProcess": _any}),
        "runAsUser": _any,
        "runAsNonRoot": _any,
        "procMount": _any,
        "privileged": _any,
        "allowPrivilegeEscalation": _any,
        "readOnlyRootFilesystem": _any,
        "sysctls": st.lists(_maybe({"name": _any}), max_size=3) | _any,
    }
)
_container = _maybe(
    {
        "name": _any,
        "image": _any,
        "securityContext": _security,
        "ports": st.lists(_maybe({"hostPort": _any}), max_size=2) | _any,
        "env": st.lists(_maybe({"valueFrom": _maybe({"secretKeyRef": _any})}), max_size=2),
        "resources": _maybe({"limits": _maybe({"cpu": _any, "memory": _any})}),
        "livenessProbe": _maybe({"httpGet": _maybe({"host": _any}), "tcpSocket": _any}),
        "lifecycle": _maybe({"preStop": _maybe({"httpGet": _maybe({"host": _any})})}),
    }
)
_pod_spec = _maybe(
    {
        "containers": st.lists(_container, max_size=2) | _any,
        "initContainers": st.lists(_container, max_size=2) | _any,
        "ephemeralContainers": st.lists(_container, max_size=1) | _any,
        "securityContext": _security,
        "volumes": st.lists(_maybe({"name": _any, "hostPath": _any, "nfs": _any}), max_size=2),
        "os": _maybe({"name": _any}),
        "hostUsers": _any,
        "hostPID": _any,
        "automountServiceAccountToken": _any,
        "serviceAccountName": _any,
    }
)
_rules = (
    st.lists(
        _maybe({"apiGroups": _any, "resources": _any, "verbs": _any, "nonResourceURLs": _any}),
        max_size=3,
    )
    | _shaped
)


def _objects(pod_spec: Any, container: Any, rules: Any, subjects: Any) -> list[CloudResource]:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "n"},
        "spec": {"template": {"metadata": {"annotations": container}, "spec": pod_spec}},
    }
    if isinstance(pod_spec, dict):
        pod_spec = {**pod_spec, "initContainers": [container]}
    role = {"apiVersion": "v1", "kind": "ClusterRole", "metadata": {"name": "r"}, "rules": rules}
    binding = {
        "apiVersion": "v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "b"},
        "roleRef": rules,
        "subjects": subjects,
    }
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": subjects}
    return [
        to_resource(
            obj, file="f.yaml", document=i, item=None, lines={}, helm_source=None, suppressions={}
        )
        for i, obj in enumerate((deployment, role, binding, account))
    ]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_pod_spec, _container, _rules, _shaped)
def test_no_check_raises_on_any_shape(
    pod_spec: Any, container: Any, rules: Any, subjects: Any
) -> None:
    inventory = Inventory(
        provider="k8s", resources=tuple(_objects(pod_spec, container, rules, subjects))
    )
    notices: list[Any] = []
    findings = run_checks(inventory, registry=k8s_checks, notices=notices)
    assert not notices, notices
    assert not [f for f in findings if f.status == FindingStatus.MANUAL]
