"""Rules engine speaking Falco's rule language: loader, condition compiler, ruleset.

    from mamori.rules import load_files
    ruleset = load_files(["falco_rules.yaml"])
    ruleset.result.errors, ruleset.result.warnings   # typed, with positions
    ruleset.event_types()                             # what the sensor must capture
    ruleset.match(event)                              # -> [Match(rule, output, fields)]

Event sources (``syscall``, ``aws_cloudtrail``, ``k8s_audit``) plug in through
`mamori.rules.source`: a field catalogue, getters and event types per source. Their
registry is `mamori.rules.source.sources`; it is not re-exported here because the
plug-in package `mamori.rules.sources` takes that attribute name once it is imported.
"""

from mamori.rules.engine import Engine, RuleSet, load, load_files
from mamori.rules.priority import Priority
from mamori.rules.result import ErrorCode, LoadMessage, LoadResult, Position, WarningCode
from mamori.rules.rule import Match, Rule
from mamori.rules.source import (
    CatalogSource,
    EventSource,
    FieldInfo,
    FieldRef,
    FieldType,
)

__all__ = [
    "CatalogSource",
    "Engine",
    "ErrorCode",
    "EventSource",
    "FieldInfo",
    "FieldRef",
    "FieldType",
    "LoadMessage",
    "LoadResult",
    "Match",
    "Position",
    "Priority",
    "Rule",
    "RuleSet",
    "WarningCode",
    "load",
    "load_files",
]
