"""Stateful detections that Falco's rule language cannot express, as small detectors.

A Falco condition sees one event at a time: it cannot count events or compare with a
baseline. The detections that need that are written here in Python, and report in the
shape rules do: a `Match` whose `Rule` carries a name, description, priority, source
and MITRE tags like any rule's (built by `detector_rule`; its condition never matches,
so adding it to a ruleset changes nothing), an output line, and the values behind it.

`SecretReadBurst` (CloudTrail): one principal reading many distinct secrets in a short
time::

    burst = SecretReadBurst()              # 10 distinct secrets within 600 s
    for record in read_cloudtrail("AWSLogs/"):
        for m in burst.feed(record): print(m.priority.label, m.name, m.output)
"""

from __future__ import annotations

from collections import Counter, OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

from mamori.rules import ast
from mamori.rules.output import OutputFormat
from mamori.rules.priority import Priority
from mamori.rules.rule import Match, Rule
from mamori.rules.source import sources
from mamori.rules.sources._json_fields import parse_rfc3339

NS = 1_000_000_000


def detector_rule(
    name: str, desc: str, priority: Priority, source: str, tags: tuple[str, ...], output: str
) -> Rule:
    """A `Rule` describing a stateful detector: `output` is a Falco output format over
    `source`'s fields, rendered on the event that triggered the detection."""
    src = sources.get(source)
    return Rule(
        name=name,
        desc=desc,
        priority=priority,
        source=source,
        tags=tags,
        enabled=True,
        condition="(stateful detector: not a condition)",
        ast=ast.Unary(ast.Field("evt.type"), "exists"),
        check=lambda _event: False,
        output=OutputFormat(output, src),
        event_types=None,
    )


def detector_match(rule: Rule, event: Any, headline: str, extra: dict[str, Any]) -> Match:
    """A match of a detector: `headline` (the aggregate) then the rule's output rendered
    on `event`; `fields` holds the output's values and the aggregate's (`extra`)."""
    values = rule.output.values(event)
    return Match(rule, f"{headline} ({rule.output.format(event, values)})", {**values, **extra})


SECRET_READ_RULE = detector_rule(
    "Bulk secret reads",
    "One principal (userIdentity.arn) read at least SecretReadBurst.min_distinct distinct "
    "secrets within SecretReadBurst.window seconds of event time: Secrets Manager "
    "GetSecretValue and BatchGetSecretValue, and SSM GetParameter(s)/GetParametersByPath "
    "with decryption. Successful calls only.",
    Priority.WARNING,
    "aws_cloudtrail",
    ("aws", "cloudtrail", "secrets", "mitre_credential_access", "T1555.006"),
    "user=%ct.user arn=%ct.user.arn ip=%ct.srcip agent=%ct.useragent "
    "account=%ct.user.accountid region=%ct.region last=%ct.name",
)


def secret_ids(record: dict[str, Any]) -> list[str]:
    """The secrets a successful CloudTrail record read ([] for any other record)."""
    if "errorCode" in record:
        return []
    src, name = record.get("eventSource"), record.get("eventName")
    req = record.get("requestParameters")
    req = req if isinstance(req, dict) else {}
    region = record.get("awsRegion")
    ids: list[Any] = []
    if src == "secretsmanager.amazonaws.com":
        if name == "GetSecretValue":
            ids = [req.get("secretId")]
        elif name == "BatchGetSecretValue":
            listed = req.get("secretIdList")
            ids = listed if isinstance(listed, list) else ["batch-filter"]
    elif src == "ssm.amazonaws.com" and req.get("withDecryption") in (True, "true"):
        if name == "GetParameter":
            ids = [req.get("name")]
        elif name == "GetParameters":
            listed = req.get("names")
            ids = listed if isinstance(listed, list) else []
        elif name == "GetParametersByPath":
            ids = [f"{req.get('path')}*"]
    return [f"{region}:{i}" for i in ids if isinstance(i, str) and i]


@dataclass
class _Window:
    reads: deque[tuple[int, str]] = field(default_factory=deque)
    counts: Counter[str] = field(default_factory=Counter)
    armed: bool = True


@dataclass
class SecretReadBurst:
    """Counts distinct secrets per principal in a sliding window of event time.

    Reports once when a principal's distinct secrets in the window reach
    `min_distinct`, and again only after the count has fallen below it. Bounded:
    at most `max_principals` principals (least recently seen dropped) and
    `max_reads` reads kept per principal."""

    min_distinct: int = 10
    window: int = 600
    max_principals: int = 100_000
    max_reads: int = 10_000
    rule: Rule = field(default_factory=lambda: SECRET_READ_RULE)
    _state: OrderedDict[str, _Window] = field(default_factory=OrderedDict, repr=False)

    def feed(self, record: dict[str, Any]) -> list[Match]:
        ids = secret_ids(record)
        when = parse_rfc3339(record.get("eventTime"))
        ident = record.get("userIdentity")
        who = ident.get("arn") if isinstance(ident, dict) else None
        if not ids or when is None or not isinstance(who, str):
            return []
        st = self._state.pop(who, None) or _Window()
        self._state[who] = st
        while len(self._state) > self.max_principals:
            self._state.popitem(last=False)
        for secret in ids:
            st.reads.append((when, secret))
            st.counts[secret] += 1
        horizon = max(t for t, _ in st.reads) - self.window * NS
        while st.reads and (st.reads[0][0] < horizon or len(st.reads) > self.max_reads):
            _, old = st.reads.popleft()
            st.counts[old] -= 1
            if not st.counts[old]:
                del st.counts[old]
        distinct = len(st.counts)
        if distinct < self.min_distinct:
            st.armed = True
            return []
        if not st.armed:
            return []
        st.armed = False
        headline = (
            f"{distinct} distinct secrets read by {who} within {self.window} s "
            f"(threshold {self.min_distinct})"
        )
        extra = {"secrets.distinct": distinct, "secrets.names": sorted(st.counts)[:50]}
        return [detector_match(self.rule, record, headline, extra)]
