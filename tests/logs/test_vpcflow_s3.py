"""VPC Flow Logs from S3 (`VpcFlowS3`), against a real moto S3 server, objects in the
flow logs' delivery layout: the first pass reads every record, the second none, a new
object is read next time; CloudTrail files in the same bucket are not flow logs. The
oracle is what the test uploaded. `mamori scan vpcflow s3://...` alerts from it."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from mamori.cli.main import app
from mamori.logs._cursors import MemoryCursors
from mamori.logs.vpcflow_s3 import VpcFlowS3
from tests.cloud.conftest import moto_url  # noqa: F401  (the session's moto server)
from tests.logs.test_cloudtrail_s3 import BUCKET, s3  # noqa: F401  (the moto bucket)
from tests.logs.test_cloudtrail_s3 import put as put_trail

HEADER = ("version account-id interface-id srcaddr dstaddr srcport dstport protocol "
          "packets bytes start end action log-status")  # fmt: skip
ACCOUNT = "123456789012"


def flow_key(region: str, stamp: str, uniq: str) -> str:
    day = f"{stamp[:4]}/{stamp[4:6]}/{stamp[6:8]}"
    name = f"{ACCOUNT}_vpcflowlogs_{region}_fl-0a1b2c3d4e5f6_{stamp}_{uniq}.log.gz"
    return f"AWSLogs/{ACCOUNT}/vpcflowlogs/{region}/{day}/{name}"


def put(client: Any, key: str, sources: list[str]) -> None:
    lines = [HEADER] + [
        f"2 {ACCOUNT} eni-0123456789abcdef0 {src} 10.0.0.5 50000 22 6 5 400 "
        f"1795900000 1795900060 ACCEPT OK"
        for src in sources
    ]
    client.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress("\n".join(lines).encode()))


def test_incremental_reads_of_flow_log_objects(s3: Any) -> None:  # noqa: F811
    put(s3, flow_key("eu-west-1", "20261129T1800Z", "aa11"), ["185.220.101.1", "10.0.0.9"])
    put(s3, flow_key("us-east-1", "20261129T1805Z", "bb22"), ["185.220.101.2"])
    put_trail(s3, f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/11/29/"
                  f"{ACCOUNT}_CloudTrail_us-east-1_20261129T1800Z_x.json.gz")  # fmt: skip
    cursors = MemoryCursors()
    reader = VpcFlowS3(f"s3://{BUCKET}/", cursors=cursors)
    first = [r["srcaddr"] for r in reader.records()]
    assert sorted(first) == ["10.0.0.9", "185.220.101.1", "185.220.101.2"]
    assert reader.stats.objects == 2 and not reader.notices
    assert [r["srcaddr"] for r in reader.records()] == []  # nothing new
    put(s3, flow_key("eu-west-1", "20261129T1810Z", "cc33"), ["185.220.101.3"])
    assert [r["srcaddr"] for r in VpcFlowS3(f"s3://{BUCKET}/", cursors=cursors).records()] == [
        "185.220.101.3"
    ]


def test_scan_vpcflow_from_s3_alerts_once(s3: Any, tmp_path: Path) -> None:  # noqa: F811
    put(s3, flow_key("eu-west-1", "20261129T1800Z", "aa11"), ["185.220.101.1", "10.0.0.9"])
    out, state = tmp_path / "alerts.json", tmp_path / "state.json"
    args = ["scan", "vpcflow", f"s3://{BUCKET}/", "--state", str(state),
            "--output", f"file:{out}"]  # fmt: skip
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    [alert] = [json.loads(x) for x in out.read_text().splitlines()]
    assert alert["rule"] == "SSH or RDP accepted from the internet"
    assert "185.220.101.1" in alert["output"]
    again = CliRunner().invoke(app, args)  # the cursor was saved: nothing new to alert on
    assert again.exit_code == 0 and "0 flow records, 0 alerts" in again.output
