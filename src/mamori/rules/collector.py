"""Stage 2 of loading: collect lists, macros and rules across files, in order.

Follows Falco's collector (``rule_loader_collector.cpp``): redefinition replaces an
item in place (keeping its position in the order), ``append`` / ``override: append``
concatenate with a space (conditions, outputs, descriptions) or extend (items, tags,
exception values), ``override: replace`` replaces the named keys. Each change gets a
sequence number; a macro or list can only see macros and lists whose first definition
came before its last change ("visibility"), which is how Falco resolves names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from mamori.rules.ast import ALL_OPS
from mamori.rules.priority import Priority
from mamori.rules.result import ErrorCode, LoadResult, Position, WarningCode


class ItemError(Exception):
    """A problem with one item: becomes a `LoadMessage`, loading goes on."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        position: Position | None,
        item: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.position = position
        self.item = item  # (item_type, item_name) when narrower than the top-level item


def validate_error(
    message: str, position: Position | None, item: tuple[str, str] | None = None
) -> ItemError:
    return ItemError(ErrorCode.LOAD_ERR_VALIDATE, message, position, item)


def _ex_error(message: str, ex: ExceptionInfo) -> ItemError:
    return validate_error(message, ex.position, ("exception", ex.name))


@dataclass(slots=True)
class Entry:
    """An exception's ``fields``/``comps``/one value: a string or a (nested) list."""

    item: str = ""
    items: list[Entry] | None = None

    @property
    def is_list(self) -> bool:
        return self.items is not None


@dataclass(slots=True)
class ExceptionInfo:
    name: str
    fields: Entry | None
    comps: Entry | None
    values: list[Entry]
    position: Position | None = None


@dataclass(slots=True)
class ListInfo:
    name: str
    items: list[str]
    position: Position | None = None
    index: int = 0
    visibility: int = 0


@dataclass(slots=True)
class MacroInfo:
    name: str
    condition: str
    position: Position | None = None
    cond_position: Position | None = None
    index: int = 0
    visibility: int = 0


@dataclass(slots=True)
class RuleInfo:
    name: str
    condition: str = ""
    output: str = ""
    desc: str = ""
    priority: Priority = Priority.DEBUG
    source: str = "syscall"
    enabled: bool = True
    warn_evttypes: bool = True
    skip_if_unknown_filter: bool = False
    tags: list[str] = field(default_factory=list)
    exceptions: list[ExceptionInfo] = field(default_factory=list)
    position: Position | None = None
    cond_position: Position | None = None
    output_position: Position | None = None
    unknown_source: bool = False
    index: int = 0


@dataclass(slots=True)
class RuleUpdate:
    """An ``append``/``override`` of a rule: only the keys given are set."""

    name: str
    position: Position | None = None
    condition: str | None = None
    output: str | None = None
    desc: str | None = None
    tags: list[str] | None = None
    exceptions: list[ExceptionInfo] | None = None
    priority: Priority | None = None
    enabled: bool | None = None
    warn_evttypes: bool | None = None
    skip_if_unknown_filter: bool | None = None

    def has_any_value(self) -> bool:
        return any(
            v is not None
            for v in (
                *(self.condition, self.output, self.desc, self.tags, self.exceptions),
                *(self.priority, self.enabled, self.warn_evttypes, self.skip_if_unknown_filter),
            )
        )


class Collector:
    """Lists, macros and rules in definition order, with Falco's update semantics."""

    def __init__(
        self,
        result: LoadResult,
        known_sources: frozenset[str],
        is_field: Callable[[str, str], bool],
    ) -> None:
        self.result = result
        self.known_sources = known_sources
        self.is_field = is_field  # (source, field name) -> bool
        self.lists: dict[str, ListInfo] = {}
        self.macros: dict[str, MacroInfo] = {}
        self.rules: dict[str, RuleInfo] = {}
        self.required_plugins: list[list[tuple[str, str]]] = []  # alternatives: (name, ver)
        self._next = 0

    def _tick(self) -> int:
        self._next += 1
        return self._next - 1

    # -- lists and macros -----------------------------------------------------------

    def define_list(self, info: ListInfo) -> None:
        i = self._tick()
        prev = self.lists.get(info.name)
        info.index = prev.index if prev else i
        info.visibility = i
        self.lists[info.name] = info

    def append_list(self, info: ListInfo) -> None:
        prev = self.lists.get(info.name)
        if prev is None:
            raise validate_error(
                "List uses 'append' or 'override.items: append' but no list by that name "
                "already exists",
                info.position,
            )
        prev.items.extend(info.items)
        prev.visibility = self._tick()

    def define_macro(self, info: MacroInfo) -> None:
        i = self._tick()
        prev = self.macros.get(info.name)
        info.index = prev.index if prev else i
        info.visibility = i
        self.macros[info.name] = info

    def append_macro(self, info: MacroInfo) -> None:
        prev = self.macros.get(info.name)
        if prev is None:
            raise validate_error(
                "Macro uses 'append' or 'override.condition: append' but no macro by that "
                "name already exists",
                info.position,
            )
        prev.condition += " " + info.condition
        prev.visibility = self._tick()

    # -- rules --------------------------------------------------------------------------

    def define_rule(self, info: RuleInfo) -> None:
        prev = self.rules.get(info.name)
        if prev is not None and prev.source != info.source:
            raise validate_error("Rule has been re-defined with a different source", info.position)
        if info.source not in self.known_sources:
            info.unknown_source = True
            self.result.warn(
                WarningCode.LOAD_UNKNOWN_SOURCE,
                f"Unknown source {info.source}, skipping",
                "rule",
                info.name,
                info.position,
            )
        for ex in info.exceptions:
            if ex.fields is None:
                raise _ex_error(
                    "Rule exception item must have fields property with a list of fields", ex
                )
            self._validate_exception(info, ex)
        i = self._tick()
        info.index = prev.index if prev else i
        self.rules[info.name] = info

    def append_rule(self, upd: RuleUpdate) -> None:
        prev = self.rules.get(upd.name)
        if prev is None:
            raise validate_error(
                "Rule uses 'append' or 'override.<key>: append' but no rule by that name "
                "already exists",
                upd.position,
            )
        if not upd.has_any_value():
            raise validate_error(
                "Appended rule must have exceptions or condition property", upd.position
            )
        if upd.condition:
            prev.condition += " " + upd.condition
        if upd.output:
            prev.output += " " + upd.output
        if upd.desc:
            prev.desc += " " + upd.desc
        for tag in upd.tags or ():
            if tag not in prev.tags:
                prev.tags.append(tag)
        for ex in upd.exceptions or ():
            old = next((e for e in prev.exceptions if e.name == ex.name), None)
            if old is None:
                if ex.fields is None:
                    raise _ex_error(
                        "Rule exception must have fields property with a list of fields", ex
                    )
                if not ex.values:
                    raise _ex_error(
                        "Rule exception must have values property with a list of values", ex
                    )
                self._validate_exception(prev, ex)
                prev.exceptions.append(ex)
            else:
                if ex.fields is not None:
                    raise _ex_error(
                        "Can not append exception fields to existing exception, only values", ex
                    )
                if ex.comps is not None:
                    raise _ex_error(
                        "Can not append exception comps to existing exception, only values", ex
                    )
                old.values.extend(ex.values)
        self._tick()

    def replace_rule(self, upd: RuleUpdate) -> None:
        prev = self.rules.get(upd.name)
        if prev is None:
            raise validate_error(
                "An 'override.<key>: replace' to a rule was requested but no rule by that "
                "name already exists",
                upd.position,
            )
        if not upd.has_any_value():
            raise validate_error(
                "The rule must have at least one field that can be replaced", upd.position
            )
        if upd.condition is not None:
            prev.condition = upd.condition
        if upd.output is not None:
            prev.output = upd.output
        if upd.desc is not None:
            prev.desc = upd.desc
        if upd.tags is not None:
            prev.tags = list(upd.tags)
        if upd.exceptions is not None:
            for ex in upd.exceptions:
                if ex.fields is not None:
                    self._validate_exception(prev, ex)
            prev.exceptions = list(upd.exceptions)
        if upd.priority is not None:
            prev.priority = upd.priority
        if upd.enabled is not None:
            prev.enabled = upd.enabled
        if upd.warn_evttypes is not None:
            prev.warn_evttypes = upd.warn_evttypes
        if upd.skip_if_unknown_filter is not None:
            prev.skip_if_unknown_filter = upd.skip_if_unknown_filter
        self._tick()

    def enable_rule(self, name: str, enabled: bool, position: Position | None) -> None:
        prev = self.rules.get(name)
        if prev is None:
            raise validate_error(
                "Rule has 'enabled' key but no rule by that name already exists", position
            )
        prev.enabled = enabled

    # -- exceptions -------------------------------------------------------------------

    def _validate_exception(self, rule: RuleInfo, ex: ExceptionInfo) -> None:
        assert ex.fields is not None
        check_fields = not rule.unknown_source
        if ex.fields.items is not None:
            if ex.comps is None:
                ex.comps = Entry(items=[Entry("=") for _ in ex.fields.items])
            if ex.comps.items is None or len(ex.comps.items) != len(ex.fields.items):
                raise _ex_error("Fields and comps lists must have equal length", ex)
            for comp in ex.comps.items:
                if comp.item not in ALL_OPS:
                    raise _ex_error(f"'{comp.item}' is not a supported comparison operator", ex)
            for f in ex.fields.items:
                if check_fields and not self.is_field(rule.source, f.item):
                    raise _ex_error(f"'{f.item}' is not a supported filter field", ex)
        else:
            if ex.comps is None:
                ex.comps = Entry("in")
            if ex.comps.is_list:
                raise _ex_error("Fields and comps must both be strings", ex)
            if ex.comps.item not in ("in", "pmatch", "intersects"):
                raise _ex_error(
                    "When fields is a single value, comps must be one of (in, pmatch, intersects)",
                    ex,
                )
            if check_fields and not self.is_field(rule.source, ex.fields.item):
                raise _ex_error(f"'{ex.fields.item}' is not a supported filter field", ex)
