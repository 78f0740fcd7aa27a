"""Every Dockerfile check against its own passing and failing fixtures (fixtures/<id>/).

A failing fixture marks the instruction the finding must cite with a `# FAIL-NEXT`
comment on the line above it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mamori.model import CloudResource, Inventory
from mamori.posture.check import Verdict
from mamori.posture.checks.dockerfile import RESOURCE_TYPE, dockerfile_checks
from mamori.workload.dockerfile.parser import parse

FIXTURES = Path(__file__).parent / "fixtures"
CHECKS = dockerfile_checks.names()


def judge(check_id: str, path: Path) -> tuple[Verdict, str, dict[str, str]]:
    parsed = parse(path.read_text(encoding="utf-8"), path.name)
    resource = CloudResource(
        type=RESOURCE_TYPE, id=path.name, account="", attributes={"dockerfile": parsed}
    )
    results = list(dockerfile_checks.get(check_id)().run(Inventory(resources=(resource,))))
    assert len(results) == 1
    return results[0].verdict, results[0].reason, results[0].detail


def expected_line(path: Path) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    marks = [n for n, text in enumerate(lines, 1) if text.startswith("# FAIL-NEXT")]
    assert len(marks) == 1, f"{path} needs exactly one # FAIL-NEXT"
    return marks[0] + 1


def test_every_check_has_fixtures() -> None:
    assert len(CHECKS) >= 11
    for check_id in CHECKS:
        folder = FIXTURES / check_id
        assert (folder / "pass.Dockerfile").is_file(), check_id
        assert sorted(folder.glob("fail*.Dockerfile")), check_id


@pytest.mark.parametrize("check_id", CHECKS)
def test_passing_fixture(check_id: str) -> None:
    verdict, reason, _ = judge(check_id, FIXTURES / check_id / "pass.Dockerfile")
    assert verdict == Verdict.PASS, reason


@pytest.mark.parametrize(
    ("check_id", "name"),
    [(c, p.name) for c in CHECKS for p in sorted((FIXTURES / c).glob("fail*.Dockerfile"))],
)
def test_failing_fixture_cites_the_line(check_id: str, name: str) -> None:
    path = FIXTURES / check_id / name
    verdict, reason, detail = judge(check_id, path)
    assert verdict == Verdict.FAIL, reason
    assert detail["line"] == str(expected_line(path)), reason


def test_multiple_offences_are_all_listed() -> None:
    path = FIXTURES / "dockerfile_package_cache_cleaned" / "fail.Dockerfile"
    _, reason, detail = judge("dockerfile_package_cache_cleaned", path)
    assert detail["lines"] == "4,6" and "(and 1 more)" in reason


def test_secret_values_are_masked_in_the_reason() -> None:
    path = FIXTURES / "dockerfile_no_secrets_in_env_arg" / "fail.Dockerfile"
    parsed = parse(path.read_text(encoding="utf-8"), path.name)
    from mamori.posture.checks.dockerfile._secrets import secrets_in_env_arg

    failures, _ = secrets_in_env_arg(parsed)
    messages = " | ".join(f.message for f in failures)
    assert [f.line for f in failures] == [4, 5, 6]
    assert "s3cr3t-Pa55w0rd-Value" not in messages and "s3cr" in messages
    assert "AKIAQWERTYUIOPASDF23" not in messages and "AKIA****************" in messages


def test_checks_never_see_other_resource_types() -> None:
    other = CloudResource(type="k8s.Pod", id="x", account="")
    for check_id in CHECKS:
        assert list(dockerfile_checks.get(check_id)().run(Inventory(resources=(other,)))) == []
