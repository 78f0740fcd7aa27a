"""The loader's stages: lists, macros, append/override, exceptions, errors, warnings.

Expected behaviour is Falco's (``rule_loader_reader/collector/compiler.cpp`` and the
falco.org rules reference); events come from the dict source (see dictsource.py).
"""

from __future__ import annotations

import textwrap

import pytest

from mamori.rules.priority import Priority
from mamori.rules.result import ErrorCode, WarningCode
from tests.rules.dictsource import load_text

EV = {"evt.type": "execve", "proc.name": "nc", "proc.pname": "bash", "fd.name": "/tmp/x"}


def y(text: str) -> str:
    return textwrap.dedent(text)


BASE = y(
    """
    - list: net_tools
      items: [nc, ncat]
    - list: all_tools
      items: [net_tools, socat]
    - macro: spawned
      condition: evt.type in (execve, execveat)
    - macro: net_tool
      condition: proc.name in (all_tools)
    - rule: Net tool
      desc: d
      condition: spawned and net_tool
      output: "tool %proc.name parent %proc.pname"
      priority: notice
      tags: [network, T1]
    """
)


def test_lists_macros_and_nested_lists() -> None:
    rs = load_text(BASE)
    assert not rs.result.errors and not rs.result.warnings
    (r,) = rs.rules
    assert r.priority is Priority.NOTICE and r.tags == ("network", "T1")
    assert r.event_types == frozenset({"execve", "execveat"})
    assert [m.output for m in rs.match(EV)] == ["tool nc parent bash"]
    assert rs.match({**EV, "proc.name": "socat"})
    assert not rs.match({**EV, "proc.name": "curl"})


def test_list_substitution_order() -> None:
    # Falco substitutes list names in definition order, each substitution open to the
    # lists defined later: `early -> late -> nc` resolves; a list naming itself stays
    # a literal.
    rs = load_text(
        y(
            """
            - list: early
              items: [late]
            - list: late
              items: [nc]
            - list: self
              items: [self, sh]
            - rule: r
              desc: d
              condition: evt.type = execve and proc.name in (early, self)
              output: o
              priority: info
            """
        )
    )
    assert not rs.result.errors
    assert rs.match(EV)
    assert rs.match({**EV, "proc.name": "self"})
    assert rs.match({**EV, "proc.name": "sh"})
    assert not rs.match({**EV, "proc.name": "late"})


def test_append_and_override() -> None:
    extra = y(
        """
        - list: net_tools
          items: [curl]
          override:
            items: append
        - macro: spawned
          condition: or evt.type = fork
          override:
            condition: append
        - rule: Net tool
          condition: and proc.pname != sshd
          output: "(via %proc.pname)"
          override:
            condition: append
            output: append
        - rule: Net tool
          priority: critical
          tags: [replaced]
          override:
            priority: replace
            tags: replace
        """
    )
    rs = load_text(BASE, extra)
    assert not rs.result.errors, [str(e) for e in rs.result.errors]
    (r,) = rs.rules
    assert r.priority is Priority.CRITICAL and r.tags == ("replaced",)
    assert "fork" in r.event_types  # type: ignore[operator]
    assert rs.match({**EV, "proc.name": "curl"})[0].output == "tool curl parent bash (via bash)"
    assert not rs.match({**EV, "proc.pname": "sshd"})


def test_deprecated_append_and_enabled() -> None:
    extra = y(
        """
        - rule: Net tool
          condition: and proc.pname = bash
          append: true
        - rule: Net tool
          enabled: false
        """
    )
    rs = load_text(BASE, extra)
    codes = [w.code for w in rs.result.warnings]
    assert codes == [WarningCode.LOAD_DEPRECATED_ITEM, WarningCode.LOAD_DEPRECATED_ITEM]
    assert rs.rules[0].enabled is False and not rs.match(EV)
    assert rs.event_types() == frozenset()


EXC = y(
    """
    - rule: Shell
      desc: d
      condition: evt.type = execve and proc.name in (nc, sh)
      output: o
      priority: warning
      exceptions:
        - name: parents
          fields: [proc.pname, fd.name]
          comps: [=, startswith]
          values:
            - [cron, /tmp]
        - name: names
          fields: proc.name
          values: [sh]
        - name: tuples
          fields: [proc.pname, proc.name]
          comps: [in, pmatch]
          values:
            - [[sshd, login], [/usr/bin]]
    """
)


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (EV, True),
        ({**EV, "proc.pname": "cron"}, False),  # parents: cron and /tmp prefix
        ({**EV, "proc.pname": "cron", "fd.name": "/var/x"}, True),
        ({**EV, "proc.name": "sh"}, False),  # names
        ({**EV, "proc.pname": "login", "proc.name": "nc"}, True),
    ],
)
def test_exceptions(event: dict[str, str], expected: bool) -> None:
    rs = load_text(EXC)
    assert not rs.result.errors, [str(e) for e in rs.result.errors]
    assert bool(rs.match(event)) is expected


def test_exception_values_appended() -> None:
    extra = y(
        """
        - rule: Shell
          exceptions:
            - name: parents
              values:
                - [bash, /tmp]
          override:
            exceptions: append
        """
    )
    rs = load_text(EXC, extra)
    assert not rs.result.errors, [str(e) for e in rs.result.errors]
    assert not rs.match(EV)  # bash + /tmp/x is now excepted
    assert "proc.pname = bash" in rs.rules[0].condition


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ("- rule: r\n  desc: d\n  condition: evt.type=open\n  priority: info\n",
         ErrorCode.LOAD_ERR_YAML_VALIDATE, "Item has no mapping for key 'output'"),
        ("- rule: r\n  desc: d\n  condition: evt.type=open and\n  output: o\n  priority: info\n",
         ErrorCode.LOAD_ERR_COMPILE_CONDITION,
         "unexpected token after 'and', expecting a field, a macro, a transformer or '('"),
        ("- rule: r\n  desc: d\n  condition: proc.nobody=1\n  output: o\n  priority: info\n",
         ErrorCode.LOAD_ERR_COMPILE_CONDITION,
         "filter_check called with nonexistent field proc.nobody"),
        ("- rule: r\n  desc: d\n  condition: evt.type=nosuch\n  output: o\n  priority: info\n",
         ErrorCode.LOAD_ERR_COMPILE_CONDITION, "unknown event type nosuch"),
        ("- rule: r\n  desc: d\n  condition: fd.num=abc\n  output: o\n  priority: info\n",
         ErrorCode.LOAD_ERR_COMPILE_CONDITION, "'abc' is not a valid number"),
        ("- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o %x.y\n  priority: info\n",
         ErrorCode.LOAD_ERR_COMPILE_OUTPUT, "invalid formatting token x.y"),
        ("- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: loud\n",
         ErrorCode.LOAD_ERR_YAML_VALIDATE, "Invalid priority"),
        ("- rule: r\n  desc: d\n  condition: nomacro\n  output: o\n  priority: info\n",
         ErrorCode.LOAD_ERR_VALIDATE, "Undefined macro 'nomacro' used in filter."),
        ("- required_engine_version: 1.0.0\n", ErrorCode.LOAD_ERR_VALIDATE,
         "Rules require engine version 1.0.0, but engine version is 0.57.0"),
        ("- macro: m\n  condition: evt.type=open\n  append: true\n", ErrorCode.LOAD_ERR_VALIDATE,
         "Macro uses 'append' or 'override.condition: append' but no macro by that name "
         "already exists"),
    ],
)  # fmt: skip
def test_errors_are_typed_with_positions(text: str, code: ErrorCode, message: str) -> None:
    rs = load_text(text)
    assert [(e.code, e.message) for e in rs.result.errors] == [(code, message)]
    pos = rs.result.errors[0].position
    assert pos is not None and pos.source == "test0.yaml" and pos.line >= 1
    assert rs.rules == []


def test_errors_do_not_stop_other_items() -> None:
    text = y(
        """
        - rule: bad
          desc: d
          condition: evt.type=open and (
          output: o
          priority: info
        - rule: good
          desc: d
          condition: evt.type=open
          output: o
          priority: info
        - rule: also bad
          desc: d
          condition: evt.type=open
          output: "%nope"
          priority: info
        """
    )
    rs = load_text(text)
    assert [e.item_name for e in rs.result.errors] == ["bad", "also bad"]
    assert [e.position.line for e in rs.result.errors if e.position] == [4, 15]
    assert [r.name for r in rs.rules] == ["good"]


def test_warnings() -> None:
    text = y(
        """
        - list: unused_list
          items: [a]
        - macro: unused_macro
          condition: proc.name = a
        - something: else
        - rule: no types
          desc: d
          condition: proc.name = a
          output: o
          priority: info
          colour: red
        - rule: skipped
          desc: d
          condition: evt.type = open and proc.nobody = 1
          output: o
          priority: info
          skip-if-unknown-filter: true
        - rule: other source
          desc: d
          condition: ct.name = x
          output: o
          priority: info
          source: aws_cloudtrail
        """
    )
    rs = load_text(text)
    assert not rs.result.errors
    got = {(w.code, w.item_name) for w in rs.result.warnings}
    assert got == {
        (WarningCode.LOAD_UNUSED_LIST, "unused_list"),
        (WarningCode.LOAD_UNUSED_MACRO, "unused_macro"),
        (WarningCode.LOAD_UNKNOWN_ITEM, ""),
        (WarningCode.LOAD_UNKNOWN_KEY, "no types"),
        (WarningCode.LOAD_NO_EVTTYPE, "no types"),
        (WarningCode.LOAD_UNKNOWN_FILTER, "skipped"),
        (WarningCode.LOAD_UNKNOWN_SOURCE, "other source"),
    }
    assert [r.name for r in rs.rules] == ["no types"]
    assert rs.rules[0].event_types is not None and len(rs.rules[0].event_types) > 300


def test_macro_loop_and_visibility() -> None:
    loop = y(
        """
        - macro: a
          condition: evt.type = open
        - macro: b
          condition: a
        - macro: a
          condition: b
        """
    )
    rs = load_text(loop)
    assert any("reference loop in macro" in e.message for e in rs.result.errors)
    forward = y(
        """
        - macro: uses_later
          condition: later
        - macro: later
          condition: evt.type = open
        """
    )
    rs = load_text(forward)
    assert [e.message for e in rs.result.errors] == ["Undefined macro 'later' used in filter."]


@pytest.mark.parametrize(
    ("text", "name"),
    [("Emergency", "EMERGENCY"), ("ALERT", "ALERT"), ("info", "INFORMATIONAL"),
     ("Informational", "INFORMATIONAL"), ("debug", "DEBUG"), ("WARNING", "WARNING")],
)  # fmt: skip
def test_priorities(text: str, name: str) -> None:
    assert Priority.parse(text) is Priority[name]


def test_unsafe_na_check_warning() -> None:
    from mamori.rules.engine import load
    from tests.rules.dictsource import AnyField, dict_source

    text = y(
        """
        - rule: k
          desc: d
          condition: ka.verb = create and ka.req.pod.name != <NA>
          output: o
          priority: info
          source: k8s_audit
        - rule: ok
          desc: d
          condition: ka.verb = create and ka.req.pod.name exists
          output: o
          priority: info
          source: k8s_audit
        """
    )
    rs = load([("k.yaml", text)], {"syscall": dict_source(), "k8s_audit": AnyField()})
    assert [(w.code, w.item_name) for w in rs.result.warnings] == [
        (WarningCode.LOAD_UNSAFE_NA_CHECK, "k")
    ]
    assert [r.event_types for r in rs.rules] == [None, None]


def test_condition_errors_point_inside_the_condition() -> None:
    text = "- rule: r\n  desc: d\n  condition: evt.type=open and proc.nobody=1\n"
    rs = load_text(text + "  output: o\n  priority: info\n")
    (err,) = rs.result.errors
    assert err.position is not None
    assert (err.position.line, err.position.column, err.position.offset) == (3, 14, 18)
    assert str(err).startswith("test0.yaml:3:14 (condition offset 18): LOAD_ERR_COMPILE_CONDITION")


def test_exception_fields_with_arguments() -> None:
    text = y(
        """
        - rule: r
          desc: d
          condition: evt.type = execve
          output: o
          priority: info
          exceptions:
            - name: grandparent
              fields: ["proc.aname[2]", evt.arg.flags]
              values: [[sshd, X]]
            - name: bad
              fields: ["proc.nobody[2]"]
              values: [[x]]
        """
    )
    rs = load_text(text)
    assert [(e.item_type, e.item_name, e.message) for e in rs.result.errors] == [
        ("exception", "bad", "'proc.nobody[2]' is not a supported filter field")
    ]
