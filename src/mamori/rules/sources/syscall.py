"""The ``syscall`` event source: Falco's syscall fields and event types.

The catalogue is complete; extractors are attached by the process/fd state engine
(``CatalogSource.add_extractor``, see `_attach_extractors`). Until then every field
reads as not available. Events are anything with a ``name`` attribute holding the
Falco event name (`mamori.model.events.SyscallEvent` or the state engine's wrapper).
"""

from __future__ import annotations

import importlib
from typing import Any

from mamori.rules.source import CatalogSource, sources
from mamori.rules.syscall_fields import syscall_fields
from mamori.rules.syscall_fields.event_types import EVENT_TYPES


def _type_of(event: Any) -> str:
    name: str = event.name
    return name


SYSCALL: CatalogSource[Any] = CatalogSource("syscall", syscall_fields(), EVENT_TYPES, _type_of)
"""The ``syscall`` source. Events expose ``name`` (``SyscallEvent`` or a wrapper)."""


def _attach_extractors() -> None:
    """Let the state engine attach its extractors, once it exists.

    Contract: a module ``mamori.runtime.fields`` with ``attach_extractors(source)``
    that calls ``source.add_extractor(field, factory)`` for the fields it can extract.
    """
    try:
        module = importlib.import_module("mamori.runtime.fields")
    except ImportError:
        return
    attach = getattr(module, "attach_extractors", None)
    if callable(attach):
        attach(SYSCALL)


_attach_extractors()
sources.add("syscall", SYSCALL)
