"""The policy file: what it accepts, how alerts select responses, and errors that say
which line and field is wrong. Any text either parses or raises PolicyError."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.response.policy import (
    KillSpec,
    PolicyError,
    QuarantineSpec,
    load_policy,
    parse_destination,
    parse_policy,
)
from mamori.rules import Priority

GOOD = """\
version: 1
dry_run: true
log: /var/log/mamori/response.jsonl
responses:
  - name: miners
    match:
      globs: ["*miner*"]
      tags: [mitre_impact]
      min_priority: warning
    actions:
      - kill
      - {action: kill, tree: true, signal: term}
      - {action: quarantine, target: exe, dry_run: false}
  - match: {rules: [Terminal shell in container]}
    actions: [kill_container, {action: stop_container, timeout: 3}]
mitigations:
  exec:
    mounts: [/tmp]
    deny_paths: ["/tmp/*"]
    deny_sha256: [AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA]
  connect:
    - cgroup: /sys/fs/cgroup/web
      deny: ["169.254.169.254:80", "[::1]:6379", "*:4444", "10.0.0.5:*"]
"""


def test_a_full_policy_parses() -> None:
    policy = parse_policy(GOOD, "p.yaml")
    assert policy.dry_run is True
    miners = policy.responses[0]
    assert [a.action for a in miners.actions] == ["kill", "kill", "quarantine"]
    tree = miners.actions[1]
    assert isinstance(tree, KillSpec) and tree.tree and tree.signal == "SIGTERM"
    quarantine = miners.actions[2]
    assert isinstance(quarantine, QuarantineSpec) and quarantine.dry_run is False
    assert policy.mitigations.exec is not None
    assert policy.mitigations.exec.deny_sha256 == ("a" * 64,)  # normalised to lower case
    assert policy.mitigations.connect[0].deny[1] == "[::1]:6379"


def test_responses_are_selected_by_name_glob_tag_and_priority() -> None:
    policy = parse_policy(GOOD)
    warning, debug = int(Priority.WARNING), int(Priority.DEBUG)
    assert [r.name for r in policy.for_alert("xmr miner", (), warning)] == ["miners"]
    assert [r.name for r in policy.for_alert("other", ("mitre_impact",), warning)] == ["miners"]
    assert policy.for_alert("xmr miner", (), debug) == []  # below min_priority
    assert policy.for_alert("Terminal shell in container", (), debug)[0].name == ""
    assert policy.for_alert("Terminal shell", (), warning) == []  # names match exactly


def test_destinations() -> None:
    assert parse_destination("10.0.0.1:80") == ("10.0.0.1", 80)
    assert parse_destination("[2001:db8::1]:443") == ("2001:db8::1", 443)
    assert parse_destination("*:22") == (None, 22)
    assert parse_destination("10.0.0.1:*") == ("10.0.0.1", 0)
    for bad in ("*:*", "10.0.0.1", "host.example:80", "10.0.0.1:0", "10.0.0.1:70000", ":80"):
        with pytest.raises(ValueError):
            parse_destination(bad)


def _problems(text: str) -> list[str]:
    with pytest.raises(PolicyError) as info:
        parse_policy(text, "p.yaml")
    return info.value.problems


def test_errors_name_the_line_and_the_field() -> None:
    text = """\
responses:
  - match: {rules: [a]}
    actions:
      - kill
      - {action: kill, signal: SIGFOO}
      - {action: explode}
      - {action: quarantine, taget: exe}
  - match: {}
    actions: [kill]
mitigations:
  exec: {mounts: [tmp], deny_sha256: [abc]}
  connect: [{cgroup: /x, deny: ["*:*"]}]
typo_key: 1
quarantine_dir: relative/q
"""
    problems = _problems(text)
    joined = "\n".join(problems)
    assert "p.yaml:5: responses[0].actions[1].signal: unknown signal 'SIGFOO'" in joined
    assert "p.yaml:6: responses[0].actions[2]" in joined and "explode" in joined
    assert "p.yaml:7: responses[0].actions[3].taget: Extra inputs are not permitted" in joined
    assert "p.yaml:8: responses[1].match: match needs at least one of" in joined
    assert "p.yaml:11: mitigations.exec.mounts: 'tmp' is not an absolute path" in joined
    assert "p.yaml:11: mitigations.exec.deny_sha256: 'abc' is not a sha256" in joined
    assert "p.yaml:12: mitigations.connect[0].deny" in joined and "every connection" in joined
    assert "p.yaml:13: typo_key: Extra inputs are not permitted" in joined
    assert "p.yaml:14: quarantine_dir: 'relative/q' is not an absolute path" in joined
    lines = [int(p.split(":")[1]) for p in problems]
    assert lines == sorted(lines)  # in file order


def test_yaml_and_shape_errors() -> None:
    assert _problems("responses: [")[0].startswith("p.yaml:")
    assert "expected a mapping" in _problems("- a\n- b\n")[0]
    assert "actions" in _problems("responses:\n  - match: {rules: [a]}\n")[0]
    assert parse_policy("").responses == ()  # an empty policy does nothing


def test_an_unreadable_file(tmp_path: object) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy("/nonexistent/policy.yaml")


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_text_parses_or_raises_policy_error(text: str) -> None:
    try:
        parse_policy(text)
    except PolicyError as exc:
        assert exc.problems


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda kids: (
            st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids, max_size=3)
        ),
        max_leaves=12,
    )
)
def test_any_structure_parses_or_raises_policy_error(data: object) -> None:
    import yaml

    try:
        parse_policy(yaml.safe_dump({"responses": [{"match": {"rules": ["x"]}, "actions": data}]}))
    except PolicyError as exc:
        assert exc.problems
