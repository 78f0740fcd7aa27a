"""Loading Sigma rule files into engine `Rule` objects (pySigma parses, we compile).

    result = load_sigma(["sigma/rules/cloud/aws"])
    result.rules, result.errors, result.warnings

    ruleset = load_files(["aws_cloudtrail_rules.yaml"])
    add_sigma(ruleset, ["sigma/rules/cloud/aws"])      # one RuleSet, both languages

Files are read as YAML with pySigma's loader (duplicate keys and alias bombs are
errors), turned into a rule collection by pySigma (``action: global`` documents
included) and each rule's detection is compiled to a predicate over the raw record
(`compile`). Loading never raises on bad content: each problem becomes a
`SigmaMessage` naming the file and rule, and the rule is left out. Rules for a log
source mamori has no event source for, and correlation or filter documents, are
skipped with a warning.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sigma.collection import SigmaCollection
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule
from sigma.rule.base import SigmaYAMLLoader

from mamori.rules.ast import MacroRef
from mamori.rules.engine import RuleSet
from mamori.rules.result import Position
from mamori.rules.rule import Rule
from mamori.rules.sigma.compile import Compiler, Predicate, _or, dispatch_keys
from mamori.rules.sigma.mapping import (
    DEFAULT_PRIORITY,
    DISPATCH_FIELD,
    LEVELS,
    LOGSOURCES,
    OUTPUT_FIELDS,
    raw_paths,
    resolver,
)
from mamori.rules.sigma.output import SigmaOutput
from mamori.rules.sigma.values import SigmaCompileError
from mamori.rules.source import EventSource, sources

MAX_FILE_BYTES = 4 * 1024 * 1024
SUFFIXES = (".yml", ".yaml")


@dataclass(frozen=True, slots=True)
class SigmaMessage:
    """One problem: the file, the rule (title or id, may be empty) and the text."""

    path: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.rule + ': ' if self.rule else ''}{self.message}"


@dataclass
class SigmaLoadResult:
    rules: list[Rule] = field(default_factory=list)
    errors: list[SigmaMessage] = field(default_factory=list)
    warnings: list[SigmaMessage] = field(default_factory=list)


def sigma_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files in `paths`: files as given, directories walked for ``*.yml``/``*.yaml``
    in path order (directory symlinks are not followed)."""
    for p in paths:
        path = Path(p)
        if not path.is_dir():
            yield path
            continue
        found: list[Path] = []
        for root, dirs, files in os.walk(path):
            dirs.sort()
            found += [Path(root, f) for f in files if f.endswith(SUFFIXES)]
        yield from sorted(found)


def load_sigma(
    paths: Iterable[str | Path], srcs: Mapping[str, EventSource[Any]] | None = None
) -> SigmaLoadResult:
    """Load Sigma rule files and directories (default sources: every registered one)."""
    result = SigmaLoadResult()
    for path in sigma_files(paths):
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise OSError(f"file larger than {MAX_FILE_BYTES} bytes")
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            result.errors.append(SigmaMessage(str(path), "", f"cannot read: {exc}"))
            continue
        load_sigma_text(text, str(path), srcs, result)
    return result


def load_sigma_text(
    text: str,
    name: str,
    srcs: Mapping[str, EventSource[Any]] | None = None,
    result: SigmaLoadResult | None = None,
) -> SigmaLoadResult:
    """Load the Sigma documents of one text (`name` labels messages)."""
    result = result if result is not None else SigmaLoadResult()
    if srcs is None:
        srcs = {n: sources.get(n) for n in sources.names()}
    try:
        docs = list(yaml.load_all(text, SigmaYAMLLoader))  # a safe loader (CSafeLoader)
        for i, doc in enumerate(docs, 1):
            if doc is not None and not isinstance(doc, dict):
                kind = type(doc).__name__
                msg = f"YAML document {i} is a {kind}, not a Sigma rule (a mapping)"
                result.errors.append(SigmaMessage(name, "", msg))
        docs = [d for d in docs if isinstance(d, dict)]
        # no pySigma location: its messages would name the resolved path; ours name `name`
        collection = SigmaCollection.from_dicts(docs, collect_errors=True)
    except (yaml.YAMLError, SigmaError, RecursionError) as exc:
        result.errors.append(SigmaMessage(name, "", f"not a Sigma document: {_short(exc)}"))
        return result
    except Exception as exc:  # pySigma on shapes it does not expect (fuzzed input)
        result.errors.append(SigmaMessage(name, "", f"invalid Sigma document: {_short(exc)}"))
        return result
    in_rules = {str(e) for item in collection.rules for e in getattr(item, "errors", ())}
    for err in collection.errors:  # pySigma repeats each rule's errors here
        if str(err) not in in_rules:
            result.errors.append(SigmaMessage(name, "", _short(err)))
    for item in collection.rules:
        if not isinstance(item, SigmaRule):
            kind = type(item).__name__.removeprefix("Sigma")
            result.warnings.append(SigmaMessage(name, _label(item), f"{kind} not supported"))
            continue
        _add_rule(item, name, srcs, result)
    return result


def _label(item: Any) -> str:
    return str(getattr(item, "title", "") or getattr(item, "id", "") or "")


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 500 else text[:500] + "..."


def _add_rule(
    rule: SigmaRule,
    name: str,
    srcs: Mapping[str, EventSource[Any]],
    result: SigmaLoadResult,
) -> None:
    label = _label(rule)
    if rule.errors:
        for err in rule.errors:
            result.errors.append(SigmaMessage(name, label, _short(err)))
        return
    ls = rule.logsource
    source = LOGSOURCES.get((str(ls.product or "").lower(), str(ls.service or "").lower()))
    if source is None or source not in srcs:
        where = f"product {ls.product!r}, service {ls.service!r}"
        result.warnings.append(SigmaMessage(name, label, f"no event source for {where}"))
        return
    bad = [c for c in rule.detection.condition if not isinstance(c, str)]
    if bad:
        msg = f"condition must be a string or a list of strings, not {bad[0]!r}"
        result.errors.append(SigmaMessage(name, label, _short(ValueError(msg))))
        return
    try:
        check, keys = _compile(rule, source)
    except (SigmaError, SigmaCompileError, RecursionError) as exc:
        result.errors.append(SigmaMessage(name, label, _short(exc)))
        return
    except Exception as exc:  # pySigma on shapes it does not expect
        result.errors.append(SigmaMessage(name, label, f"invalid detection: {_short(exc)}"))
        return
    title = str(rule.title)
    level = rule.level.name.lower() if rule.level is not None else ""
    extra = [str(f) for f in (rule.fields or [])]
    result.rules.append(
        Rule(
            name=title,
            desc=str(rule.description or ""),
            priority=LEVELS.get(level, DEFAULT_PRIORITY),
            source=source,
            tags=("sigma", *(str(t) for t in rule.tags)),
            enabled=True,
            condition=" or ".join(f"({c})" for c in rule.detection.condition),
            # no Falco condition tree: a placeholder naming the rule (nothing reads it)
            ast=MacroRef(f"sigma:{rule.id or title}"),
            check=check,
            output=SigmaOutput(title, [*OUTPUT_FIELDS.get(source, ()), *extra]),
            event_types=None,
            position=Position(name),
            index=len(result.rules),  # load order (`add_sigma` renumbers)
            dispatch=keys,
        )
    )


def _compile(rule: SigmaRule, source: str) -> tuple[Predicate, frozenset[str] | None]:
    """The rule's predicate, and its dispatch keys (`Rule.dispatch`): the lowered
    values of the source's dispatch field (CloudTrail's ``eventName``) the rule can
    match, or None when it is not restricted."""
    resolve = resolver(source)

    def top_key(field_name: str) -> str | None:
        paths = raw_paths(source, field_name)
        if paths is None or len(paths) != 1 or "." in paths[0]:
            return None
        return paths[0]

    def single_path(field_name: str) -> str | None:
        paths = raw_paths(source, field_name)
        return paths[0] if paths is not None and len(paths) == 1 else None

    compiler = Compiler(resolve, top_key, single_path)
    key_field = DISPATCH_FIELD.get(source)
    preds: list[Predicate] = []
    keys: set[str] | None = set()
    for cond in rule.detection.parsed_condition:
        tree = cond.parse()
        preds.append(compiler.compile(tree))
        k = None if key_field is None else dispatch_keys(tree, lambda f: f == key_field)
        keys = None if k is None or keys is None else keys | k
    return _or(preds), None if keys is None else frozenset(keys)


def add_sigma(ruleset: RuleSet, paths: Iterable[str | Path]) -> SigmaLoadResult:
    """Load Sigma rules into an existing ruleset, after its own rules, and reindex.

    Rules of sources the ruleset does not have are skipped with a warning."""
    result = load_sigma(paths, ruleset.sources)
    base = max((r.index for r in ruleset.rules), default=-1) + 1
    for i, r in enumerate(result.rules):
        r.index = base + i
    ruleset.rules.extend(result.rules)
    ruleset.reindex()
    return result
