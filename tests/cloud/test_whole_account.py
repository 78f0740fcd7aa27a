"""End to end over one whole seeded account: every CIS v3.0 automated control, per resource.

The account is the benchmark's (`bench/_aws_seed*.py`, about 100 resources in three
regions): IAM users in every credential profile, buckets, VPCs, security groups and
NACLs in every rule profile, instances, volumes, KMS keys, RDS, EFS, Lambda, trails,
the CIS metric filters and alarms, Config, Security Hub, EBS defaults. The seeder records
the truth it built (per control, which resource is compliant); the scan under test is
`run_posture_scan`, the code `mamori scan aws` runs, its findings read back from its JSON
output. moto runs in this process because the seeder back-dates access keys and sign-ins,
which no API can set; the scanner reaches it over HTTP as it would reach AWS.

Access Analyzer is the loopback stand-in of `accessanalyzer_stub` (moto has none).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cloud.accessanalyzer_stub import analyzer, serving
from tests.support import need

BENCH = Path(__file__).resolve().parents[2] / "bench"

# Known moto artefacts, each explained; nothing else may differ from the seeded truth.
MOTO_ARTEFACTS = {
    # moto answers Expiration 2012-05-08 for every server certificate: the seeded valid
    # certificate reads expired (to Prowler too). CIS 1.19 has its own test with dates.
    "1.19": {"wrong": {"cert-valid=FAIL"}},
}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path, Any]]:
    """(truth, JSON report path, framework controls) of one seeded account, scanned once."""
    try:
        import moto.server  # noqa: F401
    except ImportError:
        need(False, "moto[server] is not installed (the dev extras install it)")
    sys.path.insert(0, str(BENCH))
    saved = dict(os.environ)
    monkeypatch = pytest.MonkeyPatch()
    try:
        from _aws_moto import HOME, REGIONS, moto_server
        from _aws_seed import seed

        with moto_server(), serving(monkeypatch) as analyzers:
            truth = seed(100)
            # the seeder could not create an analyzer (moto has none): the stand-in has
            # one ACTIVE account analyzer in the home region, none elsewhere
            analyzers.pages[HOME] = [[analyzer(HOME, "bench", "ACCOUNT", "ACTIVE")]]
            for region in REGIONS:
                truth.put("1.20", region, region == HOME)
            out = tmp_path_factory.mktemp("whole") / "report.json"
            _scan(out, REGIONS)
            yield truth, out, _controls()
    finally:
        monkeypatch.undo()
        os.environ.clear()
        os.environ.update(saved)
        sys.path.remove(str(BENCH))


def _scan(out: Path, regions: tuple[str, ...]) -> None:
    from mamori.app.posture import PostureRequest, run_posture_scan
    from mamori.outputs.json_output import report_document

    outcome = run_posture_scan(PostureRequest(regions=regions, framework="cis_aws_3.0"))
    out.write_text(json.dumps([report_document(r) for r in outcome.reports]), encoding="utf-8")


def _controls() -> Any:
    from _aws_mamori import controls_of_checks

    return controls_of_checks()


def test_every_automated_control_is_right_per_resource(seeded: tuple[Any, Path, Any]) -> None:
    from _aws_agree import judge, tabulate
    from _aws_mamori import findings, notices

    truth, out, (controls_of, automated) = seeded
    table = tabulate(findings(out), controls_of)
    assert not [n for n in notices(out) if "error" in n.lower() and "accessanalyzer" in n]
    problems = []
    judged = 0
    for control, is_automated in sorted(automated.items()):
        seeded_truth = truth.verdicts.get(control, {})
        if not is_automated and not seeded_truth:
            continue
        assert seeded_truth, f"CIS {control} is automated but the seeded account lacks it"
        score = judge(seeded_truth, table.get(control, {}))
        judged += score.given
        allowed = MOTO_ARTEFACTS.get(control, {}).get("wrong", set())
        wrong = set(score.wrong) - allowed
        if wrong or score.missed:
            problems.append(f"{control}: wrong {sorted(wrong)[:5]}, missed {score.missed}")
    assert not problems, "\n".join(problems)
    assert judged > 150  # 122 resources seeded: 181 verdicts on them when written


def test_every_failing_resource_has_a_reason(seeded: tuple[Any, Path, Any]) -> None:
    """A FAIL without its one-sentence reason would be useless in the report."""
    _, out, _ = seeded
    reports = json.loads(out.read_text(encoding="utf-8"))
    failing = [f for r in reports for f in r["findings"] if f["status"] == "open"]
    assert failing
    assert all(f.get("reason") for f in failing), [
        f["rule_id"] for f in failing if not f.get("reason")
    ][:5]
