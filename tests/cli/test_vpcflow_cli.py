"""`mamori scan vpcflow`: a flow log written here in AWS's default format (header line,
version 2 fields) through the default flow rules and the port-probe detector, alerts in
Falco's JSON shape with the record's account and interface as identity."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from typer.testing import CliRunner

from mamori.cli.main import app

HEADER = ("version account-id interface-id srcaddr dstaddr srcport dstport protocol "
          "packets bytes start end action log-status")  # fmt: skip
ACCOUNT, ENI, T0 = "123456789012", "eni-0a1b2c3d4e5f60718", 1795900000


def _line(src: str, dst: str, sport: int, dport: int, action: str, t: int = T0) -> str:
    return f"2 {ACCOUNT} {ENI} {src} {dst} {sport} {dport} 6 10 840 {t} {t + 60} {action} OK"


def _flows(tmp: Path) -> Path:
    lines = [
        HEADER,
        _line("185.220.101.7", "10.0.1.5", 51514, 22, "ACCEPT"),  # SSH from the internet
        _line("185.220.101.8", "10.0.1.5", 51515, 22, "REJECT"),  # rejected: no alert
        _line("10.0.2.9", "10.0.1.5", 40000, 22, "ACCEPT"),  # internal SSH: no alert
        _line("10.0.1.5", "203.0.113.66", 40001, 443, "ACCEPT"),  # to a listed address
        _line("10.0.1.5", "192.0.2.10", 40002, 443, "ACCEPT"),  # ordinary egress
        f"2 {ACCOUNT} {ENI} - - - - - - - {T0} {T0 + 60} - NODATA",
    ]
    # one outside address probing 30 ports of one host within a minute
    lines += [_line("198.51.100.99", "10.0.1.5", 60000, p, "REJECT", T0 + p) for p in
              range(1000, 1030)]  # fmt: skip
    path = tmp / "AWSLogs" / ACCOUNT / "vpcflowlogs" / "eu-west-1" / "flows.log.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    return path


def test_flow_rules_and_detectors_alert_with_identity(tmp_path: Path) -> None:
    _flows(tmp_path)
    intel = tmp_path / "intel.txt"
    intel.write_text("# feed\n203.0.113.64/28\n")
    out = tmp_path / "alerts.json"
    done = CliRunner().invoke(
        app,
        [
            "scan",
            "vpcflow",
            str(tmp_path / "AWSLogs"),
            "--threat-list",
            str(intel),
            "--output",
            f"file:{out}",
        ],
    )
    assert done.exit_code == 0, done.output
    docs = [json.loads(x) for x in out.read_text().splitlines()]
    by_rule: dict[str, list[dict[str, object]]] = {}
    for d in docs:
        by_rule.setdefault(str(d["rule"]), []).append(d)
    assert set(by_rule) == {"SSH or RDP accepted from the internet",
                            "Traffic with a threat-intelligence address",
                            "Port probe from one source"}, by_rule.keys()  # fmt: skip
    [ssh] = by_rule["SSH or RDP accepted from the internet"]
    assert "185.220.101.7" in str(ssh["output"]) and "185.220.101.8" not in str(ssh["output"])
    assert ssh["mamori"] == {"identity": {"account": ACCOUNT, "interface": ENI}}  # type: ignore[comparison-overlap]
    assert str(ssh["time"]).startswith("2026-11-28T")  # the flow's start, not now
    [intel_hit] = by_rule["Traffic with a threat-intelligence address"]
    assert "203.0.113.66" in str(intel_hit["output"])
    [probe] = by_rule["Port probe from one source"]
    assert "198.51.100.99" in str(probe["output"])
    assert "36 flow records, 3 alerts" in done.output


def test_without_the_list_or_detectors_fewer_alerts_and_bad_options(tmp_path: Path) -> None:
    _flows(tmp_path)
    out = tmp_path / "alerts.json"
    done = CliRunner().invoke(app, ["scan", "vpcflow", str(tmp_path / "AWSLogs"),
                                    "--no-detectors", "--output", f"file:{out}"])  # fmt: skip
    assert done.exit_code == 0, done.output
    rules = [json.loads(x)["rule"] for x in out.read_text().splitlines()]
    assert rules == ["SSH or RDP accepted from the internet"]
    bad = CliRunner().invoke(app, ["scan", "vpcflow", str(tmp_path), "--list", "nope"])
    assert bad.exit_code == 2 and "NAME=FILE" in bad.output
    missing = CliRunner().invoke(app, ["scan", "vpcflow", str(tmp_path / "missing")])
    assert missing.exit_code != 0 and "no such file" in missing.output
