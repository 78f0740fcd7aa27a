"""The public names of `mamori.rules` (others code against them) and the source registry."""

from __future__ import annotations

import mamori.rules
from mamori.model.events import SyscallEvent
from mamori.rules.source import FieldError, sources
from mamori.rules.sources.syscall import SYSCALL


def test_exported_names_are_pinned() -> None:
    assert sorted(mamori.rules.__all__) == [
        "CatalogSource", "Engine", "ErrorCode", "EventSource", "FieldInfo", "FieldRef", "FieldType",
        "LoadMessage", "LoadResult", "Match", "Position", "Priority", "Rule", "RuleSet",
        "WarningCode", "load", "load_files",
    ]  # fmt: skip
    for name in mamori.rules.__all__:
        assert getattr(mamori.rules, name) is not None


def test_syscall_source_is_registered() -> None:
    import mamori.rules.sources.syscall  # noqa: F401 (the plug-in package, imported first)

    assert "syscall" in sources
    src = sources.get("syscall")
    assert src is SYSCALL
    event = SyscallEvent(ts=1, tid=2, name="openat", dir="<", params={})
    assert src.event_type(event) == "openat"
    assert {"open", "openat", "openat2", "execve", "execveat", "connect", "accept4"} <= (
        src.event_types
    )
    assert "umask" in src.event_types  # generic syscall, matched by name


def test_field_resolution() -> None:
    src = sources.get("syscall")
    info, ref = src.resolve("evt.arg.flags")
    assert (info.name, ref.arg) == ("evt.arg", "flags")
    info, ref = src.resolve("container.mount.dest", "/proc*")
    assert str(ref) == "container.mount.dest[/proc*]"
    for bad, arg in (("proc.nobody", None), ("proc.name", "1"), ("evt.arg", None)):
        try:
            src.resolve(bad, arg)
        except FieldError:
            continue
        raise AssertionError(bad)
    # a field without an extractor compiles to a getter that answers "not available"
    if "container.mount.dest" in SYSCALL.unextractable:
        assert SYSCALL.compile_field(ref)(object()) is None
