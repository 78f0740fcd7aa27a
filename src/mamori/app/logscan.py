"""Log records through the rules: CloudTrail records and Kubernetes audit events to alerts.

    ruleset = cloud_ruleset(rules=["local.yaml"])         # mamori's cloud rules + yours
    for alert in alerts(read_cloudtrail("AWSLogs/"), ruleset, CLOUDTRAIL):
        sink.emit(alert)

The sources' records are plain ``dict``s; each is matched against the rules of its
source (``aws_cloudtrail`` or ``k8s_audit``), first match only unless `match_all`
(Falco's ``rule_matching``). An alert's time is the record's own (``eventTime``, an
audit event's ``stageTimestamp``, else ``requestReceivedTimestamp``), falling back to
the time it was read, and its identity says where it happened: the account and region
of a CloudTrail record, the namespace (and cluster, when the caller knows it) of an
audit event.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mamori.rules import Match, RuleSet, load_files
from mamori.rules.sources._json_fields import parse_rfc3339

if TYPE_CHECKING:
    from mamori.alerts import Alert

CLOUDTRAIL = "aws_cloudtrail"
K8S_AUDIT = "k8s_audit"
VPC_FLOW = "vpc_flow"
_AUDIT_TIMES = ("stageTimestamp", "requestReceivedTimestamp")


class RulesError(ValueError):
    """The rules do not load (the message lists the load errors)."""


def default_rule_files() -> list[Path]:
    """mamori's own cloud rules (``rules/default_cloud``), or none while that module
    does not exist."""
    try:
        module = importlib.import_module("mamori.rules.default_cloud")
    except ImportError:
        return []
    files = getattr(module, "default_cloud_rule_files", None)
    return [Path(p) for p in files()] if callable(files) else []


def cloud_ruleset(
    rules: Sequence[str | Path] = (),
    sigma: Sequence[str | Path] = (),
    *,
    defaults: bool = True,
    on_warning: Callable[[str], None] | None = None,
) -> RuleSet:
    """mamori's cloud rules (unless not `defaults`), then `rules` in order, then the
    Sigma rules (files or directories) after them. Raises `RulesError` when anything
    fails to load; Sigma's warnings (a rule for a log source mamori cannot read...) go
    to `on_warning`."""
    files = [*(default_rule_files() if defaults else []), *rules]
    ruleset = load_files(files)
    if ruleset.result.errors:
        raise RulesError("\n".join(str(e) for e in ruleset.result.errors))
    if sigma:
        from mamori.rules.sigma import add_sigma

        result = add_sigma(ruleset, sigma)
        if result.errors:
            raise RulesError("\n".join(str(e) for e in result.errors))
        if on_warning is not None:
            for w in result.warnings:
                on_warning(str(w))
    return ruleset


def rule_count(ruleset: RuleSet, source: str) -> int:
    return sum(1 for r in ruleset.rules if r.enabled and r.source == source)


@dataclass(frozen=True, slots=True)
class LogMatch:
    """One rule match on one record: the match, the record's time (ns) and identity."""

    match: Match
    ts: int
    identity: dict[str, str]

    def alert(self, hostname: str = "") -> Alert:
        from mamori.alerts import Alert

        return Alert.from_match(self.match, self.ts, hostname=hostname, identity=self.identity)


def record_time(record: dict[str, Any], source: str) -> int:
    """The record's own time in ns since the epoch, else now."""
    if source == VPC_FLOW:  # the flow's start, epoch seconds
        start = record.get("start")
        return start * 1_000_000_000 if isinstance(start, int) and start > 0 else time.time_ns()
    keys = (
        ("eventTime",) if source == CLOUDTRAIL else ("stageTimestamp", "requestReceivedTimestamp")
    )
    for key in keys:
        ts = parse_rfc3339(record.get(key))
        if ts is not None:
            return ts
    return time.time_ns()


def record_identity(record: dict[str, Any], source: str, cluster: str = "") -> dict[str, str]:
    """Where the record's event happened (only what the record says)."""
    out: dict[str, str] = {}
    if source == CLOUDTRAIL:
        ident = record.get("userIdentity")
        account = record.get("recipientAccountId") or (
            ident.get("accountId") if isinstance(ident, dict) else None
        )
        if isinstance(account, str) and account:
            out["account"] = account
        region = record.get("awsRegion")
        if isinstance(region, str) and region:
            out["region"] = region
    elif source == VPC_FLOW:
        for key, label in (("account-id", "account"), ("region", "region"),
                           ("interface-id", "interface"), ("vpc-id", "vpc")):  # fmt: skip
            value = record.get(key)
            if isinstance(value, str) and value:
                out[label] = value
    elif source == K8S_AUDIT:
        if cluster:
            out["cluster"] = cluster
        ref = record.get("objectRef")
        namespace = ref.get("namespace") if isinstance(ref, dict) else None
        if isinstance(namespace, str) and namespace:
            out["namespace"] = namespace
        name = ref.get("name") if isinstance(ref, dict) else None
        if isinstance(name, str) and name and ref.get("resource") == "pods":  # type: ignore[union-attr]
            out["pod"] = name
    return out


def evaluate(
    records: Iterable[dict[str, Any]],
    ruleset: RuleSet,
    source: str,
    *,
    match_all: bool = False,
    cluster: str = "",
) -> Iterator[LogMatch]:
    """The matches of the rules of `source` over `records`, in record order."""
    if rule_count(ruleset, source) == 0:
        for _ in records:  # nothing can match; still read (cursors move on)
            pass
        return
    first, every = ruleset.match_first, ruleset.match
    for record in records:
        if match_all:
            found = every(record, source)
        else:
            one = first(record, source)
            found = [one] if one is not None else []
        if found:
            ts = record_time(record, source)
            ident = record_identity(record, source, cluster)
            for m in found:
                yield LogMatch(m, ts, ident)


def alerts(
    records: Iterable[dict[str, Any]],
    ruleset: RuleSet,
    source: str,
    *,
    match_all: bool = False,
    hostname: str = "",
    cluster: str = "",
) -> Iterator[Alert]:
    """`evaluate`, as `mamori.alerts.Alert`s."""
    for m in evaluate(records, ruleset, source, match_all=match_all, cluster=cluster):
        yield m.alert(hostname)
