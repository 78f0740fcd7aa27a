"""Extractors of the ``k8s_audit`` source that walk the request object.

The per-container, per-volume and per-rule fields of Falco's k8saudit plugin: an
array met on the way fans out (every container) unless the field was given an index
(``ka.req.pod.containers.image[0]``); a container that does not set the value is
skipped. See `mamori.rules.sources.k8s_audit` for the field semantics.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mamori.rules.source import FieldInfo, FieldRef
from mamori.rules.sources._json_fields import MISSING, Getter, as_text, lookup

FAMILIES = {"containers": "containers", "initContainers": "init containers",
             "ephemeralContainers": "ephemeral containers"}  # fmt: skip


def _walk(v: Any, keys: tuple[str, ...], index: int | None) -> list[Any] | None:
    """Values at `keys`, an array met on the way fanning out (or indexed by `index`);
    a missing value inside an array is MISSING, a missing path is None."""
    for i, k in enumerate(keys):
        if isinstance(v, list):
            if index is None:
                out: list[Any] = []
                for item in v:
                    sub = _walk(item, keys[i:], None)
                    out.extend([MISSING] if sub is None else sub)
                return out
            if not 0 <= index < len(v):
                return None
            v = v[index]
        if k:
            v = lookup(v, (k,))
            if v is MISSING or v is None:
                return None
    return [v]


def _texts(values: list[Any]) -> tuple[str, ...]:
    return tuple(as_text(v) for v in values if v is not MISSING and v is not None)


def _index(ref: FieldRef) -> int | None:
    return int(ref.arg) if ref.arg is not None and ref.arg.lstrip("-").isdigit() else None


Factory = Callable[[FieldRef, FieldInfo], Getter]


def each(*keys: str) -> Factory:
    def factory(ref: FieldRef, _info: FieldInfo) -> Getter:
        index = _index(ref)

        def get(ev: Any) -> Any:
            vals = _walk(ev, keys, index)
            return None if vals is None else _texts(vals)

        return get

    return factory


def images(family: str, repository: bool, first: bool = False) -> Factory:
    def factory(ref: FieldRef, _info: FieldInfo) -> Getter:
        index = 0 if first else _index(ref)

        def get(ev: Any) -> Any:
            vals = _walk(ev, ("requestObject", "spec", family, "image"), index)
            if vals is None or any(v is MISSING or v is None for v in vals):
                return None
            out = tuple(as_text(v) for v in vals)
            if repository:
                out = tuple(i.split(":")[0].split("@")[0] for i in out)
            return (out[0] if out else None) if first else out

        return get

    return factory


def _host_ports(family: str) -> Factory:
    def factory(ref: FieldRef, _info: FieldInfo) -> Getter:
        index = _index(ref)

        def get(ev: Any) -> Any:
            vals = _walk(ev, ("requestObject", "spec", family, "ports"), index)
            if vals is None:
                return None
            out: list[str] = []
            for ports in vals:
                if ports is MISSING or ports is None:
                    continue
                if not isinstance(ports, list):
                    return None
                for port in ports:
                    port = port if isinstance(port, dict) else {}
                    for key in ("hostPort", "containerPort"):
                        if key in port:
                            out.append(as_text(port[key]))
                            break
            return tuple(out)

        return get

    return factory


def _effective(family: str, key: str) -> Factory:
    def factory(ref: FieldRef, _info: FieldInfo) -> Getter:
        index = _index(ref)

        def get(ev: Any) -> Any:
            pod = lookup(ev, ("requestObject", "spec", "securityContext", key))
            default = "0" if pod is MISSING or pod is None else as_text(pod)
            vals = _walk(ev, ("requestObject", "spec", family, "securityContext", key), index)
            if vals is None:
                containers = lookup(ev, ("requestObject", "spec", family))
                if not isinstance(containers, list):
                    return None
                n = len(containers) if index is None else int(0 <= index < len(containers))
                return (default,) * n
            return tuple(default if v is MISSING or v is None else as_text(v) for v in vals)

        return get

    return factory


def family(family: str) -> dict[str, Factory]:
    sc = ("requestObject", "spec", family, "securityContext")
    base = f"ka.req.pod.{family}."
    out: dict[str, Factory] = {
        base + "name": each("requestObject", "spec", family, "name"),
        base + "command": each("requestObject", "spec", family, "command"),
        base + "args": each("requestObject", "spec", family, "args"),
        base + "image": images(family, False),
        base + "image.repository": images(family, True),
        base + "privileged": each(*sc, "privileged"),
        base + "allow_privilege_escalation": each(*sc, "allowPrivilegeEscalation"),
        base + "read_only_fs": each(*sc, "readOnlyRootFilesystem"),
        base + "run_as_user": each(*sc, "runAsUser"),
        base + "run_as_group": each(*sc, "runAsGroup"),
        base + "eff_run_as_user": _effective(family, "runAsUser"),
        base + "eff_run_as_group": _effective(family, "runAsGroup"),
        base + "proc_mount": each(*sc, "procMount"),
        base + "add_capabilities": each(*sc, "capabilities", "add"),
    }
    if family != "ephemeralContainers":
        out[base + "host_port"] = _host_ports(family)
    return out


def rules_field(*keys: str) -> Factory:
    def factory(ref: FieldRef, _info: FieldInfo) -> Getter:
        index = _index(ref)
        path = ("requestObject", "rules", *keys) if keys[0] != "sourceIPs" else keys

        def get(ev: Any) -> Any:
            vals = _walk(ev, path, index)
            if vals is None:
                return None
            out: list[str] = []
            for v in vals:
                if isinstance(v, list):
                    out.extend(_texts(v))
            return tuple(out)

        return get

    return factory


def uri_param(ref: FieldRef, _info: FieldInfo) -> Getter:
    name = ref.arg or ""

    def get(ev: Any) -> Any:
        uri = ev.get("requestURI")
        if uri is None:
            return None
        try:
            query = parse_qs(urlsplit(as_text(uri)).query, keep_blank_values=True)
        except ValueError:
            return None
        values = query.get(name)
        return values[0] if values else None

    return get


def volume_hostpath(ref: FieldRef, _info: FieldInfo) -> Getter:
    arg = ref.arg or ""
    prefix = arg[:-1] if arg.endswith("*") else None

    def get(ev: Any) -> Any:
        vals = _walk(ev, ("requestObject", "spec", "volumes", "hostPath", "path"), None)
        if vals is None:
            return None
        hit = any(v == arg or (prefix is not None and v.startswith(prefix)) for v in _texts(vals))
        return "true" if hit else "false"

    return get


def volume_types(ref: FieldRef, _info: FieldInfo) -> Getter:
    index = _index(ref)

    def get(ev: Any) -> Any:
        vals = _walk(ev, ("requestObject", "spec", "volumes", ""), index)
        if vals is None:
            return None
        return tuple(k for v in vals if isinstance(v, dict) for k in v if k != "name")

    return get


def subjects(kind: str, with_ns: bool = False) -> Getter:
    def get(ev: Any) -> Any:
        subs = lookup(ev, ("requestObject", "subjects"))
        if not isinstance(subs, list):
            return None
        out = []
        for s in subs:
            if isinstance(s, dict) and s.get("kind") == kind and isinstance(s.get("name"), str):
                out.append(f"{s.get('namespace', '')}:{s['name']}" if with_ns else s["name"])
        return tuple(out)

    return get


def any_privileged(ev: Any) -> Any:
    vals = _walk(ev, ("requestObject", "spec", "containers", "securityContext", "privileged"), None)
    if vals is None:
        return None
    return "true" if any(v is True for v in vals) else "false"


def pod_name(ev: Any) -> Any:
    ref = ev.get("objectRef")
    if not isinstance(ref, dict) or ref.get("resource") != "pods":
        return None
    name = ref.get("name")
    return name if isinstance(name, str) else None
