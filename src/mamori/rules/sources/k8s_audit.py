"""The ``k8s_audit`` event source: Falco's k8saudit plugin fields over audit events.

An event is one Kubernetes audit event (``audit.k8s.io/v1`` ``Event``) decoded to a
``dict``, as `mamori.logs.k8s_audit` yields them from log files and ``EventList``
documents. The catalogue and extraction rules follow the field reference of Falco's
``k8saudit`` plugin (falcosecurity/plugins, ``plugins/k8saudit``), read as
documentation:

- a record without ``auditID`` is not an audit event: every ``ka.*`` field is then
  not available;
- a scalar field renders a JSON string as is and anything else as compact JSON
  (``ka.response.code`` is ``"200"``, ``ka.req.pod.host_network`` ``"true"``); a
  missing key or a ``null`` is not available;
- list fields (``ka.user.groups``, ``ka.req.pod.containers.image``...) yield a tuple;
  the per-container fields walk ``spec.containers`` (``initContainers``,
  ``ephemeralContainers``) of the request object and skip containers that do not set
  the value; an index argument (``ka.req.pod.containers.image[0]``) keeps one
  container. ``.image`` needs every container to name an image, ``.image.repository``
  cuts the image at the first ``:`` and then ``@`` (as the plugin does, so a registry
  port is cut too);
- ``ka.req.role.rules.*`` flatten the arrays of every rule, ``ka.req.role.rules``,
  ``ka.req.binding.subjects`` and ``ka.req.service.ports`` render objects as JSON.

Where the plugin's code and its documentation disagree, the documentation is
followed: ``ka.sourceips`` reads the event's ``sourceIPs`` (the plugin looks under
``requestObject.rules``), and ``eff_run_as_user``/``eff_run_as_group`` read the
container's, then the pod's ``securityContext`` before defaulting to ``0``.
``ka.cluster.name`` comes from the source's configuration, not the record: not
available until the webhook endpoint sets it. ``jevt.*``/``json.*`` are Falco's json
plugin fields; times come from ``stageTimestamp`` (else ``requestReceivedTimestamp``).
The engine indexes the source's rules by ``verb`` (`KeyedPluginSource`).
"""

from __future__ import annotations

from typing import Any

from mamori.rules.source import FieldInfo, FieldRef, sources
from mamori.rules.sources._dispatch import KeyedPluginSource, json_key_fields
from mamori.rules.sources._json_fields import (
    Getter,
    as_text,
    attach_generic,
    fixed,
    lookup,
    parse_rfc3339,
    plugin_fields,
    text_at,
)
from mamori.rules.sources._k8s_extract import (
    FAMILIES,
    Factory,
    any_privileged,
    each,
    family,
    images,
    pod_name,
    rules_field,
    subjects,
    uri_param,
    volume_hostpath,
    volume_types,
)

NAME = "k8s_audit"

_CONTAINER_TABLE = """
name CHARBUF iL the {what} names
image CHARBUF iL the {what} images
image.repository CHARBUF iL the repository part of the {what} images
command CHARBUF iL the {what} commands
args CHARBUF iL the {what} args
privileged CHARBUF iL the privileged flag of the {what}
allow_privilege_escalation CHARBUF iL the allowPrivilegeEscalation flag of the {what}
read_only_fs CHARBUF iL the readOnlyRootFilesystem flag of the {what}
run_as_user CHARBUF iL the runAsUser uid of the {what}
eff_run_as_user CHARBUF iL the uid the {what} start with (container, pod, else 0)
run_as_group CHARBUF iL the runAsGroup gid of the {what}
eff_run_as_group CHARBUF iL the gid the {what} start with (container, pod, else 0)
proc_mount CHARBUF iL the procMount type of the {what}
add_capabilities CHARBUF iL the capabilities added to the {what}
host_port CHARBUF iL the hostPort values of the {what}
"""

TABLE = """
ka.auditid CHARBUF - the unique id of the audit event
ka.stage CHARBUF - stage of the request (RequestReceived, ResponseComplete...)
ka.auth.decision CHARBUF - the authorization decision
ka.auth.reason CHARBUF - the authorization reason
ka.auth.openshift.decision CHARBUF - the authentication decision of OpenShift's apiserver
ka.auth.openshift.username CHARBUF - the user name OpenShift's authentication saw
ka.validations.admission.policy.failure CHARBUF - a ValidatingAdmissionPolicy failure
ka.security.pod.violations CHARBUF - the pod security admission violations
ka.user.name CHARBUF - the user name performing the request
ka.user.groups CHARBUF L the groups to which the user belongs
ka.impuser.name CHARBUF - the impersonated user name
ka.verb CHARBUF - the action being performed
ka.uri CHARBUF - the request URI as sent from client to server
ka.uri.param CHARBUF K the value of a query parameter of the uri (ka.uri.param[key])
ka.target.name CHARBUF - the target object name
ka.target.namespace CHARBUF - the target object namespace
ka.target.resource CHARBUF - the target object resource
ka.target.subresource CHARBUF - the target object subresource
ka.target.pod.name CHARBUF - the target pod name
ka.req.binding.subjects CHARBUF L the subjects a role binding links
ka.req.binding.subjects.user_names CHARBUF L the user names a role binding links
ka.req.binding.subjects.serviceaccount_names CHARBUF L the service accounts a binding links
ka.req.binding.subjects.serviceaccount_ns_names CHARBUF L namespace:name of the bound SAs
ka.req.binding.subjects.group_names CHARBUF L the group names a role binding links
ka.req.binding.role CHARBUF - the role a role binding links
ka.req.binding.subject.has_name CHARBUF KD deprecated: always true
ka.req.configmap.name CHARBUF - the name of a configmap in the request
ka.req.configmap.obj CHARBUF - the data of a configmap in the request
ka.req.container.image CHARBUF D the image of the first container
ka.req.container.image.repository CHARBUF D the repository of the first container
ka.req.pod.host_ipc CHARBUF - the hostIPC flag of a pod
ka.req.pod.host_network CHARBUF - the hostNetwork flag of a pod
ka.req.container.host_network CHARBUF D alias of ka.req.pod.host_network
ka.req.pod.host_pid CHARBUF - the hostPID flag of a pod
ka.req.container.privileged CHARBUF D true if any container is privileged
ka.req.pod.run_as_user CHARBUF - the runAsUser of the pod's security context
ka.req.pod.run_as_group CHARBUF - the runAsGroup of the pod's security context
ka.req.role.rules CHARBUF L the rules of a role/cluster role
ka.req.role.rules.apiGroups CHARBUF iL the api groups of the role's rules
ka.req.role.rules.nonResourceURLs CHARBUF iL the non resource urls of the role's rules
ka.req.role.rules.verbs CHARBUF iL the verbs of the role's rules
ka.req.role.rules.resources CHARBUF iL the resources of the role's rules
ka.req.pod.fs_group CHARBUF - the fsGroup of the pod's security context
ka.req.pod.supplemental_groups CHARBUF L the supplementalGroups of the pod
ka.req.service.type CHARBUF - the type of a service
ka.req.service.ports CHARBUF iL the ports of a service
ka.req.pod.volumes.hostpath CHARBUF iL the hostPath paths of the pod's volumes
ka.req.volume.hostpath CHARBUF KD true if a volume uses the host path (prefix with *)
ka.req.pod.volumes.flexvolume_driver CHARBUF iL the flexVolume drivers of the volumes
ka.req.pod.volumes.volume_type CHARBUF iL the volume types of the volumes
ka.resp.name CHARBUF - the response object name
ka.response.code CHARBUF - the response code
ka.response.reason CHARBUF - the response reason (usually only for failures)
ka.useragent CHARBUF - the user agent of the client
ka.sourceips CHARBUF iL the IP addresses of the client
ka.cluster.name CHARBUF - the name of the cluster
"""


def _container_table() -> str:
    lines = []
    for key, what in FAMILIES.items():
        for line in _CONTAINER_TABLE.strip().splitlines():
            if key == "ephemeralContainers" and line.startswith("host_port"):
                continue
            lines.append(f"ka.req.pod.{key}.{line.format(what=what)}")
    return "\n".join(lines)


def _audit(get: Getter) -> Getter:
    """Only audit events (with ``auditID``) answer ``ka.*`` fields."""

    def guarded(ev: Any) -> Any:
        return get(ev) if "auditID" in ev else None

    return guarded


def _audited(factory: Factory) -> Factory:
    def build(ref: FieldRef, info: FieldInfo) -> Getter:
        return _audit(factory(ref, info))

    return build


def _scalar(*keys: str) -> Getter:
    return text_at(*keys, null=False)


def _array(*keys: str) -> Getter:
    def get(ev: Any) -> Any:
        v = lookup(ev, keys)
        return tuple(as_text(x) for x in v) if isinstance(v, list) else None

    return get


_ANN = "annotations"
_ANN_VAP = "validation.policy.admission.k8s.io/validation_failure"
_SCALARS: dict[str, tuple[str, ...]] = {
    "ka.auditid": ("auditID",),
    "ka.stage": ("stage",),
    "ka.auth.decision": (_ANN, "authorization.k8s.io/decision"),
    "ka.auth.reason": (_ANN, "authorization.k8s.io/reason"),
    "ka.auth.openshift.decision": (_ANN, "authentication.openshift.io/decision"),
    "ka.auth.openshift.username": (_ANN, "authentication.openshift.io/username"),
    "ka.validations.admission.policy.failure": (_ANN, _ANN_VAP),
    "ka.security.pod.violations": (_ANN, "pod-security.kubernetes.io/audit-violations"),
    "ka.user.name": ("user", "username"),
    "ka.impuser.name": ("impersonatedUser", "username"),
    "ka.verb": ("verb",),
    "ka.uri": ("requestURI",),
    "ka.target.name": ("objectRef", "name"),
    "ka.target.namespace": ("objectRef", "namespace"),
    "ka.target.resource": ("objectRef", "resource"),
    "ka.target.subresource": ("objectRef", "subresource"),
    "ka.req.binding.role": ("requestObject", "roleRef", "name"),
    "ka.req.configmap.name": ("objectRef", "name"),
    "ka.req.configmap.obj": ("requestObject", "data"),
    "ka.req.pod.host_ipc": ("requestObject", "spec", "hostIPC"),
    "ka.req.pod.host_network": ("requestObject", "spec", "hostNetwork"),
    "ka.req.container.host_network": ("requestObject", "spec", "hostNetwork"),
    "ka.req.pod.host_pid": ("requestObject", "spec", "hostPID"),
    "ka.req.pod.run_as_user": ("requestObject", "spec", "securityContext", "runAsUser"),
    "ka.req.pod.run_as_group": ("requestObject", "spec", "securityContext", "runAsGroup"),
    "ka.req.pod.fs_group": ("requestObject", "spec", "securityContext", "fsGroup"),
    "ka.req.service.type": ("requestObject", "spec", "type"),
    "ka.resp.name": ("responseObject", "metadata", "name"),
    "ka.response.code": ("responseStatus", "code"),
    "ka.response.reason": ("responseStatus", "reason"),
    "ka.useragent": ("userAgent",),
}
_SC = ("requestObject", "spec", "securityContext")
_ARRAYS: dict[str, tuple[str, ...]] = {
    "ka.user.groups": ("user", "groups"),
    "ka.req.binding.subjects": ("requestObject", "subjects"),
    "ka.req.role.rules": ("requestObject", "rules"),
    "ka.req.pod.supplemental_groups": (*_SC, "supplementalGroups"),
}
_PLAIN: dict[str, Getter] = {
    **{n: _scalar(*k) for n, k in _SCALARS.items()},
    **{n: _array(*k) for n, k in _ARRAYS.items()},
    "ka.req.binding.subjects.user_names": subjects("User"),
    "ka.req.binding.subjects.serviceaccount_names": subjects("ServiceAccount"),
    "ka.req.binding.subjects.serviceaccount_ns_names": subjects("ServiceAccount", True),
    "ka.req.binding.subjects.group_names": subjects("Group"),
    "ka.req.container.privileged": any_privileged,
    "ka.target.pod.name": pod_name,
    "ka.cluster.name": lambda _ev: None,
}
_VOL = ("requestObject", "spec", "volumes")
_FACTORIES: dict[str, Factory] = {
    **{k: v for fam in FAMILIES for k, v in family(fam).items()},
    "ka.uri.param": uri_param,
    "ka.req.binding.subject.has_name": lambda _r, _i: lambda _ev: "true",
    "ka.req.container.image": images("containers", False, first=True),
    "ka.req.container.image.repository": images("containers", True, first=True),
    "ka.req.role.rules.apiGroups": rules_field("apiGroups"),
    "ka.req.role.rules.nonResourceURLs": rules_field("nonResourceURLs"),
    "ka.req.role.rules.verbs": rules_field("verbs"),
    "ka.req.role.rules.resources": rules_field("resources"),
    "ka.sourceips": rules_field("sourceIPs"),
    "ka.req.service.ports": each("requestObject", "spec", "ports"),
    "ka.req.pod.volumes.hostpath": each(*_VOL, "hostPath", "path"),
    "ka.req.volume.hostpath": volume_hostpath,
    "ka.req.pod.volumes.flexvolume_driver": each(*_VOL, "flexVolume", "driver"),
    "ka.req.pod.volumes.volume_type": volume_types,
}


def timestamp(ev: Any) -> int | None:
    """``stageTimestamp`` (else ``requestReceivedTimestamp``) in nanoseconds."""
    ts = parse_rfc3339(ev.get("stageTimestamp"))
    return ts if ts is not None else parse_rfc3339(ev.get("requestReceivedTimestamp"))


K8S_AUDIT = KeyedPluginSource(
    NAME, plugin_fields(TABLE, _container_table()), "verb", json_key_fields("ka.verb", "verb")
)
"""The ``k8s_audit`` source: events are Kubernetes audit events (``dict``)."""

for _name, _get in _PLAIN.items():
    K8S_AUDIT.add_extractor(_name, fixed(_audit(_get)))
for _name, _factory in _FACTORIES.items():
    K8S_AUDIT.add_extractor(_name, _audited(_factory))
attach_generic(K8S_AUDIT, "k8saudit", timestamp)
sources.add(NAME, K8S_AUDIT)
