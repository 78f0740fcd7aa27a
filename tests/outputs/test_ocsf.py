"""The ocsf output: OCSF 1.5.0 Compliance Finding events (class 2003).

Two oracles:
- the required attributes of class 2003, hand-written below from the OCSF schema sources
  (ocsf/ocsf-schema: events/base_event.json, events/findings/finding.json,
  events/findings/compliance_finding.json, objects/metadata.json, objects/product.json,
  objects/finding_info.json, objects/compliance.json; 1.x releases), and its enumerations;
- py-ocsf-models (the library Prowler writes its json-ocsf output with): every event must
  validate as its ComplianceFinding model.
"""

from __future__ import annotations

import importlib.util
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.model import FindingStatus, Severity
from tests.outputs.factory import realistic_report
from tests.outputs.test_csv import ACCOUNT, bucket, posture_report, render
from tests.support import need

# class 2003 = category 2 (Findings) * 1000 + class 3 (compliance_finding.json "uid": 3).
CLASS_UID, CATEGORY_UID = 2003, 2
# Required by base_event.json (1.x: activity_id, category_uid, class_uid, metadata,
# severity_id, time, type_uid), finding.json (finding_info) and compliance_finding.json
# (compliance). Development branches move the classification ids into traits and add
# "origin"; the released 1.x schema is what consumers (Security Hub, Prowler) read.
REQUIRED_EVENT = (
    "activity_id",
    "category_uid",
    "class_uid",
    "metadata",
    "severity_id",
    "time",
    "type_uid",
    "finding_info",
    "compliance",
)
REQUIRED_OBJECTS = {
    "metadata": ("product", "version"),  # objects/metadata.json
    "finding_info": ("uid", "title"),  # objects/finding_info.json (title: 1.0-1.2 required)
    "compliance": ("standards",),  # objects/compliance.json
}
REQUIRED_PRODUCT = ("name", "vendor_name")  # objects/product.json (name; 1.x vendor_name)
SEVERITY_IDS = {0, 1, 2, 3, 4, 5, 6, 99}
COMPLIANCE_STATUS_IDS = {0, 1, 2, 3, 99}  # Unknown, Pass, Warning, Fail, Other
FINDING_STATUS_IDS = {0, 1, 2, 3, 4, 5, 6, 99}


def events_of(text: str) -> list[dict[str, Any]]:
    data = json.loads(text)
    assert isinstance(data, list)
    return data


def assert_schema_shape(event: dict[str, Any]) -> None:
    missing = [a for a in REQUIRED_EVENT if event.get(a) in (None, "", [])]
    assert not missing, missing
    for obj, attrs in REQUIRED_OBJECTS.items():
        assert all(event[obj].get(a) not in (None, "", []) for a in attrs), (obj, event[obj])
    assert all(event["metadata"]["product"].get(a) for a in REQUIRED_PRODUCT)
    assert event["class_uid"] == CLASS_UID and event["category_uid"] == CATEGORY_UID
    assert event["type_uid"] == event["class_uid"] * 100 + event["activity_id"]
    assert event["severity_id"] in SEVERITY_IDS
    assert event["status_id"] in FINDING_STATUS_IDS
    assert event["compliance"]["status_id"] in COMPLIANCE_STATUS_IDS
    assert isinstance(event["time"], int) and event["time"] > 10**12  # milliseconds
    for resource in event["resources"]:
        assert resource["uid"] and resource["type"]


def validate_with_py_ocsf_models(events: list[dict[str, Any]]) -> None:
    need(
        importlib.util.find_spec("py_ocsf_models") is not None,
        "py-ocsf-models is not installed (pip install py-ocsf-models)",
    )
    from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding

    for event in events:
        model = ComplianceFinding.model_validate(event)
        assert int(model.class_uid) == CLASS_UID


def test_events_carry_the_required_attributes_and_validate() -> None:
    report = posture_report(bucket("good", True), bucket("bad", False), bucket("what", None))
    events = events_of(render("ocsf", report))
    assert len(events) == len(report.findings)
    for event in events:
        assert_schema_shape(event)
    validate_with_py_ocsf_models(events)


def test_verdicts_severities_and_compliance_mapping() -> None:
    report = posture_report(bucket("good", True), bucket("bad", False), bucket("what", None))
    events = events_of(render("ocsf", report))
    by_uid = {e["resources"][0]["uid"]: e for e in events}
    bad, good, what = (by_uid[f"arn:aws:s3:::{n}"] for n in ("bad", "good", "what"))
    assert (bad["status_code"], bad["compliance"]["status_id"], bad["compliance"]["status"]) == (
        "FAIL",
        3,
        "Fail",
    )
    assert (good["status_code"], good["compliance"]["status_id"]) == ("PASS", 1)
    assert (what["status_code"], what["compliance"]["status_id"]) == ("MANUAL", 2)
    assert bad["status"] == "New" and bad["status_id"] == 1
    assert bad["severity_id"] == 3 and bad["severity"] == "Medium"
    assert bad["compliance"]["standards"] == ["cis_test"]
    assert bad["compliance"]["requirements"] == ["1.1", "2.3"]
    assert bad["compliance"]["control"] == "test_csv_good"
    assert bad["resources"][0] | {"data": None} == {
        "uid": "arn:aws:s3:::bad",
        "name": "bad",
        "type": "aws.s3.bucket",
        "region": "eu-west-1",
        "cloud_partition": "aws",
        "group": {"name": ACCOUNT, "uid": ACCOUNT},
        "data": None,
    }
    assert bad["cloud"]["account"]["uid"] == ACCOUNT and bad["cloud"]["account"]["type_id"] == 10
    assert bad["message"] == "bad: verdict fail"
    # The account-wide verdict has a resource too: the account.
    account_event = next(e for e in events if e["resources"][0]["type"] == "aws.account")
    assert account_event["resources"][0]["region"] == "global"
    assert events[0]["status_code"] == "FAIL"  # failures first


def test_ids_are_stable_across_scans_and_events_unique() -> None:
    a = events_of(render("ocsf", posture_report(bucket("x", False), scan_id="s1")))
    b = events_of(render("ocsf", posture_report(bucket("x", False), scan_id="s2")))
    # finding_info.uid identifies the finding across scans; metadata.uid the event.
    assert [e["finding_info"]["uid"] for e in a] == [e["finding_info"]["uid"] for e in b]
    assert {e["metadata"]["uid"] for e in a}.isdisjoint({e["metadata"]["uid"] for e in b})
    assert len({e["finding_info"]["uid"] for e in a}) == len(a)
    again = render("ocsf", posture_report(bucket("x", False), scan_id="s1"))
    assert render("ocsf", posture_report(bucket("x", False), scan_id="s1")) == again


def test_ignored_findings_read_suppressed() -> None:
    report = posture_report(bucket("bad", False))
    muted = tuple(f.model_copy(update={"status": FindingStatus.IGNORED}) for f in report.findings)
    events = events_of(render("ocsf", report.model_copy(update={"findings": muted})))
    assert {(e["status"], e["status_id"], e["status_code"]) for e in events} == {
        ("Suppressed", 3, "FAIL")
    }
    validate_with_py_ocsf_models(events)


def test_vulnerability_reports_have_no_compliance_events() -> None:
    assert events_of(render("ocsf", realistic_report(20))) == []


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=4, unique=True),
    st.sampled_from(list(Severity)),
)
def test_arbitrary_names_give_valid_events(names: list[str], severity: Severity) -> None:
    report = posture_report(*(bucket(n, i % 2 == 0) for i, n in enumerate(names)))
    report = report.model_copy(
        update={
            "findings": tuple(f.model_copy(update={"severity": severity}) for f in report.findings)
        }
    )
    events = events_of(render("ocsf", report))
    assert len(events) == len(names) + 1
    for event in events:
        assert_schema_shape(event)
    validate_with_py_ocsf_models(events)
    assert sorted(
        e["resources"][0]["name"] for e in events if e["resources"][0]["type"] == "aws.s3.bucket"
    ) == sorted(names)
