"""The ``k8s_audit`` source against Falco's k8s audit ruleset and the audit event format.

Oracles: Falco's ``k8s_audit_rules.yaml`` loads unmodified with zero errors and zero
warnings (as in Falco with the k8saudit and json plugins); every rule fires on an audit
event written here from the documented ``audit.k8s.io/v1`` format and stays quiet on a
benign neighbour; field values follow the k8saudit plugin's field reference.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.rules.engine import RuleSet, load, load_files
from mamori.rules.source import sources
from mamori.rules.sources._json_fields import numbered
from tests.logs.k8s_audit_events import CASES, OVERRIDDEN, OVERRIDES, audit, create_pod, pod
from tests.support import need_shared

RULES = "anchors/falco/plugin-rules/k8s_audit_rules.yaml"
SRC = sources.get("k8s_audit")


def field(name: str, event: dict[str, Any], arg: str | None = None) -> Any:
    _info, ref = SRC.resolve(name, arg)
    return SRC.compile_field(ref)(event)


@cache
def _ruleset(overridden: bool) -> RuleSet:
    path = need_shared(RULES)
    texts = [(str(path), path.read_text())]
    if overridden:
        texts.append(("local.yaml", OVERRIDES))
    rs = load(texts)
    assert not rs.result.errors, [str(e) for e in rs.result.errors]
    for r in rs.rules:
        r.enabled = True
    rs.reindex()
    return rs


def _fired(rs: RuleSet, event: dict[str, Any]) -> dict[str, str]:
    return {m.name: m.output for m in rs.match(event, "k8s_audit")}


def test_ruleset_loads_unmodified_without_errors_or_warnings() -> None:
    rs = load_files([need_shared(RULES)])
    assert not rs.result.errors, [str(e) for e in rs.result.errors]
    assert not rs.result.warnings, [str(w) for w in rs.result.warnings]
    assert len(rs.rules) == 48
    assert all(r.source == "k8s_audit" and r.event_types is None for r in rs.rules)
    used = {f.name for r in rs.rules for f in r.condition_fields}
    assert used <= set(SRC.fields) and not used & SRC.unextractable  # type: ignore[attr-defined]
    assert rs.event_types("k8s_audit") == frozenset()


def test_every_rule_has_a_case() -> None:
    names = {i["rule"] for i in yaml.safe_load(need_shared(RULES).read_text()) if "rule" in i}
    assert names == set(CASES)
    assert names > OVERRIDDEN


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_fires_and_neighbour_does_not(rule: str) -> None:
    fires, quiet = CASES[rule]
    rs = _ruleset(rule in OVERRIDDEN)
    assert rule in _fired(rs, fires)
    assert rule not in _fired(rs, quiet)
    if rule in OVERRIDDEN:  # off in Falco's file by construction
        assert rule not in _fired(_ruleset(False), fires)


def test_outputs_render_audit_values() -> None:
    rs = _ruleset(False)
    out = _fired(rs, CASES["Attach/Exec Pod"][0])["Attach/Exec Pod"]
    assert "pod=web-0" in out and "ns=default" in out and "action=exec" in out
    assert "command=sh" in out  # first value of a repeated query parameter
    out = _fired(rs, CASES["Create Privileged Pod"][0])["Create Privileged Pod"]
    assert "images=(docker.io/library/alpine:3.19)" in out or "alpine:3.19" in out
    out = _fired(rs, CASES["Attach to cluster-admin Role"][0])["Attach to cluster-admin Role"]
    assert '"name":"bob"' in out
    out = _fired(rs, CASES["K8s Secret Get Unsuccessfully Tried"][0])[
        "K8s Secret Get Unsuccessfully Tried"
    ]
    assert "resp=403" in out and "decision=forbid" in out


def test_scalar_fields() -> None:
    ev = CASES["K8s Secret Get Successfully"][0]
    assert field("ka.verb", ev) == "get"
    assert field("ka.response.code", ev) == "200"  # a JSON number, as text
    assert field("ka.target.resource", ev) == "secrets"
    assert field("ka.target.subresource", ev) is None
    assert field("ka.auth.decision", ev) == "allow"
    assert field("ka.user.groups", ev) == ("system:authenticated",)
    assert field("ka.sourceips", ev) == ("198.51.100.23",)
    assert field("ka.sourceips", ev, "0") == ("198.51.100.23",)
    assert field("ka.useragent", ev).startswith("kubectl/")
    assert field("ka.cluster.name", ev) is None
    assert field("ka.uri.param", ev, "watch") is None
    assert field("jevt.value", ev, "/objectRef/name") == "db-password"
    assert field("jevt.rawtime", ev) == "1709648467131502000"  # stageTimestamp
    assert field("jevt.time.iso8601", ev) == "2024-03-05T14:21:07.131502000+0000"
    assert field("evt.type", ev) == "pluginevent"
    assert field("evt.num", ev) is None and field("evt.num", next(numbered([ev]))) == 1


def test_not_an_audit_event_answers_no_ka_field() -> None:
    ev = copy.deepcopy(CASES["K8s Secret Get Successfully"][0])
    del ev["auditID"]
    assert field("ka.verb", ev) is None and field("ka.user.groups", ev) is None
    assert field("jevt.value", ev, "/verb") == "get"  # the json plugin still reads it


def test_pod_fields() -> None:
    body = pod(image="registry.example.com/team/app@sha256:ab12", privileged=True)
    body["spec"]["containers"].append(
        {
            "name": "side",
            "image": "busybox:1.36",
            "ports": [{"containerPort": 8080}],
            "securityContext": {"runAsUser": 1000, "capabilities": {"add": ["NET_ADMIN"]}},
        }
    )
    body["spec"]["securityContext"] = {"runAsUser": 65534, "supplementalGroups": [4, 5]}
    body["spec"]["initContainers"] = [
        {"name": "init", "image": "alpine:3", "securityContext": {"privileged": True}}
    ]
    body["spec"]["volumes"] = [
        {"name": "a", "hostPath": {"path": "/etc"}},
        {"name": "b", "emptyDir": {}},
    ]
    ev = audit("create", "pods", "web-0", body=body)
    assert field("ka.req.pod.containers.image", ev) == (
        "registry.example.com/team/app@sha256:ab12",
        "busybox:1.36",
    )
    assert field("ka.req.pod.containers.image.repository", ev) == (
        "registry.example.com/team/app",
        "busybox",
    )
    assert field("ka.req.pod.containers.image", ev, "1") == ("busybox:1.36",)
    assert field("ka.req.pod.containers.image", ev, "7") is None
    assert field("ka.req.container.image", ev) == "registry.example.com/team/app@sha256:ab12"
    assert field("ka.req.pod.containers.privileged", ev) == ("true",)  # side sets none
    assert field("ka.req.container.privileged", ev) == "true"
    assert field("ka.req.pod.initContainers.privileged", ev) == ("true",)
    assert field("ka.req.pod.ephemeralContainers.privileged", ev) is None
    assert field("ka.req.pod.containers.run_as_user", ev) == ("1000",)
    assert field("ka.req.pod.containers.eff_run_as_user", ev) == ("65534", "1000")
    assert field("ka.req.pod.containers.eff_run_as_group", ev) == ("0", "0")
    assert field("ka.req.pod.run_as_user", ev) == "65534"
    assert field("ka.req.pod.supplemental_groups", ev) == ("4", "5")
    assert field("ka.req.pod.containers.add_capabilities", ev) == ('["NET_ADMIN"]',)
    assert field("ka.req.pod.containers.host_port", ev) == ("8080",)
    assert field("ka.req.pod.volumes.hostpath", ev) == ("/etc",)
    assert field("ka.req.pod.volumes.volume_type", ev) == ("hostPath", "emptyDir")
    assert field("ka.req.volume.hostpath", ev, "/et*") == "true"
    assert field("ka.req.volume.hostpath", ev, "/et") == "false"
    assert field("ka.req.pod.host_network", ev) is None
    assert field("ka.target.pod.name", ev) == "web-0"
    assert field("ka.resp.name", ev) == "web-0"


def test_missing_image_makes_the_image_list_unavailable() -> None:
    ev = create_pod()
    del ev["requestObject"]["spec"]["containers"][0]["image"]
    assert field("ka.req.pod.containers.image", ev) is None
    assert field("ka.req.pod.containers.name", ev) == ("main",)


def test_role_and_binding_fields() -> None:
    ev = CASES["ClusterRole With Pod Exec Created"][0]
    assert field("ka.req.role.rules.resources", ev) == ("pods", "pods/exec")
    assert field("ka.req.role.rules.verbs", ev, "0") == ("create",)
    assert field("ka.req.role.rules", ev) == (
        '{"apiGroups":[""],"resources":["pods","pods/exec"],"verbs":["create"]}',
    )
    ev = CASES["Attach to cluster-admin Role"][0]
    ev["requestObject"]["subjects"] += [
        {"kind": "ServiceAccount", "name": "ci", "namespace": "build"},
        {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "ops"},
    ]
    assert field("ka.req.binding.role", ev) == "cluster-admin"
    assert field("ka.req.binding.subjects.user_names", ev) == ("bob",)
    assert field("ka.req.binding.subjects.serviceaccount_ns_names", ev) == ("build:ci",)
    assert field("ka.req.binding.subjects.group_names", ev) == ("ops",)
    assert len(field("ka.req.binding.subjects", ev)) == 3


def test_service_ports_render_the_ports_array() -> None:
    ev = CASES["Create NodePort Service"][0]
    assert field("ka.req.service.type", ev) == "NodePort"
    (ports,) = field("ka.req.service.ports", ev)
    assert '"nodePort":30080' in ports


def test_uri_params() -> None:
    ev = CASES["Attach/Exec Pod"][0]
    assert field("ka.uri.param", ev, "command") == "sh"
    assert field("ka.uri.param", ev, "tty") == "true"
    assert field("ka.uri.param", ev, "nothing") is None


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=12,
)
_KEYS = st.sampled_from(
    [
        "auditID",
        "stage",
        "verb",
        "user",
        "objectRef",
        "requestObject",
        "requestURI",
        "responseStatus",
        "annotations",
        "sourceIPs",
        "stageTimestamp",
        "spec",
        "containers",
        "securityContext",
        "subjects",
        "rules",
        "volumes",
        "hostPath",
        "path",
        "image",
    ]
)


def _deep(depth: int) -> st.SearchStrategy[Any]:
    if depth == 0:
        return _json
    return st.dictionaries(
        _KEYS, _deep(depth - 1) | _json | st.lists(_deep(depth - 1), max_size=2), max_size=5
    )


@settings(max_examples=150, deadline=None)
@given(_deep(4), st.sampled_from(["0", "1", "-1", "x", "/a", "*"]))
def test_every_field_survives_hostile_records(record: dict[str, Any], arg: str) -> None:
    for name, info in SRC.fields.items():
        a = arg if info.arg is not None and (info.arg.required or arg != "x") else None
        if info.arg is not None and info.arg.kind.value == "index" and a is not None:
            a = a if a.lstrip("-").isdigit() else None
        value = field(name, record, a)
        if info.is_list and value is not None:
            assert isinstance(value, tuple) and all(isinstance(v, str) for v in value), name
        else:
            assert value is None or isinstance(value, str | int | bool), name
