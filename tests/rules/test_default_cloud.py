"""mamori's cloud rules (`mamori.rules.default_cloud`): load clean, every rule tested.

Two layers of tests, both hand-written expectations:

- ``samples/X.yaml``: whole records as AWS and Kubernetes write them (CloudTrail
  records, audit events, flow log lines), each expected to match or not one rule. They
  run through the real sources (the production extraction of ``ct.*``, ``ka.*``,
  ``json.value``, ``flow.*``).
- ``X.tests.yaml``: the same cases as field values for ``mamori rules test``, derived
  from the samples; checked here to be up to date, to pass, and to fail when every
  expectation is flipped (so no test passes whatever the rule says).

Independent oracle: where Falco's own plugin rulesets have a rule for the same
behaviour, Falco's rule (evaluated by the same engine, written by other people) must
fire on our positive sample too, and stay quiet on the benign neighbour we name.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from mamori.cli.main import app
from mamori.rules import LoadResult, load, load_files
from mamori.rules.default_cloud import (
    default_cloud_record_files,
    default_cloud_rule_files,
    default_cloud_test_files,
)
from mamori.rules.default_cloud.detectors import SecretReadBurst, secret_ids
from mamori.rules.default_cloud.records import (
    RecordCase,
    read_cases,
    render_tests,
    run_cases,
)
from mamori.rules.engine import RuleSet
from mamori.rules.source import CatalogSource, sources
from mamori.rules.testing import Expect, RuleTest, Status, mapping_sources, read_tests, run_tests
from tests.support import need_shared

TACTICS = frozenset(
    f"mitre_{t}"
    for t in (
        "reconnaissance", "resource_development", "initial_access", "execution", "persistence",
        "privilege_escalation", "defense_evasion", "credential_access", "discovery",
        "lateral_movement", "collection", "command_and_control", "exfiltration", "impact",
    )
)  # fmt: skip
TECHNIQUE = re.compile(r"T1\d{3}(\.\d{3})?")
SOURCES = {"aws_cloudtrail.yaml": "aws_cloudtrail", "k8s_audit.yaml": "k8s_audit",
           "vpc_flow.yaml": "vpc_flow"}  # fmt: skip
RULE_KEYS = frozenset(
    {"rule", "desc", "condition", "output", "priority", "tags", "source", "exceptions"}
)
runner = CliRunner()


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    return load_files(default_cloud_rule_files())


@pytest.fixture(scope="module")
def cases() -> list[RecordCase]:
    return [c for path in default_cloud_record_files() for c in read_cases(path)]


@pytest.fixture(scope="module")
def rule_tests() -> list[RuleTest]:
    result = LoadResult()
    tests: list[RuleTest] = []
    for path in default_cloud_test_files():
        tests += read_tests(path.read_text(encoding="utf-8"), str(path), result)
    assert not result.errors, [str(e) for e in result.errors]
    return tests


def test_files_exist_for_every_source() -> None:
    rules = default_cloud_rule_files()
    assert [p.name for p in rules] == list(SOURCES)
    assert [p.name for p in default_cloud_test_files()] == [p.stem + ".tests.yaml" for p in rules]
    assert [p.name for p in default_cloud_record_files()] == [p.name for p in rules]


def test_loads_with_no_error_and_no_warning(ruleset: RuleSet) -> None:
    assert not ruleset.result.errors, [str(m) for m in ruleset.result.errors]
    assert not ruleset.result.warnings, [str(m) for m in ruleset.result.warnings]
    by_source: dict[str, int] = defaultdict(int)
    for r in ruleset.rules:
        by_source[r.source] += 1
        assert r.enabled
    assert by_source == {"aws_cloudtrail": 17, "k8s_audit": 7, "vpc_flow": 2}


def test_rule_items_use_only_falco_keys_and_their_files_source() -> None:
    for path in default_cloud_rule_files():
        for item in yaml.safe_load(path.read_text(encoding="utf-8")):
            if "rule" in item:
                assert set(item) <= RULE_KEYS, (item["rule"], set(item) - RULE_KEYS)
                assert item["source"] == SOURCES[path.name], item["rule"]
            elif "macro" in item or "list" in item:
                assert (item.get("macro") or item.get("list")).startswith("mamori_"), item
            else:
                assert set(item) == {"required_engine_version"}, item


def test_every_rule_has_mitre_tactic_and_technique(ruleset: RuleSet) -> None:
    for r in ruleset.rules:
        tactics = [t for t in r.tags if t.startswith("mitre_")]
        assert tactics and set(tactics) <= TACTICS, (r.name, r.tags)
        assert any(TECHNIQUE.fullmatch(t) for t in r.tags), (r.name, r.tags)
        assert r.desc.strip() and r.output.fmt.strip(), r.name


def test_every_field_read_has_an_extractor(ruleset: RuleSet) -> None:
    """Every field a condition or output names exists in its source (loading proves
    that) and is extracted, not silently not available."""
    for r in ruleset.rules:
        src = sources.get(r.source)
        assert isinstance(src, CatalogSource)
        read = {ref.name for ref in (*r.condition_fields, *r.output.fields)}
        assert not read & src.unextractable, (r.name, read & src.unextractable)


def test_samples_through_the_real_sources(ruleset: RuleSet, cases: list[RecordCase]) -> None:
    failures = run_cases(ruleset, cases)
    assert not failures, "\n".join(failures)
    assert len(cases) >= 100


def test_every_rule_has_a_match_and_a_benign_neighbour(
    ruleset: RuleSet, cases: list[RecordCase], rule_tests: list[RuleTest]
) -> None:
    samples: dict[str, set[str]] = defaultdict(set)
    for c in cases:
        samples[c.rule].add(c.expect)
    tests: dict[str, set[Expect]] = defaultdict(set)
    for t in rule_tests:
        tests[t.rule].add(t.expect)
    for r in ruleset.rules:
        assert samples[r.name] == {"match", "no_match"}, r.name
        assert tests[r.name] == {Expect.MATCH, Expect.NO_MATCH}, r.name
    assert set(samples) == {r.name for r in ruleset.rules}


def test_tests_files_are_derived_from_the_samples(ruleset: RuleSet) -> None:
    """``X.tests.yaml`` is exactly what the samples give (regenerate with
    ``python -m mamori.rules.default_cloud.records`` after editing a sample)."""
    for records, tests in zip(
        default_cloud_record_files(), default_cloud_test_files(), strict=True
    ):
        expected = render_tests(ruleset, read_cases(records), f"samples/{records.name}")
        assert tests.read_text(encoding="utf-8") == expected, tests.name


def test_every_rule_test_passes(rule_tests: list[RuleTest]) -> None:
    test_ruleset = load_files(default_cloud_rule_files(), mapping_sources())
    outcomes = run_tests(test_ruleset, rule_tests)
    bad = [f"{o.test.rule}: {o.test.label}: {o.reason}" for o in outcomes if o.status != "pass"]
    assert not bad, "\n".join(bad)
    flip = {Expect.MATCH: Expect.NO_MATCH, Expect.NO_MATCH: Expect.MATCH}
    flipped = [dataclasses.replace(t, expect=flip[t.expect]) for t in rule_tests]
    passing = [o.test.label for o in run_tests(test_ruleset, flipped) if o.status is Status.PASS]
    assert not passing, passing


def test_cli_validate_strict_and_test_pass() -> None:
    files = [str(f) for f in default_cloud_rule_files()]
    validated = runner.invoke(app, ["rules", "validate", "--strict", *files])
    assert validated.exit_code == 0, validated.output
    tested = runner.invoke(app, ["rules", "test", *files])
    assert tested.exit_code == 0, tested.output
    assert re.search(r"\b0 fail, 0 error, 0 skip; 0 tests-file errors; 26 of 26", tested.output)


def _matches(rs: RuleSet, case: RecordCase, source: str) -> set[str]:
    return {m.name for m in rs.match(case.record, source)}


def _case(cases: list[RecordCase], rule: str, name: str) -> RecordCase:
    found = [c for c in cases if c.rule == rule and c.name == name]
    assert len(found) == 1, (rule, name)
    return found[0]


def test_trusted_lists_are_tunable(cases: list[RecordCase]) -> None:
    """The lists a user overrides (trusted accounts, egress addresses) take effect."""
    override = """
- list: mamori_trusted_aws_accounts
  items: ["999988887777"]
  override: {items: replace}
- list: mamori_trusted_egress_ips
  items: [198.51.100.77]
  override: {items: replace}
"""
    base = [(str(p), p.read_text(encoding="utf-8")) for p in default_cloud_rule_files()]
    tuned = load([*base, ("override.yaml", override)])
    assert not tuned.result.errors
    cross = _case(cases, "Role assumed from an untrusted account",
                  "a principal of another account assumes a role here")  # fmt: skip
    instance = _case(cases, "Instance credentials used from outside AWS",
                     "instance role session used from a public address")  # fmt: skip
    plain = load_files(default_cloud_rule_files())
    assert cross.rule in _matches(plain, cross, "aws_cloudtrail")
    assert cross.rule not in _matches(tuned, cross, "aws_cloudtrail")
    assert instance.rule in _matches(plain, instance, "aws_cloudtrail")
    assert instance.rule not in _matches(tuned, instance, "aws_cloudtrail")


def test_loads_beside_falco_plugin_rules_and_the_syscall_set(ruleset: RuleSet) -> None:
    """No list, macro or rule name clashes with Falco's plugin rulesets or mamori's
    syscall ruleset: all load together without errors, every rule kept."""
    from mamori.rules.default import default_rule_files

    falco = [need_shared(f"anchors/falco/plugin-rules/{n}")
             for n in ("aws_cloudtrail_rules.yaml", "k8s_audit_rules.yaml")]  # fmt: skip
    others = load_files([*falco, *default_rule_files()])
    both = load_files([*falco, *default_rule_files(), *default_cloud_rule_files()])
    assert not both.result.errors, [str(m) for m in both.result.errors]
    assert len(both.rules) == len(others.rules) + len(ruleset.rules)


# (our rule, sample name or None for every positive sample, Falco's rule, expected)
FALCO_AGREES: list[tuple[str, str | None, str, bool]] = [
    ("Console login without MFA", None, "Console Login Without MFA", True),
    ("Console login without MFA", "IAM user signs in with MFA", "Console Login Without MFA",
     False),
    ("CloudTrail logging stopped, deleted or changed", "StopLogging on the management trail",
     "CloudTrail Logging Disabled", True),
    ("CloudTrail logging stopped, deleted or changed", "StartLogging",
     "CloudTrail Logging Disabled", False),
    ("IAM user created", None, "Create AWS user", True),
    ("S3 public access block removed or weakened", "RestrictPublicBuckets turned off",
     "Delete Bucket Public Access Block", True),
    ("S3 public access block removed or weakened", "every setting on",
     "Delete Bucket Public Access Block", False),
    ("S3 bucket made public", "ACL granting AllUsers read", "Put Bucket ACL", True),
    ("S3 bucket made public", "bucket policy with a wildcard principal", "Put Bucket Policy",
     True),
    ("Exec or attach into a pod", None, "Attach/Exec Pod", True),
    ("Privileged or hostPath pod created", "pod with a privileged container",
     "Create Privileged Pod", True),
    ("Privileged or hostPath pod created", "ordinary pod", "Create Privileged Pod", False),
    ("Privileged or hostPath pod created", "pod mounting the node's root with hostPath",
     "Create Sensitive Mount Pod", True),
    ("Binding to cluster-admin created", None, "Attach to cluster-admin Role", True),
    ("Binding to cluster-admin created", "RoleBinding to view", "Attach to cluster-admin Role",
     False),
    ("Anonymous request allowed", None, "Anonymous Request Allowed", True),
    ("Anonymous request allowed", "anonymous request denied", "Anonymous Request Allowed",
     False),
    ("Pod created in kube-system", None, "Pod Created in Kube Namespace", True),
]  # fmt: skip


def test_falco_rules_agree_on_the_samples(cases: list[RecordCase]) -> None:
    falco = {
        "aws_cloudtrail": load_files(
            [need_shared("anchors/falco/plugin-rules/aws_cloudtrail_rules.yaml")]
        ),
        "k8s_audit": load_files([need_shared("anchors/falco/plugin-rules/k8s_audit_rules.yaml")]),
    }
    ours = load_files(default_cloud_rule_files())
    checked = 0
    for rule, sample, theirs, expected in FALCO_AGREES:
        source = ours.get(rule).source  # type: ignore[union-attr]
        chosen = [
            c for c in cases
            if c.rule == rule and (c.name == sample if sample else c.expect == "match")
        ]  # fmt: skip
        assert chosen, (rule, sample)
        for c in chosen:
            assert (theirs in _matches(falco[source], c, source)) is expected, (rule, c.name)
            assert (rule in _matches(ours, c, source)) is expected, (rule, c.name)
            checked += 1
    assert checked >= 20


# -- the stateful detector for bulk secret reads ------------------------------------------


def _secret_read(i: int, when: str, *, who: str = "Alice", **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAJ45Q7YFFAREXAMPLE",
                         "arn": f"arn:aws:iam::123456789012:user/{who}",
                         "accountId": "123456789012", "userName": who},
        "eventTime": when,
        "eventSource": "secretsmanager.amazonaws.com",
        "eventName": "GetSecretValue",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.14",
        "userAgent": "aws-cli/2.15.40",
        "requestParameters": {"secretId": f"prod/db-{i}"},
        "responseElements": None,
        "readOnly": True,
        "eventType": "AwsApiCall",
        "recipientAccountId": "123456789012",
    }  # fmt: skip
    record.update(extra)
    return record


def _feed(burst: SecretReadBurst, records: list[dict[str, Any]]) -> list[Any]:
    return [m for r in records for m in burst.feed(r)]


def test_bulk_secret_reads_reports_once_at_the_threshold() -> None:
    burst = SecretReadBurst()
    reads = [_secret_read(i, f"2024-05-14T09:{i:02d}:00Z") for i in range(12)]
    found = _feed(burst, reads)
    assert len(found) == 1
    m = found[0]
    assert m.name == "Bulk secret reads" and m.source == "aws_cloudtrail"
    assert "mitre_credential_access" in m.tags and "T1555.006" in m.tags
    assert m.fields["secrets.distinct"] == 10
    assert "10 distinct secrets read by arn:aws:iam::123456789012:user/Alice" in m.output
    assert "ip=198.51.100.14" in m.output


def test_bulk_secret_reads_benign_neighbours() -> None:
    # the same secret read over and over
    assert not _feed(SecretReadBurst(), [_secret_read(0, f"2024-05-14T09:{i:02d}:00Z")
                                          for i in range(30)])  # fmt: skip
    # ten secrets read over two hours (one every 12 minutes: never 10 within 10 minutes)
    slow = [_secret_read(i, f"2024-05-14T{9 + i * 12 // 60:02d}:{i * 12 % 60:02d}:00Z")
            for i in range(10)]  # fmt: skip
    assert not _feed(SecretReadBurst(), slow)
    # five principals reading two secrets each
    spread = [_secret_read(i, "2024-05-14T09:00:00Z", who=f"u{i // 2}") for i in range(10)]
    assert not _feed(SecretReadBurst(), spread)
    # denied reads, and SSM reads without decryption, are not reads of secret values
    denied = [_secret_read(i, "2024-05-14T09:00:00Z", errorCode="AccessDenied")
              for i in range(12)]  # fmt: skip
    assert not _feed(SecretReadBurst(), denied)
    ssm = {"eventSource": "ssm.amazonaws.com", "eventName": "GetParameter"}
    plain = [_secret_read(i, "2024-05-14T09:00:00Z", **ssm,
                          requestParameters={"name": f"/app/p{i}", "withDecryption": False})
             for i in range(12)]  # fmt: skip
    assert not _feed(SecretReadBurst(), plain)
    decrypted = [{**r, "requestParameters": {"name": r["requestParameters"]["name"],
                                             "withDecryption": True}} for r in plain]  # fmt: skip
    assert len(_feed(SecretReadBurst(), decrypted)) == 1


def test_bulk_secret_reads_rearms_and_counts_batches() -> None:
    burst = SecretReadBurst(min_distinct=3, window=60)
    first = [_secret_read(i, f"2024-05-14T09:00:{i:02d}Z") for i in range(5)]
    later = [_secret_read(i, f"2024-05-14T10:00:{i:02d}Z") for i in range(5)]
    assert len(_feed(burst, first)) == 1
    assert len(_feed(burst, later)) == 1  # fell below the threshold in between
    batch = _secret_read(0, "2024-05-14T09:00:00Z", eventName="BatchGetSecretValue",
                         requestParameters={"secretIdList": ["a", "b", "c"]})  # fmt: skip
    assert secret_ids(batch) == ["us-east-1:a", "us-east-1:b", "us-east-1:c"]
    assert len(SecretReadBurst(min_distinct=3).feed(batch)) == 1
    assert secret_ids({"eventName": "GetSecretValue"}) == []


def test_default_cloud_rule_files_are_paths() -> None:
    assert all(isinstance(p, Path) and p.is_file() for p in default_cloud_rule_files())


# -- robustness: odd records never break the rules or the detector -----------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                 max_size=3),
    max_leaves=8,
)  # fmt: skip


def _paths(doc: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    return out


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_fuzz_mutated_samples_never_raise(data: st.DataObject) -> None:
    rs = _FUZZ_RULES
    case = data.draw(st.sampled_from(_FUZZ_CASES))
    record = copy.deepcopy(case.record)
    for _ in range(data.draw(st.integers(1, 4))):
        paths = _paths(record)
        if not paths:
            break
        path = data.draw(st.sampled_from(paths))
        parent = record
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = data.draw(_JSON)
    source = rs.get(case.rule).source  # type: ignore[union-attr]
    for m in rs.match(record, source):
        assert isinstance(m.output, str)
    SecretReadBurst(min_distinct=1).feed(record)


_FUZZ_RULES = load_files(default_cloud_rule_files())
_FUZZ_CASES = [
    c for p in default_cloud_record_files() if p.name != "vpc_flow.yaml" for c in read_cases(p)
]
