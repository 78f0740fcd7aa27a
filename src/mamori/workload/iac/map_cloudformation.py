"""CloudFormation resource types -> model drafts and amendments (CloudFormation defaults).

`AWS::RDS::DBInstance` without PubliclyAccessible is unknown, not private: CloudFormation
then decides from the VPC and subnet group. IAM principals and inline policies are
mapped in `map_iam`, instances and launch templates in `map_compute`.
"""

from __future__ import annotations

from typing import Any

from mamori.workload.iac.map_compute import CLOUDFORMATION_COMPUTE
from mamori.workload.iac.map_iam import CLOUDFORMATION_IAM
from mamori.workload.iac.map_terraform import trail_bucket
from mamori.workload.iac.mapping import (
    Amend,
    Draft,
    add_rule,
    as_bool,
    as_int,
    block,
    policy_document,
    present,
    strings,
)
from mamori.workload.iac.model import IacResource, Ref, Unknown

BUCKET, SG = "aws.s3.bucket", "aws.ec2.security_group"
Items = list[Draft | Amend]
_BLOCK = {
    "BlockPublicAcls": "block_public_acls",
    "IgnorePublicAcls": "ignore_public_acls",
    "BlockPublicPolicy": "block_public_policy",
    "RestrictPublicBuckets": "restrict_public_buckets",
}


def _bucket(r: IacResource) -> Items:
    p = r.attrs
    name = p.get("BucketName")
    attrs: dict[str, Any] = {
        "public_access_block": None,
        "policy": None,
        "versioning": "Disabled",
        "mfa_delete": False,
        "logging": None,
        "encryption": None,
    }
    block_config = p.get("PublicAccessBlockConfiguration")
    if block_config is not None:
        spec = block(block_config)
        attrs["public_access_block"] = (
            {ours: as_bool(spec.get(theirs), False) for theirs, ours in _BLOCK.items()}
            if isinstance(spec, dict)
            else spec
        )
    versioning = block(p.get("VersioningConfiguration"))
    if isinstance(versioning, dict):
        attrs["versioning"] = versioning.get("Status") or "Disabled"
    else:
        attrs["versioning"] = versioning
    logging = p.get("LoggingConfiguration")
    if logging is not None:
        spec = block(logging)
        if isinstance(spec, dict):
            target = present(spec.get("DestinationBucketName")) or (name or r.address)
            attrs["logging"] = {
                "target_bucket": present(target),
                "target_prefix": spec.get("LogFilePrefix") or "",
            }
        else:
            attrs["logging"] = spec
    encryption = block(p.get("BucketEncryption"))
    if isinstance(encryption, dict) and encryption:
        rules = encryption.get("ServerSideEncryptionConfiguration")
        if isinstance(rules, list):
            attrs["encryption"] = [_encryption_rule(rule) for rule in rules]
        else:
            attrs["encryption"] = Unknown("BucketEncryption")
    return [Draft(BUCKET, r, attrs, name=name)]


def _encryption_rule(rule: Any) -> Any:
    if not isinstance(rule, dict):
        return Unknown("encryption rule")
    default = block(rule.get("ServerSideEncryptionByDefault"))
    if not isinstance(default, dict):
        return default
    return {
        "algorithm": default.get("SSEAlgorithm") or "",
        "kms_key_id": present(default.get("KMSMasterKeyID")),
        "bucket_key": as_bool(rule.get("BucketKeyEnabled"), False),
    }


def _bucket_policy(r: IacResource) -> Items:
    document = policy_document(r.attrs.get("PolicyDocument"))

    def apply(attrs: dict[str, Any]) -> None:
        attrs["policy"] = document

    return [Amend(BUCKET, r.attrs.get("Bucket"), r, apply)]


def _rule(spec: Any) -> Any:
    if not isinstance(spec, dict):
        return Unknown("rule")
    return {
        "protocol": str(spec.get("IpProtocol")) if spec.get("IpProtocol") is not None else "-1",
        "from_port": as_int(spec.get("FromPort")),
        "to_port": as_int(spec.get("ToPort")),
        "ipv4_ranges": strings(spec.get("CidrIp")),
        "ipv6_ranges": strings(spec.get("CidrIpv6")),
        "groups": strings(
            present(spec.get("SourceSecurityGroupId") or spec.get("DestinationSecurityGroupId"))
        ),
        "prefix_lists": strings(
            present(spec.get("SourcePrefixListId") or spec.get("DestinationPrefixListId"))
        ),
    }


def _rules(value: Any, default: list[Any]) -> Any:
    if value is None:
        return default
    if isinstance(value, Unknown | Ref):
        return value
    return [_rule(s) for s in value] if isinstance(value, list) else Unknown("rules")


ALL_EGRESS = {
    "protocol": "-1",
    "from_port": None,
    "to_port": None,
    "ipv4_ranges": ["0.0.0.0/0"],
    "ipv6_ranges": [],
    "groups": [],
    "prefix_lists": [],
}


def _security_group(r: IacResource) -> Items:
    p = r.attrs
    attrs = {
        "group_name": p.get("GroupName") or r.address,
        "vpc_id": present(p.get("VpcId")),
        "is_default": False,
        "ingress": _rules(p.get("SecurityGroupIngress"), []),
        # with no egress rules given, AWS keeps its default allow-all egress rule
        "egress": _rules(p.get("SecurityGroupEgress"), [ALL_EGRESS]),
    }
    return [Draft(SG, r, attrs, name=p.get("GroupName"))]


def _sg_rule(direction: str) -> Any:
    def mapper(r: IacResource) -> Items:
        rule = _rule(r.attrs)
        target = r.attrs.get("GroupId") or r.attrs.get("GroupName")
        if isinstance(target, Ref):
            target = Ref(target.address, "Ref")

        def apply(attrs: dict[str, Any]) -> None:
            add_rule(attrs, direction, rule)

        return [Amend(SG, target, r, apply)]

    return mapper


def _trail(r: IacResource) -> Items:
    p = r.attrs
    attrs = {
        "home_region": None,
        "is_multi_region": as_bool(p.get("IsMultiRegionTrail"), False),
        "log_file_validation_enabled": as_bool(p.get("EnableLogFileValidation"), False),
        "kms_key_id": present(p.get("KMSKeyId")),
        "s3_bucket_name": present(p.get("S3BucketName")),
        "s3_bucket_logging": None,
    }
    return [
        Draft("aws.cloudtrail.trail", r, attrs, name=p.get("TrailName"), derived=[trail_bucket])
    ]


def _kms_key(r: IacResource) -> Items:
    p = r.attrs
    enabled = as_bool(p.get("Enabled"), True)
    attrs = {
        "key_manager": "CUSTOMER",
        "key_spec": p.get("KeySpec") or "SYMMETRIC_DEFAULT",
        "key_usage": p.get("KeyUsage") or "ENCRYPT_DECRYPT",
        "key_state": enabled
        if isinstance(enabled, Unknown)
        else "Enabled"
        if enabled
        else "Disabled",
        "origin": p.get("Origin") or "AWS_KMS",
        "rotation_enabled": as_bool(p.get("EnableKeyRotation"), False),
        "rotation_period_days": as_int(p.get("RotationPeriodInDays")),
    }
    return [Draft("aws.kms.key", r, attrs)]


def _encrypted(model: str, name_key: str | None = None) -> Any:
    def mapper(r: IacResource) -> Items:
        attrs = {
            "encrypted": as_bool(r.attrs.get("Encrypted"), False),
            "kms_key_id": present(r.attrs.get("KmsKeyId")),
        }
        return [Draft(model, r, attrs, name=r.attrs.get(name_key) if name_key else None)]

    return mapper


def _db_instance(r: IacResource) -> Items:
    p = r.attrs
    encrypted = as_bool(p.get("StorageEncrypted"), False)
    if p.get("DBClusterIdentifier") is not None:
        encrypted = Unknown("storage encryption is the Aurora cluster's")
    public = p.get("PubliclyAccessible")
    attrs = {
        "engine": p.get("Engine"),
        "engine_version": p.get("EngineVersion"),
        "storage_encrypted": encrypted,
        "kms_key_id": present(p.get("KmsKeyId")),
        "publicly_accessible": Unknown("default depends on the VPC")
        if public is None
        else as_bool(public),
        "auto_minor_version_upgrade": as_bool(p.get("AutoMinorVersionUpgrade"), True),
        "subnet_ids": [],
    }
    return [Draft("aws.rds.instance", r, attrs, name=p.get("DBInstanceIdentifier"))]


def _eks(r: IacResource) -> Items:
    vpc = block(r.attrs.get("ResourcesVpcConfig"))
    public: Any = vpc
    cidrs: Any = vpc
    if isinstance(vpc, dict):
        public = as_bool(vpc.get("EndpointPublicAccess"), True)
        cidrs = strings(vpc.get("PublicAccessCidrs") or ["0.0.0.0/0"])
    logging = (
        block(block(r.attrs.get("Logging")).get("ClusterLogging"))
        if isinstance(block(r.attrs.get("Logging")), dict)
        else Unknown("Logging")
    )
    types: Any = logging
    if isinstance(logging, dict):
        enabled = logging.get("EnabledTypes") or []
        types = (
            [t.get("Type") if isinstance(t, dict) else Unknown("type") for t in enabled]
            if isinstance(enabled, list)
            else Unknown("EnabledTypes")
        )
    attrs = {
        "endpoint_public_access": public,
        "public_access_cidrs": cidrs,
        "logging_enabled": types,
    }
    return [Draft("aws.eks.cluster", r, attrs, name=r.attrs.get("Name"))]


def _lambda(r: IacResource) -> Items:
    return [Draft("aws.lambda.function", r, {"url": None}, name=r.attrs.get("FunctionName"))]


def _lambda_url(r: IacResource) -> Items:
    target = r.attrs.get("TargetFunctionArn")
    if isinstance(target, Ref):
        target = Ref(target.address, "Ref")
    url = {"url": f"<url of {r.address}>", "auth_type": r.attrs.get("AuthType")}

    def apply(attrs: dict[str, Any]) -> None:
        attrs["url"] = url

    return [Amend("aws.lambda.function", target, r, apply)]


def _managed_policy(r: IacResource) -> Items:
    attrs = {"document": policy_document(r.attrs.get("PolicyDocument")), "attachment_count": 0}
    return [Draft("aws.iam.policy", r, attrs, name=r.attrs.get("ManagedPolicyName"))]


def _ecr(r: IacResource) -> Items:
    scanning = block(r.attrs.get("ImageScanningConfiguration"))
    on = scanning.get("ScanOnPush") if isinstance(scanning, dict) else scanning
    attrs = {"scan_on_push": as_bool(on, False), "scanning": {}}
    return [Draft("aws.ecr.repository", r, attrs, name=r.attrs.get("RepositoryName"))]


CLOUDFORMATION: dict[str, Any] = {
    "AWS::S3::Bucket": _bucket,
    "AWS::S3::BucketPolicy": _bucket_policy,
    "AWS::EC2::SecurityGroup": _security_group,
    "AWS::EC2::SecurityGroupIngress": _sg_rule("ingress"),
    "AWS::EC2::SecurityGroupEgress": _sg_rule("egress"),
    "AWS::CloudTrail::Trail": _trail,
    "AWS::KMS::Key": _kms_key,
    "AWS::EC2::Volume": _encrypted("aws.ec2.volume"),
    "AWS::RDS::DBInstance": _db_instance,
    "AWS::EKS::Cluster": _eks,
    "AWS::Lambda::Function": _lambda,
    "AWS::Lambda::Url": _lambda_url,
    "AWS::IAM::ManagedPolicy": _managed_policy,
    "AWS::EFS::FileSystem": _encrypted("aws.efs.file_system"),
    "AWS::ECR::Repository": _ecr,
    **CLOUDFORMATION_IAM,
    **CLOUDFORMATION_COMPUTE,
}
