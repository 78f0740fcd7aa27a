"""The ``syscall`` event source: Falco's syscall fields and event types.

The catalogue is `mamori.rules.syscall_fields`; the extractors, compiled over the
process/fd state engine, are `mamori.rules.syscall_extract`. Events given to the rules
are `mamori.rules.syscall_extract.EventView` (anything with a ``name`` attribute holding
the Falco event name indexes; the getters need an `EventView`).
"""

from __future__ import annotations

from typing import Any

from mamori.rules.source import CatalogSource, sources
from mamori.rules.syscall_extract import attach
from mamori.rules.syscall_fields import syscall_fields
from mamori.rules.syscall_fields.event_types import EVENT_TYPES


def _type_of(event: Any) -> str:
    """The index key: the event name, or ``syscall`` (Falco's generic event) for a
    syscall the event table does not name (``<unknown>``): rules without a type
    restriction see those too, as in libsinsp."""
    name: str = event.name
    return name if name in EVENT_TYPES else GENERIC


GENERIC = "syscall"

SYSCALL: CatalogSource[Any] = CatalogSource("syscall", syscall_fields(), EVENT_TYPES, _type_of)
"""The ``syscall`` source. Events expose ``name`` (``EventView``, or any wrapper)."""

attach(SYSCALL)
sources.add("syscall", SYSCALL)
