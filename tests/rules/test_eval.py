"""Evaluation semantics of compiled conditions.

Events come from a dict-based source (tests/rules/dictsource.py) that stands in for
the syscall source, whose extractors come with the state engine. Expected results are
worked out by hand from Falco's documented semantics (falco.org "Condition Syntax",
libsinsp ``filter_compare.cpp``): a check on a missing field is false for every
operator, ``regex`` matches the whole value, ``pmatch`` matches path prefixes on
component boundaries, list fields use subset (``in``) / overlap (``intersects``).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.rules.dictsource import load_text, rule

EVENT: dict[str, Any] = {
    "evt.type": "openat",
    "proc.name": "Cat",
    "proc.pname": "Cat",
    "proc.cmdline": "cat /etc/shadow",
    "proc.aname": ("bash", "sshd", "systemd"),
    "proc.aname[2]": "sshd",
    "fd.name": "/etc/shadow",
    "fd.num": 3,
    "fd.types": ("f", "4"),
    "fd.sip": "10.1.2.3",
    "fd.snet": "10.1.2.3",
    "evt.buffer": b"\xca\xfe\xba\xbe\x00\x01",
    "evt.rawarg[res]": -2,
    "evt.arg[flags]": "O_RDONLY|O_CLOEXEC",
    "proc.env": "aGVsbG8=",
    "user.uid": 0,
    "evt.is_open_read": True,
}


def matches(condition: str, event: dict[str, Any] = EVENT) -> bool:
    rs = load_text(rule(f"evt.type = openat and ({condition})", output="%proc.name"))
    assert not rs.result.errors, [str(e) for e in rs.result.errors]
    return bool(rs.match(event))


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("proc.name = Cat", True),
        ("proc.name == Cat", True),
        ("proc.name = cat", False),
        ("proc.name != cat", True),
        ("proc.name != Cat", False),
        ("fd.num = 3", True),
        ("fd.num = 03", True),
        ("fd.num = 0x3", True),
        ("fd.num > 2 and fd.num >= 3 and fd.num < 4 and fd.num <= 3", True),
        ("fd.num > 3", False),
        ("fd.num < 3", False),
        ("proc.cmdline contains /etc/", True),
        ("proc.cmdline contains /ETC/", False),
        ("proc.cmdline icontains /ETC/", True),
        ("proc.cmdline startswith cat", True),
        ("proc.cmdline startswith /etc", False),
        ("proc.cmdline endswith shadow", True),
        ("fd.name glob /etc/*", True),
        ("fd.name glob /etc/?hadow", True),
        ("fd.name glob /usr/*", False),
        ("fd.name iglob /ETC/SHAD*", True),
        ("fd.name regex '/etc/s.*'", True),
        ("fd.name regex 'etc'", False),  # whole value, not a search
        ("evt.buffer bcontains feba", True),
        ("evt.buffer bcontains 0102", False),
        ("evt.buffer bstartswith cafe", True),
        ("evt.buffer bstartswith babe", False),
        ("proc.name in (bash, Cat)", True),
        ("proc.name in (bash, cat)", False),
        ("proc.name in ()", False),
        ("proc.name intersects (Cat)", True),
        ("fd.name pmatch (/etc, /usr/lib)", True),
        ("fd.name pmatch (/et)", False),
        ("fd.name pmatch (/etc/shadow/)", True),
        ("fd.name exists", True),
        ("evt.is_open_read = true", True),
        ("evt.is_open_read = false", False),
        ("user.uid = 0", True),
    ],
)
def test_operators(condition: str, expected: bool) -> None:
    assert matches(condition) is expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("container.id = host", False),
        ("container.id != host", False),
        ("not container.id = host", True),
        ("not container.id != host", True),
        ("container.id exists", False),
        ("not container.id exists", True),
        ("container.id in (host, abc)", False),
        ("container.id startswith h or proc.name = Cat", True),
        ("fd.num > 0 and container.id contains x", False),
    ],
)
def test_missing_fields_are_false(condition: str, expected: bool) -> None:
    assert matches(condition) is expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("proc.aname = sshd", True),  # no index: any ancestor
        ("proc.aname = init", False),
        ("proc.aname[2] = sshd", True),
        ("proc.aname[2] = bash", False),
        ("proc.aname[3] = bash", False),  # not in the event: not available
        ("fd.types intersects (f, u)", True),
        ("fd.types in (f, 4, u)", True),  # every value is in the set
        ("fd.types in (f, u)", False),
        ("fd.sip = 10.1.2.3", True),
        ("fd.sip = 10.1.2.4", False),
        ("fd.sip in (192.168.0.0/16, 10.0.0.0/8)", True),
        ("fd.snet = 10.0.0.0/8", True),
        ("fd.snet = 192.168.0.0/16", False),
        ("evt.rawarg.res < 0", True),
        ("evt.rawarg.res = -2", True),
        ("evt.arg.flags contains O_CLOEXEC", True),
        ("evt.arg[flags] contains O_CREAT", False),
    ],
)
def test_field_kinds(condition: str, expected: bool) -> None:
    assert matches(condition) is expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("tolower(proc.name) = cat", True),
        ("toupper(proc.name) = CAT", True),
        ("basename(fd.name) = shadow", True),
        ("b64(proc.env) = hello", True),
        ("len(proc.name) = 3", True),
        ("len(proc.name) > 3", False),
        ("tolower(basename(fd.name)) = shadow", True),
        ("proc.name = val(proc.pname)", True),
        ("proc.name != val(proc.pname)", False),
        ("fd.name = val(proc.name)", False),
        ("proc.name = val(container.id)", False),  # right side missing: false
        ("tolower(proc.name) = tolower(val(proc.pname))", True),
    ],
)
def test_transformers_and_field_values(condition: str, expected: bool) -> None:
    assert matches(condition) is expected


def test_boolean_structure_and_precedence() -> None:
    # `not` binds tighter than `and`, which binds tighter than `or`.
    assert matches("not proc.name = bash and fd.num = 3") is True
    assert matches("proc.name = bash and fd.num = 3 or fd.num = 3") is True
    assert matches("proc.name = bash and (fd.num = 3 or fd.num = 3)") is False
    assert matches("not (proc.name = bash or fd.num = 4)") is True
    assert matches("not not proc.name = Cat") is True


def test_event_type_index_only_consults_matching_rules() -> None:
    rs = load_text(rule("evt.type = open and proc.name = Cat", name="only_open"))
    assert rs.event_types() == frozenset({"open"})
    assert rs.match(EVENT) == []  # an openat event never meets the open-only rule
    assert [m.name for m in rs.match({**EVENT, "evt.type": "open"})] == ["only_open"]


def test_output_formatting() -> None:
    out = (
        "user=%user.uid name=%proc.name a2=%proc.aname[2] paren=%(fd.num) "
        "flags=%evt.arg.flags mnt=%container.mount.dest[/proc*] miss=%container.id."
    )
    rs = load_text(rule("evt.type = openat", output=out, priority="info"))
    (m,) = rs.match(EVENT)
    assert m.output == (
        "user=0 name=Cat a2=sshd paren=3 flags=O_RDONLY|O_CLOEXEC mnt=<NA> miss=<NA>."
    )
    assert m.fields["proc.aname[2]"] == "sshd"
    assert m.fields["container.id"] is None
    assert m.priority.label == "Informational"


def test_rule_matching_order_and_first() -> None:
    rs = load_text(
        rule("evt.type = openat", name="first"), rule("evt.type in (openat, open)", name="second")
    )
    assert [m.name for m in rs.match(EVENT)] == ["first", "second"]
    first = rs.match_first(EVENT)
    assert first is not None and first.name == "first"


def test_getter_errors_do_not_escape_match() -> None:
    rs = load_text(rule("evt.type = openat and proc.name startswith C"))
    assert rs.match({**EVENT, "proc.name": 42}) == []  # a getter returning a wrong type
    assert rs.errors == 1
