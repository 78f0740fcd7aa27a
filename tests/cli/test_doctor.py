from __future__ import annotations

import json

from typer.testing import CliRunner

from mamori.cli.main import app


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
