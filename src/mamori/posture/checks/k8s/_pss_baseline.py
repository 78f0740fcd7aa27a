"""Pod Security Standards, Baseline profile: one rule per control, as Pod Security Admission
(k8s.io/pod-security-admission/policy, read for behaviour only) evaluates it, by policy
version. Allowed values are the standard's, exactly:

    HostProcess        windowsOptions.hostProcess (pod, containers): undefined or false
    Host namespaces    hostNetwork, hostPID, hostIPC: undefined or false
    Privileged         containers' privileged: undefined or false
    Capabilities       capabilities.add within the 13 default capabilities
    HostPath volumes   volumes[*].hostPath: undefined
    Host ports         ports[*].hostPort: undefined or 0
    Host probes        probe/lifecycle httpGet.host, tcpSocket.host: undefined or "" (1.34+)
    AppArmor           appArmorProfile.type RuntimeDefault/Localhost; the beta annotations
                       runtime/default, localhost/*, "" (both checked at every version)
    SELinux            seLinuxOptions.type "", container_t, container_init_t,
                       container_kvm_t (+ container_engine_t 1.31+); user, role unset
    /proc mount        procMount undefined or Default (1.35+: any when hostUsers: false)
    Seccomp            1.19+: seccompProfile.type RuntimeDefault/Localhost or undefined;
                       before: the alpha annotations runtime/default, docker/default, localhost/*
    Sysctls            the safe set, grown at 1.27, 1.29, 1.32 and 1.37
"""

from __future__ import annotations

from typing import Any

from mamori.posture.checks.k8s._pod import (
    Path,
    Pod,
    Version,
    Violation,
    as_dict,
    as_list,
    containers_phrase,
    first_violation,
    quoted,
)

BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)
SYSCTLS: tuple[tuple[Version, frozenset[str]], ...] = (
    (
        (1, 0),
        frozenset(
            {
                "kernel.shm_rmid_forced",
                "net.ipv4.ip_local_port_range",
                "net.ipv4.tcp_syncookies",
                "net.ipv4.ping_group_range",
                "net.ipv4.ip_unprivileged_port_start",
            }
        ),
    ),
    ((1, 27), frozenset({"net.ipv4.ip_local_reserved_ports"})),
    (
        (1, 29),
        frozenset(
            {
                "net.ipv4.tcp_keepalive_time",
                "net.ipv4.tcp_fin_timeout",
                "net.ipv4.tcp_keepalive_intvl",
                "net.ipv4.tcp_keepalive_probes",
            }
        ),
    ),
    ((1, 32), frozenset({"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"})),
    ((1, 37), frozenset({"net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"})),
)
SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t"})
SELINUX_TYPES_1_31 = SELINUX_TYPES | {"container_engine_t"}
PROFILE_TYPES = frozenset({"RuntimeDefault", "Localhost"})
APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"
SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
SECCOMP_CONTAINER_ANNOTATION = "container.seccomp.security.alpha.kubernetes.io/"


def one_of(value: object, allowed: frozenset[str]) -> bool:
    """`value` is a string in `allowed` (manifests are untyped: a list is never allowed)."""
    return isinstance(value, str) and value in allowed


def profile_ok(profile: object) -> bool:
    """A seccompProfile / appArmorProfile whose type is RuntimeDefault or Localhost."""
    return one_of(as_dict(profile).get("type"), PROFILE_TYPES)


def safe_sysctls(version: Version) -> frozenset[str]:
    allowed: set[str] = set()
    for since, names in SYSCTLS:
        if version >= since:
            allowed |= names
    return frozenset(allowed)


def host_process(pod: Pod, version: Version) -> Violation | None:
    found: list[tuple[str, Path]] = []
    if as_dict(pod.security.get("windowsOptions")).get("hostProcess") is True:
        found.append(("pod", pod.at("securityContext", "windowsOptions", "hostProcess")))
    for c in pod.containers():
        if as_dict(c.security.get("windowsOptions")).get("hostProcess") is True:
            found.append((c.name, c.at("securityContext", "windowsOptions", "hostProcess")))
    return first_violation(found, lambda n: f"hostProcess: true set by {quoted(n)}.")


def host_namespaces(pod: Pod, version: Version) -> Violation | None:
    found = [
        (field, pod.at(field))
        for field in ("hostNetwork", "hostPID", "hostIPC")
        if pod.spec.get(field) is True
    ]
    return first_violation(found, lambda n: f"The pod shares host namespaces: {', '.join(n)}.")


def privileged(pod: Pod, version: Version) -> Violation | None:
    found = [
        (c.name, c.at("securityContext", "privileged"))
        for c in pod.containers()
        if c.security.get("privileged") is True
    ]
    return first_violation(found, lambda n: f"{containers_phrase(n)} set privileged: true.")


def capabilities_baseline(pod: Pod, version: Version) -> Violation | None:
    found: list[tuple[str, Path]] = []
    extra: list[str] = []
    for c in pod.containers():
        added = as_list(as_dict(c.security.get("capabilities")).get("add"))
        for index, cap in enumerate(added):
            if not isinstance(cap, str) or cap not in BASELINE_CAPABILITIES:
                found.append((c.name, c.at("securityContext", "capabilities", "add", index)))
                extra.append(str(cap))
    return first_violation(
        found, lambda n: f"{containers_phrase(n)} add non-default capabilities {quoted(extra)}."
    )


def host_path_volumes(pod: Pod, version: Version) -> Violation | None:
    found = [
        (str(as_dict(v).get("name", i)), pod.at("volumes", i, "hostPath"))
        for i, v in enumerate(as_list(pod.spec.get("volumes")))
        if as_dict(v).get("hostPath") is not None
    ]
    return first_violation(found, lambda n: f"hostPath volumes {quoted(n)}.")


def host_ports(pod: Pod, version: Version) -> Violation | None:
    found: list[tuple[str, Path]] = []
    ports: list[str] = []
    for c in pod.containers():
        for i, port in enumerate(as_list(c.spec.get("ports"))):
            host_port = as_dict(port).get("hostPort")
            if host_port not in (None, 0):
                found.append((c.name, c.at("ports", i, "hostPort")))
                ports.append(str(host_port))
    return first_violation(
        found, lambda n: f"{containers_phrase(n)} use host ports {quoted(ports)}."
    )


_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_HOOKS = ("postStart", "preStop")


def host_probes(pod: Pod, version: Version) -> Violation | None:
    found: list[tuple[str, Path]] = []
    hosts: list[str] = []
    for c in pod.containers():
        handlers: list[tuple[tuple[str, ...], Any]] = [((p,), c.spec.get(p)) for p in _PROBES]
        handlers += [(("lifecycle", h), as_dict(c.spec.get("lifecycle")).get(h)) for h in _HOOKS]
        for where, handler in handlers:
            for action in ("httpGet", "tcpSocket"):
                host = as_dict(as_dict(handler).get(action)).get("host")
                if host not in (None, ""):
                    found.append((c.name, c.at(*where, action, "host")))
                    hosts.append(str(host))
    return first_violation(
        found, lambda n: f"{containers_phrase(n)} set probe or lifecycle hosts {quoted(hosts)}."
    )


def apparmor(pod: Pod, version: Version) -> Violation | None:
    found: list[tuple[str, Path]] = []
    values: list[str] = []
    profile = pod.security.get("appArmorProfile")
    if profile is not None and not profile_ok(profile):
        found.append(("pod", pod.at("securityContext", "appArmorProfile", "type")))
        values.append(str(as_dict(profile).get("type", "")))
    for c in pod.containers():
        profile = c.security.get("appArmorProfile")
        if profile is not None and not profile_ok(profile):
            found.append((c.name, c.at("securityContext", "appArmorProfile", "type")))
            values.append(str(as_dict(profile).get("type", "")))
    for key, value in sorted(as_dict(pod.meta.get("annotations")).items()):
        if key.startswith(APPARMOR_ANNOTATION) and not _apparmor_annotation_ok(value):
            found.append((f"annotation {key}", pod.meta_at("annotations", key)))
            values.append(str(value))
    return first_violation(
        found, lambda n: f"Forbidden AppArmor profile {quoted(values)} set by {', '.join(n)}."
    )


def _apparmor_annotation_ok(value: object) -> bool:
    text = str(value) if value is not None else ""
    return text in ("", "runtime/default") or text.startswith("localhost/")


def selinux(pod: Pod, version: Version) -> Violation | None:
    allowed = SELINUX_TYPES_1_31 if version >= (1, 31) else SELINUX_TYPES
    found: list[tuple[str, Path]] = []
    problems: list[str] = []
    scopes = [("pod", pod.security, pod.at("securityContext", "seLinuxOptions"))]
    scopes += [
        (c.name, c.security, c.at("securityContext", "seLinuxOptions")) for c in pod.containers()
    ]
    for who, security, path in scopes:
        options = security.get("seLinuxOptions")
        if options is None:
            continue
        options = as_dict(options)
        kind = options.get("type") or ""
        if not one_of(kind, allowed):
            found.append((who, (*path, "type")))
            problems.append(f"type {kind}")
        for key in ("user", "role"):
            if options.get(key):
                found.append((who, (*path, key)))
                problems.append(f"{key} set")
    return first_violation(
        found, lambda n: f"Forbidden seLinuxOptions ({', '.join(problems)}) set by {quoted(n)}."
    )


def proc_mount_unmasked(pod: Pod) -> Violation | None:
    found = [
        (c.name, c.at("securityContext", "procMount"))
        for c in pod.containers()
        if c.security.get("procMount") not in (None, "Default")
    ]
    return first_violation(found, lambda n: f"{containers_phrase(n)} set a non-default procMount.")


def proc_mount(pod: Pod, version: Version) -> Violation | None:
    if version >= (1, 35) and pod.user_namespace:
        return None
    return proc_mount_unmasked(pod)


def _seccomp_annotation_ok(value: object) -> bool:
    text = str(value) if value is not None else ""
    return text in ("runtime/default", "docker/default") or text.startswith("localhost/")


def seccomp_baseline(pod: Pod, version: Version) -> Violation | None:
    found: list[tuple[str, Path]] = []
    if version < (1, 19):
        annotations = as_dict(pod.meta.get("annotations"))
        keys = [SECCOMP_POD_ANNOTATION]
        keys += [SECCOMP_CONTAINER_ANNOTATION + c.name for c in pod.containers()]
        for key in keys:
            if key in annotations and not _seccomp_annotation_ok(annotations[key]):
                found.append((key, pod.meta_at("annotations", key)))
        return first_violation(found, lambda n: f"Forbidden seccomp annotations {quoted(n)}.")
    profile = pod.security.get("seccompProfile")
    if profile is not None and not profile_ok(profile):
        found.append(("pod", pod.at("securityContext", "seccompProfile", "type")))
    for c in pod.containers():
        profile = c.security.get("seccompProfile")
        if profile is not None and not profile_ok(profile):
            found.append((c.name, c.at("securityContext", "seccompProfile", "type")))
    return first_violation(
        found,
        lambda n: f"seccompProfile.type other than RuntimeDefault/Localhost set by {quoted(n)}.",
    )


def sysctls(pod: Pod, version: Version) -> Violation | None:
    allowed = safe_sysctls(version)
    found = [
        (str(as_dict(s).get("name")), pod.at("securityContext", "sysctls", i, "name"))
        for i, s in enumerate(as_list(pod.security.get("sysctls")))
        if not one_of(as_dict(s).get("name"), allowed)
    ]
    return first_violation(found, lambda n: f"Unsafe sysctls {quoted(n)}.")
