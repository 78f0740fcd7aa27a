"""Checkov (installed into .cache/bench/checkov-venv, never the project venv) as an
independent oracle for the Kubernetes checks that mean the same thing as one of its
CKV_K8S checks. Several CKV ids can make up one mamori check (hostPID/hostIPC/hostNetwork
are one PSS control): the object fails when any of them fails.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from tests.support import ROOT

VENV = ROOT / ".cache" / "bench" / "checkov-venv"
CHECKOV = VENV / "bin" / "checkov"
REQUIREMENT = "checkov>=3.2,<4"


def install_checkov() -> bool:
    """Install Checkov into its own venv once (file-locked for parallel workers); False
    when PyPI is unreachable. Never touches the project's venv."""
    VENV.parent.mkdir(parents=True, exist_ok=True)
    with (VENV.parent / ".checkov-venv.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (VENV / ".complete").exists() and CHECKOV.exists():
            return True
        shutil.rmtree(VENV, ignore_errors=True)
        try:
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, timeout=300)
            subprocess.run(
                [str(VENV / "bin" / "pip"), "install", "-q", REQUIREMENT],
                check=True,
                timeout=1200,
                capture_output=True,
            )
        except (subprocess.SubprocessError, OSError):
            return False
        (VENV / ".complete").write_text("ok\n")
        return True


# mamori check -> the Checkov checks that judge the same property
SAME = {
    "k8s_pss_privileged": ("CKV_K8S_16",),
    "k8s_pss_host_namespaces": ("CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19"),
    "k8s_pss_privilege_escalation": ("CKV_K8S_20",),
    "k8s_default_namespace_unused": ("CKV_K8S_21",),
    "k8s_container_read_only_root_fs": ("CKV_K8S_22",),
    "k8s_pss_run_as_non_root": ("CKV_K8S_23",),
    "k8s_container_no_added_capabilities": ("CKV_K8S_25",),
    "k8s_pss_host_ports": ("CKV_K8S_26",),
    "k8s_container_net_raw_dropped": ("CKV_K8S_28",),
    "k8s_pss_seccomp_restricted": ("CKV_K8S_31",),
    "k8s_container_resource_limits": ("CKV_K8S_11", "CKV_K8S_13"),
    "k8s_container_image_not_latest": ("CKV_K8S_14",),
    "k8s_container_image_digest": ("CKV_K8S_43",),
    "k8s_secrets_not_in_env": ("CKV_K8S_35",),
    "k8s_pss_capabilities_restricted": ("CKV_K8S_37",),
    "k8s_pod_token_automount_disabled": ("CKV_K8S_38",),
    "k8s_rbac_wildcards": ("CKV_K8S_49",),
}

Key = tuple[str, str, str, str]  # file, kind, namespace, name


def run_checkov(directory: Path) -> dict[Key, dict[str, bool]]:
    """(file, kind, namespace, name) -> {CKV id: passed} for every object Checkov judged."""
    env = {**os.environ, "LOG_LEVEL": "ERROR"}
    done = subprocess.run(
        [
            str(CHECKOV),
            "-d",
            ".",
            "--framework",
            "kubernetes",
            "-o",
            "json",
            "--skip-download",
            "--compact",
        ],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        check=False,
    )
    doc = json.loads(done.stdout)
    docs = doc if isinstance(doc, list) else [doc]
    out: dict[Key, dict[str, bool]] = defaultdict(dict)
    for part in docs:
        results = part.get("results", {})
        for passed, items in (
            (True, results.get("passed_checks", [])),
            (False, results.get("failed_checks", [])),
        ):
            for item in items:
                kind, namespace, name = _resource(item["resource"])
                key = (item["file_path"].lstrip("/"), kind, namespace, name)
                previous = out[key].get(item["check_id"], True)
                out[key][item["check_id"]] = previous and passed
    return out


def _resource(text: str) -> tuple[str, str, str]:
    kind, _, rest = text.partition(".")
    namespace, _, name = rest.partition(".")
    return kind, namespace, name


@dataclass(frozen=True)
class Difference:
    check: str
    key: Key
    mamori_passed: bool

    def __str__(self) -> str:
        mine, theirs = ("pass", "fail") if self.mamori_passed else ("fail", "pass")
        return f"{self.check} {self.key}: mamori {mine}, checkov {theirs}"


@dataclass
class Agreement:
    compared: int = 0
    agreed: int = 0
    differences: list[Difference] = field(default_factory=list)
    per_check: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))

    @property
    def rate(self) -> float:
        return self.agreed / self.compared if self.compared else 1.0


def compare(mine: dict[Key, dict[str, bool]], theirs: dict[Key, dict[str, bool]]) -> Agreement:
    result = Agreement()
    for key, verdicts in sorted(mine.items()):
        ckv = theirs.get(key) or theirs.get((key[0], key[1], key[2] or "default", key[3]))
        if not ckv:
            continue
        for check, ids in SAME.items():
            if check not in verdicts or not any(i in ckv for i in ids):
                continue
            oracle = all(ckv.get(i, True) for i in ids)
            result.compared += 1
            result.per_check[check][0] += 1
            if oracle == verdicts[check]:
                result.agreed += 1
                result.per_check[check][1] += 1
            else:
                result.differences.append(Difference(check, key, verdicts[check]))
    return result
