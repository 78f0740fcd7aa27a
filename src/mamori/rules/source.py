"""Event sources: the plug-in contract between the rules engine and what produces events.

A rule names its ``source`` (Falco's ``syscall``, later ``aws_cloudtrail`` and
``k8s_audit``). The engine knows nothing about any source's events: everything it needs
comes through this contract, so adding a source is one module registering one object.

A source tells the engine four things:

- its ``name``;
- its field catalogue: every filter field it can extract, with its type (which decides
  how a condition's literal is parsed and how ``<``/``=`` compare), whether it takes an
  argument (``proc.aname[2]``, ``evt.arg.name``, ``container.mount.dest[/proc*]``,
  ``json.value[/a/b]``) and whether that argument is required;
- how to turn a field reference into a getter ``Callable[[event], value | None]``, done
  once when a rule is compiled, never per event. ``None`` means "not available for this
  event" (Falco's ``<NA>``): a comparison on it is false;
- how to read an event's type name (``"openat"``, ``"execve"``...) and the set of every
  type it knows, so rules can be indexed by type and a sensor can capture only the types
  the loaded rules need. A source with no event types (plugin sources) has every rule
  match every event.

Getter values by ``FieldType``: ``STRING`` -> ``str``; the integer types, ``PORT``,
``RELTIME``/``ABSTIME`` (nanoseconds) -> ``int``; ``BOOL`` -> ``bool``; ``IPADDR`` ->
``str`` (text form) or an ``ipaddress`` address; ``IPNET`` -> the fd's IP address,
like ``IPADDR`` (the condition's literal is the network it must fall in); ``BYTES`` ->
``bytes``; ``DOUBLE`` -> ``float``; ``DYNAMIC`` (``evt.rawarg.*``) -> the raw parameter
(``int`` or ``str``). A list field (``FieldInfo.is_list``) yields a tuple of values
(``in``: all in the set, ``intersects``: any). A non-list field may yield a tuple to
mean "any of these" (``proc.aname`` without index: any ancestor), as Falco does.
``evt.arg.*`` values are Falco's rendered text (``O_RDONLY|O_CLOEXEC``), ``evt.res``
is ``SUCCESS`` or the errno name.

    sources: Registry[EventSource[Any]] = Registry("event source", "mamori.rules.sources")

    sources.add("syscall", SYSCALL)   # in mamori/rules/sources/syscall.py
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from mamori.registry import Registry

E = TypeVar("E")
E_contra = TypeVar("E_contra", contravariant=True)


class FieldType(StrEnum):
    """A field's value type (Falco's PT_* types, folded to what comparisons need)."""

    STRING = "string"  # PT_CHARBUF, PT_FSPATH, PT_FSRELPATH
    UINT64 = "uint64"  # PT_UINT8..PT_UINT64, PT_FLAGS*, PT_MODE, PT_SYSCALLID
    INT64 = "int64"  # PT_INT8..PT_INT64, PT_ERRNO, PT_FD, PT_PID
    DOUBLE = "double"
    BOOL = "bool"
    IPADDR = "ipaddr"  # PT_IPADDR, PT_IPV4ADDR, PT_IPV6ADDR
    IPNET = "ipnet"  # PT_IPNET, PT_IPV4NET, PT_IPV6NET
    PORT = "port"
    BYTES = "bytes"  # PT_BYTEBUF
    RELTIME = "reltime"
    ABSTIME = "abstime"
    DYNAMIC = "dynamic"  # the type of the event parameter (evt.rawarg.*)

    @property
    def numeric(self) -> bool:
        """True when literals compare as numbers (Falco parses the RHS as a number)."""
        return self in _NUMERIC


_NUMERIC = frozenset(
    {FieldType.UINT64, FieldType.INT64, FieldType.DOUBLE, FieldType.PORT}
    | {FieldType.RELTIME, FieldType.ABSTIME}
)


class ArgKind(StrEnum):
    """What a field's argument is."""

    INDEX = "index"  # proc.aname[2]
    KEY = "key"  # evt.arg.name or evt.arg[0], proc.env[HOME], k8s.pod.label[app]
    PATH = "path"  # container.mount.dest[/proc*], json.value[/a/b]


@dataclass(frozen=True, slots=True)
class FieldArg:
    """A field's argument: its kind, whether it is required, and whether the dotted
    form ``field.ARG`` (``evt.arg.name``) is accepted besides ``field[ARG]``."""

    kind: ArgKind
    required: bool = False
    dotted: bool = False


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """One field of a source's catalogue."""

    name: str
    type: FieldType
    desc: str = ""
    arg: FieldArg | None = None
    is_list: bool = False  # the value is a list of `type` (for `in`/`intersects`)
    deprecated: bool = False


@dataclass(frozen=True, slots=True)
class FieldRef:
    """A field as written in a condition or output: name and optional argument."""

    name: str
    arg: str | None = None

    def __str__(self) -> str:
        return self.name if self.arg is None else f"{self.name}[{self.arg}]"


class FieldError(ValueError):
    """An unknown field, or an argument the field does not take (or lacks)."""


Getter = Callable[[E], Any]
"""Returns the field's value for an event, or ``None`` when it is not available."""


class EventSource(Protocol[E_contra]):
    """What the rules engine needs from a source of events."""

    @property
    def name(self) -> str: ...

    @property
    def fields(self) -> Mapping[str, FieldInfo]: ...

    @property
    def event_types(self) -> frozenset[str]:
        """Every event type name this source knows (empty: the source has no types)."""
        ...

    def resolve(self, name: str, arg: str | None = None) -> tuple[FieldInfo, FieldRef]:
        """Find a field as written (``evt.arg.name`` -> ``evt.arg`` with arg ``name``);
        raise `FieldError` for an unknown field or a bad argument."""
        ...

    def compile_field(self, ref: FieldRef) -> Callable[[E_contra], Any]:
        """A getter for `ref` (already resolved). Called once per rule compilation."""
        ...

    def event_type(self, event: E_contra) -> str:
        """The event's type name, as in ``evt.type``."""
        ...


ExtractorFactory = Callable[[FieldRef, FieldInfo], Callable[[Any], Any]]
"""Builds the getter of one catalogue field for one argument."""


def _na(_event: object) -> None:
    return None


class CatalogSource(Generic[E]):
    """An `EventSource` built from a field catalogue plus per-field extractor factories.

    Extractors can be attached after construction (`add_extractor`): the catalogue is
    needed to load and validate rules, extraction only to evaluate them, and the two are
    often written by different modules. A field with no extractor yet compiles to a
    getter that always answers "not available", and is listed in `unextractable` so an
    engine can report it instead of silently never matching.
    """

    def __init__(
        self,
        name: str,
        fields: Iterable[FieldInfo],
        event_types: Iterable[str],
        type_of: Callable[[E], str],
    ) -> None:
        self._name = name
        self._fields: dict[str, FieldInfo] = {}
        for info in fields:
            if info.name in self._fields:
                raise ValueError(f"duplicate field {info.name!r} in source {name!r}")
            self._fields[info.name] = info
        self._types = frozenset(event_types)
        self._type_of = type_of
        self._extractors: dict[str, ExtractorFactory] = {}
        self._dotted = sorted(
            (n for n, f in self._fields.items() if f.arg is not None and f.arg.dotted),
            key=len,
            reverse=True,
        )

    @property
    def name(self) -> str:
        return self._name

    @property
    def fields(self) -> Mapping[str, FieldInfo]:
        return self._fields

    @property
    def event_types(self) -> frozenset[str]:
        return self._types

    @property
    def unextractable(self) -> frozenset[str]:
        """Catalogue fields that have no extractor attached."""
        return frozenset(self._fields) - frozenset(self._extractors)

    def add_extractor(self, field: str, factory: ExtractorFactory) -> None:
        if field not in self._fields:
            raise FieldError(f"{self._name}: cannot attach an extractor to unknown {field!r}")
        self._extractors[field] = factory

    def extractor(self, field: str) -> Callable[[ExtractorFactory], ExtractorFactory]:
        """Decorator form of `add_extractor`."""

        def decorate(factory: ExtractorFactory) -> ExtractorFactory:
            self.add_extractor(field, factory)
            return factory

        return decorate

    def resolve(self, name: str, arg: str | None = None) -> tuple[FieldInfo, FieldRef]:
        info = self._fields.get(name)
        if info is None and arg is None:
            for base in self._dotted:
                if name.startswith(base + ".") and len(name) > len(base) + 1:
                    info, arg = self._fields[base], name[len(base) + 1 :]
                    break
        if info is None:
            raise FieldError(f"filter_check called with nonexistent field {name}")
        if arg is not None and info.arg is None:
            raise FieldError(f"filter '{info.name}' does not support arguments")
        if arg is None and info.arg is not None and info.arg.required:
            raise FieldError(f"filter '{info.name}' requires an argument but none provided")
        kind = info.arg.kind if info.arg is not None else None
        if arg is not None and kind is ArgKind.INDEX and not _is_index(arg):
            raise FieldError(f"filter '{info.name}': argument {arg!r} is not an index")
        return info, FieldRef(info.name, arg)

    def compile_field(self, ref: FieldRef) -> Callable[[E], Any]:
        factory = self._extractors.get(ref.name)
        if factory is None:
            return _na
        return factory(ref, self._fields[ref.name])

    def event_type(self, event: E) -> str:
        return self._type_of(event)


def _is_index(arg: str) -> bool:
    return arg.isdigit() or (arg.startswith("-") and arg[1:].isdigit())


sources: Registry[EventSource[Any]] = Registry("event source", "mamori.rules.sources")
"""Every event source, by name (``syscall``...). Plug-ins live in ``mamori.rules.sources``."""
