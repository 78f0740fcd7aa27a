"""Storage exposure: which buckets, snapshots, images and databases the internet reaches.

Applied to a collected Inventory (`apply_storage_exposure`), after collection, because a
bucket's exposure depends on another resource: the account's public-access block.

- A bucket is exposed when its policy or ACL grants public access and no public-access
  block (the bucket's or the account's) neutralises that grant. Only two of the four
  settings act on what already exists: RestrictPublicBuckets on public policies and
  IgnorePublicAcls on public ACLs; the Block* two only refuse new public grants.
- An EBS snapshot, AMI or RDS (cluster) snapshot shared with "all" is exposed: any AWS
  account can copy it.
- An RDS instance with PubliclyAccessible is potentially exposed: its endpoint resolves
  to a public address. Whether packets get there (security groups, routes) is the
  network analysis' call; an instance it already judged keeps that judgement.

Where what decides could not be read, exposure stays None (unknown), not a guess.
"""

from __future__ import annotations

from mamori.model import CloudResource, Exposure, Inventory
from mamori.posture.exposure.s3_policy import public_grants, public_statements

BUCKET = "aws.s3.bucket"
ACCOUNT_BLOCK = "aws.s3.account_public_access_block"
SHARED = {
    "aws.ec2.snapshot": "EBS snapshot",
    "aws.ec2.image": "AMI",
    "aws.rds.snapshot": "RDS snapshot",
    "aws.rds.cluster_snapshot": "RDS cluster snapshot",
}
RDS_INSTANCE = "aws.rds.instance"
# As network.NEEDS: when buckets are collected, the account's block must be too, or a
# public grant cannot be told from a blocked one.
NEEDS = (BUCKET, ACCOUNT_BLOCK)
_READS = (("policy", "bucket policy"), ("acl", "bucket ACL"))


def _block_level(bucket: CloudResource, account: CloudResource | None, setting: str) -> str:
    """Where `setting` is on ("bucket", "account"), "" when on nowhere we could see."""
    if (bucket.attributes.get("public_access_block") or {}).get(setting) is True:
        return "bucket"
    if account is not None and account.attributes.get(setting) is True:
        return "account"
    return ""


def s3_exposure(bucket: CloudResource, account_block: CloudResource | None) -> Exposure | None:
    """Whether `bucket` is reachable from the internet, given the account's block.

    `account_block` is the account's `aws.s3.account_public_access_block`, None when it
    could not be collected: a public grant then counts as exposed, and says so (for
    ranking, an unconfirmed exposure beats a missed one). None (unknown) when nothing
    public was seen but the policy or the ACL could not be read.
    """
    attrs = bucket.attributes
    errors: dict[str, str] = attrs.get("errors") or {}
    by_policy = list(public_statements(attrs.get("policy")))
    s3_verdict = attrs.get("policy_is_public")
    if s3_verdict is False:
        by_policy = []  # S3 evaluated the policy itself and knows better
    elif s3_verdict is True and not by_policy:
        by_policy = ["S3 reports the bucket policy as public"]
    by_acl = list(public_grants(attrs.get("acl")))
    exposed = False
    reasons: list[str] = []
    for grants, setting, name in (
        (by_policy, "restrict_public_buckets", "RestrictPublicBuckets"),
        (by_acl, "ignore_public_acls", "IgnorePublicAcls"),
    ):
        if not grants:
            continue
        level = _block_level(bucket, account_block, setting)
        if level:
            reasons.extend(f"{g}, but {name} at {level} level blocks it" for g in grants)
            continue
        exposed = True
        reasons.extend(grants)
        if account_block is None or "public_access_block" in errors:
            reasons.append("the public-access block is unknown (not read or not collected)")
    unread = [
        f"the {what} could not be read ({errors[call]})" for call, what in _READS if call in errors
    ]
    if unread and not exposed:
        return None
    reasons.extend(unread)
    if not reasons:
        reasons.append("no bucket policy statement or ACL grant is open to the public")
    return Exposure(internet=exposed, reasons=tuple(reasons))


def shared_exposure(resource: CloudResource) -> Exposure | None:
    """A snapshot or image: exposed when shared with every AWS account; None when who
    may use it could not be read."""
    what = SHARED.get(resource.type, resource.type)
    public = resource.attributes.get("public")
    if public is None:
        return None
    if public is True:
        return Exposure(internet=True, reasons=(f"{what} is shared with all AWS accounts",))
    accounts = resource.attributes.get("shared_with") or []
    if accounts:
        reason = f"{what} is shared only with accounts {', '.join(accounts)}"
    else:
        reason = f"{what} is not shared with other accounts"
    return Exposure(internet=False, reasons=(reason,))


def rds_instance_exposure(instance: CloudResource) -> Exposure:
    """An RDS instance: potentially exposed when PubliclyAccessible (network not judged)."""
    if instance.attributes.get("publicly_accessible") is True:
        return Exposure(
            internet=True,
            reasons=(
                "PubliclyAccessible: the endpoint resolves to a public IP address "
                "(security groups and routes not evaluated here)",
            ),
        )
    return Exposure(internet=False, reasons=("not PubliclyAccessible: private endpoint only",))


def _exposure(resource: CloudResource, blocks: dict[str, CloudResource]) -> Exposure | None:
    if resource.type == BUCKET:
        return s3_exposure(resource, blocks.get(resource.account))
    if resource.type in SHARED:
        return shared_exposure(resource)
    if resource.type == RDS_INSTANCE and resource.exposure is None:
        return rds_instance_exposure(resource)
    return None


def apply_storage_exposure(inventory: Inventory) -> Inventory:
    """The inventory with `exposure` set on its buckets, snapshots, AMIs and RDS instances."""
    blocks = {r.account: r for r in inventory.of_type(ACCOUNT_BLOCK)}
    resources = []
    for resource in inventory.resources:
        exposure = _exposure(resource, blocks)
        resources.append(
            resource if exposure is None else resource.model_copy(update={"exposure": exposure})
        )
    return inventory.model_copy(update={"resources": tuple(resources)})
