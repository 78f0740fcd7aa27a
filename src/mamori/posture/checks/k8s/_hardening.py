"""Container hardening rules beyond the Pod Security Standards (CIS 5.2.8-5.2.10, 5.4.1,
5.7.3 and the NSA/CISA Kubernetes Hardening Guide): pod rules in the `_pod` shape.
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


def net_raw_dropped(pod: Pod, version: Version) -> Violation | None:
    found: list[tuple[str, Path]] = []
    for c in pod.containers():
        caps = as_dict(c.security.get("capabilities"))
        drop = {str(x) for x in as_list(caps.get("drop"))}
        add = {str(x) for x in as_list(caps.get("add"))}
        if not drop & {"ALL", "NET_RAW"} or add & {"ALL", "NET_RAW"}:
            found.append((c.name, c.at("securityContext", "capabilities") if caps else c.path))
    return first_violation(
        found, lambda n: f"{containers_phrase(n)} keep NET_RAW (drop NET_RAW or ALL)."
    )


def no_added_capabilities(pod: Pod, version: Version) -> Violation | None:
    found: list[tuple[str, Path]] = []
    added: list[str] = []
    for c in pod.containers():
        caps = as_list(as_dict(c.security.get("capabilities")).get("add"))
        if caps:
            found.append((c.name, c.at("securityContext", "capabilities", "add")))
            added += [str(x) for x in caps]
    return first_violation(
        found, lambda n: f"{containers_phrase(n)} add capabilities {quoted(added)}."
    )


def secrets_not_in_env(pod: Pod, version: Version) -> Violation | None:
    found: list[tuple[str, Path]] = []
    for c in pod.containers():
        for i, env in enumerate(as_list(c.spec.get("env"))):
            if as_dict(as_dict(env).get("valueFrom")).get("secretKeyRef") is not None:
                found.append((c.name, c.at("env", i, "valueFrom", "secretKeyRef")))
        for i, source in enumerate(as_list(c.spec.get("envFrom"))):
            if as_dict(source).get("secretRef") is not None:
                found.append((c.name, c.at("envFrom", i, "secretRef")))
    return first_violation(
        found, lambda n: f"{containers_phrase(n)} read Secrets through environment variables."
    )


def security_context_applied(pod: Pod, version: Version) -> Violation | None:
    if pod.security:
        return None
    found = [(c.name, c.path) for c in pod.containers() if not c.security]
    return first_violation(
        found, lambda n: f"Neither the pod nor {containers_phrase(n)} set a securityContext."
    )


def resource_limits(pod: Pod, version: Version) -> Violation | None:
    found: list[tuple[str, Path]] = []
    missing: list[str] = []
    for c in pod.containers():
        if c.list_name == "ephemeralContainers":  # the API forbids resources on them
            continue
        limits = as_dict(as_dict(c.spec.get("resources")).get("limits"))
        lacking = [r for r in ("cpu", "memory") if limits.get(r) in (None, "")]
        if lacking:
            found.append((c.name, c.at("resources") if c.spec.get("resources") else c.path))
            missing += [f"{c.name}: {r}" for r in lacking]
    return first_violation(found, lambda n: f"Missing limits ({', '.join(missing)}).")


def read_only_root_fs(pod: Pod, version: Version) -> Violation | None:
    found = [
        (c.name, c.at("securityContext", "readOnlyRootFilesystem") if c.security else c.path)
        for c in pod.containers()
        if c.security.get("readOnlyRootFilesystem") is not True
    ]
    return first_violation(
        found, lambda n: f"{containers_phrase(n)} must set readOnlyRootFilesystem: true."
    )


def image_reference(image: str) -> tuple[str, str | None, str | None]:
    """(repository, tag, digest) of an image reference ("reg:5000/app:1.2@sha256:...")."""
    name, _, digest = image.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        return name[:colon], name[colon + 1 :], digest or None
    return name, None, digest or None


def image_digest(pod: Pod, version: Version) -> Violation | None:
    found = []
    for c in pod.containers():
        image = str(c.spec.get("image") or "")
        if image_reference(image)[2] is None:
            found.append((image or f"(no image in {c.name})", c.at("image")))
    return first_violation(found, lambda n: f"Images not pinned by digest: {quoted(n)}.")


def image_not_latest(pod: Pod, version: Version) -> Violation | None:
    found = []
    for c in pod.containers():
        image = str(c.spec.get("image") or "")
        _, tag, digest = image_reference(image)
        if digest is None and tag in (None, "", "latest"):
            found.append((image or f"(no image in {c.name})", c.at("image")))
    return first_violation(
        found, lambda n: f"Images use the latest or no tag (and no digest): {quoted(n)}."
    )
