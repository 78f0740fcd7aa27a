"""`Alert`: built from a real rules-engine match; its text and JSON follow Falco's
documented outputs (falco.yaml ``json_output``: the keys below, ``time`` in RFC 3339 with
ns and ``Z``, ``output`` the text line with time and priority)."""

from __future__ import annotations

import dataclasses
import datetime
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.alerts import Alert, jsonable, render
from mamori.rules import Priority
from tests.alerts.helpers import make_alert, match_open

FALCO_KEYS = {"hostname", "output", "output_fields", "priority", "rule", "source", "tags", "time"}


def test_from_match_carries_the_rule_and_its_fields() -> None:
    match, ts = match_open("/tmp/marked-x", pid=77)
    alert = Alert.from_match(match, ts, hostname="h", evt_num=9, identity={"host": "h"})
    assert alert.rule == "Read of a marked file" and alert.priority is Priority.WARNING
    assert alert.source == "syscall" and alert.tags == ("test", "filesystem")
    assert alert.output == "file /tmp/marked-x opened by cat (pid=77 cmd=cat /tmp/marked-x)"
    assert alert.fields == {"fd.name": "/tmp/marked-x", "proc.name": "cat", "proc.pid": 77,
                            "proc.cmdline": "cat /tmp/marked-x"}  # fmt: skip
    assert alert.capture is None and alert.identity == {"host": "h"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        alert.rule = "x"  # type: ignore[misc]


def test_text_and_json_are_falcos_shapes() -> None:
    alert = make_alert(0)
    text = alert.text()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}\+0000: Warning file .*", text)
    stamp = datetime.datetime.fromisoformat(text.split(": ", 1)[0])
    assert stamp == datetime.datetime.fromtimestamp(alert.ts // 10**9, datetime.UTC).replace(
        microsecond=(alert.ts % 10**9) // 1000)  # fmt: skip
    doc = alert.json()
    assert set(doc) == FALCO_KEYS | {"mamori"}
    assert doc["output"] == text and doc["priority"] == "Warning" and doc["hostname"] == "web-1"
    assert doc["time"] == text.split("+")[0] + "Z"
    assert doc["output_fields"]["proc.pid"] == 4242  # numbers stay numbers, as in Falco
    assert doc["mamori"] == {"identity": {"host": "web-1"}, "evt_num": 1}
    captured = dataclasses.replace(alert, capture="/var/lib/mamori/captures/a.scap")
    assert captured.json()["mamori"]["capture"] == "/var/lib/mamori/captures/a.scap"
    bare = Alert(1, "r", Priority.DEBUG, "o", "aws_cloudtrail")
    assert set(bare.json()) == FALCO_KEYS  # nothing of mamori's when nothing is set
    assert json.loads(render(alert, "json")) == json.loads(json.dumps(doc))
    assert render(alert, "text") == text


@settings(max_examples=60, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text() | st.binary(),
                    lambda kids: st.lists(kids, max_size=3).map(tuple), max_leaves=6))  # fmt: skip
def test_any_field_value_serialises(value: object) -> None:
    alert = Alert(10**18, "r", Priority.ERROR, "o", "syscall", fields={"x": value})
    json.dumps(alert.json())
    assert jsonable(value) == json.loads(json.dumps(jsonable(value)))
