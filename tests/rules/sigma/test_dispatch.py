"""The engine's ``eventName`` dispatch for CloudTrail rules changes nothing but speed:
over many records, `RuleSet.match` returns exactly the rules a brute-force check of
every enabled rule finds, in load order (Falco's plugin rules, mamori's default cloud
rules and SigmaHQ's rules in one RuleSet)."""

from __future__ import annotations

import importlib
import random
import sys
from pathlib import Path
from typing import Any

from mamori.rules import RuleSet, load, load_files
from mamori.rules.engine import ANY_KEY
from mamori.rules.sigma import add_sigma
from mamori.rules.sources.aws_cloudtrail import AWS_CLOUDTRAIL
from tests.rules.sigma.records import build
from tests.rules.sigma.test_sigmahq import CASES
from tests.support import ROOT, SHARED, need_shared

sys.path.insert(0, str(ROOT / "bench"))
bench_logs = importlib.import_module("bench_logs")  # the benchmark's record generator


def _brute(rs: RuleSet, rec: dict[str, Any]) -> list[str]:
    return [r.name for r in rs.rules if r.enabled and r.source == "aws_cloudtrail" and r.check(rec)]


def _ruleset() -> RuleSet:
    files: list[Path] = [need_shared("anchors/falco/plugin-rules/aws_cloudtrail_rules.yaml")]
    if bench_logs.DEFAULT_CLOUD.is_file():
        files.append(bench_logs.DEFAULT_CLOUD)
    rs = load_files(files)
    add_sigma(rs, [SHARED / "anchors/sigma/rules/cloud/aws"])
    return rs


def test_dispatch_equals_brute_force() -> None:
    rs = _ruleset()
    assert "aws_cloudtrail" in rs._keyed  # the dispatch is in use
    r = random.Random(3)
    weights = [t[0] for t in bench_logs.TEMPLATES]
    records = [bench_logs.record(r, i, weights) for i in range(3000)]
    records += [
        build("aws_cloudtrail", c["match"]) for k, c in CASES.items() if k.startswith("aws_")
    ]
    for rec in records[:200]:  # the same calls in other letter cases and shapes
        records.append({**rec, "eventName": str(rec["eventName"]).upper()})
        records.append({**rec, "eventName": [rec["eventName"]]})
        records.append({k: v for k, v in rec.items() if k != "eventName"})
    fired = 0
    for rec in records:
        got = [m.name for m in rs.match(rec, "aws_cloudtrail")]
        assert got == _brute(rs, rec), rec
        fired += bool(got)
    assert fired > 1000


def test_dispatch_keys_of_falco_and_sigma_rules() -> None:
    rs = _ruleset()
    stop = rs.get("CloudTrail Logging Disabled")
    assert stop is not None and AWS_CLOUDTRAIL.rule_dispatch(stop) == frozenset({"stoplogging"})
    sigma = rs.get("AWS CloudTrail Important Change")
    assert sigma is not None and sigma.dispatch == frozenset(
        {"stoplogging", "updatetrail", "deletetrail"}
    )
    unrestricted = rs.get("AWS Root Credentials")
    assert unrestricted is not None and unrestricted.dispatch is None
    assert AWS_CLOUDTRAIL.dispatch_key({"eventName": "StopLogging"}) == "stoplogging"
    assert AWS_CLOUDTRAIL.dispatch_key({}) is None
    assert AWS_CLOUDTRAIL.dispatch_key({"eventName": 3}) == ANY_KEY


def test_k8s_verb_dispatch_equals_brute_force() -> None:
    from tests.logs.k8s_audit_events import CASES as FALCO_CASES
    from tests.logs.k8s_audit_events import OVERRIDES

    plugin = need_shared("anchors/falco/plugin-rules/k8s_audit_rules.yaml")
    files = [plugin]
    default_k8s = bench_logs.DEFAULT_CLOUD.with_name("k8s_audit.yaml")
    if default_k8s.is_file():
        files.append(default_k8s)
    rs = load_files(files)
    rs2 = load(  # with the overrides that turn on Falco's always-off rules
        [(str(p), p.read_text(encoding="utf-8")) for p in files] + [("overrides", OVERRIDES)]
    )
    add_sigma(rs, [SHARED / "anchors/sigma/rules/application/kubernetes"])
    add_sigma(rs2, [SHARED / "anchors/sigma/rules/application/kubernetes"])
    events = [e for pair in FALCO_CASES.values() for e in pair]
    events += [build("k8s_audit", c["match"]) for k, c in CASES.items() if k.startswith("kub")]
    for ev in list(events):
        events.append({**ev, "verb": str(ev.get("verb")).upper()})
        events.append({k: v for k, v in ev.items() if k != "verb"})
    for ruleset in (rs, rs2):
        assert "k8s_audit" in ruleset._keyed
        fired = 0
        for ev in events:
            got = [m.name for m in ruleset.match(ev, "k8s_audit")]
            brute = [r.name for r in ruleset.rules
                     if r.enabled and r.source == "k8s_audit" and r.check(ev)]  # fmt: skip
            assert got == brute, ev
            fired += bool(got)
        assert fired > len(events) // 3
