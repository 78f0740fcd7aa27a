"""End-to-end: the `mamori` CLI on real targets with the real shared advisories."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mamori.cli.main import app
from mamori.model import FindingStatus
from mamori.sources.sbom_file import read_sbom
from mamori.store import Store
from tests import targets
from tests.support import need_shared

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout


@pytest.fixture
def pypi_db() -> None:
    """Import the real PyPA advisories into this test's (isolated) advisory DB."""
    data = need_shared("data/advisories/pypa-advisory-database.tar.gz")
    code, out = invoke("db", "import", str(data))
    assert code == 0, out


def scan_json(*args: str) -> tuple[int, dict[str, object]]:
    code, out = invoke("scan", *args, "-f", "json", "--offline")
    return code, json.loads(out)


def test_scan_venv_finds_known_advisories_and_stores_them(pypi_db: None) -> None:
    venv = targets.old_venv()
    code, report = scan_json("fs", str(venv))
    assert code == 0
    matches = report["matches"]
    assert isinstance(matches, list)
    ids = {(m["package_name"].lower(), m["vulnerability_id"]) for m in matches}
    # Fixed upstream in requests 2.20.0 (PyPA advisory PYSEC-2018-28 / CVE-2018-18074).
    assert ("requests", "CVE-2018-18074") in ids
    with Store.open() as store:
        scans = store.list_scans()
        assert len(scans) == 1
        assert len(store.findings()) == len(matches)


def test_fail_on_sets_the_exit_code(pypi_db: None) -> None:
    venv = str(targets.old_venv())
    code, report = scan_json("fs", venv, "--fail-on", "high", "--no-store")
    severities = {m["severity"] for m in report["matches"]}  # type: ignore[union-attr]
    assert code == (1 if severities & {"high", "critical"} else 0)
    code, _ = scan_json("fs", venv, "--fail-on", "unknown", "--no-store")
    assert code == 1  # every match is at least "unknown"


def test_ignore_file_suppresses_with_reason(pypi_db: None, tmp_path: Path) -> None:
    venv = str(targets.old_venv())
    _, before = scan_json("fs", venv, "--no-store")
    ignore = tmp_path / "ignore.yaml"
    ignore.write_text(
        "vulnerabilities:\n"
        "  - id: CVE-2018-18074\n"
        "    reason: requests is only used against our own API over mTLS\n"
        "    expires: 2999-01-01\n"
    )
    code, after = scan_json("fs", venv, "--ignore-file", str(ignore))
    assert code == 0
    gone = {m["vulnerability_id"] for m in before["matches"]} - {  # type: ignore[union-attr]
        m["vulnerability_id"]
        for m in after["matches"]  # type: ignore[union-attr]
    }
    assert gone == {"CVE-2018-18074"}
    with Store.open() as store:
        ignored = store.findings(status=FindingStatus.IGNORED)
    assert [f.rule_id for f in ignored] == ["CVE-2018-18074"]
    assert "mTLS" in ignored[0].reason


def test_no_database_still_shows_inventory() -> None:
    code, report = scan_json("fs", str(targets.old_venv()), "--no-store")
    assert code == 0
    assert report["matches"] == []
    assert len(report["sbom"]["packages"]) == 13  # type: ignore[index]
    messages = " ".join(n["message"] for n in report["notices"])  # type: ignore[union-attr]
    assert "no advisory database" in messages


def test_image_scan_inventory_equals_dpkg(tmp_path: Path) -> None:
    images = targets.bookworm_images()
    rootfs = targets.bookworm_rootfs()
    expected = set(
        subprocess.run(
            [
                "dpkg-query",
                f"--admindir={rootfs}/var/lib/dpkg",
                "-W",
                "-f",
                "${Package} ${Version}\n",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\n")
    ) - {""}
    for image in (images / "image.docker.tar", images / "oci"):
        code, report = scan_json("image", str(image), "--no-store")
        assert code == 0
        packages = report["sbom"]["packages"]  # type: ignore[index]
        got = {f"{p['name']} {p['version']}" for p in packages if p["type"] == "deb"}
        assert got == expected
        layers = {p["locations"][0]["layer"] for p in packages if p["type"] == "deb"}
        assert layers == set(report["sbom"]["layers"])  # one layer: every package in it


def test_sbom_round_trip_gives_the_same_matches(pypi_db: None, tmp_path: Path) -> None:
    venv = str(targets.old_venv())
    cdx = tmp_path / "venv.cdx.json"
    code, _ = invoke("sbom", venv, "-f", "cyclonedx", "-o", str(cdx))
    assert code == 0
    doc = read_sbom(cdx)
    assert len(doc.sbom.packages) == 13
    _, direct = scan_json("fs", venv, "--no-store")
    _, via_sbom = scan_json("sbom", str(cdx), "--no-store")

    def ids(report: dict[str, object]) -> set[tuple[str, str]]:
        return {(m["purl"], m["vulnerability_id"]) for m in report["matches"]}  # type: ignore[union-attr]

    assert ids(direct) == ids(via_sbom)
    assert ids(direct)


def test_bad_targets_give_clear_errors(tmp_path: Path) -> None:
    code, _ = invoke("scan", "fs", str(tmp_path / "missing"), "--offline")
    assert code == 2
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not an image at all" * 100)
    result = runner.invoke(app, ["scan", "image", str(junk), "--offline"])
    assert result.exit_code == 2
    assert "error" in result.output.lower()


def test_unreachable_advisory_source_is_reported_as_offline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import socket

    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("MAMORI_OSV_URL", f"http://127.0.0.1:{port}")
    code, out = invoke("scan", "fs", str(targets.old_venv()), "-f", "json", "--no-store")
    assert code == 0
    report = json.loads(out)
    messages = [n["message"] for n in report["notices"]]
    assert any(m.startswith("offline: could not reach") for m in messages), messages
    assert report["database"] is None
    assert len(report["sbom"]["packages"]) == 13
