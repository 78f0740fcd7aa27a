"""ECR private repositories: scanning, tag mutability, encryption, policy, images.

aws.ecr.repository attributes:
    uri, created_at (ISO-8601 | None), tag_mutability: "MUTABLE" | "IMMUTABLE" | ...
    scan_on_push (bool): the repository's own imageScanningConfiguration
    scanning: {frequency: "SCAN_ON_PUSH" | "CONTINUOUS_SCAN" | "MANUAL" | None,
        scan_on_push: bool | None, registry_scan_type: "BASIC" | "ENHANCED" | None}
        the effective setting once the registry's scanning rules apply
        (BatchGetRepositoryScanningConfiguration, GetRegistryScanningConfiguration)
    encryption: {type: "AES256" | "KMS" | ..., kms_key: str | None}
    policy: the repository policy as JSON data | None
    policy_public_actions: [str], policy_public: bool (see _resource_policy)
    images: [{digest, tags: [str], pushed_at, size, scan_status (str | None),
        finding_counts: {severity: int}}], newest first, at most MAX_IMAGES
    images_capped (bool): the repository holds more images than were read (those read
        are the first pages DescribeImages returned, not necessarily the newest)
    errors: {call: message} per failed sub-call
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from mamori.cloud.aws.context import AwsContext, paginate
from mamori.cloud.aws.resources._common import attempt, each, iso
from mamori.cloud.aws.resources._resource_policy import parse, public_actions
from mamori.cloud.aws.types import resource_type
from mamori.model import CloudResource

MAX_IMAGES = 1000  # per repository: enough to judge it, bounded memory for huge ones
BATCH = 25  # BatchGetRepositoryScanningConfiguration accepts at most 25 names


def _image(detail: dict[str, Any]) -> dict[str, Any]:
    summary = detail.get("imageScanFindingsSummary") or {}
    return {
        "digest": detail.get("imageDigest"),
        "tags": sorted(detail.get("imageTags", [])),
        "pushed_at": iso(detail.get("imagePushedAt")),
        "size": detail.get("imageSizeInBytes"),
        "scan_status": (detail.get("imageScanStatus") or {}).get("status"),
        "finding_counts": dict(summary.get("findingSeverityCounts") or {}),
    }


def _details(ctx: AwsContext, repo: dict[str, Any]) -> dict[str, Any]:
    client = ctx.client("ecr")
    name = str(repo["repositoryName"])
    errors: dict[str, str] = {}
    text = attempt(
        errors,
        "GetRepositoryPolicy",
        lambda: client.get_repository_policy(repositoryName=name).get("policyText"),
        missing=("RepositoryPolicyNotFoundException",),
    )
    details = attempt(
        errors,
        "DescribeImages",
        lambda: paginate(
            client,
            "describe_images",
            "imageDetails",
            repositoryName=name,
            PaginationConfig={"MaxItems": MAX_IMAGES + 1},
        ),
    )
    images = sorted(
        (_image(d) for d in details or []), key=lambda i: i["pushed_at"] or "", reverse=True
    )
    policy = parse(text)
    actions = public_actions(policy)
    encryption = repo.get("encryptionConfiguration") or {}
    return {
        "uri": repo.get("repositoryUri"),
        "created_at": iso(repo.get("createdAt")),
        "tag_mutability": repo.get("imageTagMutability"),
        "scan_on_push": bool((repo.get("imageScanningConfiguration") or {}).get("scanOnPush")),
        "encryption": {
            "type": encryption.get("encryptionType"),
            "kms_key": encryption.get("kmsKey"),
        },
        "policy": policy,
        "policy_public_actions": actions,
        "policy_public": bool(actions),
        "images": images[:MAX_IMAGES],
        "images_capped": len(images) > MAX_IMAGES,
        "errors": errors,
    }


def _scanning(ctx: AwsContext, names: list[str], errors: dict[str, str]) -> dict[str, Any]:
    """Effective scanning configuration per repository name."""
    client = ctx.client("ecr")
    registry = attempt(
        errors, "GetRegistryScanningConfiguration", client.get_registry_scanning_configuration
    )
    scan_type = ((registry or {}).get("scanningConfiguration") or {}).get("scanType")
    found: dict[str, Any] = {}
    for start in range(0, len(names), BATCH):
        batch = names[start : start + BATCH]
        answer = attempt(
            errors,
            "BatchGetRepositoryScanningConfiguration",
            partial(client.batch_get_repository_scanning_configuration, repositoryNames=batch),
        )
        for conf in (answer or {}).get("scanningConfigurations", []):
            found[str(conf["repositoryName"])] = {
                "frequency": conf.get("scanFrequency"),
                "scan_on_push": conf.get("scanOnPush"),
                "registry_scan_type": scan_type,
            }
    return found


@resource_type(
    "aws.ecr.repository",
    service="ecr",
    calls=(
        "DescribeRepositories",
        "GetRepositoryPolicy",
        "DescribeImages",
        "GetRegistryScanningConfiguration",
        "BatchGetRepositoryScanningConfiguration",
    ),
    id_field="repositoryName",
)
def repositories(ctx: AwsContext) -> Iterator[CloudResource]:
    found = paginate(ctx.client("ecr"), "describe_repositories", "repositories")
    shared: dict[str, str] = {}
    scanning = _scanning(ctx, [str(r["repositoryName"]) for r in found], shared)
    details = each(lambda repo: _details(ctx, repo), found)
    for repo, attrs in zip(found, details, strict=True):
        name = str(repo["repositoryName"])
        attrs["scanning"] = scanning.get(
            name, {"frequency": None, "scan_on_push": None, "registry_scan_type": None}
        )
        attrs["errors"] = {**shared, **attrs["errors"]}
        yield ctx.resource(
            "aws.ecr.repository",
            name,
            arn=repo.get("repositoryArn")
            or ctx.arn("ecr", f"repository/{name}", region=ctx.region),
            attributes=attrs,
        )
