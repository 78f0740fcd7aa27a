"""Live Kubernetes objects through the official `kubernetes` client -> CloudResources.

The objects the k8s checks read (pods and their controllers, Namespaces, NetworkPolicies,
RBAC objects, ServiceAccounts) are listed from the API server named by a kubeconfig
(`--kubeconfig`, else $KUBECONFIG, else ~/.kube/config; `--context`, else the current one)
or, when there is no kubeconfig and $KUBERNETES_SERVICE_HOST is set, the in-cluster
service account. Lists are paginated (`limit` / `continue`, PAGE_SIZE per call).

Each object gets the dict shape the manifest loader produces: the raw JSON the API
server sent (the client's models are bypassed with `_preload_content=False`), with the
`apiVersion` and `kind` a list response leaves off its items, and `metadata.managedFields`
(server-side apply bookkeeping, never configuration) dropped. Its provenance is
`cluster:<context>/<namespace or ->/<kind>/<name>` instead of file and line.

Pods (and ReplicaSets, Jobs) whose controlling owner (`ownerReferences[].controller`) was
itself listed are skipped, as kubescape does: the owner's pod template is what a person
edits, and judging every replica again would repeat one finding per pod. An owned object
whose owner could not be read (RBAC) or is of a kind not listed (an operator's custom
resource) is judged itself, so nothing goes unjudged.

Errors: 401/403 (or 404: a kind not served) on one kind is a notice (`denied`) and the
rest goes on; 401 on every kind (no valid credentials at all), any other HTTP error and an
unreachable API server are a `ClusterError`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mamori.workload.k8s.manifests import POD_TEMPLATES, ManifestSet

PAGE_SIZE = 500
MAX_OBJECTS = 200_000  # per kind: a bound on memory for a hostile or huge cluster
MAX_PAGE_BYTES = 64 << 20
TIMEOUT = (10.0, 60.0)  # (connect, read) seconds per request
IN_CLUSTER = "in-cluster"


class ClusterError(Exception):
    """The cluster cannot be scanned at all (no config, unreachable, no valid credentials)."""


@dataclass(frozen=True)
class Kind:
    """One listed kind: its API and the client methods for all / one namespace."""

    kind: str
    api: str  # the client API class
    all_method: str  # list across namespaces, or the cluster-scoped list
    ns_method: str | None  # list in one namespace; None: cluster-scoped


KINDS: tuple[Kind, ...] = (
    Kind("Namespace", "CoreV1Api", "list_namespace", None),
    Kind("Pod", "CoreV1Api", "list_pod_for_all_namespaces", "list_namespaced_pod"),
    Kind(
        "ReplicationController",
        "CoreV1Api",
        "list_replication_controller_for_all_namespaces",
        "list_namespaced_replication_controller",
    ),
    Kind(
        "ServiceAccount",
        "CoreV1Api",
        "list_service_account_for_all_namespaces",
        "list_namespaced_service_account",
    ),
    Kind(
        "Deployment",
        "AppsV1Api",
        "list_deployment_for_all_namespaces",
        "list_namespaced_deployment",
    ),
    Kind(
        "StatefulSet",
        "AppsV1Api",
        "list_stateful_set_for_all_namespaces",
        "list_namespaced_stateful_set",
    ),
    Kind(
        "DaemonSet", "AppsV1Api", "list_daemon_set_for_all_namespaces", "list_namespaced_daemon_set"
    ),
    Kind(
        "ReplicaSet",
        "AppsV1Api",
        "list_replica_set_for_all_namespaces",
        "list_namespaced_replica_set",
    ),
    Kind("Job", "BatchV1Api", "list_job_for_all_namespaces", "list_namespaced_job"),
    Kind("CronJob", "BatchV1Api", "list_cron_job_for_all_namespaces", "list_namespaced_cron_job"),
    Kind(
        "NetworkPolicy",
        "NetworkingV1Api",
        "list_network_policy_for_all_namespaces",
        "list_namespaced_network_policy",
    ),
    Kind("Role", "RbacAuthorizationV1Api", "list_role_for_all_namespaces", "list_namespaced_role"),
    Kind(
        "RoleBinding",
        "RbacAuthorizationV1Api",
        "list_role_binding_for_all_namespaces",
        "list_namespaced_role_binding",
    ),
    Kind("ClusterRole", "RbacAuthorizationV1Api", "list_cluster_role", None),
    Kind("ClusterRoleBinding", "RbacAuthorizationV1Api", "list_cluster_role_binding", None),
)


@dataclass
class ClusterObjects:
    """What was read: objects (owner-controlled ones already skipped) and what was not."""

    context: str
    objects: list[dict[str, Any]] = field(default_factory=list)
    denied: dict[str, str] = field(default_factory=dict)  # kind -> "403 Forbidden: ..."
    skipped_owned: int = 0
    pages: int = 0


@dataclass(frozen=True)
class ClusterTarget:
    kubeconfig: Path | None = None  # None: $KUBECONFIG, else ~/.kube/config, else in-cluster
    context: str | None = None
    namespaces: Sequence[str] = ()  # () = every namespace


def provenance(context: str, obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    assert isinstance(meta, dict)
    namespace = meta.get("namespace") or "-"
    return f"cluster:{context}/{namespace}/{obj.get('kind')}/{meta.get('name') or '<unnamed>'}"


def normalize(item: dict[str, Any], api_version: str, kind: str) -> dict[str, Any]:
    """A list item as the manifest loader would have read it: apiVersion and kind first,
    `metadata.managedFields` dropped (the rest, status included, kept as served)."""
    obj: dict[str, Any] = {"apiVersion": api_version, "kind": kind}
    obj.update((k, v) for k, v in item.items() if k not in ("apiVersion", "kind"))
    meta = obj.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        obj["metadata"] = {k: v for k, v in meta.items() if k != "managedFields"}
    return obj


def _client(target: ClusterTarget) -> tuple[Any, str]:
    """(ApiClient, context name) from the kubeconfig, else the in-cluster config."""
    from kubernetes import client, config  # type: ignore[import-untyped]
    from kubernetes.config.config_exception import (  # type: ignore[import-untyped]
        ConfigException,
    )

    path = target.kubeconfig
    if path is None and not os.environ.get("KUBECONFIG"):
        default = Path("~/.kube/config").expanduser()
        if not default.exists() and os.environ.get("KUBERNETES_SERVICE_HOST"):
            configuration = client.Configuration()
            try:
                config.load_incluster_config(client_configuration=configuration)
            except ConfigException as exc:
                raise ClusterError(f"in-cluster config: {exc}") from None
            configuration.retries = 0
            return client.ApiClient(configuration), IN_CLUSTER
        path = default
    file = str(path) if path is not None else None
    if path is not None and not path.is_file():
        raise ClusterError(f"kubeconfig {path} does not exist (or is not a file)")
    try:
        contexts, active = config.list_kube_config_contexts(config_file=file)
        names = {c.get("name") for c in contexts or []}
        if target.context is not None and target.context not in names:
            known = ", ".join(sorted(str(n) for n in names))
            raise ClusterError(f"no context {target.context!r} in the kubeconfig (known: {known})")
        configuration = client.Configuration()
        config.load_kube_config(
            config_file=file, context=target.context, client_configuration=configuration
        )
    except (ConfigException, OSError, ValueError, TypeError) as exc:
        where = file or "$KUBECONFIG"
        raise ClusterError(f"cannot load kubeconfig {where}: {exc}") from None
    configuration.retries = 0
    context = target.context or str((active or {}).get("name") or "default")
    return client.ApiClient(configuration), context


def _pages(method: Callable[..., Any], args: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    """Every page of one list call, following `metadata.continue`."""
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {
            "limit": PAGE_SIZE,
            "_preload_content": False,
            "_request_timeout": TIMEOUT,
        }
        if token:
            kwargs["_continue"] = token
        response = method(*args, **kwargs)
        try:
            data = response.read(MAX_PAGE_BYTES + 1)
        finally:
            response.release_conn()
        if len(data) > MAX_PAGE_BYTES:
            raise ClusterError(f"a list page is larger than {MAX_PAGE_BYTES} bytes")
        try:
            page = json.loads(data)
        except ValueError as exc:
            raise ClusterError(f"the API server sent a page that is not JSON: {exc}") from None
        if not isinstance(page, dict):
            raise ClusterError("the API server sent a page that is not a JSON object")
        yield page
        meta = page.get("metadata")
        token = meta.get("continue") if isinstance(meta, dict) else None
        if not token:
            return


def _list_kind(api: Any, spec: Kind, namespaces: Sequence[str], into: ClusterObjects) -> None:
    calls: list[tuple[str, tuple[str, ...]]]
    if spec.ns_method is None or not namespaces:
        calls = [(spec.all_method, ())]
    else:
        calls = [(spec.ns_method, (ns,)) for ns in namespaces]
    count = 0
    for method, args in calls:
        for page in _pages(getattr(api, method), args):
            into.pages += 1
            api_version = str(page.get("apiVersion") or "v1")
            items = page.get("items") if isinstance(page.get("items"), list) else []
            assert isinstance(items, list)
            for item in items:
                if not isinstance(item, dict):
                    continue
                count += 1
                if count > MAX_OBJECTS:
                    raise ClusterError(f"more than {MAX_OBJECTS} {spec.kind} objects")
                into.objects.append(normalize(item, api_version, spec.kind))


def _reachable_error(exc: BaseException) -> ClusterError:
    return ClusterError(f"cannot reach the Kubernetes API server: {type(exc).__name__}: {exc}")


def list_objects(target: ClusterTarget) -> ClusterObjects:
    """Every object of KINDS the credentials may read; raises ClusterError (see module doc)."""
    import urllib3
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException  # type: ignore[import-untyped]

    api_client, context = _client(target)
    found = ClusterObjects(context=context)
    unauthorized = 0
    with api_client:
        for spec in KINDS:
            api = getattr(client, spec.api)(api_client)
            before = len(found.objects)
            try:
                _list_kind(api, spec, list(target.namespaces), found)
            except ApiException as exc:
                del found.objects[before:]
                if exc.status == 0:  # TLS failure and the like, raised before any status
                    raise _reachable_error(exc) from None
                if exc.status not in (401, 403, 404):  # 404: a kind this server does not serve
                    message = f"listing {spec.kind}: HTTP {exc.status} {exc.reason}"
                    raise ClusterError(message) from None
                unauthorized += exc.status == 401
                found.denied[spec.kind] = f"HTTP {exc.status} {exc.reason}: {_message(exc)}"
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise _reachable_error(exc) from None
    if unauthorized == len(KINDS):
        raise ClusterError(f"the API server rejected the credentials of context {context!r} (401)")
    if target.namespaces:
        wanted = set(target.namespaces)
        found.objects = [o for o in found.objects if o["kind"] != "Namespace" or _name(o) in wanted]
    found.objects, found.skipped_owned = skip_owned(found.objects)
    return found


def _message(exc: Any) -> str:
    try:
        return str(json.loads(exc.body).get("message", ""))[:300]
    except (TypeError, ValueError, AttributeError):
        return ""


def _name(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata")
    return str(meta.get("name", "")) if isinstance(meta, dict) else ""


def skip_owned(objects: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Drop pod-bearing objects whose controlling owner is among `objects` (module doc)."""
    uids = set()
    for obj in objects:
        meta = obj.get("metadata")
        if isinstance(meta, dict) and meta.get("uid"):
            uids.add(str(meta["uid"]))
    kept: list[dict[str, Any]] = []
    for obj in objects:
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        assert isinstance(meta, dict)
        owners = (
            meta.get("ownerReferences") if isinstance(meta.get("ownerReferences"), list) else []
        )
        assert isinstance(owners, list)
        controller = next(
            (o for o in owners if isinstance(o, dict) and o.get("controller") is True), None
        )
        if (
            obj.get("kind") in POD_TEMPLATES
            and controller is not None
            and str(controller.get("uid", "")) in uids
        ):
            continue
        kept.append(obj)
    return kept, len(objects) - len(kept)


def to_resources(found: ClusterObjects) -> ManifestSet:
    """The objects as the CloudResources the checks judge (the manifest loader's shape)."""
    from mamori.workload.k8s.manifests import to_resource

    out = ManifestSet(root=f"cluster:{found.context}")
    for obj in found.objects:
        where = provenance(found.context, obj)
        resource = to_resource(
            obj, file=where, document=0, item=None, lines={}, helm_source=None, suppressions={}
        )
        resource = resource.model_copy(
            update={"id": where, "attributes": {**resource.attributes, "line": None}}
        )
        out.resources.append(resource)
    out.documents = len(found.objects)
    return out
