"""`mamori scan secrets`: the walk (no symlinks out of the root, binaries, size cap,
FIFOs), suppressions, and every output format scanned for the cleartext secrets."""

from __future__ import annotations

import json
import os
from pathlib import Path

from typer.testing import CliRunner

from mamori.cli.main import app
from mamori.model import FindingStatus, Severity
from mamori.workload.secrets.scan import SecretsScanRequest, run_secrets_scan
from tests.workload.secrets.tokens import make_tokens

TOKENS = make_tokens()
runner = CliRunner()


def tree(root: Path) -> dict[str, str]:
    """A project with one secret per known format; returns rule id -> secret planted."""
    (root / "app").mkdir(parents=True)
    t = TOKENS
    (root / "app" / "settings.py").write_text(
        f'GITHUB = "{t["secret_github_token"]}"\n'
        f'DB_PASSWORD = "{t["secret_generic_assignment"]}"\n'
        f'STRIPE = "{t["secret_stripe_live_key"]}"\n'
    )
    (root / ".aws").mkdir()
    (root / ".aws" / "credentials").write_text(
        "[default]\n"
        f"aws_access_key_id = {t['secret_aws_access_key_id']}\n"
        f"aws_secret_access_key = {t['secret_aws_secret_access_key']}\n"
    )
    (root / "id_rsa").write_text(
        "-----BEGIN OPENSSH PRIVATE KEY-----\n"
        f"{t['secret_private_key']}\n-----END OPENSSH PRIVATE KEY-----\n"
    )
    (root / "ci.yml").write_text(
        f"slack: {t['secret_slack_token']}\ngitlab: {t['secret_gitlab_token']}\n"
        f"google: {t['secret_google_api_key']}\njwt: {t['secret_jwt']}\n"
    )
    return dict(t)


def secrets_in(text: str, planted: dict[str, str]) -> list[str]:
    """Planted secrets (or any 8-character piece beyond the 4 shown) found in `text`."""
    leaks = []
    for rule_id, secret in planted.items():
        for piece in secret.split("\n"):
            if piece in text or piece[4:12] in text:
                leaks.append(rule_id)
    return leaks


def test_every_format_found_and_located(tmp_path: Path) -> None:
    planted = tree(tmp_path)
    report = run_secrets_scan(SecretsScanRequest(path=tmp_path)).report
    got = {(f.rule_id, f.evidence["file"], f.evidence["line"]) for f in report.findings}
    assert got == {
        ("secret_github_token", "app/settings.py", "1"),
        ("secret_generic_assignment", "app/settings.py", "2"),
        ("secret_stripe_live_key", "app/settings.py", "3"),
        ("secret_aws_access_key_id", ".aws/credentials", "2"),
        ("secret_aws_secret_access_key", ".aws/credentials", "3"),
        ("secret_private_key", "id_rsa", "1"),
        ("secret_slack_token", "ci.yml", "1"),
        ("secret_gitlab_token", "ci.yml", "2"),
        ("secret_google_api_key", "ci.yml", "3"),
        ("secret_jwt", "ci.yml", "4"),
    }
    assert all(f.status == FindingStatus.OPEN for f in report.findings)
    assert report.stats["files_scanned"] == 4
    assert not secrets_in(report.model_dump_json(), planted)


def test_outputs_never_contain_a_secret(tmp_path: Path) -> None:
    planted = tree(tmp_path / "repo")
    texts = {}
    table = runner.invoke(app, ["scan", "secrets", str(tmp_path / "repo")])
    assert table.exit_code == 0, table.output
    texts["table"] = table.output
    assert "AKIA****************" in table.output and "ci.yml:4" in table.output
    for fmt in ("json", "sarif", "table"):
        out = tmp_path / f"out.{fmt}"
        result = runner.invoke(
            app, ["scan", "secrets", str(tmp_path / "repo"), "-f", fmt, "-o", str(out)]
        )
        assert result.exit_code == 0, result.output
        texts[f"{fmt} file"] = out.read_text()
        texts[f"{fmt} console"] = result.output
    for name, text in texts.items():
        assert secrets_in(text, planted) == [], name
    sarif = json.loads(texts["sarif file"])
    results = sarif["runs"][0]["results"]
    assert len(results) == 10
    hit = next(r for r in results if r["ruleId"] == "secret_aws_access_key_id")
    region = hit["locations"][0]["physicalLocation"]
    assert region["artifactLocation"]["uri"] == ".aws/credentials"
    assert region["region"]["startLine"] == 2
    assert "AKIA****************" in hit["message"]["text"]
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert all("secret" in r["properties"]["tags"] for r in rules)
    assert all("Revoke" in r["help"]["text"] for r in rules)
    doc = json.loads(texts["json file"])
    assert {f["evidence"]["masked"][:4] for f in doc["findings"]} >= {"AKIA", "ghp_", "sk_l"}
    failing = runner.invoke(
        app, ["scan", "secrets", str(tmp_path / "repo"), "--fail-on", "critical"]
    )
    assert failing.exit_code == 1
    assert runner.invoke(app, ["scan", "secrets", str(tmp_path / "none")]).exit_code == 2


def test_sarif_validates_against_the_official_schema(tmp_path: Path) -> None:
    from mamori.workload.secrets.sarif import secrets_sarif_document
    from tests.outputs.schemas import sarif_errors

    tree(tmp_path)
    report = run_secrets_scan(SecretsScanRequest(path=tmp_path)).report
    doc = secrets_sarif_document(report)
    assert not sarif_errors(doc), sarif_errors(doc)[:5]


def test_symlinks_never_leave_the_root(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "creds").write_text(f"token = {TOKENS['secret_github_token']}\n")
    root = tmp_path / "root"
    root.mkdir()
    os.symlink(outside / "creds", root / "creds-link")
    os.symlink(outside, root / "dir-link")
    os.symlink("/etc", root / "etc-link")
    (root / "ok.txt").write_text("nothing here\n")
    report = run_secrets_scan(SecretsScanRequest(path=root)).report
    assert report.findings == ()
    assert report.stats["files"] == 1 and report.stats["files_scanned"] == 1


def test_binaries_large_files_fifos_and_vcs_are_skipped(tmp_path: Path) -> None:
    key = TOKENS["secret_aws_access_key_id"]
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01" + key.encode())
    (tmp_path / "big.txt").write_text("x" * 200 + key)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text(key)
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9 id = " + key.encode() + b"\n")
    outcome = run_secrets_scan(SecretsScanRequest(path=tmp_path, max_file_bytes=100))
    stats = outcome.report.stats
    assert (stats["files_binary"], stats["files_too_large"]) == (1, 1)
    assert [f.evidence["file"] for f in outcome.report.findings] == ["latin1.txt"]
    assert any(n.path == "big.txt" for n in outcome.report.notices)


def test_inline_ignores_and_config(tmp_path: Path) -> None:
    ghp, glpat = TOKENS["secret_github_token"], TOKENS["secret_gitlab_token"]
    (tmp_path / "a.py").write_text(
        f'# mamori:ignore secret_github_token test fixture token, revoked\nT = "{ghp}"\n'
        f'G = "{glpat}"  # mamori:ignore secret_gitlab_token\n'
    )
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "b.txt").write_text(f"{ghp}\n")
    (tmp_path / ".mamori.yaml").write_text(
        "exceptions:\n  - check: secret_github_token\n    reason: test data\n"
        "    path: 'fixtures/**'\nseverity:\n  secret_gitlab_token: low\n  secret_nope: high\n"
    )
    report = run_secrets_scan(SecretsScanRequest(path=tmp_path)).report
    got = {(f.evidence["file"], f.rule_id): f for f in report.findings}
    assert got[("a.py", "secret_github_token")].reason == "inline: test fixture token, revoked"
    assert got[("a.py", "secret_github_token")].status == FindingStatus.IGNORED
    gitlab = got[("a.py", "secret_gitlab_token")]
    assert gitlab.status == FindingStatus.OPEN and gitlab.severity == Severity.LOW
    assert any("without a reason" in n.message for n in report.notices)
    assert any(n.message.endswith("secret_nope is not a known check") for n in report.notices)
    fixture = got[("fixtures/b.txt", "secret_github_token")]
    assert fixture.status == FindingStatus.IGNORED and fixture.reason == ".mamori.yaml: test data"
    assert ".mamori.yaml" not in {f.evidence["file"] for f in report.findings}
