"""Kubernetes frameworks: PSS Baseline/Restricted and CIS Kubernetes section 5.

They live in `posture/frameworks/k8s/` (the same `Framework` schema as the AWS ones) so
that the AWS framework listing, which assumes AWS requirement numbering, does not list
them; `mamori scan k8s --framework` loads them from there.
"""

from __future__ import annotations

import yaml

from mamori.posture.frameworks import FRAMEWORKS_DIR, Framework

K8S_FRAMEWORKS_DIR = FRAMEWORKS_DIR / "k8s"


def k8s_frameworks() -> list[str]:
    return sorted(p.stem for p in K8S_FRAMEWORKS_DIR.glob("*.yaml"))


def load_k8s_framework(name: str) -> Framework:
    path = K8S_FRAMEWORKS_DIR / f"{name}.yaml"
    if name not in k8s_frameworks():
        known = ", ".join(k8s_frameworks())
        raise ValueError(f"unknown Kubernetes framework {name!r} (known: {known})")
    return Framework.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
