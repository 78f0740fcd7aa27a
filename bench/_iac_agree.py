"""Agreement between mamori and Checkov on failing resources, for the checks that mean the
same thing, on every IaC corpus kind (used by bench_iac.py).

The maps of "same thing" live in one place each: the AWS posture checks (Terraform and
CloudFormation) here, the Kubernetes and Dockerfile ones in the test oracles that assert
them (tests/workload/checkov_oracle.py, tests/workload/dockerfile/test_corpus.py), imported
rather than copied, with the deliberate differences those tests document.

Checkov runs with --quiet (failures only), so a resource counts as failing for Checkov when
any of the mapped CKV ids fails on it. mamori's verdicts come from a separate
`--include-passed` report, so a Checkov-only failure can be split into "mamori passed it"
and "mamori did not judge it" (no such resource, or the check does not apply).
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.workload.checkov_oracle import SAME as K8S_SAME  # noqa: E402
from tests.workload.checkov_oracle import Difference, _resource  # noqa: E402
from tests.workload.dockerfile.test_corpus import SAME as DOCKERFILE_SAME  # noqa: E402
from tests.workload.dockerfile.test_corpus import _from_variable  # noqa: E402
from tests.workload.test_k8s_checkov import known as k8s_known  # noqa: E402

Key = tuple[str, ...]
Json = dict[str, Any]

# mamori check -> the Checkov checks that judge the same property (any failing = fail)
AWS_SAME: dict[str, tuple[str, ...]] = {
    "s3_bucket_server_access_logging_enabled": ("CKV_AWS_18",),
    "s3_bucket_mfa_delete_enabled": ("CKV_AWS_52",),
    "s3_bucket_public_access_block": ("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56"),
    "ec2_securitygroup_admin_ports": ("CKV_AWS_24", "CKV_AWS_25"),  # mamori: ipv4 or ipv6
    "ec2_securitygroup_default_restricts_all": ("CKV2_AWS_12",),
    "cloudtrail_log_file_validation_enabled": ("CKV_AWS_36",),
    "cloudtrail_kms_encryption_enabled": ("CKV_AWS_35",),
    "kms_cmk_rotation_enabled": ("CKV_AWS_7",),
    "ec2_ebs_volume_encrypted": ("CKV_AWS_3",),
    "ec2_ebs_default_encryption": ("CKV_AWS_106",),
    "rds_instance_storage_encrypted": ("CKV_AWS_16",),
    "rds_instance_not_publicly_accessible": ("CKV_AWS_17",),
    "rds_instance_minor_version_upgrade_enabled": ("CKV_AWS_226",),
    "eks_cluster_endpoint_not_public": ("CKV_AWS_38",),
    "eks_cluster_control_plane_logging_enabled": ("CKV_AWS_37",),
    "iam_policy_no_full_admin_attached": ("CKV_AWS_62",),
    "iam_inline_policy_no_full_admin": ("CKV_AWS_62",),
    "efs_encryption_at_rest_enabled": ("CKV_AWS_42",),
    "ec2_instance_imdsv2_required": ("CKV_AWS_79",),
    "ecr_repository_scan_on_push_enabled": ("CKV_AWS_163",),
}
AWS_MERGED = {
    "ec2_securitygroup_no_admin_ports_ipv4": "ec2_securitygroup_admin_ports",
    "ec2_securitygroup_no_admin_ports_ipv6": "ec2_securitygroup_admin_ports",
}


def _aws_name(address: str) -> str:
    """type.name of a Terraform address (module path and index dropped), or a logical id."""
    bare = re.sub(r"\[[^\]]*\]", "", address)
    parts = bare.split(".")
    if bare.startswith("AWS::"):
        return parts[-1]
    return ".".join(parts[-2:]) if len(parts) >= 2 else bare


def _aws_checkov_key(result: Json) -> Key:
    return result["file_path"].lstrip("/"), _aws_name(result["resource"])


def _aws_mamori_key(finding: Json) -> Key | None:
    ev = finding["evidence"]
    return ev.get("file", ""), _aws_name(ev.get("address", ""))


def _k8s_checkov_key(result: Json) -> Key:
    kind, namespace, name = _resource(result["resource"])
    return result["file_path"].lstrip("/"), kind, namespace or "default", name


def _k8s_mamori_key(finding: Json) -> Key | None:
    """(file, kind, namespace, name) of an object, as the test oracle keys it; Checkov
    names an object without a namespace `default`. None for namespace/cluster findings."""
    a = finding["resource"]["attributes"]
    if "kind" not in a or "object_name" not in a:
        return None
    return a["file"], a["kind"], a.get("namespace") or "default", a["object_name"]


def _terraform_entity(key: Key) -> str:
    """The resource type of a `type.name` key (a CloudFormation logical id does not say)."""
    return key[1].split(".")[0]


def _k8s_entity(key: Key) -> str:
    return key[1]


def _dockerfile_checkov_key(result: Json) -> Key:
    return (result["file_path"].lstrip("/"),)


def _dockerfile_mamori_key(finding: Json) -> Key | None:
    return (finding["evidence"]["file"],)


def _k8s_documented(check: str, key: Key, mamori_passed: bool, _root: Path) -> bool:
    file, kind, namespace, name = key
    return k8s_known(Difference(check, (file, kind, namespace, name), mamori_passed))


def _dockerfile_documented(check: str, key: Key, _mamori_passed: bool, root: Path) -> bool:
    """Checkov judges the literal `${X}` of a FROM whose image is an ARG."""
    return check == "dockerfile_base_image_not_latest" and _from_variable(root / key[0])


def _none_documented(_check: str, _key: Key, _mamori_passed: bool, _root: Path) -> bool:
    return False


@dataclass(frozen=True)
class KindMap:
    """How one corpus kind is compared: the check map and how each tool names a resource."""

    same: Mapping[str, tuple[str, ...]]
    checkov_key: Callable[[Json], Key]
    mamori_key: Callable[[Json], Key | None]
    # (mamori check, key, mamori passed?, corpus dir) -> a documented deliberate difference
    documented: Callable[[str, Key, bool, Path], bool] = _none_documented
    merged: Mapping[str, str] | None = None
    # the resource type, as Checkov's `--list` Entity column names it (None: keys do not say)
    entity: Callable[[Key], str] | None = None


KINDS: dict[str, KindMap] = {
    "terraform": KindMap(
        AWS_SAME, _aws_checkov_key, _aws_mamori_key, merged=AWS_MERGED, entity=_terraform_entity
    ),
    "cloudformation": KindMap(AWS_SAME, _aws_checkov_key, _aws_mamori_key, merged=AWS_MERGED),
    "kubernetes": KindMap(
        K8S_SAME, _k8s_checkov_key, _k8s_mamori_key, _k8s_documented, entity=_k8s_entity
    ),
    "dockerfile": KindMap(
        DOCKERFILE_SAME, _dockerfile_checkov_key, _dockerfile_mamori_key, _dockerfile_documented
    ),
}


def checkov_failures(kind: str, path: Path) -> dict[str, set[Key]]:
    """CKV id -> the resources it fails, from Checkov's --quiet JSON (one report or a list)."""
    data = json.loads(path.read_text() or "[]")
    reports = data if isinstance(data, list) else [data]
    failed: dict[str, set[Key]] = defaultdict(set)
    for report in reports:
        for result in (report.get("results") or {}).get("failed_checks") or []:
            failed[result["check_id"]].add(KINDS[kind].checkov_key(result))
    return failed


def mamori_verdicts(kind: str, path: Path) -> dict[str, dict[Key, str]]:
    """mamori check -> resource -> fail (open or ignored) / pass / manual, from an
    --include-passed report; a resource fails a merged check when any part fails."""
    spec = KINDS[kind]
    merged = spec.merged or {}
    out: dict[str, dict[Key, str]] = defaultdict(dict)
    for finding in json.loads(path.read_text())["findings"]:
        key = spec.mamori_key(finding)
        if key is None:
            continue
        check = merged.get(finding["rule_id"], finding["rule_id"])
        status = "fail" if finding["status"] in ("open", "ignored") else finding["status"]
        if out[check].get(key) != "fail":
            out[check][key] = status
    return out


def ckv_label(ids: tuple[str, ...]) -> str:
    """CKV_K8S_17+18+19: the shared `CKV_X_` prefix written once."""
    prefix = ids[0].rsplit("_", 1)[0] + "_"
    return "+".join([ids[0], *(i.removeprefix(prefix) for i in ids[1:])])


def agreement(
    kind: str, ours: Path, theirs: Path, root: Path, entities: Mapping[str, set[str]]
) -> tuple[list[dict[str, Any]], list[str]]:
    """One row per mapped check that either tool fails somewhere in this kind's corpus,
    and the mapped checks left out because this Checkov has none of their CKV ids for the
    framework. `entities`: CKV id -> the resource types it judges (`checkov --list`)."""
    spec = KINDS[kind]
    failed = checkov_failures(kind, theirs)
    verdicts = mamori_verdicts(kind, ours)
    rows, absent = [], []
    for check, mapped in spec.same.items():
        ckv = tuple(c for c in mapped if c in entities)
        if not ckv:
            absent.append(f"{check} ({ckv_label(mapped)})")
            continue
        judged: set[str] = set().union(*(entities[c] for c in ckv))
        their_fail: set[Key] = set().union(*(failed.get(c, set()) for c in ckv))
        mine = verdicts.get(check, {})
        my_fail = {k for k, v in mine.items() if v == "fail"}
        # a CKV id split over several mamori checks (CKV_AWS_62: managed and inline
        # policies): a resource a sibling check fails is that sibling's agreement
        siblings = [c for c, m in spec.same.items() if c != check and set(m) & set(ckv)]
        by_sibling = {k for c in siblings for k, v in verdicts.get(c, {}).items() if v == "fail"}
        only_theirs = their_fail - my_fail - by_sibling
        only_mine = my_fail - their_fail
        # judged by the other tool too: mamori has a verdict / Checkov covers the type
        theirs_judged = [k for k in only_theirs if k in mine]
        mine_judged = [k for k in only_mine if spec.entity is None or spec.entity(k) in judged]
        documented = sum(
            spec.documented(check, k, True, root) for k in theirs_judged if mine[k] == "pass"
        )
        documented += sum(spec.documented(check, k, False, root) for k in mine_judged)
        rows.append(
            {
                "kind": kind,
                "check": check,
                "ckv": ckv_label(ckv),
                "both_fail": len(their_fail & my_fail),
                "only_checkov": len(only_theirs),
                "of_which_mamori_pass": sum(1 for k in only_theirs if mine.get(k) == "pass"),
                "of_which_mamori_unjudged": len(only_theirs) - len(theirs_judged),
                "only_mamori": len(only_mine),
                # None: the keys do not name the resource type (CloudFormation, Dockerfile)
                "of_which_checkov_unjudged": (
                    None if spec.entity is None else len(only_mine) - len(mine_judged)
                ),
                # disagreements on resources both judge that the tests document as deliberate
                "documented": documented,
                "disagree_judged": len(theirs_judged) + len(mine_judged) - documented,
                "examples_only_checkov": sorted(only_theirs)[:3],
                "examples_only_mamori": sorted(only_mine)[:3],
            }
        )
    kept = [r for r in rows if r["both_fail"] or r["only_checkov"] or r["only_mamori"]]
    return kept, absent
