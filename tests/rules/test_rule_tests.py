"""Rule tests (`mamori.rules.testing`) and `mamori rules test`.

The rules under test are Falco's stable ruleset, unmodified, and small rules written
here for one semantic each. Expectations come from reading Falco's rules and Falco's
documented semantics (a field that is not available makes every comparison on it
false; ``proc.aname`` without an index is any ancestor; rules are only evaluated for
their inferred event types), not from this engine's output. Each passing suite has a
twin with one wrong expectation that must fail the command.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from mamori.cli.main import app
from mamori.rules import LoadResult, load, load_files
from mamori.rules.testing import (
    Expect,
    MappingSource,
    Status,
    mapping_sources,
    read_tests,
    run_tests,
)
from tests.support import ROOT, need_shared

STABLE = "anchors/falco/rules/falco_rules.yaml"
runner = CliRunner()

FALCO_TESTS = """
- test: Read sensitive file untrusted
  events:
    - name: cat reads /etc/shadow
      expect: match
      output: "Sensitive file opened for reading by non-trusted program | file=/etc/shadow"
      <<: &shadow
        evt.type: openat
        evt.is_open_read: true
        fd.typechar: f
        fd.num: 3
        fd.name: /etc/shadow
        proc.name: cat
    - name: a file below /etc/pam.d (fd.directory)
      expect: match
      <<: *shadow
      evt.type: openat2
      fd.name: /etc/pam.d/sshd
      fd.directory: /etc/pam.d
    - {name: not a sensitive file, expect: no_match, <<: *shadow, fd.name: /etc/hosts}
    - name: ansible's python is excepted
      expect: no_match
      <<: *shadow
      proc.name: python3
      proc.cmdline: python3 /tmp/ansible_module.py
    - name: run by chef (an indexed field)
      expect: no_match
      <<: *shadow
      proc.aname[2]: chef-client
    - {name: a failed open (fd.num < 0), expect: no_match, <<: *shadow, fd.num: -2}
- test: Create Symlink Over Sensitive Files
  events:
    - expect: match
      output: target=/etc/shadow linkpath=/tmp/x
      evt.type: symlinkat
      evt.arg[target]: /etc/shadow
      evt.arg.linkpath: /tmp/x
- test: Fileless execution via memfd_create
  events:
    - expect: match
      evt.type: execve
      proc.name: "3"
      proc.is_exe_from_memfd: true
    - name: runc's own memfd re-exec
      expect: no_match
      evt.type: execve
      proc.name: runc
      proc.exe: memfd:runc_cloned:/proc/self/exe
      proc.is_exe_from_memfd: true
- test: Contact K8S API Server From Container
  events:
    - expect: match
      evt.type: connect
      fd.typechar: "4"
      container.id: 3ad7b26ded6d
      container.image.repository: docker.io/library/alpine
      fd.sip.name: kubernetes.default.svc.cluster.local
    - name: from the host
      expect: no_match
      evt.type: connect
      fd.typechar: "4"
      container.id: host
      fd.sip.name: kubernetes.default.svc.cluster.local
- test: Terminal shell in container
  events:
    - expect: match
      evt.type: execve
      proc.name: bash
      proc.tty: 34816
      container.id: 3ad7b26ded6d
    - name: no terminal
      expect: no_match
      evt.type: execve
      proc.name: bash
      proc.tty: 0
      container.id: 3ad7b26ded6d
"""

WRONG = """
- test: Terminal shell in container
  events:
    - name: on the host, wrongly expected to match
      expect: match
      evt.type: execve
      proc.name: bash
      proc.tty: 34816
      container.id: host
"""


def cli(*args: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, ["rules", "test", "--json", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.stdout) if result.stdout else {}


def write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text)
    return path


def test_falco_stable_rules_pass_their_tests(tmp_path: Path) -> None:
    stable = need_shared(STABLE)
    tests = write(tmp_path, "stable.tests.yaml", FALCO_TESTS)
    code, data = cli(str(stable), str(tests))
    failing = [r for r in data["results"] if r["status"] != "pass"]
    assert code == 0 and not failing and not data["test_file_errors"], (failing, data)
    assert data["summary"] == {"pass": 13, "fail": 0, "error": 0, "skip": 0}
    assert data["rules_tested"] == 5 and data["rules_enabled"] == 25
    first = data["results"][0]
    assert (first["test"], first["line"], first["column"]) == ("cat reads /etc/shadow", 4, 7)
    assert first["output"].startswith("Sensitive file opened for reading by non-trusted")
    assert "gparent=<NA>" in first["output"]  # not in the event: not available


def test_a_wrong_expectation_fails_the_command_with_the_reason(tmp_path: Path) -> None:
    stable = need_shared(STABLE)
    code, data = cli(str(stable), str(write(tmp_path, "w.tests.yaml", FALCO_TESTS + WRONG)))
    assert code == 1 and data["summary"]["fail"] == 1 and data["summary"]["pass"] == 13
    (bad,) = [r for r in data["results"] if r["status"] == "fail"]
    assert bad["test"] == "on the host, wrongly expected to match"
    assert bad["reason"].startswith("the condition is false for this event")
    assert bad["reason"].endswith("; no rule matched") and bad["matched"] == []
    result = runner.invoke(app, ["rules", "test", str(stable), str(tmp_path / "w.tests.yaml")])
    assert result.exit_code == 1
    assert "FAIL  Terminal shell in container: on the host" in result.stdout


RULES = """
- list: shells
  items: [bash, sh]
- rule: shell spawned
  desc: a shell is executed
  condition: evt.type in (execve, execveat) and proc.name in (shells)
  output: "shell %proc.name under %proc.aname[2] (%fd.sip)"
  priority: WARNING
  tags: [shell]
- rule: shell under sshd
  desc: any ancestor is sshd
  condition: evt.type = execve and proc.name in (shells) and proc.aname = sshd
  output: "ssh shell"
  priority: NOTICE
- rule: not from bash
  desc: parent is not bash (a != check on a missing field is false)
  condition: evt.type = execve and proc.pname != bash
  output: "pname %proc.pname"
  priority: INFO
- rule: to a private network
  desc: IP and network fields
  condition: evt.type = connect and fd.snet in (10.0.0.0/8) and fd.sport = 443
  output: "to %fd.sip:%fd.sport"
  priority: NOTICE
- rule: disabled one
  desc: off by default
  condition: evt.type = openat and fd.name = /etc/motd
  output: "motd"
  priority: DEBUG
  enabled: false
"""


def _events(*events: str, rule: str = "shell spawned") -> str:
    body = "".join("    - " + e.strip().replace("\n", "\n      ") + "\n" for e in events)
    return f"- test: {rule}\n  events:\n{body}"


def _run(tmp: Path, tests: str, *extra: str) -> list[dict[str, Any]]:
    rules = write(tmp, "r.yaml", RULES)
    write(tmp, "r.tests.yaml", tests)
    _code, data = cli(str(rules), *extra)  # r.tests.yaml is found beside r.yaml
    results: list[dict[str, Any]] = data["results"]
    return results


def test_semantics_through_the_compiled_rules(tmp_path: Path) -> None:
    tests = (
        _events(
            "expect: match\noutput: shell bash under sshd (<NA>)\nevt.type: execve\n"
            "proc.name: bash\nproc.aname[2]: sshd",
            "expect: no_match\nevt.type: openat\nproc.name: bash",
        )
        + _events(
            "expect: match\nevt.type: execve\nproc.name: sh\nproc.aname: [bash, sshd, systemd]",
            "expect: no_match\nevt.type: execve\nproc.name: sh\nproc.aname: [bash, systemd]",
            "expect: no_match\nevt.type: execve\nproc.name: sh\nproc.aname[1]: sshd",
            rule="shell under sshd",
        )
        + _events(
            "expect: match\nevt.type: execve\nproc.pname: zsh",
            "expect: no_match\nevt.type: execve\nproc.pname: bash",
            "expect: no_match\nevt.type: execve\nproc.pname: ~",
            "expect: no_match\nevt.type: execve",
            rule="not from bash",
        )
        + _events(
            "expect: match\noutput: to 10.1.2.3:443\nevt.type: connect\nfd.snet: 10.1.2.3\n"
            "fd.sip: 10.1.2.3\nfd.sport: 443",
            "expect: no_match\nevt.type: connect\nfd.snet: 192.168.1.1\nfd.sport: 443",
            "expect: no_match\nevt.type: connect\nfd.snet: 10.1.2.3\nfd.sport: 0x50",
            rule="to a private network",
        )
    )
    results = _run(tmp_path, tests)
    assert [r["status"] for r in results] == ["pass"] * 12, results
    assert results[0]["matched"] == ["shell spawned"]  # proc.aname alone: not available


def test_failure_reasons(tmp_path: Path) -> None:
    tests = _events(
        "name: wrong type\nexpect: match\nevt.type: openat\nproc.name: bash",
        "name: wrong output\nexpect: match\noutput: zsh\nevt.type: execve\nproc.name: bash",
        "name: matched unexpectedly\nexpect: no_match\nevt.type: execve\nproc.name: sh",
        "name: other rule\nexpect: match\nevt.type: execve\nproc.name: fish\nproc.pname: x",
    )
    results = {r["test"]: r for r in _run(tmp_path, tests)}
    assert all(r["status"] == "fail" for r in results.values())
    assert (
        "evt.type 'openat' is not one of the rule's event types (execve, execveat)"
        in (results["wrong type"]["reason"])
    )
    assert "does not contain 'zsh'" in results["wrong output"]["reason"]
    assert (
        results["matched unexpectedly"]["reason"] == "the rule matched: shell sh under <NA> (<NA>)"
    )
    assert results["other rule"]["reason"].endswith("matched instead: not from bash")


def test_test_errors_and_disabled_rules(tmp_path: Path) -> None:
    tests = (
        _events(
            "expect: match\nevt.type: execve\nproc.nam: bash",
            "expect: match\nevt.type: execve\nproc.name: [bash, sh]",
            "expect: match\nevt.type: exceve\nproc.name: bash",
            "expect: match\nproc.name: bash",
            "expect: match\nevt.type: connect\nfd.sport: https",
        )
        + _events("expect: match\nevt.type: openat\nfd.name: /etc/motd", rule="disabled one")
        + _events("expect: match\nevt.type: execve", rule="no such rule")
    )
    results = _run(tmp_path, tests)
    reasons = [r["reason"] for r in results]
    assert [r["status"] for r in results] == ["error"] * 5 + ["skip", "error"]
    assert "r.tests.yaml:5:7: proc.nam: filter_check called with nonexistent field" in reasons[0]
    assert "this field holds one value, not a list" in reasons[1]
    assert "unknown event type 'exceve'" in reasons[2]
    assert "the event has no evt.type" in reasons[3]
    assert "'https' is not a valid port value" in reasons[4]
    assert "disabled" in reasons[5] and "no rule named 'no such rule'" in reasons[6]
    again = _run(tmp_path, tests, "--include-disabled")
    assert again[5]["status"] == "pass"


@pytest.mark.parametrize(
    ("text", "line", "column", "wanted"),
    [
        ("- test: r\n  events:\n    - evt.type: execve\n", 3, 7, "'expect' must be"),
        ("- test: r\n  events:\n    - expect: maybe\n", 3, 15, "'expect' must be"),
        ("- test: r\n  events:\n    - expect: match\n      color: red\n", 4, 7, "unknown key"),
        ("- test: r\n  event: []\n", 2, 3, "unknown key 'event'"),
        ("- test: r\n", 1, 3, "no 'events' list"),
        ("- rule: r\n", 1, 3, "no 'test' key"),
        ("- test: r\n  events: []\n", 2, 11, "non-empty list"),
        ("- just text\n", 1, 3, "must be a mapping"),
        ("test: r\n", 1, 1, "not a yaml array"),
        ("- test: r\n  events:\n    - expect: match\n      proc.name: {a: b}\n", 4, 18, "scalar"),
        ("- test: [r\n", 2, 1, ""),
    ],
)
def test_tests_file_errors_have_positions(text: str, line: int, column: int, wanted: str) -> None:
    result = LoadResult()
    assert read_tests(text, "t.tests.yaml", result) == []
    (err,) = result.errors
    assert err.position is not None
    assert (err.position.line, err.position.column) == (line, column), str(err)
    assert wanted in err.message


def test_merge_keys_are_bounded() -> None:
    chain = "".join(f"    - &e{i} {{expect: match, <<: *e{i - 1}}}\n" for i in range(1, 40))
    text = "- test: r\n  events:\n    - &e0 {expect: match, evt.type: execve}\n" + chain
    result = LoadResult()
    assert read_tests(text, "m.tests.yaml", result) == []
    (err,) = result.errors
    assert "nested too deeply" in err.message and err.position is not None
    assert err.position.line == 3 + 17  # the event whose merges go 16 deep


def test_cli_file_discovery_and_usage_errors(tmp_path: Path) -> None:
    rules = write(tmp_path, "r.yaml", RULES)
    ok = _events("expect: match\nevt.type: execve\nproc.name: bash")
    tests = write(tmp_path, "r.tests.yaml", ok)
    assert cli(str(tests))[1]["rules_files"] == [str(rules)]  # rules found beside the tests
    assert cli(str(rules))[1]["tests_files"] == [str(tests)]
    tests.unlink()
    result = runner.invoke(app, ["rules", "test", str(rules)])
    assert result.exit_code == 2 and "no tests" in result.stderr
    write(tmp_path, "r.tests.yaml", "# nothing yet\n")
    assert cli(str(rules))[0] == 1  # a tests file without tests does not pass
    write(tmp_path, "r.tests.yaml", ok + "- test: x\n  events: 3\n")
    code, data = cli(str(rules))
    assert code == 1 and data["summary"]["pass"] == 1 and len(data["test_file_errors"]) == 1
    bad_rules = write(tmp_path, "bad.yaml", "- macro: m\n  condition: (\n")
    code, data = cli(str(bad_rules), str(tmp_path / "r.tests.yaml"))
    assert code == 1 and data["errors"][0]["code"] == "LOAD_ERR_COMPILE_CONDITION"


def test_mapping_source_keeps_the_catalogue_and_event_types() -> None:
    path = need_shared(STABLE)
    real = load_files([path])
    mapped = load([(str(path), path.read_text())], mapping_sources())
    assert isinstance(mapped.sources["syscall"], MappingSource)
    assert [r.event_types for r in mapped.rules] == [r.event_types for r in real.rules]
    assert mapped.event_types() == real.event_types()
    assert mapped.result.warnings == real.result.warnings == []


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_read_tests_text(text: str) -> None:
    result = LoadResult()
    tests = read_tests(text, "f.tests.yaml", result)
    assert all(t.expect in Expect for t in tests)


FIELDS = ["evt.type", "proc.name", "proc.tty", "proc.aname", "proc.aname[2]", "fd.sip"]
FIELDS += ["fd.snet", "fd.sport", "evt.arg.flags", "evt.is_open_read", "x.y", "expect", "output"]
_value = st.one_of(
    st.sampled_from(["execve", "connect", "bash", "10.0.0.1", "443", "match", "no_match"]),
    st.text(max_size=8),
    st.integers(),
    st.booleans(),
    st.none(),
    st.lists(st.text(max_size=4), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
_events_st = st.lists(st.dictionaries(st.sampled_from(FIELDS), _value), max_size=4)
_rule_st = st.sampled_from(["shell spawned", "to a private network", "disabled one", "?"])


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(_rule_st, _events_st), max_size=4))
def test_fuzz_tests_on_real_fields(items: list[tuple[str, list[dict[str, Any]]]]) -> None:
    """Random values on real fields: problems are reported, runs never raise."""
    result = LoadResult()
    doc = [{"test": rule, "events": events} for rule, events in items]
    tests = read_tests(json.dumps(doc), "f.tests.yaml", result)
    for outcome in run_tests(load([("r.yaml", RULES)], mapping_sources()), tests):
        assert outcome.status in Status
        assert outcome.status is not Status.ERROR or outcome.reason


def test_the_documented_example_passes(tmp_path: Path) -> None:
    """docs/rules.md's example rule and its tests, as printed there."""
    doc = (ROOT / "docs" / "rules.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", doc, re.S)
    rules = next(b for b in blocks if "- rule: Shell under sshd" in b)
    tests = next(b for b in blocks if b.startswith("# my_rules.tests.yaml"))
    write(tmp_path, "my_rules.yaml", rules)
    write(tmp_path, "my_rules.tests.yaml", tests)
    code, data = cli(str(tmp_path / "my_rules.yaml"))
    assert code == 0 and data["summary"]["pass"] == 2, data
