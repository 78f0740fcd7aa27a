"""Terraform (HCL and plan JSON) resource types -> model drafts and amendments.

Defaults are the AWS provider's where an argument is left out (a cloudtrail without
enable_log_file_validation does not validate; an EKS cluster's endpoint is public to
0.0.0.0/0 unless vpc_config says otherwise).
"""

from __future__ import annotations

from typing import Any

from mamori.workload.iac.map_compute import TERRAFORM_COMPUTE
from mamori.workload.iac.map_iam import TERRAFORM_IAM
from mamori.workload.iac.mapping import (
    Amend,
    Draft,
    Index,
    add_rule,
    as_bool,
    as_int,
    block,
    link_key,
    policy_document,
    present,
    strings,
)
from mamori.workload.iac.model import IacResource, Ref, Unknown

BUCKET, SG = "aws.s3.bucket", "aws.ec2.security_group"
Items = list[Draft | Amend]


def _bucket(r: IacResource) -> Items:
    a = r.attrs
    versioning = block(a.get("versioning"))
    logging = block(a.get("logging"))
    attrs: dict[str, Any] = {
        "public_access_block": None,
        "policy": policy_document(a.get("policy")),
        "versioning": "Disabled",
        "mfa_delete": False,
        "logging": None,
        "encryption": _encryption(a.get("server_side_encryption_configuration")),
    }
    if isinstance(versioning, Unknown | Ref):
        attrs["versioning"] = attrs["mfa_delete"] = versioning
    elif versioning:
        on = as_bool(versioning.get("enabled"), False)
        attrs["versioning"] = on if isinstance(on, Unknown) else "Enabled" if on else "Disabled"
        attrs["mfa_delete"] = as_bool(versioning.get("mfa_delete"), False)
    if isinstance(logging, Unknown | Ref) or logging:
        attrs["logging"] = logging if not isinstance(logging, dict) else _logging(logging)
    return [Draft(BUCKET, r, attrs, name=a.get("bucket"))]


def _logging(spec: dict[str, Any]) -> Any:
    target = present(spec.get("target_bucket"))
    if target is None:
        return None
    return {"target_bucket": target, "target_prefix": spec.get("target_prefix") or ""}


def _encryption(value: Any) -> Any:
    config = block(value)
    if not isinstance(config, dict):
        return config
    if not config:
        return None
    rule = block(config.get("rule"))
    if not isinstance(rule, dict):
        return rule
    default = block(rule.get("apply_server_side_encryption_by_default"))
    if not isinstance(default, dict):
        return default
    return [
        {
            "algorithm": default.get("sse_algorithm") or "",
            "kms_key_id": present(default.get("kms_master_key_id")),
            "bucket_key": as_bool(rule.get("bucket_key_enabled"), False),
        }
    ]


def _bucket_amend(r: IacResource, apply: Any) -> Items:
    return [Amend(BUCKET, r.attrs.get("bucket"), r, apply)]


def _public_access_block(r: IacResource) -> Items:
    keys = ("block_public_acls", "ignore_public_acls", "block_public_policy")
    values = {k: as_bool(r.attrs.get(k), False) for k in (*keys, "restrict_public_buckets")}

    def apply(attrs: dict[str, Any]) -> None:
        attrs["public_access_block"] = values

    return _bucket_amend(r, apply)


def _versioning(r: IacResource) -> Items:
    config = block(r.attrs.get("versioning_configuration"))

    def apply(attrs: dict[str, Any]) -> None:
        if not isinstance(config, dict):
            attrs["versioning"] = attrs["mfa_delete"] = config
            return
        attrs["versioning"] = config.get("status") or "Disabled"
        mfa = config.get("mfa_delete")
        attrs["mfa_delete"] = mfa if isinstance(mfa, Unknown | Ref) else mfa == "Enabled"

    return _bucket_amend(r, apply)


def _bucket_logging(r: IacResource) -> Items:
    def apply(attrs: dict[str, Any]) -> None:
        attrs["logging"] = _logging(r.attrs)

    return _bucket_amend(r, apply)


def _bucket_encryption(r: IacResource) -> Items:
    value = _encryption([{"rule": r.attrs.get("rule")}])

    def apply(attrs: dict[str, Any]) -> None:
        attrs["encryption"] = value

    return _bucket_amend(r, apply)


def _bucket_policy(r: IacResource) -> Items:
    document = policy_document(r.attrs.get("policy"))

    def apply(attrs: dict[str, Any]) -> None:
        attrs["policy"] = document

    return _bucket_amend(r, apply)


def _account_block(r: IacResource) -> Items:
    keys = ("block_public_acls", "ignore_public_acls", "block_public_policy")
    attrs = {k: as_bool(r.attrs.get(k), False) for k in (*keys, "restrict_public_buckets")}
    attrs["exists"] = True
    return [Draft("aws.s3.account_public_access_block", r, attrs)]


def _rule(spec: dict[str, Any], v4: str, v6: str, protocol: str = "protocol") -> dict[str, Any]:
    return {
        "protocol": str(spec.get(protocol)) if spec.get(protocol) is not None else "-1",
        "from_port": as_int(spec.get("from_port")),
        "to_port": as_int(spec.get("to_port")),
        "ipv4_ranges": strings(spec.get(v4)),
        "ipv6_ranges": strings(spec.get(v6)),
        "groups": strings(spec.get("security_groups") or spec.get("referenced_security_group_id")),
        "prefix_lists": strings(spec.get("prefix_list_ids") or spec.get("prefix_list_id")),
    }


def _rules(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, Unknown | Ref) or not isinstance(value, list):
        return value if isinstance(value, Unknown | Ref) else Unknown("rules")
    return [
        _rule(s, "cidr_blocks", "ipv6_cidr_blocks") if isinstance(s, dict) else Unknown("rule")
        for s in value
    ]


def _security_group(r: IacResource, default: bool = False) -> Items:
    attrs = {
        "group_name": r.attrs.get("name") or r.address,
        "vpc_id": r.attrs.get("vpc_id"),
        "is_default": default,
        "ingress": _rules(r.attrs.get("ingress")),
        "egress": _rules(r.attrs.get("egress")),
    }
    return [Draft(SG, r, attrs, name=r.attrs.get("name"))]


def _add_rule(r: IacResource, direction: Any, rule: dict[str, Any]) -> Items:
    def apply(attrs: dict[str, Any]) -> None:
        if isinstance(direction, Unknown | Ref):
            attrs["ingress"] = direction
            return
        add_rule(attrs, direction, rule)

    return [Amend(SG, r.attrs.get("security_group_id"), r, apply)]


def _sg_rule(r: IacResource) -> Items:
    rule = _rule(r.attrs, "cidr_blocks", "ipv6_cidr_blocks")
    return _add_rule(r, r.attrs.get("type"), rule)


def _vpc_rule(direction: str) -> Any:
    def mapper(r: IacResource) -> Items:
        rule = _rule(r.attrs, "cidr_ipv4", "cidr_ipv6", protocol="ip_protocol")
        return _add_rule(r, direction, rule)

    return mapper


def _trail(r: IacResource) -> Items:
    a = r.attrs
    attrs = {
        "home_region": None,
        "is_multi_region": as_bool(a.get("is_multi_region_trail"), False),
        "log_file_validation_enabled": as_bool(a.get("enable_log_file_validation"), False),
        "kms_key_id": present(a.get("kms_key_id")),
        "s3_bucket_name": present(a.get("s3_bucket_name")),
        "s3_bucket_logging": None,
    }
    return [Draft("aws.cloudtrail.trail", r, attrs, name=a.get("name"), derived=[trail_bucket])]


def trail_bucket(draft: Draft, index: Index) -> None:
    """The trail's bucket logging, when the bucket is declared beside the trail."""
    target = draft.origin.attrs.get("s3_bucket_name") or draft.origin.attrs.get("S3BucketName")
    key = link_key(draft.scope, BUCKET, target)
    bucket = index.get(key) if key else None
    if bucket is None:
        draft.attrs["s3_bucket_logging"] = Unknown("the trail's bucket is not declared here")
        return
    if isinstance(bucket.name, str) and bucket.name:
        draft.attrs["s3_bucket_name"] = bucket.name
    logging = bucket.attrs.get("logging")
    if isinstance(logging, Unknown | Ref):
        draft.attrs["s3_bucket_logging"] = logging
    else:
        target_bucket = (logging or {}).get("target_bucket")
        draft.attrs["s3_bucket_logging"] = {
            "enabled": bool(logging),
            "target_bucket": target_bucket,
            "target_prefix": (logging or {}).get("target_prefix"),
        }


def _kms_key(r: IacResource) -> Items:
    a = r.attrs
    enabled = as_bool(a.get("is_enabled"), True)
    attrs = {
        "key_manager": "CUSTOMER",
        "key_spec": a.get("customer_master_key_spec") or "SYMMETRIC_DEFAULT",
        "key_usage": a.get("key_usage") or "ENCRYPT_DECRYPT",
        "key_state": enabled
        if isinstance(enabled, Unknown)
        else "Enabled"
        if enabled
        else "Disabled",
        "origin": "AWS_KMS",
        "rotation_enabled": as_bool(a.get("enable_key_rotation"), False),
        "rotation_period_days": as_int(a.get("rotation_period_in_days")),
    }
    return [Draft("aws.kms.key", r, attrs)]


def _simple(model: str, fields: dict[str, tuple[str, Any]], name: str | None = None) -> Any:
    """A mapper copying `model attr <- (iac argument, default)`; booleans normalised."""

    def mapper(r: IacResource) -> Items:
        attrs: dict[str, Any] = {}
        for ours, (theirs, default) in fields.items():
            value = r.attrs.get(theirs)
            attrs[ours] = (
                as_bool(value, default)
                if isinstance(default, bool)
                else (present(value) if value is not None else default)
            )
        return [Draft(model, r, attrs, name=r.attrs.get(name) if name else None)]

    return mapper


def _db_instance(r: IacResource) -> Items:
    a = r.attrs
    encrypted = as_bool(a.get("storage_encrypted"), False)
    if a.get("cluster_identifier") is not None:  # Aurora: the cluster decides
        encrypted = Unknown("storage encryption is the Aurora cluster's")
    attrs = {
        "engine": a.get("engine"),
        "engine_version": a.get("engine_version"),
        "storage_encrypted": encrypted,
        "kms_key_id": present(a.get("kms_key_id")),
        "publicly_accessible": as_bool(a.get("publicly_accessible"), False),
        "auto_minor_version_upgrade": as_bool(a.get("auto_minor_version_upgrade"), True),
        "subnet_ids": [],
    }
    return [Draft("aws.rds.instance", r, attrs, name=a.get("identifier"))]


def _eks(r: IacResource) -> Items:
    vpc = block(r.attrs.get("vpc_config"))
    public: Any = vpc
    cidrs: Any = vpc
    private: Any = vpc
    if isinstance(vpc, dict):
        public = as_bool(vpc.get("endpoint_public_access"), True)
        private = as_bool(vpc.get("endpoint_private_access"), False)
        cidrs = strings(vpc.get("public_access_cidrs") or ["0.0.0.0/0"])
    attrs = {
        "endpoint_public_access": public,
        "endpoint_private_access": private,
        "public_access_cidrs": cidrs,
        "logging_enabled": strings(r.attrs.get("enabled_cluster_log_types")),
    }
    return [Draft("aws.eks.cluster", r, attrs, name=r.attrs.get("name"))]


def _lambda(r: IacResource) -> Items:
    return [Draft("aws.lambda.function", r, {"url": None}, name=r.attrs.get("function_name"))]


def _lambda_url(r: IacResource) -> Items:
    url = {"url": f"<url of {r.address}>", "auth_type": r.attrs.get("authorization_type")}

    def apply(attrs: dict[str, Any]) -> None:
        attrs["url"] = url

    return [Amend("aws.lambda.function", r.attrs.get("function_name"), r, apply)]


def _iam_policy(r: IacResource) -> Items:
    attrs = {"document": policy_document(r.attrs.get("policy")), "attachment_count": 0}
    return [Draft("aws.iam.policy", r, attrs, name=r.attrs.get("name"))]


def _ecr(r: IacResource) -> Items:
    scanning = block(r.attrs.get("image_scanning_configuration"))
    on = scanning.get("scan_on_push") if isinstance(scanning, dict) else scanning
    attrs = {"scan_on_push": as_bool(on, False), "scanning": {}}
    return [Draft("aws.ecr.repository", r, attrs, name=r.attrs.get("name"))]


TERRAFORM: dict[str, Any] = {
    "aws_s3_bucket": _bucket,
    "aws_s3_bucket_public_access_block": _public_access_block,
    "aws_s3_bucket_versioning": _versioning,
    "aws_s3_bucket_logging": _bucket_logging,
    "aws_s3_bucket_server_side_encryption_configuration": _bucket_encryption,
    "aws_s3_bucket_policy": _bucket_policy,
    "aws_s3_account_public_access_block": _account_block,
    "aws_security_group": _security_group,
    "aws_default_security_group": lambda r: _security_group(r, default=True),
    "aws_security_group_rule": _sg_rule,
    "aws_vpc_security_group_ingress_rule": _vpc_rule("ingress"),
    "aws_vpc_security_group_egress_rule": _vpc_rule("egress"),
    "aws_cloudtrail": _trail,
    "aws_kms_key": _kms_key,
    "aws_ebs_volume": _simple(
        "aws.ec2.volume", {"encrypted": ("encrypted", False), "kms_key_id": ("kms_key_id", None)}
    ),
    "aws_ebs_encryption_by_default": _simple(
        "aws.ec2.ebs_encryption_default", {"enabled": ("enabled", True)}
    ),
    "aws_db_instance": _db_instance,
    "aws_eks_cluster": _eks,
    "aws_lambda_function": _lambda,
    "aws_lambda_function_url": _lambda_url,
    "aws_iam_policy": _iam_policy,
    "aws_efs_file_system": _simple(
        "aws.efs.file_system",
        {"encrypted": ("encrypted", False), "kms_key_id": ("kms_key_id", None)},
        name="creation_token",
    ),
    "aws_ecr_repository": _ecr,
    **TERRAFORM_IAM,
    **TERRAFORM_COMPUTE,
}
