"""Run the collectors: accounts x regions x resource types, concurrently, never aborting."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

import boto3

from mamori.cloud.aws import models
from mamori.cloud.aws.context import RETRY_CONFIG, AwsContext
from mamori.cloud.aws.errors import classify
from mamori.cloud.aws.types import ResourceType, resource_types
from mamori.model import GLOBAL_REGION, CloudResource, CollectionError, Inventory, utcnow

Progress = Callable[[int, int], None]  # (tasks done, tasks total)


@dataclass(frozen=True)
class Target:
    """One account to scan: a session holding its credentials."""

    session: boto3.Session
    account: str
    partition: str = "aws"


def caller_account(session: boto3.Session) -> tuple[str, str]:
    """(account id, partition) of the session's credentials."""
    sts = session.client("sts", config=RETRY_CONFIG)
    ident = sts.get_caller_identity()
    return str(ident["Account"]), str(ident["Arn"]).split(":")[1]


def assume(session: boto3.Session, role_arn: str, name: str = "mamori-scan") -> boto3.Session:
    """A session with the credentials of `role_arn` (sts:AssumeRole)."""
    creds = session.client("sts", config=RETRY_CONFIG).assume_role(
        RoleArn=role_arn, RoleSessionName=name
    )["Credentials"]
    return models.session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=session.region_name,
    )


def enabled_regions(session: boto3.Session, home: str) -> list[str]:
    ec2 = session.client("ec2", region_name=home, config=RETRY_CONFIG)
    regions = ec2.describe_regions(AllRegions=False)["Regions"]
    return sorted(r["RegionName"] for r in regions)


def select_types(names: Iterable[str] | None) -> list[ResourceType]:
    """The registered types named (all when None); unknown names raise RegistryError."""
    if names is None:
        return [t for _, t in resource_types.items()]
    return [resource_types.get(n) for n in sorted(set(names))]


def collect(
    targets: Sequence[Target],
    *,
    regions: Sequence[str],
    types: Iterable[str] | None = None,
    home_region: str = "us-east-1",
    progress: Progress | None = None,
    workers: int = 16,
) -> Inventory:
    """Collect the selected types. Failures become CollectionErrors, never exceptions."""
    chosen = select_types(types)
    tasks: list[tuple[ResourceType, AwsContext]] = []
    for target in targets:
        shared: dict[str, AwsContext] = {}
        for rtype in chosen:
            for region in [GLOBAL_REGION] if rtype.global_ else regions:
                if region not in shared:
                    shared[region] = AwsContext(
                        target.session, target.account, region, home_region, target.partition
                    )
                tasks.append((rtype, shared[region]))
    resources: list[CloudResource] = []
    errors: list[CollectionError] = []
    done = 0
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [pool.submit(_run, rtype, ctx) for rtype, ctx in tasks]
        for future in as_completed(futures):
            found, error = future.result()
            resources.extend(found)
            if error is not None:
                errors.append(error)
            done += 1
            if progress is not None:
                progress(done, len(tasks))
    resources.sort(key=lambda r: (r.account, r.type, r.region, r.id))
    errors.sort(key=lambda e: (e.account, e.type, e.region))
    return Inventory(
        provider="aws",
        accounts=tuple(sorted({t.account for t in targets})),
        regions=tuple(regions),
        resources=tuple(resources),
        errors=tuple(errors),
        collected_at=utcnow(),
    )


def _run(
    rtype: ResourceType, ctx: AwsContext
) -> tuple[list[CloudResource], CollectionError | None]:
    found: list[CloudResource] = []
    try:
        for resource in rtype.collect(ctx):
            found.append(resource)
    except Exception as exc:  # every failure is recorded per type, none aborts the scan
        kind, message = classify(exc)
        return found, CollectionError(
            type=rtype.name,
            account=ctx.account,
            region=ctx.region,
            kind=kind,
            message=message[:500],
        )
    return found, None
