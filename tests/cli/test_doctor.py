from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mamori.cli.main import app
from tests.sensor.conftest import need_sensor
from tests.support import need_root


def test_doctor_json_lists_every_capability() -> None:
    result = CliRunner().invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    names = {r["capability"] for r in rows}
    assert {"kernel BTF", "libbpf", "fanotify", "podman", "proc connector"} <= names
    for row in rows:
        assert isinstance(row["available"], bool)
        assert row["detail"]


def test_doctor_table_renders() -> None:
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 0
    assert "kernel BTF" in result.output


def _sensor_row(args: list[str]) -> dict[str, object]:
    result = CliRunner().invoke(app, ["doctor", "--json", *args])
    assert result.exit_code == 0, result.output
    rows = [r for r in json.loads(result.output) if r["capability"] == "runtime sensor"]
    assert len(rows) == 1
    row: dict[str, object] = rows[0]
    return row


def test_doctor_says_which_sensor_and_why() -> None:
    need_sensor()
    row = _sensor_row([])
    assert row["sensor"] == "ebpf" and row["available"] is True
    assert str(row["detail"]).startswith("ebpf: ")
    forced = _sensor_row(["--sensor", "fallback"])
    assert forced["sensor"] == "fallback" and "proc" in str(forced["detail"])
    table = CliRunner().invoke(app, ["doctor"])
    assert "runtime sensor (--sensor auto): ebpf: " in table.output


def test_doctor_reports_an_impossible_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    need_root()
    monkeypatch.setenv("MAMORI_SENSOR_OBJECT", "/nonexistent/sensor.bpf.o")
    row = _sensor_row(["--sensor", "ebpf"])
    assert row["available"] is False and row["sensor"] is None
    assert "--sensor ebpf cannot run here" in str(row["detail"])
    auto = _sensor_row([])
    assert auto["sensor"] == "fallback" and "eBPF unavailable" in str(auto["detail"])
