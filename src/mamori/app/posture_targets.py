"""Which AWS accounts a posture scan covers, each as a Target holding its own credentials.

    caller's account                      (default: the profile or standard chain)
    --role-arn A --role-arn B             each role assumed from the base session
    --organization-role NAME              every ACTIVE account of the AWS Organization:
                                          the management account with the base session,
                                          each member through arn:<p>:iam::<id>:role/NAME

An account whose role cannot be assumed is left out with a notice; it never aborts the scan.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from mamori.cloud.aws import models
from mamori.cloud.aws.collect import Target, assume, caller_account
from mamori.cloud.aws.context import RETRY_CONFIG, paginate
from mamori.cloud.aws.errors import classify
from mamori.model import Notice, NoticeLevel

SOURCE = "app.posture"


def base_session(profile: str | None, region: str) -> boto3.Session:
    """The session every other credential derives from: a named profile or the chain."""
    return models.session(profile_name=profile, region_name=region)


def _notice(message: str, level: NoticeLevel = NoticeLevel.WARNING) -> Notice:
    return Notice(level=level, source=SOURCE, message=message[:500])


def role_targets(
    session: boto3.Session, role_arns: Sequence[str], notices: list[Notice] | None = None
) -> list[Target]:
    """One Target per role ARN, assumed from `session`; failures become notices."""
    targets: list[Target] = []
    for arn in role_arns:
        try:
            assumed = assume(session, arn)
            account, partition = caller_account(assumed)
        except (ClientError, BotoCoreError) as exc:
            if notices is not None:
                kind, message = classify(exc)
                notices.append(_notice(f"cannot assume {arn} ({kind}): {message}"))
            continue
        targets.append(Target(session=assumed, account=account, partition=partition))
    return targets


def _active(account: dict[str, Any]) -> bool:
    # ListAccounts reports Status (ACTIVE/SUSPENDED/PENDING_CLOSURE) and, newer, State.
    state = str(account.get("State") or account.get("Status") or "").upper()
    return state == "ACTIVE"


def organization_targets(
    session: boto3.Session, role_name: str, notices: list[Notice] | None = None
) -> list[Target]:
    """Every ACTIVE account of the organization `session` can list (organizations:ListAccounts).

    The account `session` belongs to (normally the management account) is scanned with
    `session` itself; every other account through `role_name` assumed in it.
    """
    own, partition = caller_account(session)
    org = session.client("organizations", config=RETRY_CONFIG)
    accounts = paginate(org, "list_accounts", "Accounts")
    targets: list[Target] = []
    for account in sorted(accounts, key=lambda a: str(a.get("Id", ""))):
        account_id = str(account.get("Id", ""))
        if not account_id or not _active(account):
            continue
        if account_id == own:
            targets.append(Target(session=session, account=own, partition=partition))
            continue
        arn = f"arn:{partition}:iam::{account_id}:role/{role_name}"
        try:
            assumed = assume(session, arn)
        except (ClientError, BotoCoreError) as exc:
            if notices is not None:
                kind, message = classify(exc)
                notices.append(
                    _notice(f"account {account_id}: cannot assume {arn} ({kind}): {message}")
                )
            continue
        targets.append(Target(session=assumed, account=account_id, partition=partition))
    return targets


def resolve_targets(
    session: boto3.Session,
    *,
    role_arns: Sequence[str] = (),
    organization_role: str | None = None,
    notices: list[Notice] | None = None,
) -> list[Target]:
    """The accounts to scan, deduplicated by account id (first credentials win)."""
    if organization_role:
        targets = organization_targets(session, organization_role, notices)
    elif role_arns:
        targets = role_targets(session, role_arns, notices)
    else:
        account, partition = caller_account(session)
        targets = [Target(session=session, account=account, partition=partition)]
    unique: dict[str, Target] = {}
    for target in targets:
        unique.setdefault(target.account, target)
    return list(unique.values())
