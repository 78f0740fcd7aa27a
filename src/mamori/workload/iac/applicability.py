"""Which AWS posture checks judge IaC, and the attributes each verdict rests on.

An IaC file says what will be created, not everything the API would report: a bucket's
account-level public-access block, a key's state after import, the routes of an RDS
subnet. `READS` lists, for every AWS check that applies to IaC, the model attributes
its verdict reads. A verdict is "not applicable" (dropped, and counted) when one of
those attributes is unknown for the resource (`attributes["unknown"]`), or when the
check answers MANUAL (it could not see something: for IaC, that something is outside
the files). An attribute known only in part (`attributes["partial"]`: the rules of a
group a plan computes, plus one declared on its own) lets a failure stand, not a pass.
Checks not listed here (account-wide ones: password policy, root MFA,
multi-region trail, metric filters...) do not run on IaC.

Kept here rather than in each check's metadata.yaml so the AWS checks stay untouched;
a `reads:` metadata field could take it over later.
"""

from __future__ import annotations

from mamori.model import CloudResource
from mamori.posture.check import Result, Verdict

READS: dict[str, tuple[str, ...]] = {
    "s3_bucket_public_access_block": ("public_access_block",),
    "s3_bucket_server_access_logging_enabled": ("logging",),
    "s3_bucket_secure_transport_policy": ("policy",),
    "s3_bucket_mfa_delete_enabled": ("mfa_delete",),
    "ec2_securitygroup_no_admin_ports_ipv4": ("ingress",),
    "ec2_securitygroup_no_admin_ports_ipv6": ("ingress",),
    "ec2_securitygroup_default_restricts_all": ("ingress", "egress"),
    "cloudtrail_log_file_validation_enabled": ("log_file_validation_enabled",),
    "cloudtrail_kms_encryption_enabled": ("kms_key_id",),
    "cloudtrail_bucket_access_logging_enabled": ("s3_bucket_logging",),
    "kms_cmk_rotation_enabled": ("rotation_enabled", "key_spec", "key_state", "origin"),
    "ec2_ebs_volume_encrypted": ("encrypted",),
    "ec2_ebs_default_encryption": ("enabled",),
    "rds_instance_storage_encrypted": ("storage_encrypted",),
    "rds_instance_not_publicly_accessible": ("publicly_accessible",),
    "rds_instance_minor_version_upgrade_enabled": ("auto_minor_version_upgrade",),
    "eks_cluster_endpoint_not_public": ("endpoint_public_access", "public_access_cidrs"),
    "eks_cluster_control_plane_logging_enabled": ("logging_enabled",),
    "lambda_function_url_auth_required": ("url",),
    "iam_policy_no_full_admin_attached": ("document",),
    "iam_inline_policy_no_full_admin": ("inline_policies",),
    "efs_encryption_at_rest_enabled": ("encrypted",),
    "ec2_instance_imdsv2_required": ("metadata_options",),
    "ecr_repository_scan_on_push_enabled": ("scan_on_push",),
}


def iac_checks() -> list[str]:
    return sorted(READS)


def not_applicable(check_id: str, result: Result) -> str | None:
    """Why a verdict cannot stand for IaC (None when it can)."""
    resource: CloudResource | None = result.resource
    if resource is None:
        return "about the account, not a resource in the files"
    missing = set(resource.attributes.get("unknown") or ()) & set(READS.get(check_id, ()))
    if missing:
        return f"{', '.join(sorted(missing))} not known from the files"
    if result.verdict == Verdict.MANUAL:
        return f"needs what the files do not say: {result.reason}"
    partial = set(resource.attributes.get("partial") or ()) & set(READS.get(check_id, ()))
    if partial and result.verdict == Verdict.PASS:
        return f"only some of {', '.join(sorted(partial))} known: a pass cannot stand"
    return None
