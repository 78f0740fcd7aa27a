"""Pod Security Standards, Restricted profile (on top of Baseline), by PSA policy version:

Volume types        only configMap, csi, downwardAPI, emptyDir, ephemeral, image,
                    persistentVolumeClaim, projected, secret (PSA allows image at 1.0)
Privilege escalation allowPrivilegeEscalation: false on every container (1.8+);
                    Windows pods (spec.os.name: windows) exempt from 1.25
Running as non-root runAsNonRoot: true on the pod, or on every container, and never
                    false; skipped for hostUsers: false from 1.35
Non-root user       runAsUser never 0 (1.23+); skipped for hostUsers: false from 1.35
Seccomp             seccompProfile.type RuntimeDefault/Localhost on the pod, or on every
                    container (1.19+); Windows pods exempt from 1.25
Capabilities        every container drops ALL and adds at most NET_BIND_SERVICE
                    (1.22+); Windows pods exempt from 1.25
/proc mount         procMount undefined or Default, even with hostUsers: false
"""

from __future__ import annotations

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
from mamori.posture.checks.k8s._pss_baseline import proc_mount_unmasked, profile_ok

RESTRICTED_VOLUMES = (
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
)


def _windows_exempt(pod: Pod, version: Version) -> bool:
    return version >= (1, 25) and pod.windows


def volume_types(pod: Pod, version: Version) -> Violation | None:
    found: list[tuple[str, Path]] = []
    kinds: list[str] = []
    for i, volume in enumerate(as_list(pod.spec.get("volumes"))):
        volume = as_dict(volume)
        if any(volume.get(k) is not None for k in RESTRICTED_VOLUMES):
            continue
        sources = [k for k, v in volume.items() if k != "name" and v is not None]
        found.append((str(volume.get("name", i)), pod.at("volumes", i, *sources[:1])))
        kinds.append(sources[0] if sources else "unknown")
    return first_violation(
        found, lambda n: f"Volumes {quoted(n)} use restricted volume types {quoted(kinds)}."
    )


def privilege_escalation(pod: Pod, version: Version) -> Violation | None:
    if _windows_exempt(pod, version):
        return None
    found = [
        (c.name, c.at("securityContext", "allowPrivilegeEscalation") if c.security else c.path)
        for c in pod.containers()
        if c.security.get("allowPrivilegeEscalation") is not False
    ]
    return first_violation(
        found, lambda n: f"{containers_phrase(n)} must set allowPrivilegeEscalation: false."
    )


def run_as_non_root(pod: Pod, version: Version) -> Violation | None:
    if version >= (1, 35) and pod.user_namespace:
        return None
    explicit: list[tuple[str, Path]] = []
    pod_value = pod.security.get("runAsNonRoot")
    if pod_value is False:
        explicit.append(("pod", pod.at("securityContext", "runAsNonRoot")))
    implicit: list[tuple[str, Path]] = []
    for c in pod.containers():
        value = c.security.get("runAsNonRoot")
        if value is False:
            explicit.append((c.name, c.at("securityContext", "runAsNonRoot")))
        elif value is None and pod_value is not True:
            implicit.append((c.name, c.path))
    if explicit:
        return first_violation(explicit, lambda n: f"{quoted(n)} set runAsNonRoot: false.")
    return first_violation(
        implicit, lambda n: f"The pod or {containers_phrase(n)} must set runAsNonRoot: true."
    )


def run_as_user(pod: Pod, version: Version) -> Violation | None:
    if version >= (1, 35) and pod.user_namespace:
        return None
    found: list[tuple[str, Path]] = []
    if pod.security.get("runAsUser") == 0 and pod.security.get("runAsUser") is not False:
        found.append(("pod", pod.at("securityContext", "runAsUser")))
    for c in pod.containers():
        value = c.security.get("runAsUser")
        if value == 0 and value is not False:
            found.append((c.name, c.at("securityContext", "runAsUser")))
    return first_violation(found, lambda n: f"{quoted(n)} set runAsUser: 0.")


def seccomp_restricted(pod: Pod, version: Version) -> Violation | None:
    if _windows_exempt(pod, version):
        return None
    explicit: list[tuple[str, Path]] = []
    pod_set = False
    profile = pod.security.get("seccompProfile")
    if profile is not None:
        if profile_ok(profile):
            pod_set = True
        else:
            explicit.append(("pod", pod.at("securityContext", "seccompProfile", "type")))
    implicit: list[tuple[str, Path]] = []
    for c in pod.containers():
        profile = c.security.get("seccompProfile")
        if profile is not None:
            if not profile_ok(profile):
                explicit.append((c.name, c.at("securityContext", "seccompProfile", "type")))
        elif not pod_set:
            implicit.append((c.name, c.path))
    if explicit:
        return first_violation(
            explicit,
            lambda n: f"{quoted(n)} set seccompProfile.type other than RuntimeDefault/Localhost.",
        )
    return first_violation(
        implicit,
        lambda n: (
            f"The pod or {containers_phrase(n)} must set seccompProfile.type "
            "RuntimeDefault or Localhost."
        ),
    )


def capabilities_restricted(pod: Pod, version: Version) -> Violation | None:
    if _windows_exempt(pod, version):
        return None
    missing: list[tuple[str, Path]] = []
    adding: list[tuple[str, Path]] = []
    added: list[str] = []
    for c in pod.containers():
        caps = as_dict(c.security.get("capabilities"))
        if "ALL" not in as_list(caps.get("drop")):
            where = c.at("securityContext", "capabilities") if caps else c.path
            missing.append((c.name, where))
        for i, cap in enumerate(as_list(caps.get("add"))):
            if cap != "NET_BIND_SERVICE":
                adding.append((c.name, c.at("securityContext", "capabilities", "add", i)))
                added.append(str(cap))
    parts = []
    if missing:
        parts.append(f'{containers_phrase([n for n, _ in missing])} must drop ["ALL"]')
    if adding:
        parts.append(f"{containers_phrase([n for n, _ in adding])} must not add {quoted(added)}")
    if not parts:
        return None
    return Violation("; ".join(parts) + ".", (missing or adding)[0][1])


def proc_mount_restricted(pod: Pod, version: Version) -> Violation | None:
    return proc_mount_unmasked(pod)
